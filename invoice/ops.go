package invoice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/validation"
)

// Create validates p, quotes it and creates the invoice with its deposit addresses,
// in one transaction; its addresses are watched once it commits. Bad input returns a
// *validation.Error naming each wrong field, and nothing is written (no address index
// is used). With an order id that exists in the mode with the same parameters it
// returns that invoice (Existing set); with other parameters ErrOrderConflict.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (*Invoice, error) {
	prep, err := s.Prepare(ctx, m, p)
	if err != nil {
		return nil, err
	}
	// The addresses are derived before the transaction (addresses.go).
	if prep.d.addrs, err = s.deriveAddresses(ctx, prep.d); err != nil {
		return nil, fmt.Errorf("invoice: create: %w", err)
	}
	var inv *Invoice
	var created bool
	var fnErr error
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		inv, created, fnErr = s.Insert(ctx, tx, prep)
		return fnErr
	})
	if err != nil {
		if err == fnErr {
			// Insert refused (an order id conflict, ...): its transaction rolled back.
			s.putAddresses(m, prep.d.addrs)
		}
		// Otherwise whether the transaction committed may be unknown (a connection
		// lost during COMMIT): the indexes are not given back.
		return nil, fmt.Errorf("invoice: create: %w", err)
	}
	if !created {
		s.putAddresses(m, prep.d.addrs) // an existing invoice answered: they were not used
	}
	return inv, nil
}

// Get returns the invoice with id in mode, or ErrNotFound (also for an id of the other
// mode).
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Invoice, error) {
	var inv *Invoice
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		inv, err = tx.GetInvoice(ctx, m, id)
		return err
	})
	return inv, err
}

// List returns a page of invoices, newest first, and the total that match.
func (s *Service) List(ctx context.Context, p ListParams) ([]*Invoice, int, error) {
	var v validation.Error
	if !p.Mode.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	switch p.Kind {
	case "", KindInvoice, KindPayment, KindCheckoutSession:
	default:
		v.Add("kind", ErrBadFormat)
	}
	if p.Page == 0 {
		p.Page = 1
	}
	if p.Limit == 0 {
		p.Limit = 20
	}
	if p.Page < 1 {
		v.Add("page", ErrOutOfRange)
	}
	if p.Limit < 1 || p.Limit > 100 {
		v.Add("limit", fmt.Errorf("%w: 1..100", ErrOutOfRange))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var out []*Invoice
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListInvoices(ctx, p)
		return err
	})
	return out, total, err
}

// Cancel cancels a pending invoice with no payment seen; any other state returns
// ErrInvalidState.
func (s *Service) Cancel(ctx context.Context, m asset.Mode, id string) (*Invoice, error) {
	var inv *Invoice
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		inv, err = s.cancel(ctx, tx, m, id)
		return err
	})
	return inv, err
}

// Payments returns the on-chain transfers that pay an invoice (never an output of a
// transaction Kassa's own wallets sent), each with its current confirmations.
func (s *Service) Payments(ctx context.Context, m asset.Mode, id string) ([]Payment, error) {
	var out []Payment
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		inv, err := tx.GetInvoice(ctx, m, id)
		if err != nil {
			return err
		}
		if out, err = s.payments(ctx, tx, inv); err != nil {
			return err
		}
		depth := depthOf(ctx, tx)
		for i := range out {
			if err := depth(&out[i].Record); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Transfers lists the on-chain transfers to our addresses in mode, newest first, each
// with its current number of confirmations.
func (s *Service) Transfers(ctx context.Context, m asset.Mode, f TransferFilter, page, limit int) ([]chains.Record, int, error) {
	var out []chains.Record
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if out, total, err = tx.ListTransfers(ctx, m, f, page, limit); err != nil {
			return err
		}
		depth := depthOf(ctx, tx)
		for i := range out {
			if err := depth(&out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, total, err
}

// depthOf returns a function that sets a mined record's Confirmations to its current
// depth below the watcher's last processed block. The watcher stops recounting a
// transfer once it has the confirmations it needs; its depth keeps growing.
func depthOf(ctx context.Context, tx Tx) func(r *chains.Record) error {
	tips := map[chains.NetworkRef]uint64{}
	return func(r *chains.Record) error {
		if r.Status != chains.StatusConfirmed && r.Status != chains.StatusConfirming {
			return nil
		}
		tip, ok := tips[r.Network]
		if !ok {
			b, found, err := tx.Cursor(ctx, r.Network)
			if err != nil {
				return err
			}
			if found {
				tip = b.Height
			}
			tips[r.Network] = tip
		}
		if tip >= r.Block.Height && int(tip-r.Block.Height+1) > r.Confirmations {
			r.Confirmations = int(tip - r.Block.Height + 1)
		}
		return nil
	}
}

// RescanCooldown is how long after a rescan of an invoice another one only reads its
// state: the checkout's "I have paid" may be pressed again and again.
const RescanCooldown = 30 * time.Second

// Rescan looks again at the last depth blocks of each network of the invoice for
// payments to its addresses (the checkout's "I have paid"), then recomputes it. Each
// network is scanned once for all the invoice's addresses on it, an invoice at most
// once per RescanCooldown, and the watcher keeps stepping meanwhile.
func (s *Service) Rescan(ctx context.Context, m asset.Mode, id string, depth uint64) (*Invoice, error) {
	inv, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if !s.rescans.due(inv.ID, time.Now()) {
		return inv, nil
	}
	byNet := map[chains.NetworkRef][]string{}
	var order []chains.NetworkRef
	for _, meth := range inv.Methods {
		n := chains.NetworkRef{ID: meth.Network, Mode: m}
		if _, ok := byNet[n]; !ok {
			order = append(order, n)
		}
		if !slices.Contains(byNet[n], meth.Address) {
			byNet[n] = append(byNet[n], meth.Address)
		}
	}
	if s.cfg.Rescan != nil {
		for _, n := range order {
			if err := s.cfg.Rescan(ctx, n, byNet[n], depth); err != nil {
				return nil, err
			}
		}
	}
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		inv, err = s.Recompute(ctx, tx, m, id)
		return err
	})
	return inv, err
}

// cooldowns remembers when each invoice was last rescanned.
//
// NOTE: it lives in this process's memory: with several instances, each allows one
// rescan per cooldown.
type cooldowns struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether id may be rescanned at now, and if so records it.
func (c *cooldowns) due(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]time.Time{}
	}
	if last, ok := c.last[id]; ok && now.Sub(last) < RescanCooldown {
		return false
	}
	if len(c.last) > 10_000 {
		for k, t := range c.last {
			if now.Sub(t) >= RescanCooldown {
				delete(c.last, k)
			}
		}
	}
	c.last[id] = now
	return true
}

// Expire recomputes the invoices whose lifetime or monitoring window has passed, each
// in its own transaction (Gateway.Run calls it every second).
func (s *Service) Expire(ctx context.Context) error {
	for _, m := range []asset.Mode{asset.Live, asset.Test} {
		for {
			var due []string
			err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
				var err error
				due, err = tx.DueInvoices(ctx, m, s.cfg.Now().UTC(), 200)
				return err
			})
			if err != nil {
				return err
			}
			progressed := false
			for _, id := range due {
				var before, after *Invoice
				err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
					var err error
					if before, err = tx.GetInvoice(ctx, m, id); err != nil {
						return err
					}
					after, err = s.Recompute(ctx, tx, m, id)
					return err
				})
				if err != nil {
					return err
				}
				if after.Status != before.Status || after.UpdatedAt != before.UpdatedAt {
					progressed = true
				}
			}
			if len(due) < 200 || !progressed {
				break
			}
		}
	}
	return nil
}

// NewDepositAddress allocates the next receive index of the family of asset code in
// mode and derives its address. The index is consumed only if the allocation commits,
// and never reused.
func (s *Service) NewDepositAddress(ctx context.Context, m asset.Mode, code string) (keys.Address, error) {
	var v validation.Error
	if !m.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	a, err := s.cfg.Assets.Parse(code, "")
	if err != nil {
		v.Add("currency", err)
	}
	if err := v.Err(); err != nil {
		return keys.Address{}, err
	}
	n, _ := s.cfg.Assets.Network(a.Network)
	var addr keys.Address
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		addr, err = s.allocate(ctx, tx, n.Family, m)
		return err
	})
	if err != nil {
		return keys.Address{}, fmt.Errorf("invoice: new deposit address: %w", err)
	}
	return addr, nil
}

// allocate takes the next receive index of family f in mode m and derives its
// address, skipping the (astronomically rare) index BIP32 cannot derive.
func (s *Service) allocate(ctx context.Context, tx Tx, f asset.Family, m asset.Mode) (keys.Address, error) {
	for {
		idx, err := tx.AllocateIndex(ctx, f, m)
		if err != nil {
			return keys.Address{}, err
		}
		a, err := s.cfg.Keys.Address(f, m, keys.Receive, idx)
		if errors.Is(err, keys.ErrInvalidChildAtIndex) {
			continue
		}
		return a, err
	}
}
