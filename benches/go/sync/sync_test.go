// Go twin of benches/sync.rs: the same workloads with sync.WaitGroup,
// sync.Mutex and sync.RWMutex. Run: GOMAXPROCS=2 go test -bench . -benchtime 2s (and
// GOMAXPROCS=1 for the twins of the 1-worker rows).
package sync_test

import (
	"sync"
	"testing"
)

const (
	fanOut            = 10_000
	contenders        = 4
	locksPerContender = 1_000
)

func BenchmarkWaitGroupFanOut10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for j := 0; j < fanOut; j++ {
			wg.Add(1)
			go func() { wg.Done() }()
		}
		wg.Wait()
	}
}

func BenchmarkMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	n := 0
	for i := 0; i < b.N; i++ {
		mu.Lock()
		n++
		mu.Unlock()
	}
	_ = n
}

func BenchmarkMutexContended4x1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		var wg sync.WaitGroup
		n := 0
		for c := 0; c < contenders; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < locksPerContender; k++ {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
}

// The floor of BenchmarkMutexContended4x1000: the same goroutines and
// WaitGroup, each counting locally with no lock (twin of the
// "spawn + join, no lock" rows).
func BenchmarkSpawnJoin4x1000NoLock(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for c := 0; c < contenders; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				n := 0
				for k := 0; k < locksPerContender; k++ {
					n++
				}
				sink[c] = n
			}(c)
		}
		wg.Wait()
	}
}

var sink [contenders]int

// Twin of rwmutex_read_mostly_4x1000_in_task: every tenth lock writes.
func BenchmarkRWMutexReadMostly4x1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var mu sync.RWMutex
		var wg sync.WaitGroup
		n := 0
		for c := 0; c < contenders; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				t := 0
				for k := 0; k < locksPerContender; k++ {
					if k%10 == 0 {
						mu.Lock()
						n++
						mu.Unlock()
					} else {
						mu.RLock()
						t += n
						mu.RUnlock()
					}
				}
				sink[c] = t
			}(c)
		}
		wg.Wait()
	}
}
