package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/e2e/internal/browser"
)

// A streamProxy puts the harness on the origin of a stream under check in
// Firefox and WebKit, whose drivers cannot answer a tab's requests as
// DevTools' Fetch domain does in Chromium (serveAt): the browser makes
// every request through this HTTP proxy, which answers the harness's few
// paths on that origin (harnessPaths) from the local server, and passes
// every other request, the stream's among them, on to the network as it
// came: headers, compression and all, each chunk as soon as it arrives.
//
// An https stream's origin comes as a CONNECT (in Firefox: WebKitGTK
// takes the proxy of https for one that speaks TLS itself, so sseconform
// gives WebKit a proxy for http only, and refuses to check an https stream
// from a page on its origin there): the proxy answers it with
// TLS of its own, under a self-signed certificate for the host (the
// browsers of sseconform accept any certificate, as they do for the
// reference server's HTTP/2 origin), serves the harness paths itself and
// passes the rest on to the server over TLS; so the browser speaks
// HTTP/1.1 to the proxy there. A CONNECT to any other host is a tunnel,
// unread.
type streamProxy struct {
	origin  string // the stream's origin, "http://host:port" or "https://host:port"
	host    string // its host:port
	tlsConf *tls.Config
	srv     *local
	paths   []string
	forward *httputil.ReverseProxy
	ln      net.Listener
	server  *http.Server
	done    chan struct{}

	mu      sync.Mutex
	tunnels map[net.Conn]bool
}

// harnessPaths are the paths of the harness that a page on another origin
// loads: the page, its scripts, the polyfill, the scripts of the
// implementations and WebKit's console relay.
func harnessPaths(impls []impl) []string {
	paths := []string{"/harness.html", "/trace.js", "/dist/eventsource-wasm.js", "/dist/eventsource-wasm.wasm", browser.ConsoleRelayPath}
	for i, im := range impls {
		if im.Kind == "script" {
			paths = append(paths, scriptPath(i, im))
		}
	}
	return paths
}

// startStreamProxy starts a proxy on a free port of 127.0.0.1 that puts
// the harness of srv on origin.
func startStreamProxy(origin string, srv *local, impls []impl) (*streamProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(origin)
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &streamProxy{origin: origin, host: hostPort(u), srv: srv, paths: harnessPaths(impls), ln: ln, done: make(chan struct{}), tunnels: map[net.Conn]bool{}}
	if u.Scheme == "https" {
		cert, err := selfSigned(u.Hostname())
		if err != nil {
			ln.Close()
			return nil, err
		}
		p.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	}
	p.forward = &httputil.ReverseProxy{
		// The request goes on as the browser made it: no
		// X-Forwarded-For, the browser's own Accept-Encoding.
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL = r.In.URL
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{
			DisableCompression: true,
			// As the browsers of sseconform accept any certificate,
			// so does the proxy in their place.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			// A stream that stalls is no error of the proxy's.
			ResponseHeaderTimeout: 0,
			MaxIdleConnsPerHost:   16,
		},
		FlushInterval: -1, // each chunk as it comes
		ErrorLog:      log.New(io.Discard, "", 0),
		// A server that cannot be reached must look unreachable to
		// the browser, not like a 502 of the proxy's: the connection
		// is dropped.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
				conn.Close()
				return
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	p.server = &http.Server{Handler: p, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		defer close(p.done)
		p.server.Serve(ln)
	}()
	return p, nil
}

// addr is the host:port of the proxy.
func (p *streamProxy) addr() string { return p.ln.Addr().String() }

func (p *streamProxy) close() {
	p.server.Close()
	<-p.done
	p.mu.Lock()
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *streamProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		if p.tlsConf != nil && r.Host == p.host {
			p.intercept(w)
		} else {
			p.tunnel(w, r)
		}
		return
	}
	if !r.URL.IsAbs() {
		http.Error(w, "sseconform's proxy takes absolute URLs only", http.StatusBadRequest)
		return
	}
	if p.onOrigin(r.URL) && slices.Contains(p.paths, r.URL.Path) {
		// The harness, from the local server, on the stream's origin.
		local := r.Clone(r.Context())
		local.URL = &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
		local.RequestURI = local.URL.RequestURI()
		local.Host = strings.TrimPrefix(p.srv.URL, "http://")
		p.srv.srv.Handler.ServeHTTP(w, local)
		return
	}
	p.forward.ServeHTTP(w, r)
}

// onOrigin reports whether u is on the stream's origin.
func (p *streamProxy) onOrigin(u *url.URL) bool {
	o, err := url.Parse(p.origin)
	return err == nil && u.Scheme == o.Scheme && hostPort(u) == hostPort(o)
}

// hostPort is u's host and port, the scheme's default port if it has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// tunnel passes a CONNECT's bytes through, unread.
func (p *streamProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	upstream, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	p.mu.Lock()
	p.tunnels[conn], p.tunnels[upstream] = true, true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.tunnels, conn)
		delete(p.tunnels, upstream)
		p.mu.Unlock()
		conn.Close()
		upstream.Close()
	}()
	done := make(chan struct{}, 2)
	go func() {
		if n := buf.Reader.Buffered(); n > 0 {
			b, _ := buf.Reader.Peek(n)
			upstream.Write(b)
		}
		io.Copy(upstream, conn)
		done <- struct{}{}
	}()
	go func() {
		_, err := io.Copy(conn, upstream)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			conn.Close()
		}
		done <- struct{}{}
	}()
	<-done
}

// intercept answers a CONNECT to the stream's https origin with TLS of the
// proxy's own, and serves the requests inside it as any other.
func (p *streamProxy) intercept(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		conn.Close()
		return
	}
	p.mu.Lock()
	p.tunnels[conn] = true
	p.mu.Unlock()
	tlsConn := tls.Server(conn, p.tlsConf)
	// The requests inside are to the stream's https origin.
	inner := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Scheme, r.URL.Host = "https", p.host
		p.ServeHTTP(w, r)
	}), ErrorLog: log.New(io.Discard, "", 0)}
	inner.Serve(&oneConnListener{conn: tlsConn, addr: conn.LocalAddr()})
	p.mu.Lock()
	delete(p.tunnels, conn)
	p.mu.Unlock()
}

// oneConnListener is a net.Listener of a single connection: Accept gives it
// once, then waits until it is closed.
type oneConnListener struct {
	conn   net.Conn
	addr   net.Addr
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.closed == nil {
		l.closed = make(chan struct{})
	}
	c, closed := l.conn, l.closed
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return &notifyConn{Conn: c, onClose: l.close}, nil
	}
	<-closed
	return nil, net.ErrClosed
}

func (l *oneConnListener) close() {
	l.mu.Lock()
	if l.closed == nil {
		l.closed = make(chan struct{})
	}
	closed := l.closed
	l.mu.Unlock()
	l.once.Do(func() { close(closed) })
}

func (l *oneConnListener) Close() error   { l.close(); return nil }
func (l *oneConnListener) Addr() net.Addr { return l.addr }

// notifyConn calls onClose when it is closed.
type notifyConn struct {
	net.Conn
	onClose func()
}

func (c *notifyConn) Close() error {
	err := c.Conn.Close()
	c.onClose()
	return err
}

// selfSigned makes a certificate for host, signed by its own key.
func selfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
