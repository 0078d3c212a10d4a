// Go twin of benches/latency.rs: four producers and four consumers on one
// channel (capacity 1, then 64) for 1.5 s, and beside them a goroutine that
// yields (runtime.Gosched) and records how long until it runs again. Prints
// messages moved per second and that goroutine's latency percentiles.
//
// Run: cd benches/go/latency && GOMAXPROCS=2 go run main.go
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync/atomic"
	"time"
)

const window = 1500 * time.Millisecond

func run(capacity int) (float64, []time.Duration) {
	ch := make(chan uint64, capacity)
	var stop atomic.Bool
	var moved atomic.Uint64
	for p := 0; p < 4; p++ {
		go func() {
			for v := uint64(0); !stop.Load(); v++ {
				ch <- v
			}
		}()
	}
	for c := 0; c < 4; c++ {
		go func() {
			for range ch {
				moved.Add(1)
			}
		}()
	}
	start := time.Now()
	done := make(chan []time.Duration)
	go func() {
		var lats []time.Duration
		end := time.Now().Add(window)
		for time.Now().Before(end) {
			t := time.Now()
			runtime.Gosched()
			lats = append(lats, time.Since(t))
		}
		done <- lats
	}()
	lats := <-done
	rate := float64(moved.Load()) / time.Since(start).Seconds()
	stop.Store(true)
	// Let the producers see the flag, then drain so they all exit.
	go func() {
		for range ch {
		}
	}()
	time.Sleep(50 * time.Millisecond)
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return rate, lats
}

func main() {
	fmt.Printf("%-18s %10s %10s %10s %10s %10s\n", "4:4, capacity", "Mmsg/s", "probe p50", "p99", "p99.9", "max")
	for _, capacity := range []int{1, 64} {
		rate, lats := run(capacity)
		q := func(p float64) time.Duration { return lats[int(float64(len(lats)-1)*p)] }
		fmt.Printf("%-18s %10.2f %10v %10v %10v %10v\n", fmt.Sprintf("go/cap%d", capacity),
			rate/1e6, q(0.5), q(0.99), q(0.999), lats[len(lats)-1])
	}
}
