package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/mttq-vn/ledger/events"
)

// The write benchmarks compare Store.Append with raw asynchronous
// JetStream publishes carrying the same headers, side by side, on one
// machine: 1 KiB JSON bodies spread over 1,000 streams, file storage, under
// each sync setting. Run them with
//
//	go test ./events/jetstream -run xxx -bench . -benchtime 20000x
const (
	benchStreams  = 1000
	benchInFlight = 256 // raw: publishes in flight; Store: goroutines appending
)

var syncModes = []struct {
	name string
	cfg  ServerConfig
}{
	{"SyncAlways", ServerConfig{SyncAlways: true}},
	{"SyncInterval1s", ServerConfig{SyncInterval: time.Second}},
}

// benchNode starts a server with the given sync setting and opens a store,
// which creates the streams.
func benchNode(b *testing.B, sc ServerConfig) *node { return benchNodeWith(b, sc, Config{}) }

// benchNodeWith is benchNode with a store configuration.
func benchNodeWith(b *testing.B, sc ServerConfig, cfg Config) *node {
	b.Helper()
	sc.StoreDir, sc.Logger = b.TempDir(), testLogger
	srv, err := StartServer(sc)
	if err != nil {
		b.Fatal(err)
	}
	nc, err := ConnectInProcess(srv, "bench")
	if err != nil {
		b.Fatal(err)
	}
	n := &node{dir: sc.StoreDir, srv: srv, nc: nc}
	b.Cleanup(n.stop)
	cfg.Logger = testLogger
	if n.store, err = Open(context.Background(), nc, cfg); err != nil {
		b.Fatal(err)
	}
	return n
}

// body1K returns a JSON event of about 1 KiB.
func body1K(id string) []byte {
	pad := strings.Repeat("Biên bản giám sát việc thực hiện chính sách. ", 21)
	return fmt.Appendf(nil, `{"id":%q,"type":"supervision.recorded.v1","data":{"text":%q}}`, id, pad)
}

// BenchmarkRawAsyncPublish is the baseline: raw asynchronous publishes
// with the store's headers. The NoExpectedSequence variants leave out the
// per-subject expected sequence (the store's concurrency check), to show
// what that check costs the server.
func BenchmarkRawAsyncPublish(b *testing.B) {
	for _, m := range syncModes {
		for _, expect := range []bool{true, false} {
			name := m.name
			if !expect {
				name += "/NoExpectedSequence"
			}
			b.Run(name, func(b *testing.B) { benchRawAsync(b, m.cfg, expect) })
		}
	}
}

func benchRawAsync(b *testing.B, cfg ServerConfig, expect bool) {
	{
		{
			n := benchNode(b, cfg)
			js, err := natsjs.New(n.nc, natsjs.WithPublishAsyncMaxPending(benchInFlight+64))
			if err != nil {
				b.Fatal(err)
			}
			subjects := make([]string, benchStreams)
			for k := range subjects {
				subjects[k] = fmt.Sprintf("ledger.ev.supervision.s%d", k)
			}
			body := body1K("ev-0000000000")
			last := make([]uint64, benchStreams) // last sequence of each subject
			futs := make([]natsjs.PubAckFuture, benchInFlight)
			wait := func(i int) {
				select {
				case ack := <-futs[i%benchInFlight].Ok():
					last[i%benchStreams] = ack.Sequence
				case err := <-futs[i%benchInFlight].Err():
					b.Fatalf("publish %d: %v", i, err)
				}
			}
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i >= benchInFlight {
					wait(i - benchInFlight) // and so every earlier one
				}
				k := i % benchStreams
				id := "ev-" + strconv.Itoa(i)
				msg := &nats.Msg{Subject: subjects[k], Data: body, Header: nats.Header{
					hdrID:      {id},
					hdrVersion: {strconv.Itoa(i/benchStreams + 1)},
				}}
				opts := []natsjs.PublishOpt{natsjs.WithMsgID(id)}
				if expect {
					opts = append(opts, natsjs.WithExpectLastSequencePerSubject(last[k]))
				}
				futs[i%benchInFlight], err = js.PublishMsgAsync(msg, opts...)
				if err != nil {
					b.Fatal(err)
				}
			}
			for i := max(0, b.N-benchInFlight); i < b.N; i++ {
				wait(i)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		}
	}
}

// BenchmarkRawAtomicBatch publishes atomic batches of maxBatch messages
// with the store's headers, one batch at a time: the ceiling of group
// commit.
func BenchmarkRawAtomicBatch(b *testing.B) {
	for _, m := range syncModes {
		b.Run(m.name, func(b *testing.B) {
			n := benchNodeWith(b, m.cfg, Config{GroupCommit: true})
			body := body1K("ev-0000000000")
			last := make([]uint64, benchStreams)
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; {
				size := min(maxBatch, b.N-i)
				id := "bench-" + strconv.Itoa(i)
				for j := range size {
					k := (i + j) % benchStreams
					evID := "ev-" + strconv.Itoa(i+j)
					msg := &nats.Msg{Subject: fmt.Sprintf("ledger.ev.supervision.s%d", k), Data: body, Header: nats.Header{
						natsjs.MsgIDHeader:               {evID},
						natsjs.ExpectedLastSubjSeqHeader: {strconv.FormatUint(last[k], 10)},
						hdrID:                            {evID},
						hdrVersion:                       {strconv.Itoa((i+j)/benchStreams + 1)},
						hdrBatchID:                       {id},
						hdrBatchSeq:                      {strconv.Itoa(j + 1)},
					}}
					if j < size-1 {
						if err := n.nc.PublishMsg(msg); err != nil {
							b.Fatal(err)
						}
						continue
					}
					msg.Header.Set(hdrBatchCommit, "1")
					resp, err := n.nc.RequestMsgWithContext(ctx, msg)
					if err != nil {
						b.Fatal(err)
					}
					var ack batchAck
					if err := json.Unmarshal(resp.Data, &ack); err != nil || ack.Error != nil || ack.Count != size {
						b.Fatalf("batch at %d: %s", i, resp.Data)
					}
					for jj := range size {
						last[(i+jj)%benchStreams] = ack.Sequence - uint64(size-1-jj)
					}
				}
				i += size
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func BenchmarkStoreAppend(b *testing.B) {
	for _, m := range syncModes {
		b.Run(m.name, func(b *testing.B) { benchStoreAppend(b, m.cfg, Config{}) })
		b.Run(m.name+"/GroupCommit", func(b *testing.B) { benchStoreAppend(b, m.cfg, Config{GroupCommit: true}) })
	}
}

// benchStoreAppend appends from benchInFlight goroutines.
func benchStoreAppend(b *testing.B, sc ServerConfig, cfg Config) {
	n := benchNodeWith(b, sc, cfg)
	body := body1K("ev-0000000000")
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	// Goroutine g appends to the streams k with k%benchInFlight == g,
	// in turn, so that no stream has two appends in flight.
	var wg sync.WaitGroup
	for g := range benchInFlight {
		count := b.N / benchInFlight
		if g < b.N%benchInFlight {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var streams []string
			for k := g; k < benchStreams; k += benchInFlight {
				streams = append(streams, fmt.Sprintf("supervision/s%d", k))
			}
			versions := make([]uint64, len(streams))
			for i := range count {
				j := i % len(streams)
				e := events.Pending{ID: "ev-" + strconv.Itoa(g) + "-" + strconv.Itoa(i), Raw: body}
				if _, err := n.store.Append(ctx, streams[j], versions[j], e); err != nil {
					b.Error(err)
					return
				}
				versions[j]++
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// readFixture is a log of readFixtureSize small records, written once for
// every run of BenchmarkReadLog and removed by TestMain.
var readFixture struct {
	once sync.Once
	n    *node
	dir  string
	err  error
}

const readFixtureSize = 200_000

func readLog(b *testing.B) *Store {
	f := &readFixture
	f.once.Do(func() {
		if f.dir, f.err = os.MkdirTemp("", "ledger-readlog-"); f.err != nil {
			return
		}
		srv, err := StartServer(ServerConfig{StoreDir: f.dir, SyncInterval: time.Second, Logger: testLogger})
		if err != nil {
			f.err = err
			return
		}
		nc, err := ConnectInProcess(srv, "bench")
		if err != nil {
			f.err = err
			return
		}
		f.n = &node{dir: f.dir, srv: srv, nc: nc}
		if f.n.store, f.err = Open(context.Background(), nc, Config{Logger: testLogger}); f.err != nil {
			return
		}
		var wg sync.WaitGroup
		errs := make(chan error, benchInFlight)
		for g := range benchInFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stream := fmt.Sprintf("unit/u%d", g)
				for v := uint64(0); v < readFixtureSize/benchInFlight+1; v++ {
					if g*(readFixtureSize/benchInFlight+1)+int(v) >= readFixtureSize {
						return
					}
					raw := fmt.Appendf(nil, `{"id":"ev-%d-%d","type":"unit.renamed.v1","data":{"name":"Ủy ban %d"}}`, g, v, v)
					if _, err := f.n.store.Append(context.Background(), stream, v, events.Pending{ID: fmt.Sprintf("ev-%d-%d", g, v), Raw: raw}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if f.err = <-errs; f.err != nil {
			return
		}
		// One pass loads the blocks into the server's cache, so that the
		// first sub-benchmark does not pay for the others.
		f.err = f.n.store.ReadLog(context.Background(), 1, func(events.Record) error { return nil })
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.n.store
}

func TestMain(m *testing.M) {
	code := m.Run()
	if f := &readFixture; f.n != nil {
		f.n.stop()
	}
	if readFixture.dir != "" {
		os.RemoveAll(readFixture.dir)
	}
	os.Exit(code)
}

var errEnough = errors.New("read enough")

// BenchmarkReadLog reads b.N records from a log of 200,000 small records,
// from the start, in as many passes as it takes: through Store.ReadLog, and
// through a bare ordered consumer for comparison. Run it with
//
//	go test ./events/jetstream -run xxx -bench ReadLog -benchtime 200000x
func BenchmarkReadLog(b *testing.B) {
	s := readLog(b)
	ctx := context.Background()
	if h, _ := s.Head(ctx); h < readFixtureSize {
		b.Fatalf("fixture has %d records, want %d", h, readFixtureSize)
	}
	b.Run("Store", func(b *testing.B) {
		read := 0
		for read < b.N {
			err := s.ReadLog(ctx, 1, func(r events.Record) error {
				if read++; read == b.N {
					return errEnough
				}
				return nil
			})
			if err != nil && !errors.Is(err, errEnough) {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("RawOrderedConsumer", func(b *testing.B) {
		read := 0
		for read < b.N {
			cons, err := s.events.OrderedConsumer(ctx, natsjs.OrderedConsumerConfig{})
			if err != nil {
				b.Fatal(err)
			}
			it, err := cons.Messages(natsjs.PullMaxMessages(readBatch))
			if err != nil {
				b.Fatal(err)
			}
			for n := 0; n < readFixtureSize && read < b.N; n++ {
				m, err := it.Next()
				if err != nil {
					b.Fatal(err)
				}
				_ = m.Data()
				read++
			}
			it.Stop()
			s.deleteConsumer(s.events, cons)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkStoreAppendAlone appends from one goroutine, one append at a
// time: its ns/op is the latency of an append on an idle store, which
// group commit must not raise.
func BenchmarkStoreAppendAlone(b *testing.B) {
	for _, m := range syncModes {
		for _, group := range []bool{false, true} {
			name := m.name
			if group {
				name += "/GroupCommit"
			}
			b.Run(name, func(b *testing.B) {
				n := benchNodeWith(b, m.cfg, Config{GroupCommit: group})
				body := body1K("ev-0000000000")
				ctx := context.Background()
				versions := make([]uint64, benchStreams)
				b.SetBytes(int64(len(body)))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					k := i % benchStreams
					e := events.Pending{ID: "ev-" + strconv.Itoa(i), Raw: body}
					if _, err := n.store.Append(ctx, fmt.Sprintf("supervision/s%d", k), versions[k], e); err != nil {
						b.Fatal(err)
					}
					versions[k]++
				}
			})
		}
	}
}
