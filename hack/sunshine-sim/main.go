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
// Besides the vendor's /v2 routes it serves admin routes without
// authentication, to move conversations and to inject faults; `--help`
// lists them (the text of usageText).
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

// usageText heads the --help output, before the flags.
const usageText = `Usage: sunshine-sim [flags]

Serves the Sunshine Conversations switchboard API (the vendor's /v2/apps/... routes,
Basic or JWT authentication with the seed's keys) and, without authentication, these
admin routes (JSON in and out):

  GET    /_sim/conversations/{appId}/{conversationId}   -> {"active":"bot","pending":""}
  PUT    /_sim/conversations/{appId}/{conversationId}   <- {"active":"agent-workspace","pending":""}
         moves a conversation as an agent or bot would (creates it if missing);
         answers the new state; a move sends its switchboard events to the
         app's webhooks, unless ?events=false
  GET    /_sim/faults                                   -> {"faults":[...]} the active faults
  POST   /_sim/faults                                   <- one fault (below); answers the list
  DELETE /_sim/faults                                   clears every fault
  GET    /_sim/counts                                   -> requests per operation
  POST   /_sim/reset                                    back to the seed (state, counts, faults,
                                                        webhooks, deliveries)
  GET    /_sim/deliveries                               -> {"deliveries":[...],"stats":{...}} the
                                                        webhook deliveries, their attempts and statuses
  GET    /_sim/delivery-faults                          -> {"faults":[...]} the active delivery faults
  POST   /_sim/delivery-faults                          <- one delivery fault (below); answers the list
  DELETE /_sim/delivery-faults                          clears every delivery fault

A fault (every field optional; durations like "250ms" or "2s"):

  {"operation":"passControl","status":429,"times":2,"retryAfter":"2s",
   "latency":"1s","drop":false,"lostAnswer":false,"noEffect":false,"after":0}

  operation   passControl, offerControl, acceptControl, releaseControl,
              getConversation, listSwitchboards, listSwitchboardIntegrations,
              createSwitchboard, updateSwitchboard, deleteSwitchboard,
              createSwitchboardIntegration, updateSwitchboardIntegration,
              deleteSwitchboardIntegration; empty: every operation
  latency     wait this long before answering
  status      answer this status (400-599) with the vendor's error body
  retryAfter  with status 429: the Retry-After header (whole seconds, rounded up)
  drop        close the connection without answering; nothing is applied
  lostAnswer  handle the request (the action is applied), then close the
              connection without the answer
  noEffect    the four actions answer 200 {} and change nothing (the vendor's
              "200 and no change"); other operations are not affected
  times       how many requests fail (default 1); set one of status, drop,
              lostAnswer, noEffect. A fault with only latency lasts until cleared
  after       let this many matching requests pass untouched first

Faults answer before authentication (lostAnswer handles the request as usual), in
the order posted; a bad fault answers 400 naming the field. At most 1000 faults are active at once.

The admin routes answer only requests addressed to the listening address (Host:
its IP and port, or localhost:PORT on a loopback address; other Hosts get 421) and
refuse an Origin header of any other host (403), so web pages cannot reach them.
PUT creates no conversation beyond --max-conversations (409).

Webhooks: custom integrations and their webhooks are created through the vendor's
routes (/v2/apps/{appId}/integrations[/{id}/webhooks[/{webhookId}]]; at most 10
webhooks per app; creation first sends a HEAD to the target and fails with 400
unless it answers 2xx). After every action that changes a conversation, every
:failure of --async-failures and of a noEffect fault, and every admin move, the
simulator POSTs {app, webhook, events:[...]} to each webhook subscribed to the
trigger, with the webhook's secret in X-API-Key. Events of one webhook within
--webhook-batch-window share a delivery. A failed delivery is tried up to 5 times,
after 1, 2, 4 and 8 minutes times --webhook-time-scale; 400, 401, 403, 404 and 406
are not retried.

A delivery fault (every field optional):
  {"webhookId":"","delay":"2s","duplicate":false,"drop":false,"wrongKey":false,
   "times":1,"after":0}
  webhookId   only deliveries to this webhook; empty: every webhook
  delay       hold each delivery this long before its first attempt (with nothing
              else set the fault lasts until cleared)
  duplicate   send the delivery a second time, same event ids, after the first
  drop        lose the delivery: nothing is sent or retried
  wrongKey    send it with an X-API-Key that is not the webhook's secret
  times       how many deliveries (default 1); set one of duplicate, drop, wrongKey
  after       let this many matching deliveries pass untouched first

Flags:
`

// options are the program's flags.
type options struct {
	listen, seedPath                        string
	async                                   bool
	maxConversations                        int
	batchWindow                             time.Duration
	timeScale                               float64
	readHeaderTimeout, readTimeout          time.Duration
	writeTimeout, idleTimeout, shutdownWait time.Duration
}

func main() {
	os.Exit(serve())
}

// serve runs the program until SIGINT or SIGTERM and returns its exit code.
func serve() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		_, _ = fmt.Fprintln(os.Stderr, "sunshine-sim:", err)
		return 2
	}
	return 0
}

// parseFlags reads the flags; the help text goes to out.
func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sunshine-sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		_, _ = fmt.Fprint(out, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8091", "address to listen on")
	fs.StringVar(&o.seedPath, "seed", "", "seed file (YAML or JSON); default: the embedded demo world")
	fs.BoolVar(&o.async, "async-failures", false, "answer semantic action failures with 200 {} and no state change")
	fs.IntVar(&o.maxConversations, "max-conversations", sunshinetest.DefaultMaxConversations,
		"most conversations (all apps, seeded ones included) before admin PUTs create no new one")
	fs.DurationVar(&o.batchWindow, "webhook-batch-window", sunshinetest.DefaultBatchWindow,
		"how long an event waits for more events of the same webhook to share its delivery (0: each event alone)")
	fs.Float64Var(&o.timeScale, "webhook-time-scale", 1,
		"multiplies the webhook retry schedule (1, 2, 4, 8 minutes) and the 20s attempt timeout (at least 1s); 0.01 retries after 0.6s")
	fs.DurationVar(&o.readHeaderTimeout, "read-header-timeout", 10*time.Second, "time to read a request's headers")
	fs.DurationVar(&o.readTimeout, "read-timeout", 30*time.Second, "time to read a whole request, body included")
	fs.DurationVar(&o.writeTimeout, "write-timeout", 2*time.Minute,
		"time from the end of a request's headers to the end of its answer; a latency fault longer than this ends with the connection closed")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&o.shutdownWait, "shutdown-timeout", 5*time.Second, "how long a stop waits for requests in progress")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.batchWindow < 0 {
		return o, fmt.Errorf("--webhook-batch-window: must not be negative, got %v", o.batchWindow)
	}
	if o.timeScale <= 0 {
		return o, fmt.Errorf("--webhook-time-scale: must be positive, got %g", o.timeScale)
	}
	if o.maxConversations < 1 {
		return o, fmt.Errorf("--max-conversations: must be at least 1, got %d", o.maxConversations)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-header-timeout", o.readHeaderTimeout}, {"read-timeout", o.readTimeout}, {"write-timeout", o.writeTimeout},
		{"idle-timeout", o.idleTimeout}, {"shutdown-timeout", o.shutdownWait}} {
		if d.v <= 0 {
			return o, fmt.Errorf("--%s: must be positive, got %v", d.name, d.v)
		}
	}
	return o, nil
}

// newServer is the program's http.Server, with every timeout set.
func newServer(o options, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.readHeaderTimeout,
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.idleTimeout,
	}
}

// run serves the simulator until ctx is done, then shuts down gracefully.
// It writes the listening line and the request log to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	seed, err := loadSeed(o.seedPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	opts := []sunshinetest.Option{sunshinetest.WithLogger(logger), sunshinetest.WithMaxConversations(o.maxConversations),
		sunshinetest.WithWebhookBatchWindow(o.batchWindow), sunshinetest.WithWebhookTimeScale(o.timeScale)}
	if o.async {
		opts = append(opts, sunshinetest.WithAsyncFailures())
	}
	sim, err := sunshinetest.New(seed, opts...)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	defer sim.StopDeliveries()
	srv := newServer(o, sim.Handler())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	_, _ = fmt.Fprintf(stdout, "sunshine-sim listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// ctx is done by now: the graceful shutdown gets a bounded context of its own.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownWait)
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
