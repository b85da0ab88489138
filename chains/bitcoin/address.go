package bitcoin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/kassapay/kassa/chains"
)

// Address errors, wrapping chains.ErrInvalidAddress.
var (
	ErrWrongNetwork = fmt.Errorf("%w: address is for another network", chains.ErrInvalidAddress)
	ErrBadChecksum  = fmt.Errorf("%w: checksum does not match", chains.ErrInvalidAddress)
)

// knownHRPs are segwit prefixes of networks other than the one decoding, to say "wrong
// network" instead of "invalid" when an address is valid elsewhere.
var knownHRPs = []string{"bc", "tb", "bcrt", "ltc", "tltc", "rltc", "sb"}

// AddressScript decodes addr for params and returns its output script. It accepts
// segwit v0 (P2WPKH, P2WSH, bech32), segwit v1+ (P2TR, bech32m), P2PKH and P2SH
// (base58check), and refuses addresses of other networks (ErrWrongNetwork), bad
// checksums (ErrBadChecksum) and anything else (chains.ErrInvalidAddress).
//
// It does not use address.DecodeAddress, whose network check depends on global
// registration of parameters (a registered Litecoin would make "ltc1..." decode for
// bitcoin's parameters too).
func AddressScript(addr string, params *chaincfg.Params) ([]byte, error) {
	if len(addr) < 14 || len(addr) > 90 {
		return nil, fmt.Errorf("%w: length %d", chains.ErrInvalidAddress, len(addr))
	}
	if i := strings.LastIndexByte(addr, '1'); i > 0 {
		hrp := strings.ToLower(addr[:i])
		if hrp == params.Bech32HRPSegwit {
			return segwitScript(addr, params.Bech32HRPSegwit)
		}
		for _, h := range knownHRPs {
			if hrp == h {
				return nil, fmt.Errorf("%w (%s1...)", ErrWrongNetwork, h)
			}
		}
	}
	payload, version, err := base58.CheckDecode(addr)
	switch {
	case errors.Is(err, base58.ErrChecksum):
		return nil, ErrBadChecksum
	case err != nil || len(payload) != 20:
		return nil, fmt.Errorf("%w: not a bech32 or base58check address", chains.ErrInvalidAddress)
	case version == params.PubKeyHashAddrID:
		return txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).AddData(payload).
			AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	case version == params.ScriptHashAddrID:
		return txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).AddData(payload).AddOp(txscript.OP_EQUAL).Script()
	}
	return nil, fmt.Errorf("%w (version byte %#x)", ErrWrongNetwork, version)
}

// CanonicalAddress validates addr for params (as AddressScript) and returns its one
// canonical spelling: segwit addresses in lower case (BIP 173 allows all upper case
// too, for QR codes); base58check addresses are case-sensitive and stay as they are.
func CanonicalAddress(addr string, params *chaincfg.Params) (string, error) {
	if _, err := AddressScript(addr, params); err != nil {
		return "", err
	}
	if i := strings.LastIndexByte(addr, '1'); i > 0 && strings.EqualFold(addr[:i], params.Bech32HRPSegwit) {
		return strings.ToLower(addr), nil
	}
	return addr, nil
}

func segwitScript(addr, hrp string) ([]byte, error) {
	gotHRP, data, variant, err := bech32.DecodeGeneric(addr)
	if err != nil {
		var inv bech32.ErrInvalidChecksum
		if errors.As(err, &inv) {
			return nil, ErrBadChecksum
		}
		return nil, fmt.Errorf("%w: %v", chains.ErrInvalidAddress, err)
	}
	if gotHRP != hrp || len(data) < 1 {
		return nil, chains.ErrInvalidAddress
	}
	version := data[0]
	program, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", chains.ErrInvalidAddress, err)
	}
	switch {
	case version > 16 || len(program) < 2 || len(program) > 40:
		return nil, fmt.Errorf("%w: bad witness program", chains.ErrInvalidAddress)
	case version == 0 && (variant != bech32.Version0 || (len(program) != 20 && len(program) != 32)):
		return nil, fmt.Errorf("%w: bad segwit v0 program", chains.ErrInvalidAddress)
	case version > 0 && variant != bech32.VersionM:
		return nil, fmt.Errorf("%w: segwit v%d must use bech32m", chains.ErrInvalidAddress, version)
	}
	op := byte(txscript.OP_0)
	if version > 0 {
		op = txscript.OP_1 + version - 1
	}
	return txscript.NewScriptBuilder().AddOp(op).AddData(program).Script()
}
