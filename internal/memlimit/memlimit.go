/*
Copyright 2026 The switchboard-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package memlimit gives the Go runtime a soft memory limit below the container's hard
// one, so that the collector works harder as the heap nears the limit instead of letting
// it grow to twice the live heap (GOGC=100) and the container be killed.
package memlimit

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// The files that hold the memory limit of the process's cgroup, as seen from inside a
// container: cgroup v2 first, then v1.
const (
	cgroupV2File = "memory.max"
	cgroupV1File = "memory/memory.limit_in_bytes"
)

// unlimitedV1 is the least value cgroup v1 reports for "no limit" (it reports the
// largest page-aligned int64).
const unlimitedV1 = 1 << 62

// Result says what Set did.
type Result struct {
	// Limit is the soft limit set, in bytes; 0 when none was set.
	Limit int64
	// ContainerLimit is the cgroup's limit it was derived from, in bytes; 0 when none.
	ContainerLimit int64
	// Reason says why no limit was set, or where it came from.
	Reason string
}

// Set sets the runtime's soft memory limit to ratio times the memory limit of the
// cgroup under root (normally /sys/fs/cgroup). It does nothing when GOMEMLIMIT is set
// in the environment (the runtime has applied it), when ratio is 0, or when the cgroup
// has no limit.
func Set(root string, ratio float64) (Result, error) {
	if ratio < 0 || ratio > 1 {
		return Result{}, fmt.Errorf("--go-memory-limit-ratio %v: want a number from 0 (off) to 1", ratio)
	}
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return Result{Reason: "GOMEMLIMIT=" + v + " is set"}, nil
	}
	if ratio == 0 {
		return Result{Reason: "--go-memory-limit-ratio is 0"}, nil
	}
	limit, source, err := containerLimit(root)
	if err != nil || limit == 0 {
		return Result{Reason: source}, err
	}
	soft := int64(math.Floor(float64(limit) * ratio))
	debug.SetMemoryLimit(soft)
	return Result{Limit: soft, ContainerLimit: limit, Reason: source}, nil
}

// containerLimit reads the cgroup's memory limit: 0 without one.
func containerLimit(root string) (int64, string, error) {
	for _, name := range []string{cgroupV2File, cgroupV1File} {
		path := filepath.Join(root, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, path, fmt.Errorf("reading the container's memory limit: %w", err)
		}
		text := strings.TrimSpace(string(data))
		if text == "max" {
			return 0, path + " is max (no limit)", nil
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n <= 0 {
			return 0, path, fmt.Errorf("reading the container's memory limit: %s holds %q, not a number of bytes", path, text)
		}
		if n >= unlimitedV1 {
			return 0, path + " has no limit", nil
		}
		return n, path, nil
	}
	return 0, "no cgroup memory limit found under " + root, nil
}
