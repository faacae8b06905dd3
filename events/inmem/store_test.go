package inmem_test

import (
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/eventstest"
	"github.com/mttq-vn/ledger/events/inmem"
)

func TestStore(t *testing.T) {
	eventstest.TestStore(t, eventstest.Factory{
		Open: func(t *testing.T) events.Store {
			s := inmem.NewStore()
			t.Cleanup(func() { s.Close() })
			return s
		},
	})
}
