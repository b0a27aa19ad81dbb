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

// Command devenv runs a local Kubernetes control plane (kube-apiserver and etcd,
// started through controller-runtime's envtest from the binaries `make envtest`
// builds into bin/k8s) with the project's CRDs installed, for `make demo` and
// `make dev`:
//
//	go run ./hack/devenv --kubeconfig /tmp/switchboard.kubeconfig
//
// Once the API server answers and the CRDs are established it writes an admin
// kubeconfig (user in group system:masters) to --kubeconfig and prints one line,
// `KUBECONFIG=<path>`, on stdout. Progress and errors go to stderr. SIGINT or
// SIGTERM stops the API server and etcd, removes their temporary directories and
// the kubeconfig file, and exits 0.
//
// There are no nodes, no controller-manager and no scheduler: objects are stored
// and served, but nothing runs Pods and namespaces never finish terminating.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// k8sVersion is the version of the envtest binaries `make envtest` builds; it
// names the default assets folder bin/k8s/<version>-<os>-<arch>.
const k8sVersion = "1.37.2"

// contextName names the cluster, user and context of the written kubeconfig.
const contextName = "switchboard-dev"

func main() {
	os.Exit(mainCode())
}

// mainCode runs the command and returns its exit code.
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			say(os.Stderr, "devenv: %v", err)
		}
		return 1
	}
	return 0
}

// say writes one line of progress; progress that cannot be written is not worth
// failing for.
func say(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format+"\n", args...)
}

// options are the command-line flags.
type options struct {
	kubeconfig   string
	assets       string
	crds         string
	startTimeout time.Duration
	attach       bool
}

func defaultAssets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join("bin", "k8s", fmt.Sprintf("%s-%s-%s", k8sVersion, runtime.GOOS, runtime.GOARCH))
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("devenv", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "where to write the admin kubeconfig (required)")
	fs.StringVar(&o.assets, "assets", defaultAssets(),
		"folder holding kube-apiserver, etcd and kubectl (default: $KUBEBUILDER_ASSETS, else bin/k8s/<version>-<os>-<arch>)")
	fs.StringVar(&o.crds, "crds", filepath.Join("config", "crd", "bases"), "folder of CustomResourceDefinition manifests to install")
	fs.DurationVar(&o.startTimeout, "start-timeout", time.Minute, "how long etcd and kube-apiserver may each take to start")
	fs.BoolVar(&o.attach, "attach-output", false, "copy the output of etcd and kube-apiserver to stderr")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.kubeconfig == "" {
		return o, errors.New("--kubeconfig is required")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(o.assets, bin)); err != nil {
			return o, fmt.Errorf("%s not found in %s (run `make envtest`, or point --assets or KUBEBUILDER_ASSETS at the binaries): %w",
				bin, o.assets, err)
		}
	}
	if _, err := os.Stat(o.crds); err != nil {
		return o, fmt.Errorf("CRD folder: %w", err)
	}
	return o, nil
}

// run starts the control plane, writes the kubeconfig, reports it on stdout and
// blocks until ctx is done; then it stops everything it started.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logf.SetLogger(zap.New(zap.WriteTo(stderr)))

	// Explicit paths: envtest would otherwise prefer $KUBEBUILDER_ASSETS to --assets.
	env := &envtest.Environment{
		ControlPlane: envtest.ControlPlane{
			APIServer:   &envtest.APIServer{Path: filepath.Join(o.assets, "kube-apiserver")},
			Etcd:        &envtest.Etcd{Path: filepath.Join(o.assets, "etcd")},
			KubectlPath: filepath.Join(o.assets, "kubectl"),
		},
		CRDDirectoryPaths:        []string{o.crds},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: o.startTimeout,
		ControlPlaneStopTimeout:  30 * time.Second,
		AttachControlPlaneOutput: o.attach,
	}
	say(stderr, "devenv: starting etcd and kube-apiserver from %s", o.assets)
	start := time.Now()
	cfg, startErr := env.Start()
	// Stop whatever did start, also after a failed or interrupted start.
	defer func() {
		say(stderr, "devenv: stopping kube-apiserver and etcd")
		if stopErr := env.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the control plane: %w", stopErr))
			return
		}
		say(stderr, "devenv: stopped")
	}()
	if startErr != nil {
		return fmt.Errorf("starting the control plane: %w", startErr)
	}
	if ctx.Err() != nil {
		return nil
	}

	if err := writeKubeconfig(o.kubeconfig, cfg); err != nil {
		return err
	}
	defer func() {
		//nolint:gosec // G703: the path is the --kubeconfig flag of the person running this
		if rmErr := os.Remove(o.kubeconfig); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
	}()
	abs, err := filepath.Abs(o.kubeconfig)
	if err != nil {
		return err
	}
	say(stderr, "devenv: control plane ready at %s in %s, %d CRDs installed",
		cfg.Host, time.Since(start).Round(100*time.Millisecond), len(env.CRDs))
	if _, err := fmt.Fprintf(stdout, "KUBECONFIG=%s\n", abs); err != nil {
		return err
	}

	<-ctx.Done()
	return nil
}

// kubeconfigFor renders an admin kubeconfig for cfg with every credential
// embedded (the control plane's certificate folder is temporary).
func kubeconfigFor(cfg *rest.Config) ([]byte, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[contextName] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[contextName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	kc.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	kc.CurrentContext = contextName
	return clientcmd.Write(*kc)
}

// writeKubeconfig writes the kubeconfig atomically, readable by its owner only, so
// that a reader never sees half a file.
func writeKubeconfig(path string, cfg *rest.Config) error {
	data, err := kubeconfigFor(cfg)
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kubeconfig-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close() //nolint:errcheck,gosec // the write error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
