// Go twin of benches/timer.rs: the same three loops, same message counts,
// GOMAXPROCS=2. Prints ns per message for each.
//
// Run: cd benches/go/timer && GOMAXPROCS=2 go run main.go
package main

import (
	"fmt"
	"time"
)

const msgs = 4000
const timeout = time.Second

// after: a new time.After per message; the message is always ready.
func after() int {
	ch := make(chan uint64, 1)
	got := 0
	for i := uint64(0); i < msgs; i++ {
		ch <- i
		select {
		case <-ch:
			got++
		case <-time.After(timeout):
			panic("the message is ready")
		}
	}
	return got
}

// reset: one timer, Reset per message.
func reset() int {
	ch := make(chan uint64, 1)
	t := time.NewTimer(timeout)
	got := 0
	for i := uint64(0); i < msgs; i++ {
		ch <- i
		t.Reset(timeout)
		select {
		case <-ch:
			got++
		case <-t.C:
			panic("the message is ready")
		}
	}
	return got
}

// none: the same loop without a timer.
func none() int {
	ch := make(chan uint64, 1)
	never := make(chan uint64)
	got := 0
	for i := uint64(0); i < msgs; i++ {
		ch <- i
		select {
		case <-ch:
			got++
		case <-never:
			panic("nobody sends")
		}
	}
	return got
}

func bench(name string, f func() int) {
	for i := 0; i < 20; i++ { // warm up
		f()
	}
	const runs = 500
	start := time.Now()
	for i := 0; i < runs; i++ {
		if got := f(); got != msgs {
			panic(fmt.Sprintf("%s: got %d of %d", name, got, msgs))
		}
	}
	el := time.Since(start)
	fmt.Printf("timer/%s/go: %.1f µs per run, %.1f ns/msg\n", name,
		float64(el.Microseconds())/runs, float64(el.Nanoseconds())/runs/msgs)
}

func main() {
	bench("after", after)
	bench("reset", reset)
	bench("none", none)
}
