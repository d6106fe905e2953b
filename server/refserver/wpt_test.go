package refserver

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// wptResponse is what a test of a /wpt/resources/ route wants of a response.
type wptResponse struct {
	status      int
	contentType string
	body        string
	// header has other headers and their values; "" wants the header
	// absent.
	header map[string]string
}

// wptExchange is one request of a test and the response it wants.
type wptExchange struct {
	method string // GET when empty
	path   string
	header map[string]string
	want   wptResponse
}

// wptClient returns a client with a cookie jar that does not follow
// redirects, as the tests check the redirects themselves.
func wptClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// exchange sends e's request with client and checks the response.
func (e wptExchange) check(t *testing.T, client *http.Client, base string) {
	t.Helper()
	method := e.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, base+e.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range e.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, e.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, e.path, err)
	}
	if resp.StatusCode != e.want.status {
		t.Errorf("%s %s: status %d, want %d", method, e.path, resp.StatusCode, e.want.status)
	}
	if e.want.contentType != "" && resp.Header.Get("Content-Type") != e.want.contentType {
		t.Errorf("%s %s: Content-Type %q, want %q", method, e.path, resp.Header.Get("Content-Type"), e.want.contentType)
	}
	if string(body) != e.want.body {
		t.Errorf("%s %s: body %q, want %q", method, e.path, body, e.want.body)
	}
	for k, want := range e.want.header {
		got, present := resp.Header.Get(k), len(resp.Header.Values(k)) > 0
		if want == "" && present {
			t.Errorf("%s %s: header %s: %q, want none", method, e.path, k, got)
		} else if want != "" && got != want {
			t.Errorf("%s %s: header %s: %q, want %q", method, e.path, k, got, want)
		}
	}
}

// TestWPTResources checks the /wpt/resources/ routes, each as a sequence of
// requests from one client with cookies.
func TestWPTResources(t *testing.T) {
	const stream = "text/event-stream"
	longID := strings.Repeat("a", 255)
	for _, tc := range []struct {
		name      string
		exchanges []wptExchange
	}{
		{"message default", []wptExchange{
			{path: "/wpt/resources/message", want: wptResponse{status: 200, contentType: stream, body: "data: data\n\n\n"}},
		}},
		{"message parameters", []wptExchange{
			{path: "/wpt/resources/message?mime=text/event-stream%3B&message=%EF%BB%BFdata%3A%00&newline=none",
				want: wptResponse{status: 200, contentType: "text/event-stream;", body: "\ufeffdata:\x00\n"}},
			{path: "/wpt/resources/message?mime=x%20bogus&message=",
				want: wptResponse{status: 200, contentType: "x bogus", body: "\n\n\n"}},
			{path: "/wpt/resources/message?sleep=x", want: wptResponse{status: 400, body: "refserver: sleep=\"x\": want an integer from 0 to 60000\n"}},
		}},
		{"last-event-id", []wptExchange{
			{path: "/wpt/resources/last-event-id", want: wptResponse{status: 200, contentType: stream, body: "id: \u2026\nretry: 200\ndata: hello\n\n"}},
			{path: "/wpt/resources/last-event-id?idvalue=x%00", want: wptResponse{status: 200, body: "id: x\x00\nretry: 200\ndata: hello\n\n"}},
			{path: "/wpt/resources/last-event-id", header: map[string]string{"Last-Event-ID": "\xe2\x80\xa6"},
				want: wptResponse{status: 200, body: "data: \u2026\n\n"}},
		}},
		{"last-event-id2", []wptExchange{
			{path: "/wpt/resources/last-event-id2", want: wptResponse{status: 200, body: "id: 1\ndata: 1\n\ndata:2\n\n"}},
			{path: "/wpt/resources/last-event-id2?type=2", want: wptResponse{status: 200, body: "id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n"}},
			{path: "/wpt/resources/last-event-id2?type=3", want: wptResponse{status: 200, body: "id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n"}},
		}},
		{"status-reconnect", []wptExchange{
			{path: "/wpt/resources/status-reconnect?status=503&id=a&ok_first", want: wptResponse{status: 503, body: "retry: 2\ndata: ok\n\n"}},
			{path: "/wpt/resources/status-reconnect?status=503&id=a", want: wptResponse{status: 200, body: "data: data\n\n"}},
			{path: "/wpt/resources/status-reconnect?status=503&id=a", want: wptResponse{status: 503, body: "retry: 2\n"}},
			{path: "/wpt/resources/status-reconnect", want: wptResponse{status: 204, body: ""}},
		}},
		{"reconnect-fail", []wptExchange{
			{path: "/wpt/resources/reconnect-fail?id=1", want: wptResponse{status: 200, contentType: stream, body: "retry: 2\ndata: opened\n\n"}},
			{path: "/wpt/resources/reconnect-fail?id=1", want: wptResponse{status: 200, body: "data: reconnected\n\n"}},
			{path: "/wpt/resources/reconnect-fail?id=1", want: wptResponse{status: 204, body: ""}},
			{path: "/wpt/resources/reconnect-fail?id=1", want: wptResponse{status: 200, body: "retry: 2\ndata: opened\n\n"}},
		}},
		{"status-error", []wptExchange{
			{path: "/wpt/resources/status-error", want: wptResponse{status: 404, contentType: stream, body: "data: data\n\n"}},
			{path: "/wpt/resources/status-error?status=210", want: wptResponse{status: 210, body: "data: data\n\n"}},
			{path: "/wpt/resources/status-error?status=205", want: wptResponse{status: 205, body: ""}},
		}},
		{"echoed headers", []wptExchange{
			{path: "/wpt/resources/accept", header: map[string]string{"Accept": "text/event-stream"},
				want: wptResponse{status: 200, contentType: stream, body: "data: text/event-stream\n\n"}},
			{path: "/wpt/resources/cache-control", header: map[string]string{"Cache-Control": "no-cache"},
				want: wptResponse{status: 200, body: "data: no-cache\n\n"}},
		}},
		{"redirect", []wptExchange{
			{path: "/wpt/resources/redirect?location=/wpt/resources/message&status=307",
				want: wptResponse{status: 307, header: map[string]string{"Location": "/wpt/resources/message"}}},
			{path: "/wpt/resources/redirect?location=/x", want: wptResponse{status: 302, header: map[string]string{"Location": "/x"}}},
		}},
		{"cors", []wptExchange{
			{path: "/wpt/resources/cors?run=message", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, body: "data: data\n\n\n", header: map[string]string{
					"Access-Control-Allow-Origin": "http://a.test", "Access-Control-Allow-Credentials": "true"}}},
			{path: "/wpt/resources/cors?run=message&origin=http://example.org&credentials=false", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, body: "data: data\n\n\n", header: map[string]string{
					"Access-Control-Allow-Origin": "http://example.org", "Access-Control-Allow-Credentials": "false"}}},
			{path: "/wpt/resources/cors?run=redirect&location=/wpt/resources/cors?run=message", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 302, header: map[string]string{
					"Location": "/wpt/resources/cors?run=message", "Access-Control-Allow-Origin": "http://a.test"}}},
			{path: "/wpt/resources/cors?run=cache-control", header: map[string]string{"Origin": "http://a.test", "Cache-Control": "no-cache"},
				want: wptResponse{status: 200, body: "data: no-cache\n\n"}},
			{path: "/wpt/resources/cors?run=status-reconnect&status=200&id=c", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, body: "retry: 2\n"}},
			{path: "/wpt/resources/cors?run=status-reconnect&status=200&id=c", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, body: "data: data\n\n"}},
		}},
		{"cors with an empty origin", []wptExchange{
			{path: "/wpt/resources/cors?run=message&origin=", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, body: "data: data\n\n\n"}},
		}},
		{"cors-cookie", []wptExchange{
			{path: "/wpt/resources/cors-cookie?ident=k", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, contentType: stream, body: "id: 1\nretry: 200\ndata: first NO_COOKIE\n\n", header: map[string]string{
					"Access-Control-Allow-Origin": "http://a.test", "Access-Control-Allow-Credentials": "true"}}},
			{path: "/wpt/resources/cors-cookie?ident=k", header: map[string]string{"Origin": "http://a.test", "Last-Event-ID": "1"},
				want: wptResponse{status: 200, contentType: stream, body: "id: 2\ndata: second COOKIE\n\n"}},
			{path: "/wpt/resources/cors-cookie?ident=k", header: map[string]string{"Origin": "http://a.test", "Last-Event-ID": "2"},
				want: wptResponse{status: 200, contentType: "stop", body: "data: 2NO_COOKIE\n\n"}},
			{path: "/wpt/resources/cors-cookie?ident=k&origin=none&credentials=none", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, body: "id: 1\nretry: 200\ndata: first NO_COOKIE\n\n", header: map[string]string{
					"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": ""}}},
		}},
		{"cors-unsafe-last-event-id safe", []wptExchange{
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=safe&token=s", header: map[string]string{"Origin": "http://a.test"},
				want: wptResponse{status: 200, contentType: stream, body: "id: abc\nretry: 200\ndata: safe\n\n", header: map[string]string{
					"Access-Control-Allow-Origin": "http://a.test"}}},
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=safe&token=s", header: map[string]string{"Last-Event-ID": "abc"},
				want: wptResponse{status: 200, body: "event: success\ndata: got abc\n\n"}},
		}},
		{"cors-unsafe-last-event-id safe, preflighted", []wptExchange{
			{method: "OPTIONS", path: "/wpt/resources/cors-unsafe-last-event-id?fixture=safe&token=p",
				header: map[string]string{"Origin": "http://a.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "last-event-id"},
				want:   wptResponse{status: 200, header: map[string]string{"Access-Control-Allow-Headers": "last-event-id"}}},
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=safe&token=p", header: map[string]string{"Last-Event-ID": "abc"},
				want: wptResponse{status: 200, body: "event: failure\ndata: saw preflight, did not expect one\n\n"}},
		}},
		{"cors-unsafe-last-event-id unsafe", []wptExchange{
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=unsafe&token=u",
				want: wptResponse{status: 200, body: "id: e5p3n<3k0k0s\nretry: 200\ndata: unsafe\n\n"}},
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=unsafe&token=u", header: map[string]string{"Last-Event-ID": "e5p3n<3k0k0s"},
				want: wptResponse{status: 200, body: "event: failure\ndata: expected preflight, did not get one\n\n"}},
			{method: "OPTIONS", path: "/wpt/resources/cors-unsafe-last-event-id?fixture=unsafe&token=u",
				header: map[string]string{"Origin": "http://a.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "accept"},
				want:   wptResponse{status: 400, body: "refserver: a preflight for other headers than Last-Event-ID: accept"}},
			{method: "OPTIONS", path: "/wpt/resources/cors-unsafe-last-event-id?fixture=unsafe&token=u",
				header: map[string]string{"Origin": "http://a.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "last-event-id"},
				want:   wptResponse{status: 200}},
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=unsafe&token=u", header: map[string]string{"Last-Event-ID": "e5p3n<3k0k0s"},
				want: wptResponse{status: 200, body: "event: success\ndata: got e5p3n<3k0k0s\n\n"}},
		}},
		{"cors-unsafe-last-event-id long", []wptExchange{
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=long&token=l",
				want: wptResponse{status: 200, body: "id: " + longID + "\nretry: 200\ndata: long\n\n"}},
			{method: "OPTIONS", path: "/wpt/resources/cors-unsafe-last-event-id?fixture=long&token=l",
				header: map[string]string{"Origin": "http://a.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "last-event-id"},
				want:   wptResponse{status: 200}},
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=long&token=l", header: map[string]string{"Last-Event-ID": "a"},
				want: wptResponse{status: 200, body: "event: failure\ndata: got a, expected " + longID + "\n\n"}},
			{path: "/wpt/resources/cors-unsafe-last-event-id?fixture=long", want: wptResponse{status: 400,
				body: "refserver: want the query parameters token and fixture"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t)
			client := wptClient(t)
			for _, e := range tc.exchanges {
				e.check(t, client, srv.URL)
			}
		})
	}
}

// TestWPTMessageSleeps checks that /wpt/resources/message?sleep=MS holds the
// whole response, head included, for MS ms.
func TestWPTMessageSleeps(t *testing.T) {
	srv := newTestServer(t)
	start := time.Now()
	resp, err := http.Get(srv.URL + "/wpt/resources/message?sleep=150")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("the response head came after %v, want at least 150ms", d)
	}
}

// TestWPTMessage2 checks the first round of the never-ending stream of
// /wpt/resources/message2.
func TestWPTMessage2(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/wpt/resources/message2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("header %v, want text/event-stream, no-cache", resp.Header)
	}
	want := strings.Join(wptMessage2Fields, "")
	got := make([]byte, len(want))
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("first round %q, want %q", got, want)
	}
}

// TestWPTCookies checks that the cookie routes set cookies for the whole
// host, so that another port (another origin) of it sees them.
func TestWPTCookies(t *testing.T) {
	srv := newTestServer(t)
	client := wptClient(t)
	resp, err := client.Get(srv.URL + "/wpt/resources/status-reconnect?status=200&id=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(srv.URL + "/elsewhere")
	cookies := client.Jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != "requestx" || cookies[0].Value != "200" {
		t.Errorf("cookies for /elsewhere: %v, want requestx=200", cookies)
	}
}
