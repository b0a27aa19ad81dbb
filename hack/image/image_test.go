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

package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const testTag = "registry.example/switchboard-operator:test"

var testOptions = Options{
	GOARCH:   runtime.GOARCH,
	Tag:      testTag,
	Source:   DefaultSource,
	Revision: "0123456789abcdef0123456789abcdef01234567",
	Version:  "v0.1.0-test",
	Licenses: DefaultLicenses,
	Created:  time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
}

// built is the image the tests share: built once per test binary, written as an OCI layout
// and a tarball, and read back from both.
type built struct {
	dir, layoutDir, tarballPath string
	fromLayout, fromTarball     v1.Image
}

var (
	buildOnce sync.Once
	shared    *built
	buildErr  error
)

// build compiles the operator's manager (two levels up) and builds, writes and reads back
// its image, once.
func build(t *testing.T) *built {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	buildOnce.Do(func() {
		shared, buildErr = buildAndReadBack()
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return shared
}

func buildAndReadBack() (*built, error) {
	dir, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		return nil, err
	}
	b := &built{dir: dir, layoutDir: filepath.Join(dir, "oci"), tarballPath: filepath.Join(dir, "image.tar")}
	binary, err := BuildManager(filepath.Join("..", ".."), runtime.GOARCH, dir)
	if err != nil {
		return nil, err
	}
	img, err := Build(binary, testOptions)
	if err != nil {
		return nil, err
	}
	if _, err := Write(img, testTag, b.layoutDir, b.tarballPath); err != nil {
		return nil, err
	}
	p, err := layout.FromPath(b.layoutDir)
	if err != nil {
		return nil, err
	}
	index, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(manifest.Manifests) != 1 {
		return nil, errors.New("the OCI layout's index does not hold exactly one image")
	}
	desc := manifest.Manifests[0]
	if got := desc.Annotations[LabelRefName]; got != testTag {
		return nil, errors.New("the OCI layout's image is annotated " + got + ", want " + testTag)
	}
	if b.fromLayout, err = index.Image(desc.Digest); err != nil {
		return nil, err
	}
	tag, err := name.NewTag(testTag)
	if err != nil {
		return nil, err
	}
	if b.fromTarball, err = tarball.ImageFromPath(b.tarballPath, &tag); err != nil {
		return nil, err
	}
	return b, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// images are the two read-back images, by where they came from.
func (b *built) images() map[string]v1.Image {
	return map[string]v1.Image{"OCI layout": b.fromLayout, "tarball": b.fromTarball}
}

func TestImageConfigRunsTheManagerAsNonRoot(t *testing.T) {
	b := build(t)
	for from, img := range b.images() {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		c := cfg.Config
		if c.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532", from, c.User)
		}
		if !slices.Equal(c.Entrypoint, []string{"/manager"}) || len(c.Cmd) != 0 {
			t.Errorf("%s: entrypoint %q cmd %q, want [/manager] and no cmd", from, c.Entrypoint, c.Cmd)
		}
		if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
			t.Errorf("%s: platform %s/%s, want linux/%s", from, cfg.OS, cfg.Architecture, runtime.GOARCH)
		}
		want := map[string]string{
			LabelSource:   DefaultSource,
			LabelRevision: testOptions.Revision,
			LabelVersion:  testOptions.Version,
			LabelLicenses: "Apache-2.0",
			LabelTitle:    "switchboard-operator",
		}
		if !maps.Equal(c.Labels, want) {
			t.Errorf("%s: labels %v, want %v", from, c.Labels, want)
		}
		if !cfg.Created.Equal(testOptions.Created) {
			t.Errorf("%s: created %v, want %v", from, cfg.Created, testOptions.Created)
		}
	}
}

func TestImageIsOCI(t *testing.T) {
	b := build(t)
	mt, err := b.fromLayout.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	if mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want %s", mt, types.OCIManifestSchema1)
	}
	m, err := b.fromLayout.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("config media type %s, want %s", m.Config.MediaType, types.OCIConfigJSON)
	}
	for i, l := range m.Layers {
		if l.MediaType != types.OCILayer {
			t.Errorf("layer %d media type %s, want %s", i, l.MediaType, types.OCILayer)
		}
	}
	if _, err := os.Stat(filepath.Join(b.layoutDir, "oci-layout")); err != nil {
		t.Errorf("the layout has no oci-layout file: %v", err)
	}
}

// TestLayoutAndTarballHoldTheSameImage checks that both outputs carry the same layers
// and configuration.
func TestLayoutAndTarballHoldTheSameImage(t *testing.T) {
	b := build(t)
	var ids [2][]v1.Hash
	for i, img := range []v1.Image{b.fromLayout, b.fromTarball} {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = cfg.RootFS.DiffIDs
		name, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = append(ids[i], name)
	}
	if !slices.Equal(ids[0], ids[1]) {
		t.Errorf("the layout's layers and config %v differ from the tarball's %v", ids[0], ids[1])
	}
}

// dockerArchiveEntry is one image of a docker-archive's manifest.json, the file docker
// load reads.
type dockerArchiveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func TestTarballIsADockerArchive(t *testing.T) {
	b := build(t)
	f, err := os.Open(b.tarballPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = data
	}
	var manifest []dockerArchiveEntry
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 1 {
		t.Fatalf("manifest.json lists %d images, want 1", len(manifest))
	}
	e := manifest[0]
	if !slices.Equal(e.RepoTags, []string{testTag}) {
		t.Errorf("RepoTags %v, want [%s]", e.RepoTags, testTag)
	}
	if len(e.Layers) != 2 {
		t.Errorf("%d layers, want 2 (/etc and /manager)", len(e.Layers))
	}
	for _, name := range append([]string{e.Config}, e.Layers...) {
		if _, ok := files[name]; !ok {
			t.Errorf("manifest.json names %s, which the tarball does not hold", name)
		}
	}
}

// imageFiles returns the image's flattened file system: path to header and content.
func imageFiles(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	headers, data := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers, data
		}
		if err != nil {
			t.Fatal(err)
		}
		p := "/" + strings.TrimSuffix(path.Clean(hdr.Name), "/")
		headers[p] = hdr
		if hdr.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			data[p] = b
		}
	}
}

func TestImageHoldsOnlyTheManagerAndItsFiles(t *testing.T) {
	b := build(t)
	headers, data := imageFiles(t, b.fromLayout)
	want := []string{"/etc", "/etc/group", "/etc/passwd", "/etc/ssl", "/etc/ssl/certs", CABundle, "/home", "/home/nonroot", "/manager"}
	if got := slices.Sorted(maps.Keys(headers)); !slices.Equal(got, want) {
		t.Errorf("the image holds %v, want %v", got, want)
	}
	for p, hdr := range headers {
		base := path.Base(p)
		if slices.Contains([]string{"sh", "bash", "ash", "dash", "busybox"}, base) || strings.HasPrefix(p, "/bin") || strings.HasPrefix(p, "/usr") {
			t.Errorf("the image holds %s; it must have no shell", p)
		}
		if hdr.Typeflag == tar.TypeSymlink || hdr.Typeflag == tar.TypeLink {
			t.Errorf("the image holds the link %s -> %s", p, hdr.Linkname)
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Mode&0o111 != 0 && p != "/manager" {
			t.Errorf("%s is executable; only /manager may be", p)
		}
	}
	if _, ok := data["/bin/sh"]; ok {
		t.Error("the image holds /bin/sh")
	}

	m := headers["/manager"]
	if m == nil {
		t.Fatal("the image has no /manager")
	}
	if m.Uid != 0 || m.Gid != 0 || m.Mode&0o022 != 0 || m.Mode&0o111 == 0 {
		t.Errorf("/manager is owned by %d:%d with mode %o; want root-owned, executable and not writable by the user 65532", m.Uid, m.Gid, m.Mode)
	}
	if !strings.Contains(string(data["/etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd does not name the user 65532:\n%s", data["/etc/passwd"])
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data[CABundle]) || strings.Count(string(data[CABundle]), "BEGIN CERTIFICATE") < 100 {
		t.Errorf("%s does not hold the root certificates (%d bytes)", CABundle, len(data[CABundle]))
	}
}

// extractManager writes the image's /manager to a temporary file.
func extractManager(t *testing.T, img v1.Image) string {
	t.Helper()
	_, data := imageFiles(t, img)
	bin, ok := data["/manager"]
	if !ok {
		t.Fatal("the image has no /manager")
	}
	p := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(p, bin, 0o700); err != nil { //nolint:gosec // G306: an executable the test runs
		t.Fatal(err)
	}
	return p
}

func TestManagerIsStatic(t *testing.T) {
	b := build(t)
	f, err := elf.Open(extractManager(t, b.fromTarball))
	if err != nil {
		t.Fatalf("/manager is not an ELF binary: %v", err)
	}
	defer func() { _ = f.Close() }()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("/manager asks for a dynamic loader (PT_INTERP); it must be static (CGO_ENABLED=0)")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("/manager links %v; it must be static", libs)
	}
}

func TestExtractedManagerRunsHelp(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image's binary is for linux")
	}
	b := build(t)
	cmd := exec.Command(extractManager(t, b.fromLayout), "--help") //nolint:gosec // G204: the binary the test just built
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("/manager --help: %v\n%s", err, out.String())
	}
	for _, want := range []string{"-leader-elect", "-metrics-bind-address", "-health-probe-bind-address"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("/manager --help does not list %s:\n%s", want, out.String())
		}
	}
}

// TestSameBinaryGivesTheSameImage: layers and config carry fixed times, so rebuilding from
// the same binary reproduces the digest.
func TestSameBinaryGivesTheSameImage(t *testing.T) {
	b := build(t)
	bin := extractManager(t, b.fromLayout)
	digests := make([]v1.Hash, 0, 2)
	for range 2 {
		img, err := Build(bin, testOptions)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	want, err := b.fromLayout.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if digests[0] != digests[1] || digests[0] != want {
		t.Errorf("digests %v and the written image's %s differ", digests, want)
	}
}
