package bitcoin_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/keys"
)

var (
	mainnet = &chaincfg.MainNetParams
	regtest = &chaincfg.RegressionNetParams
	ltc     = keys.LitecoinParams(asset.Live, false)
)

// Addresses of the "abandon ... about" wallet (BIP84/44/49/86, CHAINS.md) and Litecoin's.
func TestAddressScript_RoundTripsPublishedAddresses(t *testing.T) {
	cases := []struct {
		addr   string
		params *chaincfg.Params
		kind   string
	}{
		{"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", mainnet, "p2wpkh"},
		{"bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr", mainnet, "p2tr"},
		{"1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", mainnet, "p2pkh"},
		{"37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf", mainnet, "p2sh"},
		{"bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk", regtest, "p2wpkh"},
		{"ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh", ltc, "p2wpkh"},
		{"LUWPbpM43E2p7ZSh8cyTBEkvpHmr3cB8Ez", ltc, "p2pkh"},
	}
	for _, c := range cases {
		script, err := bitcoin.AddressScript(c.addr, c.params)
		if err != nil {
			t.Errorf("%s: %v", c.addr, err)
			continue
		}
		back, ok := bitcoin.ScriptAddress(script, c.params)
		if !ok || back != c.addr {
			t.Errorf("%s (%s) -> script %x -> %s", c.addr, c.kind, script, back)
		}
	}
	// Upper-case bech32 is the same address.
	if _, err := bitcoin.AddressScript(strings.ToUpper("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"), mainnet); err != nil {
		t.Errorf("upper case: %v", err)
	}
}

func TestAddressScript_RejectsWrongNetworkAndBadChecksums(t *testing.T) {
	cases := []struct {
		addr   string
		params *chaincfg.Params
		want   error
	}{
		{"tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl", mainnet, bitcoin.ErrWrongNetwork},
		{"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", regtest, bitcoin.ErrWrongNetwork},
		{"ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh", mainnet, bitcoin.ErrWrongNetwork},
		{"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", ltc, bitcoin.ErrWrongNetwork},
		{"LUWPbpM43E2p7ZSh8cyTBEkvpHmr3cB8Ez", mainnet, bitcoin.ErrWrongNetwork},
		{"1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", ltc, bitcoin.ErrWrongNetwork},
		{"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv", mainnet, bitcoin.ErrBadChecksum},
		{"1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabB", mainnet, bitcoin.ErrBadChecksum},
		{"0x9858EfFD232B4033E47d90003D41EC34EcaEda94", mainnet, chains.ErrInvalidAddress},
		{"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", mainnet, chains.ErrInvalidAddress},
		{"bc1", mainnet, chains.ErrInvalidAddress},
		{"", mainnet, chains.ErrInvalidAddress},
		{strings.Repeat("1", 200), mainnet, chains.ErrInvalidAddress},
		{"BC1QCR8TE4KR609GCAWUTMRZA0J4XV80jy8z306fyu", mainnet, chains.ErrInvalidAddress}, // mixed case
	}
	for _, c := range cases {
		_, err := bitcoin.AddressScript(c.addr, c.params)
		if !errors.Is(err, c.want) || !errors.Is(err, chains.ErrInvalidAddress) {
			t.Errorf("%.50s on %s: %v, want %v", c.addr, c.params.Name, err, c.want)
		}
	}
}

func FuzzAddressScript(f *testing.F) {
	for _, s := range []string{"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA",
		"bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr", "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf", "tb1qxyz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		script, err := bitcoin.AddressScript(s, mainnet)
		if err != nil {
			if !errors.Is(err, chains.ErrInvalidAddress) {
				t.Fatalf("%q: untyped error %v", s, err)
			}
			return
		}
		back, ok := bitcoin.ScriptAddress(script, mainnet)
		if !ok || !strings.EqualFold(back, s) {
			t.Fatalf("%q decodes to a script that encodes as %q", s, back)
		}
	})
}

// Litecoin runs through the same code with Litecoin's parameters.
func TestLitecoin_BackendScansLTC(t *testing.T) {
	rpc, _ := bitcoin.NewRPC(bitcoin.RPCConfig{URL: "http://127.0.0.1:1"})
	b, err := bitcoin.New(bitcoin.Config{Network: asset.Litecoin, Mode: asset.Live, RPC: rpc})
	if err != nil {
		t.Fatal(err)
	}
	if b.Params().Bech32HRPSegwit != "ltc" || b.Network().ID != asset.Litecoin {
		t.Fatalf("params %s", b.Params().Name)
	}
	k, _ := keys.FromMnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "")
	a, _ := k.Address(asset.FamilyLTC, asset.Live, keys.Receive, 0)
	if err := b.ValidateAddress(a.Encoded); err != nil {
		t.Fatalf("%s: %v", a.Encoded, err)
	}
	if err := b.ValidateAddress("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"); !errors.Is(err, bitcoin.ErrWrongNetwork) {
		t.Fatalf("bitcoin address on litecoin: %v", err)
	}
	script, _ := bitcoin.AddressScript(a.Encoded, b.Params())
	blk := wire.MsgBlock{Header: wire.BlockHeader{Version: 4}}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 3}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(123_456, script))
	blk.AddTransaction(tx)
	var raw bytes.Buffer
	blk.Serialize(&raw)
	got, err := b.ScanRaw(raw.Bytes(), 7, chains.NewKeyedSet(b, a.Encoded))
	if err != nil || len(got.Transfers) != 1 || got.Transfers[0].Asset != "LTC" || got.Transfers[0].To != a.Encoded {
		t.Fatalf("scan: %+v, %v", got, err)
	}
}
