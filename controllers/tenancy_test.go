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
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// countingServer is an HTTP server on addr that counts the connections it accepts and
// answers every request with handler.
func countingServer(addr string, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	l, err := net.Listen("tcp", addr)
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewUnstartedServer(handler)
	Expect(srv.Listener.Close()).To(Succeed())
	srv.Listener = l
	var connections atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			connections.Add(1)
		}
	}
	srv.Start()
	return srv, &connections
}

// hangingServer accepts requests and never answers them, until the spec ends.
func hangingServer() *httptest.Server {
	release := make(chan struct{})
	srv, _ := countingServer("127.0.0.1:0", func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	DeferCleanup(func() {
		close(release)
		srv.Close()
	})
	return srv
}

// switchboardOn creates a Switchboard named name in ns on endpoint, with the Secret
// secretName (created by the caller), deleted when the spec ends.
func switchboardOn(ns, name, endpoint string, limit sbv1.RateLimit) *sbv1.Switchboard {
	return switchboardWithSecret(ns, name, endpoint, secretName, limit, nil)
}

// switchboardWithSecret is switchboardOn with the Secret named secret and labels.
func switchboardWithSecret(ns, name, endpoint, secret string, limit sbv1.RateLimit, labels map[string]string) *sbv1.Switchboard {
	sb := &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: sbv1.SwitchboardSpec{
			Endpoint:  endpoint,
			AppID:     testAppID,
			Auth:      sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: secret}},
			RateLimit: limit,
		},
	}
	Expect(createAndCleanUp(sb)).To(Succeed())
	return sb
}

var _ = Describe("Endpoint allow-list", func() {
	It("stalls a Switchboard whose endpoint host is not listed, without a connection to it", func() {
		sim.Reset()
		ns := newNamespace()
		createSecret(ns, testSecret)
		// 127.0.0.2 is a loopback address the suite does not list (it lists 127.0.0.1 and
		// localhost); on Linux it reaches this server.
		srv, connections := countingServer("127.0.0.2:0", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
		})
		DeferCleanup(srv.Close)
		sb := switchboardOn(ns, switchboardNm, srv.URL, sbv1.RateLimit{})

		stalled := switchboardCondition(sb, sbv1.ConditionStalled, sbv1.ReasonEndpointNotAllowed)
		Expect(meta.FindStatusCondition(stalled.Status.Conditions, sbv1.ConditionStalled).Message).To(ContainSubstring(`"127.0.0.2"`))

		e := env{ns: ns}
		cc := e.control("not-allowed", newConversation("bot", ""), sbv1.StateActive, "agent-workspace")
		create(cc)
		Eventually(func() string {
			if c := condition(get(cc), sbv1.ConditionReady); c != nil {
				return c.Reason
			}
			return ""
		}).Should(Equal(sbv1.ReasonSwitchboardNotReady))
		Consistently(connections.Load).WithTimeout(2*time.Second).Should(BeZero(), "connections to the endpoint")
	})

	It("reads the Secret's values trimmed, and names a missing key", func() {
		sim.Reset()
		ns := newNamespace()
		Expect(createAndCleanUp(&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: ns},
			StringData: map[string]string{SecretKeyID: testKeyID + "\n", SecretKeySecret: "  " + testSecret + "\n"},
		})).To(Succeed())
		trimmed := switchboardOn(ns, "trimmed", sim.URL, sbv1.RateLimit{})
		switchboardCondition(trimmed, sbv1.ConditionReady, sbv1.ReasonSwitchboardReady)

		Expect(createAndCleanUp(&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "no-secret-key", Namespace: ns},
			StringData: map[string]string{SecretKeyID: testKeyID},
		})).To(Succeed())
		incomplete := switchboardWithSecret(ns, "incomplete", sim.URL, "no-secret-key", sbv1.RateLimit{}, nil)
		stalled := switchboardCondition(incomplete, sbv1.ConditionStalled, sbv1.ReasonSecretInvalid)
		Expect(meta.FindStatusCondition(stalled.Status.Conditions, sbv1.ConditionStalled).Message).To(ContainSubstring(`no key "secret"`))
	})

	It("classifies a Secret read that the API server's RBAC refuses as SecretForbidden", func() {
		ns := newNamespace()
		createSecret(ns, testSecret)
		// An identity with no RBAC at all: the API server refuses its get on the Secret.
		restricted := rest.CopyConfig(cfg)
		restricted.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":no-secret-access"}
		reader, err := client.New(restricted, client.Options{Scheme: testScheme})
		Expect(err).NotTo(HaveOccurred())
		connector := &SecretConnector{Reader: reader, AllowedHosts: suiteOptions.AllowedEndpointHosts, Timeout: time.Second}
		sb := &sbv1.Switchboard{
			ObjectMeta: metav1.ObjectMeta{Name: "forbidden", Namespace: ns},
			Spec: sbv1.SwitchboardSpec{Endpoint: sim.URL, AppID: testAppID,
				Auth: sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: secretName}}},
		}
		_, _, err = connector.Connect(suiteCtx, sb, true)
		Expect(err).To(MatchError(ErrSecretForbidden))
		f := classify(err)
		Expect(f.Reason).To(Equal(sbv1.ReasonSecretForbidden))
		Expect(f.Terminal).To(BeTrue())
		Expect(f.Message).NotTo(ContainSubstring(testSecret))
	})
})

var _ = Describe("No starvation", Label("tenancy"), func() {
	It("lets a healthy Switchboard become Ready and its ConversationControl be applied next to hanging and rate-limited tenants", func() {
		sim.Reset()
		// A manager of its own with the default API timeout: one worker would need 20 x 10s
		// per round of the hanging Switchboards, longer than the waits below.
		const partition = "tenancy"
		labels := map[string]string{testManagerLabel: partition}
		opts := suiteOptions
		opts.APITimeout, opts.ReconcileTimeout = DefaultOptions().APITimeout, 15*time.Second
		opts.MaxConcurrentSwitchboardReconciles = DefaultOptions().MaxConcurrentSwitchboardReconciles
		m := startManager(suiteCtx, cfg, partition, partition, opts, prometheus.NewRegistry(), nil)
		DeferCleanup(m.stop)

		By("twenty Switchboards on an endpoint that accepts and never answers")
		hanging := hangingServer()
		hangingNS := newNamespace()
		createSecret(hangingNS, "not-used")
		for i := range 20 {
			switchboardWithSecret(hangingNS, fmt.Sprintf("hanging-%02d", i), hanging.URL, secretName, sbv1.RateLimit{}, labels)
		}

		By("a Switchboard limited to one request a second with fifty ConversationControls")
		limitedNS := newNamespace()
		createSecret(limitedNS, testSecret)
		switchboardWithSecret(limitedNS, switchboardNm, sim.URL, secretName, sbv1.RateLimit{RequestsPerSecond: 1, Burst: 1}, labels)
		limited := env{ns: limitedNS, partition: partition}
		for i := range 50 {
			Expect(createAndCleanUp(limited.control(fmt.Sprintf("limited-%02d", i), newConversation("bot", ""),
				sbv1.StateActive, "agent-workspace"))).To(Succeed())
		}

		By("a healthy tenant")
		healthyNS := newNamespace()
		createSecret(healthyNS, testSecret)
		healthySB := switchboardWithSecret(healthyNS, switchboardNm, sim.URL, secretName, sbv1.RateLimit{RequestsPerSecond: 100, Burst: 100}, labels)
		Eventually(func(g Gomega) {
			current := &sbv1.Switchboard{}
			g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(healthySB), current)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(current.Status.Conditions, sbv1.ConditionReady)).To(BeTrue(), "conditions: %v", current.Status.Conditions)
		}).WithTimeout(2 * time.Minute).WithPolling(200 * time.Millisecond).Should(Succeed())
		conv := newConversation("bot", "")
		cc := env{ns: healthyNS, partition: partition}.control("healthy", conv, sbv1.StateActive, "agent-workspace")
		create(cc)
		Eventually(func(g Gomega) {
			ready := condition(get(cc), sbv1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", ready.Reason, ready.Message)
		}).WithTimeout(2 * time.Minute).Should(Succeed())
		Expect(liveState(conv).Active).To(Equal("agent-workspace"))

		By("the rate-limited tenant makes progress too, at its own pace")
		Eventually(func(g Gomega) {
			var list sbv1.ConversationControlList
			g.Expect(k8sClient.List(suiteCtx, &list, client.InNamespace(limitedNS))).To(Succeed())
			ready := 0
			for i := range list.Items {
				if meta.IsStatusConditionTrue(list.Items[i].Status.Conditions, sbv1.ConditionReady) {
					ready++
				}
			}
			g.Expect(ready).To(BeNumerically(">", 0), "rate-limited ConversationControls applied")
		}).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())
	})
})

var _ = Describe("Metrics endpoint", Label("metrics"), func() {
	It("answers only authenticated clients allowed to get /metrics, with the shipped RBAC", func() {
		By("the manager runs as the shipped ServiceAccount with the shipped RBAC")
		var namespace, serviceAccount string
		for _, obj := range renderDefault() {
			Expect(k8sClient.Apply(suiteCtx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("deploy-test"), client.ForceOwnership)).
				To(Succeed(), "%s %s", obj.GetKind(), obj.GetName())
			if obj.GetKind() == "ServiceAccount" {
				namespace, serviceAccount = obj.GetNamespace(), obj.GetName()
			}
		}
		impersonated := rest.CopyConfig(cfg)
		impersonated.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + serviceAccount}
		addr := freeLoopbackAddress()
		metricsOpts := MetricsOptions{BindAddress: addr, Secure: true}
		m := startManager(suiteCtx, impersonated, "metrics", "metrics", suiteOptions, prometheus.NewRegistry(), func(o *ctrl.Options) {
			o.Metrics = metricsOpts.ServerOptions()
		})
		DeferCleanup(m.stop)

		httpClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // G402: the endpoint's certificate is self-signed in this test
		}}
		scrape := func(token string) (int, string) {
			req, err := http.NewRequestWithContext(suiteCtx, http.MethodGet, "https://"+addr+"/metrics", nil)
			Expect(err).NotTo(HaveOccurred())
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				return 0, err.Error()
			}
			defer func() { _ = resp.Body.Close() }()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}

		By("no token: 401")
		Eventually(func() int { code, _ := scrape(""); return code }).Should(Equal(http.StatusUnauthorized))

		By("a ServiceAccount's token without the metrics-reader role: 403")
		ns := newNamespace()
		scraper := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "scraper", Namespace: ns}}
		Expect(createAndCleanUp(scraper)).To(Succeed())
		clientset, err := kubernetes.NewForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(suiteCtx, "scraper", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		token := tr.Status.Token
		Eventually(func() int { code, _ := scrape(token); return code }).Should(Equal(http.StatusForbidden))

		By("bound to the shipped metrics-reader ClusterRole: the metrics")
		reader := shippedMetricsReader()
		Expect(createAndCleanUp(reader)).To(Succeed())
		Expect(createAndCleanUp(&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "scraper-" + ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: reader.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "scraper", Namespace: ns}},
		})).To(Succeed())
		// The filter caches a decision for a minute; the wait covers it.
		Eventually(func(g Gomega) {
			code, body := scrape(token)
			g.Expect(code).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring("controller_runtime_reconcile_total"))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	})
})

// freeLoopbackAddress is a 127.0.0.1 address nothing listens on right now.
func freeLoopbackAddress() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return addr
}

// shippedMetricsReader is config/rbac/metrics_reader_role.yaml, under a name of the spec's.
func shippedMetricsReader() *rbacv1.ClusterRole {
	data, err := os.ReadFile(filepath.Join("..", "config", "rbac", "metrics_reader_role.yaml"))
	Expect(err).NotTo(HaveOccurred())
	role := &rbacv1.ClusterRole{}
	Expect(utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096).Decode(role)).To(Succeed())
	role.Name = "metrics-reader-" + strings.ToLower(fmt.Sprint(GinkgoRandomSeed()))
	return role
}
