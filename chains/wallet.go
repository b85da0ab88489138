package chains

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
)

// Wallet pays out on one network in one mode: the UTXO wallet of chains/bitcoin, the
// hot wallet of chains/evm, a sim chain. A Payer backend makes one; the payout
// service uses it through this interface only, so Kassa's core links no chain
// package.
type Wallet interface {
	// FeeAsset is the asset code fees are paid in (the network's coin).
	FeeAsset() string
	// CanonicalAddress validates a destination for the network and returns its one
	// spelling (see Canonicalizer), which payouts keep and compare with our own
	// addresses.
	CanonicalAddress(addr string) (string, error)
	// EstimateFee estimates the network fee, in base units of FeeAsset, of paying
	// amount of asset code to to ("" prices the costliest destination).
	EstimateFee(ctx context.Context, code, to string, amount *big.Int) (*big.Int, error)
	// Send signs, stores and broadcasts; the same spec id always gives the same
	// transaction (a retry sends the stored bytes again, never a second signature).
	Send(ctx context.Context, spec PayoutSpec) (SentTx, error)
	// Rejected reports whether err from Send means the node refused the transaction
	// for good (as opposed to being unreachable, or waiting: ErrFundsUnconfirmed).
	Rejected(err error) bool
}

// BatchWallet is a Wallet that pays several destinations in one transaction (the
// Bitcoin wallet). SendBatch is idempotent by id like Send.
type BatchWallet interface {
	SendBatch(ctx context.Context, id string, specs []PayoutSpec) (SentTx, error)
}

// Abandoner is a Wallet whose transactions can become impossible (a UTXO wallet: a
// confirmed double-spend took one of their inputs). Abandon marks the send stored
// under specID failed and frees the inputs it spent that still exist, so the next
// attempt may use them (and then conflicts with the old one: at most one confirms).
type Abandoner interface {
	Abandon(ctx context.Context, specID string) error
}

// Bumper is a Wallet that can replace a stuck transaction by one paying a higher fee
// (RBF on Bitcoin, raised tips on EVM). Bump signs and stores the replacement of the
// send stored under specID, which takes its spec id, runs record in that same storage
// transaction (the payout records the replacement: an error from record stores
// nothing), then broadcasts it and returns it. The replaced transaction stays
// followed, and whichever of the two is mined is the payout's. A node that refuses
// the replacement for good makes the wallet put the replaced one back and return
// ErrReplacementRefused.
type Bumper interface {
	Bump(ctx context.Context, specID string, record func(ctx context.Context, tx WalletTx, next SentTx) error) (SentTx, error)
}

// ErrReplacementRefused: the node refused a fee bump; the transaction it was to
// replace is the send again.
var ErrReplacementRefused = errors.New("the node refused the replacement; the transaction it was to replace stays")

// Expirer is a Wallet whose transactions expire (Tron's, after their expiration
// time): Expired reports whether the send stored under specID expired without being
// mined, as the irreversible chain proves, so that it never can be. The payout job
// then signs a new transaction for the payout, as for a conflicted one.
type Expirer interface {
	Expired(ctx context.Context, specID string) (bool, error)
}

// ChildPayer is a Wallet that can hurry a payment to one of our addresses that waits
// unconfirmed with too low a fee: CPFP spends its outputs to us in a child paying
// enough for both (child pays for parent), and books the child's fee.
type ChildPayer interface {
	CPFP(ctx context.Context, txid string) (SentTx, error)
}

// ExternalSigner is a Wallet on a watch-only keyring whose transactions are signed
// elsewhere (a hardware wallet, an offline machine): Send stores the unsigned
// transaction and returns ErrAwaitingSignature with SentTx.PSBT set (BIP 174);
// SubmitSigned takes the signed PSBT back, checks that it is that transaction, signed
// by our keys, and broadcasts it like Send. A PSBT that does not match is refused with
// ErrBadPSBT and changes nothing.
type ExternalSigner interface {
	SubmitSigned(ctx context.Context, specID string, psbt []byte) (SentTx, error)
}

// Errors of external signing.
var (
	ErrAwaitingSignature = errors.New("the transaction awaits its signature")
	ErrBadPSBT           = errors.New("invalid PSBT")
)

// PayoutSpec is one payout to send.
type PayoutSpec struct {
	ID     string // idempotency: sending the same ID twice returns the first SentTx
	Asset  string
	To     string
	Amount *big.Int
}

// SentTx is a signed and broadcast transaction.
type SentTx struct {
	TxID string
	Raw  []byte
	Fee  *big.Int
	// Inputs are the outputs it spends (UTXO chains): the watcher finds a double-spend
	// of any of them.
	Inputs []OutPoint
	// PSBT is the unsigned transaction for an external signer (ErrAwaitingSignature).
	PSBT []byte
}

// Payer is implemented by backends that can pay out: the Gateway gives them the
// keyring and storage a wallet needs.
type Payer interface {
	NewWallet(cfg WalletConfig) (Wallet, error)
}

// WalletConfig is what a Payer's wallet gets from the Gateway.
type WalletConfig struct {
	// Assets is the Gateway's registry.
	Assets *asset.Registry
	// Keyring derives change addresses and signs; it is never watch-only.
	Keyring *keys.Keyring
	Update  Runner[WalletTx] // read-write transactions
	View    Runner[WalletTx] // read-only transactions
	// Watch adds an address of ours (a new change address) to the running watcher.
	Watch func(addr string)
	// Follow hands a payout's transaction to the running watcher once it is signed,
	// before it is broadcast. The wallet records it as followed (WalletTx.FollowTx) in
	// the storage transaction that stores it, so no block can mine it unseen: not even
	// when the process dies, or the node's answer is lost, before the payout records
	// its broadcast, and the block is scanned before the payout is sent again.
	Follow func(t Sent)
	// Book books, in the wallet's transaction, a fee only the wallet knows of (the
	// gas of a reverted payout, a sweep or a gas top-up): wallets report money, the
	// ledger's booking functions book it.
	Book   func(ctx context.Context, tx WalletTx, f FeeSpent) error
	Logger *slog.Logger
}

// FeeSpent is a network fee a wallet paid that no payout books.
type FeeSpent struct {
	Network NetworkRef
	Key     string   // unique per fee: booking it twice books it once
	Asset   string   // the network's coin
	Amount  *big.Int // base units, positive
	What    string   // for the journal: "gas of sweep 0x..."
	// Owed: the merchant owes it even while its available balance is short (a CPFP
	// child, paid from the payment it hurries): the rest goes on its deficit, not on
	// the operator's own money.
	Owed bool
}

// WalletTx is the storage wallets need inside one transaction, in chain-neutral
// types, so storage backends implement it without linking any chain package.
type WalletTx interface {
	ledger.Tx
	// Transfer is the watcher's record of an output (Tx.Transfer).
	Transfer(ctx context.Context, n NetworkRef, txid string, index uint32) (r Record, ok bool, err error)
	keys.IndexAllocator
	keys.AddressBook
	UTXOTx
	AccountTx
	// WatchAddress adds address on n to the watched set for owner.
	WatchAddress(ctx context.Context, n NetworkRef, address, owner string) error
	// FollowTx records that our transaction t on n is to be followed (Tx.FollowTx).
	FollowTx(ctx context.Context, n NetworkRef, t Sent) error
}

// OutPoint names a transaction output.
type OutPoint struct {
	TxID  string
	Index uint32
}

// UTXO is an output paid to one of our addresses: confirmed, or the change of one of
// our own sends not yet confirmed (Depth > 0).
type UTXO struct {
	TxID    string
	Index   uint32
	Amount  int64
	Address keys.Address
	// Depth is how many unconfirmed transactions of ours this output's transaction and
	// its unconfirmed ancestors make: 0 for a confirmed output.
	Depth int
	// Unsent is set for the change of a send the node has not accepted yet: it cannot
	// be spent before that send is broadcast.
	Unsent bool
}

// SendStatus is the state of a stored send.
type SendStatus string

const (
	SendUnsigned  SendStatus = "unsigned"  // a PSBT waiting for an external signer (UTXO wallets)
	SendSigned    SendStatus = "signed"    // stored, not yet accepted by the node
	SendBroadcast SendStatus = "broadcast" // the node accepted it
	SendConfirmed SendStatus = "confirmed" // mined and succeeded (account wallets)
	SendFailed    SendStatus = "failed"    // rejected by the node (inputs free again), or mined and reverted
	SendReplaced  SendStatus = "replaced"  // superseded by a fee bump
)

// UTXOSend is a transaction a UTXO wallet signed.
type UTXOSend struct {
	Network     NetworkRef
	SpecID      string
	TxID        string
	Raw         []byte
	Fee         int64
	Amount      int64  // sum of the outputs paid (all of a batch), without change
	Destination string // the address paid; a batch's addresses joined by ","
	Change      string // change address, "" if none
	// ChangeIndex and ChangeAmount locate the change output (when Change is set), so
	// later sends can spend it before it confirms.
	ChangeIndex  uint32
	ChangeAmount int64
	// Depth is the number of unconfirmed transactions of ours this one and its
	// unconfirmed ancestors make (1 when every input was confirmed).
	Depth     int
	Status    SendStatus
	CreatedAt time.Time
	// Replaces is the txid of the send this one replaced by a fee bump ("" if none):
	// a node that refuses the replacement puts that one back.
	Replaces string
}

// UTXOTx is the storage of UTXO wallets.
type UTXOTx interface {
	// SpendableOutputs returns confirmed transfers of n to addresses of family in our
	// address book that no send of ours spends.
	SpendableOutputs(ctx context.Context, n NetworkRef, f asset.Family) ([]UTXO, error)
	// UnconfirmedChange returns the change outputs of our sends on n (signed or
	// broadcast, not failed) that are not confirmed yet and that no send of ours
	// spends, with Depth set to their send's depth and Unsent for signed ones.
	UnconfirmedChange(ctx context.Context, n NetworkRef, f asset.Family) ([]UTXO, error)
	// MarkSpent records that spentBy spends the outputs; ReleaseSpends forgets it.
	MarkSpent(ctx context.Context, n NetworkRef, outs []OutPoint, spentBy string) error
	ReleaseSpends(ctx context.Context, n NetworkRef, spentBy string) error
	InsertSend(ctx context.Context, s UTXOSend) error
	SendByID(ctx context.Context, n NetworkRef, specID string) (UTXOSend, bool, error)
	SetSendStatus(ctx context.Context, n NetworkRef, specID string, s SendStatus) error
	// PendingSends returns sends in SendSigned or SendBroadcast.
	PendingSends(ctx context.Context, n NetworkRef) ([]UTXOSend, error)
	// InputsOf returns the outputs of ours (of family f) that the send spentBy spends
	// (MarkSpent), with their amounts and keys: confirmed transfers, or the change of
	// our own sends, in outpoint order.
	InputsOf(ctx context.Context, n NetworkRef, f asset.Family, spentBy string) ([]UTXO, error)
	// SignSend stores raw, the signed transaction of the unsigned send specID (a PSBT
	// signed elsewhere), and makes it SendSigned.
	SignSend(ctx context.Context, n NetworkRef, specID string, raw []byte) error
	// ReplaceSend stores next, a fee bump of the send stored under next.SpecID (or
	// the send a refused bump replaced, put back): that send keeps its row under
	// ReplacedSpecID(spec id, its txid) with status SendReplaced, next takes the spec
	// id (a row kept for it under ReplacedSpecID goes), and the outputs the old one
	// spent are spent by next.TxID.
	ReplaceSend(ctx context.Context, n NetworkRef, next UTXOSend) error
}

// ReplacedSpecID is the spec id a send replaced by a fee bump is kept under.
func ReplacedSpecID(specID, txid string) string { return specID + "~" + txid }

// AccountSend is one signed attempt of an account-based wallet (EVM): a payout, a
// sweep or a gas top-up.
type AccountSend struct {
	Network NetworkRef
	SpecID  string
	Attempt int
	Kind    string // "payout", "sweep", "gas"
	From    string
	To      string
	Asset   string
	Amount  *big.Int
	Nonce   uint64
	TxID    string
	Raw     []byte
	MaxFee  *big.Int
	Status  SendStatus
	Fee     *big.Int // actual fee once mined (nil before)
	At      time.Time
}

// AccountTx is the storage of account-based wallets.
type AccountTx interface {
	// NextNonce returns the nonce to use for from: the larger of the stored next nonce
	// and chainNext (the node's pending count), and stores it plus one.
	NextNonce(ctx context.Context, n NetworkRef, from string, chainNext uint64) (uint64, error)
	InsertAccountSend(ctx context.Context, s AccountSend) error
	// LatestAccountSend returns the latest attempt of specID.
	LatestAccountSend(ctx context.Context, n NetworkRef, specID string) (AccountSend, bool, error)
	SetAccountSendStatus(ctx context.Context, n NetworkRef, specID string, attempt int, s SendStatus, fee *big.Int) error
	// OpenAccountSends returns the latest attempts in SendSigned or SendBroadcast.
	OpenAccountSends(ctx context.Context, n NetworkRef) ([]AccountSend, error)
}
