package setup_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// headless is one headless Chromium for a test (the pattern of
// console/chromium_test.go), with the steps the setup pages' browser test
// takes: act (failing with where the page was),
// read, and take a screenshot when envScreenshots names a folder.
type headless struct {
	t   *testing.T
	ctx context.Context
}

// newBrowser starts Chromium at path for the test; it stops when the test
// ends, at the latest after two minutes.
func newChromium(t *testing.T, path string) *headless {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1360, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	bctx, cancelTimeout := context.WithTimeout(bctx, 120*time.Second)
	t.Cleanup(cancelTimeout)
	// The first action starts the browser, tied to bctx's lifetime (not a
	// step's timeout).
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	return &headless{t: t, ctx: bctx}
}

// step runs actions, failing the test with the page's address and body.
func (b *headless) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v\nat %s: %s", what, err, loc, html)
	}
}

// read returns what a reads from the page.
func (b *headless) read(what string, a chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shoot saves the page as name.png in the folder envScreenshots names, on
// the SQLite leg only (one set of pictures).
func (b *headless) shoot(name string) {
	b.t.Helper()
	dir := os.Getenv(envScreenshots)
	if dir == "" || !strings.HasSuffix(b.t.Name(), "sqlite") {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// chromiumPath finds Debian's chromium (installed by .ci/install-chromium.sh).
func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("ROSTER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/install-chromium.sh installs it")
	}
	t.Skip("chromium not installed (run .ci/install-chromium.sh)")
	return ""
}

// envScreenshots names a folder to save the setup pages' screenshots in
// (the README's come from ROSTER_SCREENSHOTS=../docs/screenshots).
const envScreenshots = "ROSTER_SCREENSHOTS"
