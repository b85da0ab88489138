package main

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeys_ListRevokeAllowlist (issue 19): keys list shows every key's id, prefix,
// mode, dates, allowed addresses and label, never a secret, and filters by mode; keys
// allowlist and keys revoke change a key for the server already running, at once; an
// unknown subcommand is refused before the database is opened.
func TestKeys_ListRevokeAllowlist(t *testing.T) {
	dir := t.TempDir()
	vars := simVars(dir)
	getenv := getenvOf(vars)
	for _, bad := range [][]string{{"keys", "frobnicate"}, {"keys", "revoke"}, {"keys", "allowlist", "key_x"}, {"keys", "list", "extra"},
		{"keys", "create", "--mode"}, {"payouts"}} {
		if _, err := runCommand(getenv, bad...); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := runCommand(getenv, "keys", "list", "--mode", "prod"); err == nil {
		t.Error("keys list --mode prod accepted")
	}
	if _, err := os.Stat(vars["KASSA_DB"]); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused command opened the database: %v", err)
	}
	testID, testSecret := newKey(t, getenv, "--mode", "test", "--label", "shop backend")
	liveID, liveSecret := newKey(t, getenv, "--mode", "live", "--label", "ops\tbot\x1b[31m")
	srv := startServer(t, getenv)
	list := func(args ...string) string {
		t.Helper()
		out, err := runCommand(getenv, append([]string{"keys", "list"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, testSecret) || strings.Contains(out, liveSecret) {
			t.Fatalf("keys list shows a secret:\n%s", out)
		}
		return out
	}
	out := list()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(out, testSecret[:12]) || !strings.Contains(out, liveSecret[:12]) {
		t.Fatalf("keys list:\n%s", out)
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if (f[0] != testID || f[2] != "test") && (f[0] != liveID || f[2] != "live") || f[4] != "-" || f[5] != "any" {
			t.Errorf("row %q", l)
		}
	}
	// A label with a tab and a terminal escape is quoted, so it drives nothing.
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `"ops\tbot\x1b[31m"`) {
		t.Errorf("label not quoted:\n%q", out)
	}
	if out := list("--mode", "live"); !strings.Contains(out, liveID) || strings.Contains(out, testID) {
		t.Errorf("keys list --mode live:\n%s", out)
	}
	get := func() int {
		code, _, _ := srv.call(testSecret, "GET", "/v1/invoices", nil)
		return code
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("before any change: %d", code)
	}
	out, err := runCommand(getenv, "keys", "allowlist", testID, "192.0.2.0/24, 198.51.100.7")
	if err != nil || out != testID+" accepts requests from 192.0.2.0/24,198.51.100.7/32\n" {
		t.Fatalf("keys allowlist: %q, %v", out, err)
	}
	if code := get(); code != http.StatusForbidden {
		t.Errorf("from 127.0.0.1, outside the allowlist: %d", code)
	}
	if !strings.Contains(list(), "192.0.2.0/24,198.51.100.7/32") {
		t.Error("keys list does not show the allowlist")
	}
	if _, err := runCommand(getenv, "keys", "allowlist", testID, "office"); err == nil || !strings.Contains(err.Error(), "allowed_ips[0]") {
		t.Errorf("an allowlist of a name: %v", err)
	}
	if out, err := runCommand(getenv, "keys", "allowlist", testID, ""); err != nil || !strings.HasSuffix(out, "from any\n") {
		t.Fatalf("clearing the allowlist: %q, %v", out, err)
	}
	if code := get(); code != http.StatusOK {
		t.Errorf("after the allowlist is cleared: %d", code)
	}
	if out, err := runCommand(getenv, "keys", "revoke", testID); err != nil || !strings.HasPrefix(out, "revoked "+testID) {
		t.Fatalf("keys revoke: %q, %v", out, err)
	}
	if code := get(); code != http.StatusUnauthorized {
		t.Errorf("a revoked key: %d", code)
	}
	if row := strings.Fields(strings.Split(list("--mode", "test"), "\n")[1]); row[0] != testID || row[4] == "-" {
		t.Errorf("the revoked key's row: %v", row)
	}
	for _, args := range [][]string{{"revoke", testID}, {"revoke", "key_nope"}, {"allowlist", testID, "192.0.2.1"}} {
		if _, err := runCommand(getenv, append([]string{"keys"}, args...)...); err == nil || !strings.Contains(err.Error(), "no such key that is not revoked") {
			t.Errorf("keys %v: %v", args, err)
		}
	}
}

// TestBackup_OnlineCopyHasTheSameInvoices (issue 19): backup copies the database
// while the server runs; the copy, served by another server, has the same invoices and
// the same keys. It refuses an existing file and a PostgreSQL database.
func TestBackup_OnlineCopyHasTheSameInvoices(t *testing.T) {
	dir := t.TempDir()
	vars := simVars(dir)
	getenv := getenvOf(vars)
	_, key := newKey(t, getenv, "--mode", "test")
	srv := startServer(t, getenv)
	var ids []string
	for _, amount := range []string{"20", "35.5", "7"} {
		inv := srv.mustCall(key, "POST", "/v1/invoices", map[string]any{"amount": amount, "currency": "USD", "to_currency": "TRX"})
		ids = append(ids, inv["id"].(string))
	}
	srv.mustCall(key, "POST", "/v1/test/invoices/"+ids[0]+"/pay", map[string]any{"currency": "TRX", "amount": "160", "confirmations": 19})
	listJSON := func(s *testServer) string {
		t.Helper()
		code, data, _ := s.call(key, "GET", "/v1/invoices?limit=100", nil)
		raw, _ := json.Marshal(data)
		if code != http.StatusOK {
			t.Fatalf("list: %d %s", code, raw)
		}
		return string(raw)
	}
	want := listJSON(srv)
	backupFile := filepath.Join(dir, "copy", "kassa-backup.db")
	os.Mkdir(filepath.Dir(backupFile), 0o700)
	out, err := runCommand(getenv, "backup", backupFile)
	if err != nil || !strings.HasPrefix(out, "backed up "+vars["KASSA_DB"]+" to "+backupFile) {
		t.Fatalf("backup: %q, %v", out, err)
	}
	fi, err := os.Stat(backupFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, %v", fi, err)
	}
	if _, err := runCommand(getenv, "backup", backupFile); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v", err)
	}
	if again, _ := os.Stat(backupFile); again.Size() != fi.Size() || !again.ModTime().Equal(fi.ModTime()) {
		t.Error("the refused backup changed the existing file")
	}
	pg := maps.Clone(vars)
	pg["KASSA_DATABASE_URL"] = "postgres://kassa@127.0.0.1:5432/kassa"
	other := filepath.Join(dir, "other.db")
	if _, err := runCommand(getenvOf(pg), "backup", other); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("a backup of PostgreSQL: %v", err)
	}
	if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused backup left a file: %v", err)
	}
	for _, args := range [][]string{{"backup"}, {"backup", "a", "b"}} {
		if _, err := runCommand(getenv, args...); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("%v: %v", args, err)
		}
	}
	missing := maps.Clone(vars)
	missing["KASSA_DB"] = filepath.Join(dir, "none.db")
	if _, err := runCommand(getenvOf(missing), "backup", other); err == nil || !strings.Contains(err.Error(), "KASSA_DB") {
		t.Errorf("a backup of no database: %v", err)
	}
	copyVars := maps.Clone(vars)
	copyVars["KASSA_DB"] = backupFile
	restored := startServer(t, getenvOf(copyVars))
	if got := listJSON(restored); got != want {
		t.Errorf("the copy's invoices:\n%s\nthe original's:\n%s", got, want)
	}
	if !strings.Contains(want, ids[0]) || !strings.Contains(want, ids[2]) || !strings.Contains(want, `"status":"paid"`) {
		t.Errorf("the original's list lacks the invoices: %s", want)
	}
	restored.stop()
	srv.stop()
}
