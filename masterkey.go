package kassa

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassapay/kassa/internal/secretbox"
	"github.com/kassapay/kassa/storage"
)

// ErrWrongMasterKey is returned by New when Config.MasterKey does not open what the
// database holds sealed under the master key it was used with before: with a wrong
// key every webhook would stay pending and no API key would authenticate.
var ErrWrongMasterKey = errors.New("MasterKey is not the key this database's secrets were sealed with")

const masterKeyCheck = "master_key_check"

// checkMasterKey proves that key is the database's master key: it opens the check
// value sealed under it at the first start, or, on a database from before check
// values (or a new one), opens a stored API key and webhook secret and then seals the
// check value.
func (g *Gateway) checkMasterKey(ctx context.Context, key []byte) error {
	box, err := secretbox.New(key, "master-key-check")
	if err != nil {
		return err
	}
	ad := []byte(masterKeyCheck)
	var sealed []byte
	var found bool
	if err := g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		sealed, found, err = tx.Setting(ctx, masterKeyCheck)
		return err
	}); err != nil {
		return err
	}
	if found {
		if _, err := box.Open(sealed, ad); err != nil {
			return fmt.Errorf("kassa: %w", ErrWrongMasterKey)
		}
		return nil
	}
	if err := errors.Join(g.apiKeys.CheckSealed(ctx), g.webhooks.CheckSealed(ctx)); err != nil {
		if errors.Is(err, secretbox.ErrOpen) {
			return fmt.Errorf("kassa: %w", ErrWrongMasterKey)
		}
		return err
	}
	return g.store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.SetSettingOnce(ctx, masterKeyCheck, box.Seal([]byte("kassa master key"), ad))
		return err
	})
}
