#[csp::test(timeout_secs = 0)]
async fn never_runs() {}

fn main() {}
