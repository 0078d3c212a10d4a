#[csp::main]
fn main() {}
