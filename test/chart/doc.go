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

// Package chart holds the tests of the Helm chart in charts/switchboard-operator. They
// render the chart with the Helm Go SDK and compare it with `kustomize build
// config/default`, check that every value does what the chart's README says, run the SDK's
// lint, and keep the README's values table and the chart's copies of the CRDs and of the
// manager's ClusterRole in step with their sources. It is a Go module of its own so that the
// Helm SDK's dependencies stay out of the operator's module. It has no code of its own.
package chart
