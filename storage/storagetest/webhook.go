package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
)

var webhookTests = []test{
	{"Webhook_Endpoints", testEndpoints},
	{"Webhook_OneDeliveryPerEventAndTarget", testDeliveriesUnique},
	{"Webhook_ClaimDeliveriesLeases", testClaimDeliveries},
	{"Webhook_ClaimDeliveriesConcurrentAreExclusive", testClaimConcurrent},
	{"Webhook_FinishAttemptAndAttempts", testFinishAttempt},
	{"Webhook_ResetDeliveries", testResetDeliveries},
	{"Webhook_GetAndListEvents", testGetListEvents},
	{"Webhook_CallbackSecret", testCallbackSecret},
	{"Webhook_CallbackSecretFirstUseConcurrent", testCallbackSecretConcurrent},
}

// endpoint returns an endpoint record with every field set as the service stores it.
func endpoint(id string, m asset.Mode, created time.Time) webhook.EndpointRecord {
	return webhook.EndpointRecord{
		Endpoint: webhook.Endpoint{ID: id, Mode: m, URL: "https://shop.example.com/hooks/" + id, Description: "orders ☕",
			Events: []string{string(event.InvoicePaid), string(event.InvoiceExpired)}, Enabled: true, CreatedAt: created, UpdatedAt: created},
		Secret: []byte("sealed:" + id + "\x00\xff"),
	}
}

// sameEndpoint compares endpoint records with the mode their JSON form leaves out.
func sameEndpoint(t *testing.T, what string, got, want webhook.EndpointRecord) {
	t.Helper()
	sameJSON(t, what, got, want)
	if got.Mode != want.Mode {
		t.Errorf("%s: mode %q, want %q", what, got.Mode, want.Mode)
	}
}

func getEndpoint(t *testing.T, s storage.Store, m asset.Mode, id string) (webhook.EndpointRecord, error) {
	t.Helper()
	var e webhook.EndpointRecord
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		e, err = tx.GetEndpoint(ctx, m, id)
		return err
	})
	return e, err
}

func endpointIDs(t *testing.T, s storage.Store, m asset.Mode) map[string]webhook.EndpointRecord {
	t.Helper()
	eps := get(t, s, func(ctx context.Context, tx storage.Tx) ([]webhook.EndpointRecord, error) {
		return tx.ListEndpoints(ctx, m)
	})
	out := map[string]webhook.EndpointRecord{}
	for _, e := range eps {
		out[e.ID] = e
	}
	return out
}

// testEndpoints checks InsertEndpoint, GetEndpoint (ErrNotFound for an unknown id or
// one of the other mode), ListEndpoints (one mode), UpdateEndpoint and DeleteEndpoint
// (neither reaching the other mode).
func testEndpoints(t *testing.T, s storage.Store) {
	a, b := endpoint("we_a", asset.Test, t0), endpoint("we_b", asset.Test, at(time.Minute))
	b.Events, b.Enabled, b.DisabledReason = []string{"*"}, false, "failing since 2025-03-09"
	b.FailingSince = ptr(at(-5 * 24 * time.Hour))
	l := endpoint("we_l", asset.Live, t0)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, e := range []webhook.EndpointRecord{a, b, l} {
			if err := tx.InsertEndpoint(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []webhook.EndpointRecord{a, b, l} {
		got, err := getEndpoint(t, s, want.Mode, want.ID)
		if err != nil {
			t.Errorf("GetEndpoint(%s): %v", want.ID, err)
			continue
		}
		sameEndpoint(t, "GetEndpoint "+want.ID, got, want)
	}
	for _, c := range []struct {
		m  asset.Mode
		id string
	}{{asset.Live, "we_a"}, {asset.Test, "we_l"}, {asset.Test, "we_unknown"}} {
		_, err := getEndpoint(t, s, c.m, c.id)
		wantNotFound(t, fmt.Sprintf("GetEndpoint(%s, %s)", c.m, c.id), err, webhook.ErrNotFound)
	}
	test := endpointIDs(t, s, asset.Test)
	if len(test) != 2 {
		t.Fatalf("ListEndpoints(test) = %v, want we_a and we_b", test)
	}
	sameEndpoint(t, "ListEndpoints we_b", test["we_b"], b)
	if live := endpointIDs(t, s, asset.Live); len(live) != 1 {
		t.Errorf("ListEndpoints(live) = %v, want we_l", live)
	}

	// A secret rotation: the new secret, the old one until the window ends.
	upd := a
	upd.URL, upd.Description, upd.Events = "https://shop.example.com/hooks/v2", "", []string{"payout.completed"}
	upd.Secret, upd.OldSecret, upd.OldUntil = []byte("sealed:new"), a.Secret, ptr(at(24*time.Hour))
	upd.FailingSince, upd.UpdatedAt = ptr(at(time.Hour)), at(2*time.Hour)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateEndpoint(ctx, upd) })
	if got, err := getEndpoint(t, s, asset.Test, "we_a"); err != nil {
		t.Error(err)
	} else {
		sameEndpoint(t, "GetEndpoint after UpdateEndpoint", got, upd)
	}
	// The window ended: the old secret is dropped again.
	upd.OldSecret, upd.OldUntil, upd.FailingSince = nil, nil, nil
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateEndpoint(ctx, upd) })
	if got, err := getEndpoint(t, s, asset.Test, "we_a"); err != nil {
		t.Error(err)
	} else if got.OldSecret != nil || got.OldUntil != nil || got.FailingSince != nil {
		t.Errorf("after clearing the rotation: old secret %q until %v, failing since %v", got.OldSecret, got.OldUntil, got.FailingSince)
	}

	// Neither an update nor a delete in the other mode reaches the endpoint.
	other := l
	other.Mode, other.URL = asset.Test, "https://attacker.example.com/"
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateEndpoint(ctx, other) })
	_ = update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteEndpoint(ctx, asset.Test, "we_l") })
	if got, err := getEndpoint(t, s, asset.Live, "we_l"); err != nil {
		t.Errorf("a delete in test mode removed the live endpoint: %v", err)
	} else {
		sameEndpoint(t, "the live endpoint after an update in test mode", got, l)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteEndpoint(ctx, asset.Test, "we_a") })
	_, err := getEndpoint(t, s, asset.Test, "we_a")
	wantNotFound(t, "GetEndpoint after DeleteEndpoint", err, webhook.ErrNotFound)
	if test := endpointIDs(t, s, asset.Test); len(test) != 1 || test["we_b"].ID != "we_b" {
		t.Errorf("ListEndpoints(test) after the delete = %v, want we_b", test)
	}
}

// delivery returns a pending delivery of event to target, due at next.
func delivery(id, eventID, target string, m asset.Mode, next time.Time) webhook.Delivery {
	return webhook.Delivery{ID: id, EventID: eventID, Target: target, URL: "https://shop.example.com/hooks/" + target, Mode: m,
		Status: webhook.DeliveryPending, NextAt: next, CreatedAt: t0, UpdatedAt: t0}
}

func insertDeliveries(t *testing.T, s storage.Store, ds ...webhook.Delivery) {
	t.Helper()
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, d := range ds {
			if err := tx.InsertDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
}

func deliveries(t *testing.T, s storage.Store, eventID string) map[string]webhook.Delivery {
	t.Helper()
	ds := get(t, s, func(ctx context.Context, tx storage.Tx) ([]webhook.Delivery, error) {
		return tx.Deliveries(ctx, eventID)
	})
	out := map[string]webhook.Delivery{}
	for _, d := range ds {
		out[d.ID] = d
	}
	if len(out) != len(ds) {
		t.Errorf("Deliveries(%s) listed one twice: %+v", eventID, ds)
	}
	return out
}

// sameDelivery compares deliveries with the fields their JSON form leaves out.
func sameDelivery(t *testing.T, what string, got, want webhook.Delivery) {
	t.Helper()
	sameJSON(t, what, got, want)
	if got.Mode != want.Mode || !got.ClaimedUntil.Equal(want.ClaimedUntil) {
		t.Errorf("%s: mode %q claimed until %v, want %q %v", what, got.Mode, got.ClaimedUntil, want.Mode, want.ClaimedUntil)
	}
}

// testDeliveriesUnique checks InsertDelivery (one per event and target, later ones
// ignored without an error: fan-out may run again after a crash) and Deliveries.
func testDeliveriesUnique(t *testing.T, s storage.Store) {
	insertEvents(t, s, newEvent("evt_1", event.InvoicePaid, asset.Test, "inv_1", t0), newEvent("evt_2", event.InvoicePaid, asset.Test, "inv_2", t0))
	first := delivery("whd_1", "evt_1", "we_a", asset.Test, t0)
	callback := delivery("whd_2", "evt_1", webhook.CallbackTarget, asset.Test, t0)
	callback.URL = "https://shop.example.com/kassa/callback"
	insertDeliveries(t, s, first, callback, delivery("whd_3", "evt_2", "we_a", asset.Test, t0))
	again := delivery("whd_again", "evt_1", "we_a", asset.Test, at(time.Hour))
	again.URL = "https://elsewhere.example.com/"
	insertDeliveries(t, s, again)
	got := deliveries(t, s, "evt_1")
	if len(got) != 2 {
		t.Fatalf("Deliveries(evt_1) = %v, want whd_1 and whd_2", got)
	}
	sameDelivery(t, "Deliveries(evt_1) whd_1", got["whd_1"], first)
	sameDelivery(t, "Deliveries(evt_1) whd_2", got["whd_2"], callback)
	if got := deliveries(t, s, "evt_2"); len(got) != 1 || got["whd_3"].ID != "whd_3" {
		t.Errorf("Deliveries(evt_2) = %v, want whd_3", got)
	}
	if got := deliveries(t, s, "evt_unknown"); len(got) != 0 {
		t.Errorf("Deliveries of an unknown event = %v", got)
	}
}

func claim(t *testing.T, s storage.Store, now, until time.Time, limit int) []string {
	t.Helper()
	var ids []string
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		ds, err := tx.ClaimDeliveries(ctx, now, until, limit)
		for _, d := range ds {
			if !d.ClaimedUntil.Equal(until) {
				return fmt.Errorf("claimed %s until %v, want %v", d.ID, d.ClaimedUntil, until)
			}
			ids = append(ids, d.ID)
		}
		return err
	})
	sort.Strings(ids)
	return ids
}

// testClaimDeliveries checks ClaimDeliveries: pending deliveries of every mode due at
// now and not leased, up to limit, each leased until the given time; a lease that
// ended can be claimed again.
func testClaimDeliveries(t *testing.T, s storage.Store) {
	insertEvents(t, s, newEvent("evt_1", event.InvoicePaid, asset.Test, "inv_1", t0), newEvent("evt_l", event.InvoicePaid, asset.Live, "inv_l", t0))
	done := delivery("whd_done", "evt_1", "we_d", asset.Test, at(-time.Hour))
	done.Status = webhook.DeliverySucceeded
	failed := delivery("whd_failed", "evt_1", "we_f", asset.Test, at(-time.Hour))
	failed.Status = webhook.DeliveryFailed
	insertDeliveries(t, s,
		delivery("whd_now", "evt_1", "we_a", asset.Test, t0),
		delivery("whd_early", "evt_1", "we_b", asset.Test, at(-time.Minute)),
		delivery("whd_later", "evt_1", "we_c", asset.Test, at(time.Minute)),
		delivery("whd_live", "evt_l", "we_l", asset.Live, t0),
		done, failed,
	)
	lease := 80 * time.Second
	if got := claim(t, s, t0, at(lease), 100); !slices.Equal(got, []string{"whd_early", "whd_live", "whd_now"}) {
		t.Fatalf("ClaimDeliveries(t0) = %v, want the pending deliveries due", got)
	}
	if got := claim(t, s, t0, at(lease), 100); len(got) != 0 {
		t.Errorf("ClaimDeliveries of leased deliveries = %v", got)
	}
	d := deliveries(t, s, "evt_1")["whd_now"]
	if !d.ClaimedUntil.Equal(at(lease)) || d.Status != webhook.DeliveryPending {
		t.Errorf("a claimed delivery: %+v", d)
	}
	if got := claim(t, s, at(time.Minute), at(time.Minute+lease), 100); !slices.Equal(got, []string{"whd_later"}) {
		t.Errorf("ClaimDeliveries(t0+1m) = %v, want whd_later (the others are leased)", got)
	}
	// The first leases ended: those deliveries' dispatcher died; they are claimed again.
	if got := claim(t, s, at(lease+time.Second), at(2*lease), 2); len(got) != 2 {
		t.Errorf("ClaimDeliveries with limit 2 = %v", got)
	}
	if got := claim(t, s, at(lease+time.Second), at(2*lease), 100); len(got) != 1 {
		t.Errorf("ClaimDeliveries of the last expired lease = %v", got)
	}
}

// testClaimConcurrent has several dispatchers claim in concurrent transactions: each
// delivery goes to exactly one (FOR UPDATE SKIP LOCKED on a shared database).
func testClaimConcurrent(t *testing.T, s storage.Store) {
	insertEvents(t, s, newEvent("evt_1", event.InvoicePaid, asset.Test, "inv_1", t0))
	const total = 60
	var ds []webhook.Delivery
	for i := range total {
		ds = append(ds, delivery(fmt.Sprintf("whd_%02d", i), "evt_1", fmt.Sprintf("we_%02d", i), asset.Test, at(-time.Duration(i)*time.Second)))
	}
	insertDeliveries(t, s, ds...)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				var batch []webhook.Delivery
				err := s.Update(t.Context(), func(ctx context.Context, tx storage.Tx) error {
					var err error
					batch, err = tx.ClaimDeliveries(ctx, t0, at(time.Minute), 3)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				claims := 0
				for _, d := range batch {
					got[d.ID]++
				}
				for _, c := range got {
					claims += c
				}
				mu.Unlock()
				if claims > total {
					errs <- fmt.Errorf("%d claims of %d deliveries: leases are not exclusive", claims, total)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, d := range ds {
		if got[d.ID] != 1 {
			t.Errorf("%s claimed %d times, want once", d.ID, got[d.ID])
		}
	}
}

// testFinishAttempt checks FinishAttempt and Attempts: the delivery's new state is
// stored, the lease it held with it (the dispatcher clears ClaimedUntil, so a retry
// due before the lease's end is claimed when due), and every attempt in order.
func testFinishAttempt(t *testing.T, s storage.Store) {
	insertEvents(t, s, newEvent("evt_1", event.InvoicePaid, asset.Test, "inv_1", t0))
	insertDeliveries(t, s, delivery("whd_1", "evt_1", "we_a", asset.Test, t0), delivery("whd_2", "evt_1", "we_b", asset.Test, t0))
	if got := claim(t, s, t0, at(10*time.Minute), 1); len(got) != 1 {
		t.Fatalf("claimed %v", got)
	}
	d := deliveries(t, s, "evt_1")["whd_1"]
	if d.ClaimedUntil.IsZero() {
		d = deliveries(t, s, "evt_1")["whd_2"]
	}
	a1 := webhook.Attempt{DeliveryID: d.ID, N: 1, At: at(time.Second), StatusCode: 500, Latency: 1234567 * time.Microsecond,
		Error: "HTTP 500", Response: `{"error":"database is down ☹"}`}
	d.Attempts, d.Status, d.NextAt, d.LastError = 1, webhook.DeliveryPending, at(time.Minute), "HTTP 500"
	d.ClaimedUntil, d.UpdatedAt = time.Time{}, at(time.Second)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.FinishAttempt(ctx, d, a1) })
	sameDelivery(t, "the delivery after its first attempt", deliveries(t, s, "evt_1")[d.ID], d)
	if got := claim(t, s, at(30*time.Second), at(time.Hour), 100); slices.Contains(got, d.ID) {
		t.Errorf("claimed %s before its retry is due", d.ID)
	}
	if got := claim(t, s, at(time.Minute), at(time.Minute+80*time.Second), 100); !slices.Equal(got, []string{d.ID}) {
		t.Errorf("ClaimDeliveries when the retry is due = %v, want %s (its first lease ended with the attempt)", got, d.ID)
	}
	a2 := webhook.Attempt{DeliveryID: d.ID, N: 2, At: at(time.Minute + time.Second), StatusCode: 204, Latency: 35 * time.Millisecond}
	d.Attempts, d.Status, d.LastError, d.UpdatedAt = 2, webhook.DeliverySucceeded, "", a2.At
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.FinishAttempt(ctx, d, a2) })
	sameDelivery(t, "the delivery after it succeeded", deliveries(t, s, "evt_1")[d.ID], d)
	attempts := get(t, s, func(ctx context.Context, tx storage.Tx) ([]webhook.Attempt, error) { return tx.Attempts(ctx, d.ID) })
	sameJSON(t, "Attempts", attempts, []webhook.Attempt{a1, a2})
	if got := claim(t, s, at(time.Hour), at(2*time.Hour), 100); slices.Contains(got, d.ID) {
		t.Errorf("a succeeded delivery was claimed: %v", got)
	}
	other := "whd_1"
	if d.ID == other {
		other = "whd_2"
	}
	if got := get(t, s, func(ctx context.Context, tx storage.Tx) ([]webhook.Attempt, error) { return tx.Attempts(ctx, other) }); len(got) != 0 {
		t.Errorf("Attempts of a delivery never attempted = %+v", got)
	}
}

// testResetDeliveries checks ResetDeliveries: every delivery of the event, whatever
// its state and lease, pending again and due at now; other events' untouched.
func testResetDeliveries(t *testing.T, s storage.Store) {
	insertEvents(t, s, newEvent("evt_1", event.InvoicePaid, asset.Test, "inv_1", t0), newEvent("evt_2", event.InvoicePaid, asset.Test, "inv_2", t0))
	ok := delivery("whd_ok", "evt_1", "we_a", asset.Test, at(-time.Hour))
	ok.Status, ok.Attempts = webhook.DeliverySucceeded, 1
	failed := delivery("whd_failed", "evt_1", "we_b", asset.Test, at(-time.Hour))
	failed.Status, failed.Attempts, failed.LastError = webhook.DeliveryFailed, 6, "HTTP 503"
	insertDeliveries(t, s, ok, failed, delivery("whd_leased", "evt_1", "we_c", asset.Test, at(-time.Minute)),
		delivery("whd_other", "evt_2", "we_a", asset.Test, at(time.Hour)))
	claim(t, s, t0, at(time.Hour), 100) // leases whd_leased
	now := at(time.Minute)
	var n int
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		n, err = tx.ResetDeliveries(ctx, "evt_1", now)
		return err
	})
	if n != 3 {
		t.Errorf("ResetDeliveries = %d, want 3", n)
	}
	for id, d := range deliveries(t, s, "evt_1") {
		if d.Status != webhook.DeliveryPending || !d.NextAt.Equal(now) {
			t.Errorf("%s after ResetDeliveries: %s due %v, want pending due %v", id, d.Status, d.NextAt, now)
		}
	}
	if got := claim(t, s, now, at(2*time.Minute), 100); !slices.Equal(got, []string{"whd_failed", "whd_leased", "whd_ok"}) {
		t.Errorf("ClaimDeliveries after ResetDeliveries = %v, want every delivery of evt_1 (the lease too)", got)
	}
	if d := deliveries(t, s, "evt_2")["whd_other"]; !d.NextAt.Equal(at(time.Hour)) {
		t.Errorf("ResetDeliveries moved another event's delivery: %+v", d)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		n, err = tx.ResetDeliveries(ctx, "evt_unknown", now)
		return err
	})
	if n != 0 {
		t.Errorf("ResetDeliveries of an unknown event = %d", n)
	}
}

// testGetListEvents checks GetEvent (ErrNotFound for an unknown id or one of the other
// mode) and ListEvents: one mode, newest first, filtered by type, paged, with
// the total.
func testGetListEvents(t *testing.T, s storage.Store) {
	var evs []event.Event
	for i, typ := range []event.Type{event.InvoiceCreated, event.InvoicePaid, event.InvoiceCreated, "payout.created", event.InvoicePaid} {
		evs = append(evs, newEvent(fmt.Sprintf("evt_%d", i), typ, asset.Test, fmt.Sprintf("obj_%d", i), at(time.Duration(i)*time.Second)))
	}
	live := newEvent("evt_live", event.InvoicePaid, asset.Live, "inv_live", t0)
	seqs := insertEvents(t, s, append(evs, live)...)
	for i := range evs {
		evs[i].Seq = seqs[i]
	}
	live.Seq = seqs[len(seqs)-1]
	getEvent := func(m asset.Mode, id string) (event.Event, error) {
		var e event.Event
		err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
			var err error
			e, err = tx.GetEvent(ctx, m, id)
			return err
		})
		return e, err
	}
	for _, want := range []event.Event{evs[3], live} {
		if got, err := getEvent(want.Mode, want.ID); err != nil {
			t.Errorf("GetEvent(%s): %v", want.ID, err)
		} else {
			sameEvent(t, "GetEvent "+want.ID, got, want)
		}
	}
	for _, c := range []struct {
		m  asset.Mode
		id string
	}{{asset.Live, "evt_0"}, {asset.Test, "evt_live"}, {asset.Test, "evt_unknown"}} {
		_, err := getEvent(c.m, c.id)
		wantNotFound(t, fmt.Sprintf("GetEvent(%s, %s)", c.m, c.id), err, webhook.ErrNotFound)
	}
	list := func(m asset.Mode, typ string, page, limit int) ([]string, int) {
		var ids []string
		var total int
		mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
			es, n, err := tx.ListEvents(ctx, m, typ, nil, page, limit)
			for _, e := range es {
				ids = append(ids, e.ID)
			}
			total = n
			return err
		})
		return ids, total
	}
	var first []event.Event
	mustView(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		first, _, err = tx.ListEvents(ctx, asset.Test, "", nil, 1, 1)
		return err
	})
	if len(first) == 1 {
		sameEvent(t, "ListEvents[0]", first[0], evs[4])
	}
	for _, c := range []struct {
		m           asset.Mode
		typ         string
		page, limit int
		want        []string
		total       int
	}{
		{asset.Test, "", 1, 2, []string{"evt_4", "evt_3"}, 5},
		{asset.Test, "", 3, 2, []string{"evt_0"}, 5},
		{asset.Test, "", 4, 2, nil, 5},
		{asset.Test, string(event.InvoicePaid), 1, 10, []string{"evt_4", "evt_1"}, 2},
		{asset.Test, string(event.InvoiceCreated), 2, 1, []string{"evt_0"}, 2},
		{asset.Test, string(event.InvoiceExpired), 1, 10, nil, 0},
		{asset.Live, "", 1, 10, []string{"evt_live"}, 1},
	} {
		if ids, total := list(c.m, c.typ, c.page, c.limit); !slices.Equal(ids, c.want) || total != c.total {
			t.Errorf("ListEvents(%s, %q, page %d, limit %d) = %v (total %d), want %v (total %d)",
				c.m, c.typ, c.page, c.limit, ids, total, c.want, c.total)
		}
	}
}

// testCallbackSecret checks CallbackSecret (ok false before one is set) and
// SetCallbackSecret, per mode.
func testCallbackSecret(t *testing.T, s storage.Store) {
	secret := func(m asset.Mode) ([]byte, bool) {
		return find(t, s, func(ctx context.Context, tx storage.Tx) ([]byte, bool, error) { return tx.CallbackSecret(ctx, m) })
	}
	if v, ok := secret(asset.Test); ok {
		t.Fatalf("CallbackSecret in a fresh store: %q", v)
	}
	sealed := []byte{0x01, 0x00, 0xfe, 's', 'e', 'a', 'l', 'e', 'd'}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SetCallbackSecret(ctx, asset.Test, sealed) })
	if v, ok := secret(asset.Test); !ok || string(v) != string(sealed) {
		t.Errorf("CallbackSecret(test) = %x, %v; want %x", v, ok, sealed)
	}
	if v, ok := secret(asset.Live); ok {
		t.Errorf("CallbackSecret(live) = %x: only test mode's was set", v)
	}
}

// testCallbackSecretConcurrent: two transactions make the url_callback secret on
// first use at once, as webhook's callbackSecret does (read it, store a new one when
// there is none). The second must end with the secret the first committed, not
// replace it: the first has already signed deliveries with it, or shown it to the
// merchant, who could then never verify another callback. On a store that does not
// serialise writers, the second store fails (a concurrent one stored it first) and
// the transaction runs again, finding it.
func testCallbackSecretConcurrent(t *testing.T, s storage.Store) {
	firstUse := func(secret string, got *string) func(context.Context, storage.Tx) error {
		return func(ctx context.Context, tx storage.Tx) error {
			sealed, ok, err := tx.CallbackSecret(ctx, asset.Live)
			if err != nil || ok {
				*got = string(sealed)
				return err
			}
			*got = secret
			return tx.SetCallbackSecret(ctx, asset.Live, []byte(secret))
		}
	}
	var first, second string
	overlap(t, s, firstUse("sealed first", &first), firstUse("sealed second", &second))
	sealed, _ := find(t, s, func(ctx context.Context, tx storage.Tx) ([]byte, bool, error) {
		return tx.CallbackSecret(ctx, asset.Live)
	})
	stored := string(sealed)
	if first != "sealed first" || second != first || stored != first {
		t.Fatalf("first use at once: the first made %q, the second ended with %q, %q is stored; want the first's everywhere",
			first, second, stored)
	}
}
