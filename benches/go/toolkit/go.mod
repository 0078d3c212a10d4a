module csp/benches/go/toolkit

go 1.19

require golang.org/x/sync v0.1.0
