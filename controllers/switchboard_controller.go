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
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=switchboards,verbs=get;list;watch
// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=switchboards/status,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// SwitchboardReconciler checks the connection to one Sunshine Conversations app and lists
// its switchboard integrations into status.
type SwitchboardReconciler struct {
	client.Client
	// Connector builds and shares the API client of each Switchboard.
	Connector Connector
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// SecretCheckInterval is how often the Secret is read again to notice a rotation
	// (Secrets are not watched: the operator may only get them).
	SecretCheckInterval time.Duration
	// WebhookSecrets holds the secrets of the managed webhooks for the receiver.
	WebhookSecrets *receiver.Secrets
	// Recorder emits Kubernetes Events for configuration changes; optional.
	Recorder events.EventRecorder
	// Metrics records configuration changes; optional.
	Metrics *Metrics
	// DeletionTimeout bounds how long deletion keeps trying to remove the webhook, and what
	// the operator created under deletionPolicy DeleteCreated.
	DeletionTimeout time.Duration
}

// defaultRefreshInterval applies when spec.refreshInterval is unset.
const defaultRefreshInterval = 10 * time.Minute

// Reconcile reads the Secret, connects, and lists the app's switchboard and its
// integrations when something changed or the refresh interval passed. It sets Ready, and
// Reconciling or Stalled.
func (r *SwitchboardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	sb := &sbv1.Switchboard{}
	if err := r.Get(ctx, req.NamespacedName, sb); err != nil {
		if apierrors.IsNotFound(err) {
			r.Connector.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !sb.DeletionTimestamp.IsZero() {
		if handled, err := r.finalizeWebhook(ctx, sb); handled {
			return ctrl.Result{}, err
		}
		return r.reconcileConfigDelete(ctx, sb)
	}
	patcher := newStatusPatcher(sb)
	defer func() {
		if err := patcher.patchFinal(ctx, r.Client, sb); err != nil {
			retErr = kerrors.NewAggregate([]error{retErr, err})
		}
	}()
	conds := conditions{list: &sb.Status.Conditions, generation: sb.Generation}
	if meta.FindStatusCondition(sb.Status.Conditions, sbv1.ConditionReady) == nil {
		conds.set(sbv1.ConditionReady, metav1.ConditionUnknown, sbv1.ReasonProgressing, "the operator is connecting to the app")
	}

	o := r.reconcileSwitchboard(ctx, sb, conds)
	o = r.reconcileWebhook(ctx, sb, conds, o)
	return finish(o, &sb.Status.ObservedGeneration, sb.Generation)
}

// reconcileListing connects and lists the app's switchboard when due. It sets Ready, and
// Reconciling or Stalled.
func (r *SwitchboardReconciler) reconcileListing(ctx context.Context, sb *sbv1.Switchboard, conds conditions) outcome {
	api, fingerprint, err := r.Connector.Connect(ctx, sb, true)
	if err != nil {
		return r.failed(sb, conds, err)
	}
	requestedAt := sb.Annotations[sbv1.AnnotationRequestedAt]
	if r.refreshDue(sb, fingerprint, requestedAt) {
		if err := r.refresh(ctx, sb, api); err != nil {
			return r.failed(sb, conds, err)
		}
		sb.Status.CredentialsHash = fingerprint
		sb.Status.LastHandledReconcileAt = requestedAt
	}
	conds.ready(sbv1.ReasonSwitchboardReady, fmt.Sprintf("switchboard %s of app %s listed with %d integrations",
		sb.Status.SwitchboardID, sb.Spec.AppID, len(sb.Status.Integrations)))
	return outcome{Finished: true, RequeueAfter: r.nextCheck(sb)}
}

func (r *SwitchboardReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// refreshDue tells whether the switchboard must be listed again: a new generation, new
// credentials or settings, a requestedAt annotation, not Ready, or the interval passed.
func (r *SwitchboardReconciler) refreshDue(sb *sbv1.Switchboard, fingerprint, requestedAt string) bool {
	return sb.Status.ObservedGeneration != sb.Generation ||
		sb.Status.CredentialsHash != fingerprint ||
		sb.Status.LastHandledReconcileAt != requestedAt ||
		!meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady) ||
		sb.Status.LastRefreshTime == nil ||
		r.now().Sub(sb.Status.LastRefreshTime.Time) >= refreshInterval(sb)
}

// refresh lists the app's switchboard and its integrations into status.
func (r *SwitchboardReconciler) refresh(ctx context.Context, sb *sbv1.Switchboard, api SunshineAPI) error {
	switchboards, err := api.ListSwitchboards(ctx)
	if err != nil {
		return err
	}
	if len(switchboards) == 0 {
		return errNoSwitchboard
	}
	board := switchboards[0]
	integrations, err := api.ListSwitchboardIntegrations(ctx, board.ID)
	if err != nil {
		return err
	}
	return r.recordListing(sb, board, integrations)
}

// recordListing writes a listing of the app's switchboard and its integrations to status,
// unless it is larger than status holds.
func (r *SwitchboardReconciler) recordListing(sb *sbv1.Switchboard, board sunshine.Switchboard, integrations []sunshine.SwitchboardIntegration) error {
	if err := checkListingSize(board, integrations); err != nil {
		return err
	}
	names := make(map[string]string, len(integrations))
	for _, i := range integrations {
		names[i.ID] = i.Name
	}
	sb.Status.SwitchboardID = board.ID
	sb.Status.Enabled = board.Enabled
	sb.Status.DefaultIntegration = names[board.DefaultSwitchboardIntegrationID]
	sb.Status.Integrations = make([]sbv1.SwitchboardIntegrationStatus, 0, len(integrations))
	for _, i := range integrations {
		sb.Status.Integrations = append(sb.Status.Integrations, sbv1.SwitchboardIntegrationStatus{
			ID: i.ID, Name: i.Name, IntegrationType: i.IntegrationType, IntegrationID: i.IntegrationID,
			Next: names[i.NextSwitchboardIntegrationID],
		})
	}
	slices.SortStableFunc(sb.Status.Integrations, func(a, b sbv1.SwitchboardIntegrationStatus) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	now := metav1.NewTime(r.now())
	sb.Status.LastRefreshTime = &now
	return nil
}

// errNoSwitchboard is returned when the app has no switchboard.
var errNoSwitchboard = errors.New("the app has no switchboard")

// listingTooBigError is returned when the vendor listed more, or longer, integrations
// than a Switchboard's status holds; status keeps the previous listing.
type listingTooBigError struct{ problem string }

func (e *listingTooBigError) Error() string { return "invalid response: " + e.problem }

// checkListingSize refuses a listing larger than the vendor's own limits: at most
// MaxIntegrations integrations, each field at most MaxIntegrationFieldLength characters.
func checkListingSize(board sunshine.Switchboard, integrations []sunshine.SwitchboardIntegration) error {
	if len(integrations) > sbv1.MaxIntegrations {
		return &listingTooBigError{fmt.Sprintf("the API listed %d switchboard integrations, more than the %d a switchboard can have",
			len(integrations), sbv1.MaxIntegrations)}
	}
	tooLong := func(what, value string) error {
		if n := utf8.RuneCountInString(value); n > sbv1.MaxIntegrationFieldLength {
			return &listingTooBigError{fmt.Sprintf("the API listed a %s of %d characters, more than the %d allowed",
				what, n, sbv1.MaxIntegrationFieldLength)}
		}
		return nil
	}
	if err := tooLong("switchboard id", board.ID); err != nil {
		return err
	}
	for _, i := range integrations {
		if err := cmp.Or(tooLong("switchboard integration id", i.ID), tooLong("switchboard integration name", i.Name),
			tooLong("switchboard integration integrationType", i.IntegrationType),
			tooLong("switchboard integration integrationId", i.IntegrationID)); err != nil {
			return err
		}
	}
	return nil
}

// failed records a failure to connect or list. Terminal failures are Stalled, and the
// Secret is still checked every SecretCheckInterval so that a fixed Secret recovers
// without a restart; transient ones are retried with backoff. A transient failure keeps a
// Switchboard that was Ready with a listing Ready: its last listing is still valid, so its
// ConversationControls keep acting; Reconciling=True says why it is being retried.
func (r *SwitchboardReconciler) failed(sb *sbv1.Switchboard, conds conditions, err error) outcome {
	f := classify(err)
	if errors.Is(err, errNoSwitchboard) {
		f = failure{Reason: sbv1.ReasonSwitchboardNotFound, Terminal: true, Message: "the app has no switchboard: create one in Sunshine Conversations", Err: err}
	}
	if tooBig := (*listingTooBigError)(nil); errors.As(err, &tooBig) {
		f = failure{Reason: sbv1.ReasonInvalidResponse, Terminal: true, Message: tooBig.problem, Err: err}
	}
	if !f.Terminal && sb.Status.SwitchboardID != "" && meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady) {
		conds.retrying(f.Reason, "refreshing the listing failed; the last listing is still used: "+f.Message)
	} else {
		conds.fail(f)
	}
	switch {
	case f.Terminal:
		return outcome{Finished: true, RequeueAfter: r.SecretCheckInterval}
	case f.RetryAfter > 0:
		return outcome{RequeueAfter: f.RetryAfter}
	}
	return outcome{Err: failureError(f)}
}

// nextCheck is when to look again: the Secret check, or the integrations refresh when it
// comes first.
func (r *SwitchboardReconciler) nextCheck(sb *sbv1.Switchboard) time.Duration {
	next := r.SecretCheckInterval
	if sb.Status.LastRefreshTime != nil {
		if due := sb.Status.LastRefreshTime.Add(refreshInterval(sb)).Sub(r.now()); due < next {
			next = max(due, time.Second)
		}
	}
	return next
}

// refreshInterval is spec.refreshInterval, or the default.
func refreshInterval(sb *sbv1.Switchboard) time.Duration {
	if sb.Spec.RefreshInterval == nil || sb.Spec.RefreshInterval.Duration <= 0 {
		return defaultRefreshInterval
	}
	return sb.Spec.RefreshInterval.Duration
}
