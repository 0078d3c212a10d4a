//! csp-macros: `select!`, `#[csp::main]` and `#[csp::test]`, thin syntax over csp-core.
