//! Compile errors of `select!`, pinned with trybuild (as tokio-macros does).
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite` and review them.

#[test]
fn select_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
