package wallet

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/validation"
)

// CheckCooldown is how often one wallet may be checked (Check): a rescan reads
// blocks from the node.
const CheckCooldown = 30 * time.Second

// ErrTooSoon: the wallet was checked less than CheckCooldown ago, or
// MaxConcurrentChecks checks are reading blocks now.
var ErrTooSoon = errors.New("this wallet was checked moments ago, or other checks are under way: try again in 30 seconds")

// MaxConcurrentChecks is how many deposit checks read blocks from the nodes at once in
// one process: each reads up to Config.CheckDepth blocks.
const MaxConcurrentChecks = 2

// CheckResult is what Check found.
type CheckResult struct {
	Wallet *Wallet `json:"wallet"`
	TxHash string  `json:"tx_hash"`
	// Found says whether a transfer of txHash to the wallet's address in its asset
	// is known now; Deposits are those transfers (a transaction may pay an address
	// in several outputs).
	Found    bool          `json:"found"`
	Deposits []Transaction `json:"deposits"`
}

var (
	hex64    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	hex64EVM = regexp.MustCompile(`^0x[0-9a-fA-F]{64}$`)
)

// checkTxHash validates a transaction hash of family f.
func checkTxHash(f asset.Family, h string) (string, error) {
	switch f {
	case asset.FamilyEVM:
		if hex64EVM.MatchString(h) {
			return strings.ToLower(h), nil
		}
		return "", fmt.Errorf("%w: 0x and 64 hexadecimal digits", ErrBadFormat)
	default:
		if hex64.MatchString(h) {
			return strings.ToLower(h), nil
		}
		return "", fmt.Errorf("%w: 64 hexadecimal digits", ErrBadFormat)
	}
}

// Check looks for transaction txHash paying wallet id now: the wallet's address is
// scanned again over the last Config.CheckDepth blocks (the watcher's targeted
// Rescan, which records what it finds like any scan), and the transfers of txHash to
// it are returned. Nothing is credited that the chain does not show: a transfer found
// is booked by the watcher's engine at its confirmations, once, like any other. A
// wallet is checked at most once per CheckCooldown in this process (ErrTooSoon).
func (s *Service) Check(ctx context.Context, m asset.Mode, id, txHash string) (*CheckResult, error) {
	w, err := s.Get(ctx, m, id)
	if err != nil {
		return nil, err
	}
	nw, err := s.cfg.Assets.Network(asset.NetworkID(w.Network))
	if err != nil {
		return nil, err
	}
	h, err := checkTxHash(nw.Family, txHash)
	if err != nil {
		return nil, validation.Field("tx_hash", err)
	}
	if !s.checks.due(w.ID, time.Now(), CheckCooldown) {
		return nil, ErrTooSoon
	}
	if s.cfg.Rescan != nil {
		select {
		case s.scanning <- struct{}{}:
		default:
			s.checks.forget(w.ID)
			return nil, ErrTooSoon
		}
		n := chains.NetworkRef{ID: asset.NetworkID(w.Network), Mode: m}
		s.cfg.Logger.InfoContext(ctx, "wallet: checking for a deposit", "wallet", w.ID, "tx", h, "blocks", s.cfg.CheckDepth)
		err := s.cfg.Rescan(ctx, n, []string{w.Address}, s.cfg.CheckDepth)
		<-s.scanning
		if err != nil {
			s.checks.forget(w.ID) // the node failed: the next try need not wait
			return nil, err
		}
	}
	ts, err := s.Transactions(ctx, m, id)
	if err != nil {
		return nil, err
	}
	out := &CheckResult{TxHash: h, Deposits: []Transaction{}}
	for _, t := range ts {
		if t.Type == "deposit" && strings.EqualFold(t.TxHash, h) {
			out.Deposits = append(out.Deposits, t)
		}
	}
	out.Found = len(out.Deposits) > 0
	if out.Wallet, err = s.Get(ctx, m, id); err != nil {
		return nil, err
	}
	return out, nil
}
