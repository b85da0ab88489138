package asset

import "github.com/shopspring/decimal"

// The built-in table. Contracts and decimals are the issuers' published ones;
// confirmations are what the gateways our users know ask for; minimums follow the gateways our users know (0.5 USDT per invoice,
// 5 USDT per payout). Test-mode contracts are Circle's and Chainlink's official testnet
// deployments where they exist; elsewhere they are empty and must be configured with
// Registry.SetContract (a regtest or simulated chain deploys its own token anyway).

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var defaultNetworks = []Network{
	{ID: Bitcoin, Name: "Bitcoin", Family: FamilyBTC, Native: "BTC", Supported: true},
	{ID: Litecoin, Name: "Litecoin", Family: FamilyLTC, Native: "LTC", Supported: true},
	{ID: Ethereum, Name: "Ethereum", Family: FamilyEVM, Native: "ETH", Supported: true,
		ChainID: map[Mode]uint64{Live: 1, Test: 11155111}},
	{ID: BSC, Name: "BNB Smart Chain", Family: FamilyEVM, Native: "BNB", Supported: true,
		ChainID: map[Mode]uint64{Live: 56, Test: 97}},
	{ID: Polygon, Name: "Polygon PoS", Family: FamilyEVM, Native: "POL", Supported: true,
		ChainID: map[Mode]uint64{Live: 137, Test: 80002}},
	{ID: Base, Name: "Base", Family: FamilyEVM, Native: "ETH", Supported: true,
		ChainID: map[Mode]uint64{Live: 8453, Test: 84532}},
	{ID: Tron, Name: "Tron", Family: FamilyTron, Native: "TRX"},
	{ID: Solana, Name: "Solana", Family: FamilySolana, Native: "SOL"},
	{ID: Stacks, Name: "Stacks", Family: FamilyStacks, Native: "STX"},
	{ID: Polkadot, Name: "Polkadot", Family: FamilyPolkadot, Native: "DOT"},
	{ID: Cronos, Name: "Cronos", Family: FamilyEVM, Native: "CRO",
		ChainID: map[Mode]uint64{Live: 25, Test: 338}},
}

func tok(live, test string) map[Mode]string {
	return map[Mode]string{Live: live, Test: test}
}

func stable(cur string, net NetworkID, decimals int32, contract map[Mode]string, minPayout, fee string, conf int) Asset {
	return Asset{Currency: cur, Network: net, Decimals: decimals, Contract: contract, Stable: true,
		MinInvoice: d("0.5"), MaxInvoice: d("100000000"), MinPayout: d(minPayout), DefaultFee: d(fee), Confirmations: conf}
}

var defaultAssets = []Asset{
	{Currency: "BTC", Network: Bitcoin, Name: "Bitcoin", Decimals: 8, Native: true,
		MinInvoice: d("0.00001"), MaxInvoice: d("1000"), MinPayout: d("0.0005"), DefaultFee: d("0.00005"), Confirmations: 1,
		ConfirmationTiers: []ConfirmationTier{{Above: d("1"), Confirmations: 3}, {Above: d("10"), Confirmations: 6}}},
	{Currency: "LTC", Network: Litecoin, Name: "Litecoin", Decimals: 8, Native: true,
		MinInvoice: d("0.001"), MaxInvoice: d("1000000"), MinPayout: d("0.01"), DefaultFee: d("0.001"), Confirmations: 6},

	{Currency: "ETH", Network: Ethereum, Name: "Ether", Decimals: 18, Native: true,
		MinInvoice: d("0.0001"), MaxInvoice: d("30000"), MinPayout: d("0.005"), DefaultFee: d("0.001"), Confirmations: 12},
	{Currency: "LINK", Network: Ethereum, Name: "Chainlink", Decimals: 18,
		Contract:   tok("0x514910771AF9Ca656af840dff83E8264EcF986CA", "0x779877A7B0D9E8603169DdbD7836e478b4624789"),
		MinInvoice: d("0.05"), MaxInvoice: d("5000000"), MinPayout: d("1"), DefaultFee: d("0.2"), Confirmations: 12},
	withName(stable("USDT", Ethereum, 6, tok("0xdAC17F958D2ee523a2206206994597C13D831ec7", ""), "20", "3", 12), "Tether USD"),
	withName(stable("USDC", Ethereum, 6, tok("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238"), "20", "3", 12), "USD Coin"),

	{Currency: "BNB", Network: BSC, Name: "BNB", Decimals: 18, Native: true,
		MinInvoice: d("0.0005"), MaxInvoice: d("100000"), MinPayout: d("0.005"), DefaultFee: d("0.0005"), Confirmations: 15},
	withName(stable("USDT", BSC, 18, tok("0x55d398326f99059fF775485246999027B3197955", ""), "5", "0.5", 15), "Binance-Peg BSC-USD"),
	withName(stable("USDC", BSC, 18, tok("0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", ""), "5", "0.5", 15), "Binance-Peg USD Coin"),

	{Currency: "POL", Network: Polygon, Name: "Polygon Ecosystem Token", Decimals: 18, Native: true,
		MinInvoice: d("0.5"), MaxInvoice: d("200000000"), MinPayout: d("1"), DefaultFee: d("0.05"), Confirmations: 128},
	withName(stable("USDT", Polygon, 6, tok("0xc2132D05D31c914a87C6611C10748AEb04B58e8F", ""), "5", "0.1", 128), "Tether USD (PoS)"),
	withName(stable("USDC", Polygon, 6, tok("0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582"), "5", "0.1", 128), "USD Coin"),

	{Currency: "ETH", Network: Base, Name: "Ether on Base", Decimals: 18, Native: true,
		MinInvoice: d("0.0001"), MaxInvoice: d("30000"), MinPayout: d("0.001"), DefaultFee: d("0.00005"), Confirmations: 10},
	withName(stable("USDC", Base, 6, tok("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "0x036CbD53842c5426634e7929541eC2318f3dCF7e"), "5", "0.1", 10), "USD Coin"),

	{Currency: "TRX", Network: Tron, Name: "Tronix", Decimals: 6, Native: true,
		MinInvoice: d("1"), MaxInvoice: d("500000000"), MinPayout: d("10"), DefaultFee: d("1.1"), Confirmations: 19},
	withName(stable("USDT", Tron, 6, tok("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", ""), "5", "1", 19), "Tether USD"),
	withName(stable("USDC", Tron, 6, tok("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", ""), "5", "1", 19), "USD Coin"),

	{Currency: "SOL", Network: Solana, Name: "Solana", Decimals: 9, Native: true,
		MinInvoice: d("0.001"), MaxInvoice: d("500000"), MinPayout: d("0.05"), DefaultFee: d("0.00001"), Confirmations: 1},
	{Currency: "STX", Network: Stacks, Name: "Stacks", Decimals: 6, Native: true,
		MinInvoice: d("1"), MaxInvoice: d("50000000"), MinPayout: d("5"), DefaultFee: d("0.01"), Confirmations: 6},
	{Currency: "DOT", Network: Polkadot, Name: "Polkadot", Decimals: 10, Native: true,
		MinInvoice: d("0.1"), MaxInvoice: d("10000000"), MinPayout: d("1"), DefaultFee: d("0.02"), Confirmations: 1},
	{Currency: "CRO", Network: Cronos, Name: "Cronos", Decimals: 18, Native: true,
		MinInvoice: d("1"), MaxInvoice: d("500000000"), MinPayout: d("10"), DefaultFee: d("0.5"), Confirmations: 3},
}

func withName(a Asset, name string) Asset { a.Name = name; return a }

// Default returns a new Registry holding the built-in networks and assets. Each call
// returns an independent copy.
func Default() *Registry {
	r := &Registry{networks: map[NetworkID]*Network{}, assets: map[string]*Asset{}}
	for i := range defaultNetworks {
		n := copyNetwork(&defaultNetworks[i])
		r.networks[n.ID] = &n
	}
	for i := range defaultAssets {
		a := copyAsset(&defaultAssets[i])
		if a.Contract == nil {
			a.Contract = map[Mode]string{}
		}
		if a.Currency == r.networks[a.Network].Native && a.Native && homeNetwork[a.Currency] == a.Network {
			a.Code = a.Currency
		} else {
			a.Code = a.Currency + "_" + upper(string(a.Network))
		}
		r.assets[a.Code] = &a
		r.order = append(r.order, a.Code)
	}
	return r
}

// homeNetwork is where a native coin may be written without a network.
var homeNetwork = map[string]NetworkID{
	"BTC": Bitcoin, "LTC": Litecoin, "ETH": Ethereum, "BNB": BSC, "POL": Polygon,
	"TRX": Tron, "SOL": Solana, "STX": Stacks, "DOT": Polkadot, "CRO": Cronos,
}
