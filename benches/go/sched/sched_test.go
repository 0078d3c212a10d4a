// Go twin of benches/sched.rs: 1 and 4 goroutines calling runtime.Gosched()
// in a loop; ns/op is per yield (each goroutine makes b.N / tasks of them).
//
// Run: cd benches/go/sched && GOMAXPROCS=2 go test -bench . -benchtime 2s
package sched

import (
	"runtime"
	"sync"
	"testing"
)

func benchGosched(b *testing.B, tasks int) {
	per := b.N / tasks
	var wg sync.WaitGroup
	b.ResetTimer()
	for t := 0; t < tasks; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
}

func BenchmarkGosched1Task(b *testing.B)  { benchGosched(b, 1) }
func BenchmarkGosched4Tasks(b *testing.B) { benchGosched(b, 4) }
