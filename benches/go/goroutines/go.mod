module cspbench/goroutines

go 1.19
