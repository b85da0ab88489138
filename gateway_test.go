package kassa_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
)

const demoMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var dec = kassatest.Dec

// testGateway is a Gateway with the database it runs on.
type testGateway struct {
	*kassa.Gateway
	store storage.Store
}

// gatewayWith builds a Gateway for a test from cfg (kassatest.Gateway).
func gatewayWith(t *testing.T, cfg kassa.Config) testGateway {
	t.Helper()
	g, store := kassatest.Gateway(t, cfg)
	return testGateway{g, store}
}

// simChain is a sim chain standing in for network n in mode m.
func simChain(n asset.NetworkID, m asset.Mode) *sim.Chain { return kassatest.SimChain(n, m) }

func newGateway(t *testing.T) testGateway {
	t.Helper()
	return gatewayWith(t, kassa.Config{Mnemonic: demoMnemonic, DatabasePath: filepath.Join(t.TempDir(), "kassa.db")})
}

func TestNew_RejectsBadConfig(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	cases := []struct {
		name  string
		cfg   kassa.Config
		field string
		want  error
	}{
		{"no keys", kassa.Config{DatabasePath: db}, "Mnemonic", kassa.ErrNoKeys},
		{"two key sources", kassa.Config{DatabasePath: db, Mnemonic: demoMnemonic, XPubs: []keys.XPub{{}}}, "Mnemonic", kassa.ErrNoKeys},
		{"no database", kassa.Config{Mnemonic: demoMnemonic}, "DatabasePath", kassa.ErrNoDatabase},
		{"bad checksum", kassa.Config{DatabasePath: db, Mnemonic: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon"}, "Mnemonic", keys.ErrMnemonicChecksum},
		{"bad xpub", kassa.Config{DatabasePath: db, XPubs: []keys.XPub{{Family: asset.FamilyEVM, Mode: asset.Live, Key: "xpubnope"}}}, "XPubs", keys.ErrInvalidXPub},
	}
	for _, c := range cases {
		g, err := kassa.New(c.cfg)
		var ve *kassa.ValidationError
		if g != nil || !errors.As(err, &ve) || !errors.Is(err, c.want) || len(ve.Fields[c.field]) == 0 {
			t.Errorf("%s: %v (fields %v), want %v on %s", c.name, err, ve, c.want, c.field)
		}
	}
}

func TestNewDepositAddress_UniqueAndSharedAcrossEVM(t *testing.T) {
	g := newGateway(t)
	ctx := t.Context()
	k, _ := keys.FromMnemonic(demoMnemonic, "")
	want := func(f asset.Family, i uint32) string {
		a, _ := k.Address(f, asset.Test, keys.Receive, i)
		return a.Encoded
	}
	steps := []struct {
		code   string
		family asset.Family
		index  uint32
	}{
		{"BTC", asset.FamilyBTC, 0}, {"BTC", asset.FamilyBTC, 1},
		{"ETH", asset.FamilyEVM, 0}, {"USDT_BSC", asset.FamilyEVM, 1}, {"USDC_POLYGON", asset.FamilyEVM, 2},
		{"USDT_TRON", asset.FamilyTron, 0}, {"BTC", asset.FamilyBTC, 2},
	}
	for _, s := range steps {
		a, err := g.Invoices().NewDepositAddress(ctx, asset.Test, s.code)
		if err != nil {
			t.Fatal(err)
		}
		if a.Index != s.index || a.Encoded != want(s.family, s.index) {
			t.Fatalf("%s: got %s at %d, want %s at %d", s.code, a.Encoded, a.Index, want(s.family, s.index), s.index)
		}
	}
}

func TestNewDepositAddress_BadInputConsumesNoIndex(t *testing.T) {
	g := newGateway(t)
	ctx := t.Context()
	for _, c := range []struct {
		mode asset.Mode
		code string
		want error
	}{{asset.Test, "DOGE", asset.ErrUnknownAsset}, {asset.Test, "USDT", asset.ErrAmbiguousAsset}, {"prod", "BTC", asset.ErrUnknownMode}} {
		if _, err := g.Invoices().NewDepositAddress(ctx, c.mode, c.code); !errors.Is(err, c.want) {
			t.Errorf("%s %s: %v, want %v", c.mode, c.code, err, c.want)
		}
	}
	a, err := g.Invoices().NewDepositAddress(ctx, asset.Test, "BTC")
	if err != nil || a.Index != 0 {
		t.Fatalf("first good address at %d (%v), want 0", a.Index, err)
	}
}

func TestBalance_ReflectsLedger(t *testing.T) {
	g := newGateway(t)
	ctx := t.Context()
	b, err := g.Balance(ctx, asset.Test, "USDT_BSC")
	if err != nil || !b.Available.IsZero() {
		t.Fatalf("unused asset: %+v, %v", b, err)
	}
	amount, _ := new(big.Int).SetString("12345000000000000000", 10) // 12.345 USDT at 18 decimals
	err = g.store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		if err := ledger.EnsureStandardAccounts(ctx, tx, asset.Test, "USDT_BSC"); err != nil {
			return err
		}
		_, err := ledger.Post(ctx, tx, ledger.Entry{Key: "credit:bsc:0xabc:3", Postings: []ledger.Posting{
			{Account: ledger.World(asset.Test, "USDT_BSC"), Amount: new(big.Int).Neg(amount)},
			{Account: ledger.MerchantAvailable(asset.Test, "USDT_BSC"), Amount: amount},
		}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = g.Balance(ctx, asset.Test, "usdt-bep20")
	if b.Available.String() != "12.345" || b.Asset != "USDT_BSC" {
		t.Fatalf("balance %+v", b)
	}
	live, _ := g.Balance(ctx, asset.Live, "USDT_BSC")
	if !live.Available.IsZero() {
		t.Fatal("test-mode credit visible in live mode")
	}
}

func Example() {
	g, err := kassa.New(kassa.Config{
		Mnemonic:     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		DatabasePath: ":memory:",
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer g.Close()
	a, _ := g.Invoices().NewDepositAddress(context.Background(), asset.Live, "BTC")
	e, _ := g.Invoices().NewDepositAddress(context.Background(), asset.Live, "USDT_BSC")
	fmt.Println(a.Encoded, a.Path())
	fmt.Println(e.Encoded, e.Path())
	// Output:
	// bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu m/84'/0'/0'/0/0
	// 0x9858EfFD232B4033E47d90003D41EC34EcaEda94 m/44'/60'/0'/0/0
}

// TestNew_RefusesAWrongMasterKey (issue 14.8): a wrong master key started silently and
// every webhook stayed pending. New now proves the key against a sealed check value,
// or, on a database from before check values, against a stored secret.
func TestNew_RefusesAWrongMasterKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kassa.db")
	keyA := []byte("master key A: thirty-two bytes!!")
	keyB := []byte("master key B: thirty-two bytes!!")
	open := func(key []byte) (*kassa.Gateway, error) {
		return kassa.New(kassa.Config{Mnemonic: demoMnemonic, DatabasePath: db, MasterKey: key, Logger: quiet})
	}
	g, err := open(keyA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Keys().Create(t.Context(), apikey.CreateParams{Mode: asset.Test}); err != nil {
		t.Fatal(err)
	}
	g.Close()
	if g, err := open(keyB); !errors.Is(err, kassa.ErrWrongMasterKey) || g != nil {
		t.Fatalf("wrong key: %v", err)
	}
	g, err = open(keyA)
	if err != nil {
		t.Fatalf("right key: %v", err)
	}
	g.Close()
	// A database written before check values: only the API key's sealed secret can
	// tell, and does.
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("DELETE FROM settings"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := open(keyB); !errors.Is(err, kassa.ErrWrongMasterKey) {
		t.Fatalf("wrong key on a database without a check value: %v", err)
	}
	if g, err := open(keyA); err != nil {
		t.Fatalf("right key on a database without a check value: %v", err)
	} else {
		g.Close()
	}
}
