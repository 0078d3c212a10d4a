#[csp::main(gomaxprocs = 0)]
async fn main() {}
