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

	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// conversationIDIndex indexes ConversationControls by spec.conversationId.
const conversationIDIndex = "spec.conversationId"

// switchboardRefIndex indexes ConversationControls by spec.switchboardRef.name.
const switchboardRefIndex = "spec.switchboardRef.name"

// olderClaim returns the name of an older ConversationControl that targets the same
// conversation of the same app, or "". Two such objects would fight; the older one wins
// until it is gone (deleting objects still count).
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
		sameApp := peer.Namespace == cc.Namespace && peer.Spec.SwitchboardRef.Name == cc.Spec.SwitchboardRef.Name
		if !sameApp {
			peerSB := &sbv1.Switchboard{}
			err := r.Get(ctx, client.ObjectKey{Namespace: peer.Namespace, Name: peer.Spec.SwitchboardRef.Name}, peerSB)
			sameApp = err == nil && peerSB.Spec.AppID == sb.Spec.AppID
		}
		if sameApp {
			return peer.Namespace + "/" + peer.Name, nil
		}
	}
	return "", nil
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
