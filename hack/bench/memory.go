package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// Heap samples read with runtime/metrics (no stop-the-world, unlike ReadMemStats).
const (
	metricHeapObjects = "/memory/classes/heap/objects:bytes" // MemStats.HeapAlloc
	metricHeapUnused  = "/memory/classes/heap/unused:bytes"  // HeapInuse = objects + unused
	metricHeapLive    = "/gc/heap/live:bytes"                // live heap after the last GC
)

// memoryPeak is the largest value seen of each sampled figure during one phase.
type memoryPeak struct {
	HeapInuse, HeapAlloc uint64
	// RSS is the peak VmRSS by process ("bench" for this process, "kube-apiserver",
	// "etcd").
	RSS map[string]uint64
}

// sampler samples the heap and the RSS of this process and of the control plane every
// interval, keeping the peaks of the current phase.
type sampler struct {
	interval time.Duration

	mu    sync.Mutex
	phase string
	peaks map[string]*memoryPeak
	pids  map[string]int // by name; this process is "bench"
}

func newSampler(interval time.Duration) *sampler {
	return &sampler{interval: interval, phase: "setup", peaks: map[string]*memoryPeak{},
		pids: map[string]int{"bench": os.Getpid()}}
}

// setPhase starts a new phase; later samples count towards its peaks.
func (s *sampler) setPhase(phase string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = phase
}

// watchProcess adds a process whose RSS is sampled.
func (s *sampler) watchProcess(name string, pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pids[name] = pid
}

// peak returns the peaks of a phase.
func (s *sampler) peak(phase string) memoryPeak {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peaks[phase]
	if p == nil {
		return memoryPeak{RSS: map[string]uint64{}}
	}
	out := *p
	out.RSS = make(map[string]uint64, len(p.RSS))
	for k, v := range p.RSS {
		out.RSS[k] = v
	}
	return out
}

// run samples until ctx is done.
func (s *sampler) run(ctx context.Context) {
	samples := []metrics.Sample{{Name: metricHeapObjects}, {Name: metricHeapUnused}}
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		s.sample(samples)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *sampler) sample(samples []metrics.Sample) {
	metrics.Read(samples)
	alloc, unused := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	s.mu.Lock()
	pids := make(map[string]int, len(s.pids))
	for k, v := range s.pids {
		pids[k] = v
	}
	s.mu.Unlock()
	rss := make(map[string]uint64, len(pids))
	for name, pid := range pids {
		if r, _, err := processMemory(pid); err == nil {
			rss[name] = r
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peaks[s.phase]
	if p == nil {
		p = &memoryPeak{RSS: map[string]uint64{}}
		s.peaks[s.phase] = p
	}
	p.HeapAlloc = max(p.HeapAlloc, alloc)
	p.HeapInuse = max(p.HeapInuse, alloc+unused)
	for name, v := range rss {
		p.RSS[name] = max(p.RSS[name], v)
	}
}

// liveHeap runs a garbage collection and returns the live heap.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: metricHeapLive}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// childProcesses finds this process's children with the given command names (as in
// /proc/PID/comm, at most 15 characters). envtest starts kube-apiserver and etcd as
// children and does not expose their pids.
func childProcesses(names ...string) map[string]int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]int{}
	procs, err := procfs.AllProcs()
	if err != nil {
		return out
	}
	self := os.Getpid()
	for _, p := range procs {
		if st, err := p.Stat(); err == nil && st.PPID == self && want[st.Comm] {
			out[st.Comm] = p.PID
		}
	}
	return out
}

// cpuSeconds returns the CPU time (user and system) each process has used so far.
func cpuSeconds(pids map[string]int) map[string]float64 {
	out := make(map[string]float64, len(pids))
	for name, pid := range pids {
		p, err := procfs.NewProc(pid)
		if err != nil {
			continue
		}
		if st, err := p.Stat(); err == nil {
			out[name] = st.CPUTime()
		}
	}
	return out
}

// cpuSince is the CPU time used between two cpuSeconds readings.
func cpuSince(now, earlier map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(now))
	for name, v := range now {
		out[name] = v - earlier[name]
	}
	return out
}

// machineInfo describes the machine the bench runs on.
func machineInfo() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version()}
	m.Hostname, _ = os.Hostname()
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return m
	}
	if cpus, err := fs.CPUInfo(); err == nil && len(cpus) > 0 {
		m.CPUModel = cpus[0].ModelName
	}
	if load, err := fs.LoadAvg(); err == nil {
		m.LoadAverage = fmt.Sprintf("%.2f %.2f %.2f", load.Load1, load.Load5, load.Load15)
	}
	if mem, err := fs.Meminfo(); err == nil && mem.MemTotal != nil {
		m.MemTotalBytes = *mem.MemTotal * 1024
	}
	return m
}
