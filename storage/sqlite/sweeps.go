package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kassapay/kassa/storage/internal/storeutil"
	"github.com/shopspring/decimal"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/treasury"
)

// SweepCandidates implements treasury.Tx.
func (t *tx) SweepCandidates(ctx context.Context, n chains.NetworkRef, limit int) ([]treasury.Candidate, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT address, asset, id FROM chain_transfers
		WHERE network = ? AND mode = ? AND booked = 'available' AND swept = 0 AND out = 0 ORDER BY address, asset, id`,
		string(n.ID), string(n.Mode))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []treasury.Candidate
	for rows.Next() {
		var addr, code, id string
		if err := rows.Scan(&addr, &code, &id); err != nil {
			return nil, err
		}
		if k := len(out); k > 0 && out[k-1].Address == addr && out[k-1].Asset == code {
			out[k-1].Transfers = append(out[k-1].Transfers, id)
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, treasury.Candidate{Address: addr, Asset: code, Transfers: []string{id}})
	}
	return out, rows.Err()
}

// MarkSwept implements treasury.Tx.
func (t *tx) MarkSwept(ctx context.Context, n chains.NetworkRef, ids []string, swept bool) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	args := []any{swept, string(n.ID), string(n.Mode)}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE chain_transfers SET swept = ? WHERE network = ? AND mode = ? AND id IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, args...)
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
	_, err = t.tx.ExecContext(ctx, `INSERT INTO sweeps (id, network, mode, kind, address, asset, status, created_at, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, string(s.Network), string(s.Mode), storeutil.SweepKind(s), s.Address, s.Asset, string(s.Status), micros(s.CreatedAt), string(body))
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
	res, err := t.tx.ExecContext(ctx, `UPDATE sweeps SET status = ?, body = ? WHERE id = ?`, string(s.Status), string(body), s.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("sqlite: no sweep %s", s.ID)
	}
	return nil
}

func scanSweep(row scanner) (*treasury.Sweep, error) {
	var body, mode string
	if err := row.Scan(&body, &mode); err != nil {
		return nil, err
	}
	var s treasury.Sweep
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return nil, fmt.Errorf("sqlite: stored sweep: %w", err)
	}
	s.Mode = asset.Mode(mode)
	return &s, nil
}

// OpenSweeps implements treasury.Tx.
func (t *tx) OpenSweeps(ctx context.Context, n chains.NetworkRef) ([]*treasury.Sweep, error) {
	return all(ctx, t, scanSweep, `SELECT body, mode FROM sweeps WHERE network = ? AND mode = ? AND status IN ('topping_up', 'sweeping')
		ORDER BY created_at, id`, string(n.ID), string(n.Mode))
}

// ColdForwarded implements treasury.Tx.
func (t *tx) ColdForwarded(ctx context.Context, n chains.NetworkRef) (map[string]decimal.Decimal, error) {
	done, err := all(ctx, t, scanSweep, `SELECT body, mode FROM sweeps WHERE network = ? AND mode = ? AND kind = 'cold' AND status = 'completed'`,
		string(n.ID), string(n.Mode))
	out := map[string]decimal.Decimal{}
	for _, s := range done {
		out[s.Asset] = out[s.Asset].Add(s.Amount)
	}
	return out, err
}

// ListSweeps implements treasury.Tx.
func (t *tx) ListSweeps(ctx context.Context, m asset.Mode, limit int) ([]*treasury.Sweep, error) {
	return all(ctx, t, scanSweep, `SELECT body, mode FROM sweeps WHERE mode = ? ORDER BY created_at DESC, id DESC LIMIT ?`, string(m), limit)
}
