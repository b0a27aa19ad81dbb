package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured; it is written as JSON and printed as a table.
type Report struct {
	StartedAt       time.Time `json:"startedAt"`
	DurationSeconds float64   `json:"durationSeconds"`
	// Revision is the commit checked out where the bench ran (uncommitted changes are
	// not visible in it).
	Revision string   `json:"revision"`
	Machine  Machine  `json:"machine"`
	Settings Settings `json:"settings"`
	Results  Results  `json:"results"`
	Targets  []Target `json:"targets"`
}

// Machine says where the bench ran.
type Machine struct {
	Hostname      string `json:"hostname"`
	CPUModel      string `json:"cpuModel"`
	NumCPU        int    `json:"numCPU"`
	GOOS          string `json:"goos"`
	GOARCH        string `json:"goarch"`
	GoVersion     string `json:"goVersion"`
	MemTotalBytes uint64 `json:"memTotalBytes"`
	// LoadAverage is /proc/loadavg's 1, 5 and 15 minute load when the bench started:
	// other work on the machine skews the times.
	LoadAverage string `json:"loadAverage"`
}

// Settings are the knobs of the run.
type Settings struct {
	N int `json:"n"`
	// Mix is the number of objects of each kind: "Active agent-workspace", ...
	Mix                  map[string]int `json:"mix"`
	ReleasePolicyObjects int            `json:"releasePolicyObjects"`
	PollIntervalSeconds  float64        `json:"pollIntervalSeconds"`
	QuietSeconds         float64        `json:"quietSeconds"`
	// QPS and Burst are the manager's client-side rate limit (rest.Config).
	QPS                     float32 `json:"qps"`
	Burst                   int     `json:"burst"`
	MaxConcurrentReconciles int     `json:"maxConcurrentReconciles"`
	// Workers is the number of goroutines creating objects (operator run and baseline).
	Workers                int `json:"workers"`
	VendorRPS              int `json:"vendorRequestsPerSecond"`
	VendorBurst            int `json:"vendorBurst"`
	VendorIdleConnsPerHost int `json:"vendorIdleConnsPerHost"`
	// DropEvents is the -drop-events experiment: Events never reached the API server.
	DropEvents bool `json:"dropEvents"`
	// Options are the controllers.Options in effect.
	Options map[string]string `json:"options"`
}

// Results are the figures.
type Results struct {
	// Ready is the number of objects seen Ready by the end of the run.
	Ready int `json:"ready"`
	// CreateSeconds is how long the bench took to create the N objects.
	CreateSeconds float64 `json:"createSeconds"`
	// AllReadySeconds runs from the first create call to the last object seen Ready.
	AllReadySeconds float64 `json:"allReadySeconds"`
	// BaselineSeconds runs from the first create call to the last status patch of the
	// baseline.
	BaselineSeconds float64 `json:"baselineSeconds"`
	// BaselineRequests are the baseline's API-server requests.
	BaselineRequests requestCounts `json:"baselineRequests"`
	// BaselineAfterSeconds is the same baseline run again after the operator run, once
	// the manager stopped, in a namespace of its own (0 when it did not run): the first
	// runs on a fresh API server, this one on one that holds the operator run's objects.
	BaselineAfterSeconds float64 `json:"baselineAfterSeconds"`
	// BaselineMeanSeconds is the mean of the two baselines (the first alone without the
	// second), and Ratio the operator run's time (AllReadySeconds) over it.
	BaselineMeanSeconds float64 `json:"baselineMeanSeconds"`
	Ratio               float64 `json:"ratio"`
	// FullStatusBaselineSeconds is the baseline again with a status patch the size of the
	// operator's (the same fields as after a handoff), and FullStatusRatio the operator
	// run's time over it: the API server's floor for the status this operator reports.
	FullStatusBaselineSeconds float64 `json:"fullStatusBaselineSeconds"`
	FullStatusRatio           float64 `json:"fullStatusRatio"`
	// WritesBaselineSeconds is the full-status baseline with the Event the operator records
	// per handoff as well: every write the operator makes (but the 0.1 status patches of
	// `next`), with no reconcile, no watch and no vendor call. WritesRatio is the operator
	// run's time over it: what the operator adds to its own writes.
	WritesBaselineSeconds float64 `json:"writesBaselineSeconds"`
	WritesRatio           float64 `json:"writesRatio"`
	// CPUSeconds is the CPU time used during the baseline's creates and patches and
	// during the operator run (first create to all Ready), by process.
	CPUSeconds CPUSeconds `json:"cpuSeconds"`
	// CPURatio is the CPU time of the three processes during the operator run over
	// that during the baseline: the cost ratio, less sensitive than the time ratio to
	// other work on the machine.
	CPURatio float64 `json:"cpuRatio"`

	Latency   Latency   `json:"handoffLatency"`
	Vendor    Vendor    `json:"vendor"`
	APIServer APIServer `json:"apiServer"`
	// Reconciles are the ConversationControl reconciles by result.
	Reconciles          map[string]int `json:"reconciles"`
	ReconcilesPerObject float64        `json:"reconcilesPerObject"`
	Quiet               Quiet          `json:"quiet"`
	Restart             Restart        `json:"restart"`
	Memory              Memory         `json:"memory"`
	// NotReady counts the objects that were not Ready at the end, by Ready reason.
	NotReady map[string]int `json:"notReady,omitempty"`
}

// setRatio sets BaselineMeanSeconds and Ratio from the baselines run so far.
func (res *Results) setRatio() {
	res.BaselineMeanSeconds = res.BaselineSeconds
	if res.BaselineAfterSeconds > 0 {
		res.BaselineMeanSeconds = (res.BaselineSeconds + res.BaselineAfterSeconds) / 2
	}
	res.Ratio = 0
	if res.BaselineMeanSeconds > 0 {
		res.Ratio = res.AllReadySeconds / res.BaselineMeanSeconds
	}
}

// CPUSeconds is CPU time by process ("bench", "kube-apiserver", "etcd").
type CPUSeconds struct {
	Baseline           map[string]float64 `json:"baseline"`
	FullStatusBaseline map[string]float64 `json:"fullStatusBaseline"`
	WritesBaseline     map[string]float64 `json:"writesBaseline,omitempty"`
	BaselineAfter      map[string]float64 `json:"baselineAfter,omitempty"`
	Operator           map[string]float64 `json:"operator"`
}

// Latency is the handoff latency: create call returned -> action received.
type Latency struct {
	P50Seconds float64 `json:"p50Seconds"`
	P99Seconds float64 `json:"p99Seconds"`
	MaxSeconds float64 `json:"maxSeconds"`
	Samples    int     `json:"samples"`
	// ActionBeforeCreateReturned counts actions that arrived before the create call
	// returned to the bench (negative latencies, kept in the percentiles).
	ActionBeforeCreateReturned int `json:"actionBeforeCreateReturned"`
}

// Vendor are the vendor API calls during the operator run (until all were Ready).
type Vendor struct {
	Calls                      map[string]int `json:"calls"`
	Actions                    int            `json:"actions"`
	Reads                      int            `json:"reads"`
	ReadsOutsidePolls          int            `json:"readsOutsidePolls"`
	Polls                      int            `json:"polls"`
	ActionsPerHandoff          float64        `json:"actionsPerHandoff"`
	ReadsOutsidePollsPerHand   float64        `json:"readsOutsidePollsPerHandoff"`
	ConversationsWithoutAction int            `json:"conversationsWithoutAction"`
	ConversationsWithTwoOrMore int            `json:"conversationsWithMoreThanOneAction"`
}

// APIServer are the API-server requests during the operator run.
type APIServer struct {
	// Operator are the manager's requests by "verb resource".
	Operator requestCounts `json:"operator"`
	// OperatorWrites is the number of the manager's writes.
	OperatorWrites int `json:"operatorWrites"`
	// BenchCreates is the number of the bench's own creates.
	BenchCreates int `json:"benchCreates"`
	// WritesPerHandoff is (bench creates + operator writes) / N, Events included.
	WritesPerHandoff float64 `json:"writesPerHandoff"`
	// ObjectWritesPerHandoff leaves the Events out: writes of the ConversationControl.
	ObjectWritesPerHandoff float64 `json:"objectWritesPerHandoff"`
}

// Quiet is what happened during the quiet period after all objects were Ready.
type Quiet struct {
	Seconds           float64        `json:"seconds"`
	VendorCalls       map[string]int `json:"vendorCalls"`
	Actions           int            `json:"actions"`
	Polls             int            `json:"polls"`
	ReadsOutsidePolls int            `json:"readsOutsidePolls"`
	OperatorWrites    requestCounts  `json:"operatorWrites"`
	OperatorRequests  requestCounts  `json:"operatorRequests"`
	Reconciles        int            `json:"reconciles"`
}

// Restart is the restart of the manager after the quiet period, with every object in
// sync: a new manager in this process, with a cache of its own, as a new process has.
type Restart struct {
	// Objects is the number of objects in sync; WindowSeconds the counting window from the
	// new manager's start (-restart-window); zero when the restart was skipped.
	Objects       int     `json:"objects"`
	WindowSeconds float64 `json:"windowSeconds"`
	// StopSeconds is how long the old manager took to stop; SyncedSeconds runs from the
	// new manager's start until its cache had synced (the initial list).
	StopSeconds   float64 `json:"stopSeconds"`
	SyncedSeconds float64 `json:"syncedSeconds"`
	// NewObjectWaitSeconds runs from the create of a new object, right after the cache
	// synced, to the manager's write of it Ready: how long it waited behind the initial
	// list.
	NewObjectWaitSeconds float64 `json:"newObjectWaitSeconds"`
	// VendorCalls are all the simulator's requests in the window, by operation.
	VendorCalls map[string]int `json:"vendorCalls"`
	// Actions, Polls and ReadsOutsidePolls are the window's vendor calls for the objects
	// that were in sync (the new object's are counted apart).
	Actions           int `json:"actions"`
	Polls             int `json:"polls"`
	ReadsOutsidePolls int `json:"readsOutsidePolls"`
	// NewObjectActions and NewObjectReads are the new object's calls.
	NewObjectActions int `json:"newObjectActions"`
	NewObjectReads   int `json:"newObjectReads"`
	// OperatorRequests are the new manager's API-server requests in the window.
	OperatorRequests requestCounts `json:"operatorRequests"`
	OperatorWrites   requestCounts `json:"operatorWrites"`
	Reconciles       int           `json:"reconciles"`
}

// Memory is the memory use of the bench process and the control plane.
type Memory struct {
	// LiveHeapBeforeManager is the live heap after a GC just before the manager started
	// (envtest clients, simulator with N conversations, bench bookkeeping).
	LiveHeapBeforeManager uint64 `json:"liveHeapBeforeManagerBytes"`
	// LiveHeapAfterQuiet is the live heap after a GC at the end of the quiet period.
	LiveHeapAfterQuiet uint64 `json:"liveHeapAfterQuietBytes"`
	// PeakHeapInuse and PeakHeapAlloc are the process's peaks while the manager ran.
	PeakHeapInuse uint64 `json:"peakHeapInuseBytes"`
	PeakHeapAlloc uint64 `json:"peakHeapAllocBytes"`
	// PeakRSS is the sampled peak VmRSS by process while the manager ran.
	PeakRSS map[string]uint64 `json:"peakRSSBytes"`
	// HighWaterRSS is VmHWM, the lifetime peak RSS by process (the baseline phase included).
	HighWaterRSS map[string]uint64 `json:"vmHWMBytes"`
	// Pids of the control plane, found among this process's children.
	Pids map[string]int `json:"pids"`
}

// Target is one of the targets and whether the run met it.
type Target struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Value  string `json:"value"`
	// Status is "met", "missed" or "n/a".
	Status string `json:"status"`
}

// evaluateTargets compares the results with the targets.
func evaluateTargets(r *Report) []Target {
	res := r.Results
	status := func(ok bool) string {
		if ok {
			return "met"
		}
		return "missed"
	}
	heapStatus := "n/a (target at N=5000)"
	if r.Settings.N >= 5000 {
		heapStatus = status(res.Memory.PeakHeapInuse < 150<<20)
	}
	writesStatus := status(res.APIServer.WritesPerHandoff <= 2)
	if r.Settings.DropEvents {
		writesStatus = "n/a (-drop-events)"
	}
	quietOK := res.Quiet.Actions == 0 && res.Quiet.ReadsOutsidePolls == 0 &&
		res.Quiet.OperatorWrites.total()-min(res.Quiet.OperatorWrites.count("patch", "conversationcontrols/status"), res.Quiet.Polls) == 0
	restartValue, restartStatus := "skipped (-restart-window 0)", "n/a"
	if rs := res.Restart; rs.WindowSeconds > 0 {
		restartValue = fmt.Sprintf("%d actions, %d reads outside polls (%d polls due)", rs.Actions, rs.ReadsOutsidePolls, rs.Polls)
		restartStatus = status(rs.Actions == 0 && rs.ReadsOutsidePolls == 0)
	}
	return []Target{
		{"vendor actions per handoff", "exactly 1.0", fmt.Sprintf("%.3f (%d with none, %d with >1)",
			res.Vendor.ActionsPerHandoff, res.Vendor.ConversationsWithoutAction, res.Vendor.ConversationsWithTwoOrMore),
			status(res.Vendor.Actions == r.Settings.N && res.Vendor.ConversationsWithoutAction == 0 && res.Vendor.ConversationsWithTwoOrMore == 0)},
		// One read before the action and one read back after it: the operator reports only
		// what it observed.
		{"vendor reads per handoff outside polls", "<= 2.0", fmt.Sprintf("%.3f", res.Vendor.ReadsOutsidePollsPerHand),
			status(res.Vendor.ReadsOutsidePollsPerHand <= 2.0)},
		{"API-server writes per handoff (creates, patches, Events)", "<= 2", fmt.Sprintf("%.3f (%.3f without Events)",
			res.APIServer.WritesPerHandoff, res.APIServer.ObjectWritesPerHandoff), writesStatus},
		{"time ratio operator / baseline (mean of both)", "<= 1.5", fmt.Sprintf("%.2f", res.Ratio), status(res.Ratio > 0 && res.Ratio <= 1.5)},
		{"quiet period: no calls or writes but polls", "0", fmt.Sprintf("%d actions, %d reads outside polls, %d writes for %d polls",
			res.Quiet.Actions, res.Quiet.ReadsOutsidePolls, res.Quiet.OperatorWrites.total(), res.Quiet.Polls), status(quietOK)},
		{"peak heap (HeapInuse, whole process)", "< 150 MiB at N=5000", mib(res.Memory.PeakHeapInuse), heapStatus},
		{"restart in sync: vendor calls in the window but due polls", "0", restartValue, restartStatus},
	}
}

// writeTable prints the report as one plain-text table.
func writeTable(out io.Writer, r *Report) error {
	w := &bytes.Buffer{}
	s, res := r.Settings, r.Results
	m := r.Machine
	fmt.Fprintf(w, "switchboard-operator bench, %s, commit %s\n", r.StartedAt.Format(time.RFC3339), r.Revision)
	fmt.Fprintf(w, "machine: %s, %s, %d CPUs, %s, %s/%s, %s, load average at start %s\n", m.Hostname, m.CPUModel, m.NumCPU,
		mib(m.MemTotalBytes), m.GOOS, m.GOARCH, m.GoVersion, m.LoadAverage)
	fmt.Fprintf(w, "objects: %d (%s; %d with deletionPolicy Release), pollInterval %s\n", s.N, describeMix(s.Mix),
		s.ReleasePolicyObjects, seconds(s.PollIntervalSeconds))
	fmt.Fprintf(w, "manager client: QPS %s, burst %d; MaxConcurrentReconciles %d; bench workers %d (no client-side limit); vendor limit %d/s burst %d\n",
		describeQPS(s.QPS), s.Burst, s.MaxConcurrentReconciles, s.Workers, s.VendorRPS, s.VendorBurst)
	if s.DropEvents {
		fmt.Fprintf(w, "EXPERIMENT -drop-events: the manager's Events were answered by the bench and never reached the API server\n")
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// The tabwriters write into w, a bytes.Buffer, which cannot fail.
	row := func(name, value string) { _, _ = fmt.Fprintf(tw, "%s\t%s\n", name, value) }
	row("FIGURE", "VALUE")
	row("objects Ready", fmt.Sprintf("%d / %d", res.Ready, s.N))
	row("creates issued in", seconds(res.CreateSeconds))
	row("time until all Ready", seconds(res.AllReadySeconds))
	row("baseline (create + 1 status patch), before", seconds(res.BaselineSeconds))
	after, firstRatio := "not run", "n/a"
	if res.BaselineAfterSeconds > 0 {
		after = seconds(res.BaselineAfterSeconds) + " (CPU " + describeCPUOf(res.CPUSeconds.BaselineAfter) + ")"
	}
	if res.BaselineSeconds > 0 {
		firstRatio = fmt.Sprintf("%.2f", res.AllReadySeconds/res.BaselineSeconds)
	}
	row("baseline again, after (manager stopped)", after)
	row("ratio operator / mean of the baselines", fmt.Sprintf("%.2f (mean %s; %s against the first alone)",
		res.Ratio, seconds(res.BaselineMeanSeconds), firstRatio))
	row("baseline with the operator's status", fmt.Sprintf("%s (ratio %.2f; CPU %s)", seconds(res.FullStatusBaselineSeconds),
		res.FullStatusRatio, describeCPUOf(res.CPUSeconds.FullStatusBaseline)))
	row("baseline with the operator's status and an Event", fmt.Sprintf("%s (ratio %.2f; CPU %s)", seconds(res.WritesBaselineSeconds),
		res.WritesRatio, describeCPUOf(res.CPUSeconds.WritesBaseline)))
	row("CPU seconds, baseline / operator run", describeCPU(res.CPUSeconds))
	row("CPU ratio operator / baseline", fmt.Sprintf("%.2f (all three processes)", res.CPURatio))
	row("handoff latency p50 / p99 / max", fmt.Sprintf("%s / %s / %s (%d samples, %d before the create returned)",
		millis(res.Latency.P50Seconds), millis(res.Latency.P99Seconds), millis(res.Latency.MaxSeconds),
		res.Latency.Samples, res.Latency.ActionBeforeCreateReturned))
	row("vendor actions per handoff", fmt.Sprintf("%.3f (%s)", res.Vendor.ActionsPerHandoff, describeCalls(res.Vendor.Calls, true)))
	row("vendor reads per handoff outside polls", fmt.Sprintf("%.3f (%d reads, %d polls)",
		res.Vendor.ReadsOutsidePollsPerHand, res.Vendor.Reads, res.Vendor.Polls))
	row("vendor other calls", describeCalls(res.Vendor.Calls, false))
	row("API-server writes per handoff", fmt.Sprintf("%.3f (bench creates %d + operator writes %d) / %d",
		res.APIServer.WritesPerHandoff, res.APIServer.BenchCreates, res.APIServer.OperatorWrites, s.N))
	for _, k := range res.APIServer.Operator.writes().keys() {
		row("  operator "+k, fmt.Sprintf("%d (%.3f per handoff)", res.APIServer.Operator[k], float64(res.APIServer.Operator[k])/float64(s.N)))
	}
	row("  without Events", fmt.Sprintf("%.3f", res.APIServer.ObjectWritesPerHandoff))
	row("  failed (counted above)", describeCounts(res.APIServer.Operator.failed()))
	if s.DropEvents {
		row("  Event creates answered by the bench", fmt.Sprint(res.APIServer.Operator.count("dropped", "events")))
	}
	row("operator API-server reads", describeCounts(readsOf(res.APIServer.Operator)))
	row("reconciles per object", fmt.Sprintf("%.3f (%s)", res.ReconcilesPerObject, describeMap(res.Reconciles)))
	row(fmt.Sprintf("quiet %s: vendor calls", seconds(res.Quiet.Seconds)), fmt.Sprintf("%d actions, %d polls, %d reads outside polls",
		res.Quiet.Actions, res.Quiet.Polls, res.Quiet.ReadsOutsidePolls))
	row("quiet: API-server writes", fmt.Sprintf("%d (%s); reconciles %d", res.Quiet.OperatorWrites.total(),
		describeCounts(res.Quiet.OperatorWrites), res.Quiet.Reconciles))
	if rs := res.Restart; rs.WindowSeconds > 0 {
		row("restart: old manager stopped in / new cache synced after", fmt.Sprintf("%s / %s (%d objects in sync)",
			seconds(rs.StopSeconds), seconds(rs.SyncedSeconds), rs.Objects))
		row("restart: a new object created then was Ready after", millis(rs.NewObjectWaitSeconds))
		row(fmt.Sprintf("restart, first %s: vendor calls", seconds(rs.WindowSeconds)), fmt.Sprintf(
			"%d actions, %d polls, %d reads outside polls; the new object's: %d actions, %d reads (%s)",
			rs.Actions, rs.Polls, rs.ReadsOutsidePolls, rs.NewObjectActions, rs.NewObjectReads, describeMap(rs.VendorCalls)))
		row("restart: API-server writes", fmt.Sprintf("%d (%s); reconciles %d", rs.OperatorWrites.total(),
			describeCounts(rs.OperatorWrites), rs.Reconciles))
		row("restart: API-server reads", describeCounts(readsOf(rs.OperatorRequests)))
	}
	row("peak heap while the manager ran", fmt.Sprintf("HeapInuse %s, HeapAlloc %s (whole process)",
		mib(res.Memory.PeakHeapInuse), mib(res.Memory.PeakHeapAlloc)))
	row("live heap before manager / after quiet", fmt.Sprintf("%s / %s",
		mib(res.Memory.LiveHeapBeforeManager), mib(res.Memory.LiveHeapAfterQuiet)))
	for _, name := range []string{"bench", "kube-apiserver", "etcd"} {
		label := name
		if name == "bench" {
			label = "bench process (manager, simulator, clients)"
		}
		if _, ok := res.Memory.HighWaterRSS[name]; !ok {
			row("RSS "+label, "not found")
			continue
		}
		row("RSS "+label, fmt.Sprintf("peak while the manager ran %s, VmHWM %s",
			mib(res.Memory.PeakRSS[name]), mib(res.Memory.HighWaterRSS[name])))
	}
	if len(res.NotReady) > 0 {
		row("NOT Ready, by reason", describeMap(res.NotReady))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row("TARGET\tWANTED\tMEASURED", "STATUS")
	for _, t := range r.Targets {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Target, t.Value, t.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.WriteTo(out)
	return err
}

// writeJSON writes the report to dir/bench-N-TIMESTAMP.json and returns the path.
func writeJSON(dir string, r *Report) (string, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("bench-%d-%s.json", r.Settings.N, r.StartedAt.Format("20060102-150405")))
	return path, os.WriteFile(path, append(data, '\n'), 0o600)
}

func readsOf(c requestCounts) requestCounts {
	out := requestCounts{}
	for k, v := range c {
		if verb := strings.SplitN(k, " ", 2)[0]; !isWrite(verb) && verb != "failed" && verb != "dropped" {
			out[k] = v
		}
	}
	return out
}

func describeCounts(c requestCounts) string {
	if len(c) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(c))
	for _, k := range c.keys() {
		parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}

func describeMap(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return describeCounts(requestCounts(m))
}

// describeCalls lists the vendor calls that are actions (or, with actions false, the
// ones that are neither actions nor conversation reads).
func describeCalls(calls map[string]int, actions bool) string {
	keys := make([]string, 0, len(calls))
	for k, v := range calls {
		if v == 0 {
			continue
		}
		isAct := k == "passControl" || k == "offerControl" || k == "acceptControl" || k == "releaseControl"
		if isAct == actions && (actions || k != "getConversation") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "none"
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, calls[k]))
	}
	return strings.Join(parts, ", ")
}

func describeMix(mix map[string]int) string {
	keys := make([]string, 0, len(mix))
	for k := range mix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", mix[k], k))
	}
	return strings.Join(parts, ", ")
}

func describeQPS(qps float32) string {
	if qps < 0 {
		return fmt.Sprintf("%g (client-side limit off)", qps)
	}
	return fmt.Sprintf("%g", qps)
}

func describeCPU(c CPUSeconds) string {
	parts := make([]string, 0, 3)
	for _, name := range []string{"bench", "kube-apiserver", "etcd"} {
		b, okB := c.Baseline[name]
		o, okO := c.Operator[name]
		if okB || okO {
			parts = append(parts, fmt.Sprintf("%s %.2f / %.2f", name, b, o))
		}
	}
	if len(parts) == 0 {
		return "not measured"
	}
	return strings.Join(parts, ", ")
}

// describeCPUOf lists the CPU seconds of the three processes of one phase.
func describeCPUOf(c map[string]float64) string {
	parts := make([]string, 0, 3)
	for _, name := range []string{"bench", "kube-apiserver", "etcd"} {
		if v, ok := c[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.2f", name, v))
		}
	}
	if len(parts) == 0 {
		return "not measured"
	}
	return strings.Join(parts, ", ")
}

func seconds(s float64) string { return fmt.Sprintf("%.2fs", s) }

func millis(s float64) string { return fmt.Sprintf("%.1fms", s*1000) }

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
