#[csp::test(timeout_secs = "soon")]
async fn slow() {}

fn main() {}
