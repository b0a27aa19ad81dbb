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

package plugin

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// notFoundOr turns a NotFound from the API server into an error that names the object
// and its namespace; other errors are wrapped with what was being read.
func notFoundOr(err error, kind, namespace, name string) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %q not found in namespace %s", kind, name, namespace)
	}
	return fmt.Errorf("reading %s %s/%s: %w", kind, namespace, name, err)
}
