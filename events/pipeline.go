package events

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// readOrdered reads the log from position from and hands each record,
// wrapped by wrap and prepared by prepare on one of several workers (the
// costly part: hashing, decoding), to process in log order. It is how a
// replay or a verify uses both cores while the order-dependent work stays
// sequential. It returns the first error of read or process.
func readOrdered[T any](ctx context.Context, read func(context.Context, uint64, func(Record) error) error, from uint64, workers int,
	prepare func(*T), process func(*T) error, wrap func(Record) T) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const batchSize = 256
	type batch struct {
		items []T
		done  chan struct{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *batch, workers*2)
	ordered := make(chan *batch, workers*4)
	// Processed batches come back to the reader: a T is a few hundred
	// bytes (a record, its envelope, what prepare made of it), and a
	// batch for each 256 records was some 600 MB of fresh memory at a
	// million events. process must not keep a pointer into its T.
	free := make(chan *batch, workers*6+2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				for i := range b.items {
					prepare(&b.items[i])
				}
				close(b.done)
			}
		}()
	}
	var processErr error
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for b := range ordered {
			<-b.done
			if processErr != nil {
				continue // drain
			}
			for i := range b.items {
				if err := process(&b.items[i]); err != nil {
					processErr = err
					cancel()
					break
				}
			}
			clear(b.items) // what the items point to is not held here
			b.items = b.items[:0]
			select {
			case free <- b:
			default:
			}
		}
	}()
	cur := &batch{done: make(chan struct{})}
	flush := func() {
		if len(cur.items) == 0 {
			return
		}
		ordered <- cur
		work <- cur
		select {
		case cur = <-free:
			cur.done = make(chan struct{})
		default:
			cur = &batch{items: make([]T, 0, batchSize), done: make(chan struct{})}
		}
	}
	err := read(ctx, from, func(r Record) error {
		if err := ctx.Err(); err != nil {
			return err // process failed: stop reading
		}
		cur.items = append(cur.items, wrap(r))
		if len(cur.items) == batchSize {
			flush()
		}
		return nil
	})
	flush()
	close(work)
	close(ordered)
	wg.Wait()
	<-collected
	if processErr != nil {
		return processErr
	}
	return err
}

// ReadOrdered is readOrdered for other packages (the projection runner): it
// reads read from position from, runs prepare on several workers and
// process in log order, and returns the first error. The items are used
// again once processed: process must not keep a pointer into its item
// (what the item's fields point to is not touched).
func ReadOrdered[T any](ctx context.Context, read func(context.Context, uint64, func(Record) error) error, from uint64, workers int,
	prepare func(*T), process func(*T) error, wrap func(Record) T) error {
	return readOrdered(ctx, read, from, workers, prepare, process, wrap)
}

// Parallel calls fn(i) for every i in [0, n) on every core and returns
// when all calls have returned. fn must be safe to call concurrently; the
// calls for different i may run in any order.
func Parallel(n int, fn func(i int)) {
	ParallelWith(n, func(_ *struct{}, i int) { fn(i) })
}

// ParallelWith is Parallel with a value of type S for each core, which
// fn(s, i) may use again from one call to the next: buffers and scratch
// slices that would be garbage after every call.
func ParallelWith[S any](n int, fn func(s *S, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			var s S
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(&s, i)
			}
		})
	}
	wg.Wait()
}
