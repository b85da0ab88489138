package bitcoin

// WithBeforeBroadcast sets the test hook that runs between storing a signed
// transaction and broadcasting it.
func WithBeforeBroadcast(cfg WalletConfig, f func() error) WalletConfig {
	cfg.beforeBroadcast = f
	return cfg
}
