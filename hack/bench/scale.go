package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/procfs"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The scale mode (-scale 1000,10000,50000; `make bench-scale`) runs the real manager binary
// and the simulator program as processes of their own against envtest, grows the number of
// ConversationControls step by step, and measures the manager's memory at each step once
// every object is Ready, with a heap profile from the manager's --pprof-bind-address. It ends
// with a restart of the manager at the largest step. With -manager-memory-limit the manager
// runs as it would in a container with that limit (GOMEMLIMIT at 90% of it, as main.go's
// --go-memory-limit-ratio sets from the cgroup), and the table says whether its peak RSS fits.

// ScaleReport is what the scale mode measured.
type ScaleReport struct {
	StartedAt time.Time `json:"startedAt"`
	Revision  string    `json:"revision"`
	Machine   Machine   `json:"machine"`
	// Idle is the manager with the Switchboard and no ConversationControl.
	Idle  ScaleStep   `json:"idle"`
	Steps []ScaleStep `json:"steps"`
	// Restart is the restart of the manager with every object of the last step in sync.
	Restart ScaleRestart `json:"restart"`
	// MemoryLimit is the container limit the manager was held to (-manager-memory-limit),
	// and SoftLimit the GOMEMLIMIT it ran with; 0 without one.
	MemoryLimit uint64 `json:"memoryLimitBytes,omitempty"`
	SoftLimit   uint64 `json:"softLimitBytes,omitempty"`
}

// managerMemoryRatio is the share of the container limit main.go's --go-memory-limit-ratio
// gives the Go runtime by default.
const managerMemoryRatio = 0.9

// memoryLimit parses -manager-memory-limit: the limit and the soft limit, 0 without one.
func memoryLimit(s string) (limit, soft uint64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	q, err := resource.ParseQuantity(s)
	v := q.Value()
	if err != nil || v <= 0 {
		return 0, 0, fmt.Errorf("-manager-memory-limit %q: want a positive quantity such as 256Mi", s)
	}
	limit = uint64(v)
	return limit, uint64(float64(limit) * managerMemoryRatio), nil
}

// ScaleStep is the manager's memory with Objects ConversationControls, all Ready.
type ScaleStep struct {
	Objects int `json:"objects"`
	// ReadySeconds runs from the first create of the step to the last object Ready.
	ReadySeconds float64 `json:"readySeconds"`
	// RSS is VmRSS at the end of the settling window; HighWater is VmHWM, the process's
	// peak so far.
	RSS       uint64 `json:"rssBytes"`
	HighWater uint64 `json:"vmHWMBytes"`
	// HeapAfterGC is the least go_memstats_heap_alloc_bytes seen in the settling window (the
	// heap right after a collection: the live heap); HeapInuse the largest
	// go_memstats_heap_inuse_bytes.
	HeapAfterGC uint64 `json:"heapAfterGCBytes"`
	HeapInuse   uint64 `json:"heapInuseBytes"`
	// RSSPerObject and HeapPerObject are the growth over Idle per object.
	RSSPerObject  float64 `json:"rssPerObjectBytes"`
	HeapPerObject float64 `json:"heapPerObjectBytes"`
}

// ScaleRestart is what a restart with every object in sync costs.
type ScaleRestart struct {
	Objects int `json:"objects"`
	// VendorCallsFirstMinute are the simulator's requests in the minute after the new
	// process started, by operation.
	VendorCallsFirstMinute map[string]int `json:"vendorCallsFirstMinute"`
	// SyncedSeconds runs from the start of the new process until its cache holds every object.
	SyncedSeconds float64 `json:"syncedSeconds"`
	// NewObjectWaitSeconds runs from the create of a new object, right after the cache
	// synced, to it being Ready: how long it waited behind the initial list.
	NewObjectWaitSeconds float64 `json:"newObjectWaitSeconds"`
	// HighWater is VmHWM of the new process after the first minute.
	HighWater uint64 `json:"vmHWMBytes"`
}

// scaleRun is one run of the scale mode.
type scaleRun struct {
	o       options
	stderr  io.Writer
	c       client.Client
	kubecfg string
	simURL  string
	metrics string // the manager's metrics URL
	pprof   string // the manager's /debug/pprof URL
	// softLimit is the manager's GOMEMLIMIT; 0 for none.
	softLimit uint64
	started   time.Time
	mgr       *exec.Cmd
	mgrLog    *os.File
	created   int
}

func (s *scaleRun) progress(format string, args ...any) {
	_, _ = fmt.Fprintf(s.stderr, "bench-scale: "+format+"\n", args...)
}

// runScale runs the scale mode and prints its table.
func runScale(ctx context.Context, o options, stdout, stderr io.Writer) error {
	steps, err := parseCounts(o.Scale)
	if err != nil {
		return err
	}
	limit, soft, err := memoryLimit(o.ManagerMemoryLimit)
	if err != nil {
		return err
	}
	started := time.Now()
	rep := &ScaleReport{StartedAt: started, Revision: o.Revision, Machine: machineInfo(), MemoryLimit: limit, SoftLimit: soft}
	s := &scaleRun{o: o, stderr: stderr, started: started, softLimit: soft}

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(sbv1.AddToScheme(scheme))
	s.progress("starting envtest")
	env := &envtest.Environment{CRDDirectoryPaths: []string{o.CRDDir}, ErrorIfCRDPathMissing: true, Scheme: scheme}
	restCfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting envtest: %w", err)
	}
	defer func() {
		s.stopManager()
		if err := env.Stop(); err != nil {
			s.progress("stopping envtest: %v", err)
		}
	}()
	restCfg.QPS, restCfg.Burst = -1, 0
	if s.c, err = client.New(restCfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if err := s.writeKubeconfig(env, started); err != nil {
		return err
	}
	stopSim, err := s.startSimulator(ctx, steps[len(steps)-1]+1, started)
	if err != nil {
		return err
	}
	defer stopSim()
	if err := benchWorld.Create(ctx, s.c, operatorNamespace, s.simURL, o.rateLimit()); err != nil {
		return err
	}
	logPath := filepath.Join(o.OutDir, fmt.Sprintf("bench-scale-%s.manager.log", started.Format("20060102-150405")))
	if s.mgrLog, err = os.Create(logPath); err != nil {
		return err
	}
	defer func() { _ = s.mgrLog.Close() }()
	if err := s.startManager(ctx); err != nil {
		return err
	}
	if err := waitSwitchboardReady(ctx, s.c); err != nil {
		return err
	}
	s.progress("idle manager: settling")
	if rep.Idle, err = s.settle(ctx, 0); err != nil {
		return err
	}
	for _, n := range steps {
		step, err := s.grow(ctx, n)
		if err != nil {
			return err
		}
		step.RSSPerObject = (float64(step.RSS) - float64(rep.Idle.RSS)) / float64(n)
		step.HeapPerObject = (float64(step.HeapAfterGC) - float64(rep.Idle.HeapAfterGC)) / float64(n)
		rep.Steps = append(rep.Steps, step)
		s.progress("%d objects: RSS %s, heap after GC %s", n, mib(step.RSS), mib(step.HeapAfterGC))
		if err := s.saveHeapProfile(ctx, n); err != nil {
			return err
		}
	}
	if rep.Restart, err = s.restart(ctx); err != nil {
		return err
	}
	if err := writeScaleTable(stdout, rep); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(o.OutDir, fmt.Sprintf("bench-scale-%s.json", started.Format("20060102-150405")))
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "\nreport: %s\nmanager log: %s\n", path, logPath)
	return err
}

// parseCounts parses "1000,10000,50000": increasing positive counts.
func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(out) > 0 && n <= out[len(out)-1]) {
			return nil, fmt.Errorf("-scale %q: want increasing positive counts such as 1000,10000,50000", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// writeKubeconfig writes a kubeconfig of an envtest admin for the manager process.
func (s *scaleRun) writeKubeconfig(env *envtest.Environment, started time.Time) error {
	user, err := env.AddUser(envtest.User{Name: "bench-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	s.kubecfg = filepath.Join(s.o.OutDir, fmt.Sprintf("bench-scale-%s.kubeconfig", started.Format("20060102-150405")))
	return os.WriteFile(s.kubecfg, data, 0o600)
}

// freeAddress returns a loopback address with a port that was free a moment ago.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// startSimulator starts the simulator program with conversations conversations, the bot
// active in each, and returns a function that stops it.
func (s *scaleRun) startSimulator(ctx context.Context, conversations int, started time.Time) (func(), error) {
	convs := make([]sunshinetest.ConversationSeed, conversations)
	for i := range convs {
		convs[i] = sunshinetest.ConversationSeed{ID: conversationID(i), Active: integrationBot}
	}
	data, err := json.Marshal(benchWorld.Seed(convs...))
	if err != nil {
		return nil, err
	}
	seedPath := filepath.Join(s.o.OutDir, fmt.Sprintf("bench-scale-%s.seed.json", started.Format("20060102-150405")))
	if err := os.WriteFile(seedPath, data, 0o600); err != nil {
		return nil, err
	}
	addr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, s.o.SimulatorBin, "--listen", addr, "--seed", seedPath, //nolint:gosec // G204: the simulator the Makefile builds
		"--max-conversations", strconv.Itoa(conversations+10))
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the simulator %s: %w", s.o.SimulatorBin, err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	s.simURL = "http://" + addr
	if err := waitHTTP(ctx, s.simURL+"/_sim/counts", 30*time.Second); err != nil {
		stop()
		return nil, fmt.Errorf("the simulator did not answer: %w", err)
	}
	return stop, nil
}

// startManager starts bin/manager as a process of its own.
func (s *scaleRun) startManager(ctx context.Context) error {
	metricsAddr, err := freeAddress()
	if err != nil {
		return err
	}
	probeAddr, err := freeAddress()
	if err != nil {
		return err
	}
	pprofAddr, err := freeAddress()
	if err != nil {
		return err
	}
	s.metrics = "http://" + metricsAddr + "/metrics"
	s.pprof = "http://" + pprofAddr + "/debug/pprof"
	cmd := exec.Command(s.o.ManagerBin, "--metrics-bind-address="+metricsAddr, "--metrics-secure=false", //nolint:gosec // G204: the manager the Makefile builds
		"--health-probe-bind-address="+probeAddr, "--pprof-bind-address="+pprofAddr, "--allowed-endpoint-hosts=127.0.0.1,localhost",
		"--max-concurrent-reconciles="+strconv.Itoa(s.o.Concurrency))
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubecfg)
	if s.softLimit > 0 {
		// In a container main.go derives this from the cgroup's limit; here there is none.
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+strconv.FormatUint(s.softLimit, 10))
	}
	cmd.Stdout, cmd.Stderr = s.mgrLog, s.mgrLog
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the manager %s: %w", s.o.ManagerBin, err)
	}
	s.mgr = cmd
	return waitHTTP(ctx, s.metrics, 30*time.Second)
}

// saveHeapProfile writes the manager's heap profile (after a collection) at n objects
// beside the report, for `go tool pprof -sample_index=inuse_space FILE`.
func (s *scaleRun) saveHeapProfile(ctx context.Context, n int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.pprof+"/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reading the manager's heap profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reading the manager's heap profile: %s %w", resp.Status, err)
	}
	path := filepath.Join(s.o.OutDir, fmt.Sprintf("bench-scale-%s.heap-%d.pprof", s.started.Format("20060102-150405"), n))
	s.progress("heap profile at %d objects: %s", n, path)
	return os.WriteFile(path, data, 0o600)
}

// stopManager stops the manager process (SIGTERM, as the kubelet does) and waits for it.
func (s *scaleRun) stopManager() {
	if s.mgr == nil {
		return
	}
	_ = s.mgr.Process.Signal(syscall.SIGTERM)
	_ = s.mgr.Wait()
	s.mgr = nil
}

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("answered %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within %s (last error: %w)", url, timeout, err)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// managerMetrics are the figures scraped from the manager's metrics endpoint.
type managerMetrics struct {
	heapAlloc, heapInuse uint64
	objects, ready       int // ConversationControls in the cache, and those Ready=True
}

// scrape reads the manager's metrics.
func (s *scaleRun) scrape(ctx context.Context) (managerMetrics, error) {
	var m managerMetrics
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.metrics, nil)
	if err != nil {
		return m, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bufio.NewReader(resp.Body))
	if err != nil {
		return m, err
	}
	gauge := func(name string, match func(map[string]string) bool) float64 {
		total := 0.0
		for _, metric := range families[name].GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if match == nil || match(labels) {
				total += metric.GetGauge().GetValue()
			}
		}
		return total
	}
	m.heapAlloc = uint64(gauge("go_memstats_heap_alloc_bytes", nil))
	m.heapInuse = uint64(gauge("go_memstats_heap_inuse_bytes", nil))
	m.objects = int(gauge("switchboard_operator_objects", func(l map[string]string) bool { return l["kind"] == "ConversationControl" }))
	m.ready = int(gauge("switchboard_operator_object_ready", func(l map[string]string) bool {
		return l["kind"] == "ConversationControl" && l["status"] == "True"
	}))
	return m, nil
}

// processMemory reads VmRSS and VmHWM of a process with procfs.
func processMemory(pid int) (rss, hwm uint64, err error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, err
	}
	st, err := p.NewStatus()
	if err != nil {
		return 0, 0, err
	}
	return st.VmRSS, st.VmHWM, nil
}

// scaleSettle is how long a step samples the manager after every object is Ready: long
// enough for several garbage collections of an idle manager (the state metrics scrapes
// allocate).
const scaleSettle = 20 * time.Second

// settle samples the manager for scaleSettle and returns the step's memory figures.
func (s *scaleRun) settle(ctx context.Context, objects int) (ScaleStep, error) {
	step := ScaleStep{Objects: objects, HeapAfterGC: ^uint64(0)}
	end := time.Now().Add(scaleSettle)
	for time.Now().Before(end) {
		m, err := s.scrape(ctx)
		if err != nil {
			return step, err
		}
		step.HeapAfterGC = min(step.HeapAfterGC, m.heapAlloc)
		step.HeapInuse = max(step.HeapInuse, m.heapInuse)
		if err := sleep(ctx, time.Second); err != nil {
			return step, err
		}
	}
	var err error
	step.RSS, step.HighWater, err = processMemory(s.mgr.Process.Pid)
	return step, err
}

// scaleObject is the i-th ConversationControl of the scale mode: a handoff to the Agent
// Workspace, polled once an hour (no poll falls in the run).
func scaleObject(i int) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cc-%05d", i), Namespace: operatorNamespace},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: switchboardName},
			ConversationID: conversationID(i),
			State:          sbv1.StateActive,
			Integration:    integrationAgent,
			Metadata:       map[string]string{"source": "bench"},
			PollInterval:   &metav1.Duration{Duration: time.Hour},
		},
	}
}

// grow creates objects up to n, waits until all are Ready and settles.
func (s *scaleRun) grow(ctx context.Context, n int) (ScaleStep, error) {
	s.progress("creating objects %d to %d", s.created, n-1)
	start := time.Now()
	from := s.created
	if err := parallel(ctx, 16, n-from, func(ctx context.Context, i int) error {
		return s.c.Create(ctx, scaleObject(from+i))
	}); err != nil {
		return ScaleStep{}, err
	}
	s.created = n
	if err := s.waitReady(ctx, n); err != nil {
		return ScaleStep{}, err
	}
	ready := time.Since(start)
	step, err := s.settle(ctx, n)
	step.ReadySeconds = ready.Seconds()
	return step, err
}

// waitReady waits until the manager reports n ConversationControls Ready=True.
func (s *scaleRun) waitReady(ctx context.Context, n int) error {
	deadline := time.Now().Add(s.o.Timeout)
	last := time.Now()
	for {
		m, err := s.scrape(ctx)
		if err == nil && m.ready >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d objects Ready after %s (last scrape: %w)", m.ready, n, s.o.Timeout, err)
		}
		if time.Since(last) > 30*time.Second {
			s.progress("%d of %d Ready", m.ready, n)
			last = time.Now()
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return err
		}
	}
}

// simCounts reads the simulator program's request counts.
func (s *scaleRun) simCounts(ctx context.Context) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.simURL+"/_sim/counts", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	var counts map[string]int
	return counts, json.NewDecoder(resp.Body).Decode(&counts)
}

// restart stops the manager and starts it again with every object in sync, counts the
// vendor calls of the first minute, and times a new object created once the cache is
// synced.
func (s *scaleRun) restart(ctx context.Context) (ScaleRestart, error) {
	r := ScaleRestart{Objects: s.created}
	s.progress("restarting the manager with %d objects in sync", s.created)
	s.stopManager()
	before, err := s.simCounts(ctx)
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := s.startManager(ctx); err != nil {
		return r, err
	}
	for {
		m, err := s.scrape(ctx)
		if err == nil && m.objects >= s.created {
			break
		}
		if time.Since(start) > s.o.Timeout {
			return r, errors.New("the restarted manager's cache did not sync")
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return r, err
		}
	}
	r.SyncedSeconds = time.Since(start).Seconds()
	fresh := scaleObject(s.created)
	created := time.Now()
	if err := s.c.Create(ctx, fresh); err != nil {
		return r, err
	}
	for {
		if err := s.c.Get(ctx, client.ObjectKeyFromObject(fresh), fresh); err == nil && isReady(fresh) {
			break
		}
		if time.Since(created) > s.o.Timeout {
			return r, errors.New("the new object was not Ready after the restart")
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return r, err
		}
	}
	r.NewObjectWaitSeconds = time.Since(created).Seconds()
	if err := sleep(ctx, time.Until(start.Add(time.Minute))); err != nil {
		return r, err
	}
	after, err := s.simCounts(ctx)
	if err != nil {
		return r, err
	}
	r.VendorCallsFirstMinute = map[string]int{}
	for op, n := range after {
		if d := n - before[op]; d != 0 {
			r.VendorCallsFirstMinute[op] = d
		}
	}
	_, r.HighWater, err = processMemory(s.mgr.Process.Pid)
	return r, err
}

// writeScaleTable prints the scale report.
func writeScaleTable(out io.Writer, r *ScaleReport) error {
	m := r.Machine
	if _, err := fmt.Fprintf(out, "switchboard-operator scale bench, %s, commit %s\nmachine: %s, %d CPUs, %s, load average at start %s\n\n",
		r.StartedAt.Format(time.RFC3339), r.Revision, m.CPUModel, m.NumCPU, m.GoVersion, m.LoadAverage); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "OBJECTS\tALL READY\tRSS\tVmHWM\tHEAP AFTER GC\tHEAP INUSE\tRSS/OBJECT\tHEAP/OBJECT\t")
	row := func(st ScaleStep, perObject bool) {
		per := "\t\t"
		if perObject {
			per = fmt.Sprintf("%.1f KiB\t%.1f KiB\t", st.RSSPerObject/1024, st.HeapPerObject/1024)
		}
		_, _ = fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Objects, seconds(st.ReadySeconds), mib(st.RSS), mib(st.HighWater),
			mib(st.HeapAfterGC), mib(st.HeapInuse), per)
	}
	row(r.Idle, false)
	for _, st := range r.Steps {
		row(st, true)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.MemoryLimit > 0 {
		peak := r.Restart.HighWater
		for _, st := range r.Steps {
			peak = max(peak, st.HighWater)
		}
		verdict := "fits"
		if peak >= r.MemoryLimit {
			verdict = "DOES NOT FIT"
		}
		if _, err := fmt.Fprintf(out, "\nmemory limit %s (GOMEMLIMIT %s): peak VmHWM %s, %s\n",
			mib(r.MemoryLimit), mib(r.SoftLimit), mib(peak), verdict); err != nil {
			return err
		}
	}
	rs := r.Restart
	_, err := fmt.Fprintf(out, "\nrestart with %d objects in sync: cache synced after %s; a new object created then was Ready after %s; "+
		"vendor calls in the first minute: %s; VmHWM after the first minute %s\n",
		rs.Objects, seconds(rs.SyncedSeconds), millis(rs.NewObjectWaitSeconds), describeMap(rs.VendorCallsFirstMinute), mib(rs.HighWater))
	return err
}
