package keys

import (
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcutil/v2/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/v2"
)

// Trezor's BIP39 vectors (passphrase "TREZOR"): mnemonic -> seed, and the BIP32 root key
// of that seed for the first one.
func TestBIP39_TrezorVectors(t *testing.T) {
	vectors := []struct{ mnemonic, seed string }{
		{"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
			"c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"},
		{"legal winner thank year wave sausage worth useful legal winner thank yellow",
			"2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607"},
		{"letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
			"d71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8"},
		{"zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
			"ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069"},
		{"letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter always",
			"107d7c02a5aa6f38c58083ff74f04c607c2d2c0ecc55501dadd72d025b751bc27fe913ffb796f841c49b1d33b610cf0e91d3aa239027f5e99fe4ce9e5088cd65"},
		{"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
			"bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8"},
		{"zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote",
			"dd48c104698c30cfe2b6142103248622fb7bb0ff692eebb00089b32d22484e1613912f0a5b694407be899ffd31ed3992c456cdf60f5d4564b8ba3f05a69890ad"},
	}
	for _, v := range vectors {
		seed, err := seedFromMnemonic(v.mnemonic, "TREZOR")
		if err != nil {
			t.Fatalf("%.30s...: %v", v.mnemonic, err)
		}
		if got := hex.EncodeToString(seed); got != v.seed {
			t.Errorf("%.30s...: seed %s, want %s", v.mnemonic, got, v.seed)
		}
	}
	seed, _ := seedFromMnemonic(vectors[0].mnemonic, "TREZOR")
	root, _ := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if got, want := root.String(), "xprv9s21ZrQH143K3h3fDYiay8mocZ3afhfULfb5GX8kCBdno77K4HiA15Tg23wpbeF1pLfs1c5SPmYHrEpTuuRhxMwvKDwqdKiGJS9XFKzUsAF"; got != want {
		t.Errorf("root xprv = %s, want %s", got, want)
	}
	// Extra spaces and upper case are the same mnemonic.
	seed2, err := seedFromMnemonic("  ABANDON abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon   about ", "TREZOR")
	if err != nil || hex.EncodeToString(seed2) != vectors[0].seed {
		t.Errorf("normalised mnemonic gave %x, %v", seed2, err)
	}
}

const H = hdkeychain.HardenedKeyStart

// BIP32 test vectors 1 and 4 (the leading-zero private key that the pre-fix btcutil
// derivation got wrong).
func TestBIP32_Vectors1And4(t *testing.T) {
	cases := []struct {
		seed       string
		path       []uint32
		xprv, xpub string
	}{
		{"000102030405060708090a0b0c0d0e0f", nil,
			"xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
			"xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"},
		{"000102030405060708090a0b0c0d0e0f", []uint32{H}, "",
			"xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"},
		{"3ddd5602285899a946114506157c7997e5444528f3003f6134712147db19b678", nil,
			"xprv9s21ZrQH143K48vGoLGRPxgo2JNkJ3J3fqkirQC2zVdk5Dgd5w14S7fRDyHH4dWNHUgkvsvNDCkvAwcSHNAQwhwgNMgZhLtQC63zxwhQmRv", ""},
		{"3ddd5602285899a946114506157c7997e5444528f3003f6134712147db19b678", []uint32{H},
			"xprv9vB7xEWwNp9kh1wQRfCCQMnZUEG21LpbR9NPCNN1dwhiZkjjeGRnaALmPXCX7SgjFTiCTT6bXes17boXtjq3xLpcDjzEuGLQBM5ohqkao9G", ""},
		{"3ddd5602285899a946114506157c7997e5444528f3003f6134712147db19b678", []uint32{H, H + 1},
			"xprv9xJocDuwtYCMNAo3Zw76WENQeAS6WGXQ55RCy7tDJ8oALr4FWkuVoHJeHVAcAqiZLE7Je3vZJHxspZdFHfnBEjHqU5hG1Jaj32dVoS6XLT1", ""},
	}
	for _, c := range cases {
		seed, _ := hex.DecodeString(c.seed)
		master, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
		if err != nil {
			t.Fatal(err)
		}
		k, err := derivePath(master, c.path)
		if err != nil {
			t.Fatalf("%s %v: %v", c.seed[:8], c.path, err)
		}
		if c.xprv != "" && k.String() != c.xprv {
			t.Errorf("%s %v xprv = %s, want %s", c.seed[:8], c.path, k, c.xprv)
		}
		if c.xpub != "" {
			pub, _ := k.Neuter()
			if pub.String() != c.xpub {
				t.Errorf("%s %v xpub = %s, want %s", c.seed[:8], c.path, pub, c.xpub)
			}
		}
	}
}
