package sim

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/keys"
)

// canonicalFor returns the address rules of the network a sim chain stands in for:
// a function that validates an address as that network's backend does and returns
// its canonical spelling. Test mode accepts the test networks' addresses (testnet,
// signet and regtest for Bitcoin and Litecoin), live mode the main network's.
// Networks Kassa has no backend for keep a loose check (printable, no spaces).
func canonicalFor(n chains.NetworkRef) func(string) (string, error) {
	var params []*chaincfg.Params
	switch n.ID {
	case asset.Bitcoin:
		params = []*chaincfg.Params{&chaincfg.MainNetParams}
		if n.Mode == asset.Test {
			params = []*chaincfg.Params{&chaincfg.TestNet3Params, &chaincfg.RegressionNetParams}
		}
	case asset.Litecoin:
		params = []*chaincfg.Params{keys.LitecoinParams(n.Mode, false)}
		if n.Mode == asset.Test {
			params = append(params, keys.LitecoinParams(n.Mode, true))
		}
	case asset.Ethereum, asset.BSC, asset.Polygon, asset.Base:
		return evm.CanonicalAddress
	case asset.Tron:
		return tronAddress
	default:
		return looseAddress
	}
	return func(addr string) (string, error) {
		var first error
		for _, p := range params {
			c, err := bitcoin.CanonicalAddress(addr, p)
			if err == nil {
				return c, nil
			}
			if first == nil || !errors.Is(err, bitcoin.ErrWrongNetwork) {
				first = err // a checksum or format error says more than "wrong network"
			}
		}
		return "", first
	}
}

// tronAddress checks a Tron address: base58check of version 0x41 and 20 bytes.
func tronAddress(addr string) (string, error) {
	payload, version, err := base58.CheckDecode(addr)
	switch {
	case errors.Is(err, base58.ErrChecksum):
		return "", fmt.Errorf("%w: checksum does not match", chains.ErrInvalidAddress)
	case err != nil || len(payload) != 20:
		return "", fmt.Errorf("%w: not a Tron address", chains.ErrInvalidAddress)
	case version != keys.TronVersion:
		return "", fmt.Errorf("%w: version byte %#x is not Tron's", chains.ErrInvalidAddress, version)
	}
	return addr, nil
}

func looseAddress(addr string) (string, error) {
	if addr == "" || len(addr) > 128 {
		return "", fmt.Errorf("%w: %q", chains.ErrInvalidAddress, addr)
	}
	for _, r := range addr {
		if r <= ' ' || r == 0x7f {
			return "", fmt.Errorf("%w: %q", chains.ErrInvalidAddress, addr)
		}
	}
	return addr, nil
}
