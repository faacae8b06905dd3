package esdb

// This file holds a FAKE of EventStoreDB: a small in-process gRPC server
// built from the client's own generated protos (the streams service
// only). It is NOT EventStoreDB or KurrentDB and proves nothing about
// them; it implements just what the adapter uses (append with expected
// revisions and the server's idempotency rule, stream and $all reads,
// filtered $all subscriptions), with the semantics documented for the
// real server, so that the adapter's mapping, position numbering and
// error translation run in CI end to end through the real client. The
// real conformance run is TestStoreServer, against a server named by
// LEDGER_ESDB_URL.

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	kurrent "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeServer is the fake described at the top of this file.
type fakeServer struct {
	api.UnimplementedStreamsServer

	mu      sync.Mutex
	all     []*fakeEvent
	streams map[string][]*fakeEvent
	next    uint64        // the next $all position; positions are sparse, as in a real log
	changed chan struct{} // closed and replaced on every append
	faults  []error       // returned, in order, by the next calls
	noPos   bool          // answer idempotent appends without a position
	after   bool          // read $all forwards from a position exclusive of it

	srv  *grpc.Server
	addr string
}

type fakeEvent struct {
	id     uuid.UUID
	stream string
	rev    uint64
	pos    uint64
	meta   map[string]string
	custom []byte
	data   []byte
}

// startFake starts a fake server on a loopback port and stops it when the
// test ends.
func startFake(t testing.TB) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{streams: map[string][]*fakeEvent{}, next: 1000, changed: make(chan struct{}), addr: ln.Addr().String()}
	f.srv = grpc.NewServer()
	api.RegisterStreamsServer(f.srv, f)
	go f.srv.Serve(ln)
	t.Cleanup(f.srv.Stop)
	return f
}

// url is the connection string of the fake.
func (f *fakeServer) url() string {
	return "esdb://" + f.addr + "?tls=false&maxDiscoverAttempts=2&discoveryInterval=10"
}

// fail makes the next calls fail with errs, in order.
func (f *fakeServer) fail(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, errs...)
}

func (f *fakeServer) fault() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.faults) == 0 {
		return nil
	}
	err := f.faults[0]
	f.faults = f.faults[1:]
	return err
}

// write stores events directly, as another application or the server
// itself would (foreign streams, system events).
func (f *fakeServer) write(stream, typ string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(stream, uuid.New(), map[string]string{"type": typ, "content-type": "application/octet-stream"}, nil, data)
}

// store appends one event; f.mu is held.
func (f *fakeServer) store(stream string, id uuid.UUID, meta map[string]string, custom, data []byte) *fakeEvent {
	md := map[string]string{"created": strconv.FormatInt(time.Now().UnixNano()/100, 10)}
	for k, v := range meta {
		md[k] = v
	}
	ev := &fakeEvent{id: id, stream: stream, rev: uint64(len(f.streams[stream])), pos: f.next, meta: md, custom: custom, data: data}
	f.next += 100 + uint64(len(data))
	f.all = append(f.all, ev)
	f.streams[stream] = append(f.streams[stream], ev)
	close(f.changed)
	f.changed = make(chan struct{})
	return ev
}

// remove deletes a stream's events from $all as a scavenge after a
// deletion would: the damage the adapter must report, not hide.
func (f *fakeServer) remove(stream string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.streams, stream)
	kept := f.all[:0]
	for _, ev := range f.all {
		if ev.stream != stream {
			kept = append(kept, ev)
		}
	}
	f.all = kept
}

func protoID(id uuid.UUID) *shared.UUID {
	most, least := kurrent.UUIDAsInt64(id)
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}}
}

func fromProtoID(id *shared.UUID) uuid.UUID {
	if s := id.GetStructured(); s != nil {
		u, _ := kurrent.ParseUUIDFromInt64(s.MostSignificantBits, s.LeastSignificantBits)
		return u
	}
	u, _ := uuid.Parse(id.GetString_())
	return u
}

// Append implements the append call with EventStoreDB's rules: an
// expected revision must match the stream's last revision (NoStream: no
// stream), except that proposed events whose IDs are already stored right
// after the expected revision are a retry, answered with success and the
// stored events' position.
func (f *fakeServer) Append(srv api.Streams_AppendServer) error {
	req, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := req.GetOptions()
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	var msgs []*api.AppendReq_ProposedMessage
	for {
		r, err := srv.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		msgs = append(msgs, r.GetProposedMessage())
	}
	if err := f.fault(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.streams[stream]
	cur := int64(len(evs)) - 1
	const any, exists = -2, -4
	var expected int64
	switch o := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		expected = int64(o.Revision)
	case *api.AppendReq_Options_NoStream:
		expected = -1
	case *api.AppendReq_Options_Any:
		expected = any
	case *api.AppendReq_Options_StreamExists:
		expected = exists
	}
	if expected >= -1 && cur > expected && len(msgs) > 0 && int(expected)+len(msgs) < len(evs) &&
		evs[expected+1].id == fromProtoID(msgs[0].GetId()) {
		last := evs[int(expected)+len(msgs)]
		success := &api.AppendResp_Success{CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.rev}}
		if f.noPos {
			success.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
		} else {
			success.PositionOption = &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: last.pos, PreparePosition: last.pos}}
		}
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: success}})
	}
	if !(expected == any || expected == cur || expected == exists && cur >= 0) {
		wrong := &api.AppendResp_WrongExpectedVersion{}
		if cur < 0 {
			wrong.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		} else {
			wrong.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
		}
		switch expected {
		case -1:
			wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		case exists:
			wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		default:
			wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(expected)}
		}
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrong}})
	}
	var last *fakeEvent
	for _, m := range msgs {
		last = f.store(stream, fromProtoID(m.GetId()), m.GetMetadata(), m.GetCustomMetadata(), m.GetData())
	}
	if last == nil {
		return status.Error(codes.InvalidArgument, "no events")
	}
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.rev},
		PositionOption:        &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: last.pos, PreparePosition: last.pos}},
	}}})
}

func readResp(ev *fakeEvent) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoID(ev.id),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(ev.stream)},
			StreamRevision:   ev.rev,
			PreparePosition:  ev.pos,
			CommitPosition:   ev.pos,
			Metadata:         ev.meta,
			CustomMetadata:   ev.custom,
			Data:             ev.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: ev.pos},
	}}}
}

// Read implements stream reads, $all reads (forwards from a position
// inclusive, backwards from one exclusive) and $all subscriptions (from a
// position exclusive, with a stream-prefix filter).
func (f *fakeServer) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	if err := f.fault(); err != nil {
		return err
	}
	o := req.GetOptions()
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	count := o.GetCount()
	f.mu.Lock()
	switch so := o.GetStreamOption().(type) {
	case *api.ReadReq_Options_Stream:
		if o.GetSubscription() != nil {
			f.mu.Unlock()
			return status.Error(codes.Unimplemented, "the fake has no stream subscriptions")
		}
		evs := append([]*fakeEvent(nil), f.streams[string(so.Stream.GetStreamIdentifier().GetStreamName())]...)
		f.mu.Unlock()
		if len(evs) == 0 {
			return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: so.Stream.GetStreamIdentifier()}}})
		}
		var i int64
		switch r := so.Stream.GetRevisionOption().(type) {
		case *api.ReadReq_Options_StreamOptions_Revision:
			i = int64(r.Revision)
		case *api.ReadReq_Options_StreamOptions_Start:
			i = 0
		case *api.ReadReq_Options_StreamOptions_End:
			i = int64(len(evs))
			if backwards {
				i = int64(len(evs)) - 1
			}
		}
		for n := uint64(0); n < count && i >= 0 && i < int64(len(evs)); n++ {
			if err := srv.Send(readResp(evs[i])); err != nil {
				return err
			}
			if backwards {
				i--
			} else {
				i++
			}
		}
		return nil
	case *api.ReadReq_Options_All:
		all := append([]*fakeEvent(nil), f.all...)
		changed := f.changed
		f.mu.Unlock()
		var from uint64 // read events at or after from (forwards), or before it (backwards)
		switch p := so.All.GetAllOption().(type) {
		case *api.ReadReq_Options_AllOptions_Position:
			from = p.Position.GetCommitPosition()
			if f.after {
				from++
			}
		case *api.ReadReq_Options_AllOptions_Start:
			from = 0
		case *api.ReadReq_Options_AllOptions_End:
			from = ^uint64(0)
		}
		if o.GetSubscription() != nil {
			return f.subscribe(srv, o, from, all, changed)
		}
		if backwards {
			n := uint64(0)
			for i := len(all) - 1; i >= 0 && n < count; i-- {
				if all[i].pos < from {
					if err := srv.Send(readResp(all[i])); err != nil {
						return err
					}
					n++
				}
			}
			return nil
		}
		n := uint64(0)
		for _, ev := range all {
			if ev.pos >= from && n < count {
				if err := srv.Send(readResp(ev)); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	}
	f.mu.Unlock()
	return status.Error(codes.InvalidArgument, "no stream option")
}

// subscribe serves a $all subscription: events after from that pass the
// stream-prefix filter, then new ones as they are appended.
func (f *fakeServer) subscribe(srv api.Streams_ReadServer, o *api.ReadReq_Options, from uint64, all []*fakeEvent, changed chan struct{}) error {
	var prefixes []string
	if fo := o.GetFilter(); fo != nil {
		prefixes = fo.GetStreamIdentifier().GetPrefix()
	}
	pass := func(ev *fakeEvent) bool {
		if prefixes == nil {
			return true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(ev.stream, p) {
				return true
			}
		}
		return false
	}
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	if from == ^uint64(0) && len(all) > 0 {
		from = all[len(all)-1].pos
	}
	for {
		for _, ev := range all {
			if ev.pos > from {
				from = ev.pos
				if pass(ev) {
					if err := srv.Send(readResp(ev)); err != nil {
						return err
					}
				}
			}
		}
		select {
		case <-srv.Context().Done():
			return srv.Context().Err()
		case <-changed:
		}
		f.mu.Lock()
		all = append([]*fakeEvent(nil), f.all...)
		changed = f.changed
		f.mu.Unlock()
	}
}

// String describes the fake's log, for failure messages.
func (f *fakeServer) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("fake EventStoreDB at %s: %d events in %d streams", f.addr, len(f.all), len(f.streams))
}

// openFake opens a store on f with a fresh prefix and closes it at the
// end of the test.
func openFake(t testing.TB, f *fakeServer, prefix string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{URL: f.url(), StreamPrefix: prefix + "-", CheckpointStream: prefix + "_checkpoints",
		PollInterval: 50 * time.Millisecond, ConnectTimeout: 5 * time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open on the %s: %v", f, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
