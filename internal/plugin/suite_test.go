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

package plugin

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The golden tests run every command in process against a real kube-apiserver and etcd
// (envtest), the real operator (controllers.SetupWithManager) and the switchboard
// simulator, so that a handoff really reaches Ready. `make test` sets KUBEBUILDER_ASSETS.

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the commands' output")

const (
	testAppID   = "app-plugin"
	testKeyID   = "app_plugin_key"
	testSecret  = "plugin-s3cr3t-never-printed"
	switchboard = "acme"
	// staticLabel marks objects the test operator does not watch: tests write their status
	// themselves (a Stalled object, a drifted one, a history).
	staticLabel = "test.switchboard.conversations.dev/static"
)

// world is the suite's cluster, operator and simulator, started by the first test that
// needs them and stopped by TestMain.
type world struct {
	env        *envtest.Environment
	cfg        *rest.Config
	k8s        client.Client // uncached
	sim        *sunshinetest.Server
	kubeconfig string // current context: the cluster, namespace default
	stop       context.CancelFunc
	done       chan error
}

var (
	suite     *world
	suiteErr  error
	suiteOnce sync.Once
	suiteLogs bytes.Buffer
)

func TestMain(m *testing.M) {
	flag.Parse()
	logf.SetLogger(zap.New(zap.WriteTo(&lockedWriter{w: &suiteLogs}), zap.UseDevMode(true)))
	code := m.Run()
	if suite != nil {
		suite.stop()
		if err := <-suite.done; err != nil {
			fmt.Fprintln(os.Stderr, "the operator stopped with:", err)
			code = 1
		}
		suite.sim.Close()
		if err := suite.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
		if strings.Contains(suiteLogs.String(), testSecret) {
			fmt.Fprintln(os.Stderr, "the API key's secret is in the operator's logs")
			code = 1
		}
		_ = os.RemoveAll(filepath.Dir(suite.kubeconfig))
	}
	os.Exit(code)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// cluster returns the suite's world, starting it on first use.
func cluster(t *testing.T) *world {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run with `make test`, which builds the envtest binaries (`make envtest`) and sets it")
	}
	suiteOnce.Do(func() { suite, suiteErr = startWorld() })
	if suiteErr != nil {
		t.Fatalf("starting envtest, the operator and the simulator: %v", suiteErr)
	}
	return suite
}

func startWorld() (*world, error) {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(sbv1.AddToScheme(s))
	w := &world{env: &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                s,
	}}
	cfg, err := w.env.Start()
	if err != nil {
		return nil, err
	}
	w.cfg = cfg
	if w.k8s, err = client.New(cfg, client.Options{Scheme: s}); err != nil {
		return nil, err
	}
	if w.sim, err = sunshinetest.NewServer(simSeed()); err != nil {
		return nil, err
	}
	if w.kubeconfig, err = writeKubeconfig(cfg, ""); err != nil {
		return nil, err
	}
	notStatic, err := labels.NewRequirement(staticLabel, selection.DoesNotExist, nil)
	if err != nil {
		return nil, err
	}
	selector := labels.NewSelector().Add(*notStatic)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     s,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&sbv1.ConversationControl{}: {Label: selector},
			&sbv1.Switchboard{}:         {Label: selector},
		}},
	})
	if err != nil {
		return nil, err
	}
	opts := controllers.DefaultOptions()
	opts.AllowedEndpointHosts = controllers.MustHostAllowList("127.0.0.1", "localhost")
	opts.APITimeout = 2 * time.Second
	opts.ReconcileTimeout = 10 * time.Second
	opts.SecretCheckInterval = time.Second
	opts.SwitchboardRetryInterval = time.Second
	opts.RetryBaseDelay = 50 * time.Millisecond
	opts.RetryMaxDelay = time.Second
	if err := controllers.SetupWithManager(mgr, opts, nil); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan error, 1)
	go func() { w.done <- mgr.Start(ctx) }()
	return w, nil
}

func ptr[T any](v T) *T { return &v }

// simSeed is the simulator's world: one app with a bot, the Agent Workspace and a
// partner system, with fixed ids so that golden files are stable.
func simSeed() sunshinetest.Seed {
	return sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{
		ID:   testAppID,
		Keys: []sunshinetest.KeySeed{{ID: testKeyID, Secret: testSecret, Scope: sunshinetest.ScopeApp}},
		Switchboard: &sunshinetest.SwitchboardSeed{
			ID: "sb-plugin", Enabled: true, Default: "bot",
			Integrations: []sunshinetest.IntegrationSeed{
				{ID: "si-bot", Name: "bot", IntegrationType: "custom", Next: "agent-workspace"},
				{ID: "si-aw", Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
				{ID: "si-partner", Name: "partner", IntegrationType: "partner-oauth-client"},
			},
		},
	}}}
}

// writeKubeconfig writes a kubeconfig for cfg with two contexts: envtest (current, no
// namespace) and work (namespace ns).
func writeKubeconfig(cfg *rest.Config, ns string) (string, error) {
	dir, err := os.MkdirTemp("", "kubectl-switchboard-test-")
	if err != nil {
		return "", err
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.Contexts["work"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin", Namespace: ns}
	kc.CurrentContext = "envtest"
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*kc, path)
}

// newNamespace creates a namespace of its own for one test, with the Secret and the
// Switchboard acme for the simulator, and waits for the Switchboard to be Ready.
func (w *world) newNamespace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plugin-"}}
	if err := w.k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	w.create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sunshine-key", Namespace: ns.Name},
		StringData: map[string]string{controllers.SecretKeyID: testKeyID, controllers.SecretKeySecret: testSecret},
	})
	w.newSwitchboard(t, ns.Name, switchboard)
	return ns.Name
}

// newSwitchboard creates a Ready Switchboard named name in ns.
func (w *world) newSwitchboard(t *testing.T, ns, name string) {
	t.Helper()
	sb := &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: sbv1.SwitchboardSpec{
			Endpoint: w.sim.URL, AppID: testAppID,
			Auth:      sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: "sunshine-key"}},
			RateLimit: sbv1.RateLimit{RequestsPerSecond: 100, Burst: 100},
		},
	}
	w.create(t, sb)
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(w.k8s.Get(context.Background(), client.ObjectKeyFromObject(sb), sb)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady)).To(BeTrue(), "Switchboard Ready: %v", sb.Status.Conditions)
	}).WithTimeout(30 * time.Second).Should(Succeed())
}

// create creates obj and deletes it when the test ends (envtest runs no garbage
// collector).
func (w *world) create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := w.k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
	t.Cleanup(func() { w.cleanUp(t, obj) })
}

func (w *world) cleanUp(t *testing.T, obj client.Object) {
	if err := client.IgnoreNotFound(w.k8s.Delete(context.Background(), obj)); err != nil {
		t.Errorf("deleting %s: %v", obj.GetName(), err)
	}
}

// cleanUpControls deletes the namespace's ConversationControls when the test ends (the
// ones the plugin created).
func (w *world) cleanUpControls(t *testing.T, ns string) {
	t.Cleanup(func() {
		if err := w.k8s.DeleteAllOf(context.Background(), &sbv1.ConversationControl{}, client.InNamespace(ns)); err != nil {
			t.Errorf("deleting the ConversationControls of %s: %v", ns, err)
		}
		NewWithT(t).Eventually(func() ([]sbv1.ConversationControl, error) {
			var list sbv1.ConversationControlList
			err := w.k8s.List(context.Background(), &list, client.InNamespace(ns))
			return list.Items, err
		}).WithTimeout(30 * time.Second).Should(BeEmpty())
	})
}

// conversation creates (or moves) a conversation in the simulator that the bot controls,
// with nothing pending.
func (w *world) conversation(t *testing.T, id string) {
	t.Helper()
	if err := w.sim.SetConversation(testAppID, id, sunshinetest.ConversationState{Active: "bot"}); err != nil {
		t.Fatal(err)
	}
}

// live is the simulator's state of a conversation.
func (w *world) live(t *testing.T, id string) sunshinetest.ConversationState {
	t.Helper()
	st, ok := w.sim.Conversation(testAppID, id)
	if !ok {
		t.Fatalf("conversation %s is not in the simulator", id)
	}
	return st
}

// result is what one run of the command left.
type result struct {
	args           []string
	stdout, stderr string
	err            error
}

// run runs `kubectl switchboard args...` in process with the suite's kubeconfig.
func (w *world) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	o := newOptions(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	o.age = func(time.Time) string { return "<age>" }
	o.pollInterval = 50 * time.Millisecond
	cmd := newRootCommand(o)
	cmd.SetArgs(append([]string{"--kubeconfig", w.kubeconfig}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	r := result{args: args, stdout: out.String(), stderr: errOut.String(), err: err}
	if strings.Contains(r.stdout+r.stderr+fmt.Sprint(err), testSecret) {
		t.Errorf("the API key's secret is in the output of %v", args)
	}
	return r
}

// mustRun runs the command and fails the test when it fails.
func (w *world) mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := w.run(t, args...)
	if r.err != nil {
		t.Fatalf("kubectl switchboard %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}

// transcript is a run as a golden file shows it.
func (r result) transcript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ kubectl switchboard %s\n", strings.Join(r.args, " "))
	b.WriteString(r.stdout)
	if r.stderr != "" {
		b.WriteString("[stderr]\n" + r.stderr)
	}
	if r.err != nil {
		fmt.Fprintf(&b, "[error] %v\n", r.err)
	}
	return b.String()
}

var (
	rfc3339        = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})(-1)?`)
	uidLine        = regexp.MustCompile(`("?uid"?: )"?[0-9a-f-]{36}"?`)
	rvLine         = regexp.MustCompile(`("?resourceVersion"?: )"?\d+"?`)
	hashLine       = regexp.MustCompile(`("?credentialsHash"?: )"?[0-9a-f]{16,}"?`)
	simAddress     = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	kubeconfigPath = regexp.MustCompile(`\S*/kubectl-switchboard-test-\d+/kubeconfig`)
)

// golden compares the transcripts of runs, with the namespaces (ns, several separated by
// |) and times normalised,
// with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, ns string, runs ...result) {
	t.Helper()
	var b strings.Builder
	for i, r := range runs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(r.transcript())
	}
	got := b.String()
	if ns != "" {
		for i, n := range strings.Split(ns, "|") {
			got = strings.ReplaceAll(got, n, "NAMESPACE"+strings.Repeat("2", min(i, 1)))
		}
	}
	got = rfc3339.ReplaceAllString(got, "TIME")
	got = uidLine.ReplaceAllString(got, "${1}UID")
	got = rvLine.ReplaceAllString(got, "${1}RV")
	got = hashLine.ReplaceAllString(got, "${1}HASH")
	got = simAddress.ReplaceAllString(got, "http://SIMULATOR")
	got = kubeconfigPath.ReplaceAllString(got, "KUBECONFIG")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to write it): %v", path, err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
