// Command workloads is the Go twin of the csp-workloads binary
// (benches/workloads): the same five CSP programs at the same sizes,
// printing the same JSON line. `cargo xtask bench` builds it with
// `go build` and runs it beside the csp binary under the same GOMAXPROCS.
//
// Usage: workloads WORKLOAD SIZE
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Keep in step with benches/workloads/src/lib.rs.
const (
	sumRounds        = 10
	sumPiecesPerProc = 4
	workerIters      = 50000
	pipelineIters    = 1000
)

// mix is the CPU-bound job of workers and pipeline (same as csp_workloads::mix).
func mix(seed uint64, iters uint32) uint64 {
	x := seed
	for i := uint32(0); i < iters; i++ {
		x ^= x >> 33
		x *= 0xff51afd7ed558ccd
		x ^= x >> 29
		x += uint64(i)
	}
	return x
}

// rssBytes reads VmRSS from /proc/self/status (0 when absent).
func rssBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line[len("VmRSS:"):]), "kB"))
			kb, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func sumPiece(a []uint64, c chan<- uint64) {
	var s uint64
	for _, x := range a {
		s += x
	}
	c <- s
}

func sum(n uint64) (time.Duration, uint64, uint64) {
	data := make([]uint64, n)
	for i := range data {
		data[i] = uint64(i)
	}
	pieces := runtime.GOMAXPROCS(0) * sumPiecesPerProc
	rss0 := rssBytes()
	start := time.Now()
	var total uint64
	for r := 0; r < sumRounds; r++ {
		c := make(chan uint64)
		for p := 0; p < pieces; p++ {
			lo, hi := len(data)*p/pieces, len(data)*(p+1)/pieces
			go sumPiece(data[lo:hi], c)
		}
		for p := 0; p < pieces; p++ {
			total += <-c
		}
	}
	return time.Since(start), total, sub(rssBytes(), rss0)
}

func workers(jobs uint64) (time.Duration, uint64, uint64) {
	rss0 := rssBytes()
	start := time.Now()
	jobCh := make(chan uint64, 64)
	results := make(chan uint64, 64)
	var wg sync.WaitGroup
	for w := 0; w < 2*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobCh {
				results <- mix(j, workerIters)
			}
		}()
	}
	go func() {
		for j := uint64(0); j < jobs; j++ {
			jobCh <- j
		}
		close(jobCh)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var total uint64
	for r := range results {
		total += r
	}
	return time.Since(start), total, sub(rssBytes(), rss0)
}

func generate(ch chan<- uint64) {
	for i := uint64(2); ; i++ {
		ch <- i
	}
}

func filter(in <-chan uint64, out chan<- uint64, prime uint64) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func sieve(primes uint64) (time.Duration, uint64, uint64) {
	rss0 := rssBytes()
	start := time.Now()
	ch := make(chan uint64)
	go generate(ch)
	var prime uint64
	for i := uint64(0); i < primes; i++ {
		prime = <-ch
		ch1 := make(chan uint64)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	return time.Since(start), prime, sub(rssBytes(), rss0)
}

func pipeline(items uint64) (time.Duration, uint64, uint64) {
	rss0 := rssBytes()
	start := time.Now()
	src := make(chan uint64, 128)
	evens := make(chan uint64, 128)
	odds := make(chan uint64, 128)
	go func() {
		for x := uint64(0); x < items; x++ {
			src <- x
		}
		close(src)
	}()
	var wg sync.WaitGroup
	for s := 0; s < 2*runtime.GOMAXPROCS(0); s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range src {
				y := mix(x, pipelineIters)
				if y%2 == 0 {
					evens <- y
				} else {
					odds <- y
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(evens)
		close(odds)
	}()
	var total uint64
	e, o := evens, odds
	for e != nil || o != nil {
		select {
		case y, ok := <-e:
			if !ok {
				e = nil
				continue
			}
			total += y
		case y, ok := <-o:
			if !ok {
				o = nil
				continue
			}
			total += y
		}
	}
	return time.Since(start), total, sub(rssBytes(), rss0)
}

func spawn(n uint64) (time.Duration, uint64, uint64) {
	gate := make(chan struct{})
	ready := make(chan struct{}, 1)
	done := make(chan struct{}, 1)
	var started, live atomic.Int64
	live.Store(int64(n))
	rss0 := rssBytes()
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		go func() {
			if started.Add(1) == int64(n) {
				ready <- struct{}{}
			}
			<-gate
			if live.Add(-1) == 0 {
				done <- struct{}{}
			}
		}()
	}
	<-ready
	elapsed := time.Since(start)
	rss := sub(rssBytes(), rss0)
	close(gate)
	<-done
	return elapsed, n - uint64(live.Load()), rss
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "workloads: %s\nusage: workloads WORKLOAD SIZE   (WORKLOAD: sum, workers, sieve, pipeline, spawn)\n", msg)
	os.Exit(2)
}

func main() {
	if len(os.Args) != 3 {
		usage("expected two arguments")
	}
	name := os.Args[1]
	size, err := strconv.ParseUint(os.Args[2], 10, 64)
	if err != nil || size == 0 {
		usage(fmt.Sprintf("SIZE must be a whole number from 1, got %q", os.Args[2]))
	}
	var elapsed time.Duration
	var answer, rss uint64
	switch name {
	case "sum":
		elapsed, answer, rss = sum(size)
	case "workers":
		elapsed, answer, rss = workers(size)
	case "sieve":
		elapsed, answer, rss = sieve(size)
	case "pipeline":
		elapsed, answer, rss = pipeline(size)
	case "spawn":
		elapsed, answer, rss = spawn(size)
	default:
		usage(fmt.Sprintf("unknown workload %q", name))
	}
	fmt.Printf("{\"workload\":%q,\"procs\":%d,\"elapsed_ns\":%d,\"answer\":%d,\"rss_bytes\":%d}\n",
		name, runtime.GOMAXPROCS(0), elapsed.Nanoseconds(), answer, rss)
}
