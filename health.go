package kassa

import (
	"context"
	"slices"
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
	// State is "ok"; "behind" (more than MaxLag blocks to process); "failing" (the
	// last step failed); "stale" (no successful step for longer than three polls);
	// "starting" (this instance runs it and has not stepped yet); or "elsewhere"
	// (another instance runs it: its state is that instance's to report).
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
// each watcher it runs has stepped recently, successfully, and is at most MaxLag
// blocks behind its node. Watchers another instance runs (several instances on
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
		mine := !running || g.leases.Held(watchLease(n))
		switch {
		case !mine:
			nh.State = "elsewhere"
		case st.Err != "":
			nh.State = "failing"
		case st.Stepped.IsZero():
			nh.State = "starting"
		case now.Sub(st.Stepped) > stale:
			nh.State = "stale"
		case nh.Lag > MaxLag:
			nh.State = "behind"
		}
		if nh.State != "ok" && nh.State != "elsewhere" {
			h.Ready = false
		}
		h.Networks = append(h.Networks, nh)
	}
	slices.SortFunc(h.Networks, func(a, b NetworkHealth) int {
		if a.Network+a.Mode < b.Network+b.Mode {
			return -1
		}
		return 1
	})
	return h
}
