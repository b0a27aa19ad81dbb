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
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// The cache holds every ConversationControl decoded from JSON, each with its own copy of
// strings that thousands of objects share: the namespace, the Switchboard's name, the
// integrations' ids, names and types, the conditions' reasons and messages. internStrings
// replaces them with one canonical copy each (Go's unique package, whose entries go when
// no object uses them any more). Strings are immutable, so sharing them changes nothing a
// reader or a deep copy sees. Fields unique to an object (name, UID, resourceVersion,
// conversationId) are left as they are.

func intern[S ~string](s *S) {
	if *s != "" {
		*s = S(unique.Make(string(*s)).Value())
	}
}

func internReference(r *sbv1.IntegrationReference) {
	if r != nil {
		intern(&r.ID)
		intern(&r.Name)
		intern(&r.IntegrationType)
	}
}

func internAction(a *sbv1.AppliedAction) {
	if a == nil {
		return
	}
	intern(&a.Action)
	intern(&a.State)
	intern(&a.Integration)
	internReference(a.Reached)
	if a.Before != nil {
		internReference(a.Before.Active)
		internReference(a.Before.Pending)
	}
}

func internMeta(m *metav1.ObjectMeta) {
	intern(&m.Namespace)
	for i := range m.Finalizers {
		intern(&m.Finalizers[i])
	}
	for i := range m.ManagedFields {
		f := &m.ManagedFields[i]
		intern(&f.Manager)
		intern(&f.Operation)
		intern(&f.APIVersion)
		intern(&f.FieldsType)
		intern(&f.Subresource)
	}
}

func internConditions(conds []metav1.Condition) {
	for i := range conds {
		c := &conds[i]
		intern(&c.Type)
		intern(&c.Status)
		intern(&c.Reason)
		intern(&c.Message)
	}
}

// internStrings shares the repeated strings of a cached ConversationControl.
func internStrings(cc *sbv1.ConversationControl) {
	internMeta(&cc.ObjectMeta)
	sp := &cc.Spec
	intern(&sp.SwitchboardRef.Name)
	intern(&sp.State)
	intern(&sp.Integration)
	intern(&sp.DeletionPolicy)
	intern(&sp.DriftPolicy)
	st := &cc.Status
	internConditions(st.Conditions)
	if d := st.Declaration; d != nil {
		intern(&d.State)
		intern(&d.Integration)
		internReference(d.Target)
	}
	internAction(st.LastAppliedAction)
	internAction(st.InFlightAction)
	internReference(st.ActiveIntegration)
	internReference(st.PendingIntegration)
	for i := range st.History {
		h := &st.History[i]
		internReference(h.From)
		internReference(h.To)
		intern(&h.Action)
		intern(&h.Source)
		intern(&h.Reason)
	}
}
