package bitcoin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains"
)

// errNoPush says the backend has no websocket configured; the watcher polls.
var errNoPush = errors.New("bitcoin: no websocket configured; polling")

// NewBlocks implements chains.Notifier over btcd's websocket "notifyblocks" (btcd's
// own rpcclient, which reconnects by itself). Without Config.WebsocketHost it returns
// an error and the watcher polls. The channel closes when ctx ends.
func (b *Backend) NewBlocks(ctx context.Context) (<-chan chains.BlockRef, error) {
	if b.cfg.WebsocketHost == "" {
		return nil, errNoPush
	}
	ch := make(chan chains.BlockRef, 16)
	send := func(height int32) {
		select {
		case ch <- chains.BlockRef{Height: uint64(height)}:
		default: // the watcher is busy; it scans up to the tip anyway
		}
	}
	handlers := &rpcclient.NotificationHandlers{
		//lint:ignore SA1019 btcd sends blockconnected unless filtered notifications are asked for: both are handled
		OnBlockConnected: func(_ *chainhash.Hash, height int32, _ time.Time) { send(height) },
		OnFilteredBlockConnected: func(height int32, _ *wire.BlockHeader, _ []*btcutil.Tx) {
			send(height)
		},
	}
	client, err := rpcclient.New(&rpcclient.ConnConfig{Host: b.cfg.WebsocketHost, Endpoint: "ws",
		User: b.cfg.User, Pass: b.cfg.Pass, DisableTLS: true}, handlers)
	if err != nil {
		return nil, fmt.Errorf("bitcoin: websocket: %w", err)
	}
	if err := client.NotifyBlocks(); err != nil {
		client.Shutdown()
		return nil, fmt.Errorf("bitcoin: notifyblocks: %w", err)
	}
	go func() {
		<-ctx.Done()
		client.Shutdown()
		client.WaitForShutdown()
		close(ch)
	}()
	return ch, nil
}
