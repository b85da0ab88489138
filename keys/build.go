package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcutil/v2/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/tyler-smith/go-bip39"
	"golang.org/x/text/unicode/norm"
)

// Extended key version prefixes (SLIP-132).
var (
	versionXPub = []byte{0x04, 0x88, 0xb2, 0x1e}
	versionZPub = []byte{0x04, 0xb2, 0x47, 0x46}
	versionTPub = []byte{0x04, 0x35, 0x87, 0xcf}
	versionVPub = []byte{0x04, 0x5f, 0x1c, 0xf6}
	versionLtub = []byte{0x01, 0x9d, 0xa4, 0x62}
	versionMtub = []byte{0x01, 0xb2, 0x6e, 0xf6}
)

// acceptedVersions lists the public-key versions FromXPubs accepts for family in mode:
// the one a wallet exports for the account, and plain xpub/tpub.
func acceptedVersions(f asset.Family, m asset.Mode) [][]byte {
	switch {
	case f == asset.FamilyBTC && m == asset.Live:
		return [][]byte{versionZPub, versionXPub}
	case f == asset.FamilyLTC && m == asset.Live:
		return [][]byte{versionZPub, versionXPub, versionLtub, versionMtub}
	case m == asset.Test && (f == asset.FamilyBTC || f == asset.FamilyLTC):
		return [][]byte{versionVPub, versionTPub}
	case m == asset.Live: // evm, tron: the key carries no network
		return [][]byte{versionXPub}
	default:
		return [][]byte{versionXPub, versionTPub}
	}
}

// exportVersion is the version AccountXPub writes.
func exportVersion(f asset.Family, m asset.Mode) []byte {
	switch {
	case (f == asset.FamilyBTC || f == asset.FamilyLTC) && m == asset.Live:
		return versionZPub
	case f == asset.FamilyBTC || f == asset.FamilyLTC:
		return versionVPub
	}
	return versionXPub
}

// NewMnemonic returns a new random BIP39 mnemonic of 24 words (256 bits of entropy from
// crypto/rand). Write it down; Kassa never stores it.
func NewMnemonic() (string, error) {
	entropy := make([]byte, 32)
	if _, err := rand.Read(entropy); err != nil {
		return "", err
	}
	return bip39.NewMnemonic(entropy)
}

// ValidateMnemonic checks a BIP39 English mnemonic: word count, every word in the list,
// and the checksum. Its errors never repeat the words.
func ValidateMnemonic(mnemonic string) error {
	words := strings.Fields(norm.NFKD.String(mnemonic))
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return fmt.Errorf("%w (got %d)", ErrMnemonicWordCount, len(words))
	}
	for i, w := range words {
		if _, ok := bip39.GetWordIndex(strings.ToLower(w)); !ok {
			return fmt.Errorf("%w: word %d", ErrMnemonicWord, i+1)
		}
	}
	if _, err := bip39.EntropyFromMnemonic(strings.ToLower(strings.Join(words, " "))); err != nil {
		return ErrMnemonicChecksum
	}
	return nil
}

// FromMnemonic builds a signing Keyring from a BIP39 English mnemonic and an optional
// passphrase (the "25th word"). Both are NFKD-normalised as BIP39 requires; the
// mnemonic's checksum is validated.
func FromMnemonic(mnemonic, passphrase string, opts ...Option) (*Keyring, error) {
	seed, err := seedFromMnemonic(mnemonic, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	return FromSeed(seed, opts...)
}

// seedFromMnemonic validates mnemonic and returns its BIP39 seed.
func seedFromMnemonic(mnemonic, passphrase string) ([]byte, error) {
	if err := ValidateMnemonic(mnemonic); err != nil {
		return nil, err
	}
	m := strings.ToLower(normaliseSpaces(norm.NFKD.String(mnemonic)))
	return bip39.NewSeed(m, norm.NFKD.String(passphrase)), nil
}

// FromSeed builds a signing Keyring from a BIP32 seed (16 to 64 bytes). Most users want
// FromMnemonic.
func FromSeed(seed []byte, opts ...Option) (*Keyring, error) {
	o := buildOptions(opts)
	master, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return nil, fmt.Errorf("keys: master key: %w", err)
	}
	defer master.Zero()
	mpub, err := master.ECPubKey()
	if err != nil {
		return nil, fmt.Errorf("keys: master key: %w", err)
	}
	fp := [4]byte(address.Hash160(mpub.SerializeCompressed())[:4])
	k := &Keyring{accounts: map[accountID]*account{}}
	for _, m := range []asset.Mode{asset.Live, asset.Test} {
		for _, f := range families {
			purpose, coin, _ := accountPath(f, m)
			acct, err := derivePath(master, []uint32{
				hdkeychain.HardenedKeyStart + purpose, hdkeychain.HardenedKeyStart + coin, hdkeychain.HardenedKeyStart,
			})
			if err != nil {
				return nil, fmt.Errorf("keys: %s %s account: %w", f, m, err)
			}
			a := &account{enc: o.encoderFor(f, m), fingerprint: fp}
			for b := range 2 {
				if a.priv[b], err = acct.Derive(uint32(b)); err != nil {
					return nil, fmt.Errorf("keys: %s %s branch %d: %w", f, m, b, err)
				}
				if a.pub[b], err = a.priv[b].Neuter(); err != nil {
					return nil, fmt.Errorf("keys: %s %s branch %d: %w", f, m, b, err)
				}
			}
			pub, err := acct.Neuter()
			if err != nil {
				return nil, err
			}
			if pub, err = pub.CloneWithVersion(exportVersion(f, m)); err != nil {
				return nil, err
			}
			a.xpub = pub.String()
			acct.Zero()
			k.accounts[accountID{f, m}] = a
		}
	}
	return k, nil
}

// derivePath derives the child of key at path, one step at a time.
func derivePath(key *hdkeychain.ExtendedKey, path []uint32) (*hdkeychain.ExtendedKey, error) {
	var err error
	for _, i := range path {
		if key, err = key.Derive(i); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// XPub is one watch-only account: the extended public key at m/purpose'/coin'/0' of
// Family in Mode (what a wallet exports as the account xpub, zpub or vpub).
type XPub struct {
	Family asset.Family
	Mode   asset.Mode
	Key    string
	// Fingerprint is the master key's fingerprint as wallets show it (8 hex digits,
	// "73c5da0a"), optional: PSBTs name it with each key's path so that a hardware
	// wallet recognises its inputs and change (zero when unset).
	Fingerprint string
}

// FromXPubs builds a watch-only Keyring from account extended public keys. Each key must
// be public, at account depth 3, and carry a version that belongs to its family and
// mode (zpub or xpub for live bitcoin, vpub or tpub for test, xpub for EVM and Tron).
func FromXPubs(xpubs []XPub, opts ...Option) (*Keyring, error) {
	o := buildOptions(opts)
	k := &Keyring{accounts: map[accountID]*account{}, watchOnly: true}
	for i, x := range xpubs {
		if !x.Mode.Valid() {
			return nil, fmt.Errorf("keys: xpub %d: %w: %q", i, asset.ErrUnknownMode, string(x.Mode))
		}
		if _, _, err := accountPath(x.Family, x.Mode); err != nil {
			return nil, fmt.Errorf("keys: xpub %d: %w", i, err)
		}
		id := accountID{x.Family, x.Mode}
		if _, dup := k.accounts[id]; dup {
			return nil, fmt.Errorf("keys: xpub %d: %w: %s %s", i, ErrDuplicateAccount, x.Family, x.Mode)
		}
		key, err := hdkeychain.NewKeyFromString(strings.TrimSpace(x.Key))
		if err != nil {
			return nil, fmt.Errorf("keys: xpub %d (%s %s): %w: %v", i, x.Family, x.Mode, ErrInvalidXPub, err)
		}
		if key.IsPrivate() {
			return nil, fmt.Errorf("keys: xpub %d (%s %s): %w", i, x.Family, x.Mode, ErrPrivateKeyGiven)
		}
		if !versionIn(key.Version(), acceptedVersions(x.Family, x.Mode)) {
			return nil, fmt.Errorf("keys: xpub %d (%s %s): %w", i, x.Family, x.Mode, ErrWrongNetwork)
		}
		if key.Depth() != 3 {
			return nil, fmt.Errorf("keys: xpub %d (%s %s): %w (depth %d)", i, x.Family, x.Mode, ErrXPubDepth, key.Depth())
		}
		a := &account{enc: o.encoderFor(x.Family, x.Mode), xpub: key.String(), number: key.ChildIndex()}
		if x.Fingerprint != "" {
			fp, err := hex.DecodeString(strings.TrimSpace(x.Fingerprint))
			if err != nil || len(fp) != 4 {
				return nil, fmt.Errorf("keys: xpub %d (%s %s): %w: fingerprint %q is not 8 hex digits", i, x.Family, x.Mode, ErrInvalidXPub, x.Fingerprint)
			}
			a.fingerprint = [4]byte(fp)
		}
		for b := range 2 {
			if a.pub[b], err = key.Derive(uint32(b)); err != nil {
				return nil, fmt.Errorf("keys: xpub %d branch %d: %w", i, b, err)
			}
		}
		k.accounts[id] = a
	}
	return k, nil
}

func versionIn(v []byte, list [][]byte) bool {
	for _, w := range list {
		if bytes.Equal(v, w) {
			return true
		}
	}
	return false
}

// Errors of the keys a keyring is built from. Every constructor returns one of these,
// wrapped with detail.
var (
	ErrMnemonicWordCount = errors.New("mnemonic must have 12, 15, 18, 21 or 24 words")
	ErrMnemonicWord      = errors.New("mnemonic has a word that is not in the BIP39 English list")
	ErrMnemonicChecksum  = errors.New("mnemonic checksum does not match")
	ErrInvalidXPub       = errors.New("not a valid extended public key")
	ErrPrivateKeyGiven   = errors.New("an extended private key was given where a public key belongs")
	ErrWrongNetwork      = errors.New("extended key is for another network")
	ErrXPubDepth         = errors.New("extended key is not an account key (depth 3, m/purpose'/coin'/account')")
	ErrDuplicateAccount  = errors.New("two extended keys for the same family and mode")
)
