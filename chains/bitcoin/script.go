package bitcoin

import (
	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"
	"github.com/btcsuite/btcd/chaincfg/v2"
)

// ScriptAddress returns the address a standard output script pays (P2WPKH, P2WSH,
// P2TR and other segwit versions, P2PKH, P2SH) on params, ok false for anything else.
func ScriptAddress(s []byte, params *chaincfg.Params) (string, bool) {
	switch {
	case len(s) == 25 && s[0] == 0x76 && s[1] == 0xa9 && s[2] == 0x14 && s[23] == 0x88 && s[24] == 0xac:
		return base58.CheckEncode(s[3:23], params.PubKeyHashAddrID), true
	case len(s) == 23 && s[0] == 0xa9 && s[1] == 0x14 && s[22] == 0x87:
		return base58.CheckEncode(s[2:22], params.ScriptHashAddrID), true
	case len(s) >= 4 && len(s) <= 42 && (s[0] == 0 || (s[0] >= 0x51 && s[0] <= 0x60)) && int(s[1]) == len(s)-2:
		version := byte(0)
		if s[0] != 0 {
			version = s[0] - 0x50
		}
		if version == 0 && len(s) != 22 && len(s) != 34 {
			return "", false
		}
		conv, err := bech32.ConvertBits(s[2:], 8, 5, true)
		if err != nil {
			return "", false
		}
		data := append([]byte{version}, conv...)
		var enc string
		if version == 0 {
			enc, err = bech32.Encode(params.Bech32HRPSegwit, data)
		} else {
			enc, err = bech32.EncodeM(params.Bech32HRPSegwit, data)
		}
		return enc, err == nil
	}
	return "", false
}
