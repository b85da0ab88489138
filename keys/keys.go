// Package keys derives Kassa's deposit and change addresses and, when it holds the
// private seed, the keys that sign payouts.
//
// A Keyring is built from a BIP39 mnemonic (FromMnemonic) or from per-family account
// extended public keys (FromXPubs, watch-only: it can receive but never sign). BIP39 goes
// through go-bip39 with the checksum validated; BIP32 through btcd's hdkeychain, which is
// the standard derivation (not the pre-fix "issue 172" one) and accepts every SLIP-132
// version prefix.
//
// Accounts and paths (test mode uses BIP44 coin type 1 for bitcoin and
// litecoin):
//
//	btc  m/84'/0'/0'   P2WPKH bech32 (bc1, tb1 on testnet, bcrt1 on regtest)
//	ltc  m/84'/2'/0'   P2WPKH bech32 (ltc1, tltc1, rltc1)
//	evm  m/44'/60'/0'  EIP-55 checksummed; one address for ethereum, bsc, polygon, base
//	tron m/44'/195'/0' base58check with version 0x41 (T...)
//
// Receive addresses are branch 0 (/0/i), change addresses branch 1 (/1/i). The account
// and branch keys are derived once, when the Keyring is built, so an address costs one
// public child derivation.
//
// Private keys leave the Keyring only through SigningKey, for a signer that needs them
// now. The Keyring never stores, logs or prints them: its String, GoString and LogValue
// say only what it can do.
package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/v2/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
)

// Branch is the BIP44 change level: Receive (0) or Change (1).
type Branch uint32

const (
	Receive Branch = 0
	Change  Branch = 1
)

// MaxIndex is the largest address index: indexes at or above 2^31 would be hardened
// children, which cannot be derived from a public key.
const MaxIndex = hdkeychain.HardenedKeyStart - 1

// Errors of derivation and signing, wrapped with detail.
var (
	ErrUnsupportedFamily   = errors.New("address family is not supported by the keyring")
	ErrNoAccount           = errors.New("keyring has no key for this family and mode")
	ErrIndexOutOfRange     = errors.New("address index must be below 2^31")
	ErrInvalidBranch       = errors.New("branch must be 0 (receive) or 1 (change)")
	ErrWatchOnly           = errors.New("keyring is watch-only and cannot sign")
	ErrInvalidChildAtIndex = errors.New("BIP32 gives no valid key at this index; skip it")
)

// Derivation is the BIP32 origin of addr's key: its master key's fingerprint (zero
// when a watch-only keyring was given none) and its full path, hardened steps with
// hdkeychain.HardenedKeyStart added, as PSBTs (BIP 174) carry it.
func (k *Keyring) Derivation(addr Address) (fingerprint [4]byte, path []uint32, err error) {
	a, err := k.account(addr.Family, addr.Mode, addr.Branch, addr.Index)
	if err != nil {
		return fingerprint, nil, err
	}
	purpose, coin, _ := accountPath(addr.Family, addr.Mode)
	const h = hdkeychain.HardenedKeyStart
	number := a.number
	if number == 0 {
		number = h
	}
	return a.fingerprint, []uint32{h + purpose, h + coin, number, uint32(addr.Branch), addr.Index}, nil
}

// Address is one derived address.
type Address struct {
	Family  asset.Family
	Mode    asset.Mode
	Branch  Branch
	Index   uint32
	Encoded string // the address as users write it
	// PubKey is the 33-byte compressed public key.
	PubKey []byte
}

func (a Address) String() string { return a.Encoded }

// Path returns the BIP32 path of the address, "m/84'/0'/0'/0/5".
func (a Address) Path() string {
	purpose, coin, _ := accountPath(a.Family, a.Mode)
	return fmt.Sprintf("m/%d'/%d'/0'/%d/%d", purpose, coin, a.Branch, a.Index)
}

type accountID struct {
	family asset.Family
	mode   asset.Mode
}

type account struct {
	enc encoder
	// pub holds the neutered branch keys (receive, change) used to derive addresses.
	pub [2]*hdkeychain.ExtendedKey
	// priv holds the private branch keys; nil when watch-only.
	priv [2]*hdkeychain.ExtendedKey
	// xpub is the account extended public key, in the version wallets expect.
	xpub string
	// fingerprint is the master key's fingerprint (zero when a watch-only account
	// was given none).
	fingerprint [4]byte
	// number is the account's child number, hardened (0' for keyrings from a seed;
	// a watch-only account's xpub says its own).
	number uint32
}

// Keyring derives addresses and signing keys. It is safe for concurrent use: it is not
// changed after construction.
type Keyring struct {
	accounts  map[accountID]*account
	watchOnly bool
}

// Option adjusts how a Keyring encodes test-mode addresses.
type Option func(*options)

type options struct {
	btcTest, ltcTest *chaincfg.Params
}

// WithBitcoinTestParams selects the network whose address format test mode uses for
// bitcoin: chaincfg.TestNet3Params (tb1, the default), TestNet4Params, SigNetParams
// or RegressionNetParams (bcrt1).
func WithBitcoinTestParams(p *chaincfg.Params) Option {
	return func(o *options) { o.btcTest = p }
}

// WithLitecoinRegtest makes test-mode litecoin addresses use the regtest prefix (rltc1)
// instead of testnet's (tltc1).
func WithLitecoinRegtest() Option {
	return func(o *options) { o.ltcTest = LitecoinParams(asset.Test, true) }
}

func buildOptions(opts []Option) options {
	o := options{btcTest: &chaincfg.TestNet3Params, ltcTest: LitecoinParams(asset.Test, false)}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Families are the address families a Keyring derives.
var families = []asset.Family{asset.FamilyBTC, asset.FamilyLTC, asset.FamilyEVM, asset.FamilyTron}

// accountPath returns purpose and coin type of the account of family in mode.
func accountPath(f asset.Family, m asset.Mode) (purpose, coin uint32, err error) {
	switch f {
	case asset.FamilyBTC:
		if m == asset.Test {
			return 84, 1, nil
		}
		return 84, 0, nil
	case asset.FamilyLTC:
		if m == asset.Test {
			return 84, 1, nil
		}
		return 84, 2, nil
	case asset.FamilyEVM:
		return 44, 60, nil
	case asset.FamilyTron:
		return 44, 195, nil
	}
	return 0, 0, fmt.Errorf("%w: %q", ErrUnsupportedFamily, string(f))
}

// Families returns the families this keyring can derive for in mode.
func (k *Keyring) Families(m asset.Mode) []asset.Family {
	var out []asset.Family
	for _, f := range families {
		if _, ok := k.accounts[accountID{f, m}]; ok {
			out = append(out, f)
		}
	}
	return out
}

// WatchOnly reports whether the keyring lacks private keys.
func (k *Keyring) WatchOnly() bool { return k.watchOnly }

func (k *Keyring) account(f asset.Family, m asset.Mode, b Branch, index uint32) (*account, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("%w: %q", asset.ErrUnknownMode, string(m))
	}
	if _, _, err := accountPath(f, m); err != nil {
		return nil, err
	}
	if b != Receive && b != Change {
		return nil, fmt.Errorf("%w: %d", ErrInvalidBranch, b)
	}
	if index > MaxIndex {
		return nil, fmt.Errorf("%w: %d", ErrIndexOutOfRange, index)
	}
	a, ok := k.accounts[accountID{f, m}]
	if !ok {
		return nil, fmt.Errorf("%w: %s %s", ErrNoAccount, f, m)
	}
	return a, nil
}

// Address derives the address of family in mode at branch/index. It costs one public
// child derivation from the cached branch key.
func (k *Keyring) Address(f asset.Family, m asset.Mode, b Branch, index uint32) (Address, error) {
	a, err := k.account(f, m, b, index)
	if err != nil {
		return Address{}, err
	}
	child, err := a.pub[b].Derive(index)
	if errors.Is(err, hdkeychain.ErrInvalidChild) {
		return Address{}, fmt.Errorf("%w: %d", ErrInvalidChildAtIndex, index)
	}
	if err != nil {
		return Address{}, fmt.Errorf("derive %s/%d: %w", f, index, err)
	}
	pub, err := child.ECPubKey()
	if err != nil {
		return Address{}, fmt.Errorf("derive %s/%d: %w", f, index, err)
	}
	enc, err := a.enc(pub)
	if err != nil {
		return Address{}, err
	}
	return Address{Family: f, Mode: m, Branch: b, Index: index, Encoded: enc, PubKey: pub.SerializeCompressed()}, nil
}

// SigningKey returns the private key of the address of family in mode at branch/index,
// for a signer that uses it at once. The caller must not store or log it.
func (k *Keyring) SigningKey(f asset.Family, m asset.Mode, b Branch, index uint32) (*btcec.PrivateKey, error) {
	a, err := k.account(f, m, b, index)
	if err != nil {
		return nil, err
	}
	if a.priv[b] == nil {
		return nil, ErrWatchOnly
	}
	child, err := a.priv[b].Derive(index)
	if errors.Is(err, hdkeychain.ErrInvalidChild) {
		return nil, fmt.Errorf("%w: %d", ErrInvalidChildAtIndex, index)
	}
	if err != nil {
		return nil, fmt.Errorf("derive signing key %s/%d: %w", f, index, err)
	}
	return child.ECPrivKey()
}

// AccountXPub returns the account's extended public key, in the version prefix wallets
// expect for it (zpub/vpub for BIP84 accounts, xpub/tpub otherwise), so an operator can
// set up a watch-only deployment with FromXPubs.
func (k *Keyring) AccountXPub(f asset.Family, m asset.Mode) (string, error) {
	a, err := k.account(f, m, Receive, 0)
	if err != nil {
		return "", err
	}
	if a.priv[Receive] == nil && a.pub[Receive] == nil {
		return "", ErrNoAccount
	}
	return a.xpub, nil
}

// String says what the keyring can do and never shows a key.
func (k *Keyring) String() string {
	if k == nil {
		return "keys.Keyring(nil)"
	}
	kind := "signing"
	if k.watchOnly {
		kind = "watch-only"
	}
	return fmt.Sprintf("keys.Keyring(%s, %d accounts)", kind, len(k.accounts))
}

// GoString is String, so %#v cannot print key material either.
func (k *Keyring) GoString() string { return k.String() }

// LogValue makes slog print String.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

func normaliseSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }

// ErrIndexExhausted is returned when a family and mode have used all 2^31 indexes.
var ErrIndexExhausted = errors.New("all address indexes of this family and mode are used")

// IndexAllocator hands out address indexes, one sequence per family and mode, starting
// at 0. Storage backends implement it inside their transactions: an index is consumed
// only when the transaction that took it commits, and is never handed out twice, even
// across crashes.
type IndexAllocator interface {
	AllocateIndex(ctx context.Context, f asset.Family, m asset.Mode) (uint32, error)
	// AllocateIndexes takes n (at least 1) consecutive indexes at once and returns the
	// first; ErrIndexExhausted if the last would pass MaxIndex (nothing is taken).
	AllocateIndexes(ctx context.Context, f asset.Family, m asset.Mode, n uint32) (first uint32, err error)
}

// AddressBook remembers every address Kassa hands out with its derivation, so a payout
// can find the key of an output it spends. Storage backends implement it.
type AddressBook interface {
	// RecordAddress stores a (idempotent).
	RecordAddress(ctx context.Context, a Address) error
	// LookupAddress returns the derivation of an encoded address of family in mode.
	LookupAddress(ctx context.Context, f asset.Family, m asset.Mode, encoded string) (Address, bool, error)
}

// ChangeSequence is the IndexAllocator sequence of change addresses of family f: the
// receive and change branches count separately.
func ChangeSequence(f asset.Family) asset.Family { return f + ":change" }
