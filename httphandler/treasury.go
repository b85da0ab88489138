package httphandler

import (
	"net/http"

	"github.com/kassapay/kassa/treasury"
)

// treasuryJSON is GET /v1/treasury.
type treasuryJSON struct {
	// Sweeping says whether the sweep pass is on (it is unless kassa.Config.Treasury.NoSweep).
	Sweeping bool                `json:"sweeping"`
	Networks []treasury.Overview `json:"networks"`
	// Sweeps are the latest sweeps (at most 100), newest first.
	Sweeps []*treasury.Sweep `json:"sweeps"`
}

func (h *Handler) treasury(w http.ResponseWriter, r *http.Request) error {
	out := treasuryJSON{Networks: []treasury.Overview{}, Sweeps: []*treasury.Sweep{}}
	if t := h.gw.Treasury(); t != nil {
		out.Sweeping = true
		nets, err := t.Overview(r.Context(), mode(r))
		if err != nil {
			return err
		}
		sw, err := t.Sweeps(r.Context(), mode(r))
		if err != nil {
			return err
		}
		out.Networks = append(out.Networks, nets...)
		out.Sweeps = append(out.Sweeps, sw...)
	}
	ok(w, http.StatusOK, out)
	return nil
}
