package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
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
		if st, err := readProcStatus(pid); err == nil {
			rss[name] = st["VmRSS"]
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

// readProcStatus reads the memory figures of /proc/PID/status ("VmRSS", "VmHWM", ...)
// in bytes.
func readProcStatus(pid int) (map[string]uint64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return parseProcStatus(bufio.NewScanner(f))
}

// parseProcStatus parses the "Name:   value kB" lines of /proc/PID/status, keeping the
// ones given in kB, as bytes.
func parseProcStatus(sc *bufio.Scanner) (map[string]uint64, error) {
	out := map[string]uint64{}
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", key, err)
		}
		out[key] = n * 1024
	}
	return out, sc.Err()
}

// childProcesses finds this process's children with the given command names (as in
// /proc/PID/comm, at most 15 characters), by scanning /proc. envtest starts
// kube-apiserver and etcd as children and does not expose their pids.
func childProcesses(names ...string) map[string]int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	self := os.Getpid()
	out := map[string]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		comm, ppid, ok := parseProcStat(string(stat))
		if ok && ppid == self && want[comm] {
			out[comm] = pid
		}
	}
	return out
}

// parseProcStat returns the command name and the parent pid from the contents of
// /proc/PID/stat: "PID (COMM) STATE PPID ...". COMM may contain spaces and
// parentheses, so it ends at the last ')'.
func parseProcStat(stat string) (comm string, ppid int, ok bool) {
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	fields := strings.Fields(stat[end+1:])
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return "", 0, false
	}
	return stat[open+1 : end], ppid, true
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat: 100 on every
// Linux architecture Go supports (reading it properly needs sysconf, so cgo).
const clockTicks = 100

// cpuSeconds returns the CPU time (user and system) each process has used so far.
func cpuSeconds(pids map[string]int) map[string]float64 {
	out := make(map[string]float64, len(pids))
	for name, pid := range pids {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		if s, ok := parseProcStatCPU(string(stat)); ok {
			out[name] = s
		}
	}
	return out
}

// parseProcStatCPU returns utime+stime, in seconds, from the contents of
// /proc/PID/stat (fields 14 and 15, counted from the pid).
func parseProcStatCPU(stat string) (float64, bool) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, false
	}
	fields := strings.Fields(stat[end+1:]) // fields[0] is field 3, the state
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(utime+stime) / clockTicks, true
}

// cpuSince is the CPU time used between two cpuSeconds readings.
func cpuSince(now, earlier map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(now))
	for name, v := range now {
		out[name] = v - earlier[name]
	}
	return out
}

// gitRevision returns the commit checked out in the repository at dir, read from the
// .git directory without running git; "" when it cannot be read. Uncommitted changes
// are not visible here.
func gitRevision(dir string) string {
	head, err := os.ReadFile(filepath.Join(dir, ".git", "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !ok {
		return strings.TrimSpace(string(head)) // a detached HEAD holds the commit
	}
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return ""
	}
	if commit, err := os.ReadFile(filepath.Join(dir, ".git", filepath.FromSlash(ref))); err == nil { //nolint:gosec // G703: ref is checked above to stay under .git/refs
		return strings.TrimSpace(string(commit))
	}
	packed, err := os.ReadFile(filepath.Join(dir, ".git", "packed-refs"))
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(packed), "\n") {
		if commit, name, ok := strings.Cut(line, " "); ok && name == ref {
			return commit
		}
	}
	return ""
}

// machineInfo describes the machine the bench runs on.
func machineInfo() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version()}
	m.Hostname, _ = os.Hostname()
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if key, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(key) == "model name" {
				m.CPUModel = strings.TrimSpace(value)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if fields := strings.Fields(string(data)); len(fields) >= 3 {
			m.LoadAverage = strings.Join(fields[:3], " ")
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		if st, err := parseProcStatus(bufio.NewScanner(f)); err == nil {
			m.MemTotalBytes = st["MemTotal"]
		}
		_ = f.Close()
	}
	return m
}
