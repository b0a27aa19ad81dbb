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

package configtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/switchboard-operator/switchboard-operator"

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, COPY, RUN, ...
	args string
}

// stage is one FROM ... block of the Dockerfile.
type stage struct {
	from         string
	instructions []instruction
}

// dockerfile parses the repository's Dockerfile into stages. No Docker engine runs here,
// so these tests read the file instead of building it.
func dockerfile(t *testing.T, root string) []stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var line string
	for _, raw := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(raw)
		if line == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			line += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		line += trimmed
		cmd, args, _ := strings.Cut(line, " ")
		line = ""
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				continue
			}
			t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a final stage", len(stages))
	}
	return stages
}

// args returns the arguments of a stage's instructions of one kind.
func (s stage) args(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	root := repoRoot(t)
	stages := dockerfile(t, root)
	builder, final := stages[0], stages[len(stages)-1]

	goVersion := goDirective(t, root)
	if want := "golang:" + goVersion; !strings.HasPrefix(builder.from, want+" ") && builder.from != want {
		t.Errorf("the builder is FROM %q, want %s (go.mod says go %s)", builder.from, want, goVersion)
	}
	build := strings.Join(builder.args("RUN"), "\n")
	for _, want := range []string{"go mod download", "CGO_ENABLED=0", "go build", "-trimpath", `-ldflags "-s -w"`} {
		if !strings.Contains(build, want) {
			t.Errorf("the builder does not run %s", want)
		}
	}
	if copies := builder.args("COPY"); len(copies) == 0 || !strings.HasPrefix(copies[0], "go.mod go.sum") {
		t.Errorf("the builder's first COPY is %v, want go.mod and go.sum alone (module download cached)", copies)
	}

	if final.from != "gcr.io/distroless/static:nonroot" {
		t.Errorf("the final stage is FROM %q, want gcr.io/distroless/static:nonroot", final.from)
	}
	if users := final.args("USER"); !slices.Equal(users, []string{fmt.Sprintf("%d:%d", nonRootUID, nonRootUID)}) {
		t.Errorf("the final stage runs as USER %v, want %d:%d (the Deployment's runAsUser)", users, nonRootUID, nonRootUID)
	}
	if eps := final.args("ENTRYPOINT"); !slices.Equal(eps, []string{`["/manager"]`}) {
		t.Errorf("the final stage's ENTRYPOINT is %v, want [\"/manager\"]", eps)
	}
	if runs := final.args("RUN"); len(runs) > 0 {
		t.Errorf("the final stage runs %v; distroless has no shell", runs)
	}
}

// TestDockerfileCopiesEveryPackageTheManagerImports fails when the manager imports a
// package of this module that the Dockerfile does not copy or .dockerignore leaves out,
// which no CI build would notice.
func TestDockerfileCopiesEveryPackageTheManagerImports(t *testing.T) {
	root := repoRoot(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, "list", "-e", "-deps", "-f", "{{.ImportPath}}", ".") //nolint:gosec // G204: the go command, on this repository
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	needed := []string{"go.mod", "go.sum"}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == module:
			needed = append(needed, "main.go")
		case strings.HasPrefix(pkg, module+"/"):
			needed = append(needed, strings.TrimPrefix(pkg, module+"/")+"/")
		}
	}

	stages := dockerfile(t, root)
	var copied []string
	for _, c := range stages[0].args("COPY") {
		fields := strings.Fields(c)
		if len(fields) < 2 || strings.HasPrefix(fields[0], "--") {
			continue
		}
		for _, src := range fields[:len(fields)-1] {
			copied = append(copied, strings.TrimPrefix(src, "./"))
		}
	}
	ignored := dockerignore(t, root)
	for _, need := range needed {
		if !slices.ContainsFunc(copied, func(src string) bool { return covers(src, need) }) {
			t.Errorf("the manager needs %s, which the Dockerfile does not copy (copies %v)", need, copied)
		}
		for _, pattern := range ignored {
			if covers(pattern, need) {
				t.Errorf("the manager needs %s, which .dockerignore excludes (%s)", need, pattern)
			}
		}
	}
}

// covers tells whether a COPY source or .dockerignore pattern includes path need (a
// file, or a directory ending in /).
func covers(pattern, need string) bool {
	pattern = strings.TrimSuffix(strings.TrimPrefix(pattern, "/"), "/")
	if pattern == "." || pattern == "*" {
		return true
	}
	for p := strings.TrimSuffix(need, "/"); p != "." && p != ""; p = path.Dir(p) {
		if ok, _ := path.Match(pattern, p); ok {
			return true
		}
	}
	return false
}

// dockerignore returns the exclusion patterns of .dockerignore (exceptions, "!...",
// are not used by this project and are dropped).
func dockerignore(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		patterns = append(patterns, line)
	}
	return patterns
}

// goDirective returns the major.minor Go version of go.mod's go directive.
func goDirective(t *testing.T, root string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) == 2 && fields[0] == "go" {
			parts := strings.SplitN(fields[1], ".", 3)
			if len(parts) >= 2 {
				return parts[0] + "." + parts[1]
			}
			return fields[1]
		}
	}
	t.Fatal("go.mod has no go directive")
	return ""
}
