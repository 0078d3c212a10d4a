#[csp::test]
async fn with_param(n: u32) {
    let _ = n;
}

fn main() {}
