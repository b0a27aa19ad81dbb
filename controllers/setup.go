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
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// FieldOwner is the field manager of every write the operator makes.
const FieldOwner = "switchboard-operator"

// Options configure the reconcilers; main binds them to command-line flags.
type Options struct {
	// MaxConcurrentReconciles is the number of ConversationControls reconciled at once.
	MaxConcurrentReconciles int
	// MaxConcurrentSwitchboardReconciles is the number of Switchboards reconciled at once.
	MaxConcurrentSwitchboardReconciles int
	// ReconcileTimeout bounds every reconcile of either kind (controller-runtime's
	// ReconciliationTimeout), so that no object holds a worker for long.
	ReconcileTimeout time.Duration
	// AllowedEndpointHosts are the hosts a Switchboard's endpoint may name.
	AllowedEndpointHosts HostAllowList
	// APITimeout bounds every call to the vendor's API.
	APITimeout time.Duration
	// DeletionTimeout bounds how long deletion with policy Release keeps trying.
	DeletionTimeout time.Duration
	// SecretCheckInterval is how often a Switchboard's Secret is read again.
	SecretCheckInterval time.Duration
	// SwitchboardRetryInterval is how often an object waiting for its Switchboard looks again.
	SwitchboardRetryInterval time.Duration
	// RetryBaseDelay and RetryMaxDelay bound the exponential backoff after transient errors.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// DefaultTTLAfterFinished applies to ConversationControls without
	// spec.ttlSecondsAfterFinished; nil (the default) keeps them.
	DefaultTTLAfterFinished *time.Duration
	// ReceiverBindAddress is the address of the webhook receiver; empty turns it off.
	ReceiverBindAddress string
	// WebhookReadBackWait is how long, after an action, the reconciler waits for the
	// vendor's webhook event before reading the conversation back.
	WebhookReadBackWait time.Duration
}

// DefaultOptions are the flags' defaults.
func DefaultOptions() Options {
	return Options{
		MaxConcurrentReconciles:            8,
		MaxConcurrentSwitchboardReconciles: 4,
		ReconcileTimeout:                   time.Minute,
		AllowedEndpointHosts:               MustHostAllowList(DefaultAllowedEndpointHosts...),
		APITimeout:                         10 * time.Second,
		DeletionTimeout:                    2 * time.Minute,
		SecretCheckInterval:                time.Minute,
		SwitchboardRetryInterval:           time.Minute,
		RetryBaseDelay:                     time.Second,
		RetryMaxDelay:                      5 * time.Minute,
		WebhookReadBackWait:                2 * time.Second,
	}
}

// BindFlags registers the options as flags on fs, with their defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	d := DefaultOptions()
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", d.MaxConcurrentReconciles,
		"Number of ConversationControls reconciled at once.")
	fs.IntVar(&o.MaxConcurrentSwitchboardReconciles, "max-concurrent-switchboard-reconciles", d.MaxConcurrentSwitchboardReconciles,
		"Number of Switchboards reconciled at once.")
	fs.DurationVar(&o.ReconcileTimeout, "reconcile-timeout", d.ReconcileTimeout,
		"Longest time one reconcile of a Switchboard or ConversationControl may take; it must exceed --api-timeout.")
	o.AllowedEndpointHosts = d.AllowedEndpointHosts
	fs.Var(&o.AllowedEndpointHosts, "allowed-endpoint-hosts",
		"Comma-separated hosts a Switchboard's spec.endpoint may name: exact hosts or IP addresses, and *.domain for every host under "+
			"domain. Loopback hosts (127.0.0.1, localhost, ::1) are allowed only when listed. A Switchboard with another host is Stalled "+
			"with reason EndpointNotAllowed and its Secret is never read.")
	fs.DurationVar(&o.APITimeout, "api-timeout", d.APITimeout, "Timeout of every call to the Sunshine Conversations API.")
	fs.DurationVar(&o.DeletionTimeout, "deletion-timeout", d.DeletionTimeout,
		"How long deletion with deletionPolicy Release keeps trying to release before giving up with a Warning event.")
	fs.DurationVar(&o.SecretCheckInterval, "secret-check-interval", d.SecretCheckInterval,
		"How often a Switchboard's Secret is read again to pick up a rotation.")
	fs.DurationVar(&o.SwitchboardRetryInterval, "switchboard-retry-interval", d.SwitchboardRetryInterval,
		"How often a ConversationControl waiting for its Switchboard looks again.")
	fs.DurationVar(&o.RetryBaseDelay, "retry-base-delay", d.RetryBaseDelay, "First delay of the backoff after a transient error.")
	fs.DurationVar(&o.RetryMaxDelay, "retry-max-delay", d.RetryMaxDelay, "Longest delay of the backoff after transient errors.")
	fs.Func("default-ttl-seconds-after-finished",
		"Delete finished ConversationControls without spec.ttlSecondsAfterFinished this many seconds after they finished "+
			"(0 or more); unset (the default) keeps them.",
		func(v string) error {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of seconds of 0 or more", v)
			}
			d := time.Duration(n) * time.Second
			o.DefaultTTLAfterFinished = &d
			return nil
		})
	fs.DurationVar(&o.WebhookReadBackWait, "webhook-read-back-wait", d.WebhookReadBackWait,
		"With the receiver on and a Switchboard's webhook ready: how long, after an action, to wait for the vendor's event "+
			"(which then replaces reading the conversation back); 0 always reads.")
	fs.StringVar(&o.ReceiverBindAddress, "receiver-bind-address", d.ReceiverBindAddress,
		"The address the webhook receiver listens on, such as :9443 (plain HTTP: terminate TLS in front of it); empty turns it off. "+
			"Switchboards with spec.webhook need it.")
}

// Validate checks the options; its errors name the flag and what it allows.
func (o Options) Validate() error {
	var errs []error
	for _, n := range []struct {
		flag  string
		value int
	}{
		{"--max-concurrent-reconciles", o.MaxConcurrentReconciles},
		{"--max-concurrent-switchboard-reconciles", o.MaxConcurrentSwitchboardReconciles},
	} {
		if n.value < 1 {
			errs = append(errs, fmt.Errorf("%s is %d: it must be at least 1", n.flag, n.value))
		}
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{
		{"--api-timeout", o.APITimeout}, {"--reconcile-timeout", o.ReconcileTimeout}, {"--deletion-timeout", o.DeletionTimeout},
		{"--secret-check-interval", o.SecretCheckInterval}, {"--switchboard-retry-interval", o.SwitchboardRetryInterval},
		{"--retry-base-delay", o.RetryBaseDelay}, {"--retry-max-delay", o.RetryMaxDelay},
	} {
		if d.value <= 0 {
			errs = append(errs, fmt.Errorf("%s is %s: it must be positive", d.flag, d.value))
		}
	}
	if o.ReconcileTimeout > 0 && o.ReconcileTimeout <= o.APITimeout {
		errs = append(errs, fmt.Errorf("--reconcile-timeout (%s) must exceed --api-timeout (%s), so that a reconcile has time to write status",
			o.ReconcileTimeout, o.APITimeout))
	}
	if o.RetryMaxDelay < o.RetryBaseDelay {
		errs = append(errs, fmt.Errorf("--retry-max-delay (%s) must be at least --retry-base-delay (%s)", o.RetryMaxDelay, o.RetryBaseDelay))
	}
	return errors.Join(errs...)
}

// SetupWithManager builds both reconcilers with the real vendor client and registers
// them. reg (the manager's metrics registry) may be nil.
func SetupWithManager(mgr ctrl.Manager, opts Options, reg prometheus.Registerer) error {
	deps := Dependencies{}
	var clientMetrics *sunshine.Metrics
	if reg != nil {
		clientMetrics = sunshine.NewMetrics(reg)
		deps.Metrics = NewMetrics(reg)
		deps.ReceiverMetrics = receiver.NewMetrics(reg)
		if err := reg.Register(NewStateMetrics(mgr.GetCache())); err != nil {
			return fmt.Errorf("registering the state metrics: %w", err)
		}
	}
	deps.Connector = &SecretConnector{
		Reader: mgr.GetAPIReader(), AllowedHosts: opts.AllowedEndpointHosts, Metrics: clientMetrics, Timeout: opts.APITimeout,
		HTTPClient: &http.Client{Transport: sunshine.NewTransport(vendorIdleConnsPerHost(opts))},
	}
	return Setup(mgr, opts, deps)
}

// vendorIdleConnsPerHost is how many idle connections to one vendor host the vendor
// clients keep: every reconcile of either kind may call the same host at once (all
// Switchboards of a cluster may name one endpoint), so at least that many, and never
// fewer than sunshine.DefaultMaxIdleConnsPerHost.
func vendorIdleConnsPerHost(opts Options) int {
	return max(sunshine.DefaultMaxIdleConnsPerHost, opts.MaxConcurrentReconciles+opts.MaxConcurrentSwitchboardReconciles)
}

// Dependencies are what the reconcilers are built with.
type Dependencies struct {
	// Connector hands out API clients (required).
	Connector Connector
	// Metrics records handoffs (optional).
	Metrics *Metrics
	// Client overrides the manager's client (optional; tests wrap it to inject faults).
	Client client.Client
	// Now is the ConversationControl reconciler's clock (optional; tests move it).
	Now func() time.Time
	// ReceiverMetrics records the webhook receiver's deliveries (optional).
	ReceiverMetrics *receiver.Metrics
	// Webhooks, when set, is filled with the webhook pieces Setup wires (tests read them).
	Webhooks *Webhooks
}

// receiverReadBackWait is the reconciler's wait for events after an action: none without a
// receiver in this process.
func receiverReadBackWait(opts Options) time.Duration {
	if opts.ReceiverBindAddress == "" {
		return 0
	}
	return opts.WebhookReadBackWait
}

// Webhooks are the pieces of the webhook receiver that Setup wires.
type Webhooks struct {
	// Observations holds the events the receiver observed, for the reconciler.
	Observations *Observations
	// Secrets holds the webhooks' secrets in memory.
	Secrets *receiver.Secrets
	// Receiver is the receiver, nil when --receiver-bind-address is empty.
	Receiver *receiver.Receiver
}

// webhookEventBuffer bounds the events waiting for the ConversationControl controller.
const webhookEventBuffer = 1024

// Setup registers both reconcilers with the given dependencies.
func Setup(mgr ctrl.Manager, opts Options, deps Dependencies) error {
	c := deps.Client
	if c == nil {
		c = mgr.GetClient()
	}
	c = client.WithFieldOwner(c, FieldOwner)
	hooks := &Webhooks{
		Observations: NewObservations(defaultObservationsSize, defaultObservationsTTL),
		Secrets:      &receiver.Secrets{Source: webhookSecretSource{reader: c, connector: deps.Connector}},
	}
	sbr := &SwitchboardReconciler{
		Client: c, Connector: deps.Connector, SecretCheckInterval: opts.SecretCheckInterval,
		WebhookSecrets: hooks.Secrets, DeletionTimeout: opts.DeletionTimeout,
		Recorder: mgr.GetEventRecorder(FieldOwner), Metrics: deps.Metrics,
	}
	if err := sbr.SetupWithManager(mgr, opts); err != nil {
		return err
	}
	ccr := &ConversationControlReconciler{
		Client: c, Connector: deps.Connector, Metrics: deps.Metrics,
		Recorder:                 mgr.GetEventRecorder(FieldOwner),
		DeletionTimeout:          opts.DeletionTimeout,
		SwitchboardRetryInterval: opts.SwitchboardRetryInterval,
		DefaultTTLAfterFinished:  opts.DefaultTTLAfterFinished,
		Now:                      deps.Now,
		Observations:             hooks.Observations,
		ReadBackWait:             receiverReadBackWait(opts),
		webhookEvents:            make(chan ccEvent, webhookEventBuffer),
	}
	if err := ccr.SetupWithManager(mgr, opts); err != nil {
		return err
	}
	if opts.ReceiverBindAddress != "" {
		router := &webhookRouter{client: c, observations: hooks.Observations, events: ccr.webhookEvents, elected: mgr.Elected(), now: time.Now}
		hooks.Receiver = receiver.New(receiver.Options{BindAddress: opts.ReceiverBindAddress}, router, hooks.Secrets, router,
			deps.ReceiverMetrics, mgr.GetLogger().WithName("receiver"))
		if err := mgr.Add(hooks.Receiver); err != nil {
			return fmt.Errorf("adding the webhook receiver: %w", err)
		}
	}
	if deps.Webhooks != nil {
		*deps.Webhooks = *hooks
	}
	return nil
}

// SetupWithManager registers the Switchboard reconciler.
func (r *SwitchboardReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &sbv1.Switchboard{}, webhookTokenIndex, webhookTokenOf); err != nil {
		return fmt.Errorf("indexing %s: %w", webhookTokenIndex, err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&sbv1.Switchboard{}, builder.WithPredicates(specOrMetadataChanged())).
		Named("switchboard").
		WithOptions(controller.Options{
			MaxConcurrentReconciles: opts.MaxConcurrentSwitchboardReconciles,
			ReconciliationTimeout:   opts.ReconcileTimeout,
			RateLimiter:             newRateLimiter(opts),
		}).
		Complete(r)
}

// SetupWithManager registers the ConversationControl reconciler, its field indexes, and
// the watch that wakes a Switchboard's ConversationControls when the Switchboard becomes
// Ready, changes integrations or credentials, and a conflict's loser when the winner goes.
func (r *ConversationControlReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	ctx := context.Background()
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &sbv1.ConversationControl{}, conversationIDIndex, func(o client.Object) []string {
		return []string{o.(*sbv1.ConversationControl).Spec.ConversationID}
	}); err != nil {
		return fmt.Errorf("indexing %s: %w", conversationIDIndex, err)
	}
	if err := indexer.IndexField(ctx, &sbv1.ConversationControl{}, switchboardRefIndex, func(o client.Object) []string {
		return []string{o.(*sbv1.ConversationControl).Spec.SwitchboardRef.Name}
	}); err != nil {
		return fmt.Errorf("indexing %s: %w", switchboardRefIndex, err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&sbv1.ConversationControl{}, builder.WithPredicates(specOrMetadataChanged(sbv1.AnnotationObservedEvent))).
		Watches(&sbv1.ConversationControl{}, r.observedEventHandler()).
		Watches(&sbv1.ConversationControl{}, r.written.observer()).
		Watches(&sbv1.Switchboard{}, handler.EnqueueRequestsFromMapFunc(r.controlsOfSwitchboard),
			builder.WithPredicates(switchboardUsable())).
		Watches(&sbv1.ConversationControl{}, handler.EnqueueRequestsFromMapFunc(r.peersOf),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(event.CreateEvent) bool { return false },
				UpdateFunc:  func(event.UpdateEvent) bool { return false },
				DeleteFunc:  func(event.DeleteEvent) bool { return true },
				GenericFunc: func(event.GenericEvent) bool { return false },
			}))
	if r.webhookEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.webhookEvents, &handler.TypedEnqueueRequestForObject[*sbv1.ConversationControl]{}))
	}
	return b.Named("conversationcontrol").
		WithOptions(controller.Options{
			MaxConcurrentReconciles: opts.MaxConcurrentReconciles,
			ReconciliationTimeout:   opts.ReconcileTimeout,
			RateLimiter:             newRateLimiter(opts),
		}).
		Complete(r)
}

// controlsOfSwitchboard maps a Switchboard to the ConversationControls that use it.
func (r *ConversationControlReconciler) controlsOfSwitchboard(ctx context.Context, o client.Object) []reconcile.Request {
	var list sbv1.ConversationControlList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{switchboardRefIndex: o.GetName()}); err != nil {
		return nil
	}
	return requestsFor(list.Items)
}

// peersOf maps a deleted ConversationControl to the others that target its conversation.
func (r *ConversationControlReconciler) peersOf(ctx context.Context, o client.Object) []reconcile.Request {
	var list sbv1.ConversationControlList
	if err := r.List(ctx, &list, client.MatchingFields{conversationIDIndex: o.(*sbv1.ConversationControl).Spec.ConversationID}); err != nil {
		return nil
	}
	return requestsFor(list.Items)
}

func requestsFor(items []sbv1.ConversationControl) []reconcile.Request {
	requests := make([]reconcile.Request, 0, len(items))
	for i := range items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&items[i])})
	}
	return requests
}

// specOrMetadataChanged passes creations, deletions, and updates of the spec (generation),
// labels, annotations (requestedAt) or deletion, but never the operator's own status
// writes, nor changes of the ignored annotations alone (another watch handles them).
func specOrMetadataChanged(ignoredAnnotations ...string) predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld, e.ObjectNew
			return o.GetGeneration() != n.GetGeneration() ||
				!reflect.DeepEqual(o.GetLabels(), n.GetLabels()) ||
				!reflect.DeepEqual(without(o.GetAnnotations(), ignoredAnnotations), without(n.GetAnnotations(), ignoredAnnotations)) ||
				!o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp())
		},
	}
}

// without returns m without the keys, m itself when it has none of them.
func without(m map[string]string, keys []string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			continue
		}
		if out == nil {
			out = maps.Clone(m)
		}
		delete(out, k)
	}
	if out == nil {
		out = m
	}
	if len(out) == 0 {
		return nil // no annotations and an empty map compare equal
	}
	return out
}

// switchboardUsable passes Switchboard updates that matter to its ConversationControls:
// Ready changed, or the integrations or credentials changed.
func switchboardUsable() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*sbv1.Switchboard)
			n, ok2 := e.ObjectNew.(*sbv1.Switchboard)
			if !ok1 || !ok2 {
				return false
			}
			return meta.IsStatusConditionTrue(o.Status.Conditions, sbv1.ConditionReady) !=
				meta.IsStatusConditionTrue(n.Status.Conditions, sbv1.ConditionReady) ||
				!equality.Semantic.DeepEqual(o.Status.Integrations, n.Status.Integrations) ||
				o.Status.CredentialsHash != n.Status.CredentialsHash
		},
	}
}

// newRateLimiter is the per-object backoff after transient errors: exponential from
// RetryBaseDelay to RetryMaxDelay, with up to 10% jitter so that objects that failed
// together do not retry together.
func newRateLimiter(opts Options) workqueue.TypedRateLimiter[reconcile.Request] {
	return jitterRateLimiter{workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](opts.RetryBaseDelay, opts.RetryMaxDelay)}
}

type jitterRateLimiter struct {
	workqueue.TypedRateLimiter[reconcile.Request]
}

func (l jitterRateLimiter) When(item reconcile.Request) time.Duration {
	return withJitter(l.TypedRateLimiter.When(item))
}

// MetricsOptions configure the manager's metrics endpoint; main binds them to flags.
type MetricsOptions struct {
	// BindAddress is the address of the endpoint; "0" disables it.
	BindAddress string
	// Secure serves HTTPS and lets through only requests whose bearer token the
	// Kubernetes API server authenticates (TokenReview) and authorizes for GET on the
	// non-resource URL /metrics (SubjectAccessReview).
	Secure bool
	// CertDir holds the serving certificate (CertName) and key (KeyName), reloaded when
	// they change; empty means a self-signed certificate made at start-up.
	CertDir, CertName, KeyName string
	// EnableHTTP2 lets the endpoint speak HTTP/2; off by default, because of the
	// HTTP/2 Stream Cancellation and Rapid Reset vulnerabilities (CVE-2023-44487,
	// CVE-2023-39325).
	EnableHTTP2 bool
}

// DefaultMetricsOptions are the flags' defaults: HTTPS with authentication and
// authorization on :8443.
func DefaultMetricsOptions() MetricsOptions {
	return MetricsOptions{BindAddress: ":8443", Secure: true, CertName: "tls.crt", KeyName: "tls.key"}
}

// BindFlags registers the options as flags on fs, with their defaults.
func (o *MetricsOptions) BindFlags(fs *flag.FlagSet) {
	d := DefaultMetricsOptions()
	fs.StringVar(&o.BindAddress, "metrics-bind-address", d.BindAddress,
		"The address the metrics endpoint binds to, such as :8443 (HTTPS) or :8080 (with --metrics-secure=false); 0 disables it.")
	fs.BoolVar(&o.Secure, "metrics-secure", d.Secure,
		"Serve metrics over HTTPS to authenticated and authorized clients only (TokenReview and SubjectAccessReview for GET /metrics); "+
			"--metrics-secure=false serves plain HTTP to anyone, for local runs.")
	fs.StringVar(&o.CertDir, "metrics-cert-path", d.CertDir,
		"Directory holding the metrics serving certificate and key; empty means a self-signed certificate.")
	fs.StringVar(&o.CertName, "metrics-cert-name", d.CertName, "File name of the metrics serving certificate in --metrics-cert-path.")
	fs.StringVar(&o.KeyName, "metrics-cert-key", d.KeyName, "File name of the metrics serving key in --metrics-cert-path.")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", d.EnableHTTP2, "Let the metrics endpoint speak HTTP/2 (off: HTTP/1.1 only).")
}

// ServerOptions are the controller-runtime metrics server options, as kubebuilder v4
// scaffolds them: with Secure, HTTPS and controller-runtime's authentication and
// authorization filter.
func (o MetricsOptions) ServerOptions() metricsserver.Options {
	opts := metricsserver.Options{BindAddress: o.BindAddress, SecureServing: o.Secure}
	if !o.Secure {
		return opts
	}
	opts.FilterProvider = filters.WithAuthenticationAndAuthorization
	if !o.EnableHTTP2 {
		opts.TLSOpts = append(opts.TLSOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	if o.CertDir != "" {
		opts.CertDir, opts.CertName, opts.KeyName = o.CertDir, o.CertName, o.KeyName
	}
	return opts
}
