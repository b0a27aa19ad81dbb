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
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// writeExpectations remembers the resourceVersion of this process's last write of each
// object. A reconcile that reads an older version from the cache knows the cache has not
// caught up with that write, and waits instead of deciding from a status that no longer
// holds (after which it could repeat an action). Resource versions are compared as the API
// server defines their order (k8s.io/apimachinery/pkg/util/resourceversion); where they
// cannot be compared, the cache is trusted.
type writeExpectations struct {
	mu      sync.Mutex
	written map[types.NamespacedName]writtenVersion
}

// writtenVersion identifies one write: the object's UID (a re-created object is another
// object) and the resourceVersion the write produced.
type writtenVersion struct {
	uid types.UID
	rv  string
}

// record remembers obj's resourceVersion after a write.
func (w *writeExpectations) record(obj client.Object) {
	if obj.GetResourceVersion() == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.written == nil {
		w.written = map[types.NamespacedName]writtenVersion{}
	}
	w.written[client.ObjectKeyFromObject(obj)] = writtenVersion{uid: obj.GetUID(), rv: obj.GetResourceVersion()}
}

// stale tells whether obj is older than this process's last write of it.
func (w *writeExpectations) stale(obj client.Object) bool {
	w.mu.Lock()
	written, ok := w.written[client.ObjectKeyFromObject(obj)]
	w.mu.Unlock()
	if !ok || written.uid != obj.GetUID() {
		return false
	}
	cmp, err := resourceversion.CompareResourceVersion(obj.GetResourceVersion(), written.rv)
	return err == nil && cmp < 0
}

// forget drops what is remembered of an object that is gone.
func (w *writeExpectations) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.written, key)
}
