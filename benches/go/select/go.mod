module cspbench/select

go 1.19
