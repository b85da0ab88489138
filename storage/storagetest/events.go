package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/storage"
)

var eventTests = []test{
	{"Event_OutboxOrderAndPaging", testOutbox},
	{"Event_SubscriberCursor", testSubscriberCursor},
	{"Event_ReaderFollowingWritersMissesNothing", testOutboxConcurrent},
}

// newEvent returns an event of mode about object, as the services write them.
func newEvent(id string, typ event.Type, m asset.Mode, object string, created time.Time) event.Event {
	return event.Event{ID: id, Type: typ, CreatedAt: created, Mode: m, Livemode: m == asset.Live, ObjectID: object,
		Data: json.RawMessage(fmt.Sprintf(`{"id":%q,"amount":"100.50","metadata":{"note":"café ☕"}}`, object))}
}

func insertEvents(t *testing.T, s storage.Store, evs ...event.Event) []int64 {
	t.Helper()
	var seqs []int64
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, e := range evs {
			seq, err := tx.InsertEvent(ctx, e)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	return seqs
}

// sameEvent compares events with the fields their JSON form leaves out.
func sameEvent(t *testing.T, what string, got, want event.Event) {
	t.Helper()
	sameJSON(t, what, got, want)
	if got.Seq != want.Seq || got.Mode != want.Mode || got.ObjectID != want.ObjectID {
		t.Errorf("%s: seq %d mode %s object %s, want %d %s %s", what, got.Seq, got.Mode, got.ObjectID, want.Seq, want.Mode, want.ObjectID)
	}
}

// testOutbox checks InsertEvent (increasing sequence numbers; a rolled-back event
// never appears) and EventsAfter: events of every mode, in order, after a sequence
// number, up to a limit.
func testOutbox(t *testing.T, s storage.Store) {
	evs := []event.Event{
		newEvent("evt_1", event.InvoiceCreated, asset.Test, "inv_1", t0),
		newEvent("evt_2", event.InvoicePaid, asset.Live, "inv_2", at(time.Second)),
		newEvent("evt_3", "payout.created", asset.Test, "po_1", at(2*time.Second)),
	}
	seqs := insertEvents(t, s, evs[:2]...)
	// A rolled-back event never appears.
	boom := errors.New("boom")
	err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if _, err := tx.InsertEvent(ctx, newEvent("evt_rolled_back", event.InvoicePaid, asset.Test, "inv_x", t0)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	seqs = append(seqs, insertEvents(t, s, evs[2:]...)...)
	for i := range evs {
		evs[i].Seq = seqs[i]
		if i > 0 && seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence numbers %v are not increasing", seqs)
		}
	}
	after := func(seq int64, limit int) []event.Event {
		return get(t, s, func(ctx context.Context, tx storage.Tx) ([]event.Event, error) {
			return tx.EventsAfter(ctx, seq, limit)
		})
	}
	got := after(0, 100)
	if len(got) != 3 {
		t.Fatalf("EventsAfter(0) returned %d events, want 3 (the rolled-back one never): %+v", len(got), got)
	}
	for i := range got {
		sameEvent(t, fmt.Sprintf("EventsAfter(0)[%d]", i), got[i], evs[i])
	}
	if got := after(seqs[0], 1); len(got) != 1 || got[0].ID != "evt_2" {
		t.Errorf("EventsAfter(first, limit 1) = %+v, want evt_2", got)
	}
	if got := after(seqs[1], 10); len(got) != 1 || got[0].ID != "evt_3" {
		t.Errorf("EventsAfter(second) = %+v, want evt_3", got)
	}
	if got := after(seqs[2], 10); len(got) != 0 {
		t.Errorf("EventsAfter(last) = %+v, want none", got)
	}
}

// testSubscriberCursor checks SubscriberCursor (0 for a new subscriber) and
// SetSubscriberCursor (an upsert, per name, never backwards, undone by a rollback).
func testSubscriberCursor(t *testing.T, s storage.Store) {
	cursor := func(name string) int64 {
		return get(t, s, func(ctx context.Context, tx storage.Tx) (int64, error) { return tx.SubscriberCursor(ctx, name) })
	}
	if c := cursor("webhook.fanout"); c != 0 {
		t.Fatalf("new subscriber's cursor %d, want 0", c)
	}
	set := func(name string, seq int64) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SetSubscriberCursor(ctx, name, seq) })
	}
	set("webhook.fanout", 7)
	set("webhook.fanout", 12)
	set("webhook.fanout", 9) // a deliverer that overlapped for a moment: never back
	set("gateway.subscribers", 3)
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.SetSubscriberCursor(ctx, "webhook.fanout", 99); err != nil {
			return err
		}
		return errors.New("crash before commit")
	})
	if c := cursor("webhook.fanout"); c != 12 {
		t.Errorf("webhook.fanout cursor %d, want 12", c)
	}
	if c := cursor("gateway.subscribers"); c != 3 {
		t.Errorf("gateway.subscribers cursor %d, want 3", c)
	}
}

// testOutboxConcurrent has writers append events in concurrent transactions while a
// reader pages through the outbox as the dispatcher does (EventsAfter from the last
// sequence number it saw). The reader must see every event exactly once, in
// increasing order: a backend whose sequence numbers can become visible out of order
// (a later number committed before an earlier one) would make it skip events.
func testOutboxConcurrent(t *testing.T, s storage.Store) {
	const writers, perWriter, perTx = 4, 30, 3
	var writing sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, writers+1)
	for w := range writers {
		writing.Go(func() {
			for i := 0; i < perWriter; i += perTx {
				err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
					for j := range perTx {
						id := fmt.Sprintf("evt_w%d_%d", w, i+j)
						if _, err := tx.InsertEvent(ctx, newEvent(id, event.InvoiceCreated, asset.Test, "inv_"+id, t0)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	seen := map[string]int{}
	var reading sync.WaitGroup
	reading.Go(func() {
		var cursor int64
		for {
			finished := done.Load() // read before the page: a page after it sees every event
			var page []event.Event
			err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
				var err error
				page, err = tx.EventsAfter(ctx, cursor, 7)
				return err
			})
			if err != nil {
				errs <- err
				return
			}
			for _, e := range page {
				if e.Seq <= cursor {
					errs <- fmt.Errorf("EventsAfter(%d) returned seq %d", cursor, e.Seq)
					return
				}
				cursor = e.Seq
				seen[e.ID]++
			}
			if len(page) == 0 && finished {
				return
			}
		}
	})
	writing.Wait()
	done.Store(true)
	reading.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range writers {
		for i := range perWriter {
			if id := fmt.Sprintf("evt_w%d_%d", w, i); seen[id] != 1 {
				t.Errorf("the reader saw %s %d times, want once", id, seen[id])
			}
		}
	}
	if len(seen) != writers*perWriter {
		t.Errorf("the reader saw %d events, want %d", len(seen), writers*perWriter)
	}
}
