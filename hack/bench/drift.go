package main

// The drift scenario (-drift, `make bench-drift`): N ConversationControls in sync, then
// others move a share of the conversations at a steady rate, as an agent hands a
// conversation back to the bot, and the bench times each move until the object reports
// InSync=False. It runs twice, each time with a manager of its own and in a namespace of
// its own:
//
//   - "polls": the Switchboard declares no webhook; every object has
//     spec.pollInterval -drift-poll-interval (5m by default), so only a poll finds a
//     move. Moves start half an interval after the last object was in sync, when every
//     object polls on its slot (the first poll comes at the first slot half an interval
//     after the handoff), and the run waits one whole interval after the last move.
//   - "webhooks": the manager serves the webhook receiver (--receiver-bind-address, on a
//     free loopback port), the Switchboard declares spec.webhook.url pointing at it, and
//     every object has spec.pollInterval -drift-safety-poll (1h) as the safety net. The
//     simulator sends the events of each move as the vendor does (batched for 100 ms,
//     X-API-Key), and the run waits until every move was seen and the deliveries are done.
//
// The bench watches the objects of the run's namespace (an informer of its own) and
// takes the time of the first update that shows InSync=False after the move; a move's
// time is taken just before the simulator's SetConversation. Vendor calls come from the
// simulator's request hook, with their times (callLog), so that any window can be
// counted afterwards.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The runs of the drift scenario.
const (
	driftRunPolls    = "polls"
	driftRunWebhooks = "webhooks"
)

// The poll intervals the figures are stated for: pollInterval 5m with polls
// alone, a one-hour safety poll with webhooks.
const (
	referencePollInterval = 5 * time.Minute
	referenceSafetyPoll   = time.Hour
)

// How PollsPerHour was found.
const (
	pollsMeasured = "measured"
	pollsComputed = "computed"
)

// driftSettle is how long a run waits after its last expected change for late calls to
// be counted.
const driftSettle = 2 * time.Second

// driftOptions are the flags of the drift scenario.
type driftOptions struct {
	Enabled bool
	// Share is the fraction of the conversations that others move; Rate the moves per
	// second.
	Share, Rate float64
	// PollInterval is spec.pollInterval in the polls run, SafetyPoll in the webhooks run.
	PollInterval, SafetyPoll time.Duration
	// Runs are the runs to make, in order.
	Runs []string
}

// bind registers the drift flags on fs.
func (d *driftOptions) bind(fs *flag.FlagSet) {
	fs.BoolVar(&d.Enabled, "drift", false, "drift mode: N objects in sync, then others move -drift-share of the conversations; "+
		"time each move until InSync=False, with polls only and with webhooks")
	fs.Float64Var(&d.Share, "drift-share", 0.2, "drift mode: the fraction of the conversations that others move (0-1]")
	fs.Float64Var(&d.Rate, "drift-rate", 20, "drift mode: moves per second")
	fs.DurationVar(&d.PollInterval, "drift-poll-interval", referencePollInterval,
		"drift mode: spec.pollInterval of the polls run (at least 10s); a shorter one scales detection and polls to 5m")
	fs.DurationVar(&d.SafetyPoll, "drift-safety-poll", referenceSafetyPoll, "drift mode: spec.pollInterval of the webhooks run")
	d.Runs = []string{driftRunPolls, driftRunWebhooks}
	fs.Func("drift-runs", "drift mode: the runs, comma-separated: polls, webhooks (default polls,webhooks)", func(v string) error {
		d.Runs = nil
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != driftRunPolls && r != driftRunWebhooks {
				return fmt.Errorf("%q is not a run: polls or webhooks", r)
			}
			d.Runs = append(d.Runs, r)
		}
		return nil
	})
}

// validate checks the drift flags for n objects.
func (d driftOptions) validate(n int) error {
	switch {
	case d.Share <= 0 || d.Share > 1:
		return errors.New("-drift-share must be more than 0 and at most 1")
	case d.Rate <= 0:
		return errors.New("-drift-rate must be positive")
	case d.PollInterval < 10*time.Second || d.SafetyPoll < 10*time.Second:
		return errors.New("-drift-poll-interval and -drift-safety-poll must be at least 10s (the API's minimum)")
	case len(d.Runs) == 0:
		return errors.New("-drift-runs must name polls, webhooks or both")
	case d.Enabled && len(movedIndices(n, d.Share)) == 0:
		return fmt.Errorf("-drift-share %g of %d objects moves no conversation", d.Share, n)
	}
	return nil
}

// movedIndices are the objects whose conversations others move: round(share*n) of them,
// evenly spread.
func movedIndices(n int, share float64) []int {
	m := int(math.Round(share * float64(n)))
	out := make([]int, 0, m)
	for j := range m {
		out = append(out, j*n/m)
	}
	return out
}

// DriftReport is what the drift scenario measured; it is written as JSON and printed as
// a table.
type DriftReport struct {
	StartedAt       time.Time `json:"startedAt"`
	DurationSeconds float64   `json:"durationSeconds"`
	// Revision is the commit the bench ran.
	Revision string        `json:"revision"`
	Machine  Machine       `json:"machine"`
	Settings DriftSettings `json:"settings"`
	Runs     []DriftRun    `json:"runs"`
	Targets  []Target      `json:"targets"`
}

// DriftSettings are the knobs of the drift scenario.
type DriftSettings struct {
	N              int     `json:"n"`
	Share          float64 `json:"share"`
	MovesPerSecond float64 `json:"movesPerSecond"`
	// MovesPerHour is the drift the reads per hour are stated for: the run's moves
	// (Share of N) once an hour.
	MovesPerHour            float64 `json:"movesPerHour"`
	MaxConcurrentReconciles int     `json:"maxConcurrentReconciles"`
	// WebhookBatchWindowSeconds is how long the simulator gathers events into one
	// delivery.
	WebhookBatchWindowSeconds float64 `json:"webhookBatchWindowSeconds"`
}

// callCounts are vendor calls about conversations: actions, polls (a read at least 45%
// of the poll interval after the previous read of the conversation) and the other reads.
type callCounts struct {
	Actions int `json:"actions"`
	Polls   int `json:"polls"`
	Reads   int `json:"readsOutsidePolls"`
}

// DetectionLatency is the time from a move to the first InSync=False seen.
type DetectionLatency struct {
	P50Seconds float64 `json:"p50Seconds"`
	P99Seconds float64 `json:"p99Seconds"`
	MaxSeconds float64 `json:"maxSeconds"`
	Samples    int     `json:"samples"`
}

// DriftRun is one run of the drift scenario.
type DriftRun struct {
	Name     string `json:"name"`
	Webhooks bool   `json:"webhooks"`
	// PollIntervalSeconds is the objects' spec.pollInterval; ReferencePollIntervalSeconds
	// the one the issue states its figures for (5m polls only, 1h with webhooks).
	PollIntervalSeconds          float64 `json:"pollIntervalSeconds"`
	ReferencePollIntervalSeconds float64 `json:"referencePollIntervalSeconds"`
	Objects                      int     `json:"objects"`
	// InSyncSeconds runs from the first create to the last object seen Ready and InSync.
	InSyncSeconds float64 `json:"inSyncSeconds"`
	// Handoffs are the vendor calls from the first create until the handoffs settled
	// (the events of the operator's own actions included); ReadsPerHandoff their reads
	// over the objects.
	Handoffs          callCounts `json:"handoffs"`
	ReadsPerHandoff   float64    `json:"readsPerHandoff"`
	ActionsPerHandoff float64    `json:"actionsPerHandoff"`
	// Moves are the conversations others moved, in MovesSeconds; Detected how many were
	// seen InSync=False.
	Moves        int     `json:"moves"`
	MovesSeconds float64 `json:"movesSeconds"`
	Detected     int     `json:"detected"`
	// Detection is measured; DetectionAtReference is it scaled to the reference poll
	// interval (polls only: detection waits for the poll slot, so it scales with the
	// interval; with webhooks it does not depend on it).
	Detection            DetectionLatency `json:"detection"`
	DetectionAtReference DetectionLatency `json:"detectionAtReference"`
	// WindowSeconds runs from the first move to the end of the run; Window are its
	// vendor calls, and the others below its API-server writes and reconciles.
	WindowSeconds  float64       `json:"windowSeconds"`
	Window         callCounts    `json:"window"`
	OperatorWrites requestCounts `json:"operatorWrites"`
	Reconciles     int           `json:"reconciles"`
	// ReadsPerMove is the window's reads outside polls per move.
	ReadsPerMove float64 `json:"readsPerMove"`
	// PollsPerHour is measured (the window's polls scaled to an hour) when the window
	// lasts at least one poll interval, and computed (one poll per object per interval)
	// otherwise; PollsPerHourMethod says which.
	PollsPerHour       float64 `json:"pollsPerHour"`
	PollsPerHourMethod string  `json:"pollsPerHourMethod"`
	// ReadsPerHour is PollsPerHour plus ReadsPerMove times the settings' MovesPerHour;
	// ReadsPerHourAtReference the same with the polls scaled to the reference interval.
	ReadsPerHour            float64 `json:"readsPerHour"`
	ReadsPerHourAtReference float64 `json:"readsPerHourAtReference"`
	// Deliveries are the simulator's webhook deliveries of the run.
	Deliveries *sunshinetest.DeliveryStats `json:"deliveries,omitempty"`
}

// fillRates derives the per-move, per-hour and reference figures of a run from its
// counts, for movesPerHour moves an hour.
func (r *DriftRun) fillRates(movesPerHour float64) {
	if r.Moves > 0 {
		r.ReadsPerMove = float64(r.Window.Reads) / float64(r.Moves)
	}
	if r.WindowSeconds >= r.PollIntervalSeconds && r.WindowSeconds > 0 {
		r.PollsPerHour, r.PollsPerHourMethod = float64(r.Window.Polls)*3600/r.WindowSeconds, pollsMeasured
	} else if r.PollIntervalSeconds > 0 {
		r.PollsPerHour, r.PollsPerHourMethod = float64(r.Objects)*3600/r.PollIntervalSeconds, pollsComputed
	}
	scale := r.scale()
	r.ReadsPerHour = r.PollsPerHour + r.ReadsPerMove*movesPerHour
	r.ReadsPerHourAtReference = r.PollsPerHour*scale + r.ReadsPerMove*movesPerHour
	r.DetectionAtReference = r.Detection
	if !r.Webhooks && scale > 0 {
		d := &r.DetectionAtReference
		d.P50Seconds, d.P99Seconds, d.MaxSeconds = d.P50Seconds/scale, d.P99Seconds/scale, d.MaxSeconds/scale
	}
}

// scale is the run's poll interval over the reference interval: polls per hour at the
// reference interval are polls per hour times scale.
func (r *DriftRun) scale() float64 {
	if r.ReferencePollIntervalSeconds > 0 && r.PollIntervalSeconds > 0 {
		return r.PollIntervalSeconds / r.ReferencePollIntervalSeconds
	}
	return 1
}

// runNamed returns the run of that name, or nil.
func (rep *DriftReport) runNamed(name string) *DriftRun {
	for i := range rep.Runs {
		if rep.Runs[i].Name == name {
			return &rep.Runs[i]
		}
	}
	return nil
}

// evaluateDriftTargets compares the runs with the targets.
func evaluateDriftTargets(rep *DriftReport) []Target {
	status := func(ok bool) string {
		if ok {
			return "met"
		}
		return "missed"
	}
	na := func(name, target string) Target { return Target{name, target, "no webhooks run", "n/a"} }
	polls, hooks := rep.runNamed(driftRunPolls), rep.runNamed(driftRunWebhooks)
	var out []Target
	if hooks != nil {
		out = append(out,
			Target{"drift detection p50 with webhooks", "< 1s", seconds(hooks.Detection.P50Seconds),
				status(hooks.Detected > 0 && hooks.Detection.P50Seconds < 1)},
			Target{"drift detection p99 with webhooks", "< 2s", seconds(hooks.Detection.P99Seconds),
				status(hooks.Detected > 0 && hooks.Detection.P99Seconds < 2)},
			Target{"vendor reads per handoff with webhooks", "<= 1.0", fmt.Sprintf("%.3f", hooks.ReadsPerHandoff),
				status(hooks.ReadsPerHandoff <= 1.0)})
	} else {
		out = append(out, na("drift detection p50 with webhooks", "< 1s"), na("drift detection p99 with webhooks", "< 2s"),
			na("vendor reads per handoff with webhooks", "<= 1.0"))
	}
	ratio := Target{"vendor reads per hour, polls only (5m) / webhooks", ">= 10x", "needs both runs", "n/a"}
	if polls != nil && hooks != nil && hooks.ReadsPerHourAtReference > 0 {
		r := polls.ReadsPerHourAtReference / hooks.ReadsPerHourAtReference
		ratio.Value = fmt.Sprintf("%.2fx (%.0f / %.0f at N=%d, %.0f moves an hour)", r, polls.ReadsPerHourAtReference,
			hooks.ReadsPerHourAtReference, rep.Settings.N, rep.Settings.MovesPerHour)
		if p, h := polls.PollsPerHour*polls.scale(), hooks.PollsPerHour*hooks.scale(); h > 0 {
			// Without drift only the polls count.
			ratio.Value += fmt.Sprintf("; polls alone %.2fx", p/h)
		}
		ratio.Status = status(r >= 10)
	}
	out = append(out, ratio)
	moves, detected := 0, 0
	for _, r := range rep.Runs {
		moves, detected = moves+r.Moves, detected+r.Detected
	}
	out = append(out, Target{"every move seen as InSync=False", "all", fmt.Sprintf("%d / %d", detected, moves),
		status(moves > 0 && detected == moves)})
	return out
}

// writeDriftTable prints the drift report: one column per run, then the targets.
func writeDriftTable(out io.Writer, rep *DriftReport) error {
	w := &strings.Builder{}
	s, m := rep.Settings, rep.Machine
	fmt.Fprintf(w, "switchboard-operator bench, drift scenario, %s, commit %s\n", rep.StartedAt.Format(time.RFC3339), rep.Revision)
	fmt.Fprintf(w, "machine: %s, %s, %d CPUs, %s, %s/%s, %s, load average at start %s\n", m.Hostname, m.CPUModel, m.NumCPU,
		mib(m.MemTotalBytes), m.GOOS, m.GOARCH, m.GoVersion, m.LoadAverage)
	fmt.Fprintf(w, "objects: %d, all Active agent-workspace, driftPolicy Report; others move %.0f%% of the conversations back to "+
		"the bot at %g/s; MaxConcurrentReconciles %d; webhook batch window %s\n",
		s.N, s.Share*100, s.MovesPerSecond, s.MaxConcurrentReconciles, millis(s.WebhookBatchWindowSeconds))
	fmt.Fprintf(w, "reads per hour: polls per hour + reads per move x %.0f moves an hour (the run's moves once an hour); "+
		"polls measured over a window of at least one interval, else computed as one per object per interval\n\n", s.MovesPerHour)

	tw := newTabWriter(w)
	header := make([]string, 0, 1+len(rep.Runs))
	header = append(header, "FIGURE")
	for _, r := range rep.Runs {
		header = append(header, strings.ToUpper(runTitle(r.Name)))
	}
	row := func(name string, value func(r DriftRun) string) {
		cells := make([]string, 0, 1+len(rep.Runs))
		cells = append(cells, name)
		for _, r := range rep.Runs {
			cells = append(cells, value(r))
		}
		_, _ = fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	_, _ = fmt.Fprintln(tw, strings.Join(header, "\t"))
	row("spec.pollInterval", func(r DriftRun) string { return (time.Duration(r.PollIntervalSeconds) * time.Second).String() })
	row("objects in sync after", func(r DriftRun) string { return seconds(r.InSyncSeconds) })
	row("vendor reads / actions per handoff", func(r DriftRun) string {
		return fmt.Sprintf("%.3f / %.3f", r.ReadsPerHandoff, r.ActionsPerHandoff)
	})
	row("moves (seconds)", func(r DriftRun) string { return fmt.Sprintf("%d (%s)", r.Moves, seconds(r.MovesSeconds)) })
	row("moves seen InSync=False", func(r DriftRun) string { return fmt.Sprintf("%d / %d", r.Detected, r.Moves) })
	row("detection p50 / p99 / max", func(r DriftRun) string {
		return fmt.Sprintf("%s / %s / %s", human(r.Detection.P50Seconds), human(r.Detection.P99Seconds), human(r.Detection.MaxSeconds))
	})
	row("  at the reference interval", func(r DriftRun) string {
		d := r.DetectionAtReference
		return fmt.Sprintf("%s / %s (%s)", human(d.P50Seconds), human(d.P99Seconds),
			time.Duration(r.ReferencePollIntervalSeconds*float64(time.Second)))
	})
	row("window: seconds, polls, other reads, actions", func(r DriftRun) string {
		return fmt.Sprintf("%s, %d, %d, %d", seconds(r.WindowSeconds), r.Window.Polls, r.Window.Reads, r.Window.Actions)
	})
	row("window: reconciles, API-server writes", func(r DriftRun) string {
		return fmt.Sprintf("%d, %d", r.Reconciles, r.OperatorWrites.total())
	})
	row("vendor reads per move", func(r DriftRun) string { return fmt.Sprintf("%.3f", r.ReadsPerMove) })
	row("polls per hour", func(r DriftRun) string { return fmt.Sprintf("%.0f (%s)", r.PollsPerHour, r.PollsPerHourMethod) })
	row("vendor reads per hour", func(r DriftRun) string { return fmt.Sprintf("%.0f", r.ReadsPerHour) })
	row("  at the reference interval", func(r DriftRun) string {
		return fmt.Sprintf("%.0f (%s)", r.ReadsPerHourAtReference, time.Duration(r.ReferencePollIntervalSeconds*float64(time.Second)))
	})
	row("webhook deliveries (delivered, rejected, failed)", func(r DriftRun) string {
		if r.Deliveries == nil {
			return "none"
		}
		d := r.Deliveries
		return fmt.Sprintf("%d (%d, %d, %d)", d.Deliveries, d.Delivered, d.Rejected, d.Failed)
	})
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = newTabWriter(w)
	_, _ = fmt.Fprintln(tw, "TARGET\tWANTED\tMEASURED\tSTATUS")
	for _, t := range rep.Targets {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Target, t.Value, t.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(out, w.String())
	return err
}

// newTabWriter aligns the columns of a table written to w.
func newTabWriter(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// runTitle names a run for people.
func runTitle(name string) string {
	if name == driftRunPolls {
		return "polls only"
	}
	return name
}

// human prints seconds as milliseconds below 10 s, as seconds above.
func human(s float64) string {
	if s < 10 {
		return millis(s)
	}
	return fmt.Sprintf("%.1fs", s)
}

// callLog records the simulator's calls about conversations with their times (it is
// the simulator's request hook in drift mode), so that any window can be counted later.
type callLog struct {
	// pollGap is the least time between two reads of a conversation for the second to
	// count as a poll (45% of the poll interval, as vendorTracker counts).
	pollGap time.Duration

	mu       sync.Mutex
	lastRead map[string]time.Time
	calls    []loggedCall
}

// loggedCall is one call: its time and what it counted as.
type loggedCall struct {
	at   time.Time
	kind callKind
}

type callKind int

const (
	callAction callKind = iota
	callPoll
	callRead
)

// newCallLog logs the calls of objects polled every pollInterval.
func newCallLog(pollInterval time.Duration) *callLog {
	return &callLog{pollGap: pollInterval * 45 / 100, lastRead: map[string]time.Time{}}
}

// observe is the simulator's request hook.
func (l *callLog) observe(info sunshinetest.RequestInfo) {
	if info.ConversationID == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case isAction(info.Operation):
		l.calls = append(l.calls, loggedCall{info.Time, callAction})
	case info.Operation == sunshinetest.OpGetConversation:
		kind := callRead
		if last, ok := l.lastRead[info.ConversationID]; ok && info.Time.Sub(last) >= l.pollGap {
			kind = callPoll
		}
		l.lastRead[info.ConversationID] = info.Time
		l.calls = append(l.calls, loggedCall{info.Time, kind})
	}
}

// count counts the calls from from to to, both included.
func (l *callLog) count(from, to time.Time) callCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c callCounts
	for _, call := range l.calls {
		if call.at.Before(from) || call.at.After(to) {
			continue
		}
		switch call.kind {
		case callAction:
			c.Actions++
		case callPoll:
			c.Polls++
		case callRead:
			c.Reads++
		}
	}
	return c
}

// driftWatcher follows the objects of a run as the bench's informer sees them: when each
// was first Ready and InSync, and when each moved object was first seen InSync=False.
type driftWatcher struct {
	want int

	mu         sync.Mutex
	inSyncAt   map[string]time.Time
	lastInSync time.Time
	synced     chan struct{}
	movedAt    map[string]time.Time
	seenAt     map[string]time.Time
	latency    []time.Duration
	lastSeen   time.Time
	expected   int
	detected   chan struct{}
}

// newDriftWatcher follows want objects.
func newDriftWatcher(want int) *driftWatcher {
	return &driftWatcher{want: want, inSyncAt: map[string]time.Time{}, synced: make(chan struct{}),
		movedAt: map[string]time.Time{}, seenAt: map[string]time.Time{}, detected: make(chan struct{})}
}

// observe looks at an object as the informer delivered it at the given time.
func (w *driftWatcher) observe(cc *sbv1.ConversationControl, at time.Time) {
	inSync := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionInSync)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.inSyncAt[cc.Name]; !seen && isReady(cc) && inSync != nil && inSync.Status == metav1.ConditionTrue {
		w.inSyncAt[cc.Name], w.lastInSync = at, at
		if len(w.inSyncAt) == w.want {
			close(w.synced)
		}
	}
	moved, ok := w.movedAt[cc.Name]
	if _, seen := w.seenAt[cc.Name]; !ok || seen || inSync == nil || inSync.Status != metav1.ConditionFalse {
		return
	}
	w.seenAt[cc.Name], w.lastSeen = at, at
	w.latency = append(w.latency, at.Sub(moved))
	if len(w.latency) == w.expected {
		close(w.detected)
	}
}

// expectMoves says how many moves will come; call it once, before the first move.
func (w *driftWatcher) expectMoves(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expected = n
	if n == 0 {
		close(w.detected)
	}
}

// moved records that others moved the object's conversation at the given time.
func (w *driftWatcher) moved(name string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.movedAt[name] = at
}

// inSyncCount is the number of objects seen Ready and InSync.
func (w *driftWatcher) inSyncCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inSyncAt)
}

// waitInSync waits until every object was seen Ready and InSync and returns when the
// last one was.
func (w *driftWatcher) waitInSync(ctx context.Context, timeout time.Duration) (time.Time, error) {
	if err := waitClosed(ctx, w.synced, timeout); err != nil {
		return time.Time{}, fmt.Errorf("%d of %d objects Ready and InSync: %w", w.inSyncCount(), w.want, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastInSync, nil
}

// waitDetected waits until every expected move was seen InSync=False.
func (w *driftWatcher) waitDetected(ctx context.Context, timeout time.Duration) error {
	if err := waitClosed(ctx, w.detected, timeout); err != nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		return fmt.Errorf("%d of %d moves seen: %w", len(w.latency), w.expected, err)
	}
	return nil
}

// latencies returns the detection latencies, sorted.
func (w *driftWatcher) latencies() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := slices.Clone(w.latency)
	slices.Sort(out)
	return out
}

// lastDetection is when the last move was seen.
func (w *driftWatcher) lastDetection() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSeen
}

// errTimedOut is returned by waitClosed when the time is up.
var errTimedOut = errors.New("timed out")

// waitClosed waits until ch is closed, for at most timeout.
func waitClosed(ctx context.Context, ch <-chan struct{}, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return fmt.Errorf("after %s: %w", timeout, errTimedOut)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// detectionOf summarises sorted latencies.
func detectionOf(sorted []time.Duration) DetectionLatency {
	return DetectionLatency{P50Seconds: percentile(sorted, 50).Seconds(), P99Seconds: percentile(sorted, 99).Seconds(),
		MaxSeconds: percentile(sorted, 100).Seconds(), Samples: len(sorted)}
}

// driftBench is one drift scenario: envtest, the bench's client and the simulator,
// shared by the runs.
type driftBench struct {
	opts    options
	stderr  io.Writer
	env     *envtest.Environment
	restCfg *rest.Config
	scheme  *runtime.Scheme
	c       client.Client
	sim     *sunshinetest.Server
	// calls is the current run's call log (the simulator's hook writes to it).
	calls atomic.Pointer[callLog]
}

func (d *driftBench) progress(format string, args ...any) {
	_, _ = fmt.Fprintf(d.stderr, "bench drift: "+format+"\n", args...)
}

// runDrift runs the drift scenario and reports on stdout; progress goes to stderr.
func runDrift(ctx context.Context, o options, stdout, stderr io.Writer) error {
	started := time.Now()
	stamp := fmt.Sprintf("drift-%d-%s", o.N, started.Format("20060102-150405"))
	logPath := filepath.Join(o.OutDir, stamp+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	logger := zap.New(zap.WriteTo(logFile))
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)

	d := &driftBench{opts: o, stderr: stderr}
	rep := &DriftReport{StartedAt: started, Revision: o.Revision, Machine: machineInfo(), Settings: DriftSettings{
		N: o.N, Share: o.Drift.Share, MovesPerSecond: o.Drift.Rate, MaxConcurrentReconciles: o.Concurrency,
		MovesPerHour: float64(len(movedIndices(o.N, o.Drift.Share))), WebhookBatchWindowSeconds: sunshinetest.DefaultBatchWindow.Seconds(),
	}}
	runErr := d.run(ctx, rep)
	if len(rep.Runs) == 0 {
		return runErr
	}
	rep.DurationSeconds = time.Since(started).Seconds()
	rep.Targets = evaluateDriftTargets(rep)
	if err := writeDriftTable(stdout, rep); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(o.OutDir, stamp+".json")
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "\nreport: %s\nmanager log: %s\n", path, logPath); err != nil {
		return err
	}
	return runErr
}

// run sets up, makes the runs in order and tears down; the report holds the runs made.
func (d *driftBench) run(ctx context.Context, rep *DriftReport) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := d.setUp(); err != nil {
		return err
	}
	defer func() {
		d.sim.Close()
		cancel()
		if err := d.env.Stop(); err != nil {
			d.progress("stopping envtest: %v", err)
		}
	}()
	for _, name := range d.opts.Drift.Runs {
		r, err := d.runOne(ctx, name)
		if err == nil || r.Objects > 0 {
			r.fillRates(rep.Settings.MovesPerHour)
			rep.Runs = append(rep.Runs, r)
		}
		if err != nil {
			return fmt.Errorf("run %s: %w", name, err)
		}
	}
	return nil
}

// setUp starts envtest, the bench's client and the simulator.
func (d *driftBench) setUp() error {
	d.scheme = runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(d.scheme))
	utilruntime.Must(sbv1.AddToScheme(d.scheme))
	d.progress("starting envtest")
	d.env = &envtest.Environment{CRDDirectoryPaths: []string{d.opts.CRDDir}, ErrorIfCRDPathMissing: true, Scheme: d.scheme}
	var err error
	if d.restCfg, err = d.env.Start(); err != nil {
		return fmt.Errorf("starting envtest: %w", err)
	}
	d.c, err = client.New(clientConfig(d.restCfg, -1, 0, newRequestCounter()), client.Options{Scheme: d.scheme})
	if err == nil {
		d.calls.Store(newCallLog(d.opts.Drift.PollInterval))
		d.sim, err = sunshinetest.NewServer(benchWorld.Seed(), sunshinetest.WithRequestHook(func(info sunshinetest.RequestInfo) {
			d.calls.Load().observe(info)
		}))
	}
	if err != nil {
		if stopErr := d.env.Stop(); stopErr != nil {
			d.progress("stopping envtest: %v", stopErr)
		}
		return err
	}
	return nil
}

// driftRun is the state of one run while it runs.
type driftRun struct {
	name      string
	webhooks  bool
	namespace string
	poll      time.Duration
	calls     *callLog
	watcher   *driftWatcher
	mgr       *benchManager
	receiver  string
}

// runOne makes one run: the objects in sync, the moves, and the counts.
func (d *driftBench) runOne(ctx context.Context, name string) (DriftRun, error) {
	o := d.opts
	r := &driftRun{name: name, webhooks: name == driftRunWebhooks, namespace: "drift-" + name, poll: o.Drift.PollInterval}
	res := DriftRun{Name: name, Webhooks: r.webhooks, ReferencePollIntervalSeconds: referencePollInterval.Seconds()}
	if r.webhooks {
		r.poll, res.ReferencePollIntervalSeconds = o.Drift.SafetyPoll, referenceSafetyPoll.Seconds()
	}
	res.PollIntervalSeconds = r.poll.Seconds()
	r.calls = newCallLog(r.poll)
	d.calls.Store(r.calls)
	simStatsBefore := d.sim.DeliveryStats()

	stop, err := d.startRun(ctx, r)
	defer stop()
	if err != nil {
		return res, err
	}
	if err := d.handoffs(ctx, r, &res); err != nil {
		return res, err
	}
	if err := d.moves(ctx, r, &res); err != nil {
		return res, err
	}
	if r.webhooks {
		st := d.sim.DeliveryStats()
		st.Deliveries -= simStatsBefore.Deliveries
		st.Attempts -= simStatsBefore.Attempts
		st.Delivered -= simStatsBefore.Delivered
		st.Rejected -= simStatsBefore.Rejected
		st.Failed -= simStatsBefore.Failed
		st.Dropped -= simStatsBefore.Dropped
		res.Deliveries = &st
	}
	return res, nil
}

// startRun puts the run's conversations into the simulator with the bot active, starts
// the bench's informer and the manager (with the receiver in the webhooks run), and
// creates the Secret and the Switchboard; it returns once the Switchboard (and its
// webhook) is Ready. stop ends the informer and the manager and deletes the run's
// ConversationControls.
func (d *driftBench) startRun(ctx context.Context, r *driftRun) (stop func(), err error) {
	n := d.opts.N
	for i := range n {
		if err := d.sim.SetConversation(appID, driftConversationID(r.name, i), sunshinetest.ConversationState{Active: integrationBot}); err != nil {
			return func() {}, err
		}
	}
	if err := d.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.namespace}}); err != nil {
		return func() {}, err
	}
	r.watcher = newDriftWatcher(n)
	watchCtx, stopWatch := context.WithCancel(ctx)
	stops := make([]func(), 0, 2)
	stops = append(stops, stopWatch)
	stop = func() {
		for _, f := range slices.Backward(stops) {
			f()
		}
	}
	if err := d.watch(watchCtx, r); err != nil {
		return stop, err
	}
	if r.webhooks {
		if r.receiver, err = freeLoopbackAddress(); err != nil {
			return stop, err
		}
	}
	d.progress("%s: starting the manager", r.name)
	if r.mgr, err = d.startManager(ctx, r); err != nil {
		return stop, err
	}
	stops = append(stops, func() { d.stopManager(ctx, r) })
	sb := benchWorld.Switchboard(r.namespace, d.sim.URL, d.opts.rateLimit())
	for _, obj := range []client.Object{benchWorld.Secret(r.namespace), sb} {
		if err := d.c.Create(ctx, obj); err != nil {
			return stop, fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := benchWorld.WaitSwitchboardReady(waitCtx, d.c, r.namespace, 100*time.Millisecond); err != nil {
		return stop, err
	}
	if r.webhooks {
		// spec.webhook is set once the Switchboard is Ready, as the envtest suite sets it: a
		// Switchboard created with spec.webhook was left without its Ready condition (the
		// webhook finalizer's patch replaced the status in memory).
		base := sb.DeepCopy()
		sb.Spec.Webhook = &sbv1.SwitchboardWebhook{URL: "http://" + r.receiver}
		if err := d.c.Patch(ctx, sb, client.MergeFrom(base)); err != nil {
			return stop, fmt.Errorf("setting spec.webhook of Switchboard %s: %w", sb.Name, err)
		}
		if err := d.waitWebhookReady(waitCtx, r.namespace); err != nil {
			return stop, err
		}
	}
	return stop, nil
}

// driftConversationID is the simulator's id of the i-th conversation of a run.
func driftConversationID(run string, i int) string { return fmt.Sprintf("drift-%s-conv-%05d", run, i) }

// freeLoopbackAddress returns a loopback address with a port that was free a moment ago,
// for --receiver-bind-address.
func freeLoopbackAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// watch starts the bench's informer on the run's ConversationControls; every add and
// update goes to the run's watcher with the time it arrived.
func (d *driftBench) watch(ctx context.Context, r *driftRun) error {
	c, err := cache.New(d.restCfg, cache.Options{Scheme: d.scheme, DefaultNamespaces: map[string]cache.Config{r.namespace: {}}})
	if err != nil {
		return err
	}
	inf, err := c.GetInformer(ctx, &sbv1.ConversationControl{})
	if err != nil {
		return err
	}
	observe := func(obj any) {
		if cc, ok := obj.(*sbv1.ConversationControl); ok {
			r.watcher.observe(cc, time.Now())
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: observe, UpdateFunc: func(_, obj any) { observe(obj) },
	}); err != nil {
		return err
	}
	go func() {
		if err := c.Start(ctx); err != nil {
			d.progress("the bench's informer stopped: %v", err)
		}
	}()
	if !c.WaitForCacheSync(ctx) {
		return errors.New("the bench's informer did not sync")
	}
	return nil
}

// startManager builds and starts a manager as main.go does, with the receiver on
// r.receiver in the webhooks run, its operator metrics in a registry of its own.
func (d *driftBench) startManager(ctx context.Context, r *driftRun) (*benchManager, error) {
	m := &benchManager{requests: newRequestCounter(), done: make(chan error, 1)}
	skipNameValidation := true
	mgr, err := ctrl.NewManager(clientConfig(d.restCfg, d.opts.QPS, d.opts.Burst, m.requests), ctrl.Options{
		Scheme:     d.scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
		Client:     client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, err
	}
	opts := controllers.DefaultOptions()
	opts.MaxConcurrentReconciles = d.opts.Concurrency
	opts.AllowedEndpointHosts = controllers.MustHostAllowList("127.0.0.1", "localhost")
	opts.ReceiverBindAddress = r.receiver
	if err := controllers.SetupWithManager(mgr, opts, prometheus.NewRegistry()); err != nil { //nolint:contextcheck // controllers.Setup takes no context, as main.go calls it
		return nil, err
	}
	m.mgr = mgr
	var mgrCtx context.Context
	mgrCtx, m.cancel = context.WithCancel(ctx)
	go func() { m.done <- mgr.Start(mgrCtx) }()
	return m, nil
}

// stopManager stops the run's manager and deletes the run's ConversationControls (they
// have no finalizer), so that the next run's manager does not poll them; the deletion
// runs even when ctx was cancelled.
func (d *driftBench) stopManager(ctx context.Context, r *driftRun) {
	r.mgr.cancel()
	select {
	case err := <-r.mgr.done:
		if err != nil {
			d.progress("%s: the manager stopped with an error: %v", r.name, err)
		}
	case <-time.After(30 * time.Second):
		d.progress("%s: the manager did not stop within 30s", r.name)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := deleteAll(ctx, d.c, r.namespace); err != nil {
		d.progress("%s: deleting the objects: %v", r.name, err)
	}
}

// waitWebhookReady waits until the operator has made the Switchboard's webhook Ready
// and the Switchboard is still Ready.
func (d *driftBench) waitWebhookReady(ctx context.Context, namespace string) error {
	sb := &sbv1.Switchboard{}
	key := client.ObjectKey{Namespace: namespace, Name: switchboardName}
	for {
		err := d.c.Get(ctx, key, sb)
		if err == nil && meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionWebhookReady) &&
			meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady) {
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for the webhook of Switchboard %s (conditions %v): %w", key, sb.Status.Conditions, err)
		}
	}
}

// driftObjectFor is the i-th ConversationControl of a run: Active agent-workspace,
// driftPolicy Report (the default), polled every r.poll.
func driftObjectFor(r *driftRun, i int) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cc-%05d", i), Namespace: r.namespace},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: switchboardName},
			ConversationID: driftConversationID(r.name, i),
			State:          sbv1.StateActive,
			Integration:    integrationAgent,
			PollInterval:   &metav1.Duration{Duration: r.poll},
		},
	}
}

// handoffs creates the N objects and waits until every one is Ready and InSync, then
// until the handoffs have settled (in the webhooks run, until the events of the
// operator's own actions were delivered); it counts the vendor calls of that time.
func (d *driftBench) handoffs(ctx context.Context, r *driftRun, res *DriftRun) error {
	o := d.opts
	d.progress("%s: creating %d objects with %d workers", r.name, o.N, o.Concurrency)
	start := time.Now()
	if err := parallel(ctx, o.Concurrency, o.N, func(ctx context.Context, i int) error {
		return d.c.Create(ctx, driftObjectFor(r, i))
	}); err != nil {
		return err
	}
	res.Objects = o.N
	last, err := r.watcher.waitInSync(ctx, o.Timeout)
	if err != nil {
		return err
	}
	res.InSyncSeconds = last.Sub(start).Seconds()
	if err := d.settle(ctx, r); err != nil {
		return err
	}
	res.Handoffs = r.calls.count(start, time.Now())
	res.ReadsPerHandoff = float64(res.Handoffs.Reads+res.Handoffs.Polls) / float64(o.N)
	res.ActionsPerHandoff = float64(res.Handoffs.Actions) / float64(o.N)
	d.progress("%s: %d objects in sync after %s; %.3f reads and %.3f actions per handoff", r.name, o.N,
		last.Sub(start).Round(time.Millisecond), res.ReadsPerHandoff, res.ActionsPerHandoff)
	if !r.webhooks {
		// Every object polls on its slot from half an interval after its handoff on.
		wait := time.Until(last.Add(r.poll/2 + time.Second))
		d.progress("%s: waiting %s until every object polls on its slot", r.name, wait.Round(time.Second))
		return sleep(ctx, wait)
	}
	return nil
}

// settle waits until the simulator has sent every delivery, then driftSettle more.
func (d *driftBench) settle(ctx context.Context, r *driftRun) error {
	if r.webhooks {
		d.sim.FlushDeliveries()
		for d.sim.DeliveryStats().Pending > 0 {
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return sleep(ctx, driftSettle)
}

// moves moves the chosen conversations back to the bot at -drift-rate, waits until every
// move was seen (polls run: one whole interval after the last move), and counts the
// window from the first move.
func (d *driftBench) moves(ctx context.Context, r *driftRun, res *DriftRun) error {
	o := d.opts
	indices := movedIndices(o.N, o.Drift.Share)
	r.watcher.expectMoves(len(indices))
	recBefore, writesBefore := reconcileCounts(), r.mgr.requests.snapshot()
	d.progress("%s: moving %d conversations at %g/s", r.name, len(indices), o.Drift.Rate)
	start := time.Now()
	for j, i := range indices {
		if err := sleep(ctx, time.Until(start.Add(time.Duration(float64(j)/o.Drift.Rate*float64(time.Second))))); err != nil {
			return err
		}
		r.watcher.moved(fmt.Sprintf("cc-%05d", i), time.Now())
		if err := d.sim.SetConversation(appID, driftConversationID(r.name, i), sunshinetest.ConversationState{Active: integrationBot}); err != nil {
			return err
		}
	}
	res.Moves, res.MovesSeconds = len(indices), time.Since(start).Seconds()
	end := time.Now().Add(time.Minute)
	if !r.webhooks {
		// A move waits at most one interval for the poll of its object.
		end = time.Now().Add(r.poll)
	}
	d.progress("%s: waiting until every move is seen (at most %s)", r.name, time.Until(end).Round(time.Second))
	waitErr := r.watcher.waitDetected(ctx, time.Until(end)+driftSettle)
	if errors.Is(waitErr, context.Canceled) {
		return waitErr
	}
	if err := d.settle(ctx, r); err != nil {
		return err
	}
	if !r.webhooks {
		// The window lasts one whole interval after the last move, whenever the last move
		// was seen: each object polls once an interval in it.
		if err := sleep(ctx, time.Until(end)); err != nil {
			return err
		}
	}
	windowEnd := time.Now()
	res.WindowSeconds = windowEnd.Sub(start).Seconds()
	res.Window = r.calls.count(start, windowEnd)
	res.Reconciles = requestCounts(reconcileCounts()).since(recBefore).total()
	res.OperatorWrites = r.mgr.requests.snapshot().since(writesBefore).writes()
	latencies := r.watcher.latencies()
	res.Detected, res.Detection = len(latencies), detectionOf(latencies)
	d.progress("%s: %d of %d moves seen, p50 %s, p99 %s", r.name, res.Detected, res.Moves,
		percentile(latencies, 50).Round(time.Millisecond), percentile(latencies, 99).Round(time.Millisecond))
	if waitErr != nil {
		d.progress("%s: %v", r.name, waitErr)
	}
	return nil
}
