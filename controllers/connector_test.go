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
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// secretReader is a client.Reader that serves one Secret (or an error) and counts reads.
type secretReader struct {
	secret *corev1.Secret
	err    error
	gets   atomic.Int32
}

func (r *secretReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	r.gets.Add(1)
	if r.err != nil {
		return r.err
	}
	if r.secret == nil || key.Name != r.secret.Name || key.Namespace != r.secret.Namespace {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, key.Name)
	}
	r.secret.DeepCopyInto(obj.(*corev1.Secret))
	return nil
}

func (r *secretReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("secretReader does not list")
}

// keySecret is a Secret of namespace support with the given data.
func keySecret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "key", Namespace: "support", UID: "uid-1", ResourceVersion: "1"},
		Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// vendorStub is an HTTP server that counts the connections it accepts and records
// the Authorization header of every request; it answers an empty switchboard list.
type vendorStub struct {
	*httptest.Server
	connections atomic.Int32
	mu          sync.Mutex
	auth        []string
}

func newVendorStub(t *testing.T) *vendorStub {
	t.Helper()
	s := &vendorStub{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"switchboards":[]}`)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.connections.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// switchboardFor is a Switchboard of namespace support on endpoint with the Secret "key".
func switchboardFor(endpoint string) *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "support", Generation: 1},
		Spec: sbv1.SwitchboardSpec{Endpoint: endpoint, AppID: "app-1",
			Auth: sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: "key"}}},
	}
}

func TestHostAllowListMatchesExactHostsAndSubdomains(t *testing.T) {
	defaults := HostAllowList{}
	loopback := MustHostAllowList("127.0.0.1", "LocalHost", "::1")
	tests := []struct {
		list  HostAllowList
		host  string
		allow bool
	}{
		{defaults, "api.smooch.io", true},
		{defaults, "api.eu-1.smooch.io", true},
		{defaults, "acme.zendesk.com", true},
		{defaults, "ACME.Zendesk.COM", true},
		{defaults, "deep.acme.zendesk.com", true},
		{defaults, "zendesk.com", false},     // *.domain is the hosts under it, not the domain
		{defaults, "evilzendesk.com", false}, // a suffix that is not a label boundary
		{defaults, "api.smooch.io.evil.com", false},
		{defaults, "acme.zendesk.com.", false}, // a trailing dot is another spelling: refused
		{defaults, "127.0.0.1", false},         // loopback only when listed
		{defaults, "localhost", false},
		{defaults, "::1", false},
		{defaults, "169.254.169.254", false},
		{defaults, "", false},
		{loopback, "127.0.0.1", true},
		{loopback, "localhost", true},
		{loopback, "::1", true},
		{loopback, "127.0.0.2", false},
		{loopback, "api.smooch.io", false}, // a list replaces the defaults
	}
	for _, tt := range tests {
		if got := tt.list.Allows(tt.host); got != tt.allow {
			t.Errorf("%v.Allows(%q) = %v, want %v", tt.list.Patterns(), tt.host, got, tt.allow)
		}
	}
}

func TestHostAllowListRefusesPatternsThatAreNotHosts(t *testing.T) {
	for _, p := range []string{"*", "*.", "*.com", "https://api.smooch.io", "api.smooch.io:443", "api.smooch.io/sc",
		"*.*.smooch.io", "api.*.smooch.io", "user@api.smooch.io", "[::1]", "exa mple.com"} {
		_, err := NewHostAllowList(p)
		if err == nil {
			t.Errorf("NewHostAllowList(%q) accepted it", p)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("NewHostAllowList(%q) = %v, want an error naming the pattern", p, err)
		}
	}
	if _, err := NewHostAllowList(); err == nil {
		t.Error("NewHostAllowList() accepted an empty list")
	}
}

func TestAllowedEndpointHostsFlag(t *testing.T) {
	parse := func(args ...string) (Options, error) {
		var o Options
		fs := flag.NewFlagSet("manager", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o.BindFlags(fs)
		return o, fs.Parse(args)
	}
	o, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if got := o.AllowedEndpointHosts.Patterns(); strings.Join(got, ",") != "api.smooch.io,*.smooch.io,*.zendesk.com" {
		t.Errorf("default patterns = %v, want the vendor's hosts", got)
	}
	o, err = parse("--allowed-endpoint-hosts= 127.0.0.1 , localhost,*.zendesk.com")
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "localhost": true, "acme.zendesk.com": true, "api.smooch.io": false} {
		if got := o.AllowedEndpointHosts.Allows(host); got != want {
			t.Errorf("with the flag set, Allows(%q) = %v, want %v", host, got, want)
		}
	}
	if _, err := parse("--allowed-endpoint-hosts=https://evil.example"); err == nil || !strings.Contains(err.Error(), "https://evil.example") {
		t.Errorf("an invalid pattern: error = %v, want one naming it", err)
	}
	if _, err := parse("--allowed-endpoint-hosts=,"); err == nil {
		t.Error("an empty list was accepted")
	}
}

func TestConnectRefusesAnEndpointNotAllowedWithoutReadingTheSecret(t *testing.T) {
	stub := newVendorStub(t)
	for _, endpoint := range []string{
		stub.URL, // loopback, not listed by default
		"https://evil.example.com/sc",
		"https://api.smooch.io.evil.example.com",
		"https://zendesk.com/sc",
		"https://169.254.169.254/latest",
	} {
		t.Run(endpoint, func(t *testing.T) { checkEndpointRefusedUnread(t, endpoint) })
	}
	if n := stub.connections.Load(); n != 0 {
		t.Errorf("the endpoint received %d connections, want none", n)
	}

	// The same endpoint, once listed, connects: the counters above can count.
	reader := &secretReader{secret: keySecret(map[string]string{SecretKeyID: "app_key", SecretKeySecret: "s3cr3t"})}
	c := &SecretConnector{Reader: reader, AllowedHosts: MustHostAllowList("127.0.0.1")}
	api, _, err := c.Connect(context.Background(), switchboardFor(stub.URL), true)
	if err != nil {
		t.Fatalf("Connect to a listed host: %v", err)
	}
	if _, err := api.ListSwitchboards(context.Background()); err != nil {
		t.Fatalf("ListSwitchboards: %v", err)
	}
	if reader.gets.Load() != 1 || stub.connections.Load() != 1 {
		t.Errorf("listed host: %d Secret reads and %d connections, want 1 and 1", reader.gets.Load(), stub.connections.Load())
	}
}

// checkEndpointRefusedUnread checks that a connector with the default allow-list refuses
// endpoint, with and without refresh, as terminal EndpointNotAllowed, and never reads the
// Secret.
func checkEndpointRefusedUnread(t *testing.T, endpoint string) {
	t.Helper()
	reader := &secretReader{secret: keySecret(map[string]string{SecretKeyID: "app_key", SecretKeySecret: "s3cr3t"})}
	c := &SecretConnector{Reader: reader}
	for _, refresh := range []bool{true, false} {
		api, _, err := c.Connect(context.Background(), switchboardFor(endpoint), refresh)
		if !errors.Is(err, ErrEndpointNotAllowed) || api != nil {
			t.Fatalf("Connect(refresh=%v) = %v, %v; want ErrEndpointNotAllowed and no client", refresh, api, err)
		}
		if f := classify(err); f.Reason != sbv1.ReasonEndpointNotAllowed || !f.Terminal {
			t.Errorf("classify = %+v, want terminal EndpointNotAllowed", f)
		}
	}
	if n := reader.gets.Load(); n != 0 {
		t.Errorf("the Secret was read %d times, want never", n)
	}
}

func TestConnectRefusesAClientBuiltBeforeTheEndpointChanged(t *testing.T) {
	stub := newVendorStub(t)
	reader := &secretReader{secret: keySecret(map[string]string{SecretKeyID: "app_key", SecretKeySecret: "s3cr3t"})}
	c := &SecretConnector{Reader: reader, AllowedHosts: MustHostAllowList("127.0.0.1")}
	sb := switchboardFor(stub.URL)
	if _, _, err := c.Connect(context.Background(), sb, true); err != nil {
		t.Fatal(err)
	}
	// A ConversationControl or a deletion asks for the cached client (refresh=false)
	// after someone pointed the Switchboard elsewhere.
	sb.Spec.Endpoint = "https://collector.evil.example.com"
	if _, _, err := c.Connect(context.Background(), sb, false); !errors.Is(err, ErrEndpointNotAllowed) {
		t.Fatalf("Connect with the cached client = %v, want ErrEndpointNotAllowed", err)
	}
}

func TestSwitchboardWithAnEndpointNotAllowedIsStalled(t *testing.T) {
	stub := newVendorStub(t)
	sb := switchboardFor(stub.URL)
	c := fake.NewClientBuilder().WithScheme(unitScheme(t)).WithStatusSubresource(sb).WithObjects(sb).Build()
	reader := &secretReader{secret: keySecret(map[string]string{SecretKeyID: "app_key", SecretKeySecret: "s3cr3t"})}
	r := &SwitchboardReconciler{Client: c, Connector: &SecretConnector{Reader: reader}, SecretCheckInterval: 60e9}

	key := types.NamespacedName{Namespace: "support", Name: "acme"}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	got := &sbv1.Switchboard{}
	if err := c.Get(context.Background(), key, got); err != nil {
		t.Fatal(err)
	}
	stalled := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionStalled)
	if stalled == nil || stalled.Reason != sbv1.ReasonEndpointNotAllowed || !strings.Contains(stalled.Message, "127.0.0.1") ||
		!strings.Contains(stalled.Message, "--allowed-endpoint-hosts") {
		t.Errorf("Stalled = %+v, want reason EndpointNotAllowed naming the host and the flag", stalled)
	}
	if reader.gets.Load() != 0 || stub.connections.Load() != 0 {
		t.Errorf("%d Secret reads and %d connections, want none", reader.gets.Load(), stub.connections.Load())
	}
}

func TestConnectTrimsSecretValues(t *testing.T) {
	stub := newVendorStub(t)
	reader := &secretReader{secret: keySecret(map[string]string{SecretKeyID: " app_key\n", SecretKeySecret: "\ts3cr3t \r\n"})}
	c := &SecretConnector{Reader: reader, AllowedHosts: MustHostAllowList("127.0.0.1")}
	api, _, err := c.Connect(context.Background(), switchboardFor(stub.URL), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.ListSwitchboards(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("app_key:s3cr3t"))
	stub.mu.Lock()
	defer stub.mu.Unlock()
	if len(stub.auth) != 1 || stub.auth[0] != want {
		t.Errorf("the API received Authorization %q, want the trimmed key id and secret", stub.auth)
	}
}

func TestConnectReportsWhatIsWrongWithTheSecret(t *testing.T) {
	const secretValue = "s3cr3t-never-shown"
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "key", errors.New("RBAC: access denied"))
	unavailable := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 6443},
		Err: errors.New("connect: connection refused")}
	tests := []struct {
		name     string
		reader   *secretReader
		reason   string
		terminal bool
		mentions []string
	}{
		{name: "the Secret does not exist", reader: &secretReader{},
			reason: sbv1.ReasonSecretNotFound, terminal: true, mentions: []string{`"key"`, "support"}},
		{name: "no keyId", reader: &secretReader{secret: keySecret(map[string]string{SecretKeySecret: secretValue})},
			reason: sbv1.ReasonSecretInvalid, terminal: true, mentions: []string{`no key "keyId"`}},
		{name: "an empty secret", reader: &secretReader{secret: keySecret(map[string]string{SecretKeyID: "app_key", SecretKeySecret: " \n"})},
			reason: sbv1.ReasonSecretInvalid, terminal: true, mentions: []string{`an empty "secret"`}},
		{name: "neither key", reader: &secretReader{secret: keySecret(map[string]string{"api-key": secretValue})},
			reason: sbv1.ReasonSecretInvalid, terminal: true, mentions: []string{`no key "keyId"`, `no key "secret"`}},
		{name: "RBAC refuses the read", reader: &secretReader{err: forbidden},
			reason: sbv1.ReasonSecretForbidden, terminal: true, mentions: []string{"403", `"key"`, "get on secrets"}},
		{name: "the API server does not answer", reader: &secretReader{err: unavailable},
			reason: sbv1.ReasonAPIUnavailable, terminal: false, mentions: []string{`reading Secret "key"`, "did not answer"}},
		{name: "the API server answers 503", reader: &secretReader{err: apierrors.NewServiceUnavailable("etcd is down")},
			reason: sbv1.ReasonAPIUnavailable, terminal: false, mentions: []string{"ServiceUnavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &SecretConnector{Reader: tt.reader, AllowedHosts: MustHostAllowList("127.0.0.1")}
			_, _, err := c.Connect(context.Background(), switchboardFor("http://127.0.0.1:1"), true)
			if err == nil {
				t.Fatal("Connect succeeded")
			}
			checkSecretFailure(t, classify(err), tt.reason, tt.terminal, tt.mentions, []string{secretValue, "10.0.0.1", "6443"})
		})
	}
}

// checkSecretFailure checks a classified failure to read a Secret: its reason and whether
// it is terminal, that its message mentions every one of mentions and none of never.
func checkSecretFailure(t *testing.T, f failure, reason string, terminal bool, mentions, never []string) {
	t.Helper()
	if f.Reason != reason || f.Terminal != terminal {
		t.Errorf("classify = %s (terminal %v), want %s (terminal %v)", f.Reason, f.Terminal, reason, terminal)
	}
	for _, m := range mentions {
		if !strings.Contains(f.Message, m) {
			t.Errorf("message %q does not mention %q", f.Message, m)
		}
	}
	for _, n := range never {
		if strings.Contains(f.Message, n) {
			t.Errorf("message %q contains %q", f.Message, n)
		}
	}
}
