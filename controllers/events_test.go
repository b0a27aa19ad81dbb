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
	"net/http"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// sentRequest is what contentTypeRecorder saw of one request to the API server.
type sentRequest struct {
	method, path, contentType, accept string
}

// contentTypeRecorder records the method, path and content types of every request that
// goes through it.
type contentTypeRecorder struct {
	mu       sync.Mutex
	requests []sentRequest
}

func (c *contentTypeRecorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		c.mu.Lock()
		c.requests = append(c.requests, sentRequest{
			method: req.Method, path: req.URL.Path, contentType: req.Header.Get("Content-Type"), accept: req.Header.Get("Accept"),
		})
		c.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

// matching returns the recorded requests with method whose path contains every part.
func (c *contentTypeRecorder) matching(method string, parts ...string) []sentRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []sentRequest
	for _, r := range c.requests {
		if r.method != method {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(r.path, p)
		}
		if all {
			out = append(out, r)
		}
	}
	return out
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// The manager's Event recorder (controller-runtime's, on client-go's typed events.k8s.io/v1
// client) sends protobuf without any setting: client-go's generated clients prefer protobuf
// for built-in kinds when rest.Config.ContentType is empty, and controller-runtime's client
// does the same for built-in kinds only. This spec keeps it so: a ContentType set on the
// manager's rest.Config (JSON, say) would turn the Event creates into JSON and fail it.
var _ = Describe("Events over protobuf", Label("events"), func() {
	It("creates Events as protobuf and patches ConversationControls as JSON, with the same Events", func() {
		const partition = "content-types"
		seen := &contentTypeRecorder{}
		restCfg := rest.CopyConfig(cfg)
		restCfg.Wrap(seen.wrap)
		m := startManager(suiteCtx, restCfg, partition, partition, suiteOptions, prometheus.NewRegistry(), nil)
		DeferCleanup(m.stop)

		e := newEnvFor(partition)
		cc := e.control("pass", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		create(cc)
		waitReady(cc)

		By("the handoff's Event is there as before")
		var handoff eventsv1.Event
		Eventually(func(g Gomega) {
			var list eventsv1.EventList
			g.Expect(k8sClient.List(suiteCtx, &list, client.InNamespace(e.ns))).To(Succeed())
			found := false
			for _, ev := range list.Items {
				if ev.Regarding.Name == cc.Name && ev.Reason == sbv1.EventReasonHandoffApplied {
					handoff, found = ev, true
				}
			}
			g.Expect(found).To(BeTrue(), "a %s Event about %s", sbv1.EventReasonHandoffApplied, cc.Name)
		}).Should(Succeed())
		Expect(handoff.ReportingController).To(Equal(FieldOwner))
		Expect(handoff.ReportingInstance).To(HavePrefix(FieldOwner + "-"))
		Expect(handoff.Type).To(Equal("Normal"))
		Expect(handoff.Regarding.Kind).To(Equal("ConversationControl"))
		Expect(handoff.Note).NotTo(BeEmpty())

		By("the Event was created over protobuf")
		creates := seen.matching(http.MethodPost, "/apis/events.k8s.io/v1/namespaces/"+e.ns+"/events")
		Expect(creates).NotTo(BeEmpty(), "the manager created the Events of its namespace")
		for _, r := range creates {
			Expect(r.contentType).To(Equal("application/vnd.kubernetes.protobuf"), "Event create %s", r.path)
			Expect(r.accept).To(HavePrefix("application/vnd.kubernetes.protobuf"), "Event create %s", r.path)
		}

		By("the ConversationControl's status patches stayed JSON")
		patches := seen.matching(http.MethodPatch, "/namespaces/"+e.ns+"/conversationcontrols/"+cc.Name+"/status")
		Expect(patches).NotTo(BeEmpty(), "the manager patched the status")
		for _, r := range patches {
			Expect(r.contentType).To(Equal("application/merge-patch+json"), "status patch %s", r.path)
			Expect(r.accept).To(HavePrefix("application/json"), "status patch %s", r.path)
		}
		Expect(seen.matching(http.MethodGet, "conversationcontrols")).To(HaveEach(
			WithTransform(func(r sentRequest) string { return r.accept }, Not(ContainSubstring("protobuf")))),
			"ConversationControls are read as JSON")
	})
})
