// Go twin of benches/goroutines.rs: n goroutines each parked on one receive
// from a shared unbuffered channel, released by close, each calling
// wg.Done on its way out. Prints "spawn_ns rss_bytes teardown_ns 0 0
// spawn_cpu_ns teardown_cpu_ns", per goroutine: spawn until the last one
// runs, VmRSS growth over the spawns, close until wg.Wait returns (the
// zeros stand for the heap counts the Rust side takes), and the two phases
// in the process's CPU time (getrusage: user + system, every thread).
//
// Run: cd benches/go/goroutines && GOMAXPROCS=2 go run main.go 1000000
// (benches/goroutines.rs builds and runs it itself).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func cpuNs() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func rssBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line[len("VmRSS:"):]), "kB"))
			kb, _ := strconv.ParseUint(v, 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 {
			fmt.Fprintln(os.Stderr, "usage: goroutines N")
			os.Exit(2)
		}
		n = v
	}
	gate := make(chan struct{})
	ready := make(chan struct{}, 1)
	var started atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	rss0 := rssBytes()
	cpu := cpuNs()
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			if started.Add(1) == int64(n) {
				ready <- struct{}{}
			}
			if _, ok := <-gate; ok {
				panic("the gate only closes")
			}
			wg.Done()
		}()
	}
	<-ready
	spawn := float64(time.Since(start).Nanoseconds()) / float64(n)
	spawnCPU := float64(cpuNs()-cpu) / float64(n)
	rss := rssBytes()
	grown := uint64(0)
	if rss > rss0 {
		grown = rss - rss0
	}
	cpu = cpuNs()
	start = time.Now()
	close(gate)
	wg.Wait()
	teardown := float64(time.Since(start).Nanoseconds()) / float64(n)
	teardownCPU := float64(cpuNs()-cpu) / float64(n)
	fmt.Printf("%f %f %f 0 0 %f %f\n", spawn, float64(grown)/float64(n), teardown, spawnCPU, teardownCPU)
}
