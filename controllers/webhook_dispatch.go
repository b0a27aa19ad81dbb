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
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/internal/receiver"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
)

// webhookTokenIndex indexes the Switchboards with spec.webhook by their receiver path token.
const webhookTokenIndex = "webhook.token"

// webhookTokenOf is the index function of webhookTokenIndex.
func webhookTokenOf(o client.Object) []string {
	sb := o.(*sbv1.Switchboard)
	if sb.Spec.Webhook == nil {
		return nil
	}
	return []string{receiver.Token(sb.UID, sb.Namespace, sb.Name)}
}

// ccEvent wakes one ConversationControl through the controller's channel source.
type ccEvent = event.TypedGenericEvent[*sbv1.ConversationControl]

// webhookRouter resolves the receiver's paths to Switchboards and dispatches events to
// the ConversationControls they concern. On the leader it records the observation and
// enqueues the objects through the controller's channel; elsewhere it annotates them
// (AnnotationObservedEvent), so that the leader's watch does the same.
type webhookRouter struct {
	client       client.Client
	observations *Observations
	events       chan<- ccEvent
	elected      <-chan struct{}
	now          func() time.Time
}

var (
	_ receiver.Resolver   = (*webhookRouter)(nil)
	_ receiver.Dispatcher = (*webhookRouter)(nil)
)

// Resolve implements receiver.Resolver from the cache of Switchboards.
func (w *webhookRouter) Resolve(ctx context.Context, token string) (receiver.Hook, bool) {
	var list sbv1.SwitchboardList
	if err := w.client.List(ctx, &list, client.MatchingFields{webhookTokenIndex: token}); err != nil || len(list.Items) != 1 {
		return receiver.Hook{}, false
	}
	sb := &list.Items[0]
	return receiver.Hook{Switchboard: client.ObjectKeyFromObject(sb), AppID: sb.Spec.AppID}, true
}

// Dispatch implements receiver.Dispatcher. The concerned ConversationControls are those
// of the event's conversation whose Switchboard names the same app on the same
// endpoint as the Switchboard whose webhook delivered it.
func (w *webhookRouter) Dispatch(ctx context.Context, hook receiver.Hook, e sunshine.WebhookEvent) (receiver.Outcome, error) {
	source := &sbv1.Switchboard{}
	if err := w.client.Get(ctx, hook.Switchboard, source); err != nil {
		return receiver.OutcomeFailed, fmt.Errorf("reading switchboard %s: %w", hook.Switchboard, err)
	}
	concerned, err := w.concerned(ctx, source, e.ConversationID())
	if err != nil {
		return receiver.OutcomeFailed, err
	}
	if len(concerned) == 0 {
		return receiver.OutcomeUnmatched, nil
	}
	obs := observationOf(e, w.now())
	if w.leading() {
		awaited := w.observations.recordFor(ObservationScope(source), e.ConversationID(), obs)
		for _, cc := range concerned {
			if awaited[client.ObjectKeyFromObject(cc)] {
				continue // a reconcile of it is waiting for this event right now
			}
			select {
			case w.events <- ccEvent{Object: cc}:
			case <-ctx.Done():
				return receiver.OutcomeFailed, ctx.Err()
			}
		}
		return receiver.OutcomeEnqueued, nil
	}
	value, err := encodeObservedEvent(hook.AppID, obs)
	if err != nil {
		return receiver.OutcomeFailed, err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{sbv1.AnnotationObservedEvent: value}}})
	if err != nil {
		return receiver.OutcomeFailed, err
	}
	var errs []error
	for _, cc := range concerned {
		if err := w.client.Patch(ctx, cc, client.RawPatch(types.MergePatchType, patch)); client.IgnoreNotFound(err) != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return receiver.OutcomeFailed, err
	}
	return receiver.OutcomeRouted, nil
}

// concerned lists the ConversationControls of conversationID whose Switchboard names
// the app and endpoint of source.
func (w *webhookRouter) concerned(ctx context.Context, source *sbv1.Switchboard, conversationID string) ([]*sbv1.ConversationControl, error) {
	var list sbv1.ConversationControlList
	if err := w.client.List(ctx, &list, client.MatchingFields{conversationIDIndex: conversationID}); err != nil {
		return nil, err
	}
	var concerned []*sbv1.ConversationControl
	for i := range list.Items {
		cc := &list.Items[i]
		sb := source
		if cc.Namespace != source.Namespace || cc.Spec.SwitchboardRef.Name != source.Name {
			sb = &sbv1.Switchboard{}
			if err := w.client.Get(ctx, types.NamespacedName{Namespace: cc.Namespace, Name: cc.Spec.SwitchboardRef.Name}, sb); err != nil {
				continue
			}
		}
		if sb.Spec.AppID == source.Spec.AppID && sb.Spec.Endpoint == source.Spec.Endpoint {
			concerned = append(concerned, cc)
		}
	}
	return concerned, nil
}

func (w *webhookRouter) leading() bool {
	select {
	case <-w.elected:
		return true
	default:
		return false
	}
}

// observedEventHandler records the observation a replica that does not lead wrote in
// the observedEvent annotation, then enqueues the object, so that its reconcile finds
// the observation. The For watch ignores changes of that annotation alone.
func (r *ConversationControlReconciler) observedEventHandler() handler.TypedEventHandler[client.Object, reconcile.Request] {
	return handler.Funcs{
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			value := e.ObjectNew.GetAnnotations()[sbv1.AnnotationObservedEvent]
			if value == "" || value == e.ObjectOld.GetAnnotations()[sbv1.AnnotationObservedEvent] {
				return
			}
			cc, ok := e.ObjectNew.(*sbv1.ConversationControl)
			if !ok {
				return
			}
			// Whoever may patch the object could write the annotation: it counts only for
			// the app of the object's own Switchboard.
			sb := &sbv1.Switchboard{}
			key := types.NamespacedName{Namespace: cc.Namespace, Name: cc.Spec.SwitchboardRef.Name}
			if app, obs, ok := decodeObservedEvent(value); ok && r.Get(ctx, key, sb) == nil && sb.Spec.AppID == app {
				obs.Unverified = true
				r.Observations.Record(ObservationScope(sb), cc.Spec.ConversationID, obs)
			}
			q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(cc)})
		},
	}
}
