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

// Command image builds the manager's OCI image without a container engine: it compiles the
// manager as a static binary (CGO_ENABLED=0) and puts it on an empty base with
// go-containerregistry, together with the few files a static Go program on Linux reads: an
// /etc/passwd and /etc/group that name the non-root user 65532, and the Mozilla root
// certificates (from golang.org/x/crypto/x509roots/fallback) at
// /etc/ssl/certs/ca-certificates.crt, where Go's crypto/x509 looks for them. The image has no
// shell and no other program. It runs as 65532:65532 with the entrypoint /manager.
//
// It writes an OCI image layout (a directory that tools such as skopeo, crane and podman
// read) and a tarball that `docker load` and `podman load` accept:
//
//	go run ./hack/image --module . --tag switchboard-operator:dev \
//	    --layout bin/image/oci --tarball bin/image/switchboard-operator.tar
//
// `make image` runs it with the revision and version from git.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	var (
		opts    Options
		module  string
		layout  string
		tarball string
		created string
	)
	flag.StringVar(&module, "module", ".", "Directory of the operator's Go module (the manager's main package).")
	flag.StringVar(&opts.GOARCH, "goarch", runtime.GOARCH, "GOARCH of the manager binary and the image.")
	flag.StringVar(&opts.Tag, "tag", "switchboard-operator:dev", "Image reference written into the tarball and the layout's index.")
	flag.StringVar(&opts.Source, "source", DefaultSource, "Label org.opencontainers.image.source: where the source is.")
	flag.StringVar(&opts.Revision, "revision", "", "Label org.opencontainers.image.revision: the commit the image is built from.")
	flag.StringVar(&opts.Version, "version", "dev", "Label org.opencontainers.image.version.")
	flag.StringVar(&opts.Licenses, "licenses", DefaultLicenses, "Label org.opencontainers.image.licenses (SPDX).")
	flag.StringVar(&created, "created", "", "Creation time (RFC 3339) of the image; empty means the Unix epoch, so that the same binary gives the same image.")
	flag.StringVar(&layout, "layout", "bin/image/oci", "Directory of the OCI image layout to write (replaced).")
	flag.StringVar(&tarball, "tarball", "bin/image/switchboard-operator.tar", "Tarball for docker load / podman load to write; empty writes none.")
	flag.Parse()

	if err := run(module, layout, tarball, created, opts); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(module, layout, tarball, created string, opts Options) error {
	if created != "" {
		t, err := time.Parse(time.RFC3339, created)
		if err != nil {
			return fmt.Errorf("--created %q is not an RFC 3339 time: %w", created, err)
		}
		opts.Created = t
	}
	dir, err := os.MkdirTemp("", "switchboard-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()

	binary, err := BuildManager(module, opts.GOARCH, dir)
	if err != nil {
		return err
	}
	img, err := Build(binary, opts)
	if err != nil {
		return err
	}
	digest, err := Write(img, opts.Tag, layout, tarball)
	if err != nil {
		return err
	}
	fmt.Printf("image %s %s\n  OCI layout: %s\n", opts.Tag, digest, layout)
	if tarball != "" {
		fmt.Printf("  tarball:    %s (docker load -i %s)\n", tarball, tarball)
	}
	return nil
}
