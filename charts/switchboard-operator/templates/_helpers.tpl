{{/*
The chart name, or nameOverride.
*/}}
{{- define "switchboard-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name that every object name starts with: fullnameOverride, else the release name
when it contains the chart name, else "<release>-<chart>". The suffixes the templates add
("-controller-manager", "-manager-role", ...) are those of config/default, so a release named
"switchboard-operator" names its objects as `kubectl kustomize config/default` does.
*/}}
{{- define "switchboard-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "switchboard-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "switchboard-operator.labels" -}}
helm.sh/chart: {{ include "switchboard-operator.chart" . }}
app.kubernetes.io/name: {{ include "switchboard-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: switchboard-operator
{{- end }}

{{/*
Labels that select the manager's pods.
*/}}
{{- define "switchboard-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchboard-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{/*
The ServiceAccount the manager runs as.
*/}}
{{- define "switchboard-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-controller-manager" (include "switchboard-operator.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The manager's image: repository@digest when a digest is set, else repository:tag (tag
defaulting to the chart's appVersion).
*/}}
{{- define "switchboard-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The manager's arguments: the flags config/default sets, then one flag per non-empty
value under .Values.manager (a shard's entry, when .shard is set, gives the selector and the
shard), then extraArgs. The context is the root context with .shard added.
*/}}
{{- define "switchboard-operator.args" -}}
{{- $m := .Values.manager }}
{{- $shard := .shard }}
{{- if .Values.leaderElection.enabled }}
- --leader-elect
{{- end }}
{{- if .Values.metrics.enabled }}
- --metrics-bind-address=:{{ .Values.metrics.port }}
{{- if not .Values.metrics.secure }}
- --metrics-secure=false
{{- end }}
{{- else }}
- --metrics-bind-address=0
{{- end }}
- --health-probe-bind-address=:{{ .Values.healthProbe.port }}
{{- if .Values.receiver.enabled }}
- --receiver-bind-address=:{{ .Values.receiver.port }}
{{- end }}
{{- with .Values.leaderElection.namespace }}
- --leader-election-namespace={{ . }}
{{- end }}
{{- with $m.allowedEndpointHosts }}
- --allowed-endpoint-hosts={{ join "," . }}
{{- end }}
{{- if not (kindIs "invalid" $m.maxConcurrentReconciles) }}
- --max-concurrent-reconciles={{ $m.maxConcurrentReconciles | int }}
{{- end }}
{{- if not (kindIs "invalid" $m.maxConcurrentSwitchboardReconciles) }}
- --max-concurrent-switchboard-reconciles={{ $m.maxConcurrentSwitchboardReconciles | int }}
{{- end }}
{{- with $m.reconcileTimeout }}
- --reconcile-timeout={{ . }}
{{- end }}
{{- with $m.apiTimeout }}
- --api-timeout={{ . }}
{{- end }}
{{- with $m.deletionTimeout }}
- --deletion-timeout={{ . }}
{{- end }}
{{- with $m.secretCheckInterval }}
- --secret-check-interval={{ . }}
{{- end }}
{{- with $m.switchboardRetryInterval }}
- --switchboard-retry-interval={{ . }}
{{- end }}
{{- with $m.retryBaseDelay }}
- --retry-base-delay={{ . }}
{{- end }}
{{- with $m.retryMaxDelay }}
- --retry-max-delay={{ . }}
{{- end }}
{{- if not (kindIs "invalid" $m.kubeAPIQPS) }}
- --kube-api-qps={{ $m.kubeAPIQPS }}
{{- end }}
{{- if not (kindIs "invalid" $m.kubeAPIBurst) }}
- --kube-api-burst={{ $m.kubeAPIBurst | int }}
{{- end }}
{{- with $m.logLevel }}
- --zap-log-level={{ . }}
{{- end }}
{{- if $shard }}
- --watch-label-selector={{ $shard.watchLabelSelector }}
- --shard={{ $shard.name }}
{{- else }}
{{- with $m.watchLabelSelector }}
- --watch-label-selector={{ . }}
{{- end }}
{{- with $m.shard }}
- --shard={{ . }}
{{- end }}
{{- end }}
{{- if $m.enableWarmup }}
- --enable-warmup
{{- end }}
{{- with $m.webhookReadBackWait }}
- --webhook-read-back-wait={{ . }}
{{- end }}
{{- if not (kindIs "invalid" $m.defaultTTLSecondsAfterFinished) }}
- --default-ttl-seconds-after-finished={{ $m.defaultTTLSecondsAfterFinished | int }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
The receiver Service of the context's shard (.shard, set by the templates that range over
.Values.shards): "<fullname>-webhook-receiver", with "-<shard>" for a shard.
*/}}
{{- define "switchboard-operator.receiverServiceName" -}}
{{- include "switchboard-operator.fullname" . }}-webhook-receiver{{ with .shard }}{{ with .name }}-{{ . }}{{ end }}{{ end }}
{{- end }}
