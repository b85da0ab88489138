package evm

// WithBeforeBroadcast sets the test hook that runs between storing a signed
// transaction and broadcasting it.
func WithBeforeBroadcast[T WalletTx](cfg WalletConfig[T], f func() error) WalletConfig[T] {
	cfg.beforeBroadcast = f
	return cfg
}
