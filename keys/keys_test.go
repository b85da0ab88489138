package keys_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/v2/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	"github.com/tyler-smith/go-bip39"
)

const abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func mustKeyring(t testing.TB, opts ...keys.Option) *keys.Keyring {
	t.Helper()
	k, err := keys.FromMnemonic(abandon, "", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addr(t *testing.T, k *keys.Keyring, f asset.Family, m asset.Mode, b keys.Branch, i uint32) string {
	t.Helper()
	a, err := k.Address(f, m, b, i)
	if err != nil {
		t.Fatalf("Address(%s, %s, %d, %d): %v", f, m, b, i, err)
	}
	return a.Encoded
}

// The addresses common wallets derive for the "abandon ... about" mnemonic (BIP84, the
// Litecoin BIP84 account, MetaMask's first account and TronLink's).
func TestAddress_PublishedVectors(t *testing.T) {
	k := mustKeyring(t)
	reg := mustKeyring(t, keys.WithBitcoinTestParams(&chaincfg.RegressionNetParams))
	cases := []struct {
		k      *keys.Keyring
		f      asset.Family
		m      asset.Mode
		b      keys.Branch
		i      uint32
		want   string
		wantAt string
	}{
		{k, asset.FamilyBTC, asset.Live, keys.Receive, 0, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "m/84'/0'/0'/0/0"},
		{k, asset.FamilyBTC, asset.Live, keys.Receive, 1, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", "m/84'/0'/0'/0/1"},
		{k, asset.FamilyBTC, asset.Live, keys.Change, 0, "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el", "m/84'/0'/0'/1/0"},
		{k, asset.FamilyBTC, asset.Test, keys.Receive, 0, "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl", "m/84'/1'/0'/0/0"},
		{reg, asset.FamilyBTC, asset.Test, keys.Receive, 0, "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk", "m/84'/1'/0'/0/0"},
		{k, asset.FamilyLTC, asset.Live, keys.Receive, 0, "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh", "m/84'/2'/0'/0/0"},
		{k, asset.FamilyEVM, asset.Live, keys.Receive, 0, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "m/44'/60'/0'/0/0"},
		{k, asset.FamilyEVM, asset.Test, keys.Receive, 0, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "m/44'/60'/0'/0/0"},
		{k, asset.FamilyTron, asset.Live, keys.Receive, 0, "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "m/44'/195'/0'/0/0"},
	}
	for _, c := range cases {
		a, err := c.k.Address(c.f, c.m, c.b, c.i)
		if err != nil {
			t.Fatalf("%s: %v", c.wantAt, err)
		}
		if a.Encoded != c.want || a.Path() != c.wantAt {
			t.Errorf("%s %s = %s at %s, want %s at %s", c.f, c.m, a.Encoded, a.Path(), c.want, c.wantAt)
		}
	}
	zpub, err := k.AccountXPub(asset.FamilyBTC, asset.Live)
	if err != nil || zpub != "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs" {
		t.Errorf("BIP84 account zpub = %s, %v", zpub, err)
	}
}

// The private key behind an address signs for that address: its public key matches.
func TestSigningKey_MatchesAddress(t *testing.T) {
	k := mustKeyring(t)
	for _, f := range []asset.Family{asset.FamilyBTC, asset.FamilyLTC, asset.FamilyEVM, asset.FamilyTron} {
		for _, idx := range []uint32{0, 7, keys.MaxIndex} {
			a, err := k.Address(f, asset.Live, keys.Change, idx)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := k.SigningKey(f, asset.Live, keys.Change, idx)
			if err != nil {
				t.Fatal(err)
			}
			if got := priv.PubKey().SerializeCompressed(); string(got) != string(a.PubKey) {
				t.Errorf("%s/%d: signing key does not match address key", f, idx)
			}
		}
	}
	evmKey, _ := k.SigningKey(asset.FamilyEVM, asset.Live, keys.Receive, 0)
	if fmt.Sprintf("%x", evmKey.Serialize()) != "1ab42cc412b618bdea3a599e3c9bae199ebf030895b039e9db1e30dafb12b727" {
		t.Errorf("EVM private key 0/0 = %x", evmKey.Serialize())
	}
}

func TestAddress_ModesAreSeparate(t *testing.T) {
	k := mustKeyring(t)
	live := addr(t, k, asset.FamilyBTC, asset.Live, keys.Receive, 3)
	test := addr(t, k, asset.FamilyBTC, asset.Test, keys.Receive, 3)
	if strings.TrimPrefix(live, "bc1") == strings.TrimPrefix(test, "tb1") {
		t.Fatal("live and test bitcoin share a key")
	}
	ltcTest := addr(t, k, asset.FamilyLTC, asset.Test, keys.Receive, 0)
	if !strings.HasPrefix(ltcTest, "tltc1") {
		t.Fatalf("litecoin test address %s", ltcTest)
	}
	ltcReg := mustKeyring(t, keys.WithLitecoinRegtest())
	if a := addr(t, ltcReg, asset.FamilyLTC, asset.Test, keys.Receive, 0); !strings.HasPrefix(a, "rltc1") {
		t.Fatalf("litecoin regtest address %s", a)
	}
}

func TestFromMnemonic_BadInput(t *testing.T) {
	cases := []struct {
		name, mnemonic string
		want           error
	}{
		{"empty", "", keys.ErrMnemonicWordCount},
		{"eleven words", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", keys.ErrMnemonicWordCount},
		{"thirteen words", abandon + " abandon", keys.ErrMnemonicWordCount},
		{"unknown word", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon bitcoinx", keys.ErrMnemonicWord},
		{"bad checksum", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", keys.ErrMnemonicChecksum},
		{"bad checksum 24", "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo", keys.ErrMnemonicChecksum},
	}
	for _, c := range cases {
		k, err := keys.FromMnemonic(c.mnemonic, "")
		if !errors.Is(err, c.want) || k != nil {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "bitcoinx") {
			t.Errorf("%s: error repeats the mnemonic: %v", c.name, err)
		}
	}
	// A passphrase gives another wallet.
	a, _ := keys.FromMnemonic(abandon, "")
	b, _ := keys.FromMnemonic(abandon, "TREZOR")
	x, _ := a.Address(asset.FamilyEVM, asset.Live, keys.Receive, 0)
	y, _ := b.Address(asset.FamilyEVM, asset.Live, keys.Receive, 0)
	if x.Encoded == y.Encoded {
		t.Fatal("passphrase ignored")
	}
}

func TestAddress_BadInput(t *testing.T) {
	k := mustKeyring(t)
	cases := []struct {
		f    asset.Family
		m    asset.Mode
		b    keys.Branch
		i    uint32
		want error
	}{
		{asset.FamilyBTC, asset.Live, keys.Receive, 1 << 31, keys.ErrIndexOutOfRange},
		{asset.FamilyBTC, asset.Live, keys.Receive, ^uint32(0), keys.ErrIndexOutOfRange},
		{asset.FamilyBTC, asset.Live, 2, 0, keys.ErrInvalidBranch},
		{asset.FamilySolana, asset.Live, keys.Receive, 0, keys.ErrUnsupportedFamily},
		{"doge", asset.Live, keys.Receive, 0, keys.ErrUnsupportedFamily},
		{asset.FamilyBTC, "prod", keys.Receive, 0, asset.ErrUnknownMode},
	}
	for _, c := range cases {
		if _, err := k.Address(c.f, c.m, c.b, c.i); !errors.Is(err, c.want) {
			t.Errorf("Address(%s,%s,%d,%d) = %v, want %v", c.f, c.m, c.b, c.i, err, c.want)
		}
		if _, err := k.SigningKey(c.f, c.m, c.b, c.i); !errors.Is(err, c.want) {
			t.Errorf("SigningKey(%s,%s,%d,%d) = %v, want %v", c.f, c.m, c.b, c.i, err, c.want)
		}
	}
}

func TestFromXPubs_WatchOnlyDerivesTheSameAddresses(t *testing.T) {
	full := mustKeyring(t)
	var xpubs []keys.XPub
	for _, m := range []asset.Mode{asset.Live, asset.Test} {
		for _, f := range full.Families(m) {
			x, err := full.AccountXPub(f, m)
			if err != nil {
				t.Fatal(err)
			}
			xpubs = append(xpubs, keys.XPub{Family: f, Mode: m, Key: x})
		}
	}
	w, err := keys.FromXPubs(xpubs)
	if err != nil {
		t.Fatal(err)
	}
	if !w.WatchOnly() || full.WatchOnly() {
		t.Fatal("WatchOnly wrong")
	}
	for _, x := range xpubs {
		for _, i := range []uint32{0, 1, 1000} {
			if a, b := addr(t, full, x.Family, x.Mode, keys.Receive, i), addr(t, w, x.Family, x.Mode, keys.Receive, i); a != b {
				t.Errorf("%s %s %d: %s != %s", x.Family, x.Mode, i, a, b)
			}
		}
	}
	if _, err := w.SigningKey(asset.FamilyBTC, asset.Live, keys.Receive, 0); !errors.Is(err, keys.ErrWatchOnly) {
		t.Fatalf("watch-only SigningKey = %v", err)
	}
	// A watch-only keyring with one account only knows that account.
	one, err := keys.FromXPubs(xpubs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.Address(asset.FamilyEVM, asset.Live, keys.Receive, 0); !errors.Is(err, keys.ErrNoAccount) {
		t.Fatalf("missing account: %v", err)
	}
}

func TestFromXPubs_BadInput(t *testing.T) {
	full := mustKeyring(t)
	zpub, _ := full.AccountXPub(asset.FamilyBTC, asset.Live)
	vpub, _ := full.AccountXPub(asset.FamilyBTC, asset.Test)
	evm, _ := full.AccountXPub(asset.FamilyEVM, asset.Live)
	const tv1Master = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
	const tv1Xprv = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
	badChecksum := zpub[:len(zpub)-1] + string("abcdefgh"[(strings.IndexByte("abcdefgh", zpub[len(zpub)-1])+1)%8])
	cases := []struct {
		name  string
		xpubs []keys.XPub
		want  error
	}{
		{"testnet key for live", []keys.XPub{{asset.FamilyBTC, asset.Live, vpub, ""}}, keys.ErrWrongNetwork},
		{"mainnet key for test", []keys.XPub{{asset.FamilyBTC, asset.Test, zpub, ""}}, keys.ErrWrongNetwork},
		{"private key", []keys.XPub{{asset.FamilyEVM, asset.Live, tv1Xprv, ""}}, keys.ErrPrivateKeyGiven},
		{"master, not account", []keys.XPub{{asset.FamilyEVM, asset.Live, tv1Master, ""}}, keys.ErrXPubDepth},
		{"garbage", []keys.XPub{{asset.FamilyEVM, asset.Live, "xpub-not-a-key", ""}}, keys.ErrInvalidXPub},
		{"bad checksum", []keys.XPub{{asset.FamilyBTC, asset.Live, badChecksum, ""}}, keys.ErrInvalidXPub},
		{"duplicate", []keys.XPub{{asset.FamilyEVM, asset.Live, evm, ""}, {asset.FamilyEVM, asset.Live, evm, ""}}, keys.ErrDuplicateAccount},
		{"unsupported family", []keys.XPub{{asset.FamilySolana, asset.Live, evm, ""}}, keys.ErrUnsupportedFamily},
		{"bad mode", []keys.XPub{{asset.FamilyEVM, "main", evm, ""}}, asset.ErrUnknownMode},
		{"bad fingerprint", []keys.XPub{{asset.FamilyEVM, asset.Live, evm, "73c5da0"}}, keys.ErrInvalidXPub},
		{"fingerprint not hex", []keys.XPub{{asset.FamilyEVM, asset.Live, evm, "73c5da0z"}}, keys.ErrInvalidXPub},
	}
	for _, c := range cases {
		if k, err := keys.FromXPubs(c.xpubs); !errors.Is(err, c.want) || k != nil {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestKeyring_NeverPrintsKeys(t *testing.T) {
	k := mustKeyring(t)
	priv, _ := k.SigningKey(asset.FamilyEVM, asset.Live, keys.Receive, 0)
	secret := fmt.Sprintf("%x", priv.Serialize())
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("k", "keyring", k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), buf.String()} {
		if strings.Contains(s, "xprv") || strings.Contains(s, secret) || strings.Contains(s, "0x") {
			t.Fatalf("keyring printed key material: %s", s)
		}
	}
}

func TestNewMnemonic_IsValidAndRandom(t *testing.T) {
	a, err := keys.NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := keys.NewMnemonic()
	if a == b || len(strings.Fields(a)) != 24 || keys.ValidateMnemonic(a) != nil {
		t.Fatalf("NewMnemonic: %q / %q", a, b)
	}
}

// BenchmarkAddress measures one address derivation per family against the bare cost of
// the secp256k1 public key multiplication (btcec) that every derivation must pay.
func BenchmarkAddress(b *testing.B) {
	k := mustKeyring(b)
	b.Run("baseline=secp256k1-pubkey-mult", func(b *testing.B) {
		var scalar [32]byte
		for i := 0; b.Loop(); i++ {
			scalar[31], scalar[30], scalar[0] = byte(i), byte(i>>8), 1
			priv, _ := btcec.PrivKeyFromBytes(scalar[:])
			_ = priv.PubKey().SerializeCompressed()
		}
	})
	for _, f := range []asset.Family{asset.FamilyBTC, asset.FamilyLTC, asset.FamilyEVM, asset.FamilyTron} {
		b.Run(string(f), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := k.Address(f, asset.Live, keys.Receive, uint32(i%1_000_000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestChecksumEVM: the EIP-55 specification's examples.
func TestChecksumEVM(t *testing.T) {
	for _, want := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
		"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
		"0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
	} {
		var b [20]byte
		if _, err := hex.Decode(b[:], []byte(strings.ToLower(want[2:]))); err != nil {
			t.Fatal(err)
		}
		if got := keys.ChecksumEVM(b); got != want {
			t.Errorf("ChecksumEVM: %s, want %s", got, want)
		}
	}
}

// TestDerivation_FingerprintAndPath: a key's BIP32 origin, as PSBTs carry it. The
// master fingerprint of the "abandon ... about" mnemonic is 73c5da0a (BIP 84's test
// vector, and what every wallet shows for it); a watch-only keyring has it only when
// given.
func TestDerivation_FingerprintAndPath(t *testing.T) {
	k, err := keys.FromMnemonic(abandon, "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := k.Address(asset.FamilyBTC, asset.Live, keys.Change, 7)
	fp, path, err := k.Derivation(a)
	const h = 0x80000000
	if err != nil || hex.EncodeToString(fp[:]) != "73c5da0a" || !slices.Equal(path, []uint32{h + 84, h + 0, h + 0, 1, 7}) {
		t.Fatalf("Derivation = %x %v %v, want 73c5da0a m/84'/0'/0'/1/7", fp, path, err)
	}
	tb, _ := k.Address(asset.FamilyBTC, asset.Test, keys.Receive, 2)
	if _, path, _ := k.Derivation(tb); !slices.Equal(path, []uint32{h + 84, h + 1, h + 0, 0, 2}) {
		t.Fatalf("test-mode path %v, want m/84'/1'/0'/0/2", path)
	}
	xpub, _ := k.AccountXPub(asset.FamilyBTC, asset.Live)
	for _, c := range []struct{ given, want string }{{"73C5DA0A", "73c5da0a"}, {"", "00000000"}} {
		w, err := keys.FromXPubs([]keys.XPub{{Family: asset.FamilyBTC, Mode: asset.Live, Key: xpub, Fingerprint: c.given}})
		if err != nil {
			t.Fatal(err)
		}
		wa, _ := w.Address(asset.FamilyBTC, asset.Live, keys.Change, 7)
		fp, wpath, err := w.Derivation(wa)
		if err != nil || hex.EncodeToString(fp[:]) != c.want || !slices.Equal(wpath, []uint32{h + 84, h + 0, h + 0, 1, 7}) {
			t.Errorf("watch-only (fingerprint %q): %x %v %v", c.given, fp, wpath, err)
		}
	}
	if _, _, err := k.Derivation(keys.Address{Family: asset.FamilyBTC, Mode: asset.Live, Branch: 5}); !errors.Is(err, keys.ErrInvalidBranch) {
		t.Errorf("Derivation of a bad branch: %v", err)
	}
}

// TestDerivation_TheXPubsOwnAccount: a watch-only account exported at another account
// number (m/84'/0'/1') names that number in its paths, so a hardware wallet finds the
// key.
func TestDerivation_TheXPubsOwnAccount(t *testing.T) {
	seed := bip39.NewSeed(abandon, "")
	master, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	const h = hdkeychain.HardenedKeyStart
	acct := master
	for _, step := range []uint32{h + 84, h + 0, h + 1} {
		if acct, err = acct.Derive(step); err != nil {
			t.Fatal(err)
		}
	}
	pub, _ := acct.Neuter()
	w, err := keys.FromXPubs([]keys.XPub{{Family: asset.FamilyBTC, Mode: asset.Live, Key: pub.String(), Fingerprint: "73c5da0a"}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.Address(asset.FamilyBTC, asset.Live, keys.Receive, 4)
	fp, path, err := w.Derivation(a)
	if err != nil || hex.EncodeToString(fp[:]) != "73c5da0a" || !slices.Equal(path, []uint32{h + 84, h + 0, h + 1, 0, 4}) {
		t.Fatalf("Derivation = %x %v %v, want 73c5da0a m/84'/0'/1'/0/4", fp, path, err)
	}
}
