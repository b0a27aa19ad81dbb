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

// Package prometheus tests what config/prometheus ships: the alerting rules of the
// PrometheusRule run against input series with Prometheus's own rule evaluation
// (the promql/promqltest and rules packages that `promtool test rules` is built on),
// and the Grafana dashboard's queries are parsed as PromQL and checked against the
// metrics the operator registers. It is a Go module of its own so that the operator's
// module does not depend on github.com/prometheus/prometheus.
package prometheus
