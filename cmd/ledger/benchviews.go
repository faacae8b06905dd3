package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
	"github.com/mttq-vn/ledger/projections"
)

// viewsPhase measures the read side on a stopped data folder, side by side
// in one run: a raw ordered read of the log, a rebuild of the views from
// it, saving and loading a snapshot (restart to ready), queries on the
// views in process, an as_of rebuild at an early position, and the heap the
// views hold.
func (c *BenchCommand) viewsPhase(ctx context.Context, w io.Writer, dir string) error {
	closeFn, st, err := openDataDirReadOnly(ctx, dir)
	if err != nil {
		return err
	}
	defer closeFn()
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "read side on %s: %d events\n", dir, head)

	start := time.Now()
	var n uint64
	if err := st.ReadLog(ctx, 1, func(events.Record) error { n++; return nil }); err != nil {
		return err
	}
	raw := float64(n) / time.Since(start).Seconds()
	fmt.Fprintf(w, "  raw ordered replay (ReadLog):       %8.0f events/s\n", raw)

	cfg := projections.DefaultConfig()
	r := projections.NewRunner(st, cfg, nil, quietLogger())
	runtime.GC()
	start = time.Now()
	v, err := r.Build(ctx, 0)
	if err != nil {
		return err
	}
	rebuild := float64(v.Position()) / time.Since(start).Seconds()
	fmt.Fprintf(w, "  projection rebuild:                 %8.0f events/s (%.2f x raw; targets >= 150,000/s and >= 0.4 x raw)\n", rebuild, rebuild/raw)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "  heap in use with the views:         %8.0f MiB\n", float64(ms.HeapInuse)/(1<<20))

	snaps := st.(*jetstream.Store).Snapshots("LEDGER_VIEWS_BENCH")
	var buf bytes.Buffer
	start = time.Now()
	if err := v.Encode(&buf); err != nil {
		return err
	}
	size := buf.Len()
	if err := snaps.SaveSnapshot(ctx, &buf); err != nil {
		return err
	}
	fmt.Fprintf(w, "  snapshot save:                      %8s (%d MiB)\n", time.Since(start).Round(time.Millisecond), size>>20)
	v = nil
	debug.FreeOSMemory()
	start = time.Now()
	r2 := projections.NewRunner(st, cfg, snaps, quietLogger())
	if err := r2.Open(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "  restart to ready from the snapshot: %8s (target <= 5 s)\n", time.Since(start).Round(time.Millisecond))
	defer r2.Close()

	// Queries in process, as the HTTP handlers make them.
	today := projections.Today(time.Now())
	var one, list []time.Duration
	r2.Read(func(v *projections.Views) {
		var streams []string
		for _, kind := range []events.Kind{events.KindRecommendation, events.KindSupervision} {
			items, _ := v.List(projections.Query{Kind: kind, Limit: 1 << 30, Today: today})
			for _, it := range items {
				streams = append(streams, it.Stream())
			}
		}
		if len(streams) == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 20000 {
			s := streams[rng.IntN(len(streams))]
			t0 := time.Now()
			it := v.Item(s)
			_ = v.View(it, today, false)
			one = append(one, time.Since(t0))
		}
		for i := range 50 {
			t0 := time.Now()
			v.List(projections.Query{Kind: events.KindRecommendation, Status: []string{"overdue"}, Text: []string{"", "kiến nghị"}[i%2], Limit: 50, Today: today})
			v.List(projections.Query{Kind: events.KindSupervision, Text: "giam sat", Limit: 50, Today: today})
			list = append(list, time.Since(t0)/2)
		}
	})
	if len(one) > 0 {
		fmt.Fprintf(w, "  one item (lookup + render):         p50 %s, p99 %s (in process; HTTP adds the server's cost)\n", pct(one, 50), pct(one, 99))
		fmt.Fprintf(w, "  filtered list of 50 (scan):         p50 %s, p99 %s (target p99 <= 50 ms)\n", pct(list, 50), pct(list, 99))
	}
	early := min(head, 10000)
	start = time.Now()
	if err := r2.View(ctx, early, func(*projections.Views) error { return nil }); err != nil {
		return err
	}
	fmt.Fprintf(w, "  as_of position %d:               %8s (target <= 5 s)\n", early, time.Since(start).Round(time.Millisecond))
	return nil
}
