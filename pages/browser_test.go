package pages_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The browser tests drive one headless Chromium, started at the first test
// that needs it and shared by all (each test has a tab of its own), so the
// package's browser tests cost one browser start.
//
// Chromium is found at $PAYKIT_CHROMIUM, else /usr/bin/chromium or chromium
// on the PATH. Without one, the tests skip, saying how to run them; with
// PAYKIT_REQUIRE_BROWSER=1 (CI sets it) they fail instead.
//
// -screenshots=dir (or $PAYKIT_SCREENSHOTS) writes a PNG of each page a
// test shows to dir.

var screenshotDir = flag.String("screenshots", os.Getenv("PAYKIT_SCREENSHOTS"), "write a PNG of each page the browser tests show to this directory")

// skipMessage says how to run the browser tests.
const skipMessage = "no Chromium: install Debian's chromium (apt-get install chromium) or set PAYKIT_CHROMIUM to its path to run the browser tests"

var browser struct {
	once    sync.Once
	ctx     context.Context // the browser's first tab; every test's tab is its child
	cancel  func()
	dataDir string
	err     error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

// chromiumPath returns the Chromium to drive, or "".
func chromiumPath() string {
	if p := os.Getenv("PAYKIT_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts the shared browser once.
func startBrowser(path string) error {
	browser.once.Do(func() {
		browser.dataDir, browser.err = os.MkdirTemp("", "paykit-chromium-")
		if browser.err != nil {
			return
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox, // CI runs as root
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(browser.dataDir),
			chromedp.WindowSize(900, 1000),
		)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc() }
		browser.err = chromedp.Do(ctx) // starts the browser, without a timeout (see chromedp.Run)
	})
	return browser.err
}

// tab is one test's browser tab.
type tab struct {
	t   *testing.T
	ctx context.Context
	n   int // screenshots taken
}

// mustBrowser returns a new tab of the shared browser, closed when the test
// ends, or skips the test without Chromium (fails it in CI).
func mustBrowser(t *testing.T) *tab {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("PAYKIT_REQUIRE_BROWSER") == "1" {
			t.Fatal(skipMessage + " (PAYKIT_REQUIRE_BROWSER=1)")
		}
		t.Skip(skipMessage)
	}
	require.NoError(t, startBrowser(path), "start Chromium at %s", path)
	ctx, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx)) // opens the tab
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTimeout)
	return &tab{t: t, ctx: ctx}
}

// open loads url and returns the HTTP status of the page.
func (b *tab) open(url string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(url))
	require.NoError(b.t, err, "open %s", url)
	b.requireStyled()
	b.screenshot()
	return res.Status
}

// click clicks the element with the id, which loads a page, and returns the
// HTTP status of the page it ends at.
func (b *tab) click(id string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.ID(id)))
	require.NoError(b.t, err, "click #%s", id)
	b.requireStyled()
	b.screenshot()
	return res.Status
}

// fill types value into the input with the id, replacing what it holds.
func (b *tab) fill(id, value string) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Do(b.ctx, chromedp.SetValue(chromedp.ID(id), value)), "fill #%s", id)
}

// text returns the text of the element with the id.
func (b *tab) text(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second) // the page is loaded: the element is there or never
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	require.NoError(b.t, err, "text of #%s", id)
	return strings.TrimSpace(s)
}

// has reports whether the page has an element with the id.
func (b *tab) has(id string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.getElementById(%q) !== null", id)))
	require.NoError(b.t, err)
	return ok
}

// requireStyled checks that the page's stylesheet loaded under its CSP: a
// refused stylesheet leaves the body's background the browser's default.
func (b *tab) requireStyled() {
	b.t.Helper()
	bg, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("getComputedStyle(document.body).backgroundColor"))
	require.NoError(b.t, err)
	require.Equal(b.t, "rgb(244, 245, 247)", bg, "the stylesheet did not apply")
}

// screenshot writes a PNG of the page when -screenshots is set, named after
// the test and the page's place in it.
func (b *tab) screenshot() {
	b.t.Helper()
	if *screenshotDir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	b.n++
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name()) + fmt.Sprintf("-%d.png", b.n)
	require.NoError(b.t, os.MkdirAll(*screenshotDir, 0o755))
	require.NoError(b.t, os.WriteFile(filepath.Join(*screenshotDir, name), png, 0o644))
}
