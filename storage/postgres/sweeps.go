package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kassapay/kassa/storage/internal/storeutil"
	"github.com/shopspring/decimal"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/treasury"
)

// SweepCandidates implements treasury.Tx.
func (t *tx) SweepCandidates(ctx context.Context, n chains.NetworkRef, limit int) ([]treasury.Candidate, error) {
	type row struct{ addr, code, id string }
	rows, err := all(ctx, t, func(r scanner) (row, error) {
		var x row
		err := r.Scan(&x.addr, &x.code, &x.id)
		return x, err
	}, `SELECT address, asset, id FROM chain_transfers
		WHERE network = $1 AND mode = $2 AND booked = 'available' AND NOT swept AND NOT out ORDER BY address, asset, id`,
		string(n.ID), string(n.Mode))
	if err != nil {
		return nil, err
	}
	var out []treasury.Candidate
	for _, x := range rows {
		if k := len(out); k > 0 && out[k-1].Address == x.addr && out[k-1].Asset == x.code {
			out[k-1].Transfers = append(out[k-1].Transfers, x.id)
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, treasury.Candidate{Address: x.addr, Asset: x.code, Transfers: []string{x.id}})
	}
	return out, nil
}

// MarkSwept implements treasury.Tx.
func (t *tx) MarkSwept(ctx context.Context, n chains.NetworkRef, ids []string, swept bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := t.exec(ctx, `UPDATE chain_transfers SET swept = $1 WHERE network = $2 AND mode = $3 AND id = ANY($4)`,
		swept, string(n.ID), string(n.Mode), ids)
	return err
}

// InsertSweep implements treasury.Tx.
func (t *tx) InsertSweep(ctx context.Context, s *treasury.Sweep) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO sweeps (id, network, mode, kind, address, asset, status, created_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.ID, string(s.Network), string(s.Mode), storeutil.SweepKind(s), s.Address, s.Asset, string(s.Status), ts(s.CreatedAt), string(body))
	return err
}

// UpdateSweep implements treasury.Tx.
func (t *tx) UpdateSweep(ctx context.Context, s *treasury.Sweep) error {
	if err := t.writable(); err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE sweeps SET status = $1, body = $2 WHERE id = $3`, string(s.Status), string(body), s.ID)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("postgres: no sweep %s", s.ID)
	}
	return nil
}

func scanSweep(row scanner) (*treasury.Sweep, error) {
	var body []byte
	var mode string
	if err := row.Scan(&body, &mode); err != nil {
		return nil, err
	}
	var s treasury.Sweep
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("postgres: stored sweep: %w", err)
	}
	s.Mode = asset.Mode(mode)
	return &s, nil
}

// OpenSweeps implements treasury.Tx.
func (t *tx) OpenSweeps(ctx context.Context, n chains.NetworkRef) ([]*treasury.Sweep, error) {
	return all(ctx, t, scanSweep, `SELECT body, mode FROM sweeps WHERE network = $1 AND mode = $2 AND status IN ('topping_up', 'sweeping')
		ORDER BY created_at, id`, string(n.ID), string(n.Mode))
}

// ColdForwarded implements treasury.Tx.
func (t *tx) ColdForwarded(ctx context.Context, n chains.NetworkRef) (map[string]decimal.Decimal, error) {
	done, err := all(ctx, t, scanSweep, `SELECT body, mode FROM sweeps WHERE network = $1 AND mode = $2 AND kind = 'cold' AND status = 'completed'`,
		string(n.ID), string(n.Mode))
	out := map[string]decimal.Decimal{}
	for _, s := range done {
		out[s.Asset] = out[s.Asset].Add(s.Amount)
	}
	return out, err
}

// ListSweeps implements treasury.Tx.
func (t *tx) ListSweeps(ctx context.Context, m asset.Mode, limit int) ([]*treasury.Sweep, error) {
	return all(ctx, t, scanSweep, `SELECT body, mode FROM sweeps WHERE mode = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, string(m), limit)
}
