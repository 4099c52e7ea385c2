{{/*
Names. With the release called "dnsgate" (the README's install) every object has the name the
kustomize base gives it; another release name prefixes them, so two releases never collide on
the cluster-scoped ones (ClusterRoles, webhook configurations).
*/}}
{{- define "dnsgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "dnsgate.webhook.name" -}}{{ include "dnsgate.fullname" . }}-webhook{{- end -}}
{{- define "dnsgate.reconciler.name" -}}{{ include "dnsgate.fullname" . }}-reconciler{{- end -}}
{{- define "dnsgate.settings.name" -}}{{ include "dnsgate.fullname" . }}-settings{{- end -}}
{{- define "dnsgate.ownersIndex.name" -}}{{ include "dnsgate.fullname" . }}-owners{{- end -}}
{{- define "dnsgate.certs.name" -}}{{ include "dnsgate.fullname" . }}-certs{{- end -}}
{{- define "dnsgate.tlsSecret.name" -}}{{ include "dnsgate.webhook.name" . }}-tls{{- end -}}

{{/*
"true" when `sources` lists a Gateway API source (gateway-httproute, ...), else empty: the
RBAC and webhook rules for routes are rendered once for all of them, as
manifests/components/gateway-api adds them.
*/}}
{{- define "dnsgate.gatewaySources" -}}
{{- range .Values.sources }}{{ if hasPrefix "gateway-" . }}true{{ end }}{{ end -}}
{{- end -}}

{{- define "dnsgate.webhook.serviceAccountName" -}}
{{- if .Values.webhook.serviceAccount.create -}}
{{- default (include "dnsgate.webhook.name" .) .Values.webhook.serviceAccount.name -}}
{{- else -}}
{{- required "webhook.serviceAccount.name: give the ServiceAccount to use when webhook.serviceAccount.create is false" .Values.webhook.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dnsgate.reconciler.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dnsgate.reconciler.name" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: give the ServiceAccount to use when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
Labels on every object's metadata: the one the kustomize base adds, Helm's usual four, and
commonLabels. Selectors and pod templates carry only app.kubernetes.io/name, as in the base,
because a Deployment's selector cannot change after it is created.
*/}}
{{- define "dnsgate.labels" -}}
app.kubernetes.io/part-of: dnsgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The image of every deployable. dnsgate publishes no image (README, "Build the image"), so the
chart names none: an unset repository would render an unpullable one.
*/}}
{{- define "dnsgate.image" -}}
{{- $repository := required "image.repository: set the dnsgate image you built and pushed, e.g. registry.example.org/dnsgate (the chart names none: README, Build the image)" .Values.image.repository -}}
{{- if contains "external-dns/external-dns" $repository -}}
{{- fail (printf "image.repository: %s is ExternalDNS's image; set the dnsgate image you built, e.g. registry.example.org/dnsgate" $repository) -}}
{{- end -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{/* imagePullSecrets, else global.imagePullSecrets, as the ExternalDNS chart takes them. */}}
{{- define "dnsgate.imagePullSecrets" -}}
{{- with (default (dig "imagePullSecrets" list (.Values.global | default dict)) .Values.imagePullSecrets) }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The flags that decide which names are published, which both deployables must read alike
(dnsgate/publication.py; tests/install/test_chart.py holds this list equal to the code's).
They reach both through the settings ConfigMap (the top-level values, or `settings`), never
through one Deployment's extraArgs or env: a --label-filter on the reconciler alone would let
the webhook hold names at the door for Services the reconciler never publishes.
*/}}
{{- define "dnsgate.sharedFlags" -}}
source namespace label-filter domain-filter exclude-domains publish-internal-services ingress-class ignore-ingress-tls-spec ignore-ingress-rules-spec gateway-name gateway-namespace gateway-label-filter txt-owner-id txt-prefix txt-suffix txt-wildcard-replacement annotation-prefix enable-legacy-annotation-prefix domain-policy owners-index
{{- end -}}
