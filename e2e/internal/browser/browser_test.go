package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEngines drives each engine of $BROWSERS (all by default) as the e2e
// tests do: a page loads, an expression's value comes back as JSON, a
// rejection is an error, and the console, uncaught exceptions and unhandled
// rejections of the page reach onConsole. It fails, never skips, when a
// browser is missing.
func TestEngines(t *testing.T) {
	engines, err := ParseEngines(os.Getenv("BROWSERS"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ConsoleRelay(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>engine test</title><script>
			console.log("page-log", 1);
			setTimeout(() => { throw new Error("page-exception"); }, 0);
			Promise.reject(new Error("page-rejection"));
			new EventSource("http://127.0.0.1:1/refused"); // the browser reports it: no exception
			window.answer = {n: 42, s: "ünïcode", list: [1, "two"]};
		</script>`)
	})))
	t.Cleanup(srv.Close)

	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			b, err := Start(ctx, e, Options{Tabs: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			t.Logf("%s: %s", e, b.Version())

			var mu sync.Mutex
			var got []ConsoleMessage
			tab, err := b.NewTab(ctx, func(m ConsoleMessage) {
				mu.Lock()
				got = append(got, m)
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			preloaded := true
			if err := tab.Preload(ctx, `window.preloaded = typeof window.answer;`); errors.Is(err, ErrNoPreload) && e == WebKit {
				preloaded = false
			} else if err != nil {
				t.Fatalf("Preload: %v", err)
			}
			if err := tab.Navigate(ctx, srv.URL+"/page"); err != nil {
				t.Fatal(err)
			}
			if v, err := tab.Evaluate(ctx, `window.preloaded`); preloaded && (err != nil || string(v) != `"undefined"`) {
				t.Errorf("the preloaded script saw window.answer as %s (%v), want it to run before the page's script", v, err)
			}
			v, err := tab.Evaluate(ctx, `new Promise((resolve) => setTimeout(() => resolve(window.answer), 50))`)
			if err != nil {
				t.Fatal(err)
			}
			var answer struct {
				N    int    `json:"n"`
				S    string `json:"s"`
				List []any  `json:"list"`
			}
			if err := json.Unmarshal(v, &answer); err != nil || answer.N != 42 || answer.S != "ünïcode" || len(answer.List) != 2 {
				t.Errorf("Evaluate(window.answer) = %s (%v)", v, err)
			}
			if v, err := tab.Evaluate(ctx, `undefined`); err != nil || string(v) != "null" {
				t.Errorf("Evaluate(undefined) = %s, %v; want null", v, err)
			}
			if _, err := tab.Evaluate(ctx, `Promise.reject(new Error("eval-rejection"))`); err == nil || !strings.Contains(err.Error(), "eval-rejection") {
				t.Errorf("Evaluate of a rejection: %v, want an error with its message", err)
			}
			if _, err := tab.Evaluate(ctx, `document.title // a comment`); err != nil {
				t.Errorf("an expression ending in a line comment: %v", err)
			}
			if err := tab.Close(); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range got {
				if strings.Contains(m.Text, "127.0.0.1:1/") && m.Exception {
					t.Errorf("the browser's report of a refused connection counts as an exception: %q", m)
				}
			}
			for _, want := range []struct {
				text      string
				exception bool
			}{{"page-log 1", false}, {"page-exception", true}, {"page-rejection", true}} {
				found := false
				for _, m := range got {
					if strings.Contains(m.Text, want.text) && m.Exception == want.exception {
						found = true
					}
				}
				if !found {
					t.Errorf("no console message %q (exception %v) in %q", want.text, want.exception, got)
				}
			}
		})
	}
}

// TestFreshContext checks that a tab of FreshContext starts as on a first
// visit, in each engine of $BROWSERS: a script that the server lets
// browsers cache for an hour comes from the cache on the second load in a
// tab, but from the server in a fresh tab, and the fresh tab sees none of
// the cookies and storage of the first tab, nor another fresh tab those
// of the first.
func TestFreshContext(t *testing.T) {
	engines, err := ParseEngines(os.Getenv("BROWSERS"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	served := map[string]int{} // requests of /cached.js, by engine (its query)
	srv := httptest.NewServer(ConsoleRelay(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cached.js":
			mu.Lock()
			served[r.URL.RawQuery]++
			mu.Unlock()
			w.Header().Set("Content-Type", "text/javascript")
			w.Header().Set("Cache-Control", "max-age=3600")
			fmt.Fprint(w, `window.cachedScriptRan = true;`)
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			fmt.Fprintf(w, `<!doctype html><title>fresh context</title><script src="/cached.js?%s"></script>`, r.URL.Query().Get("engine"))
		default:
			http.NotFound(w, r)
		}
	})))
	t.Cleanup(srv.Close)
	requests := func(e Engine) int {
		mu.Lock()
		defer mu.Unlock()
		return served[string(e)]
	}

	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			b, err := Start(ctx, e, Options{Tabs: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			ignore := func(ConsoleMessage) {}
			page := func(n int) string { return fmt.Sprintf("%s/page?engine=%s&n=%d", srv.URL, e, n) }
			load := func(tab Tab, n int) {
				t.Helper()
				if err := tab.Navigate(ctx, page(n)); err != nil {
					t.Fatal(err)
				}
				if v, err := tab.Evaluate(ctx, `window.cachedScriptRan === true`); err != nil || string(v) != "true" {
					t.Fatalf("the page's script did not run: %s, %v", v, err)
				}
			}
			// state reads the cookie and the storage a tab sees, and
			// sets its own.
			state := func(tab Tab, mine string) string {
				t.Helper()
				v, err := tab.Evaluate(ctx, fmt.Sprintf(`(() => {
					const seen = document.cookie + "|" + (localStorage.getItem("k") || "");
					document.cookie = "k=%[1]s; max-age=3600; path=/";
					localStorage.setItem("k", %[1]q);
					return seen;
				})()`, mine))
				if err != nil {
					t.Fatal(err)
				}
				var s string
				json.Unmarshal(v, &s)
				return s
			}

			tab, err := b.NewTab(ctx, ignore)
			if err != nil {
				t.Fatal(err)
			}
			defer tab.Close()
			load(tab, 1)
			state(tab, "first")
			load(tab, 2)
			if got := requests(e); got != 1 {
				t.Fatalf("the cacheable script was requested %d times in two loads in one tab, want once: the premise of this test (an HTTP cache) does not hold", got)
			}
			if got := state(tab, "first"); got != "k=first|first" {
				t.Fatalf("the first tab sees %q after a reload, want its own cookie and storage (k=first|first)", got)
			}

			fresh, err := b.NewTab(ctx, ignore, FreshContext())
			if err != nil {
				t.Fatal(err)
			}
			load(fresh, 3)
			if got := requests(e); got != 2 {
				t.Errorf("a fresh tab: the cacheable script was requested %d times in all, want 2: the fresh tab's HTTP cache is not empty", got)
			}
			if got := state(fresh, "fresh"); got != "|" {
				t.Errorf("a fresh tab sees the cookie and storage %q, want none", got)
			}
			if err := fresh.Close(); err != nil {
				t.Errorf("close the fresh tab: %v", err)
			}

			again, err := b.NewTab(ctx, ignore, FreshContext())
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			load(again, 4)
			if got := state(again, "again"); got != "|" {
				t.Errorf("a second fresh tab sees the cookie and storage %q, want none (not the first fresh tab's)", got)
			}
			if got := requests(e); got != 3 {
				t.Errorf("a second fresh tab: the script was requested %d times in all, want 3", got)
			}
			// The first tab lives on, with its own state.
			load(tab, 5)
			if got := state(tab, "first"); got != "k=first|first" {
				t.Errorf("after the fresh tabs, the first tab sees %q, want k=first|first", got)
			}
		})
	}
}
