package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
)

// readOrdered processes every record once, in order, with what prepare
// made of that record and no other, while the batches it hands out are
// used again (the items' addresses repeat); an error of process stops it.
func TestReadOrderedReusesBatches(t *testing.T) {
	const n = 50_000
	read := func(ctx context.Context, from uint64, fn func(Record) error) error {
		for pos := from; pos <= n; pos++ {
			if err := fn(Record{Position: pos, Raw: []byte(strconv.FormatUint(pos, 10))}); err != nil {
				return err
			}
		}
		return nil
	}
	type item struct {
		rec    Record
		parsed uint64
		pad    [512]byte // as large as the runner's items
	}
	prepare := func(it *item) {
		it.parsed, _ = strconv.ParseUint(string(it.rec.Raw), 10, 64)
		it.pad[0] = byte(it.parsed)
	}
	const workers = 2 // batches in flight and free: a few dozen of 256 items
	want := uint64(1)
	seen := map[*item]bool{}
	err := readOrdered(context.Background(), read, 1, workers, prepare, func(it *item) error {
		if it.rec.Position != want || it.parsed != want || it.pad[0] != byte(want) {
			return fmt.Errorf("at %d: got the item of position %d, prepared as %d", want, it.rec.Position, it.parsed)
		}
		want++
		seen[it] = true
		return nil
	}, func(r Record) item { return item{rec: r} })
	if err != nil {
		t.Fatal(err)
	}
	if want != n+1 {
		t.Fatalf("processed %d records, want %d", want-1, n)
	}
	if len(seen) > n/4 {
		t.Errorf("%d distinct items for %d records: batches are not used again", len(seen), n)
	}

	stop := errors.New("stop")
	count := 0
	err = readOrdered(context.Background(), read, 1, workers, prepare, func(it *item) error {
		if count++; it.rec.Position == 10_000 {
			return stop
		}
		return nil
	}, func(r Record) item { return item{rec: r} })
	if !errors.Is(err, stop) || count != 10_000 {
		t.Errorf("process failed at 10,000: readOrdered returned %v after %d records", err, count)
	}
}
