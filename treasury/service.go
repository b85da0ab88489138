package treasury

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Config configures a Service.
type Config struct {
	Assets *asset.Registry
	Update chains.Runner[Tx]
	View   chains.Runner[Tx]
	// Sweepers are the wallets that sweep, by network and mode.
	Sweepers map[chains.NetworkRef]Sweeper
	// Thresholds: an address's balance of an asset is swept once it reaches this
	// (default: the asset's minimum payout).
	Thresholds map[string]decimal.Decimal
	// MaxFeePercent: a native-coin sweep whose fee would be more than this share of it
	// waits for more deposits (default 5). Tokens are swept from their threshold on.
	MaxFeePercent int64
	// Cold forwards, per network, what the hot wallet holds above its ceilings
	// (Forwarder pays it).
	Cold      map[chains.NetworkRef]Cold
	Forwarder Forwarder
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service runs the sweep pass.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Assets == nil || cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("treasury: Assets, Update and View are required")
	}
	if cfg.MaxFeePercent <= 0 {
		cfg.MaxFeePercent = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// candidatesPerPass bounds the candidates Step looks at per network.
const candidatesPerPass = 200

// Step moves every open sweep along and starts sweeps of new deposits, network by
// network. Errors of one network do not stop the others.
func (s *Service) Step(ctx context.Context) error {
	var errs []error
	for n, sw := range s.cfg.Sweepers {
		if err := s.step(ctx, n, sw); err != nil {
			errs = append(errs, fmt.Errorf("treasury %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) step(ctx context.Context, n chains.NetworkRef, sw Sweeper) error {
	var open []*Sweep
	var cands []Candidate
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if open, err = tx.OpenSweeps(ctx, n); err != nil {
			return err
		}
		cands, err = tx.SweepCandidates(ctx, n, candidatesPerPass)
		return err
	}); err != nil {
		return err
	}
	var errs []error
	busy := map[string]bool{}
	for _, sp := range open {
		busy[sp.Address+"|"+sp.Asset] = true
		if sp.Kind == KindCold {
			if err := s.advanceCold(ctx, n, sp); err != nil {
				errs = append(errs, fmt.Errorf("forward %s: %w", sp.ID, err))
			}
			continue
		}
		if err := s.advance(ctx, n, sw, sp); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", sp.ID, err))
		}
	}
	for _, c := range cands {
		if busy[c.Address+"|"+c.Asset] {
			continue // its new deposits wait for the sweep under way
		}
		if err := s.start(ctx, n, sw, c); err != nil {
			errs = append(errs, fmt.Errorf("sweep of %s %s: %w", c.Asset, c.Address, err))
		}
	}
	if cold, ok := s.cfg.Cold[n]; ok && s.cfg.Forwarder != nil {
		if err := s.forward(ctx, n, sw, cold, busy); err != nil {
			errs = append(errs, fmt.Errorf("cold storage: %w", err))
		}
	}
	return errors.Join(errs...)
}

// forward sends the cold wallet what the hot wallet holds above each ceiling, one
// forward per asset at a time.
func (s *Service) forward(ctx context.Context, n chains.NetworkRef, sw Sweeper, cold Cold, busy map[string]bool) error {
	var errs []error
	for code, ceiling := range cold.Ceilings {
		if busy[cold.Address+"|"+code] {
			continue // a forward of it is under way (advance follows it)
		}
		a, err := s.cfg.Assets.Get(code)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bal, err := sw.ConfirmedBalance(ctx, sw.HotAddress(), code, 1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		committed, waiting, err := s.cfg.Forwarder.Committed(ctx, n, code)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if waiting || s.failedRecently(ctx, n, code) {
			continue // payouts wait for these funds, or the last forward failed: later
		}
		// Rounded down to the asset's precision (a ceiling may have more decimals):
		// never more than the excess leaves.
		excess := a.FromBaseUnits(bal).Sub(committed).Sub(ceiling).Truncate(a.Decimals)
		if excess.LessThan(a.MinPayout) || !excess.IsPositive() {
			continue
		}
		now := s.cfg.Now().UTC()
		sp := &Sweep{ID: ids.New("sw"), Kind: KindCold, Mode: n.Mode, Network: n.ID, Address: cold.Address, Asset: code, Amount: excess,
			Status: SweepSweeping, Transfers: []string{}, CreatedAt: now, UpdatedAt: now}
		if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error { return tx.InsertSweep(ctx, sp) }); err != nil {
			errs = append(errs, err)
			continue
		}
		s.cfg.Logger.InfoContext(ctx, "treasury: forwarding to cold storage", "sweep", sp.ID, "network", n, "asset", code,
			"amount", excess, "ceiling", ceiling, "to", cold.Address)
		if err := s.advanceCold(ctx, n, sp); err != nil {
			errs = append(errs, fmt.Errorf("forward %s: %w", sp.ID, err))
		}
	}
	return errors.Join(errs...)
}

// coldBackOff is how long after a failed forward of an asset the next is tried.
const coldBackOff = time.Hour

// failedRecently reports whether the last forward of code on n failed within
// coldBackOff.
func (s *Service) failedRecently(ctx context.Context, n chains.NetworkRef, code string) bool {
	var recent []*Sweep
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		recent, err = tx.ListSweeps(ctx, n.Mode, 100)
		return err
	}); err != nil {
		return true // unknown: wait
	}
	for _, sp := range recent {
		if sp.Kind == KindCold && sp.Network == n.ID && sp.Asset == code {
			return sp.Status == SweepFailed && s.cfg.Now().Sub(sp.UpdatedAt) < coldBackOff
		}
	}
	return false
}

// advanceCold pays a cold forward (once: its payout's request key is the record's id)
// and follows its payout to completed or failed.
func (s *Service) advanceCold(ctx context.Context, n chains.NetworkRef, sp *Sweep) error {
	if s.cfg.Forwarder == nil {
		return nil
	}
	before := *sp
	if sp.PayoutID == "" {
		id, err := s.cfg.Forwarder.Forward(ctx, n, sp.Asset, sp.Address, sp.Amount, sp.ID)
		if err != nil {
			if !isValidation(err) {
				return err // the node is down, say: the next pass tries again
			}
			sp.Status, sp.Reason = SweepFailed, err.Error()
		}
		sp.PayoutID = id
	}
	if sp.PayoutID != "" && sp.Status == SweepSweeping {
		done, failed, err := s.cfg.Forwarder.Forwarded(ctx, n.Mode, sp.PayoutID)
		if err != nil {
			return err
		}
		switch {
		case failed:
			sp.Status, sp.Reason = SweepFailed, "its payout failed"
		case done:
			sp.Status = SweepCompleted
		}
	}
	if sp.Status == before.Status && sp.PayoutID == before.PayoutID {
		return nil
	}
	sp.UpdatedAt = s.cfg.Now().UTC()
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.UpdateSweep(ctx, sp); err != nil {
			return err
		}
		return s.finish(ctx, tx, sp)
	})
}

// start looks at a candidate: its balance at the asset's confirmations, the threshold,
// then the first step of its sweep, recorded with the transfers it takes.
func (s *Service) start(ctx context.Context, n chains.NetworkRef, sw Sweeper, c Candidate) error {
	a, err := s.cfg.Assets.Get(c.Asset)
	if err != nil {
		return err
	}
	bal, err := sw.ConfirmedBalance(ctx, c.Address, c.Asset, a.Confirmations)
	if errors.Is(err, ErrWaiting) {
		// The node cannot say yet (Tron's state is known at the head and the
		// solidified block only): the candidate stays, and the next pass asks again.
		s.cfg.Logger.DebugContext(ctx, "treasury: balance not known yet", "network", n, "address", c.Address, "asset", a.Code, "reason", err)
		return nil
	}
	if err != nil {
		return err
	}
	threshold, ok := s.cfg.Thresholds[a.Code]
	if !ok {
		threshold = a.MinPayout
	}
	looked := func(why string) error {
		s.cfg.Logger.DebugContext(ctx, "treasury: not swept yet", "network", n, "address", c.Address, "asset", a.Code,
			"balance", a.FromBaseUnits(bal), "why", why)
		return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error { return tx.MarkSwept(ctx, n, c.Transfers, true) })
	}
	if latest, err := sw.ConfirmedBalance(ctx, c.Address, c.Asset, 1); err != nil {
		return err
	} else if latest.Cmp(bal) < 0 {
		bal = latest // a sweep mined fewer blocks ago than the depth took it already
	}
	if amount := a.FromBaseUnits(bal); bal.Sign() <= 0 || amount.LessThan(threshold) {
		return looked("below the threshold " + threshold.String())
	}
	if err := sw.SweepWorth(ctx, a.Code, bal, s.cfg.MaxFeePercent); errors.Is(err, ErrNotWorth) {
		return looked(err.Error())
	} else if err != nil {
		return err
	}
	// Recorded, with its transfers taken, before anything is signed: its id names its
	// transactions, so a crash anywhere after resumes it (advance) and nothing is
	// signed twice or left unbooked.
	now := s.cfg.Now().UTC()
	sp := &Sweep{ID: ids.New("sw"), Kind: KindSweep, Mode: n.Mode, Network: n.ID, Address: c.Address, Asset: a.Code, Amount: a.FromBaseUnits(bal),
		Status: SweepToppingUp, Transfers: c.Transfers, CreatedAt: now, UpdatedAt: now}
	if a.Code == sw.FeeAsset() {
		sp.Status = SweepSweeping
	}
	if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.MarkSwept(ctx, n, c.Transfers, true); err != nil {
			return err
		}
		return tx.InsertSweep(ctx, sp)
	}); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(ctx, "treasury: sweep started", "sweep", sp.ID, "network", n, "address", c.Address, "asset", a.Code,
		"amount", sp.Amount)
	return s.advance(ctx, n, sw, sp)
}

// advance takes an open sweep's next step.
func (s *Service) advance(ctx context.Context, n chains.NetworkRef, sw Sweeper, sp *Sweep) error {
	a, err := s.cfg.Assets.Get(sp.Asset)
	if err != nil {
		return err
	}
	units, err := a.ToBaseUnits(sp.Amount)
	if err != nil {
		return err
	}
	var addr keys.Address
	var found bool
	if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		addr, found, err = tx.LookupAddress(ctx, familyOf(s.cfg.Assets, n), n.Mode, sp.Address)
		return err
	}); err != nil {
		return err
	}
	var st Step
	if found {
		st, err = sw.SweepStep(ctx, sp.ID, addr, sp.Asset, units, s.cfg.MaxFeePercent)
	} else {
		// Not an address this keyring derives (a database shared with another
		// keyring): nothing here can sign for it, so the sweep fails for good.
		err = fmt.Errorf("%w: %s is not an address of this keyring", ErrRejected, sp.Address)
	}
	if errors.Is(err, ErrWaiting) {
		s.cfg.Logger.InfoContext(ctx, "treasury: sweep waits", "sweep", sp.ID, "network", n, "reason", err)
		return nil
	}
	final := errors.Is(err, ErrNotWorth) || errors.Is(err, ErrRejected)
	if err != nil && !final {
		return err // the node is down, say: the next pass tries again
	}
	before := *sp
	s.apply(sw, sp, st)
	if final {
		sp.Status, sp.Reason = SweepFailed, err.Error()
	}
	if sp.Status == before.Status && sp.TxHash == before.TxHash && sp.GasTx == before.GasTx {
		return nil
	}
	sp.UpdatedAt = s.cfg.Now().UTC()
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.UpdateSweep(ctx, sp); err != nil {
			return err
		}
		if sp.Status == SweepFailed {
			if err := tx.MarkSwept(ctx, n, sp.Transfers, false); err != nil {
				return err
			}
		}
		return s.finish(ctx, tx, sp)
	})
}

// apply copies what the wallet says of the sweep's transactions into sp.
func (s *Service) apply(sw Sweeper, sp *Sweep, st Step) {
	sp.GasTx, sp.TxHash = st.GasTx, st.TxID
	if st.Gas != nil && st.Gas.Sign() > 0 {
		if fa, err := s.cfg.Assets.Get(sw.FeeAsset()); err == nil {
			g := fa.FromBaseUnits(st.Gas)
			sp.Gas = &g
		}
	}
	switch {
	case st.Done && st.Failed:
		sp.Status, sp.Reason = SweepFailed, "the sweep's transaction reverted"
	case st.Done:
		sp.Status = SweepCompleted
	case st.TxID != "":
		sp.Status = SweepSweeping
	default:
		sp.Status = SweepToppingUp
	}
	if st.Fee != nil {
		fa, _ := s.cfg.Assets.Get(sw.FeeAsset())
		f := fa.FromBaseUnits(st.Fee)
		sp.Fee = &f
	}
}

// finish emits a finished sweep's event.
func (s *Service) finish(ctx context.Context, tx Tx, sp *Sweep) error {
	var t event.Type
	switch sp.Status {
	case SweepCompleted:
		t = EventSweepCompleted
	case SweepFailed:
		t = EventSweepFailed
	default:
		return nil
	}
	data, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: t, CreatedAt: s.cfg.Now().UTC(), Mode: sp.Mode,
		Livemode: sp.Mode == asset.Live, ObjectID: sp.ID, Data: data})
	return err
}

// Sweeps returns the latest sweeps of mode m, newest first (at most 100).
func (s *Service) Sweeps(ctx context.Context, m asset.Mode) ([]*Sweep, error) {
	var out []*Sweep
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = tx.ListSweeps(ctx, m, 100)
		return err
	})
	return out, err
}

// isValidation reports whether err is a refusal of the payout's input (funds, the
// address, the minimum): the forward fails rather than being tried again at once.
func isValidation(err error) bool {
	var ve *validation.Error
	var fe *validation.FieldError
	return errors.As(err, &ve) || errors.As(err, &fe)
}

// familyOf is n's address family.
func familyOf(r *asset.Registry, n chains.NetworkRef) asset.Family {
	net, _ := r.Network(n.ID)
	return net.Family
}

// Overview is what the treasury holds on one network (Service.Overview).
type Overview struct {
	Network asset.NetworkID `json:"network"`
	// HotAddress is where sweeps go and payouts leave from.
	HotAddress string `json:"hot_address"`
	// Hot is what the hot wallet holds per asset code, at one confirmation.
	Hot map[string]decimal.Decimal `json:"hot"`
	// Sweeping is what open sweeps are moving to it, per asset code.
	Sweeping map[string]decimal.Decimal `json:"sweeping"`
	// OpenSweeps counts the sweeps under way.
	OpenSweeps int `json:"open_sweeps"`
	// GasReserved is the gas topped up to deposit addresses for token sweeps not sent
	// yet, per asset code (the network's coin).
	GasReserved map[string]decimal.Decimal `json:"gas_reserved"`
	// ColdForwarded is what went to cold storage in all, per asset code.
	ColdForwarded map[string]decimal.Decimal `json:"cold_forwarded"`
}

// Overview reports each network of mode m that sweeps: its hot wallet's balances and
// the sweeps under way. A node that does not answer leaves its network's balances
// out (Hot empty) rather than failing the whole report.
func (s *Service) Overview(ctx context.Context, m asset.Mode) ([]Overview, error) {
	var out []Overview
	for n, sw := range s.cfg.Sweepers {
		if n.Mode != m {
			continue
		}
		o := Overview{Network: n.ID, HotAddress: sw.HotAddress(), Hot: map[string]decimal.Decimal{}, Sweeping: map[string]decimal.Decimal{},
			GasReserved: map[string]decimal.Decimal{}}
		for _, a := range s.cfg.Assets.AssetsOn(n.ID) {
			b, err := sw.ConfirmedBalance(ctx, o.HotAddress, a.Code, 1)
			if err != nil {
				s.cfg.Logger.WarnContext(ctx, "treasury: hot wallet balance unknown", "network", n, "asset", a.Code, "err", err)
				continue
			}
			o.Hot[a.Code] = a.FromBaseUnits(b)
		}
		var open []*Sweep
		if err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			if open, err = tx.OpenSweeps(ctx, n); err != nil {
				return err
			}
			o.ColdForwarded, err = tx.ColdForwarded(ctx, n)
			return err
		}); err != nil {
			return nil, err
		}
		o.OpenSweeps = len(open)
		for _, sp := range open {
			o.Sweeping[sp.Asset] = o.Sweeping[sp.Asset].Add(sp.Amount)
			if sp.Status == SweepToppingUp && sp.Gas != nil {
				fee := sw.FeeAsset()
				o.GasReserved[fee] = o.GasReserved[fee].Add(*sp.Gas)
			}
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Overview) int { return strings.Compare(string(a.Network), string(b.Network)) })
	return out, nil
}
