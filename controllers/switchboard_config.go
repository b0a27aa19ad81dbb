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

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=switchboards,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=switchboard.conversations.dev,resources=switchboards/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SwitchboardConfigAPI is what managing a switchboard's configuration needs of the
// vendor's API, on top of SunshineAPI. *sunshine.Client implements it.
type SwitchboardConfigAPI interface {
	ListSwitchboards(ctx context.Context) ([]sunshine.Switchboard, error)
	ListSwitchboardIntegrations(ctx context.Context, switchboardID string) ([]sunshine.SwitchboardIntegration, error)
	CreateSwitchboard(ctx context.Context) (*sunshine.Switchboard, error)
	UpdateSwitchboard(ctx context.Context, switchboardID string, req sunshine.SwitchboardUpdate) (*sunshine.Switchboard, error)
	DeleteSwitchboard(ctx context.Context, switchboardID string) error
	CreateSwitchboardIntegration(ctx context.Context, switchboardID string, req sunshine.SwitchboardIntegrationCreate) (*sunshine.SwitchboardIntegration, error)
	UpdateSwitchboardIntegration(ctx context.Context, switchboardID, integrationID string, req sunshine.SwitchboardIntegrationUpdate) (*sunshine.SwitchboardIntegration, error)
	DeleteSwitchboardIntegration(ctx context.Context, switchboardID, integrationID string) error
}

var _ SwitchboardConfigAPI = (*sunshine.Client)(nil)

// errNoConfigAPI is returned when the connector's client cannot write configuration.
var errNoConfigAPI = errors.New("the API client cannot write the switchboard configuration")

// configMetrics count configuration calls and drift.
type configMetrics struct {
	calls *prometheus.CounterVec
	drift *prometheus.CounterVec
}

func newConfigMetrics(reg prometheus.Registerer) configMetrics {
	m := configMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_operator_config_changes_total",
			Help: "Switchboard configuration calls made by the operator (managementPolicy Manage), by operation and result (applied, or the failure reason).",
		}, []string{"operation", "result"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_operator_config_drift_total",
			Help: "Switchboard configurations found changed by others, by what the operator did (reported or repaired).",
		}, []string{"action"}),
	}
	reg.MustRegister(m.calls, m.drift)
	return m
}

func (m *Metrics) observeConfigCall(op configOp, err error) {
	if m == nil || m.config.calls == nil {
		return
	}
	result := "applied"
	if err != nil {
		result = classify(err).Reason
	}
	m.config.calls.WithLabelValues(string(op), result).Inc()
}

func (m *Metrics) observeConfigDrift(action string) {
	if m != nil && m.config.drift != nil {
		m.config.drift.WithLabelValues(action).Inc()
	}
}

// configFromSpec is the declared configuration of a Switchboard.
func configFromSpec(spec sbv1.SwitchboardSpec) sunshine.SwitchboardConfig {
	cfg := sunshine.SwitchboardConfig{Enabled: spec.Enabled, Default: spec.DefaultIntegration}
	for _, in := range spec.Integrations {
		c := sunshine.IntegrationConfig{Name: in.Name, IntegrationID: in.IntegrationID, IntegrationType: in.IntegrationType,
			DeliverStandbyEvents: in.DeliverStandbyEvents == nil || *in.DeliverStandbyEvents, Next: in.Next}
		if in.MessageHistoryCount != nil {
			n := int(*in.MessageHistoryCount)
			c.MessageHistoryCount = &n
		}
		cfg.Integrations = append(cfg.Integrations, c)
	}
	return cfg
}

// managed tells whether the operator manages the Switchboard's configuration.
func managed(sb *sbv1.Switchboard) bool {
	return sb.Spec.ManagementPolicy == sbv1.ManagementPolicyManage
}

// reconcileSwitchboard runs the phase of the management policy: the listing (Observe) or
// the configuration (Manage). The configuration phase sets ConfigInSync as well.
func (r *SwitchboardReconciler) reconcileSwitchboard(ctx context.Context, sb *sbv1.Switchboard, conds conditions) outcome {
	if err := r.syncConfigFinalizer(ctx, sb); err != nil {
		return outcome{Err: err}
	}
	if !managed(sb) {
		meta.RemoveStatusCondition(&sb.Status.Conditions, sbv1.ConditionConfigInSync)
		return r.reconcileListing(ctx, sb, conds)
	}
	return r.reconcileConfig(ctx, sb, conds)
}

// syncConfigFinalizer keeps the configuration finalizer exactly on Switchboards that
// manage their configuration with deletionPolicy DeleteCreated.
func (r *SwitchboardReconciler) syncConfigFinalizer(ctx context.Context, sb *sbv1.Switchboard) error {
	want := managed(sb) && sb.Spec.DeletionPolicy == sbv1.ConfigDeletionPolicyDeleteCreated
	if want == controllerutil.ContainsFinalizer(sb, sbv1.FinalizerConfig) {
		return nil
	}
	base := sb.DeepCopy()
	if want {
		controllerutil.AddFinalizer(sb, sbv1.FinalizerConfig)
	} else {
		controllerutil.RemoveFinalizer(sb, sbv1.FinalizerConfig)
	}
	return patchKeepingStatus(ctx, r.Client, sb, base)
}

// liveConfig is one listing of the app's switchboard configuration; Board is nil when
// the app has none.
type liveConfig struct {
	Board        *sunshine.Switchboard
	Integrations []sunshine.SwitchboardIntegration
}

func listConfig(ctx context.Context, api SwitchboardConfigAPI) (liveConfig, error) {
	boards, err := api.ListSwitchboards(ctx)
	if err != nil || len(boards) == 0 {
		return liveConfig{}, err
	}
	integrations, err := api.ListSwitchboardIntegrations(ctx, boards[0].ID)
	if err != nil {
		return liveConfig{}, err
	}
	return liveConfig{Board: &boards[0], Integrations: integrations}, nil
}

// configAPI connects and returns the client as a SwitchboardConfigAPI.
func (r *SwitchboardReconciler) configAPI(ctx context.Context, sb *sbv1.Switchboard) (SwitchboardConfigAPI, string, error) {
	api, fingerprint, err := r.Connector.Connect(ctx, sb, true)
	if err != nil {
		return nil, "", err
	}
	capi, ok := api.(SwitchboardConfigAPI)
	if !ok {
		return nil, "", errNoConfigAPI
	}
	return capi, fingerprint, nil
}

// reconcileConfig makes the vendor's configuration match the spec (managementPolicy
// Manage): it lists the live configuration, and applies the plan when the generation is
// not applied yet, when others changed it and driftPolicy is Enforce, or when a new
// requestedAt asks for it; drift under Report is only reported. It sets Ready,
// ConfigInSync, and Reconciling or Stalled.
func (r *SwitchboardReconciler) reconcileConfig(ctx context.Context, sb *sbv1.Switchboard, conds conditions) outcome {
	api, fingerprint, err := r.configAPI(ctx, sb)
	if err != nil {
		return r.failed(sb, conds, err)
	}
	requestedAt := sb.Annotations[sbv1.AnnotationRequestedAt]
	st := configStatus(sb)
	if (!r.refreshDue(sb, fingerprint, requestedAt) && st.AppliedGeneration == sb.Generation) || r.stillRefused(sb, fingerprint, requestedAt) {
		return outcome{Finished: true, RequeueAfter: r.nextCheck(sb)}
	}
	want := configFromSpec(sb.Spec)
	if err := sunshine.ValidateSwitchboardConfig(want); err != nil {
		conds.stalled(sbv1.ReasonInvalidRequest, "the declared configuration is invalid: "+err.Error())
		return outcome{Finished: true}
	}
	live, err := listConfig(ctx, api)
	if err != nil {
		return r.failed(sb, conds, err)
	}
	sb.Status.CredentialsHash = fingerprint
	drift := configDrift(want, live.Board, live.Integrations)
	if len(drift) == 0 {
		return r.configInSync(sb, conds, live, requestedAt, "the switchboard's configuration matches the spec")
	}
	byOthers := st.AppliedGeneration == sb.Generation
	if byOthers && sb.Spec.DriftPolicy != sbv1.DriftPolicyEnforce && requestedAt == sb.Status.LastHandledReconcileAt {
		return r.reportConfigDrift(sb, conds, live, drift)
	}
	return r.applyConfig(ctx, sb, conds, api, want, live, byOthers)
}

// stillRefused tells whether the last pass was refused or blocked and nothing changed
// since (generation, credentials, requestedAt, the refresh interval): the refused call is
// not made again until something does.
func (r *SwitchboardReconciler) stillRefused(sb *sbv1.Switchboard, fingerprint, requestedAt string) bool {
	stalled := meta.FindStatusCondition(sb.Status.Conditions, sbv1.ConditionStalled)
	return stalled != nil && (stalled.Reason == sbv1.ReasonConfigRefused || stalled.Reason == sbv1.ReasonConfigBlocked) &&
		stalled.ObservedGeneration == sb.Generation && sb.Status.CredentialsHash == fingerprint &&
		sb.Status.LastHandledReconcileAt == requestedAt && sb.Status.LastRefreshTime != nil &&
		r.now().Sub(sb.Status.LastRefreshTime.Time) < refreshInterval(sb)
}

// configStatus returns status.config, creating it.
func configStatus(sb *sbv1.Switchboard) *sbv1.SwitchboardConfigStatus {
	if sb.Status.Config == nil {
		sb.Status.Config = &sbv1.SwitchboardConfigStatus{}
	}
	return sb.Status.Config
}

// recordLive writes a listing to status; without a switchboard it clears the listing.
func (r *SwitchboardReconciler) recordLive(sb *sbv1.Switchboard, live liveConfig) error {
	if live.Board == nil {
		sb.Status.SwitchboardID, sb.Status.Enabled, sb.Status.DefaultIntegration, sb.Status.Integrations = "", false, "", nil
		now := metav1.NewTime(r.now())
		sb.Status.LastRefreshTime = &now
		return nil
	}
	return r.recordListing(sb, *live.Board, live.Integrations)
}

// configInSync records a configuration that matches the spec.
func (r *SwitchboardReconciler) configInSync(sb *sbv1.Switchboard, conds conditions, live liveConfig, requestedAt, message string) outcome {
	if err := r.recordLive(sb, live); err != nil {
		return r.failed(sb, conds, err)
	}
	st := configStatus(sb)
	st.AppliedGeneration, st.Drift = sb.Generation, nil
	sb.Status.LastHandledReconcileAt = requestedAt
	conds.set(sbv1.ConditionConfigInSync, metav1.ConditionTrue, sbv1.ReasonConfigApplied, message)
	conds.ready(sbv1.ReasonSwitchboardReady, fmt.Sprintf("switchboard %s of app %s is configured with %d integrations",
		sb.Status.SwitchboardID, sb.Spec.AppID, len(sb.Status.Integrations)))
	return outcome{Finished: true, RequeueAfter: r.nextCheck(sb)}
}

// reportConfigDrift reports changes others made (driftPolicy Report): ConfigInSync=False
// naming the fields, one Event per new set of fields; Ready stays True.
func (r *SwitchboardReconciler) reportConfigDrift(sb *sbv1.Switchboard, conds conditions, live liveConfig, drift []string) outcome {
	if err := r.recordLive(sb, live); err != nil {
		return r.failed(sb, conds, err)
	}
	st := configStatus(sb)
	message := "changed at the vendor since it was applied: " + strings.Join(drift, ", ") +
		"; driftPolicy Report leaves it (Enforce repairs it, a new requestedAt annotation re-applies once)"
	if !slices.Equal(st.Drift, drift) {
		st.Drift = drift
		r.Metrics.observeConfigDrift("reported")
		r.event(sb, corev1.EventTypeWarning, sbv1.EventReasonDriftDetected, "Observe", "%s", "the switchboard's configuration was "+message)
	}
	conds.set(sbv1.ConditionConfigInSync, metav1.ConditionFalse, sbv1.ReasonDrifted, "the switchboard's configuration was "+message)
	conds.ready(sbv1.ReasonSwitchboardReady, fmt.Sprintf("switchboard %s of app %s listed with %d integrations",
		sb.Status.SwitchboardID, sb.Spec.AppID, len(sb.Status.Integrations)))
	return outcome{Finished: true, RequeueAfter: r.nextCheck(sb)}
}

// applyConfig applies the plan from the live configuration, call by call; a failed call
// stops it, and the next pass plans again from what it then lists. It records the ids
// of what it created, reads the configuration back, and sets the conditions.
func (r *SwitchboardReconciler) applyConfig(ctx context.Context, sb *sbv1.Switchboard, conds conditions, api SwitchboardConfigAPI,
	want sunshine.SwitchboardConfig, live liveConfig, repair bool) outcome {
	plan := planConfig(want, live.Board, live.Integrations)
	ap := newConfigApplier(api, live, configStatus(sb))
	sb.Status.LastHandledReconcileAt = sb.Annotations[sbv1.AnnotationRequestedAt]
	applied, callErr := ap.applyAll(ctx, plan.Calls, r.Metrics)
	if len(applied) > 0 {
		r.configEvent(sb, applied, repair)
		logf.FromContext(ctx).Info("Applied switchboard configuration calls", "calls", describeCalls(applied))
	}
	after, err := listConfig(ctx, api)
	if err == nil {
		err = r.recordLive(sb, after)
	}
	switch {
	case callErr != nil:
		return r.configCallFailed(sb, conds, ap.failedCall, callErr)
	case err != nil:
		return r.failed(sb, conds, err)
	case plan.Blocked != "":
		conds.set(sbv1.ConditionConfigInSync, metav1.ConditionFalse, sbv1.ReasonConfigBlocked, plan.Blocked)
		conds.stalled(sbv1.ReasonConfigBlocked, "the declared configuration cannot be reached: "+plan.Blocked)
		r.event(sb, corev1.EventTypeWarning, sbv1.EventReasonConfigRefused, "Configure", "%s", plan.Blocked)
		return outcome{Finished: true, RequeueAfter: r.SecretCheckInterval}
	}
	if drift := configDrift(want, after.Board, after.Integrations); len(drift) > 0 {
		// Someone changed it while the plan was applied: plan again soon.
		conds.set(sbv1.ConditionConfigInSync, metav1.ConditionFalse, sbv1.ReasonProgressing, "still differs after applying: "+strings.Join(drift, ", "))
		return outcome{RequeueAfter: time.Second}
	}
	if repair {
		r.Metrics.observeConfigDrift("repaired")
	}
	return r.configInSync(sb, conds, after, sb.Annotations[sbv1.AnnotationRequestedAt],
		fmt.Sprintf("the switchboard's configuration was made to match the spec with %d calls", len(applied)))
}

// configCallFailed records a configuration call that failed: a refusal is Stalled
// ConfigRefused with a Warning Event naming the call; a transient failure is retried.
func (r *SwitchboardReconciler) configCallFailed(sb *sbv1.Switchboard, conds conditions, call configCall, err error) outcome {
	f := classify(err)
	f.Message = call.String() + ": " + f.Message
	conds.set(sbv1.ConditionConfigInSync, metav1.ConditionFalse, f.Reason, f.Message)
	if !f.Terminal {
		if sb.Status.SwitchboardID != "" && meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady) {
			conds.retrying(f.Reason, f.Message) // its listing is still valid for ConversationControls
		} else {
			conds.reconciling(f.Reason, f.Message)
		}
		if f.RetryAfter > 0 {
			return outcome{RequeueAfter: f.RetryAfter}
		}
		return outcome{Err: failureError(f)}
	}
	f.Reason = sbv1.ReasonConfigRefused
	conds.set(sbv1.ConditionConfigInSync, metav1.ConditionFalse, f.Reason, f.Message)
	conds.stalled(f.Reason, "the vendor refused "+f.Message)
	r.event(sb, corev1.EventTypeWarning, sbv1.EventReasonConfigRefused, "Configure", "the vendor refused %s", f.Message)
	return outcome{Finished: true, RequeueAfter: r.SecretCheckInterval}
}

func (r *SwitchboardReconciler) configEvent(sb *sbv1.Switchboard, applied []configCall, repair bool) {
	reason, what := sbv1.EventReasonConfigApplied, "applied"
	if repair {
		reason, what = sbv1.EventReasonConfigDriftRepaired, "repaired drift with"
	}
	r.event(sb, corev1.EventTypeNormal, reason, "Configure", "%s %d calls: %s", what, len(applied), describeCalls(applied))
}

func describeCalls(calls []configCall) string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.String()
	}
	return strings.Join(out, "; ")
}

func (r *SwitchboardReconciler) event(sb *sbv1.Switchboard, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(sb, nil, eventType, reason, action, note, args...)
	}
}

// configApplier makes planned calls, turning names into ids as integrations are created.
type configApplier struct {
	api           SwitchboardConfigAPI
	switchboardID string
	ids           map[string]string // integration name -> id
	status        *sbv1.SwitchboardConfigStatus
	failedCall    configCall
}

func newConfigApplier(api SwitchboardConfigAPI, live liveConfig, status *sbv1.SwitchboardConfigStatus) *configApplier {
	a := &configApplier{api: api, ids: map[string]string{}, status: status}
	if live.Board != nil {
		a.switchboardID = live.Board.ID
	}
	for _, in := range live.Integrations {
		a.ids[in.Name] = in.ID
	}
	return a
}

// applyAll makes the calls in order until one fails; it returns the calls made.
func (a *configApplier) applyAll(ctx context.Context, calls []configCall, m *Metrics) ([]configCall, error) {
	for i, c := range calls {
		err := a.apply(ctx, c)
		m.observeConfigCall(c.Op, err)
		if err != nil {
			a.failedCall = c
			return calls[:i], err
		}
	}
	return calls, nil
}

// apply makes one call and records what it created or deleted.
func (a *configApplier) apply(ctx context.Context, c configCall) error {
	switch c.Op {
	case opCreateSwitchboard:
		board, err := a.api.CreateSwitchboard(ctx)
		if err != nil {
			return err
		}
		a.switchboardID, a.status.CreatedSwitchboard, a.status.CreatedIntegrationIDs = board.ID, true, nil
		return nil
	case opDeleteSwitchboard:
		if err := a.api.DeleteSwitchboard(ctx, a.switchboardID); err != nil {
			return err
		}
		a.status.CreatedSwitchboard, a.status.CreatedIntegrationIDs = false, nil
		return nil
	case opUpdateSwitchboard:
		req := sunshine.SwitchboardUpdate{Enabled: c.Enabled}
		if c.Default != "" {
			id := a.ids[c.Default]
			req.DefaultSwitchboardIntegrationID = &id
		}
		_, err := a.api.UpdateSwitchboard(ctx, a.switchboardID, req)
		return err
	case opCreateIntegration:
		return a.create(ctx, c)
	case opUpdateIntegration:
		_, err := a.api.UpdateSwitchboardIntegration(ctx, a.switchboardID, a.ids[c.Name], a.update(c))
		return err
	default:
		id := a.ids[c.Name]
		if err := a.api.DeleteSwitchboardIntegration(ctx, a.switchboardID, id); err != nil {
			return err
		}
		delete(a.ids, c.Name)
		a.status.CreatedIntegrationIDs = slices.DeleteFunc(a.status.CreatedIntegrationIDs, func(s string) bool { return s == id })
		return nil
	}
}

func (a *configApplier) create(ctx context.Context, c configCall) error {
	req := sunshine.SwitchboardIntegrationCreate{Name: c.Name, IntegrationID: c.IntegrationID, IntegrationType: c.IntegrationType,
		DeliverStandbyEvents: c.DeliverStandbyEvents, MessageHistoryCount: c.MessageHistoryCount}
	if c.Next != nil {
		req.NextSwitchboardIntegrationID = a.ids[*c.Next]
	}
	in, err := a.api.CreateSwitchboardIntegration(ctx, a.switchboardID, req)
	if err != nil {
		return err
	}
	a.ids[c.Name] = in.ID
	a.status.CreatedIntegrationIDs = append(a.status.CreatedIntegrationIDs, in.ID)
	slices.Sort(a.status.CreatedIntegrationIDs)
	return nil
}

func (a *configApplier) update(c configCall) sunshine.SwitchboardIntegrationUpdate {
	req := sunshine.SwitchboardIntegrationUpdate{DeliverStandbyEvents: c.DeliverStandbyEvents, MessageHistoryCount: c.MessageHistoryCount}
	switch {
	case c.IntegrationID != "":
		req.IntegrationID = &c.IntegrationID
	case c.IntegrationType != "":
		req.IntegrationType = &c.IntegrationType
	}
	if c.Next != nil {
		id := ""
		if *c.Next != "" {
			id = a.ids[*c.Next]
		}
		req.NextSwitchboardIntegrationID = &id
	}
	return req
}

// reconcileConfigDelete handles a Switchboard being deleted: with the configuration
// finalizer it removes what the operator created (deleteCreated), retrying transient
// failures until DeletionTimeout, then removes the finalizer; a removal it cannot make is
// skipped with a Warning Event.
func (r *SwitchboardReconciler) reconcileConfigDelete(ctx context.Context, sb *sbv1.Switchboard) (ctrl.Result, error) {
	key := types.NamespacedName{Namespace: sb.Namespace, Name: sb.Name}
	if !controllerutil.ContainsFinalizer(sb, sbv1.FinalizerConfig) {
		r.Connector.Forget(key)
		return ctrl.Result{}, nil
	}
	note, f := r.deleteCreated(ctx, sb)
	if f != nil {
		waited := r.now().Sub(sb.DeletionTimestamp.Time)
		if !f.Terminal && waited < r.DeletionTimeout {
			return ctrl.Result{RequeueAfter: min(max(f.RetryAfter, time.Second), r.DeletionTimeout-waited)}, nil
		}
		note = "what the operator created was not removed: " + f.Message
		if !f.Terminal {
			note = fmt.Sprintf("gave up removing what the operator created after %s: %s", r.DeletionTimeout, f.Message)
		}
	}
	if note != "" {
		r.event(sb, corev1.EventTypeWarning, sbv1.EventReasonConfigDeletionSkipped, "Delete", "%s", note)
	}
	base := sb.DeepCopy()
	controllerutil.RemoveFinalizer(sb, sbv1.FinalizerConfig)
	if err := r.Patch(ctx, sb, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	r.Connector.Forget(key)
	logf.FromContext(ctx).Info("Removed the configuration finalizer", "note", note)
	return ctrl.Result{}, nil
}

// deleteCreated removes the integrations the operator created, and the switchboard when
// the operator created it and nothing adopted is left on it. Adopted integrations stay;
// their next links to removed ones are cleared and the default moves to one of them.
func (r *SwitchboardReconciler) deleteCreated(ctx context.Context, sb *sbv1.Switchboard) (string, *failure) {
	st := configStatus(sb)
	if !st.CreatedSwitchboard && len(st.CreatedIntegrationIDs) == 0 {
		return "", nil
	}
	api, _, err := r.configAPI(ctx, sb)
	if err != nil {
		f := classify(err)
		return "", &f
	}
	live, err := listConfig(ctx, api)
	if err != nil {
		f := classify(err)
		return "", &f
	}
	if live.Board == nil {
		return "", nil
	}
	want, nothingLeft := deletionConfig(live.Board, live.Integrations, st.CreatedIntegrationIDs)
	plan := configPlan{Calls: []configCall{{Op: opDeleteSwitchboard}}}
	if !nothingLeft || !st.CreatedSwitchboard {
		plan = planConfig(want, live.Board, live.Integrations)
	}
	ap := newConfigApplier(api, live, st)
	applied, err := ap.applyAll(ctx, plan.Calls, r.Metrics)
	if len(applied) > 0 {
		r.event(sb, corev1.EventTypeNormal, sbv1.EventReasonConfigApplied, "Delete", "removed what the operator created with %d calls: %s",
			len(applied), describeCalls(applied))
	}
	if err != nil {
		f := classify(err)
		f.Message = ap.failedCall.String() + ": " + f.Message
		return "", &f
	}
	return plan.Blocked, nil
}
