module cspbench/chan

go 1.19
