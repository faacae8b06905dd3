package projections

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"sync"

	"github.com/mttq-vn/ledger/events"
)

// SnapshotFormat is the version of the snapshot encoding; a snapshot of
// another format is ignored and the views are rebuilt from the log.
const SnapshotFormat = 28 // 3: a complaint's second instance (PetFacts.Second*); 4: frames in the compact form; 5: Item.Corrections, times in nanoseconds; 6: RecFacts.EvidenceOn; 7: corrected channels, kinds, sources, forms and verdicts change the facts; 8: UnitFacts.Receptions and SupersededOn; 9: PetFacts.Extensions, SupFacts.FollowUpOf; 10: FollowUpOf only if the follow-up's recommendations came from it, RecFacts.EndedOn, PetFacts.WithdrawnOn; 11: PetFacts.ReceivedAt, Petitioner, Conclusion; 12: SupFacts.Interests; 13: SupFacts.Adverse, PetFacts.Adverse; 14: PartyFacts.Allegations, Adverse and Interest confidential; 15: Adverse, Allegation and Interest keep only what the flags read; 16: InfoFacts.ExtendedOn; 17: RecFacts.Reviews; 18: Item.Public; 19: PetFacts.ArrivedOn; 20: SupFacts.MovedTo; 21: a public event adds the parties it names to Item.Public; 22: only those its party fields name; 23: Adverse, Interest and Allegation lose Confidential (Item.Public has it); 24: PetFacts.SecondAcceptedOn, SecondNotAcceptedOn; 25: FlagFacts.Earlier; 26: CriFacts.RequestedOn; 27: corrected facts (a contribution's topic as its title, a petition's anonymous, response_days 0, a supervision's topic), each field of Item.Data with the event it is of, Correction.Facts only for what deadlines read, InfoFacts.Extensions (each extension's days, for their corrections); 28: UnitFacts.ValidFrom

// SnapshotStore keeps the latest snapshot of the views. events/jetstream
// keeps it in a JetStream object store next to the log.
type SnapshotStore interface {
	// LoadSnapshot opens the latest snapshot; events.ErrNotFound if none.
	LoadSnapshot(ctx context.Context) (io.ReadCloser, error)
	// SaveSnapshot replaces the snapshot with what r yields.
	SaveSnapshot(ctx context.Context, r io.Reader) error
}

// The snapshot is a head (a gob stream of one value, as in every format,
// so that a snapshot of another format is recognised as such), then
// frames, each a uvarint length and that many bytes: the items ordered by
// creation in segments of snapshotItemChunk, each in the compact form
// (events.AppendCompact) so that the segments decode on several cores,
// then the positions' hashes and times in runs (binary). The same views
// always encode to the same bytes.
type snapshotHead struct {
	Format int
	Config string
	Layout string // itemLayout
	Pos    uint64
	NItems int
}

// itemLayout names the layout of the items' types in the snapshot.
var itemLayout = sync.OnceValue(func() string { return events.CompactLayout(reflect.TypeFor[[]*Item]()) })

const (
	snapshotItemChunk = 2048
	snapshotPosChunk  = 1 << 16
	// maxSnapshotFrame bounds a frame's length, the buffer read before
	// it is decoded: a segment of 2,048 items is about 3 MB. (What the
	// decoded items take is bounded by events.DecodeCompact's checks, a
	// few times the frame's length at most.)
	maxSnapshotFrame = 64 << 20
)

// Encode writes the views in the snapshot format. Equal views give equal
// bytes: a rebuild from zero and views caught up from a snapshot can be
// compared byte for byte.
func (v *Views) Encode(w io.Writer) error {
	items := make([]*Item, 0, len(v.items))
	for _, it := range v.items {
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *Item) int { return cmp.Compare(a.Created, b.Created) })
	bw := bufio.NewWriterSize(w, 1<<20)
	put := func(frame []byte) error {
		var n [binary.MaxVarintLen64]byte
		if _, err := bw.Write(n[:binary.PutUvarint(n[:], uint64(len(frame)))]); err != nil {
			return err
		}
		_, err := bw.Write(frame)
		return err
	}
	if err := gob.NewEncoder(bw).Encode(snapshotHead{Format: SnapshotFormat, Config: v.cfg.Digest(), Layout: itemLayout(), Pos: v.pos, NItems: len(items)}); err != nil {
		return err
	}
	// The segments are encoded on every core, a window at a time, and
	// written in order.
	chunks := slices.Collect(slices.Chunk(items, snapshotItemChunk))
	encoded := make([][]byte, 2*runtime.GOMAXPROCS(0)) // about 3 MB each, while the views are read-locked
	for len(chunks) > 0 {
		window := chunks[:min(len(chunks), len(encoded))]
		chunks = chunks[len(window):]
		events.Parallel(len(window), func(i int) { encoded[i] = events.AppendCompact(encoded[i][:0], &window[i]) })
		for _, b := range encoded[:len(window)] {
			if err := put(b); err != nil {
				return err
			}
		}
	}
	var tail []byte
	for i := 0; i < len(v.hashes); i += snapshotPosChunk {
		j := min(i+snapshotPosChunk, len(v.hashes))
		b := binary.AppendUvarint(tail[:0], uint64(j-i))
		for _, h := range v.hashes[i:j] {
			b = append(b, h[:]...)
		}
		for _, t := range v.times[i:j] {
			b = binary.AppendVarint(b, t)
		}
		tail = b
		if err := put(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ErrStaleSnapshot says a snapshot was made by another format or under
// another configuration: the views must be rebuilt from the log.
var ErrStaleSnapshot = errors.New("projections: the snapshot was made by another version or configuration")

// snapshotSegment is one segment of items on its way through DecodeViews.
type snapshotSegment struct {
	frame  []byte
	items  []*Item
	duties []duties // of each item, worked out by the worker too
	err    error
	done   chan struct{}
}

// DecodeViews reads views written by Encode under cfg. The item segments
// are decoded on every core while the next frames are read.
func DecodeViews(r io.Reader, cfg *Config) (*Views, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	// The items' frames are read into buffers used again once decoded
	// (events.DecodeCompact copies what it keeps): fresh memory is what a
	// start pays for most.
	workers := runtime.GOMAXPROCS(0)
	free := make(chan []byte, 3*workers+1)
	readFrame := func() ([]byte, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, err
		}
		if n > maxSnapshotFrame {
			return nil, fmt.Errorf("a frame of %d bytes", n)
		}
		var b []byte
		select {
		case b = <-free:
		default:
		}
		if uint64(cap(b)) < n {
			// With room to spare: frames differ in length, and a buffer
			// too short for the next one is garbage (a start made about
			// 100 MB of it with buffers cut to measure).
			b = make([]byte, n, n+n/2)
		}
		b = b[:n]
		_, err = io.ReadFull(br, b)
		return b, err
	}
	// The gob decoder reads no further than the head from a ByteReader.
	var head snapshotHead
	if err := gob.NewDecoder(br).Decode(&head); err != nil {
		return nil, fmt.Errorf("projections: reading the snapshot: %w", err)
	}
	if head.Format != SnapshotFormat || head.Config != cfg.Digest() || head.Layout != itemLayout() {
		return nil, ErrStaleSnapshot
	}
	if head.NItems < 0 || uint64(head.NItems) > head.Pos {
		return nil, fmt.Errorf("projections: the snapshot at position %d says it holds %d items", head.Pos, head.NItems)
	}
	v := NewViews(cfg)
	v.pos = head.Pos
	// What changed before the snapshot is not recorded (Views.touched).
	v.touchedFrom = head.Pos + 1
	v.items = make(map[string]*Item, min(head.NItems, 1<<22)) // the head is not trusted to size memory beyond reason

	// The frames are read here, in order; workers decode them; the
	// segments are taken in order below.
	jobs, ordered := make(chan *snapshotSegment, workers), make(chan *snapshotSegment, 2*workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	quit := make(chan struct{})
	defer close(quit) // before the wait: a reader blocked on a full queue returns
	for range workers {
		wg.Go(func() {
			var scratch []Obligation
			for s := range jobs {
				s.err = events.DecodeCompact(s.frame, &s.items)
				select {
				case free <- s.frame:
				default:
				}
				s.frame = nil
				// An item's obligations depend on it and the
				// configuration only: they are worked out here, on every
				// core, for the index of due dates and the tallies.
				if s.err == nil {
					s.duties = make([]duties, len(s.items))
					for i, it := range s.items {
						if validItem(it, head.Pos) {
							s.duties[i], scratch = v.dutiesOf(it, scratch)
						}
					}
				}
				close(s.done)
			}
		})
	}
	nseg := (head.NItems + snapshotItemChunk - 1) / snapshotItemChunk
	wg.Go(func() {
		defer close(jobs)
		defer close(ordered)
		for range nseg {
			b, err := readFrame()
			s := &snapshotSegment{frame: b, err: err, done: make(chan struct{})}
			if err != nil {
				close(s.done)
			}
			select {
			case ordered <- s:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
			select {
			case jobs <- s:
			case <-quit:
				return
			}
		}
	})
	n := 0
	for s := range ordered {
		<-s.done
		if s.err != nil {
			return nil, fmt.Errorf("projections: reading the snapshot's items: %w", s.err)
		}
		if len(s.items) != min(snapshotItemChunk, head.NItems-n) {
			return nil, fmt.Errorf("projections: the snapshot holds more or fewer items than it says")
		}
		n += len(s.items)
		// Each item is indexed as it comes, while the workers decode the
		// next segments: in the order of creation, as Apply indexes them.
		for i, it := range s.items {
			if !validItem(it, head.Pos) {
				return nil, fmt.Errorf("projections: the snapshot holds an item outside its positions or with damaged fields")
			}
			v.items[it.Stream()] = it
			v.order[it.Kind] = append(v.order[it.Kind], it)
			if f := it.Facts.Unit; it.Kind == events.KindUnit && f != nil && f.Parent != "" {
				v.children[f.Parent] = append(v.children[f.Parent], it.ID)
			}
			v.indexParties(it)
			v.indexUnit(it)
			v.index(it, s.duties[i])
		}
	}
	if n != head.NItems {
		return nil, fmt.Errorf("projections: the snapshot holds %d items, not the %d it says", n, head.NItems)
	}
	// Capacity for the hashes the head announces, within reason: the head
	// is not trusted to size memory (they are appended as they come).
	v.hashes = make([]events.Hash, 0, min(head.Pos, 1<<21))
	v.times = make([]int64, 0, min(head.Pos, 1<<21))
	for uint64(len(v.hashes)) < head.Pos {
		b, err := readFrame()
		if err != nil {
			return nil, fmt.Errorf("projections: reading the snapshot's hashes: %w", err)
		}
		k, w := binary.Uvarint(b)
		if w <= 0 || k == 0 || k > snapshotPosChunk || uint64(len(v.hashes))+k > head.Pos || uint64(len(b)-w) < k*uint64(len(events.Hash{})) {
			return nil, fmt.Errorf("projections: the snapshot at position %d holds damaged hashes", head.Pos)
		}
		b = b[w:]
		v.hashes = appendHashes(v.hashes, b[:k*uint64(len(events.Hash{}))])
		b = b[k*uint64(len(events.Hash{})):]
		for range k {
			t, w := binary.Varint(b)
			if w <= 0 {
				return nil, fmt.Errorf("projections: the snapshot at position %d holds damaged times", head.Pos)
			}
			v.times, b = append(v.times, t), b[w:]
		}
		if len(b) != 0 {
			return nil, fmt.Errorf("projections: the snapshot at position %d holds damaged times", head.Pos)
		}
	}
	return v, nil
}

// validItem reports whether a decoded item can be one of views at
// position pos.
func validItem(it *Item, pos uint64) bool {
	return it != nil && it.Created != 0 && it.Created <= pos && validFields(it.Data)
}

func appendHashes(hs []events.Hash, b []byte) []events.Hash {
	for ; len(b) >= len(events.Hash{}); b = b[len(events.Hash{}):] {
		hs = append(hs, events.Hash(b))
	}
	return hs
}

// indexObligations builds the tallies and the index of due dates from the
// items, once the unit index is made: after a bulk build that left them out
// (Views.deferred). A snapshot load indexes each item as it comes
// (DecodeViews).
func (v *Views) indexObligations() {
	v.byDue = map[events.Date]map[*Item]struct{}{}
	v.tallies = map[string][]tally{}
	for k, items := range v.byUnit {
		if tallied(items[0].Kind) {
			v.tallies[k] = make([]tally, len(items))
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(v.order)) {
		// The obligations are computed on every core (the views are not
		// changed meanwhile), then indexed in order.
		items := v.order[kind]
		ds := make([]duties, len(items))
		events.ParallelWith(len(items), func(scratch *[]Obligation, i int) { ds[i], *scratch = v.dutiesOf(items[i], *scratch) })
		for i, it := range items {
			it.dues = nil
			v.index(it, ds[i])
		}
	}
}
