package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
)

// serve runs sseconform -serve: the conformance page and the reference
// server, for any browser, until ctx ends.
func serve(ctx context.Context, cfg *config, stdout io.Writer) error {
	srv, err := listenLocal(cfg.serve, nil, cfg.distDir)
	if err != nil {
		return err
	}
	defer srv.close()
	page := pageURL(srv.URL) + "/conformance.html"
	fmt.Fprintf(stdout, "sseconform: open %s in a browser and press Run (Ctrl-C stops)\n", page)
	if err := checkDist(cfg.distDir); err != nil {
		fmt.Fprintf(stdout, "sseconform: the wasm column will fail: %v\n", err)
	}
	<-ctx.Done()
	return nil
}

// pageURL replaces an unspecified host (0.0.0.0, ::) by localhost, which a
// browser can open.
func pageURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort("localhost", u.Port())
	}
	return u.String()
}
