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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func versionOf(uid, rv string) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{ObjectMeta: metav1.ObjectMeta{Namespace: "support", Name: "vip", UID: types.UID("uid-" + uid),
		ResourceVersion: rv}}
}

// A write is remembered only until the cache shows it: older versions read before are
// stale, and once the cache holds the written version (or a newer one, or another object
// of the same name) the entry is gone, so the map does not keep one entry per object.
func TestWriteExpectationsAreForgottenOnceTheCacheShowsTheWrite(t *testing.T) {
	for name, tc := range map[string]struct {
		seen        *sbv1.ConversationControl
		wantForgets bool
	}{
		"an older version":          {seen: versionOf("a", "41"), wantForgets: false},
		"the written version":       {seen: versionOf("a", "42"), wantForgets: true},
		"a newer version":           {seen: versionOf("a", "57"), wantForgets: true},
		"another object, same name": {seen: versionOf("b", "3"), wantForgets: true},
	} {
		t.Run(name, func(t *testing.T) {
			var w writeExpectations
			w.record(versionOf("a", "42"))
			w.observer().Update(context.Background(), event.UpdateEvent{ObjectOld: versionOf("a", "40"), ObjectNew: tc.seen}, nil)
			if got := len(w.written) == 0; got != tc.wantForgets {
				t.Fatalf("forgotten = %v, want %v", got, tc.wantForgets)
			}
			if stale := w.stale(versionOf("a", "41")); stale == tc.wantForgets {
				t.Fatalf("version 41 stale = %v after seeing %s", stale, tc.seen.ResourceVersion)
			}
		})
	}
}
