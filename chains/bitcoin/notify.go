package bitcoin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcutil/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains"
)

// errNoPush says the backend has no websocket configured; the watcher polls.
var errNoPush = errors.New("bitcoin: no websocket configured; polling")

// MempoolPushDelay is the most a transaction btcd accepted into its mempool waits
// before it wakes the watcher (unless Config.BlocksOnly): the wakes of a burst of
// transactions are folded into one, so a busy node costs at most one mempool read
// per delay.
const MempoolPushDelay = 100 * time.Millisecond

// NewBlocks implements chains.Notifier over btcd's websocket "notifyblocks" (btcd's
// own rpcclient, which reconnects by itself), and unless Config.BlocksOnly
// "notifynewtransactions": a new mempool transaction sends a zero BlockRef, which
// wakes the watcher like a block does (each step reads the mempool). Without
// Config.WebsocketHost it returns an error and the watcher polls. The channel closes
// when ctx ends.
func (b *Backend) NewBlocks(ctx context.Context) (<-chan chains.BlockRef, error) {
	if b.cfg.WebsocketHost == "" {
		return nil, errNoPush
	}
	ch := make(chan chains.BlockRef, 16)
	var mu sync.Mutex
	closed := false
	send := func(ref chains.BlockRef) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return
		}
		select {
		case ch <- ref:
		default: // the watcher is busy; it scans up to the tip anyway
		}
	}
	var wakePending atomic.Bool
	mempool := func() { // folds a burst of transactions into one wake
		if wakePending.CompareAndSwap(false, true) {
			time.AfterFunc(MempoolPushDelay, func() {
				wakePending.Store(false)
				send(chains.BlockRef{})
			})
		}
	}
	handlers := &rpcclient.NotificationHandlers{
		OnTxAccepted: func(*chainhash.Hash, btcutil.Amount) { mempool() },
		//lint:ignore SA1019 btcd sends blockconnected unless filtered notifications are asked for: both are handled
		OnBlockConnected: func(_ *chainhash.Hash, height int32, _ time.Time) { send(chains.BlockRef{Height: uint64(height)}) },
		OnFilteredBlockConnected: func(height int32, _ *wire.BlockHeader, _ []*btcutil.Tx) {
			send(chains.BlockRef{Height: uint64(height)})
		},
	}
	var extra map[string]string
	for name, values := range b.cfg.WebsocketHeaders {
		if extra == nil {
			extra = map[string]string{}
		}
		extra[name] = strings.Join(values, ", ")
	}
	client, err := rpcclient.New(&rpcclient.ConnConfig{Host: b.cfg.WebsocketHost, Endpoint: "ws",
		User: b.cfg.User, Pass: b.cfg.Pass, DisableTLS: true, ExtraHeaders: extra}, handlers)
	if err != nil {
		return nil, fmt.Errorf("bitcoin: websocket: %w", err)
	}
	if err := client.NotifyBlocks(); err != nil {
		client.Shutdown()
		return nil, fmt.Errorf("bitcoin: notifyblocks: %w", err)
	}
	if !b.cfg.BlocksOnly {
		if err := client.NotifyNewTransactions(false); err != nil {
			client.Shutdown()
			return nil, fmt.Errorf("bitcoin: notifynewtransactions: %w", err)
		}
	}
	go func() {
		<-ctx.Done()
		client.Shutdown()
		client.WaitForShutdown()
		mu.Lock()
		closed = true // a wake still pending finds the channel closed and drops
		close(ch)
		mu.Unlock()
	}()
	return ch, nil
}
