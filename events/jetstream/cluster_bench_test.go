package jetstream

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// Cluster benchmarks (issue 4). Run them with
//
//	go test ./events/jetstream -run '^$' -bench Cluster -benchtime 1x -v
//
// Each runs a fixed amount of work once (b.N is ignored beyond 1) and
// reports its figures with b.ReportMetric and t.Log-style lines.

// clusterBenchWriters is how many goroutines append at once: about what a
// busy `ledger serve` has in flight.
const clusterBenchWriters = 64

// appendLoad appends from writers goroutines, each to streams of its own,
// until stop is closed or total appends were made (0: no limit). It
// returns when they are done, with the number of appends and of errors.
func appendLoad(ctx context.Context, s *Store, prefix string, writers, total int, stop <-chan struct{}, acks *ackLog) (n, errs int64) {
	var made, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			var version [4]uint64
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if total > 0 && made.Add(1) > int64(total) {
					return
				}
				k := i % len(version)
				stream := fmt.Sprintf("recommendation/%s-w%d-s%d", prefix, w, k)
				id := fmt.Sprintf("%s-w%d-s%d-v%d", prefix, w, k, version[k]+1)
				p := events.Pending{ID: id, Raw: body1K(id)}
				if _, err := s.Append(ctx, stream, version[k], p); err != nil {
					failed.Add(1)
					return
				}
				version[k]++
				if acks != nil {
					acks.add()
				}
			}
		})
	}
	wg.Wait()
	n = made.Load()
	if total > 0 {
		n = min(n, int64(total))
	}
	return n - failed.Load(), failed.Load()
}

// BenchmarkClusterReplicas measures Store.Append throughput on a stream
// with 3 replicas against one with 1 replica, on the same 3-node cluster,
// in rounds that alternate between the two so that both see the same
// machine. The nodes run in this process; the client reaches them over
// loopback TCP. Appends are published one by one, and with group commit
// (as `ledger serve --nats-url` does); each ratio compares one way of
// publishing on both streams.
//
// Two sub-benchmarks, each on a cluster of its own: sync=always (every
// message fsynced before its acknowledgement, on every replica) and
// sync=1s (flushed every second), where the disk does not hide the cost
// of replication.
func BenchmarkClusterReplicas(b *testing.B) {
	b.Run("sync=always", func(b *testing.B) { benchClusterReplicas(b, true, 3000) })
	b.Run("sync=1s", func(b *testing.B) { benchClusterReplicas(b, false, 10000) })
}

func benchClusterReplicas(b *testing.B, syncAlways bool, perRound int) {
	const rounds = 3
	c := startTestCluster(b, syncAlways)
	nc := c.connect("bench")
	defer nc.Close()
	ctx := context.Background()
	type variant struct {
		replicas int
		group    bool
	}
	variants := []variant{{1, false}, {3, false}, {1, true}, {3, true}}
	stores := map[variant]*Store{}
	for _, v := range variants {
		name := fmt.Sprintf("BENCH_R%d_G%t", v.replicas, v.group)
		prefix := strings.ToLower(name)
		s, err := Open(ctx, nc, Config{Replicas: v.replicas, GroupCommit: v.group, StreamName: name,
			SubjectPrefix: prefix + ".ev", CheckpointStream: name + "_CP", CheckpointSubject: prefix + ".cp", Logger: quietLogger})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		if _, err := WaitStreamReady(wctx, nc, name); err != nil {
			b.Fatal(err)
		}
		cancel()
		stores[v] = s
		// Warm up: the stream's first blocks, the connection.
		appendLoad(ctx, s, "warm", clusterBenchWriters, 1000, nil, nil)
	}
	rates := map[variant][]float64{}
	b.ResetTimer()
	for round := range rounds {
		for _, v := range variants {
			start := time.Now()
			n, errs := appendLoad(ctx, stores[v], fmt.Sprintf("r%d", round), clusterBenchWriters, perRound, nil, nil)
			if errs > 0 {
				b.Fatalf("%+v: %d appends failed", v, errs)
			}
			rates[v] = append(rates[v], float64(n)/time.Since(start).Seconds())
		}
	}
	b.StopTimer()
	med := func(xs []float64) float64 { xs = slices.Clone(xs); slices.Sort(xs); return xs[len(xs)/2] }
	for _, group := range []bool{false, true} {
		r1, r3 := med(rates[variant{1, group}]), med(rates[variant{3, group}])
		g := "single"
		if group {
			g = "group"
		}
		b.ReportMetric(r1, g+"_r1_appends/s")
		b.ReportMetric(r3, g+"_r3_appends/s")
		b.ReportMetric(r3/r1, g+"_r3/r1")
		b.Logf("group commit %t: %d writers, %d appends of 1 KiB per round, %d rounds: 1 replica %.0f/s %v, 3 replicas %.0f/s %v (medians); ratio %.2f",
			group, clusterBenchWriters, perRound, rounds, r1, roundAll(rates[variant{1, group}]), r3, roundAll(rates[variant{3, group}]), r3/r1)
	}
}

func roundAll(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}

// BenchmarkClusterLeaderKill measures how long writes stop when the
// process of a stream's leader is killed with SIGKILL (no graceful step-
// down): the longest time without an acknowledged append around the kill.
// Node n3 runs in a child process; the leader is moved to it, writes run
// through Store.Append from many goroutines, n3 is killed, and once writes
// flow again it is restarted for the next round. With AckTimeout at its
// default (2 s on a replicated stream) and at 1 s, with and without group
// commit.
func BenchmarkClusterLeaderKill(b *testing.B) {
	const rounds = 3
	c := startTestCluster(b, true, 2)
	admin := c.connect("admin")
	defer admin.Close()
	ctx := context.Background()
	for _, v := range []struct {
		ackTimeout time.Duration
		group      bool
	}{{0, true}, {0, false}, {time.Second, true}} {
		ackTimeout := v.ackTimeout
		name := "ack-timeout=default"
		if ackTimeout > 0 {
			name = "ack-timeout=" + ackTimeout.String()
		}
		name += fmt.Sprintf(",group=%t", v.group)
		var stalls, toFirst []time.Duration
		for round := range rounds {
			nc := c.connect("bench")
			stream := fmt.Sprintf("KILL_%d_%t_%d", ackTimeout/time.Millisecond, v.group, round)
			s, err := Open(ctx, nc, Config{Replicas: 3, GroupCommit: v.group, AckTimeout: ackTimeout, StreamName: stream,
				SubjectPrefix: strings.ToLower(stream) + ".ev", CheckpointStream: stream + "_CP", CheckpointSubject: strings.ToLower(stream) + ".cp",
				Logger: quietLogger})
			if err != nil {
				b.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			c.moveLeader(wctx, admin, stream, c.lc.Nodes[2].Name)
			cancel()
			acks := newAckLog()
			stop := make(chan struct{})
			done := make(chan int64, 1)
			go func() {
				_, errs := appendLoad(ctx, s, stream, clusterBenchWriters, 0, stop, acks)
				done <- errs
			}()
			acks.waitFor(b, 2000, 30*time.Second, "before the kill")
			client := nc.ConnectedServerName()
			n := acks.count()
			at := time.Now()
			c.kill(2)
			acks.waitFor(b, n+2000, 60*time.Second, "after the kill")
			close(stop)
			if errs := <-done; errs > 0 {
				b.Fatalf("%d appends failed", errs)
			}
			stall := acks.stall(at, 30*time.Second)
			first := acks.resumed(at, 30*time.Second)
			stalls, toFirst = append(stalls, stall), append(toFirst, first)
			b.Logf("%s round %d: client on %s; writes stopped %s; writes resumed %s after the kill",
				name, round+1, client, stall.Round(time.Millisecond), first.Round(time.Millisecond))
			s.Close()
			nc.Close()
			c.start(2, true)
			wctx, cancel = context.WithTimeout(ctx, 30*time.Second)
			if _, err := WaitStreamReady(wctx, admin, stream); err != nil {
				b.Fatal(err)
			}
			cancel()
		}
		slices.Sort(stalls)
		slices.Sort(toFirst)
		b.Logf("%s: writes stopped for %v (sorted), median %s, max %s; resumed after the kill %v", name, roundMs(stalls),
			stalls[len(stalls)/2].Round(time.Millisecond), stalls[len(stalls)-1].Round(time.Millisecond), roundMs(toFirst))
		b.ReportMetric(stalls[len(stalls)/2].Seconds(), name+"_stall_median_s")
		b.ReportMetric(stalls[len(stalls)-1].Seconds(), name+"_stall_max_s")
	}
}

func roundMs(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
