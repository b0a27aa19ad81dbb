package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
	"github.com/switchboard-operator/switchboard-operator/test/world"
)

// The world the bench builds: one app in the simulator, and one namespace with its
// Secret and Switchboard for the operator run, another for the baseline.
const (
	appID             = "app-bench"
	keyID             = "app_bench_key"
	keySecret         = "bench-secret-value"
	switchboardName   = "bench"
	operatorNamespace = "bench-operator"
	baselineNamespace = "bench-baseline"
	integrationBot    = world.IntegrationBot
	integrationAgent  = world.IntegrationAgent
)

// benchWorld is the simulator's app and the objects that reach it, as the envtest suite
// builds them: the app's switchboard links bot -> agent-workspace -> bot, bot the default.
var benchWorld = world.New(appID, keyID, keySecret, switchboardName)

func main() {
	if err := runMain(); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

func runMain() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// The manager's client-side rate limit by default: none, as main.go (whose
// --kube-api-qps defaults to 0, keeping controller-runtime's "no client-side limit").
const (
	defaultQPS   = -1
	defaultBurst = 0
)

// options are the command-line flags.
type options struct {
	N                    int
	QPS                  float64
	Burst                int
	Concurrency          int
	Quiet                time.Duration
	RestartWindow        time.Duration
	PollInterval         time.Duration
	NextPercent          int
	OfferedPercent       int
	ReleasePolicyPercent int
	VendorRPS            int
	VendorBurst          int
	VendorIdleConns      int
	Timeout              time.Duration
	OutDir               string
	CRDDir               string
	CPUProfile           bool
	DropEvents           bool
	Revision             string
	Scale                string
	ManagerBin           string
	SimulatorBin         string
	ManagerMemoryLimit   string
	Drift                driftOptions
}

// parseFlags parses and checks the flags.
func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.N, "n", 1000, "number of ConversationControls (handoffs)")
	fs.Float64Var(&o.QPS, "qps", defaultQPS, "rest.Config QPS of the manager (main.go's --kube-api-qps); -1 turns client-side "+
		"rate limiting off, 0 is client-go's default (5)")
	fs.IntVar(&o.Burst, "burst", defaultBurst, "rest.Config Burst of the manager (main.go's --kube-api-burst); 0 is client-go's default (10)")
	fs.IntVar(&o.Concurrency, "concurrency", controllers.DefaultOptions().MaxConcurrentReconciles,
		"MaxConcurrentReconciles, and the number of workers creating objects (operator run and baseline)")
	fs.DurationVar(&o.Quiet, "quiet", 30*time.Second, "quiet period after all objects are Ready")
	fs.DurationVar(&o.RestartWindow, "restart-window", time.Minute, "after the quiet period, restart the manager with every object "+
		"in sync and count the vendor calls and writes of this long after the start; 0 skips the restart")
	fs.DurationVar(&o.PollInterval, "poll-interval", time.Minute, "spec.pollInterval of every ConversationControl (at least 10s)")
	fs.IntVar(&o.NextPercent, "next-percent", 10, "percentage of objects that declare integration `next` (state Active)")
	fs.IntVar(&o.OfferedPercent, "offered-percent", 10, "percentage of objects that declare state Offered")
	fs.IntVar(&o.ReleasePolicyPercent, "release-policy-percent", 0, "percentage of objects with deletionPolicy Release (a finalizer)")
	fs.IntVar(&o.VendorRPS, "vendor-rps", 1000, "the Switchboard's spec.rateLimit.requestsPerSecond (1-1000)")
	fs.IntVar(&o.VendorBurst, "vendor-burst", 10000, "the Switchboard's spec.rateLimit.burst (1-10000)")
	fs.IntVar(&o.VendorIdleConns, "vendor-idle-conns", 0,
		"MaxIdleConnsPerHost of the vendor client's transport; 0 keeps the operator's "+
			"(at least sunshine.DefaultMaxIdleConnsPerHost, and at least the reconciles at once)")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "how long to wait for every object to be Ready before giving up")
	fs.StringVar(&o.OutDir, "out-dir", filepath.Join("bin", "bench"), "directory of the JSON report and the manager's log")
	fs.StringVar(&o.CRDDir, "crd-dir", filepath.Join("config", "crd", "bases"), "directory of the CRDs")
	fs.BoolVar(&o.CPUProfile, "cpuprofile", false, "write CPU profiles of the operator run next to the report: this process's "+
		"(manager, simulator, clients) and the API server's (its /debug/pprof/profile, for the baseline's length)")
	fs.BoolVar(&o.DropEvents, "drop-events", false, "experiment: answer the manager's Event creates in the bench instead of "+
		"sending them to the API server, to measure what Events cost (the targets are then not evaluated for writes)")
	fs.StringVar(&o.Revision, "revision", "", "the commit the bench runs (the Makefile passes `git rev-parse HEAD`)")
	fs.StringVar(&o.Scale, "scale", "", "scale mode: grow to these counts of ConversationControls (such as 1000,10000,50000) with the "+
		"manager and the simulator as processes of their own, and report memory per object and a restart")
	fs.StringVar(&o.ManagerBin, "manager-bin", filepath.Join("bin", "manager"), "scale mode: the manager binary")
	fs.StringVar(&o.SimulatorBin, "simulator-bin", filepath.Join("bin", "sunshine-sim"), "scale mode: the simulator program")
	fs.StringVar(&o.ManagerMemoryLimit, "manager-memory-limit", "", "scale mode: the container memory limit to hold the manager to "+
		"(a quantity such as 256Mi): it runs with GOMEMLIMIT at the share --go-memory-limit-ratio gives in a container (90%), and the "+
		"table says whether its peak RSS fits; empty: no limit")
	o.Drift.bind(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if err := o.Drift.validate(o.N); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.N < 1:
		return o, errors.New("-n must be at least 1")
	case o.Concurrency < 1:
		return o, errors.New("-concurrency must be at least 1")
	case o.NextPercent < 0 || o.OfferedPercent < 0 || o.NextPercent+o.OfferedPercent > 100:
		return o, errors.New("-next-percent and -offered-percent must be between 0 and 100 together")
	case o.ReleasePolicyPercent < 0 || o.ReleasePolicyPercent > 100:
		return o, errors.New("-release-policy-percent must be between 0 and 100")
	case o.RestartWindow < 0:
		return o, errors.New("-restart-window must be 0 (no restart) or positive")
	case o.PollInterval < 10*time.Second:
		return o, errors.New("-poll-interval must be at least 10s (the API's minimum)")
	case o.VendorRPS < 1 || o.VendorRPS > 1000 || o.VendorBurst < 1 || o.VendorBurst > 10000:
		return o, errors.New("-vendor-rps must be 1-1000 and -vendor-burst 1-10000")
	}
	return o, nil
}

// objectKind is one kind of handoff in the mix.
type objectKind struct {
	name        string
	state       sbv1.ControlState
	integration string
}

var (
	kindActive  = objectKind{"Active agent-workspace", sbv1.StateActive, integrationAgent}
	kindNext    = objectKind{"Active next", sbv1.StateActive, sbv1.IntegrationNext}
	kindOffered = objectKind{"Offered agent-workspace", sbv1.StateOffered, integrationAgent}
)

// kindOf is the kind of the i-th object: the mix repeats every 100 objects.
func (o options) kindOf(i int) objectKind {
	switch r := i % 100; {
	case r < o.NextPercent:
		return kindNext
	case r < o.NextPercent+o.OfferedPercent:
		return kindOffered
	default:
		return kindActive
	}
}

// releasePolicy tells whether the i-th object has deletionPolicy Release.
func (o options) releasePolicy(i int) bool { return i%100 >= 100-o.ReleasePolicyPercent }

// run runs the bench and reports on stdout; progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return errors.New("KUBEBUILDER_ASSETS is not set: run `make bench`, which builds the envtest binaries and sets it")
	}
	if err := os.MkdirAll(o.OutDir, 0o750); err != nil {
		return err
	}
	if o.Scale != "" {
		return runScale(ctx, o, stdout, stderr)
	}
	if o.Drift.Enabled {
		return runDrift(ctx, o, stdout, stderr)
	}
	started := time.Now()
	logPath := filepath.Join(o.OutDir, fmt.Sprintf("bench-%d-%s.log", o.N, started.Format("20060102-150405")))
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	// The manager logs as main.go's does by default (JSON, info), to a file.
	logger := zap.New(zap.WriteTo(logFile))
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)

	b := &bench{opts: o, stderr: stderr}
	rep, runErr := b.run(ctx, started)
	if rep == nil {
		return runErr
	}
	rep.DurationSeconds = time.Since(started).Seconds()
	rep.Targets = evaluateTargets(rep)
	if err := writeTable(stdout, rep); err != nil {
		return err
	}
	path, err := writeJSON(o.OutDir, rep)
	if err != nil {
		return err
	}
	chart, err := writeChart(o.OutDir, rep, b.chart)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "\nreport: %s\nchart: %s\nmanager log: %s\n", path, chart, logPath); err != nil {
		return err
	}
	return runErr
}

// bench is one run.
type bench struct {
	// chart is the data of the report's SVG chart, taken when every object was Ready.
	chart   chartData
	opts    options
	stderr  io.Writer
	sampler *sampler
	tracker *vendorTracker
	// benchRequests counts the bench's own API-server requests.
	benchRequests *requestCounter
	// pids are the processes whose CPU time is reported: "bench" (this process),
	// "kube-apiserver" and "etcd".
	pids map[string]int
	// profiles is done once the API server's CPU profile (-cpuprofile) is written.
	profiles sync.WaitGroup
}

func (b *bench) progress(format string, args ...any) {
	_, _ = fmt.Fprintf(b.stderr, "bench: "+format+"\n", args...)
}

// settings describes the run's settings.
func (b *bench) settings() Settings {
	o := b.opts
	s := Settings{
		N: o.N, Mix: map[string]int{}, PollIntervalSeconds: o.PollInterval.Seconds(), QuietSeconds: o.Quiet.Seconds(),
		QPS: float32(o.QPS), Burst: o.Burst, MaxConcurrentReconciles: o.Concurrency, Workers: o.Concurrency,
		VendorRPS: o.VendorRPS, VendorBurst: o.VendorBurst, VendorIdleConnsPerHost: o.VendorIdleConns, DropEvents: o.DropEvents,
	}
	for i := range o.N {
		s.Mix[o.kindOf(i).name]++
		if o.releasePolicy(i) {
			s.ReleasePolicyObjects++
		}
	}
	opts := b.controllerOptions()
	s.Options = map[string]string{
		"MaxConcurrentReconciles":  fmt.Sprint(opts.MaxConcurrentReconciles),
		"APITimeout":               opts.APITimeout.String(),
		"DeletionTimeout":          opts.DeletionTimeout.String(),
		"SecretCheckInterval":      opts.SecretCheckInterval.String(),
		"SwitchboardRetryInterval": opts.SwitchboardRetryInterval.String(),
		"RetryBaseDelay":           opts.RetryBaseDelay.String(),
		"RetryMaxDelay":            opts.RetryMaxDelay.String(),
	}
	return s
}

// controllerOptions are controllers.DefaultOptions with -concurrency, and the
// simulator's loopback host allowed.
func (b *bench) controllerOptions() controllers.Options {
	opts := controllers.DefaultOptions()
	opts.MaxConcurrentReconciles = b.opts.Concurrency
	opts.AllowedEndpointHosts = controllers.MustHostAllowList("127.0.0.1", "localhost")
	return opts
}

// fillOperatorRun computes the figures of the operator run from the counts.
func (b *bench) fillOperatorRun(rep *Report, calls map[sunshinetest.Operation]int, mgr, own, reconciles requestCounts, vendorNow, vendorBefore vendorTotals) {
	res, n := &rep.Results, float64(b.opts.N)
	v := &res.Vendor
	v.Calls = callsSince(calls, nil)
	v.Actions = vendorNow.Actions - vendorBefore.Actions
	v.ReadsOutsidePolls = vendorNow.Reads - vendorBefore.Reads
	v.Polls = vendorNow.Polls - vendorBefore.Polls
	v.Reads = v.ReadsOutsidePolls + v.Polls
	v.ActionsPerHandoff = float64(v.Actions) / n
	v.ReadsOutsidePollsPerHand = float64(v.ReadsOutsidePolls) / n
	latencies, without, more, early := b.tracker.handoffs()
	v.ConversationsWithoutAction, v.ConversationsWithTwoOrMore = without, more
	res.Latency = Latency{
		P50Seconds: percentile(latencies, 50).Seconds(), P99Seconds: percentile(latencies, 99).Seconds(),
		MaxSeconds: percentile(latencies, 100).Seconds(), Samples: len(latencies), ActionBeforeCreateReturned: early,
	}

	a := &res.APIServer
	a.Operator = mgr
	writes := mgr.writes()
	a.OperatorWrites = writes.total()
	a.BenchCreates = own.count("create", "conversationcontrols")
	a.WritesPerHandoff = float64(a.BenchCreates+a.OperatorWrites) / n
	events := writes.count("create", "events") + writes.count("patch", "events") + writes.count("update", "events")
	a.ObjectWritesPerHandoff = float64(a.BenchCreates+a.OperatorWrites-events) / n

	res.Reconciles = reconciles
	res.ReconcilesPerObject = float64(reconciles.total()) / n
}

// fillMemory records the memory figures at the end of the run.
func (b *bench) fillMemory(rep *Report) {
	m := &rep.Results.Memory
	m.LiveHeapAfterQuiet = liveHeap()
	during, quiet := b.sampler.peak("manager"), b.sampler.peak("quiet")
	m.PeakHeapInuse = max(during.HeapInuse, quiet.HeapInuse)
	m.PeakHeapAlloc = max(during.HeapAlloc, quiet.HeapAlloc)
	m.PeakRSS = map[string]uint64{}
	for name, v := range during.RSS {
		m.PeakRSS[name] = max(v, quiet.RSS[name])
	}
	m.HighWaterRSS = map[string]uint64{}
	pids := map[string]int{"bench": os.Getpid()}
	for k, v := range m.Pids {
		pids[k] = v
	}
	for name, pid := range pids {
		if _, hwm, err := processMemory(pid); err == nil {
			m.HighWaterRSS[name] = hwm
		}
	}
}

// clientConfig is base with the given client-side rate limit, counting requests with
// counter.
func clientConfig(base *rest.Config, qps float64, burst int, counter *requestCounter) *rest.Config {
	cfg := rest.CopyConfig(base)
	cfg.QPS, cfg.Burst = float32(qps), burst
	cfg.Wrap(counter.wrap)
	return cfg
}

// newManager builds the manager as main.go does, on a rest.Config whose requests are
// counted, with the operator's metrics in reg. A restarted manager has a registry of its
// own, and reuses the controllers' names (the first manager has stopped).
func (b *bench) newManager(base *rest.Config, counter *requestCounter, scheme *runtime.Scheme, reg prometheus.Registerer) (ctrl.Manager, error) {
	skipNameValidation := true
	mgr, err := ctrl.NewManager(clientConfig(base, b.opts.QPS, b.opts.Burst, counter), ctrl.Options{
		Scheme:     scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
		Client:     client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, err
	}
	opts := b.controllerOptions()
	if b.opts.VendorIdleConns > 0 {
		transport := sunshine.NewTransport(b.opts.VendorIdleConns)
		err = controllers.Setup(mgr, opts, controllers.Dependencies{
			Connector: &controllers.SecretConnector{Reader: mgr.GetAPIReader(), AllowedHosts: opts.AllowedEndpointHosts,
				Metrics: sunshine.NewMetrics(reg),
				Timeout: opts.APITimeout, HTTPClient: &http.Client{Transport: transport}},
			Metrics: controllers.NewMetrics(reg),
		})
	} else {
		err = controllers.SetupWithManager(mgr, opts, reg)
	}
	return mgr, err
}

// object is the i-th ConversationControl of a namespace.
func (b *bench) object(namespace, conversation string, i int) *sbv1.ConversationControl {
	kind := b.opts.kindOf(i)
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cc-%05d", i), Namespace: namespace},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: switchboardName},
			ConversationID: conversation,
			State:          kind.state,
			Integration:    kind.integration,
			Metadata:       map[string]string{"source": "bench"},
			PollInterval:   &metav1.Duration{Duration: b.opts.PollInterval},
		},
	}
	if b.opts.releasePolicy(i) {
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
	}
	return cc
}

// settle is how long the counts of the operator run wait after the last object was
// seen Ready.
const settle = time.Second

// warmUp creates, patches and deletes a few objects in a namespace of their own, so
// that the API server has served writes of the resource (and Events) before anything is
// timed.
func (b *bench) warmUp(ctx context.Context, c client.Client) error {
	const namespace, objects = "bench-warm-up", 20
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}
	if err := parallel(ctx, b.opts.Concurrency, objects, func(ctx context.Context, i int) error {
		return createAndPatch(ctx, c, b.object(namespace, fmt.Sprintf("warm-up-conv-%05d", i), i), baselineShape{fullStatus: i%2 == 0, event: i%4 == 0})
	}); err != nil {
		return err
	}
	return deleteAll(ctx, c, namespace)
}

// baselineShape is what one baseline does per object: a create and a status patch with
// only Ready, with a status the size of the operator's (fullStatus), and also one Event as
// the operator records per handoff (event).
type baselineShape struct {
	fullStatus, event bool
}

// createAndPatch creates cc and then patches its status as the operator would once it
// is done: the least work an object needs. With shape.fullStatus, the status is the size
// of the one the operator writes after a handoff (the declaration, the applied action
// with the state before and the integration reached, the live state, one history entry,
// Ready and InSync); otherwise only Ready. With shape.event it then creates the Event the
// operator records for a handoff (events.k8s.io/v1, as protobuf like the operator's).
func createAndPatch(ctx context.Context, c client.Client, cc *sbv1.ConversationControl, shape baselineShape) error {
	if err := c.Create(ctx, cc); err != nil {
		return fmt.Errorf("creating %s: %w", cc.Name, err)
	}
	base := cc.DeepCopy()
	cc.Status.ObservedGeneration = cc.Generation
	meta.SetStatusCondition(&cc.Status.Conditions, metav1.Condition{
		Type: sbv1.ConditionReady, Status: metav1.ConditionTrue, Reason: sbv1.ReasonSucceeded,
		Message: "agent-workspace controls the conversation", ObservedGeneration: cc.Generation,
	})
	if shape.fullStatus {
		handedOver(cc)
	}
	if err := c.Status().Patch(ctx, cc, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patching the status of %s: %w", cc.Name, err)
	}
	if shape.event {
		if err := c.Create(ctx, handoffEvent(cc)); err != nil {
			return fmt.Errorf("creating the Event of %s: %w", cc.Name, err)
		}
	}
	return nil
}

// handoffEvent is an Event like the one the operator records when a handoff was applied.
func handoffEvent(cc *sbv1.ConversationControl) *eventsv1.Event {
	now := metav1.NowMicro()
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", cc.Name, now.UnixNano()), Namespace: cc.Namespace},
		EventTime:  now, ReportingController: controllers.FieldOwner, ReportingInstance: controllers.FieldOwner + "-bench",
		Action: string(sbv1.ActionPassControl), Reason: sbv1.EventReasonHandoffApplied, Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{Kind: "ConversationControl", APIVersion: sbv1.GroupVersion.String(),
			Namespace: cc.Namespace, Name: cc.Name, UID: cc.UID, ResourceVersion: cc.ResourceVersion},
		Note: fmt.Sprintf("passControl to %s applied (was %s)", integrationAgent, integrationBot),
	}
}

// handedOver fills the rest of the status the operator writes when it has passed control
// from the bot to the Agent Workspace.
func handedOver(cc *sbv1.ConversationControl) {
	now := metav1.Now()
	bot := &sbv1.IntegrationReference{ID: "c50ca24dd3e083865f231ce9", Name: integrationBot, IntegrationType: "custom"}
	agent := &sbv1.IntegrationReference{ID: "2beed0efebae7ed16fc2e967", Name: integrationAgent, IntegrationType: "zd:agentWorkspace"}
	st := &cc.Status
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: sbv1.ConditionInSync, Status: metav1.ConditionTrue, Reason: sbv1.ReasonInSync,
		Message: "the conversation is as declared (active agent-workspace, pending none)", ObservedGeneration: cc.Generation,
	})
	st.Declaration = &sbv1.Declaration{State: sbv1.StateActive, Integration: integrationAgent, Since: cc.Generation}
	st.LastAppliedAction = &sbv1.AppliedAction{Action: sbv1.ActionPassControl, State: sbv1.StateActive, Integration: integrationAgent,
		Generation: cc.Generation, Time: now, Reached: agent, Before: &sbv1.LiveState{Active: bot}}
	st.ActiveIntegration = agent
	st.LastObservedTime = &now
	st.History = []sbv1.Transition{{Time: now, From: bot, To: agent, Action: sbv1.ActionPassControl, Source: sbv1.TransitionByOperator}}
}

// deleteAll deletes the ConversationControls of a namespace and waits until they are
// gone (none has a finalizer: no operator has seen them).
func deleteAll(ctx context.Context, c client.Client, namespace string) error {
	if err := c.DeleteAllOf(ctx, &sbv1.ConversationControl{}, client.InNamespace(namespace)); err != nil {
		return fmt.Errorf("deleting the ConversationControls of %s: %w", namespace, err)
	}
	for {
		var list metav1.PartialObjectMetadataList
		list.SetGroupVersionKind(sbv1.GroupVersion.WithKind("ConversationControlList"))
		if err := c.List(ctx, &list, client.InNamespace(namespace), client.Limit(1)); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// runBaseline does the least API-server work the N objects need — create each, then
// one status patch (and what shape adds: see createAndPatch) — with the same
// workers, in namespace (created here, so one not used before), and deletes the objects
// again. It returns the time from the first create to the last patch, the requests and
// the CPU time used.
func (b *bench) runBaseline(ctx context.Context, c client.Client, namespace string, shape baselineShape) (time.Duration, requestCounts, map[string]float64, error) {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return 0, nil, nil, err
	}
	before, cpuBefore := b.benchRequests.snapshot(), cpuSeconds(b.pids)
	start := time.Now()
	err := parallel(ctx, b.opts.Concurrency, b.opts.N, func(ctx context.Context, i int) error {
		return createAndPatch(ctx, c, b.object(namespace, fmt.Sprintf("baseline-conv-%05d", i), i), shape)
	})
	elapsed := time.Since(start)
	cpu := cpuSince(cpuSeconds(b.pids), cpuBefore)
	requests := b.benchRequests.snapshot().since(before)
	if err != nil {
		return 0, nil, nil, err
	}
	if err := deleteAll(ctx, c, namespace); err != nil {
		return 0, nil, nil, err
	}
	// The Events go too, so that the API server the operator run meets holds no more than
	// it would without this baseline.
	if shape.event {
		if err := c.DeleteAllOf(ctx, &eventsv1.Event{}, client.InNamespace(namespace)); err != nil {
			return 0, nil, nil, fmt.Errorf("deleting the Events of %s: %w", namespace, err)
		}
	}
	return elapsed, requests, cpu, nil
}

// conversationID is the simulator's id of the i-th conversation.
func conversationID(i int) string { return fmt.Sprintf("bench-conv-%05d", i) }

// notReadyReasons counts the objects that are not Ready, by the reason of Ready.
func notReadyReasons(ctx context.Context, c client.Client) map[string]int {
	var list sbv1.ConversationControlList
	if err := c.List(ctx, &list, client.InNamespace(operatorNamespace)); err != nil {
		return map[string]int{"list failed: " + err.Error(): 1}
	}
	out := map[string]int{}
	for i := range list.Items {
		cc := &list.Items[i]
		if isReady(cc) {
			continue
		}
		reason := "no Ready condition"
		if ready := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady); ready != nil {
			reason = fmt.Sprintf("%s %s", ready.Status, ready.Reason)
		}
		out[reason]++
	}
	return out
}

// reconcileCounts reads controller-runtime's count of ConversationControl reconciles by
// result.
func reconcileCounts() map[string]int {
	out := map[string]int{}
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return out
	}
	for _, mf := range families {
		if mf.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var controller, result string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "controller":
					controller = l.GetValue()
				case "result":
					result = l.GetValue()
				}
			}
			if controller == "conversationcontrol" {
				out[result] += int(m.GetCounter().GetValue())
			}
		}
	}
	return out
}

// callsSince turns the simulator's counts into a map by operation name, less earlier.
func callsSince(now, earlier map[sunshinetest.Operation]int) map[string]int {
	out := make(map[string]int, len(now))
	for op, n := range now {
		out[string(op)] = n - earlier[op]
	}
	return out
}

// parallel calls f for 0..n-1 from the given number of workers and returns the first
// error, after which no new calls start.
func parallel(ctx context.Context, workers, n int, f func(context.Context, int) error) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range workers {
		wg.Go(func() {
			for inner.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(inner, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// sum adds the values of m.
func sum(m map[string]float64) float64 {
	total := 0.0
	for _, v := range m {
		total += v
	}
	return total
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
