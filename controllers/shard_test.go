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
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// shardManager is a manager built as main.go builds it from ManagerOptions, whose client
// records the reconciles of ConversationControls: every reconcile begins with a Get of its
// object.
type shardManager struct {
	*runningManager

	mu         sync.Mutex
	reconciled map[client.ObjectKey]int
	firstAt    time.Time // the first reconcile's start
}

// startShardManager starts a manager with the given ManagerOptions (selector, shard,
// warm-up) applied as main.go applies them; edit may change the manager's options further
// (leader election). It stops when the spec ends.
func startShardManager(name string, shard ManagerOptions, edit func(*ctrl.Options)) *shardManager {
	opts := ctrl.Options{
		Scheme:     testScheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptrTo(true)},
		Client:     client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	}
	Expect(shard.ApplyTo(&opts)).To(Succeed())
	if edit != nil {
		edit(&opts)
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	Expect(err).NotTo(HaveOccurred())
	s := &shardManager{reconciled: map[client.ObjectKey]int{}}
	reg := prometheus.NewRegistry()
	err = Setup(mgr, suiteOptions, Dependencies{
		Connector: &SecretConnector{Reader: mgr.GetAPIReader(), AllowedHosts: suiteOptions.AllowedEndpointHosts,
			Metrics: sunshine.NewMetrics(reg), Timeout: suiteOptions.APITimeout},
		Metrics: NewMetrics(reg),
		Client:  interceptor.NewClient(withoutWatch{mgr.GetClient()}, interceptor.Funcs{Get: s.recordGet}),
	})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(suiteCtx)
	s.runningManager = &runningManager{name: name, mgr: mgr, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = mgr.Start(ctx)
	}()
	DeferCleanup(func() {
		select {
		case <-s.done:
		default:
			s.stop()
		}
	})
	return s
}

func (s *shardManager) recordGet(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*sbv1.ConversationControl); ok {
		s.mu.Lock()
		if s.firstAt.IsZero() {
			s.firstAt = time.Now()
		}
		s.reconciled[key]++
		s.mu.Unlock()
	}
	return c.Get(ctx, key, obj, opts...)
}

// reconciledKeys are the ConversationControls this manager reconciled.
func (s *shardManager) reconciledKeys() []client.ObjectKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]client.ObjectKey, 0, len(s.reconciled))
	for k := range s.reconciled {
		keys = append(keys, k)
	}
	return keys
}

func (s *shardManager) firstReconcile() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstAt
}

// cachedNames lists the names of the objects of a kind in the manager's cache.
func (s *shardManager) cachedNames(list client.ObjectList) []string {
	Expect(s.mgr.GetCache().List(suiteCtx, list)).To(Succeed())
	var names []string
	Expect(meta.EachListItem(list, func(o runtime.Object) error {
		acc, err := meta.Accessor(o)
		if err != nil {
			return err
		}
		names = append(names, acc.GetNamespace()+"/"+acc.GetName())
		return nil
	})).To(Succeed())
	return names
}

var _ = Describe("Sharding with --watch-label-selector", func() {
	It("reconciles and caches each object in exactly one of two managers with disjoint selectors", func() {
		shardA := startShardManager("shard-a", ManagerOptions{WatchLabelSelector: testManagerLabel + "=shard-a"}, nil)
		shardB := startShardManager("shard-b", ManagerOptions{WatchLabelSelector: testManagerLabel + "=shard-b"}, nil)

		// Both Switchboards are Ready only if their shard's manager reconciled them.
		envA, envB := newEnvFor("shard-a"), newEnvFor("shard-b")
		objectsA, objectsB := make([]*sbv1.ConversationControl, 0, 3), make([]*sbv1.ConversationControl, 0, 3)
		for i := range 3 {
			objectsA = append(objectsA, envA.control(fmt.Sprintf("a-%d", i), newConversation("bot", ""), sbv1.StateActive, "agent-workspace"))
			objectsB = append(objectsB, envB.control(fmt.Sprintf("b-%d", i), newConversation("bot", ""), sbv1.StateActive, "agent-workspace"))
		}
		for _, cc := range append(append([]*sbv1.ConversationControl{}, objectsA...), objectsB...) {
			create(cc)
		}
		for _, cc := range append(append([]*sbv1.ConversationControl{}, objectsA...), objectsB...) {
			waitReady(cc)
			Expect(liveState(cc.Spec.ConversationID).Active).To(Equal("agent-workspace"))
		}

		keys := func(ccs []*sbv1.ConversationControl) []client.ObjectKey {
			out := make([]client.ObjectKey, 0, len(ccs))
			for _, cc := range ccs {
				out = append(out, client.ObjectKeyFromObject(cc))
			}
			return out
		}
		Expect(shardA.reconciledKeys()).To(ConsistOf(keys(objectsA)), "shard a reconciled exactly its own objects")
		Expect(shardB.reconciledKeys()).To(ConsistOf(keys(objectsB)), "shard b reconciled exactly its own objects")

		names := func(ns string, ccs []*sbv1.ConversationControl) []string {
			out := make([]string, 0, len(ccs))
			for _, cc := range ccs {
				out = append(out, ns+"/"+cc.Name)
			}
			return out
		}
		Expect(shardA.cachedNames(&sbv1.ConversationControlList{})).To(ConsistOf(names(envA.ns, objectsA)), "shard a caches only its own")
		Expect(shardB.cachedNames(&sbv1.ConversationControlList{})).To(ConsistOf(names(envB.ns, objectsB)), "shard b caches only its own")
		Expect(shardA.cachedNames(&sbv1.SwitchboardList{})).To(ConsistOf(envA.ns + "/" + switchboardNm))
		Expect(shardB.cachedNames(&sbv1.SwitchboardList{})).To(ConsistOf(envB.ns + "/" + switchboardNm))
	})

	It("caches objects without the last-applied annotation and managedFields' fieldsV1, and never removes them on the server", func() {
		shard := startShardManager("transform", ManagerOptions{WatchLabelSelector: testManagerLabel + "=transform"}, nil)
		e := newEnvFor("transform")
		cc := e.control("applied", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		// As `kubectl apply` (client-side) writes it; Release adds the finalizer, a metadata
		// patch of the operator's own.
		cc.Annotations = map[string]string{LastAppliedAnnotation: `{"kind":"ConversationControl","spec":{"state":"Active"}}`}
		cc.Spec.DeletionPolicy = sbv1.DeletionPolicyRelease
		create(cc)
		ready := waitReady(cc)
		Expect(ready.Finalizers).NotTo(BeEmpty(), "the operator patched the object's metadata")

		cached := &sbv1.ConversationControl{}
		Expect(shard.mgr.GetCache().Get(suiteCtx, client.ObjectKeyFromObject(cc), cached)).To(Succeed())
		Expect(cached.Annotations).NotTo(HaveKey(LastAppliedAnnotation))
		Expect(cached.ManagedFields).NotTo(BeEmpty(), "managers and times stay")
		for _, mf := range cached.ManagedFields {
			Expect(mf.FieldsV1).To(BeNil(), "fieldsV1 of %s %s", mf.Manager, mf.Subresource)
		}
		Expect(cached.Finalizers).To(Equal(ready.Finalizers))

		stored := get(cc)
		Expect(stored.Annotations).To(HaveKeyWithValue(LastAppliedAnnotation, cc.Annotations[LastAppliedAnnotation]),
			"the operator's writes kept the annotation on the server")
		for _, mf := range stored.ManagedFields {
			Expect(mf.FieldsV1).NotTo(BeNil(), "the server keeps fieldsV1 of %s", mf.Manager)
		}
		Expect(k8sClient.Delete(suiteCtx, cc)).To(Succeed())
		Eventually(func() bool { return isNotFound(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), cc)) }).Should(BeTrue())
	})
})

// failoverObjects is the number of objects in the failover spec's shard: FAILOVER_OBJECTS,
// else 100.
func failoverObjects() int {
	n, err := strconv.Atoi(os.Getenv("FAILOVER_OBJECTS"))
	if err != nil || n < 1 {
		return 100
	}
	return n
}

var _ = Describe("Failover with --enable-warmup", func() {
	DescribeTable("the follower takes over a shard when the leader stops",
		func(warmup bool) {
			partition := "failover-cold"
			if warmup {
				partition = "failover-warm"
			}
			leaseNs := newNamespace()
			shard := ManagerOptions{WatchLabelSelector: testManagerLabel + "=" + partition, Shard: partition, EnableWarmup: warmup}
			withLeaderElection := func(o *ctrl.Options) {
				o.LeaderElection = true
				o.LeaderElectionNamespace = leaseNs
				o.LeaderElectionReleaseOnCancel = true
				o.LeaseDuration = ptrTo(4 * time.Second)
				o.RenewDeadline = ptrTo(3 * time.Second)
				o.RetryPeriod = ptrTo(100 * time.Millisecond)
				// A read of a kind without an informer fails instead of starting one, so
				// that the spec can tell which informers a follower runs.
				o.Cache.ReaderFailOnMissingInformer = true
			}
			first := startShardManager(partition+"-1", shard, withLeaderElection)
			Eventually(first.mgr.Elected()).Should(BeClosed())
			second := startShardManager(partition+"-2", shard, withLeaderElection)

			e := newEnvFor(partition)
			n := failoverObjects()
			DeferCleanup(func(ctx SpecContext) {
				Expect(k8sClient.DeleteAllOf(ctx, &sbv1.ConversationControl{}, client.InNamespace(e.ns))).To(Succeed())
			})
			Expect(parallelDo(8, n, func(i int) error {
				cc := e.control(fmt.Sprintf("cc-%04d", i), fmt.Sprintf("failover-%s-%04d", partition, i), sbv1.StateActive, "agent-workspace")
				cc.Spec.Suspend = true // no vendor call: the spec is about the cache and the queue
				return k8sClient.Create(suiteCtx, cc)
			})).To(Succeed())
			Eventually(func(g Gomega) {
				var list sbv1.ConversationControlList
				g.Expect(k8sClient.List(suiteCtx, &list, client.InNamespace(e.ns))).To(Succeed())
				done := 0
				for i := range list.Items {
					if c := meta.FindStatusCondition(list.Items[i].Status.Conditions, sbv1.ConditionReady); c != nil && c.Reason == sbv1.ReasonSuspended {
						done++
					}
				}
				g.Expect(done).To(Equal(n))
			}).WithTimeout(2 * time.Minute).Should(Succeed())
			Expect(second.elected()).To(BeFalse())
			Expect(second.reconciledKeys()).To(BeEmpty(), "a follower does not reconcile")

			// Every replica runs the Switchboard informer, warm-up or not: the webhook
			// receiver's field index on Switchboards starts it, since a follower resolves the
			// receiver's paths too.
			Expect(second.mgr.GetCache().List(suiteCtx, &sbv1.SwitchboardList{})).To(Succeed(),
				"the follower's cache holds the Switchboards before the election")

			stopAt := time.Now()
			first.stop()
			Eventually(second.mgr.Elected()).WithTimeout(15 * time.Second).Should(BeClosed())
			Eventually(second.firstReconcile).ShouldNot(BeZero())
			took := second.firstReconcile().Sub(stopAt)
			Eventually(func() int { return len(second.reconciledKeys()) }).WithTimeout(time.Minute).Should(Equal(n),
				"the new leader reconciled every object of the shard")
			AddReportEntry(fmt.Sprintf("failover (warm-up %v, %d objects)", warmup, n),
				fmt.Sprintf("leader stop to the follower's first reconcile: %s", took.Round(time.Millisecond)), ReportEntryVisibilityAlways)
		},
		Entry("without warm-up", false),
		Entry("with warm-up", true),
	)
})

// parallelDo calls f for 0..n-1 from the given number of goroutines and returns the first
// error.
func parallelDo(workers, n int, f func(int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		next  int
		first error
	)
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}
