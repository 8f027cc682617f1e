{{/* Chart name, possibly overridden. */}}
{{- define "greenkube.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every resource name: <release>-greenkube, or the release name when it already holds the chart name. */}}
{{- define "greenkube.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "greenkube.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "greenkube.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "greenkube.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "exporter"). */}}
{{- define "greenkube.selectorLabels" -}}
app.kubernetes.io/name: {{ include "greenkube.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "greenkube.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "greenkube.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "greenkube.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The secret settings: (environment variable, values entry). Each entry has `value` (stored in
the chart's Secret), or `existingSecret` + `key`; `api` marks those only the API reads.
*/}}
{{- define "greenkube.secretSpecs" -}}
GREENKUBE_PROMETHEUS_TOKEN: {{ toJson .Values.prometheus.token }}
GREENKUBE_PROMETHEUS_PASSWORD: {{ toJson .Values.prometheus.password }}
GREENKUBE_ELECTRICITY_MAPS_TOKEN: {{ toJson .Values.electricityMaps.token }}
GREENKUBE_API_KEY: {{ toJson .Values.api.apiKey }}
{{- end -}}

{{/* Keys and values of the chart-created Secret (empty when every secret is external or unset). */}}
{{- define "greenkube.chartSecretData" -}}
{{- range $env, $spec := include "greenkube.secretSpecs" . | fromYaml }}
{{- if and $spec.value $spec.existingSecret }}
{{- fail (printf "%s: set `value` or `existingSecret`, not both" $env) }}
{{- end }}
{{- if $spec.value }}
{{ $spec.key }}: {{ $spec.value | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* One env entry reading a secret setting from a Secret: (dict "root" $ "env" NAME). Nothing when unset. */}}
{{- define "greenkube.secretEnv" -}}
{{- $spec := get (include "greenkube.secretSpecs" .root | fromYaml) .env -}}
{{- if or $spec.value $spec.existingSecret }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "greenkube.fullname" .root) $spec.existingSecret }}
      key: {{ $spec.key }}
{{- end }}
{{- end -}}

{{/* A map of maps as JSON with the inner keys in snake_case (carbonGramsDaily -> carbon_grams_daily). */}}
{{- define "greenkube.snakeJson" -}}
{{- $out := dict -}}
{{- range $outer, $inner := . -}}
{{- $converted := dict -}}
{{- range $key, $value := $inner -}}
{{- $_ := set $converted (snakecase $key) $value -}}
{{- end -}}
{{- $_ := set $out $outer $converted -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Env entries both processes read: Prometheus access, currency, logging. */}}
{{- define "greenkube.sharedEnv" -}}
- name: GREENKUBE_PROMETHEUS_URL
  value: {{ required "prometheus.url is required" .Values.prometheus.url | quote }}
{{- include "greenkube.secretEnv" (dict "root" . "env" "GREENKUBE_PROMETHEUS_TOKEN") }}
{{- with .Values.prometheus.username }}
- name: GREENKUBE_PROMETHEUS_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- include "greenkube.secretEnv" (dict "root" . "env" "GREENKUBE_PROMETHEUS_PASSWORD") }}
{{- with .Values.prometheus.headers }}
- name: GREENKUBE_PROMETHEUS_HEADERS
  value: {{ toJson . | quote }}
{{- end }}
{{- if .Values.prometheus.caSecret.name }}
- name: GREENKUBE_PROMETHEUS_CA_FILE
  value: {{ printf "/etc/greenkube/prometheus-ca/%s" .Values.prometheus.caSecret.key | quote }}
{{- end }}
- name: GREENKUBE_PROMETHEUS_TLS_VERIFY
  value: {{ .Values.prometheus.tlsVerify | quote }}
- name: GREENKUBE_PROMETHEUS_TIMEOUT_SECONDS
  value: {{ .Values.prometheus.timeoutSeconds | quote }}
- name: GREENKUBE_CURRENCY
  value: {{ .Values.currency | quote }}
- name: GREENKUBE_ELECTRICITY_MAPS_URL
  value: {{ .Values.electricityMaps.url | quote }}
{{- include "greenkube.secretEnv" (dict "root" . "env" "GREENKUBE_ELECTRICITY_MAPS_TOKEN") }}
- name: GREENKUBE_LOG_LEVEL
  value: {{ .Values.log.level | quote }}
- name: GREENKUBE_LOG_JSON
  value: {{ .Values.log.json | quote }}
{{- end -}}

{{/* Volumes both pods mount: a writable /tmp (the root filesystem is read-only) and the CA bundle. */}}
{{- define "greenkube.volumes" -}}
- name: tmp
  emptyDir: {}
{{- with .Values.prometheus.caSecret.name }}
- name: prometheus-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "greenkube.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.prometheus.caSecret.name }}
- name: prometheus-ca
  mountPath: /etc/greenkube/prometheus-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod annotation that restarts the pods when the chart's Secret changes. */}}
{{- define "greenkube.secretChecksum" -}}
checksum/secret: {{ include "greenkube.chartSecretData" . | sha256sum }}
{{- end -}}
