// Command server runs the eventsource-wasm reference server-sent events
// server: the scenario catalogue for conformance tests, the session log, the
// echo, counter, bench and clock streams, and the pages under web/ and dist/.
//
// Usage, from the repository root:
//
//	go run ./server [-addr 127.0.0.1:8080] [-root .]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventsource-wasm/eventsource-wasm/server/refserver"
)

// shutdownTimeout bounds how long a shutdown waits for requests to finish.
const shutdownTimeout = 2 * time.Second

// maxHeaderBytes bounds a request's head. A long Last-Event-ID is the
// largest thing an EventSource sends there; 64 KiB is far more than any
// test needs, and far less than net/http's default of 1 MiB.
const maxHeaderBytes = 64 << 10

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then shuts down. It prints the server's URL
// to stdout once it listens, and logs requests to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8080", "address to listen on")
	root := flags.String("root", ".", "directory holding web/ and dist/")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flags.Args())
	}

	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	// Streams that hold their connection open end when this context does,
	// so that Shutdown need not wait for them.
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	srv := &http.Server{
		Handler:           refserver.New(refserver.Options{Root: *root, Logf: logger.Printf}),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return streams },
		ErrorLog:          logger,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "eventsource-wasm reference server: http://%s/\n", ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	endStreams()
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
