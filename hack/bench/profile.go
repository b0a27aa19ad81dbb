package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// startProfiles starts, with -cpuprofile, two CPU profiles of the operator run: this
// process's (the manager, the simulator and the bench's clients) until the returned
// function is called (once; later calls do nothing), and the API server's, read from its
// /debug/pprof/profile (kube-apiserver serves it by default, to the envtest admin the
// bench is). That endpoint profiles for a fixed number of seconds: the bench asks for
// the baseline's length rounded down, which the run lasts at least, so the profile
// covers the run's first part with the API server busy throughout. It is written in the
// background; b.profiles is done once it is.
func (b *bench) startProfiles(ctx context.Context, st *stage, rep *Report) (func(), error) {
	if !b.opts.CPUProfile {
		return func() {}, nil
	}
	prefix := filepath.Join(b.opts.OutDir, fmt.Sprintf("bench-%d-%s", b.opts.N, rep.StartedAt.Format("20060102-150405")))
	f, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	b.progress("CPU profile of the operator run (this process): %s", f.Name())
	seconds := max(1, int(math.Floor(rep.Results.BaselineSeconds)))
	path := prefix + ".apiserver.cpu.pprof"
	b.profiles.Go(func() {
		if err := apiServerProfile(ctx, st.restCfg, seconds, path); err != nil {
			b.progress("CPU profile of the API server: %v", err)
			return
		}
		b.progress("CPU profile of the API server, the operator run's first %ds: %s", seconds, path)
	})
	return sync.OnceFunc(func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}), nil
}

// apiServerProfile reads a CPU profile of the given length from the API server of cfg and
// writes it to path.
func apiServerProfile(ctx context.Context, cfg *rest.Config, seconds int, path string) error {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimRight(cfg.Host, "/"), seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET /debug/pprof/profile answered %s: %s", resp.Status, body)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
