// Go twin of benches/chan.rs: ping-pong over two unbuffered channels, and
// SPSC, MPSC (4:1) and MPMC (4:4) at capacities 0, 1 and 64, and the
// polling receiver (poll) at 1 and 64, the same
// message counts. Prints one line per workload: name and ns per message
// (best of several runs, as criterion's estimate is a central value).
//
// sieve: the concurrent prime sieve up to the sievePrimes-th prime, ms per
// run (best of several; the chain of each run stays parked, leaked).
//
// Run: cd benches/go/chan && GOMAXPROCS=2 go run main.go (append `sieve` for
// the sieve alone)
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

const msgs = 200000
const runs = 7

func pingPong(n int) time.Duration {
	ping, pong := make(chan int), make(chan int)
	start := time.Now()
	done := make(chan bool)
	go func() {
		for i := 0; i < n; i++ {
			v := <-ping
			pong <- v
		}
		done <- true
	}()
	go func() {
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		done <- true
	}()
	<-done
	<-done
	return time.Since(start)
}

func flow(n, producers, consumers, capacity int) time.Duration {
	ch := make(chan int, capacity)
	var wg sync.WaitGroup
	start := time.Now()
	for p := 0; p < producers; p++ {
		k := n / producers
		if p < n%producers {
			k++
		}
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for v := 0; v < k; v++ {
				ch <- v
			}
		}(k)
	}
	for c := 0; c < consumers; c++ {
		k := n / consumers
		if c < n%consumers {
			k++
		}
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for i := 0; i < k; i++ {
				<-ch
			}
		}(k)
	}
	wg.Wait()
	return time.Since(start)
}

// poll: one sender, and one receiver that polls with a select-default and
// yields when the channel is empty (the `poll` group of benches/chan.rs).
func poll(n, capacity int) time.Duration {
	ch := make(chan int, capacity)
	done := make(chan bool)
	start := time.Now()
	go func() {
		for v := 0; v < n; v++ {
			ch <- v
		}
	}()
	go func() {
		for i := 0; i < n; {
			select {
			case <-ch:
				i++
			default:
				runtime.Gosched()
			}
		}
		done <- true
	}()
	<-done
	return time.Since(start)
}

const sievePrimes = 2000

func sieve() time.Duration {
	start := time.Now()
	ch := make(chan uint64)
	go func(out chan<- uint64) {
		for i := uint64(2); ; i++ {
			out <- i
		}
	}(ch)
	var prime uint64
	for i := 0; i < sievePrimes; i++ {
		prime = <-ch
		next := make(chan uint64)
		go func(in <-chan uint64, out chan<- uint64, p uint64) {
			for {
				if i := <-in; i%p != 0 {
					out <- i
				}
			}
		}(ch, next, prime)
		ch = next
	}
	el := time.Since(start)
	if prime != 17389 {
		panic(fmt.Sprintf("sieve: prime %d", prime))
	}
	return el
}

func best(f func() time.Duration) float64 {
	min := time.Duration(1 << 62)
	for i := 0; i < runs; i++ {
		if d := f(); d < min {
			min = d
		}
	}
	return float64(min.Nanoseconds()) / msgs
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sieve" {
		fmt.Printf("sieve %.2f ms\n", best(sieve)*msgs/1e6)
		return
	}
	fmt.Printf("ping-pong/cap0 %.1f ns\n", best(func() time.Duration { return pingPong(msgs) }))
	for _, w := range []struct {
		name      string
		producers int
		consumers int
	}{{"spsc", 1, 1}, {"mpsc", 4, 1}, {"mpmc", 4, 4}} {
		for _, c := range []int{0, 1, 64} {
			w, c := w, c
			fmt.Printf("%s/cap%d %.1f ns\n", w.name, c, best(func() time.Duration { return flow(msgs, w.producers, w.consumers, c) }))
		}
	}
	for _, c := range []int{1, 64} {
		c := c
		fmt.Printf("poll/cap%d %.1f ns\n", c, best(func() time.Duration { return poll(msgs, c) }))
	}
	fmt.Printf("sieve %.2f ms\n", best(sieve)*msgs/1e6)
}
