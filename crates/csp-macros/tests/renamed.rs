//! `select!` where the facade is not reachable as `::csp`: this crate
//! depends on it as `renamed_csp` (see `Cargo.toml`), and through a
//! re-export under yet another path.

mod facade {
    pub use renamed_csp::select as pick;
}

#[test]
fn select_expands_through_a_renamed_dependency() {
    renamed_csp::run(async {
        let (tx, rx) = renamed_csp::chan::<i32>(1);
        let sent = renamed_csp::select! {
            send(&tx, 7) -> res => res.is_ok(),
            default => false,
        };
        assert!(sent);
        let got = renamed_csp::select! {
            recv(&rx) -> v => v,
        };
        assert_eq!(got, Some(7));
        let mut pending = Some(8);
        let (_full_tx, _full_rx) = renamed_csp::chan::<i32>(0);
        let taken = facade::pick! {
            send_from(&_full_tx, &mut pending) => true,
            default => false,
        };
        assert!(!taken);
        assert_eq!(pending, Some(8), "the unsent value is back in its slot");
    });
}
