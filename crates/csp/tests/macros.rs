//! `#[csp::test]` and `#[csp::main]` expansions, run for real.

use csp::prelude::*;

#[csp::test(timeout_secs = 5)]
async fn test_body_is_the_main_goroutine() {
    assert_eq!(num_goroutine(), 1);
    let all = csp::goroutines();
    assert_eq!((all[0].id, all[0].is_main), (1, true));
    assert_eq!(go(async { 6 * 7 }).await.unwrap(), 42);
}

#[csp::test(timeout_secs = 5, gomaxprocs = 3)]
async fn gomaxprocs_argument_sets_the_worker_count() {
    assert_eq!(gomaxprocs(), 3);
    assert_eq!(tokio::runtime::Handle::current().metrics().num_workers(), 3);
}

#[csp::test(timeout_secs = 5)]
async fn result_return_and_question_mark() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "41".parse()?;
    assert_eq!(n + 1, 42);
    Ok(())
}

#[csp::test(timeout_secs = 1)]
#[should_panic(expected = "test timed out after 1 s")]
async fn a_hang_fails_after_the_timeout() {
    std::future::pending::<()>().await;
}

#[csp::test(timeout_secs = 5)]
#[should_panic(expected = "main boom")]
async fn a_panic_in_the_body_fails_the_test_with_its_message() {
    panic!("main boom");
}

#[csp::test(timeout_secs = 5)]
#[should_panic(expected = "panic: goroutine boom\n\ngoroutine 2 [running]:")]
async fn a_goroutine_panic_fails_the_test_with_gos_report() {
    go(async { panic!("goroutine boom") });
    std::future::pending::<()>().await;
}

#[test]
fn macro_misuse_is_a_spanned_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
