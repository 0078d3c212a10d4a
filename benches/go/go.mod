module csp/benches/go

go 1.19
