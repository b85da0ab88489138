package invoice

import (
	"fmt"
	"net/url"

	"github.com/kassapay/kassa/asset"
)

// PaymentURI returns the URI a wallet opens to pay m with the exact amount due: BIP21
// for bitcoin and litecoin ("bitcoin:bc1...?amount=0.001"), EIP-681 for EVM networks
// ("ethereum:0x...@1?value=1e15" for the native coin, "ethereum:<token>@1/transfer?
// address=0x...&uint256=100500000" for tokens), and the Tron form
// ("tron:T...?amount=100.5&token=TR7..."). chainID is the EVM chain id the backend
// verified with its node (0: the registry's id for the network and mode). It returns
// "" when it cannot build one, for example for a token with no contract in mode.
func PaymentURI(reg *asset.Registry, mode asset.Mode, m Method, chainID uint64) string {
	a, err := reg.Get(m.Asset)
	if err != nil {
		return ""
	}
	n, err := reg.Network(m.Network)
	if err != nil {
		return ""
	}
	due := m.AmountDue.Sub(m.AmountPaid)
	if !due.IsPositive() {
		due = m.AmountDue
	}
	units, err := a.ToBaseUnits(due)
	if err != nil {
		return ""
	}
	switch n.Family {
	case asset.FamilyBTC, asset.FamilyLTC:
		scheme := "bitcoin"
		if n.Family == asset.FamilyLTC {
			scheme = "litecoin"
		}
		return fmt.Sprintf("%s:%s?amount=%s", scheme, m.Address, due.String())
	case asset.FamilyEVM:
		chain := n.ChainID[mode]
		if chainID != 0 {
			chain = chainID
		}
		if chain == 0 || (!a.Native && a.ContractFor(mode) == "") {
			return ""
		}
		if a.Native {
			return fmt.Sprintf("ethereum:%s@%d?value=%s", m.Address, chain, units.String())
		}
		return fmt.Sprintf("ethereum:%s@%d/transfer?address=%s&uint256=%s", a.ContractFor(mode), chain, m.Address, units.String())
	case asset.FamilyTron:
		q := url.Values{"amount": {due.String()}}
		if !a.Native {
			if a.ContractFor(mode) == "" {
				return ""
			}
			q.Set("token", a.ContractFor(mode))
		}
		return "tron:" + m.Address + "?" + q.Encode()
	}
	return ""
}
