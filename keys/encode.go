package keys

import (
	"fmt"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
	"golang.org/x/crypto/sha3"
)

// encoder turns a public key into the address text of one family and network.
type encoder func(*btcec.PublicKey) (string, error)

// p2wpkh encodes a BIP84 pay-to-witness-public-key-hash address for params.
func p2wpkh(params *chaincfg.Params) encoder {
	return func(pub *btcec.PublicKey) (string, error) {
		a, err := address.NewAddressWitnessPubKeyHash(address.Hash160(pub.SerializeCompressed()), params)
		if err != nil {
			return "", fmt.Errorf("encode p2wpkh: %w", err)
		}
		return a.EncodeAddress(), nil
	}
}

// evmAddress encodes the EIP-55 checksummed address: the last 20 bytes of the Keccak-256
// of the uncompressed public key.
func evmAddress(pub *btcec.PublicKey) (string, error) {
	return ChecksumEVM(evmBytes(pub)), nil
}

// evmBytes are an EVM (and Tron) account's 20 address bytes: the last 20 of the
// Keccak-256 of the uncompressed public key without its 0x04 prefix.
func evmBytes(pub *btcec.PublicKey) [20]byte {
	var out [20]byte
	copy(out[:], keccak256(pub.SerializeUncompressed()[1:])[12:])
	return out
}

// keccak256 is Ethereum's Keccak-256 (the original padding, not FIPS 202 SHA3-256).
func keccak256(b []byte) []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write(b)
	return h.Sum(nil)
}

// ChecksumEVM spells 20 address bytes as EIP-55 does: "0x" and 40 hex digits, a letter
// in upper case where the matching nibble of the Keccak-256 of the lower-case hex is 8
// or more.
func ChecksumEVM(addr [20]byte) string {
	const digits = "0123456789abcdef"
	lower := make([]byte, 40)
	for i, b := range addr {
		lower[2*i], lower[2*i+1] = digits[b>>4], digits[b&0xf]
	}
	hash := keccak256(lower)
	out := make([]byte, 42)
	out[0], out[1] = '0', 'x'
	for i, c := range lower {
		nibble := hash[i/2] >> 4
		if i%2 == 1 {
			nibble = hash[i/2] & 0xf
		}
		if c >= 'a' && nibble >= 8 {
			c -= 'a' - 'A'
		}
		out[i+2] = c
	}
	return string(out)
}

// TronVersion is the version byte of Tron addresses (they start with T).
const TronVersion = 0x41

// tronAddress encodes the EVM address bytes with version 0x41 in base58check.
func tronAddress(pub *btcec.PublicKey) (string, error) {
	b := evmBytes(pub)
	return base58.CheckEncode(b[:], TronVersion), nil
}

// LitecoinParams returns Litecoin's parameters for mode (regtest selects the regtest
// prefix rltc in test mode) as a new value. Only what
// address and key encoding read is set; it is never registered with chaincfg (that
// registry is global state), so address decoding must check prefixes itself.
func LitecoinParams(m asset.Mode, regtest bool) *chaincfg.Params {
	p := chaincfg.MainNetParams
	p.Name = "litecoin"
	p.Bech32HRPSegwit = "ltc"
	p.PubKeyHashAddrID = 0x30
	p.ScriptHashAddrID = 0x32
	p.PrivateKeyID = 0xb0
	p.HDCoinType = 2
	if m == asset.Test {
		p = chaincfg.TestNet3Params
		p.Name = "litecoin-testnet"
		p.Bech32HRPSegwit = "tltc"
		p.PubKeyHashAddrID = 0x6f
		p.ScriptHashAddrID = 0x3a
		p.PrivateKeyID = 0xef
		p.HDCoinType = 1
		if regtest {
			p.Name = "litecoin-regtest"
			p.Bech32HRPSegwit = "rltc"
		}
	}
	return &p
}

func (o options) encoderFor(f asset.Family, m asset.Mode) encoder {
	switch f {
	case asset.FamilyBTC:
		if m == asset.Test {
			return p2wpkh(o.btcTest)
		}
		return p2wpkh(&chaincfg.MainNetParams)
	case asset.FamilyLTC:
		if m == asset.Test {
			return p2wpkh(o.ltcTest)
		}
		return p2wpkh(LitecoinParams(asset.Live, false))
	case asset.FamilyEVM:
		return evmAddress
	case asset.FamilyTron:
		return tronAddress
	}
	return nil
}
