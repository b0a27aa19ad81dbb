package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// stage is what the phases of a run share: the control plane, the bench's own client,
// the simulator, and the manager while one runs.
type stage struct {
	env     *envtest.Environment
	restCfg *rest.Config
	scheme  *runtime.Scheme
	c       client.Client
	sim     *sunshinetest.Server
	mgr     *benchManager
	ready   *readyTracker
	// start is when the operator run's first create was issued; end when the last object
	// was seen Ready.
	start, end time.Time
}

// benchManager is a manager running in this process, and the counter of its API-server
// requests.
type benchManager struct {
	mgr      ctrl.Manager
	requests *requestCounter
	cancel   context.CancelFunc
	done     chan error
}

// run runs the phases in order and returns the report: setUp, baseline, startOperator,
// handoffs, quiet, restart and baselineAfter. An error before the handoffs returns no
// report; after that, the report so far with the error.
func (b *bench) run(ctx context.Context, started time.Time) (*Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep := &Report{StartedAt: started, Revision: b.opts.Revision, Machine: machineInfo(), Settings: b.settings()}
	b.sampler = newSampler(100 * time.Millisecond)
	go b.sampler.run(ctx)

	st, err := b.setUp(ctx, rep)
	if err != nil {
		return nil, err
	}
	defer func() {
		b.stopManager(st)
		st.sim.Close()
		b.profiles.Wait()
		// The API server waits for open watches before it stops: end them first.
		cancel()
		if err := st.env.Stop(); err != nil {
			b.progress("stopping envtest: %v", err)
		}
	}()
	if err := b.baseline(ctx, st, rep); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if err := b.startOperator(ctx, st, rep); err != nil {
		return nil, err
	}
	for _, phase := range []func(context.Context, *stage, *Report) error{b.handoffs, b.quiet, b.restart} {
		if err := phase(ctx, st, rep); err != nil {
			b.fillMemory(rep)
			return rep, err
		}
	}
	b.fillMemory(rep)
	if err := b.baselineAfter(ctx, st, rep); err != nil {
		return rep, fmt.Errorf("second baseline: %w", err)
	}
	return rep, nil
}

// setUp starts envtest, the bench's client and the simulator, and warms the API server
// up.
func (b *bench) setUp(ctx context.Context, rep *Report) (*stage, error) {
	st := &stage{scheme: runtime.NewScheme()}
	utilruntime.Must(clientgoscheme.AddToScheme(st.scheme))
	utilruntime.Must(sbv1.AddToScheme(st.scheme))

	b.progress("starting envtest")
	st.env = &envtest.Environment{CRDDirectoryPaths: []string{b.opts.CRDDir}, ErrorIfCRDPathMissing: true, Scheme: st.scheme}
	var err error
	if st.restCfg, err = st.env.Start(); err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	stopEnv := func() {
		if err := st.env.Stop(); err != nil {
			b.progress("stopping envtest: %v", err)
		}
	}
	mem := &rep.Results.Memory
	mem.Pids = childProcesses("kube-apiserver", "etcd")
	b.pids = map[string]int{"bench": os.Getpid()}
	for name, pid := range mem.Pids {
		b.sampler.watchProcess(name, pid)
		b.pids[name] = pid
	}

	b.benchRequests = newRequestCounter()
	// The bench's own client has no client-side rate limit: the baseline measures what
	// the API server itself can take.
	if st.c, err = client.New(clientConfig(st.restCfg, -1, 0, b.benchRequests), client.Options{Scheme: st.scheme}); err != nil {
		stopEnv()
		return nil, err
	}
	b.tracker = newVendorTracker(b.opts.PollInterval)
	if st.sim, err = sunshinetest.NewServer(benchWorld.Seed(), sunshinetest.WithRequestHook(b.tracker.observe)); err != nil {
		stopEnv()
		return nil, err
	}
	// A fresh API server answers its first writes of a new resource slowly; warm it up
	// so that the baseline does not pay for that and the operator run does not.
	if err := b.warmUp(ctx, st.c); err != nil {
		st.sim.Close()
		stopEnv()
		return nil, fmt.Errorf("warming up: %w", err)
	}
	return st, nil
}

// baseline times the least API-server work the N objects need (see runBaseline), then
// the same with a status the size of the operator's.
func (b *bench) baseline(ctx context.Context, st *stage, rep *Report) error {
	res := &rep.Results
	b.progress("baseline: creating %d objects and patching their status with %d workers", b.opts.N, b.opts.Concurrency)
	b.sampler.setPhase("baseline")
	elapsed, requests, cpu, err := b.runBaseline(ctx, st.c, baselineNamespace, baselineShape{})
	if err != nil {
		return err
	}
	res.BaselineSeconds, res.BaselineRequests, res.CPUSeconds.Baseline = elapsed.Seconds(), requests, cpu
	b.progress("baseline with the operator's status: creating %d objects and patching their full status", b.opts.N)
	elapsed, _, cpu, err = b.runBaseline(ctx, st.c, baselineNamespace+"-full", baselineShape{fullStatus: true})
	if err != nil {
		return fmt.Errorf("with the operator's status: %w", err)
	}
	res.FullStatusBaselineSeconds, res.CPUSeconds.FullStatusBaseline = elapsed.Seconds(), cpu
	return nil
}

// baselineAfter stops the manager and runs the baseline (create + 1 status patch) again,
// as the first one, in a namespace of its own: the API server now holds the operator
// run's objects and has run for minutes, and the first baseline ran on a fresh one, so
// the time ratio is taken against the mean of the two (see Results.setRatio). The
// manager is stopped first so that it never sees the baseline's objects. Then it runs the
// operator's writes without the operator (the full status and one Event per object).
func (b *bench) baselineAfter(ctx context.Context, st *stage, rep *Report) error {
	b.stopManager(st)
	res := &rep.Results
	b.progress("baseline again, the manager stopped: creating %d objects and patching their status with %d workers", b.opts.N, b.opts.Concurrency)
	b.sampler.setPhase("baseline-after")
	elapsed, _, cpu, err := b.runBaseline(ctx, st.c, baselineNamespace+"-after", baselineShape{})
	if err != nil {
		return err
	}
	res.BaselineAfterSeconds, res.CPUSeconds.BaselineAfter = elapsed.Seconds(), cpu
	res.setRatio()
	// Last, so that the operator run meets the API server the earlier runs of the bench
	// met: the operator's writes without the operator.
	b.progress("the operator's writes without the operator: creating %d objects, patching their full status, one Event each", b.opts.N)
	elapsed, _, cpu, err = b.runBaseline(ctx, st.c, baselineNamespace+"-writes", baselineShape{fullStatus: true, event: true})
	if err != nil {
		return fmt.Errorf("with the operator's status and an Event: %w", err)
	}
	res.WritesBaselineSeconds, res.CPUSeconds.WritesBaseline = elapsed.Seconds(), cpu
	if res.WritesBaselineSeconds > 0 {
		res.WritesRatio = res.AllReadySeconds / res.WritesBaselineSeconds
	}
	return nil
}

// startOperator puts the N conversations into the simulator, creates the operator run's
// namespace, Secret and Switchboard, and starts the manager; it returns once the
// Switchboard is Ready and the manager's cache has synced.
func (b *bench) startOperator(ctx context.Context, st *stage, rep *Report) error {
	for i := range b.opts.N {
		if err := st.sim.SetConversation(appID, conversationID(i), sunshinetest.ConversationState{Active: integrationBot}); err != nil {
			return err
		}
	}
	if err := benchWorld.Create(ctx, st.c, operatorNamespace, st.sim.URL, b.opts.rateLimit()); err != nil {
		return err
	}
	rep.Results.Memory.LiveHeapBeforeManager = liveHeap()

	b.progress("starting the manager")
	st.ready = newReadyTracker(operatorNamespace, b.opts.N)
	mgr, err := b.startManager(ctx, st, st.ready, ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	st.mgr = mgr
	b.sampler.setPhase("manager")
	if err := waitSwitchboardReady(ctx, st.c); err != nil {
		return err
	}
	if !mgr.mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("the manager's cache did not sync")
	}
	return nil
}

// rateLimit is the Switchboard's vendor rate limit, -vendor-rps and -vendor-burst.
func (o options) rateLimit() sbv1.RateLimit {
	return sbv1.RateLimit{RequestsPerSecond: int32(o.VendorRPS), Burst: int32(o.VendorBurst)} //nolint:gosec // G115: checked against the CRD's bounds in parseFlags
}

// waitSwitchboardReady waits up to a minute until the operator has made the operator
// run's Switchboard Ready.
func waitSwitchboardReady(ctx context.Context, c client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return benchWorld.WaitSwitchboardReady(ctx, c, operatorNamespace, 100*time.Millisecond)
}

// startManager builds and starts a manager whose requests are counted and whose answers
// to ConversationControl writes go to ready, with the operator's metrics in reg.
func (b *bench) startManager(ctx context.Context, st *stage, ready *readyTracker, reg prometheus.Registerer) (*benchManager, error) {
	m := &benchManager{requests: newRequestCounter(), done: make(chan error, 1)}
	m.requests.dropEvents = b.opts.DropEvents
	m.requests.onWritten = ready.observeAnswer
	var err error
	m.mgr, err = b.newManager(st.restCfg, m.requests, st.scheme, reg) //nolint:contextcheck // controllers.Setup takes no context, as main.go calls it
	if err != nil {
		return nil, err
	}
	var mgrCtx context.Context
	mgrCtx, m.cancel = context.WithCancel(ctx)
	go func() { m.done <- m.mgr.Start(mgrCtx) }()
	return m, nil
}

// stopManager stops the running manager, if any, and waits up to 30 s for it; it returns
// how long the manager took to stop.
func (b *bench) stopManager(st *stage) time.Duration {
	if st.mgr == nil {
		return 0
	}
	start := time.Now()
	st.mgr.cancel()
	select {
	case err := <-st.mgr.done:
		if err != nil {
			b.progress("the manager stopped with an error: %v", err)
		}
	case <-time.After(30 * time.Second):
		b.progress("the manager did not stop within 30s")
	}
	st.mgr = nil
	return time.Since(start)
}

// handoffs creates the N objects with -concurrency workers and waits until the manager
// has written every one Ready; it fills the figures of the operator run.
func (b *bench) handoffs(ctx context.Context, st *stage, rep *Report) error {
	o, res := b.opts, &rep.Results
	b.progress("operator run: creating %d objects with %d workers", o.N, o.Concurrency)
	st.sim.ResetCounts()
	mgrBefore, benchBefore, recBefore, vendorBefore := st.mgr.requests.snapshot(), b.benchRequests.snapshot(), reconcileCounts(), b.tracker.totals()
	stopProfile, err := b.startProfiles(ctx, st, rep)
	if err != nil {
		return err
	}
	defer stopProfile()
	cpuBefore := cpuSeconds(b.pids)
	st.start = time.Now()
	err = parallel(ctx, o.Concurrency, o.N, func(ctx context.Context, i int) error {
		cc := b.object(operatorNamespace, conversationID(i), i)
		if err := st.c.Create(ctx, cc); err != nil {
			return fmt.Errorf("creating %s: %w", cc.Name, err)
		}
		b.tracker.created(cc.Spec.ConversationID, time.Now())
		return nil
	})
	res.CreateSeconds = time.Since(st.start).Seconds()
	if err != nil {
		return err
	}
	b.progress("created %d objects in %s; waiting until all are Ready", o.N, time.Since(st.start).Round(time.Millisecond))
	lastReady, waitErr := st.ready.wait(ctx, o.Timeout)
	st.end = lastReady
	if waitErr != nil {
		st.end = time.Now()
	}
	res.CPUSeconds.Operator = cpuSince(cpuSeconds(b.pids), cpuBefore)
	if base := sum(res.CPUSeconds.Baseline); base > 0 {
		res.CPURatio = sum(res.CPUSeconds.Operator) / base
	}
	stopProfile()
	// The last status patch is seen before its reconcile has returned and been
	// counted: let the tail settle before taking the counts.
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	res.Ready = st.ready.count()
	res.AllReadySeconds = st.end.Sub(st.start).Seconds()
	b.chart = b.tracker.chartData(st.start)
	res.setRatio()
	if res.FullStatusBaselineSeconds > 0 {
		res.FullStatusRatio = res.AllReadySeconds / res.FullStatusBaselineSeconds
	}
	b.fillOperatorRun(rep, st.sim.Counts(), st.mgr.requests.snapshot().since(mgrBefore),
		b.benchRequests.snapshot().since(benchBefore), requestCounts(reconcileCounts()).since(recBefore), b.tracker.totals(), vendorBefore)
	if waitErr != nil {
		res.NotReady = notReadyReasons(ctx, st.c)
		return waitErr
	}
	return nil
}

// quiet waits for -quiet with nothing changing and counts what the manager did: only the
// scheduled polls may call the vendor or write.
func (b *bench) quiet(ctx context.Context, st *stage, rep *Report) error {
	b.progress("all %d Ready after %s; quiet period of %s", b.opts.N, st.end.Sub(st.start).Round(time.Millisecond), b.opts.Quiet)
	b.sampler.setPhase("quiet")
	simBefore, mgrBefore, recBefore, vendorBefore := st.sim.Counts(), st.mgr.requests.snapshot(), reconcileCounts(), b.tracker.totals()
	if err := sleep(ctx, b.opts.Quiet); err != nil {
		return err
	}
	q := &rep.Results.Quiet
	q.Seconds = b.opts.Quiet.Seconds()
	q.VendorCalls = callsSince(st.sim.Counts(), simBefore)
	vendorAfter := b.tracker.totals()
	q.Actions = vendorAfter.Actions - vendorBefore.Actions
	q.Polls = vendorAfter.Polls - vendorBefore.Polls
	q.ReadsOutsidePolls = vendorAfter.Reads - vendorBefore.Reads
	q.OperatorRequests = st.mgr.requests.snapshot().since(mgrBefore)
	q.OperatorWrites = q.OperatorRequests.writes()
	q.Reconciles = requestCounts(reconcileCounts()).since(recBefore).total()
	return nil
}

// restart stops the manager with every object in sync and starts a new one (a manager of
// its own, as a new process would be); once its cache has synced it creates one new
// object and times it until Ready, and it counts the vendor calls and the API-server
// writes of the first -restart-window after the start. -restart-window 0 skips it.
func (b *bench) restart(ctx context.Context, st *stage, rep *Report) error {
	window := b.opts.RestartWindow
	if window <= 0 {
		return nil
	}
	r := &rep.Results.Restart
	r.Objects, r.WindowSeconds = b.opts.N, window.Seconds()
	b.progress("restarting the manager with %d objects in sync; counting for %s", b.opts.N, window)
	b.sampler.setPhase("restart")
	r.StopSeconds = b.stopManager(st).Seconds()

	fresh := b.object(operatorNamespace, conversationID(b.opts.N), b.opts.N)
	if err := st.sim.SetConversation(appID, fresh.Spec.ConversationID, sunshinetest.ConversationState{Active: integrationBot}); err != nil {
		return err
	}
	ready := newReadyTracker(operatorNamespace, 1)
	ready.only = fresh.Name
	simBefore, vendorBefore, recBefore := st.sim.Counts(), b.tracker.totals(), reconcileCounts()
	start := time.Now()
	mgr, err := b.startManager(ctx, st, ready, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	st.mgr = mgr
	if !mgr.mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("the restarted manager's cache did not sync")
	}
	r.SyncedSeconds = time.Since(start).Seconds()
	created := time.Now()
	if err := st.c.Create(ctx, fresh); err != nil {
		return fmt.Errorf("creating %s after the restart: %w", fresh.Name, err)
	}
	b.tracker.created(fresh.Spec.ConversationID, time.Now())
	readyAt, err := ready.wait(ctx, window)
	if err != nil {
		return fmt.Errorf("the object created after the restart: %w", err)
	}
	r.NewObjectWaitSeconds = readyAt.Sub(created).Seconds()
	if err := sleep(ctx, time.Until(start.Add(window))); err != nil {
		return err
	}
	r.VendorCalls = map[string]int{}
	for op, n := range callsSince(st.sim.Counts(), simBefore) {
		if n != 0 {
			r.VendorCalls[op] = n
		}
	}
	after, own := b.tracker.totals(), b.tracker.conversation(fresh.Spec.ConversationID)
	r.NewObjectActions, r.NewObjectReads = own.actions, own.reads
	r.Actions = after.Actions - vendorBefore.Actions - own.actions
	r.Polls = after.Polls - vendorBefore.Polls
	r.ReadsOutsidePolls = after.Reads - vendorBefore.Reads - own.reads
	r.OperatorRequests = mgr.requests.snapshot()
	r.OperatorWrites = r.OperatorRequests.writes()
	r.Reconciles = requestCounts(reconcileCounts()).since(recBefore).total()
	return nil
}
