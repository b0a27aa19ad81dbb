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
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=switchboards,verbs=patch

// WebhookAPI is what the webhook phase needs of the vendor's API: the app's custom
// integrations and their webhooks. *sunshine.Client implements it.
type WebhookAPI interface {
	ListCustomIntegrations(ctx context.Context) ([]sunshine.Integration, error)
	CreateCustomIntegration(ctx context.Context, req sunshine.CustomIntegrationRequest) (*sunshine.Integration, error)
	DeleteIntegration(ctx context.Context, integrationID string) error
	CreateWebhook(ctx context.Context, integrationID string, req sunshine.WebhookRequest) (*sunshine.Webhook, error)
	GetWebhook(ctx context.Context, integrationID, webhookID string) (*sunshine.Webhook, error)
	UpdateWebhook(ctx context.Context, integrationID, webhookID string, req sunshine.WebhookUpdate) (*sunshine.Webhook, error)
}

var _ WebhookAPI = (*sunshine.Client)(nil)

// errNoWebhookAPI is returned when the Switchboard's client cannot manage webhooks.
var errNoWebhookAPI = errors.New("the API client of this Switchboard cannot manage webhooks")

// errWebhookLimit is returned, before any call, when the app already has the most
// webhooks the vendor allows.
var errWebhookLimit = fmt.Errorf("the app already has %d webhooks, the most the API allows: delete one in Sunshine Conversations, "+
	"or remove spec.webhook", sunshine.MaxWebhooksPerApp)

// webhookAPIOf returns the webhook calls of a Switchboard's client.
func webhookAPIOf(api SunshineAPI) (WebhookAPI, error) {
	w, ok := api.(WebhookAPI)
	if !ok {
		return nil, errNoWebhookAPI
	}
	return w, nil
}

// WebhookTarget is the URL the webhook of sb delivers to: spec.webhook.url followed by
// the Switchboard's own path; empty without spec.webhook.
func WebhookTarget(sb *sbv1.Switchboard) string {
	if sb.Spec.Webhook == nil {
		return ""
	}
	return strings.TrimRight(sb.Spec.Webhook.URL, "/") + receiver.PathPrefix + receiver.Token(sb.UID, sb.Namespace, sb.Name)
}

// reconcileWebhook keeps the Switchboard's webhook as spec.webhook declares it: found
// or created, repaired when others changed its target or triggers, removed when the
// field is removed. It runs only when the connection works (Ready=True) and sets the
// WebhookReady condition; it never changes Ready.
func (r *SwitchboardReconciler) reconcileWebhook(ctx context.Context, sb *sbv1.Switchboard, conds conditions, listing outcome) outcome {
	if sb.Spec.Webhook == nil && sb.Status.Webhook == nil && !controllerutil.ContainsFinalizer(sb, sbv1.FinalizerWebhook) {
		meta.RemoveStatusCondition(&sb.Status.Conditions, sbv1.ConditionWebhookReady)
		return listing
	}
	if listing.Err != nil || !meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady) {
		return listing
	}
	api, _, err := r.Connector.Connect(ctx, sb, false)
	if err != nil {
		return listing
	}
	hooks, err := webhookAPIOf(api)
	if err != nil {
		return combine(listing, r.webhookFailed(conds, err))
	}
	if sb.Spec.Webhook == nil {
		if err := r.removeWebhook(ctx, sb, hooks); err != nil {
			return combine(listing, r.webhookFailed(conds, err))
		}
		meta.RemoveStatusCondition(&sb.Status.Conditions, sbv1.ConditionWebhookReady)
		return combine(listing, outcome{Err: r.setWebhookFinalizer(ctx, sb, false)})
	}
	if !r.webhookDue(sb) {
		return listing
	}
	if err := r.setWebhookFinalizer(ctx, sb, true); err != nil {
		return combine(listing, outcome{Err: err})
	}
	status, secret, err := r.syncWebhook(ctx, sb, hooks)
	if err != nil {
		return combine(listing, r.webhookFailed(conds, err))
	}
	r.secrets().Set(client.ObjectKeyFromObject(sb), secret)
	now := metav1.NewTime(r.now())
	status.LastSyncTime = &now
	sb.Status.Webhook = status
	conds.set(sbv1.ConditionWebhookReady, metav1.ConditionTrue, sbv1.ReasonWebhookReady,
		fmt.Sprintf("webhook %s of integration %s delivers the switchboard events to the receiver", status.WebhookID, status.IntegrationID))
	return listing
}

// webhookDue tells whether the webhook must be read: none recorded yet, another target,
// not ready, or the listing was refreshed since (a new generation, credentials, the
// requestedAt annotation, or the refresh interval).
func (r *SwitchboardReconciler) webhookDue(sb *sbv1.Switchboard) bool {
	st := sb.Status.Webhook
	return st == nil || st.WebhookID == "" || st.URL != WebhookTarget(sb) || st.LastSyncTime == nil ||
		!meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionWebhookReady) ||
		(sb.Status.LastRefreshTime != nil && sb.Status.LastRefreshTime.After(st.LastSyncTime.Time)) ||
		r.now().Sub(st.LastSyncTime.Time) >= refreshInterval(sb)
}

// syncWebhook finds or creates the operator's integration and webhook and repairs the
// webhook's target and triggers. It returns the webhook as status records it, and its
// secret, read through the API.
func (r *SwitchboardReconciler) syncWebhook(ctx context.Context, sb *sbv1.Switchboard, api WebhookAPI) (*sbv1.SwitchboardWebhookStatus, sunshine.Secret, error) {
	target := WebhookTarget(sb)
	integrations, err := api.ListCustomIntegrations(ctx)
	if err != nil {
		return nil, sunshine.Secret{}, err
	}
	ours := ownIntegrations(sb, integrations)
	if len(ours) == 0 {
		return r.createWebhookIntegration(ctx, sb, api, integrations, target)
	}
	// A crash between a creation and the status write can leave two: keep one.
	for _, extra := range ours[1:] {
		if err := api.DeleteIntegration(ctx, extra.ID); err != nil && !sunshine.IsNotFound(err) {
			return nil, sunshine.Secret{}, err
		}
	}
	in := ours[0]
	st := &sbv1.SwitchboardWebhookStatus{IntegrationID: in.ID, URL: target}
	if len(in.Webhooks) == 0 {
		wh, err := api.CreateWebhook(ctx, in.ID, sunshine.WebhookRequest{Target: target, Triggers: sunshine.SwitchboardTriggers})
		if err != nil {
			return nil, sunshine.Secret{}, err
		}
		st.WebhookID = wh.ID
		return st, wh.Secret, nil
	}
	st.WebhookID = in.Webhooks[0].ID
	for _, wh := range in.Webhooks {
		if sb.Status.Webhook != nil && wh.ID == sb.Status.Webhook.WebhookID {
			st.WebhookID = wh.ID
		}
	}
	wh, err := api.GetWebhook(ctx, in.ID, st.WebhookID)
	if err != nil {
		return nil, sunshine.Secret{}, err
	}
	if wh.Target != target || !sameTriggers(wh.Triggers, sunshine.SwitchboardTriggers) {
		if _, err := api.UpdateWebhook(ctx, in.ID, st.WebhookID, sunshine.WebhookUpdate{Target: target, Triggers: sunshine.SwitchboardTriggers}); err != nil {
			return nil, sunshine.Secret{}, err
		}
		logf.FromContext(ctx).Info("Repaired the webhook", "webhook", st.WebhookID, "targetChanged", wh.Target != target)
	}
	return st, wh.Secret, nil
}

// createWebhookIntegration creates the operator's custom integration with its webhook.
func (r *SwitchboardReconciler) createWebhookIntegration(ctx context.Context, sb *sbv1.Switchboard, api WebhookAPI,
	integrations []sunshine.Integration, target string) (*sbv1.SwitchboardWebhookStatus, sunshine.Secret, error) {
	webhooks := 0
	for _, in := range integrations {
		webhooks += len(in.Webhooks)
	}
	if webhooks >= sunshine.MaxWebhooksPerApp {
		return nil, sunshine.Secret{}, errWebhookLimit
	}
	in, err := api.CreateCustomIntegration(ctx, sunshine.CustomIntegrationRequest{
		DisplayName: sbv1.WebhookIntegrationDisplayName,
		Webhook:     sunshine.WebhookRequest{Target: target, Triggers: sunshine.SwitchboardTriggers},
	})
	if err != nil {
		return nil, sunshine.Secret{}, err
	}
	if len(in.Webhooks) == 0 {
		return nil, sunshine.Secret{}, &listingTooBigError{"the API created the integration without its webhook"}
	}
	logf.FromContext(ctx).Info("Created the webhook", "integration", in.ID, "webhook", in.Webhooks[0].ID, "switchboard", sb.Name)
	return &sbv1.SwitchboardWebhookStatus{IntegrationID: in.ID, WebhookID: in.Webhooks[0].ID, URL: target}, in.Webhooks[0].Secret, nil
}

// ownIntegrations are the custom integrations the operator made for sb: the one status
// names, and those with the operator's display name whose webhook targets sb's path
// (whatever the base URL). The one status names comes first. Others are never touched.
func ownIntegrations(sb *sbv1.Switchboard, integrations []sunshine.Integration) []sunshine.Integration {
	path := receiver.PathPrefix + receiver.Token(sb.UID, sb.Namespace, sb.Name)
	var ours []sunshine.Integration
	for _, in := range integrations {
		recorded := sb.Status.Webhook != nil && sb.Status.Webhook.IntegrationID != "" && in.ID == sb.Status.Webhook.IntegrationID
		marked := in.DisplayName == sbv1.WebhookIntegrationDisplayName && slices.ContainsFunc(in.Webhooks, func(w sunshine.Webhook) bool {
			return strings.HasSuffix(w.Target, path)
		})
		switch {
		case recorded:
			ours = append([]sunshine.Integration{in}, ours...)
		case marked:
			ours = append(ours, in)
		}
	}
	return ours
}

// sameTriggers tells whether two trigger lists hold the same triggers.
func sameTriggers(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// removeWebhook deletes the operator's integrations of sb (and with them the webhook),
// forgets the secret and clears status.webhook. An integration already gone counts as
// deleted.
func (r *SwitchboardReconciler) removeWebhook(ctx context.Context, sb *sbv1.Switchboard, api WebhookAPI) error {
	integrations, err := api.ListCustomIntegrations(ctx)
	if err != nil {
		return err
	}
	for _, in := range ownIntegrations(sb, integrations) {
		if err := api.DeleteIntegration(ctx, in.ID); err != nil && !sunshine.IsNotFound(err) {
			return err
		}
		logf.FromContext(ctx).Info("Deleted the webhook's integration", "integration", in.ID, "switchboard", sb.Name)
	}
	r.secrets().Forget(client.ObjectKeyFromObject(sb))
	sb.Status.Webhook = nil
	return nil
}

// setWebhookFinalizer adds or removes the webhook finalizer, with an optimistic lock.
func (r *SwitchboardReconciler) setWebhookFinalizer(ctx context.Context, sb *sbv1.Switchboard, present bool) error {
	if controllerutil.ContainsFinalizer(sb, sbv1.FinalizerWebhook) == present {
		return nil
	}
	base := sb.DeepCopy()
	if present {
		controllerutil.AddFinalizer(sb, sbv1.FinalizerWebhook)
	} else {
		controllerutil.RemoveFinalizer(sb, sbv1.FinalizerWebhook)
	}
	return client.IgnoreNotFound(patchKeepingStatus(ctx, r.Client, sb, base))
}

// patchKeepingStatus patches sb's metadata from base with an optimistic lock, and keeps the
// status this pass computed in memory: the answer to the patch carries the stored status,
// which would otherwise replace it before the pass writes its own.
func patchKeepingStatus(ctx context.Context, c client.Client, sb, base *sbv1.Switchboard) error {
	status := sb.Status.DeepCopy()
	err := c.Patch(ctx, sb, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	sb.Status = *status
	return err
}

// webhookFailed records a failure of the webhook phase on WebhookReady with a stable
// reason; transient failures are retried with backoff.
func (r *SwitchboardReconciler) webhookFailed(conds conditions, err error) outcome {
	f := classify(err)
	switch {
	case errors.Is(err, errWebhookLimit) || isWebhookLimit(err):
		f.Reason, f.Terminal, f.Message = sbv1.ReasonWebhookLimitReached, true, errWebhookLimit.Error()
	case isTargetRefused(err):
		f.Reason, f.Terminal = sbv1.ReasonWebhookTargetUnreachable, true
		f.Message = "the API refused the webhook's target: its HEAD request to the URL failed or the URL is not accepted; " +
			"check that spec.webhook.url reaches the receiver from the internet"
	case errors.Is(err, errNoWebhookAPI):
		f.Reason, f.Terminal, f.Message = sbv1.ReasonWebhookFailed, true, err.Error()
	}
	conds.set(sbv1.ConditionWebhookReady, metav1.ConditionFalse, f.Reason, "managing the webhook failed: "+f.Message)
	switch {
	case f.Terminal:
		return outcome{RequeueAfter: r.SecretCheckInterval}
	case f.RetryAfter > 0:
		return outcome{RequeueAfter: f.RetryAfter}
	}
	return outcome{Err: failureError(f)}
}

// isWebhookLimit tells whether the API refused a webhook because the app has too many.
func isWebhookLimit(err error) bool {
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode/100 != 4 {
		return false
	}
	text := strings.ToLower(apiErr.Code + " " + apiErr.Title)
	return strings.Contains(text, "limit") || strings.Contains(text, "maximum") || strings.Contains(text, "too many")
}

// isTargetRefused tells whether the API refused a webhook's target (the HEAD check).
func isTargetRefused(err error) bool {
	var apiErr *sunshine.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		return false
	}
	text := strings.ToLower(apiErr.Code + " " + apiErr.Title)
	return strings.Contains(text, "target") || strings.Contains(text, "head") || strings.Contains(text, "url")
}

// combine merges the outcome of a later phase into an earlier one: the sooner requeue,
// and the later phase's error.
func combine(a, b outcome) outcome {
	if b.Err != nil {
		a.Err = b.Err
	}
	if b.RequeueAfter > 0 && (a.RequeueAfter <= 0 || b.RequeueAfter < a.RequeueAfter) {
		a.RequeueAfter = b.RequeueAfter
	}
	return a
}

// finalizeWebhook removes the webhook of a Switchboard being deleted, then its
// finalizer. It gives up (with a log line) when the credentials no longer work, or after
// DeletionTimeout, so that deletion never hangs. handled is false when there is no
// webhook finalizer.
func (r *SwitchboardReconciler) finalizeWebhook(ctx context.Context, sb *sbv1.Switchboard) (handled bool, err error) {
	if !controllerutil.ContainsFinalizer(sb, sbv1.FinalizerWebhook) {
		return false, nil
	}
	log := logf.FromContext(ctx)
	removeErr := r.removeWebhookOf(ctx, sb)
	if removeErr != nil {
		f := classify(removeErr)
		expired := r.DeletionTimeout > 0 && r.now().Sub(sb.DeletionTimestamp.Time) >= r.DeletionTimeout
		if !f.Terminal && !expired {
			return true, failureError(f)
		}
		log.Info("Left the webhook in place: it could not be removed", "reason", f.Reason, "message", f.Message)
	}
	r.secrets().Forget(client.ObjectKeyFromObject(sb))
	return true, r.setWebhookFinalizer(ctx, sb, false)
}

// removeWebhookOf connects and removes the webhook of sb.
func (r *SwitchboardReconciler) removeWebhookOf(ctx context.Context, sb *sbv1.Switchboard) error {
	api, _, err := r.Connector.Connect(ctx, sb, true)
	if err != nil {
		return err
	}
	hooks, err := webhookAPIOf(api)
	if err != nil {
		return err
	}
	return r.removeWebhook(ctx, sb, hooks)
}

// secrets is the store of webhook secrets, one of the reconciler's own when none was given.
func (r *SwitchboardReconciler) secrets() *receiver.Secrets {
	if r.WebhookSecrets == nil {
		r.WebhookSecrets = &receiver.Secrets{}
	}
	return r.WebhookSecrets
}

// webhookSecretTimeout bounds the read of a webhook's secret for the receiver.
const webhookSecretTimeout = 10 * time.Second

// webhookSecretSource reads webhook secrets through the API, for the receiver of a
// replica whose reconciler has not read them (it does not lead).
type webhookSecretSource struct {
	reader    client.Reader
	connector Connector
}

// WebhookSecret implements receiver.SecretSource.
func (s webhookSecretSource) WebhookSecret(ctx context.Context, key types.NamespacedName) (sunshine.Secret, error) {
	sb := &sbv1.Switchboard{}
	if err := s.reader.Get(ctx, key, sb); err != nil {
		return sunshine.Secret{}, err
	}
	if sb.Status.Webhook == nil || sb.Status.Webhook.WebhookID == "" {
		return sunshine.Secret{}, fmt.Errorf("switchboard %s manages no webhook yet", key)
	}
	api, _, err := s.connector.Connect(ctx, sb, false)
	if err != nil {
		return sunshine.Secret{}, err
	}
	hooks, err := webhookAPIOf(api)
	if err != nil {
		return sunshine.Secret{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, webhookSecretTimeout)
	defer cancel()
	wh, err := hooks.GetWebhook(ctx, sb.Status.Webhook.IntegrationID, sb.Status.Webhook.WebhookID)
	if err != nil {
		return sunshine.Secret{}, err
	}
	return wh.Secret, nil
}
