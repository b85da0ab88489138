package invoice

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
)

// Addresses derived outside the write transaction.
//
// Deriving an address (a secp256k1 point multiplication and the family's encoding)
// costs more than the statements that store an invoice, and inside a transaction it
// holds up every other writer (SQLite has one). So Create takes address indexes from
// a block it reserved beforehand in a small transaction of its own
// (AllocateIndexes), derives its addresses before its transaction begins, and the
// transaction only stores them. An index is still never handed out twice, by this
// process or another: a block belongs to the process that reserved it.
//
// The price is gaps: indexes of a block this process reserved and did not use before
// it stopped are never used (unpaid invoices leave gaps too; nothing in Kassa scans
// by gap limit). Blocks start at one index and double while they run out within a
// second of being taken, up to maxIndexBlock, so an idle Gateway leaves no gap and a
// busy one reserves once per up to 32 invoices per family.

const maxIndexBlock = 32

type poolKey struct {
	f asset.Family
	m asset.Mode
}

// indexPool keeps the reserved, unused address indexes of each family and mode.
type indexPool struct {
	mu    sync.Mutex
	free  map[poolKey][]uint32
	block map[poolKey]uint32    // size of the next reservation
	last  map[poolKey]time.Time // when the last reservation was taken
}

// take returns a reserved index of f in m, reserving a block first (in its own
// transaction) when none is left.
func (s *Service) takeIndex(ctx context.Context, f asset.Family, m asset.Mode) (uint32, error) {
	p, k := &s.indexes, poolKey{f, m}
	p.mu.Lock()
	if p.free == nil {
		p.free, p.block, p.last = map[poolKey][]uint32{}, map[poolKey]uint32{}, map[poolKey]time.Time{}
	}
	if free := p.free[k]; len(free) > 0 {
		i := free[0]
		p.free[k] = free[1:]
		p.mu.Unlock()
		return i, nil
	}
	n := p.block[k]
	switch {
	case n == 0, time.Since(p.last[k]) > time.Second:
		n = 1
	default:
		n = min(2*n, maxIndexBlock)
	}
	p.block[k], p.last[k] = n, time.Now()
	p.mu.Unlock()
	var first uint32
	reserve := func(ctx context.Context, tx Tx) error {
		var err error
		first, err = tx.AllocateIndexes(ctx, f, m, n)
		return err
	}
	err := s.cfg.Update(ctx, reserve)
	if errors.Is(err, keys.ErrIndexExhausted) && n > 1 {
		n = 1 // the last few indexes, one at a time (in a transaction of its own)
		err = s.cfg.Update(ctx, reserve)
	}
	if err != nil {
		return 0, err
	}
	if n > 1 {
		p.mu.Lock()
		for i := first + 1; i < first+n; i++ {
			p.free[k] = append(p.free[k], i)
		}
		p.mu.Unlock()
	}
	return first, nil
}

// putIndex gives back an index that no committed transaction used.
func (s *Service) putIndex(f asset.Family, m asset.Mode, i uint32) {
	p := &s.indexes
	p.mu.Lock()
	defer p.mu.Unlock()
	k := poolKey{f, m}
	p.free[k] = append([]uint32{i}, p.free[k]...)
}

// deriveAddresses derives one receive address per family of d's methods from reserved
// indexes, outside any transaction.
func (s *Service) deriveAddresses(ctx context.Context, d *draft) (map[asset.Family]keys.Address, error) {
	out := map[asset.Family]keys.Address{}
	for _, m := range d.inv.Methods {
		if _, ok := out[m.Family]; ok {
			continue
		}
		for {
			idx, err := s.takeIndex(ctx, m.Family, d.inv.Mode)
			if err != nil {
				s.putAddresses(d.inv.Mode, out)
				return nil, err
			}
			a, err := s.cfg.Keys.Address(m.Family, d.inv.Mode, keys.Receive, idx)
			if errors.Is(err, keys.ErrInvalidChildAtIndex) {
				continue // about one index in 2^127: skipped for good
			}
			if err != nil {
				s.putIndex(m.Family, d.inv.Mode, idx)
				s.putAddresses(d.inv.Mode, out)
				return nil, err
			}
			out[m.Family] = a
			break
		}
	}
	return out, nil
}

// putAddresses gives back the indexes of addresses no committed transaction used.
func (s *Service) putAddresses(m asset.Mode, addrs map[asset.Family]keys.Address) {
	for f, a := range addrs {
		s.putIndex(f, m, a.Index)
	}
}
