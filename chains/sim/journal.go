package sim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"

	"github.com/kassapay/kassa/chains"
)

// op is one change to a chain, as its journal keeps it. The chain is deterministic
// (hashes come from a counter), so replaying the same ops rebuilds the same chain:
// the same blocks, hashes, mempool and sent payouts.
type op struct {
	Op     string   `json:"op"` // add, drop, mine, disconnect, sent
	Outs   []Output `json:"outs,omitempty"`
	Failed bool     `json:"failed,omitempty"`
	ID     string   `json:"id,omitempty"` // add: the txid of a rebroadcast; drop: the txid; sent: the spec id
	TxID   string   `json:"txid,omitempty"`
	Fee    *big.Int `json:"fee,omitempty"`
	Depth  int      `json:"depth,omitempty"`
}

// log appends o to the journal and hands it to the recorder. It is called with c.mu
// held, so entries are recorded in the order the changes happen.
func (c *Chain) log(o op) {
	if c.replaying {
		return
	}
	b, err := json.Marshal(o)
	if err != nil {
		panic(fmt.Sprintf("sim: journal entry: %v", err)) // only our own types
	}
	c.journal = append(c.journal, b)
	if c.record != nil {
		c.record(b) // an error is the recorder's to report: the chain has changed
	}
}

// Journal implements chains.Journaled: the chain keeps its state in the Gateway's
// database, so test mode and sandboxes on a database file keep their payments across
// restarts. stored is the journal read from the database. A fresh chain (nothing
// done to it yet) replays it; a chain whose journal starts with stored appends its
// newer entries through record; any other difference is an error. Every later change
// is passed to record, in order, while the chain's lock is held.
func (c *Chain) Journal(stored [][]byte, record func(entry []byte) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case len(c.journal) == 0 && len(stored) > 0:
		c.replaying = true
		err := c.replay(stored)
		c.replaying = false
		if err != nil {
			return fmt.Errorf("sim %s: replaying the stored journal: %w", c.net, err)
		}
		c.journal = slices.Clone(stored)
	case len(c.journal) >= len(stored):
		for i, e := range stored {
			if string(e) != string(c.journal[i]) {
				return fmt.Errorf("sim %s: the chain differs from the journal in the database at entry %d", c.net, i)
			}
		}
		for _, e := range c.journal[len(stored):] {
			if err := record(e); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("sim %s: the database's journal has %d entries, the chain %d that differ", c.net, len(stored), len(c.journal))
	}
	c.record = record
	return nil
}

func (c *Chain) replay(entries [][]byte) error {
	for i, e := range entries {
		var o op
		if err := json.Unmarshal(e, &o); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		switch o.Op {
		case "add":
			c.addTx(o.Outs, o.Failed, o.ID)
		case "drop":
			c.drop(o.ID)
		case "mine":
			c.mine()
		case "disconnect":
			if err := c.disconnect(o.Depth); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
		case "sent":
			c.sent[o.ID] = chains.SentTx{TxID: o.TxID, Fee: o.Fee}
		default:
			return fmt.Errorf("entry %d: unknown op %q", i, o.Op)
		}
	}
	return nil
}
