// Package browsertest starts Debian's headless Chromium for tests through chromedp,
// kept off the network (only 127.0.0.1 resolves), with its own throwaway profile.
// Without Chromium the test is skipped, unless KASSA_BROWSER=required (set by .ci/run,
// which installs it), where it fails.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start returns a browser tab of the given window size, closed when the test ends.
func Start(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("KASSA_BROWSER") == "required" {
			t.Fatal("Chromium is required (KASSA_BROWSER=required) but not installed")
		}
		t.Skip("no Chromium on this machine (apt-get install chromium)")
	}
	// Chromium may still be writing its profile as the test ends: a directory of our
	// own, removed best-effort, instead of t.TempDir (whose cleanup fails the test).
	profile, err := os.MkdirTemp("", "kassa-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("no-pings", true),
		// Tests serve https (a sub-merchant's logo) from httptest's self-signed servers
		// on 127.0.0.1, the only host the resolver rules above let through.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(profile))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}
