//! csp-sync: Go's `sync` package for csp.
