package kassa

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/kassapay/kassa/storage"
)

// Health is what Ready found: whether this instance can take payments now.
type Health struct {
	// Ready is true when the database answers and every chain watcher this instance
	// runs is current.
	Ready bool `json:"ready"`
	// Database is "ok" or why it does not answer.
	Database string `json:"database"`
	// Networks are the watchers, one per network and mode.
	Networks []NetworkHealth `json:"networks"`
}

// NetworkHealth is one chain watcher's state.
type NetworkHealth struct {
	Network string `json:"network"`
	Mode    string `json:"mode"`
	// State is "ok" (a step failed since the last success, within three polls, is
	// still ok: Error says why); "behind" (more than MaxLag blocks to process);
	// "failing" (no successful step for longer than three polls, and the last one
	// failed); "stale" (no step, successful or not, for that long); "starting" (this
	// instance runs it and has not stepped yet); "elsewhere" (another instance runs
	// it: its state is that instance's to report); or "idle" (no Run in this process:
	// nothing here steps it). Only starting, failing, stale and behind make the
	// instance not ready: one failed call to a node does not take the API away.
	State string `json:"state"`
	// Height is the last block processed, Tip the node's best block then, Lag the
	// difference.
	Height uint64 `json:"height"`
	Tip    uint64 `json:"tip"`
	Lag    uint64 `json:"lag"`
	// LastStep is when the watcher last stepped successfully.
	LastStep *time.Time `json:"last_step,omitempty"`
	// Error is why the last step failed.
	Error string `json:"error,omitempty"`
}

// MaxLag is how many blocks a watcher may have left to process and still be ready.
const MaxLag = 3

// Ready reports whether this instance can take payments: its database answers and
// each watcher it runs has stepped successfully within three polls (and a little) and
// is at most MaxLag blocks behind its node. Watchers another instance runs (several instances on
// one database) do not count. For a readiness probe (httphandler serves it at
// /readyz); it makes one small read and no network calls.
func (g *Gateway) Ready(ctx context.Context) Health {
	h := Health{Ready: true, Database: "ok", Networks: []NetworkHealth{}}
	if err := g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		_, _, err := tx.Setting(ctx, masterKeyCheck)
		return err
	}); err != nil {
		h.Ready, h.Database = false, err.Error()
	}
	now := g.now()
	stale := 3*g.pollInterval + 30*time.Second
	running := g.running.Load() > 0
	for n, w := range g.watchers {
		st := w.Status()
		nh := NetworkHealth{Network: string(n.ID), Mode: string(n.Mode), Height: st.Height, Tip: st.Tip,
			Lag: st.Tip - min(st.Tip, st.Height), Error: st.Err, State: "ok"}
		if !st.Stepped.IsZero() {
			t := st.Stepped
			nh.LastStep = &t
		}
		switch {
		case running && !g.leases.Held(watchLease(n)):
			nh.State = "elsewhere"
		case st.Stepped.IsZero() && !running:
			nh.State = "idle" // nothing steps it in this process (no Run): not this instance's to vouch for
		case st.Stepped.IsZero():
			nh.State = "starting"
		case now.Sub(st.Stepped) > stale && st.Err != "":
			nh.State = "failing"
		case now.Sub(st.Stepped) > stale:
			nh.State = "stale"
		case nh.Lag > MaxLag:
			nh.State = "behind"
		}
		if nh.State == "starting" || nh.State == "failing" || nh.State == "stale" || nh.State == "behind" {
			h.Ready = false
		}
		h.Networks = append(h.Networks, nh)
	}
	slices.SortFunc(h.Networks, func(a, b NetworkHealth) int {
		return cmp.Or(strings.Compare(a.Network, b.Network), strings.Compare(a.Mode, b.Mode))
	})
	return h
}
