package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/keys"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, for backup
)

const usage = `usage:
  server                                    serve until SIGINT/SIGTERM
  server keys create [--mode test|live] [--label L] [--sub-merchant sm_...]
  server keys list [--mode test|live]
  server keys revoke <id>
  server keys allowlist <id> <cidr,...>     "" allows every address again
  server backup <file>                      copy KASSA_DB while it serves
  server mnemonic                           print a new 24-word BIP39 mnemonic (for KASSA_MNEMONIC_FILE)`

// command is a subcommand, to run on the Gateway.
type command func(ctx context.Context, g *kassa.Gateway) error

// parseCommand reads a keys subcommand's arguments, before anything starts.
func parseCommand(args []string, stdout io.Writer) (command, error) {
	usageErr := fmt.Errorf("%s\n%s", strings.Join(args, " "), usage)
	if len(args) < 2 || args[0] != "keys" {
		return nil, usageErr
	}
	fs := flag.NewFlagSet("keys "+args[1], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch args[1] {
	case "create":
		mode := fs.String("mode", "test", "test or live")
		label := fs.String("label", "", "a label to recognise the key")
		sub := fs.String("sub-merchant", "", "bind the key to this sub-merchant: it sees and makes only its objects")
		if err := fs.Parse(args[2:]); err != nil || fs.NArg() != 0 {
			return nil, usageErr
		}
		m, err := asset.ParseMode(*mode)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, g *kassa.Gateway) error {
			k, err := g.Keys().Create(ctx, apikey.CreateParams{Mode: m, Label: *label, SubMerchantID: *sub})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created %s key %s (%s); the secret is shown once:\n%s\n", m, k.ID, k.Prefix, k.Secret)
			return nil
		}, nil
	case "list":
		mode := fs.String("mode", "", "test or live (default: both)")
		if err := fs.Parse(args[2:]); err != nil || fs.NArg() != 0 {
			return nil, usageErr
		}
		var m asset.Mode
		if *mode != "" {
			var err error
			if m, err = asset.ParseMode(*mode); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context, g *kassa.Gateway) error {
			ks, err := g.Keys().List(ctx)
			if err != nil {
				return err
			}
			return listKeys(stdout, ks, m)
		}, nil
	case "revoke":
		if len(args) != 3 {
			return nil, usageErr
		}
		id := args[2]
		return func(ctx context.Context, g *kassa.Gateway) error {
			if err := g.Keys().Revoke(ctx, id); err != nil {
				return keyError(id, err)
			}
			fmt.Fprintf(stdout, "revoked %s: it authenticates no request from now on\n", id)
			return nil
		}, nil
	case "allowlist":
		if len(args) != 4 {
			return nil, usageErr
		}
		id := args[2]
		var list []string
		for _, a := range strings.Split(args[3], ",") {
			if a = strings.TrimSpace(a); a != "" {
				list = append(list, a)
			}
		}
		return func(ctx context.Context, g *kassa.Gateway) error {
			k, err := g.Keys().SetAllowedIPs(ctx, id, list)
			if err != nil {
				return keyError(id, err)
			}
			fmt.Fprintf(stdout, "%s accepts requests from %s\n", k.ID, allowedIPs(k))
			return nil
		}, nil
	}
	return nil, usageErr
}

func keyError(id string, err error) error {
	if errors.Is(err, apikey.ErrNotFound) {
		return fmt.Errorf("%s: no such key that is not revoked", id)
	}
	return fmt.Errorf("%s: %w", id, err)
}

// listKeys prints keys of mode (all if empty) as a table: never a secret.
func listKeys(w io.Writer, ks []apikey.Key, m asset.Mode) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tMODE\tCREATED\tREVOKED\tALLOWED IPS\tLABEL")
	for _, k := range ks {
		if m != "" && k.Mode != m {
			continue
		}
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Mode, k.CreatedAt.UTC().Format(time.RFC3339), revoked,
			allowedIPs(k), printable(k.Label))
	}
	return tw.Flush()
}

func allowedIPs(k apikey.Key) string {
	if len(k.AllowedIPs) == 0 {
		return "any"
	}
	s := make([]string, len(k.AllowedIPs))
	for i, p := range k.AllowedIPs {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// printable quotes a label holding tabs, newlines or terminal escapes, so it can
// neither break the table nor drive the terminal.
func printable(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// backup copies the SQLite database KASSA_DB into a new file with VACUUM INTO, on a
// read-only connection of its own, while the server may be running: the copy is one
// consistent snapshot, compacted. It refuses a target that exists and a PostgreSQL
// database.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("backup takes one argument, the new file\n%s", usage)
	}
	if getenv("KASSA_DATABASE_URL") != "" {
		return errors.New("backup copies the SQLite file of KASSA_DB; KASSA_DATABASE_URL is set (PostgreSQL): use pg_dump")
	}
	src, dst := env(getenv, "KASSA_DB", "./kassa.db"), args[0]
	if _, err := os.Stat(src); err != nil {
		return &settingError{Var: "KASSA_DB", Err: err}
	}
	// Created here, empty and private, so an existing file is refused without a race
	// and the copy of the store's data is readable by its owner only; VACUUM INTO
	// writes into an empty file.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s exists; give a new file", dst)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if err := vacuumInto(ctx, src, dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("backup of %s: %w", src, err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes)\n", src, dst, fi.Size())
	return nil
}

// vacuumInto writes src's snapshot into the empty file dst, syncs it and its
// directory (SQLite does not sync what VACUUM INTO writes), and checks the copy.
func vacuumInto(ctx context.Context, src, dst string) error {
	ro := url.Values{"mode": {"ro"}, "_busy_timeout": {"10000"}}
	srcURI, err := sqliteURI(src, ro)
	if err != nil {
		return err
	}
	dstURI, err := sqliteURI(dst, nil)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", srcURI)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dstURI); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		d.Sync()
		d.Close()
	}
	checkURI, err := sqliteURI(dst, ro)
	if err != nil {
		return err
	}
	check, err := sql.Open("sqlite", checkURI)
	if err != nil {
		return err
	}
	defer check.Close()
	var ok string
	if err := check.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&ok); err != nil {
		return fmt.Errorf("the copy: %w", err)
	}
	if ok != "ok" {
		return fmt.Errorf("the copy fails quick_check: %s", ok)
	}
	return nil
}

// sqliteURI is path as an SQLite URI filename with query q: every character of the
// path is escaped, so a "?" or "#" in a file name is not taken for the query.
func sqliteURI(path string, q url.Values) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String(), nil
}

// mnemonic prints a new BIP39 mnemonic of 24 words from crypto/rand: the seed of a
// live deployment's keys. It touches no database and no node.
func mnemonic(args []string, stdout io.Writer) error {
	if len(args) != 0 {
		return fmt.Errorf("mnemonic takes no arguments\n%s", usage)
	}
	words, err := keys.NewMnemonic()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, words)
	return nil
}
