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
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// conversationIDIndex indexes ConversationControls by spec.conversationId.
const conversationIDIndex = "spec.conversationId"

// switchboardRefIndex indexes ConversationControls by spec.switchboardRef.name.
const switchboardRefIndex = "spec.switchboardRef.name"

// olderClaim tells, in a message for the Conflict condition, whether an older
// ConversationControl claims the same conversation of the same app; "" when none does. Two
// such objects would fight; the older one wins until it is gone (deleting objects still
// count). Only a claim that cannot be spoofed counts:
//
//   - an object in the same namespace on the same app: the same Switchboard, or one that
//     names the same appId; one whose Switchboard cannot be read counts too (the
//     namespace's own objects are trusted, and a wrong guess only makes this one wait);
//   - an object of another namespace only when its Switchboard is Ready (its credentials
//     work) on the same endpoint and app. Messages never name objects of other namespaces.
func (r *ConversationControlReconciler) olderClaim(ctx context.Context, cc *sbv1.ConversationControl, sb *sbv1.Switchboard) (string, error) {
	var peers sbv1.ConversationControlList
	if err := r.List(ctx, &peers, client.MatchingFields{conversationIDIndex: cc.Spec.ConversationID}); err != nil {
		return "", fmt.Errorf("listing ConversationControls of conversation %s: %w", cc.Spec.ConversationID, err)
	}
	for i := range peers.Items {
		peer := &peers.Items[i]
		if peer.UID == cc.UID || !olderThan(peer, cc) {
			continue
		}
		if peer.Namespace == cc.Namespace {
			if r.sameAppInNamespace(ctx, peer, sb) {
				return fmt.Sprintf("ConversationControl %s, created earlier, targets conversation %s of app %s; this one waits until that one is deleted",
					peer.Name, cc.Spec.ConversationID, sb.Spec.AppID), nil
			}
			continue
		}
		if r.readyOnSameApp(ctx, peer, sb) {
			return fmt.Sprintf("an older ConversationControl in another namespace claims conversation %s of app %s; this one waits until it is deleted",
				cc.Spec.ConversationID, sb.Spec.AppID), nil
		}
	}
	return "", nil
}

// sameAppInNamespace tells whether a peer of the same namespace targets the app of sb.
func (r *ConversationControlReconciler) sameAppInNamespace(ctx context.Context, peer *sbv1.ConversationControl, sb *sbv1.Switchboard) bool {
	if peer.Spec.SwitchboardRef.Name == sb.Name {
		return true
	}
	peerSB := &sbv1.Switchboard{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: peer.Namespace, Name: peer.Spec.SwitchboardRef.Name}, peerSB); err != nil {
		return true
	}
	return peerSB.Spec.AppID == sb.Spec.AppID
}

// readyOnSameApp tells whether a peer of another namespace has a Ready Switchboard on the
// endpoint and app of sb.
func (r *ConversationControlReconciler) readyOnSameApp(ctx context.Context, peer *sbv1.ConversationControl, sb *sbv1.Switchboard) bool {
	peerSB := &sbv1.Switchboard{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: peer.Namespace, Name: peer.Spec.SwitchboardRef.Name}, peerSB); err != nil {
		return false
	}
	return meta.IsStatusConditionTrue(peerSB.Status.Conditions, sbv1.ConditionReady) &&
		peerSB.Spec.AppID == sb.Spec.AppID && sameEndpoint(peerSB.Spec.Endpoint, sb.Spec.Endpoint)
}

// sameEndpoint compares two endpoint URLs, ignoring a trailing slash and the case of the host.
func sameEndpoint(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// olderThan orders objects by creation time (which has a resolution of one second);
// among objects created in the same second, one that already applied an action comes
// first, then the order is by namespace and name.
func olderThan(a, b *sbv1.ConversationControl) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if aActed, bActed := a.Status.LastAppliedAction != nil, b.Status.LastAppliedAction != nil; aActed != bActed {
		return aActed
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}
