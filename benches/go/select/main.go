// Go twin of benches/select.rs: the same two workloads, same message counts,
// GOMAXPROCS=2. Prints ns per message for each.
//
// Run: cd benches/go/select && GOMAXPROCS=2 go run main.go
package main

import (
	"fmt"
	"time"
)

const msgs = 4000
const capacity = 64

// recv4: four producers on their own buffered channel; one consumer selects
// over the four until all are closed (nil-channel idiom).
func recv4() int {
	var chans [4]chan uint64
	for i := range chans {
		ch := make(chan uint64, capacity)
		chans[i] = ch
		go func() {
			for j := uint64(0); j < msgs/4; j++ {
				ch <- j
			}
			close(ch)
		}()
	}
	a, b, c, d := chans[0], chans[1], chans[2], chans[3]
	got := 0
	for a != nil || b != nil || c != nil || d != nil {
		select {
		case _, ok := <-a:
			if ok {
				got++
			} else {
				a = nil
			}
		case _, ok := <-b:
			if ok {
				got++
			} else {
				b = nil
			}
		case _, ok := <-c:
			if ok {
				got++
			} else {
				c = nil
			}
		case _, ok := <-d:
			if ok {
				got++
			} else {
				d = nil
			}
		}
	}
	return got
}

// sendRecv: two goroutines on both ends of two unbuffered channels, each
// selecting between sending its next value and receiving the peer's.
func side(out chan<- uint64, in <-chan uint64, res chan<- int) {
	sent, got, open := uint64(0), 0, true
	for sent < msgs/2 {
		inc := in
		if !open {
			inc = nil
		}
		select {
		case out <- sent:
			sent++
		case _, ok := <-inc:
			if ok {
				got++
			} else {
				open = false
			}
		}
	}
	close(out)
	for open {
		if _, ok := <-in; ok {
			got++
		} else {
			open = false
		}
	}
	res <- got
}

func sendRecv() int {
	c1, c2 := make(chan uint64), make(chan uint64)
	res := make(chan int)
	go side(c1, c2, res)
	go side(c2, c1, res)
	return <-res + <-res
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
	fmt.Printf("select/%s/go: %.1f µs per run, %.1f ns/msg\n", name,
		float64(el.Microseconds())/runs, float64(el.Nanoseconds())/runs/msgs)
}

func main() {
	bench("recv4", recv4)
	bench("send_recv", sendRecv)
}
