module cspbench/timer

go 1.19
