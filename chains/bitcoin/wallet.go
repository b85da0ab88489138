package bitcoin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// Wallet errors.
var (
	ErrInsufficientFunds = errors.New("insufficient confirmed funds")
	ErrDust              = errors.New("amount is below the dust limit")
	ErrRejected          = errors.New("the node rejected the transaction")
	ErrBadSpec           = errors.New("invalid payout")
)

// DustLimit is the smallest output the wallet creates, in satoshi (the P2PKH dust
// limit at the default relay fee; it is conservative for segwit outputs).
const DustLimit = 546

// Output is an output paid to one of our addresses (chains.UTXO).
type Output = chains.UTXO

// MaxUnconfirmedDepth is how long a chain of our own unconfirmed transactions may
// grow when payouts spend the change of earlier ones (as Bitcoin Core's wallet does):
// below the 25 unconfirmed ancestors that Bitcoin Core's mempool accepts by default.
const MaxUnconfirmedDepth = 20

// SendStatus is a stored send's state (chains.SendStatus): signed, broadcast or failed.
type SendStatus = chains.SendStatus

// Send states.
const (
	SendSigned    = chains.SendSigned    // stored, not yet accepted by the node
	SendBroadcast = chains.SendBroadcast // the node accepted it
	SendFailed    = chains.SendFailed    // the node rejected it; its inputs are free again
)

// Sent is a transaction the wallet signed (chains.UTXOSend).
type Sent = chains.UTXOSend

// WalletConfig configures a Wallet.
type WalletConfig struct {
	Backend *Backend
	// Keyring derives change addresses and signs. A watch-only keyring makes a
	// wallet whose sends wait for an external signer (SubmitSigned).
	Keyring *keys.Keyring
	Update  chains.Runner[chains.WalletTx]
	View    chains.Runner[chains.WalletTx]
	// Watch adds a new change address to the running watcher (Gateway.Watch).
	Watch func(addr string)
	// Follow hands a transaction just signed to the running watcher, before it is
	// broadcast (chains.WalletConfig.Follow).
	Follow func(t chains.Sent)
	// Book books, in the wallet's transaction, a fee no payout books (a CPFP child's).
	Book   func(ctx context.Context, tx chains.WalletTx, f chains.FeeSpent) error
	Logger *slog.Logger
	// beforeBroadcast is a test hook: an error from it stops Send after the signed
	// transaction is stored, as a crash would.
	beforeBroadcast func() error
}

// Wallet spends the outputs Kassa received on one network: coin selection, P2WPKH
// signing, change to our /1/i branch, RBF, the signed transaction stored before it is
// broadcast and rebroadcast (never re-signed) after a crash.
type Wallet struct {
	cfg    WalletConfig
	net    chains.NetworkRef
	family asset.Family
}

// NewWallet returns a wallet on the backend's network.
func NewWallet(cfg WalletConfig) (*Wallet, error) {
	if cfg.Backend == nil || cfg.Keyring == nil || cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("bitcoin: wallet needs Backend, Keyring, Update and View")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Watch == nil {
		cfg.Watch = func(string) {}
	}
	if cfg.Follow == nil {
		cfg.Follow = func(chains.Sent) {}
	}
	f := asset.FamilyBTC
	if cfg.Backend.net.ID == asset.Litecoin {
		f = asset.FamilyLTC
	}
	return &Wallet{cfg: cfg, net: cfg.Backend.net, family: f}, nil
}

// Send pays spec.Amount satoshi to spec.To. The first call with a spec ID selects
// coins, signs, stores the transaction and broadcasts it; a later call with the same ID
// (after a crash, or a retry) broadcasts the stored bytes again and returns the same
// txid. It returns ErrInsufficientFunds, ErrDust, chains.ErrInvalidAddress (also for
// another network's address) or ErrRejected (the node refused it: its inputs are
// released and the send is failed).
func (w *Wallet) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	return w.SendBatch(ctx, spec.ID, []chains.PayoutSpec{spec})
}

// payment is one output of a send.
type payment struct {
	to     string
	script []byte
	amount int64
}

// SendBatch pays every spec in one transaction (one fee, one change output), stored
// under id like Send: a later call with the same id broadcasts the stored transaction
// again, whatever specs it is given. The specs' own IDs are not used.
func (w *Wallet) SendBatch(ctx context.Context, id string, specs []chains.PayoutSpec) (chains.SentTx, error) {
	if id == "" || len(id) > 200 {
		return chains.SentTx{}, fmt.Errorf("%w: spec id must be 1..200 bytes", ErrBadSpec)
	}
	if len(specs) == 0 || len(specs) > 100 {
		return chains.SentTx{}, fmt.Errorf("%w: a send pays 1 to 100 outputs", ErrBadSpec)
	}
	pays := make([]payment, 0, len(specs))
	for _, spec := range specs {
		if spec.Asset != w.cfg.Backend.native {
			return chains.SentTx{}, fmt.Errorf("%w: this wallet pays %s, not %s", ErrBadSpec, w.cfg.Backend.native, spec.Asset)
		}
		dest, err := AddressScript(spec.To, w.cfg.Backend.params)
		if err != nil {
			return chains.SentTx{}, err
		}
		if spec.Amount == nil || !spec.Amount.IsInt64() || spec.Amount.Int64() < DustLimit {
			return chains.SentTx{}, fmt.Errorf("%w (%d sat)", ErrDust, DustLimit)
		}
		pays = append(pays, payment{to: spec.To, script: dest, amount: spec.Amount.Int64()})
	}
	var s Sent
	var found bool
	var err error
	if err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		s, found, err = tx.SendByID(ctx, w.net, id)
		return err
	}); err != nil {
		return chains.SentTx{}, err
	}
	if !found {
		rate, err := w.cfg.Backend.FeeRate(ctx)
		if err != nil {
			return chains.SentTx{}, err
		}
		if s, err = w.signAndStore(ctx, id, pays, rate); err != nil {
			return chains.SentTx{}, err
		}
	}
	if s.Status == SendFailed {
		return chains.SentTx{}, fmt.Errorf("%w: send %s failed before", ErrRejected, id)
	}
	if s.Status == chains.SendUnsigned {
		return chains.SentTx{TxID: s.TxID, Fee: big.NewInt(s.Fee), PSBT: s.Raw}, chains.ErrAwaitingSignature
	}
	return w.broadcast(ctx, s)
}

// signAndStore selects coins, signs and stores the transaction in one storage
// transaction, marking its inputs spent and following it (chains.WalletConfig.Follow).
func (w *Wallet) signAndStore(ctx context.Context, id string, pays []payment, rate int64) (Sent, error) {
	var s Sent
	var follow *chains.Sent
	amount := int64(0)
	destLens := make([]int, len(pays))
	dests := make([]string, len(pays))
	for i, p := range pays {
		amount += p.amount
		destLens[i] = len(p.script)
		dests[i] = p.to
	}
	err := w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		s, follow = Sent{}, nil // a rerun (PostgreSQL retries conflicts) starts afresh
		if prev, ok, err := tx.SendByID(ctx, w.net, id); err != nil || ok {
			s = prev // a concurrent Send stored it first
			return err
		}
		sel, fee, change, err := w.choose(ctx, tx, amount, destLens, rate)
		if err != nil {
			return err
		}
		depth := 1
		for _, u := range sel {
			depth = max(depth, u.Depth+1)
		}
		msg := wire.NewMsgTx(2)
		prev := txscript.NewMultiPrevOutFetcher(nil)
		var outpoints []chains.OutPoint
		for _, u := range sel {
			h, err := chainhash.NewHashFromStr(u.TxID)
			if err != nil {
				return err
			}
			op := wire.OutPoint{Hash: *h, Index: u.Index}
			in := wire.NewTxIn(&op, nil, nil)
			in.Sequence = wire.MaxTxInSequenceNum - 2 // BIP125 replaceable, so a stuck payout can be bumped
			msg.AddTxIn(in)
			script, err := AddressScript(u.Address.Encoded, w.cfg.Backend.params)
			if err != nil {
				return err
			}
			prev.AddPrevOut(op, wire.NewTxOut(u.Amount, script))
			outpoints = append(outpoints, chains.OutPoint{TxID: u.TxID, Index: u.Index})
		}
		for _, p := range pays {
			msg.AddTxOut(wire.NewTxOut(p.amount, p.script))
		}
		changeAddr, changeIndex := "", uint32(0)
		var changeKey keys.Address
		if change > 0 {
			changeIndex = uint32(len(msg.TxOut))
			idx, err := tx.AllocateIndex(ctx, keys.ChangeSequence(w.family), w.net.Mode)
			if err != nil {
				return err
			}
			a, err := w.cfg.Keyring.Address(w.family, w.net.Mode, keys.Change, idx)
			if err != nil {
				return err
			}
			if err := tx.RecordAddress(ctx, a); err != nil {
				return err
			}
			if err := tx.WatchAddress(ctx, w.net, a.Encoded, "change:"+id); err != nil {
				return err
			}
			changeScript, _ := AddressScript(a.Encoded, w.cfg.Backend.params)
			msg.AddTxOut(wire.NewTxOut(change, changeScript))
			changeAddr, changeKey = a.Encoded, a
		}
		if w.cfg.Keyring.WatchOnly() {
			// No key here: the transaction waits, as a PSBT, for an external signer.
			psbt, err := w.unsignedPSBT(msg, sel, prev, changeKey, changeIndex)
			if err != nil {
				return err
			}
			s = Sent{Network: w.net, SpecID: id, TxID: msg.TxHash().String(), Raw: psbt, Fee: fee,
				Amount: amount, Destination: strings.Join(dests, ","), Change: changeAddr, ChangeIndex: changeIndex,
				ChangeAmount: change, Depth: depth, Status: chains.SendUnsigned, CreatedAt: time.Now().UTC()}
			if err := tx.MarkSpent(ctx, w.net, outpoints, s.TxID); err != nil {
				return err
			}
			return tx.InsertSend(ctx, s)
		}
		// Checked before anything is stored: a bad key must never leave.
		if err := w.signAll(msg, sel); err != nil {
			return err
		}
		var raw bytes.Buffer
		if err := msg.Serialize(&raw); err != nil {
			return err
		}
		s = Sent{Network: w.net, SpecID: id, TxID: msg.TxHash().String(), Raw: raw.Bytes(), Fee: fee,
			Amount: amount, Destination: strings.Join(dests, ","), Change: changeAddr, ChangeIndex: changeIndex,
			ChangeAmount: change, Depth: depth, Status: SendSigned, CreatedAt: time.Now().UTC()}
		if err := tx.MarkSpent(ctx, w.net, outpoints, s.TxID); err != nil {
			return err
		}
		follow = &chains.Sent{TxID: s.TxID, Inputs: outpoints}
		if err := tx.FollowTx(ctx, w.net, *follow); err != nil {
			return err
		}
		return tx.InsertSend(ctx, s)
	})
	if err == nil && s.Change != "" {
		w.cfg.Watch(s.Change)
	}
	if err == nil && follow != nil {
		w.cfg.Follow(*follow)
	}
	return s, err
}

// choose selects coins: confirmed ones if they cover the send, else with the change of
// our own sends the node accepted but that is not confirmed yet (within
// MaxUnconfirmedDepth), so concurrent payouts do not fail while the wallet's only
// coins are its own unconfirmed change. When even that falls short but change still
// unsent, or deeper, would cover it, it returns chains.ErrFundsUnconfirmed: the
// payout waits. Otherwise ErrInsufficientFunds.
func (w *Wallet) choose(ctx context.Context, tx chains.WalletTx, amount int64, destLens []int, rate int64) ([]Output, int64, int64, error) {
	confirmed, err := tx.SpendableOutputs(ctx, w.net, w.family)
	if err != nil {
		return nil, 0, 0, err
	}
	sel, fee, change, err := selectCoins(confirmed, amount, destLens, rate)
	if !errors.Is(err, ErrInsufficientFunds) {
		return sel, fee, change, err
	}
	pending, perr := tx.UnconfirmedChange(ctx, w.net, w.family)
	if perr != nil {
		return nil, 0, 0, perr
	}
	usable := confirmed
	later := false
	for _, u := range pending {
		if u.Unsent || u.Depth >= MaxUnconfirmedDepth {
			later = true
			continue
		}
		usable = append(usable, u)
	}
	if len(usable) > len(confirmed) {
		if sel, fee, change, err = selectCoins(usable, amount, destLens, rate); !errors.Is(err, ErrInsufficientFunds) {
			return sel, fee, change, err
		}
	}
	if later {
		if _, _, _, werr := selectCoins(append(confirmed, pending...), amount, destLens, rate); werr == nil {
			return nil, 0, 0, fmt.Errorf("%w: the change of our own sends covers it once they are broadcast or confirmed", chains.ErrFundsUnconfirmed)
		}
	}
	return nil, 0, 0, err
}

// broadcast sends the stored bytes. "Already known" answers are success.
func (w *Wallet) broadcast(ctx context.Context, s Sent) (chains.SentTx, error) {
	out := chains.SentTx{TxID: s.TxID, Raw: s.Raw, Fee: big.NewInt(s.Fee)}
	var msg wire.MsgTx
	if err := msg.Deserialize(bytes.NewReader(s.Raw)); err != nil {
		return out, fmt.Errorf("bitcoin: stored send %s: %w", s.SpecID, err)
	}
	for _, in := range msg.TxIn {
		out.Inputs = append(out.Inputs, chains.OutPoint{TxID: in.PreviousOutPoint.Hash.String(), Index: in.PreviousOutPoint.Index})
	}
	if w.cfg.beforeBroadcast != nil {
		if err := w.cfg.beforeBroadcast(); err != nil {
			return out, err
		}
	}
	var id string
	err := w.cfg.Backend.cfg.RPC.Call(ctx, "sendrawtransaction", &id, fmt.Sprintf("%x", s.Raw))
	var re *RPCError
	switch {
	case err == nil, alreadyKnown(err):
	case errors.As(err, &re) && (re.Code == -25 || re.Code == -26) && s.Replaces != "":
		// A fee bump refused (too low an increase, the recipient spent the first one's
		// output, the first one mined): the first one is the send again, its inputs
		// still spent by it.
		uerr := w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
			cur, ok, err := tx.SendByID(ctx, w.net, s.SpecID)
			if err != nil || !ok || cur.TxID != s.TxID {
				return err // put back already
			}
			first, ok, err := tx.SendByID(ctx, w.net, chains.ReplacedSpecID(s.SpecID, s.Replaces))
			if err != nil || !ok {
				return err
			}
			first.SpecID, first.Status = s.SpecID, SendBroadcast
			return tx.ReplaceSend(ctx, w.net, first)
		})
		return out, errors.Join(fmt.Errorf("%w: %s: %v", chains.ErrReplacementRefused, s.TxID, err), uerr)
	case errors.As(err, &re) && (re.Code == -25 || re.Code == -26):
		// Rejected for good (invalid, conflicting, fee too low): free the inputs.
		uerr := w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
			if err := tx.ReleaseSpends(ctx, w.net, s.TxID); err != nil {
				return err
			}
			return tx.SetSendStatus(ctx, w.net, s.SpecID, SendFailed)
		})
		return out, errors.Join(fmt.Errorf("%w: %v", ErrRejected, err), uerr)
	default:
		return out, fmt.Errorf("%w: broadcast %s: %v", chains.ErrUnavailable, s.TxID, err)
	}
	if s.Status == SendSigned {
		if err := w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
			if err := w.bookChild(ctx, tx, s); err != nil {
				return err
			}
			return tx.SetSendStatus(ctx, w.net, s.SpecID, SendBroadcast)
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func alreadyKnown(err error) bool {
	var re *RPCError
	if !errors.As(err, &re) {
		return false
	}
	// -27: already in the block chain (bitcoind) / already have transaction (btcd);
	// bitcoind also answers -26 "txn-already-in-mempool".
	return re.Code == -27 || (re.Code == -26 && bytes.Contains([]byte(re.Message), []byte("already")))
}

// Abandon fails the send stored under id, which a confirmed double-spend made
// impossible, and frees its inputs for the next attempt. A send already failed, or
// unknown, is left as it is.
func (w *Wallet) Abandon(ctx context.Context, id string) error {
	return w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		s, ok, err := tx.SendByID(ctx, w.net, id)
		if err != nil || !ok || s.Status == SendFailed {
			return err
		}
		w.cfg.Logger.WarnContext(ctx, "bitcoin: send abandoned: a double-spend made it impossible", "network", w.net, "send", id, "tx", s.TxID)
		if err := tx.ReleaseSpends(ctx, w.net, s.TxID); err != nil {
			return err
		}
		return tx.SetSendStatus(ctx, w.net, id, SendFailed)
	})
}

// Rebroadcast broadcasts every stored send that is not known to be mined, as Run does
// on start: a send signed before a crash is broadcast, not signed again.
func (w *Wallet) Rebroadcast(ctx context.Context) error {
	var sends []Sent
	if err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var err error
		sends, err = tx.PendingSends(ctx, w.net)
		return err
	}); err != nil {
		return err
	}
	var errs []error
	for _, s := range sends {
		if _, err := w.broadcast(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("send %s: %w", s.SpecID, err))
		}
	}
	return errors.Join(errs...)
}

// Confirmations returns how many confirmations txid has (0 in the mempool). It needs a
// node that can find the transaction (a mempool entry, or txindex for mined ones).
func (w *Wallet) Confirmations(ctx context.Context, txid string) (int64, error) {
	var v struct {
		Confirmations int64 `json:"confirmations"`
	}
	if err := w.cfg.Backend.cfg.RPC.Call(ctx, "getrawtransaction", &v, txid, 1); err != nil {
		return 0, err
	}
	return v.Confirmations, nil
}

// EstimateFee estimates in satoshi what paying amount to `to` costs now: the node's
// fee rate (bounded as FeeRate says) and the coins the wallet would select. While the
// wallet cannot cover the amount yet, it prices a spend of two inputs with change. An
// empty or unparseable to is priced as the longest standard output (P2WSH, P2TR).
func (w *Wallet) EstimateFee(ctx context.Context, to string, amount *big.Int) (int64, error) {
	rate, err := w.cfg.Backend.FeeRate(ctx)
	if err != nil {
		return 0, err
	}
	destLen := 34
	if script, err := AddressScript(to, w.cfg.Backend.params); err == nil {
		destLen = len(script)
	}
	var utxos []Output
	if err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		utxos, err = tx.SpendableOutputs(ctx, w.net, w.family)
		return err
	}); err != nil {
		return 0, err
	}
	if amount != nil && amount.IsInt64() && amount.Sign() > 0 {
		if _, fee, _, err := selectCoins(utxos, amount.Int64(), []int{destLen}, rate); err == nil {
			return fee, nil
		}
	}
	return feeFor(2, destLen, 22)(rate), nil
}

// Sizes in virtual bytes of a P2WPKH spend.
const (
	txOverheadVB  = 11 // version, locktime, counts, segwit marker (10.5, rounded up)
	p2wpkhInputVB = 68 // outpoint, sequence, script length + witness (67.75)
)

func outputVB(scriptLen int) int64 { return int64(8 + 1 + scriptLen) }

func feeFor(inputs int, outputScripts ...int) func(rate int64) int64 {
	vb := int64(txOverheadVB + inputs*p2wpkhInputVB)
	for _, l := range outputScripts {
		vb += outputVB(l)
	}
	return func(rate int64) int64 { return vb * rate }
}

// selectCoins picks inputs for amount at rate sat/vB, with a P2WPKH change output
// unless the change would be dust (then it goes to the fee). It prefers the smallest
// single output that covers everything (one input, big coins kept whole), and
// otherwise takes the largest outputs first (fewest inputs).
func selectCoins(utxos []Output, amount int64, destLens []int, rate int64) (sel []Output, fee, change int64, err error) {
	const changeLen = 22 // P2WPKH script
	total := int64(0)
	for _, u := range utxos {
		total += u.Amount
	}
	sorted := append([]Output(nil), utxos...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Amount < sorted[j].Amount })
	settle := func(sel []Output) (int64, int64, bool) {
		in := int64(0)
		for _, u := range sel {
			in += u.Amount
		}
		withChange := feeFor(len(sel), append(destLens[:len(destLens):len(destLens)], changeLen)...)(rate)
		if c := in - amount - withChange; c >= DustLimit {
			return withChange, c, true
		}
		noChange := feeFor(len(sel), destLens...)(rate)
		if in-amount >= noChange {
			return in - amount, 0, true // the rest (below dust) is fee
		}
		return 0, 0, false
	}
	for _, u := range sorted {
		if f, c, ok := settle([]Output{u}); ok {
			return []Output{u}, f, c, nil
		}
	}
	for i := len(sorted) - 1; i >= 0; i-- {
		sel = append(sel, sorted[i])
		if f, c, ok := settle(sel); ok {
			return sel, f, c, nil
		}
	}
	need := amount + feeFor(max(len(utxos), 1), destLens...)(rate)
	return nil, 0, 0, fmt.Errorf("%w: have %d sat in %d outputs, need about %d", ErrInsufficientFunds, total, len(utxos), need)
}
