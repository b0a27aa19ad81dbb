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

package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
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
)

// The suite runs against a real kube-apiserver and etcd (envtest), built from source by
// `make envtest`; `make test` and `make test-soak` point KUBEBUILDER_ASSETS at them. Every
// spec starts managers of its own, each built as main.go builds it
// (controllers.SetupWithManager), handling only the objects labelled for it.

var (
	testEnv    *envtest.Environment
	cfg        *rest.Config
	k8sClient  client.Client // uncached: assertions read what the API server holds
	testScheme = runtime.NewScheme()
	suiteCtx   context.Context
	suiteStop  context.CancelFunc
	suiteLogs  lockedBuffer
)

// suiteOptions are the reconcilers' options in the suite: short intervals so that retries
// and rechecks happen within a spec's time. The simulator listens on a loopback address,
// which the operator refuses unless it is listed.
var suiteOptions = controllers.Options{
	MaxConcurrentReconciles:            4,
	MaxConcurrentSwitchboardReconciles: 4,
	ReconcileTimeout:                   10 * time.Second,
	AllowedEndpointHosts:               controllers.MustHostAllowList("127.0.0.1", "localhost"),
	APITimeout:                         2 * time.Second,
	DeletionTimeout:                    4 * time.Second,
	SecretCheckInterval:                time.Second,
	SwitchboardRetryInterval:           time.Second,
	RetryBaseDelay:                     50 * time.Millisecond,
	RetryMaxDelay:                      time.Second,
}

// TestSoak runs the suite. The logger is set before anything starts: controller-runtime
// falls back for good to a logger that drops everything when none is set within 30 s.
func TestSoak(t *testing.T) {
	logf.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, &suiteLogs)), zap.UseDevMode(true)))
	ctrl.SetLogger(logf.Log)
	RegisterFailHandler(Fail)
	RunSpecs(t, "Soak Suite")
}

var _ = BeforeSuite(func() {
	suiteCtx, suiteStop = context.WithCancel(context.Background())
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(100 * time.Millisecond)

	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		Fail("KUBEBUILDER_ASSETS is not set: run the soak with `make test` or `make test-soak`, which build the envtest binaries (`make envtest`) and set it")
	}
	utilruntime.Must(clientgoscheme.AddToScheme(testScheme))
	utilruntime.Must(sbv1.AddToScheme(testScheme))

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                testScheme,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: testScheme})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if k8sClient != nil {
		expectNoSecretLeaked()
	}
	if suiteStop != nil {
		suiteStop()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// testManagerLabel partitions the suite's objects between managers: a manager handles
// only the objects whose label has its partition's value.
const testManagerLabel = "test.switchboard.conversations.dev/manager"

// runningManager is a manager started by runManager.
type runningManager struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error // what Start returned; read after done is closed
}

// runManager starts a manager named name with both reconcilers, built as main.go builds
// them (controllers.SetupWithManager, with a metrics registry of its own), for the objects
// labelled testManagerLabel=partition, and stops it when the spec ends.
func runManager(name, partition string, opts controllers.Options) *runningManager {
	selector := labels.SelectorFromSet(labels.Set{testManagerLabel: partition})
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  testScheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		// Managers started one after the other in one process register controllers of
		// the same names.
		Controller: config.Controller{SkipNameValidation: ptrTo(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&sbv1.ConversationControl{}: {Label: selector},
			&sbv1.Switchboard{}:         {Label: selector},
		}},
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(controllers.SetupWithManager(mgr, opts, prometheus.NewRegistry())).To(Succeed())
	ctx, cancel := context.WithCancel(suiteCtx)
	m := &runningManager{name: name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.err = mgr.Start(ctx)
	}()
	DeferCleanup(m.stop)
	return m
}

// stop stops the manager and waits until every reconcile has returned (a restart must not
// overlap the old manager). Stopping a stopped manager returns at once.
func (m *runningManager) stop() {
	m.cancel()
	Eventually(m.done).WithTimeout(40*time.Second).Should(BeClosed(), "manager %s stopped", m.name)
	Expect(m.err).NotTo(HaveOccurred(), "manager %s", m.name)
}

func ptrTo[T any](v T) *T { return &v }

// newNamespace creates a namespace of its own for one spec and deletes it afterwards.
// envtest runs no namespace controller, so the namespace never finishes terminating;
// specs delete the objects they create themselves.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "sb-soak-"}}
	Expect(k8sClient.Create(suiteCtx, ns)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ns))).To(Succeed())
	})
	return ns.Name
}

// createAndCleanUp creates obj and deletes it when the spec ends.
func createAndCleanUp(obj client.Object) {
	Expect(k8sClient.Create(suiteCtx, obj)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
	})
}

// createReadySwitchboard creates the Secret and a Basic-auth Switchboard for the
// simulator at endpoint in ns, labelled for the manager of partition, and waits until the
// Switchboard is Ready.
func createReadySwitchboard(ns, endpoint, partition string, limit sbv1.RateLimit) {
	createAndCleanUp(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: ns},
		StringData: map[string]string{controllers.SecretKeyID: testKeyID, controllers.SecretKeySecret: testSecret},
	})
	sb := &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: switchboardName, Namespace: ns, Labels: map[string]string{testManagerLabel: partition}},
		Spec: sbv1.SwitchboardSpec{
			Endpoint:  endpoint,
			AppID:     testAppID,
			Auth:      sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: secretName}},
			RateLimit: limit,
		},
	}
	createAndCleanUp(sb)
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), sb)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady)).To(BeTrue(), "Switchboard Ready: %v", sb.Status.Conditions)
	}).Should(Succeed())
}

// control builds a ConversationControl in ns for the manager of partition.
func control(ns, partition, name, conv string, state sbv1.ControlState, integration string) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{testManagerLabel: partition}},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: switchboardName},
			ConversationID: conv,
			State:          state,
			Integration:    integration,
			PollInterval:   &metav1.Duration{Duration: time.Hour},
		},
	}
}

// create creates obj and deletes it (and waits for it to go) when the spec ends.
func create(obj client.Object) {
	Expect(k8sClient.Create(suiteCtx, obj)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		}).WithTimeout(20 * time.Second).Should(Satisfy(apierrors.IsNotFound))
	})
}

// deleteAndWait deletes obj and waits until it is gone.
func deleteAndWait(obj client.Object, within time.Duration) {
	Expect(k8sClient.Delete(suiteCtx, obj)).To(Succeed())
	Eventually(func() error {
		return k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(obj), obj)
	}).WithTimeout(within).Should(Satisfy(apierrors.IsNotFound))
}

// waitReady waits until the current generation is finished and Ready=True.
func waitReady(cc *sbv1.ConversationControl) *sbv1.ConversationControl {
	var out *sbv1.ConversationControl
	Eventually(func(g Gomega) {
		out = &sbv1.ConversationControl{}
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), out)).To(Succeed())
		g.Expect(out.Status.ObservedGeneration).To(Equal(out.Generation))
		ready := meta.FindStatusCondition(out.Status.Conditions, sbv1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", ready.Reason, ready.Message)
		g.Expect(ready.ObservedGeneration).To(Equal(out.Generation))
	}).Should(Succeed())
	Expect(kstatusOf(out)).To(Equal(status.CurrentStatus), "kstatus (Flux) sees a Ready object as Current")
	return out
}

// kstatusOf computes what kstatus (Flux's health checks) reports for obj.
func kstatusOf(obj runtime.Object) status.Status {
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: raw})
	Expect(err).NotTo(HaveOccurred())
	return res.Status
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
