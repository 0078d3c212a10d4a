module csp/benches/go/sync

go 1.19
