package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// The soak (issue 4): `ledger serve` runs in a child process, so that its
// resident memory is its own, on a data folder holding a base log of the
// mixed workload; for the given duration, clients write supervisions and
// recommendations through the API (api.Client, a recorder's token) at a
// fixed rate and read items and filtered lists at another. Every few
// seconds the child's resident memory (/proc/PID/status), its Go heap in
// use and goroutines (/metrics) and the log's size are sampled and
// printed. The verdict compares the last third of the samples with the
// middle third (the first third is the warm-up): flat if the last third's
// mean RSS and heap are within soakTolerance of the middle third's. A
// second line compares RSS per event in the log, since the log grows.

// soakTolerance is how much the last third's mean may exceed the middle
// third's and still be called flat. The log grows during the soak, and the
// ledger keeps about 1 KiB in memory per event (README, Restarts), so a
// little growth is expected; the summary prints it per event added.
const soakTolerance = 0.10

type soakSample struct {
	at         time.Duration
	rss, heap  uint64
	goroutines int
	events     uint64
	reads      int64
	writes     int64
}

func (c *BenchCommand) soakPhase(ctx context.Context, w io.Writer, cfg benchConfig) error {
	dir := cfg.keep
	if dir == "" {
		d, err := os.MkdirTemp("", "ledger-soak-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d + "/data"
	}
	fmt.Fprintf(w, "ledger bench --soak %s: a base log of %d mixed events, then %d writes/s and %d reads/s over HTTP; serve in a child process\n",
		cfg.soak, cfg.soakFill, cfg.soakWrites, cfg.soakReads)
	if cfg.soakFill > 0 {
		if err := benchFillMix(ctx, dir, cfg.soakFill, c.Stderr); err != nil {
			return fmt.Errorf("fill the base log: %w", err)
		}
	}
	// The cycles of the fill are all complete up to the number of events
	// it wrote: read only those.
	setup, longest := 1+2*mixDistricts*(1+mixCommunes), 0
	for i := range 100 {
		longest = max(longest, len(mixCycle(i)))
	}
	cycles := max(0, (cfg.soakFill-setup)/longest)

	srv, _, err := startServe(ctx, dir, c.Stderr, "--rate-limit", "0")
	if err != nil {
		return err
	}
	defer srv.Stop()
	url := srv.URL
	admin := api.NewClient(url, adminTokenOf(dir))
	if cfg.soakFill == 0 {
		// An empty base: the writers' units and parties first (the
		// recorder's token names unit 52).
		if err := soakSetup(ctx, admin); err != nil {
			return err
		}
	}
	tok, err := admin.CreateToken(ctx, api.TokenRequest{Name: "soak recorder", Role: events.RoleRecorder, Unit: "52"})
	if err != nil {
		return fmt.Errorf("create the recorder's token: %w", err)
	}

	var (
		reads, writes, failures atomic.Int64
		errMu                   sync.Mutex
		firstErrs               []string
	)
	fail := func(err error) {
		if failures.Add(1) <= 5 {
			errMu.Lock()
			firstErrs = append(firstErrs, err.Error())
			errMu.Unlock()
		}
	}
	lctx, stop := context.WithTimeout(ctx, cfg.soak)
	defer stop()
	var wg sync.WaitGroup
	// Writers: whole cycles of the mixed workload, new supervisions and
	// their recommendations, paced to soakWrites per second in all.
	wtick := time.NewTicker(time.Second / time.Duration(max(cfg.soakWrites, 1)))
	defer wtick.Stop()
	var nextCycle atomic.Int64
	nextCycle.Store(1_000_000)
	for range 4 {
		wg.Go(func() {
			rec := api.NewClient(url, tok.Token)
			for lctx.Err() == nil {
				for _, e := range mixCycle(int(nextCycle.Add(1))) {
					select {
					case <-lctx.Done():
						return
					case <-wtick.C:
					}
					if err := soakWrite(lctx, rec, e); err != nil {
						if lctx.Err() == nil {
							fail(err)
						}
						break // the rest of this cycle depends on it
					}
					writes.Add(1)
				}
			}
		})
	}
	// Readers: one item by ID, an item's page of events, filtered lists.
	rtick := time.NewTicker(time.Second / time.Duration(max(cfg.soakReads, 1)))
	defer rtick.Stop()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for r := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 11))
			for {
				select {
				case <-lctx.Done():
					return
				case <-rtick.C:
				}
				path := soakReadPath(rng, cycles, int(nextCycle.Load()))
				if err := soakGet(lctx, hc, url+path, admin.Token); err != nil {
					if lctx.Err() == nil {
						fail(fmt.Errorf("GET %s: %w", path, err))
					}
					continue
				}
				reads.Add(1)
			}
		})
	}

	// Samples.
	every := cfg.soakEvery
	fmt.Fprintf(w, "\n  %8s %10s %10s %10s %10s %10s %8s\n", "time", "RSS MiB", "heap MiB", "goroutines", "events", "reads", "writes")
	var samples []soakSample
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-lctx.Done():
			done = true
		case <-tick.C:
		}
		s, err := soakSampleOf(ctx, hc, url, srv.cmd.Process.Pid)
		if err != nil {
			return fmt.Errorf("sample: %w", err)
		}
		s.at, s.reads, s.writes = time.Since(start), reads.Load(), writes.Load()
		samples = append(samples, s)
		fmt.Fprintf(w, "  %8s %10.1f %10.1f %10d %10d %10d %8d\n", s.at.Round(time.Second), mib(s.rss), mib(s.heap), s.goroutines, s.events, s.reads, s.writes)
	}
	wg.Wait()
	fmt.Fprintf(w, "\n  %d reads (%.0f/s) and %d writes (%.0f/s) in %s; %d failed\n", reads.Load(), float64(reads.Load())/cfg.soak.Seconds(),
		writes.Load(), float64(writes.Load())/cfg.soak.Seconds(), cfg.soak, failures.Load())
	for _, e := range firstErrs {
		fmt.Fprintf(w, "    %s\n", e)
	}
	if len(samples) < 6 {
		return errors.New("too few samples for a verdict: give --soak at least six times --soak-every")
	}
	third := len(samples) / 3
	mid, last := samples[third:2*third], samples[len(samples)-third:]
	mean := func(ss []soakSample, f func(soakSample) uint64) float64 {
		var sum float64
		for _, s := range ss {
			sum += float64(f(s))
		}
		return sum / float64(len(ss))
	}
	rssOf := func(s soakSample) uint64 { return s.rss }
	heapOf := func(s soakSample) uint64 { return s.heap }
	evOf := func(s soakSample) uint64 { return s.events }
	rssMid, rssLast := mean(mid, rssOf), mean(last, rssOf)
	heapMid, heapLast := mean(mid, heapOf), mean(last, heapOf)
	added := mean(last, evOf) - mean(mid, evOf)
	verdict := "flat"
	if rssLast > rssMid*(1+soakTolerance) || heapLast > heapMid*(1+soakTolerance) {
		verdict = "GROWING"
	}
	perEvent := func(a, b float64) string {
		if added <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f B per event added", (b-a)/added)
	}
	fmt.Fprintf(w, "  RSS:  middle third %.1f MiB, last third %.1f MiB (%+.1f%%; %s)\n", rssMid/(1<<20), rssLast/(1<<20), 100*(rssLast/rssMid-1), perEvent(rssMid, rssLast))
	fmt.Fprintf(w, "  heap: middle third %.1f MiB, last third %.1f MiB (%+.1f%%; %s)\n", heapMid/(1<<20), heapLast/(1<<20), 100*(heapLast/heapMid-1), perEvent(heapMid, heapLast))
	fmt.Fprintf(w, "  verdict: %s (flat: the last third's means within %.0f%% of the middle third's)\n", verdict, 100*soakTolerance)
	// The log grows during the soak and the ledger keeps its views in
	// memory: memory per event in the log tells growth with the data from
	// growth beyond it (a leak).
	evMid, evLast := mean(mid, evOf), mean(last, evOf)
	if evMid > 0 && evLast > 0 {
		perMid, perLast := rssMid/evMid, rssLast/evLast
		per := "no more than the log's"
		if perLast > perMid*(1+soakTolerance) {
			per = "GROWING faster than the log"
		}
		fmt.Fprintf(w, "  RSS per event in the log: middle third %.0f B, last third %.0f B (%+.1f%%): %s\n", perMid, perLast, 100*(perLast/perMid-1), per)
	}
	if failures.Load() > 0 {
		return fmt.Errorf("%d requests failed during the soak", failures.Load())
	}
	return nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// soakSetup registers the units and parties of the mixed workload, for a
// soak without a base log.
func soakSetup(ctx context.Context, admin *api.Client) error {
	create := func(collection, id, unit string, typ events.Type, data any) error {
		b, _ := json.Marshal(data)
		_, err := admin.Create(ctx, collection, api.EventRequest{ID: id, Type: typ, Unit: unit, Data: b}, api.WriteOptions{IdempotencyKey: "soak-" + id})
		return err
	}
	if err := create("units", "52", "", events.UnitRegistered, events.UnitRegisteredData{Name: "Tỉnh Bình Định", Level: events.LevelProvince, ValidFrom: "2011-06-01"}); err != nil {
		return err
	}
	for d := range mixDistricts {
		err := errors.Join(create("units", mixDistrict(d), "", events.UnitRegistered, events.UnitRegisteredData{Name: fmt.Sprintf("Huyện số %d", d+1), Level: events.LevelDistrict, ParentID: "52", ValidFrom: "2011-06-01"}),
			create("parties", "mttq-"+mixDistrict(d), mixDistrict(d), events.PartyRegistered, events.PartyRegisteredData{Name: fmt.Sprintf("Ủy ban MTTQ Việt Nam huyện số %d", d+1), PartyKind: events.PartyVFFCommittee}))
		for c := 0; c < mixCommunes && err == nil; c++ {
			err = errors.Join(create("units", mixCommune(d, c), "", events.UnitRegistered, events.UnitRegisteredData{Name: fmt.Sprintf("Xã số %d huyện %d", c+1, d+1), Level: events.LevelCommune, ParentID: mixDistrict(d), ValidFrom: "2011-06-01"}),
				create("parties", "ubnd-"+mixCommune(d, c), mixCommune(d, c), events.PartyRegistered, events.PartyRegisteredData{Name: fmt.Sprintf("Ủy ban nhân dân xã số %d huyện %d", c+1, d+1), PartyKind: events.PartyPeoplesCommittee}))
		}
		if err != nil {
			return fmt.Errorf("soak setup: %w", err)
		}
	}
	return nil
}

// soakWrite sends one event of the mixed workload through the API.
func soakWrite(ctx context.Context, c *api.Client, e mixEvent) error {
	data, err := json.Marshal(e.data)
	if err != nil {
		return err
	}
	req := api.EventRequest{Type: e.typ, Unit: e.unit, OccurredAt: e.on + "T01:00:00Z", DocumentRef: e.doc, Data: data}
	collection := string(e.kind) + "s"
	if events.IsCreation(e.typ) {
		req.ID = e.id
		_, err = c.Create(ctx, collection, req, api.WriteOptions{})
	} else {
		_, err = c.Append(ctx, collection, e.id, req, api.WriteOptions{})
	}
	if err != nil {
		return fmt.Errorf("%s on %s/%s: %w", e.typ, e.kind, e.id, err)
	}
	return nil
}

// soakReadPath picks a read: an item of the base log or of the soak, its
// events, or a filtered list of recommendations.
func soakReadPath(rng *rand.Rand, cycles, soakCycle int) string {
	d, c := rng.IntN(mixDistricts), rng.IntN(mixCommunes)
	u := mixCommune(d, c)
	cycle := func() int {
		if cycles > 0 && rng.IntN(4) > 0 {
			return rng.IntN(cycles)
		}
		// A supervision the soak wrote a while ago.
		return max(1_000_001, soakCycle-1-rng.IntN(20))
	}
	switch rng.IntN(6) {
	case 0:
		return fmt.Sprintf("/v1/recommendations/kn-%d-%d", cycle(), rng.IntN(mixRecs))
	case 1:
		return fmt.Sprintf("/v1/supervisions/gs-%d", cycle())
	case 2:
		return "/v1/recommendations?limit=50&unit=" + u + "&status=overdue"
	case 3:
		return "/v1/recommendations?limit=50&unit=" + mixDistrict(d) + "&q=tiep+cong+dan&status=answered_late"
	case 4:
		return "/v1/recommendations?limit=50&party=ubnd-" + u + "&status=awaiting_answer"
	}
	return "/v1/recommendations?limit=50&from=2024-01-01&to=2024-06-30&status=accepted&unit=" + u
}

// soakGet reads url; 404 counts as an answer (a soak item whose cycle is
// still being written).
func soakGet(ctx context.Context, hc *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

// soakSampleOf reads the child's resident memory from /proc and its heap in
// use, goroutines and log size from /metrics.
func soakSampleOf(ctx context.Context, hc *http.Client, url string, pid int) (soakSample, error) {
	var s soakSample
	rss, err := procMemory(pid, "VmRSS")
	if err != nil {
		return s, err
	}
	s.rss = rss
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			s.heap = uint64(f)
		case "go_goroutines":
			s.goroutines = int(f)
		case "ledger_log_events":
			s.events = uint64(f)
		}
	}
	return s, sc.Err()
}
