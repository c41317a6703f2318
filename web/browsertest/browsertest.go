// Package browsertest runs the pages' browser tests in headless Chromium
// (Debian's chromium, installed by .ci/install-chromium.sh): one helper
// for every door's tests, so each does not keep its own copy. Only tests
// import it.
package browsertest

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

// EnvScreenshots names a folder to save screenshots in (the README's come
// from ROSTER_SCREENSHOTS=$PWD/docs/screenshots).
const EnvScreenshots = "ROSTER_SCREENSHOTS"

// Path finds Chromium: $ROSTER_CHROMIUM, else Debian's. Without it the
// test fails under CI (CI installs it) and is skipped, saying why, elsewhere.
func Path(t *testing.T) string {
	t.Helper()
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

// Browser is one headless Chromium for a test, with the steps browser
// tests take: act (failing with where the page was), read, and take a
// screenshot when EnvScreenshots names a folder.
type Browser struct {
	t *testing.T
	// Ctx is the browser's context, for actions the steps do not cover.
	Ctx context.Context
}

// New starts Chromium at path for the test; it stops when the test ends,
// at the latest after two minutes.
func New(t *testing.T, path string) *Browser {
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
	return &Browser{t: t, Ctx: bctx}
}

// Step runs actions, failing the test with the page's address and body.
func (b *Browser) Step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
		html, _ := chromedp.Run(b.Ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v\nat %s: %s", what, err, loc, html)
	}
}

// Read returns what a reads from the page.
func (b *Browser) Read(what string, a chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Shoot saves the page as name.png in the folder EnvScreenshots names, on
// the SQLite leg only (one set of pictures).
func (b *Browser) Shoot(name string) {
	b.t.Helper()
	dir := os.Getenv(EnvScreenshots)
	if dir == "" || !strings.HasSuffix(b.t.Name(), "sqlite") {
		return
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Other is another person at the same Chromium: a new browser context,
// with cookies of its own (someone else signs in there without signing
// the first person out), closed when the test ends.
func (b *Browser) Other() *Browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.Ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.t.Fatal(err)
	}
	return &Browser{t: b.t, Ctx: ctx}
}
