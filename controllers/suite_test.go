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

package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/watch"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// These specs run against a real kube-apiserver and etcd (envtest), built from source
// by `make envtest`; `make test` points KUBEBUILDER_ASSETS at them.

var (
	testEnv    *envtest.Environment
	cfg        *rest.Config
	k8sClient  client.Client // uncached: assertions read what the API server holds
	testScheme = runtime.NewScheme()
	suiteCtx   context.Context
	suiteStop  context.CancelFunc

	// sim is the switchboard simulator the operator talks to; reset before every spec.
	sim *sunshinetest.Server
	// mainManager is the suite's main manager.
	mainManager *runningManager
	// suiteMetrics is the registry the manager's metrics go to.
	suiteMetrics = prometheus.NewRegistry()
)

// suiteOptions are the reconcilers' options in the suite: short intervals so that retries
// and rechecks happen within a spec's time.
// The simulator listens on a loopback address, which the operator refuses unless it is
// listed.
var suiteOptions = Options{
	MaxConcurrentReconciles:            4,
	MaxConcurrentSwitchboardReconciles: 4,
	ReconcileTimeout:                   10 * time.Second,
	AllowedEndpointHosts:               MustHostAllowList("127.0.0.1", "localhost"),
	APITimeout:                         2 * time.Second,
	DeletionTimeout:                    4 * time.Second,
	SecretCheckInterval:                time.Second,
	SwitchboardRetryInterval:           time.Second,
	RetryBaseDelay:                     50 * time.Millisecond,
	RetryMaxDelay:                      time.Second,
	ReceiverBindAddress:                "127.0.0.1:0",
	WebhookReadBackWait:                2 * time.Second,
}

// TestMain sets the suite's logger before any test runs: controller-runtime falls back for
// good to a logger that drops everything when none is set within 30 s of start, and the
// model-based test runs before the envtest suite.
func TestMain(m *testing.M) {
	logf.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, &suiteLogs)), zap.UseDevMode(true)))
	os.Exit(m.Run())
}

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers Suite")
}

var _ = BeforeSuite(func() {
	suiteCtx, suiteStop = context.WithCancel(context.Background())
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(100 * time.Millisecond)

	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		Fail("KUBEBUILDER_ASSETS is not set: run the suite with `make test`, which builds the envtest binaries (`make envtest`) and sets it")
	}

	utilruntime.Must(clientgoscheme.AddToScheme(testScheme))
	utilruntime.Must(sbv1.AddToScheme(testScheme))

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                testScheme,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	Expect(cfg).NotTo(BeNil())

	k8sClient, err = client.New(cfg, client.Options{Scheme: testScheme})
	Expect(err).NotTo(HaveOccurred())
	ctrl.SetLogger(logf.Log)

	sim, err = sunshinetest.NewServer(testSeed(), sunshinetest.WithWebhookTimeScale(0.001))
	Expect(err).NotTo(HaveOccurred())

	mainManager = startManager(suiteCtx, cfg, "main", "", suiteOptions, suiteMetrics, nil)
})

// testManagerLabel partitions the suite's objects between managers: the suite's main
// manager handles objects without it; a spec that runs managers of its own (restarts,
// leader election, least privilege) labels its objects with a value of its own.
const testManagerLabel = "test.switchboard.conversations.dev/manager"

// startManager starts a manager named name with both reconcilers on restCfg, handling
// the objects whose testManagerLabel equals partition ("" for unlabelled objects), until
// ctx ends or its stop is called. reg must be a registry of its own (NewMetrics registers
// once per registry); edit may change the manager's options (leader election, say).
// managerClock, when set, is the clock of the managers startManager starts (a spec sets it
// around its own runManager call).
var managerClock func() time.Time

func startManager(ctx context.Context, restCfg *rest.Config, name, partition string, opts Options, reg *prometheus.Registry,
	edit func(*ctrl.Options)) *runningManager {
	selector := labels.NewSelector()
	if partition == "" {
		req, err := labels.NewRequirement(testManagerLabel, selection.DoesNotExist, nil)
		Expect(err).NotTo(HaveOccurred())
		selector = selector.Add(*req)
	} else {
		selector = labels.SelectorFromSet(labels.Set{testManagerLabel: partition})
	}
	mgrOpts := ctrl.Options{
		Scheme:     testScheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptrTo(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&sbv1.ConversationControl{}: {Label: selector},
			&sbv1.Switchboard{}:         {Label: selector},
		}},
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	}
	if edit != nil {
		edit(&mgrOpts)
	}
	mgr, err := ctrl.NewManager(restCfg, mgrOpts)
	Expect(err).NotTo(HaveOccurred())
	hooks := &Webhooks{}
	err = Setup(mgr, opts, Dependencies{ //nolint:contextcheck // indexes are registered before the manager starts, outside any request
		Connector: &SecretConnector{Reader: mgr.GetAPIReader(), AllowedHosts: opts.AllowedEndpointHosts,
			Metrics: sunshine.NewMetrics(reg), Timeout: opts.APITimeout},
		Metrics:         NewMetrics(reg),
		Now:             managerClock,
		Client:          interceptor.NewClient(withoutWatch{mgr.GetClient()}, interceptor.Funcs{SubResourcePatch: injectedPatchFault}),
		ReceiverMetrics: receiver.NewMetrics(reg),
		Webhooks:        hooks,
	})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(ctx)
	m := &runningManager{name: name, mgr: mgr, cancel: cancel, done: make(chan struct{}), webhooks: hooks, metrics: reg}
	go func() {
		defer close(m.done)
		m.err = mgr.Start(ctx)
	}()
	return m
}

// runningManager is a manager started by startManager.
type runningManager struct {
	name   string
	mgr    ctrl.Manager
	cancel context.CancelFunc
	done   chan struct{}
	err    error // what Start returned; read after done is closed
	// webhooks are the manager's receiver and observations; metrics its registry.
	webhooks *Webhooks
	metrics  *prometheus.Registry
}

// stop stops the manager and waits until every reconcile has returned (a restart must not
// overlap the old manager).
func (m *runningManager) stop() {
	m.cancel()
	Eventually(m.done).WithTimeout(40*time.Second).Should(BeClosed(), "manager %s stopped", m.name)
	Expect(m.err).NotTo(HaveOccurred(), "manager %s", m.name)
}

// elected tells whether the manager leads.
func (m *runningManager) elected() bool {
	select {
	case <-m.mgr.Elected():
		return true
	default:
		return false
	}
}

var _ = AfterSuite(func() {
	if k8sClient != nil {
		expectNoSecretLeaked()
	}
	if mainManager != nil {
		mainManager.stop()
	}
	if suiteStop != nil {
		suiteStop()
	}
	if sim != nil {
		sim.Close()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// newNamespace creates a namespace of its own for one spec and deletes it afterwards.
// envtest runs no namespace controller, so the namespace never finishes terminating;
// specs delete the objects they create themselves.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "sb-test-"}}
	Expect(k8sClient.Create(suiteCtx, ns)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ns))).To(Succeed())
	})
	return ns.Name
}

func ptrTo[T any](v T) *T { return &v }

// statusPatchFault, when set, decides whether the reconcilers' next status patch of an
// object fails, to simulate a crash between an API call and the status write.
var statusPatchFault atomic.Pointer[func(obj client.Object, patch []byte) bool]

func injectedPatchFault(ctx context.Context, c client.Client, subResource string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if hook := statusPatchFault.Load(); hook != nil {
		data, err := patch.Data(obj)
		if err == nil && (*hook)(obj, data) {
			return errors.New("injected: the operator stopped before writing status")
		}
	}
	return c.SubResource(subResource).Patch(ctx, obj, patch, opts...)
}

// withoutWatch adapts the manager's client to what the interceptor wraps; the reconcilers
// never call Watch.
type withoutWatch struct{ client.Client }

func (withoutWatch) Watch(context.Context, client.ObjectList, ...client.ListOption) (watch.Interface, error) {
	return nil, errors.New("watch is not supported here")
}

// lockedBuffer collects the suite's logs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var suiteLogs lockedBuffer

// expectNoSecretLeaked checks that the recognisable secret of the suite's API key appears
// in no log line, Event, condition or status written during the whole suite.
func expectNoSecretLeaked() {
	Expect(suiteLogs.String()).NotTo(BeEmpty(), "the suite's logs were collected")
	Expect(suiteLogs.String()).NotTo(ContainSubstring(testSecret), "the secret is in the manager's logs")
	for _, list := range []client.ObjectList{&eventsv1.EventList{}, &corev1.EventList{},
		&sbv1.ConversationControlList{}, &sbv1.SwitchboardList{}} {
		Expect(k8sClient.List(context.Background(), list)).To(Succeed())
		data, err := json.Marshal(list)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring(testSecret), "the secret is in a %T", list)
	}
}
