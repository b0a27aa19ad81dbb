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
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
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

// stale tells whether obj is older than this process's last write of it. An object the
// cache has caught up with is forgotten (see observe).
func (w *writeExpectations) stale(obj client.Object) bool {
	return w.compare(obj) < 0
}

// observe forgets the write of obj once the cache holds it (or a newer version, or another
// object of the same name), so that the map holds only writes the cache has not shown yet,
// not one entry for every object the process ever wrote. The cache never goes back to an
// older version of an object, so a forgotten write cannot make a later read stale.
func (w *writeExpectations) observe(obj client.Object) {
	w.compare(obj)
}

// compare compares obj's resourceVersion with this process's last write of it: -1 when obj
// is older, else 0 (with the write forgotten, or none remembered). Where the versions
// cannot be compared, the cache is trusted.
func (w *writeExpectations) compare(obj client.Object) int {
	key := client.ObjectKeyFromObject(obj)
	w.mu.Lock()
	defer w.mu.Unlock()
	written, ok := w.written[key]
	if !ok {
		return 0
	}
	if written.uid == obj.GetUID() {
		cmp, err := resourceversion.CompareResourceVersion(obj.GetResourceVersion(), written.rv)
		if err == nil && cmp < 0 {
			return -1
		}
	}
	delete(w.written, key)
	return 0
}

// observer is the event handler that shows the writes' expectations every new version of
// an object the cache receives; it enqueues nothing.
func (w *writeExpectations) observer() handler.TypedEventHandler[client.Object, reconcile.Request] {
	return handler.Funcs{
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			w.observe(e.ObjectNew)
		},
	}
}

// forget drops what is remembered of an object that is gone.
func (w *writeExpectations) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.written, key)
}
