// Go twin of benches/toolkit.rs: the same workloads with context and
// golang.org/x/sync's errgroup and semaphore. Run in GOPATH mode with
// Debian's golang-golang-x-sync-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOMAXPROCS=2 go test -bench .
package toolkit_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

const (
	children             = 100
	grandchildren        = 99
	goroutines           = 10_000
	contenders           = 4
	acquiresPerContender = 1_000
)

func BenchmarkWithCancelCancel(b *testing.B) {
	parent, keep := context.WithCancel(context.Background())
	defer keep()
	for i := 0; i < b.N; i++ {
		_, cancel := context.WithCancel(parent)
		cancel()
	}
}

func BenchmarkCancelTree10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root, cancel := context.WithCancel(context.Background())
		dones := make([]<-chan struct{}, 0, children*(grandchildren+1))
		cancels := make([]context.CancelFunc, 0, cap(dones))
		for c := 0; c < children; c++ {
			child, cancelChild := context.WithCancel(root)
			dones = append(dones, child.Done())
			cancels = append(cancels, cancelChild)
			for g := 0; g < grandchildren; g++ {
				grandchild, cancelGrandchild := context.WithCancel(child)
				dones = append(dones, grandchild.Done())
				cancels = append(cancels, cancelGrandchild)
			}
		}
		b.StartTimer()
		cancel()
		for _, done := range dones {
			<-done
		}
		b.StopTimer()
		for _, c := range cancels {
			c()
		}
		b.StartTimer()
	}
}

func BenchmarkErrgroup10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var g errgroup.Group
		for j := 0; j < goroutines; j++ {
			g.Go(func() error { return nil })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSemaphoreUncontended(b *testing.B) {
	sem := semaphore.NewWeighted(1)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := sem.Acquire(ctx, 1); err != nil {
			b.Fatal(err)
		}
		sem.Release(1)
	}
}

func BenchmarkSemaphoreContended4x1000(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		sem := semaphore.NewWeighted(1)
		var wg sync.WaitGroup
		for c := 0; c < contenders; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < acquiresPerContender; k++ {
					if err := sem.Acquire(ctx, 1); err != nil {
						panic(err)
					}
					sem.Release(1)
				}
			}()
		}
		wg.Wait()
	}
}
