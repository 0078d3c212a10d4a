// Go twin of benches/select.rs: the same workloads, same message counts,
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
func recv4(capacity int) int {
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

// relay: a producer, a relay and a consumer; the relay keeps up to
// relayQueue values and selects between receiving the next one and sending
// the oldest, a case set to nil when the queue is full or empty, or the
// input closed.
const relayQueue = 16

func relay(capacity int) int {
	in, out := make(chan uint64, capacity), make(chan uint64, capacity)
	go func() {
		for j := uint64(0); j < msgs; j++ {
			in <- j
		}
		close(in)
	}()
	res := make(chan int)
	go func() {
		got := 0
		for range out {
			got++
		}
		res <- got
	}()
	var queue [relayQueue]uint64 // a ring: n values from head
	head, n := 0, 0
	inc := in
	for inc != nil || n > 0 {
		recvFrom, sendTo := inc, out
		if n >= relayQueue {
			recvFrom = nil
		}
		pending := queue[head]
		if n == 0 {
			sendTo = nil
		}
		select {
		case v, ok := <-recvFrom:
			if ok {
				queue[(head+n)%relayQueue] = v
				n++
			} else {
				inc = nil
			}
		case sendTo <- pending:
			head = (head + 1) % relayQueue
			n--
		}
	}
	close(out)
	return <-res
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
	bench("recv4", func() int { return recv4(capacity) })
	bench("send_recv", sendRecv)
	bench("recv4_cap0", func() int { return recv4(0) })
	bench("relay_cap0", func() int { return relay(0) })
	bench("relay_cap64", func() int { return relay(capacity) })
}
