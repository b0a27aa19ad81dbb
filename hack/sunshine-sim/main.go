// Command sunshine-sim serves the Sunshine Conversations switchboard API
// simulator (package sunshinetest) for demos and for developing bots without
// a Zendesk account:
//
//	go run ./hack/sunshine-sim --listen 127.0.0.1:8091 --seed hack/sunshine-sim/seed.yaml
//
// Without --seed it serves the demo world of seed.yaml (embedded). Once
// listening it prints `sunshine-sim listening on http://ADDR`, then logs one
// line per request (method, path, operation, status, duration; never
// credentials). SIGINT or SIGTERM stops it cleanly.
//
// Besides the vendor's /v2 routes it serves, without authentication:
//
//	GET  /_sim/conversations/{appId}/{conversationId}  -> {"active":"bot","pending":""}
//	PUT  /_sim/conversations/{appId}/{conversationId}  <- {"active":"agent-workspace"}  (as an agent would)
//	GET  /_sim/counts                                  -> requests per operation
//	POST /_sim/reset                                   back to the seed state
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

//go:embed seed.yaml
var demoSeed []byte

func main() {
	os.Exit(serve())
}

// serve runs the program until SIGINT or SIGTERM and returns its exit code.
func serve() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			_, _ = fmt.Fprintln(os.Stderr, "sunshine-sim:", err)
		}
		return 2
	}
	return 0
}

// run serves the simulator until ctx is done, then shuts down gracefully.
// It writes the listening line and the request log to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sunshine-sim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	listen := fs.String("listen", "127.0.0.1:8091", "address to listen on")
	seedPath := fs.String("seed", "", "seed file (YAML or JSON); default: the embedded demo world")
	async := fs.Bool("async-failures", false, "answer semantic action failures with 200 {} and no state change")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	seed, err := loadSeed(*seedPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	opts := []sunshinetest.Option{sunshinetest.WithLogger(logger)}
	if *async {
		opts = append(opts, sunshinetest.WithAsyncFailures())
	}
	sim, err := sunshinetest.New(seed, opts...)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	_, _ = fmt.Fprintf(stdout, "sunshine-sim listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// ctx is done by now: the graceful shutdown gets a bounded context of its own.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	_, _ = fmt.Fprintln(stdout, "sunshine-sim stopped")
	return nil
}

func loadSeed(path string) (sunshinetest.Seed, error) {
	if path == "" {
		return sunshinetest.ParseSeed(demoSeed)
	}
	return sunshinetest.LoadSeed(path)
}
