module cspbench/sched

go 1.19
