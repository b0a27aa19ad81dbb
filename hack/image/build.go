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
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

const (
	// DefaultSource is the default of the org.opencontainers.image.source label.
	DefaultSource = "https://github.com/switchboard-operator/switchboard-operator"
	// DefaultLicenses is the project's licence, the default of the
	// org.opencontainers.image.licenses label.
	DefaultLicenses = "Apache-2.0"
	// NonRoot is the user and group the manager runs as, the user of the Deployment's
	// securityContext and of distroless's nonroot images.
	NonRoot = 65532
	// Entrypoint is where the manager binary is in the image.
	Entrypoint = "/manager"
	// CABundle is where Go's crypto/x509 looks for root certificates on Linux first.
	CABundle = "/etc/ssl/certs/ca-certificates.crt"
)

// Label keys of the OCI image specification's pre-defined annotations.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelVersion  = "org.opencontainers.image.version"
	LabelLicenses = "org.opencontainers.image.licenses"
	LabelTitle    = "org.opencontainers.image.title"
	// LabelRefName is the OCI layout index annotation that names an image.
	LabelRefName = "org.opencontainers.image.ref.name"
)

// Options describe the image beyond its binary.
type Options struct {
	// GOARCH is the architecture of the binary and of the image (the OS is linux).
	GOARCH string
	// Tag is the image reference, such as switchboard-operator:dev.
	Tag string
	// Source, Revision, Version and Licenses are the values of the OCI labels.
	Source, Revision, Version, Licenses string
	// Created is the creation time of the image and of its files; zero means the Unix epoch.
	Created time.Time
}

// BuildManager compiles the manager of the Go module in dir as a static Linux binary
// (CGO_ENABLED=0, -trimpath, without symbol tables) into outDir and returns its path.
func BuildManager(dir, goarch, outDir string) (string, error) {
	out := filepath.Join(outDir, "manager")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".") //nolint:gosec // G204: the go command; out is the caller's output directory
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the manager in %s: %w\n%s", dir, err, stderr.String())
	}
	return out, nil
}

// Build returns the image of the manager binary at path: two layers on an empty base (the
// files under /etc, then /manager), the non-root user, the entrypoint and the OCI labels.
func Build(binary string, opts Options) (v1.Image, error) {
	if opts.GOARCH == "" {
		return nil, errors.New("options: GOARCH is empty")
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	created = created.UTC()

	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("reading the manager binary: %w", err)
	}
	certs, err := caBundle()
	if err != nil {
		return nil, err
	}
	base, err := layer(created, []file{
		{path: "etc/", mode: 0o755, dir: true},
		{path: "etc/passwd", mode: 0o644, data: []byte(fmt.Sprintf(
			"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRoot, NonRoot))},
		{path: "etc/group", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", NonRoot))},
		{path: "etc/ssl/", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/", mode: 0o755, dir: true},
		{path: CABundle[1:], mode: 0o644, data: certs},
		{path: "home/", mode: 0o755, dir: true},
		{path: "home/nonroot/", mode: 0o700, dir: true, uid: NonRoot},
	})
	if err != nil {
		return nil, err
	}
	manager, err := layer(created, []file{{path: Entrypoint[1:], mode: 0o755, data: bin}})
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, manager)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = opts.GOARCH
	cfg.Created = v1.Time{Time: created}
	cfg.Config.User = fmt.Sprintf("%d:%d", NonRoot, NonRoot)
	cfg.Config.Entrypoint = []string{Entrypoint}
	cfg.Config.Cmd = nil
	cfg.Config.WorkingDir = "/"
	cfg.Config.Labels = map[string]string{
		LabelTitle:    "switchboard-operator",
		LabelSource:   opts.Source,
		LabelRevision: opts.Revision,
		LabelVersion:  opts.Version,
		LabelLicenses: opts.Licenses,
	}
	for k, v := range cfg.Config.Labels {
		if v == "" {
			delete(cfg.Config.Labels, k)
		}
	}
	cfg.History = []v1.History{
		{Created: v1.Time{Time: created}, CreatedBy: "hack/image: /etc/passwd, /etc/group, " + CABundle, Comment: "golang.org/x/crypto/x509roots/fallback"},
		{Created: v1.Time{Time: created}, CreatedBy: "hack/image: CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o " + Entrypoint},
	}
	return mutate.ConfigFile(img, cfg)
}

// Write writes img as an OCI image layout at dir (replacing it), annotated with tag, and,
// when tarballPath is not empty, as a tarball for docker load / podman load. It returns the
// image's digest.
func Write(img v1.Image, tag, dir, tarballPath string) (v1.Hash, error) {
	ref, err := name.NewTag(tag)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("tag %q: %w", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing the OCI layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{LabelRefName: ref.String()})); err != nil {
		return v1.Hash{}, fmt.Errorf("writing the OCI layout %s: %w", dir, err)
	}
	if tarballPath != "" {
		if err := os.MkdirAll(filepath.Dir(tarballPath), 0o750); err != nil {
			return v1.Hash{}, err
		}
		if err := tarball.WriteToFile(tarballPath, ref, img); err != nil {
			return v1.Hash{}, fmt.Errorf("writing the tarball %s: %w", tarballPath, err)
		}
	}
	return digest, nil
}

// caBundle returns the Mozilla root certificates of x509roots/fallback as PEM. Roots that
// carry a constraint (a distrust-after date), which a PEM file cannot express, are left out.
func caBundle() ([]byte, error) {
	var b bytes.Buffer
	n := 0
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, errors.New("x509roots/fallback has no unconstrained roots")
	}
	return b.Bytes(), nil
}

// file is one entry of a layer.
type file struct {
	path string // relative, directories end in /
	mode int64
	dir  bool
	uid  int
	data []byte
}

// layer returns an OCI layer holding files, owned by root unless a file says otherwise,
// with every time set to mtime so that the same input gives the same digest.
func layer(mtime time.Time, files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.path,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.uid,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if f.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
