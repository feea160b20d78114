// Package browsertest drives a real headless Chromium for tests of the web
// pages: it finds the browser (or skips, or fails when it is required),
// keeps screenshots as artifacts, and runs steps with the test's place in
// their errors.
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

// Environment variables of the browser tests.
const (
	EnvRequireBrowser = "FREEZER_REQUIRE_BROWSER" // "1": no browser fails the test instead of skipping it
	EnvArtifactsDir   = "FREEZER_ARTIFACTS_DIR"   // where screenshots go (default: a new temporary directory, kept)
	EnvChromium       = "FREEZER_CHROMIUM"        // the browser to run (default: chromium on the PATH)
)

// Path finds Chromium, or skips the test (fails it when required).
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(EnvRequireBrowser) == "1" {
		t.Fatalf("no Chromium found but %s=1: install it (apt-get install chromium) or set %s", EnvRequireBrowser, EnvChromium)
	}
	t.Skipf("browser tests skipped: no Chromium on the PATH (apt-get install chromium, or set %s); set %s=1 to require them", EnvChromium, EnvRequireBrowser)
	return ""
}

// Session is one headless Chromium tab of a test.
type Session struct {
	T         testing.TB
	Ctx       context.Context // bounded: every step of the test together
	Artifacts string          // the test's screenshot directory
}

// New starts a headless Chromium with a fresh profile and the extra
// command-line flags given (chromedp.Flag options).
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Session {
	t.Helper()
	exe := Path(t)
	dir := os.Getenv(EnvArtifactsDir)
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "freezer-browser-"); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil { // starts the browser, with no deadline on its life
		t.Fatalf("start %s: %v", exe, err)
	}
	ctx, cancel := context.WithTimeout(root, 2*time.Minute)
	t.Cleanup(cancel)
	return &Session{T: t, Ctx: ctx, Artifacts: dir}
}

// Do runs steps, failing the test with the step's name on error.
func (s *Session) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.T.Helper()
	if err := chromedp.Do(s.Ctx, steps...); err != nil {
		s.Shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		s.T.Fatalf("%s: %v", what, err)
	}
}

// Eval runs a JavaScript expression and returns its value.
func Eval[T any](s *Session, expr string, opts ...chromedp.EvaluateOption) T {
	s.T.Helper()
	v, err := chromedp.Run(s.Ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		s.T.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor polls a JavaScript condition until it holds.
func (s *Session) WaitFor(what, expr string) {
	s.T.Helper()
	if _, err := chromedp.Run(s.Ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		s.Shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		s.T.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// Shot saves a screenshot of the whole page as name.png.
func (s *Session) Shot(name string) []byte {
	s.T.Helper()
	png, err := chromedp.Run(s.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.T.Logf("screenshot %s: %v", name, err)
		return nil
	}
	if err := os.WriteFile(filepath.Join(s.Artifacts, name+".png"), png, 0o644); err != nil {
		s.T.Errorf("save screenshot: %v", err)
	}
	return png
}
