{{/*
The chart's own list entries (env, volumes, volume mounts) followed by the user's, where a
user's entry replaces the chart's with the same key (an env name, a volume name, a mount
path). ExternalDNS's chart has no entries of its own there, so values written for it (the
seed mounts its credentials Secret at /.aws through env, extraVolumes and extraVolumeMounts)
would otherwise collide with the chart's credentials mount, and the apiserver refuses a pod
with two volumes of one name or two mounts at one path. Called with
(dict "base" list "extra" list "key" "name").
*/}}
{{- define "dnsgate.merged" -}}
{{- $key := .key -}}
{{- $taken := list -}}
{{- range .extra -}}
{{- $taken = append $taken (get . $key | toString | trimSuffix "/") -}}
{{- end -}}
{{- $merged := list -}}
{{- range .base -}}
{{- if not (has (get . $key | toString | trimSuffix "/") $taken) -}}
{{- $merged = append $merged . -}}
{{- end -}}
{{- end -}}
{{- toYaml (concat $merged (.extra | default list)) -}}
{{- end -}}

{{/*
Affinity as the ExternalDNS chart renders it: a pod (anti-)affinity term without a label
selector gets the Deployment's own pods' (a term without one would match no pod at all).
Called with (dict "affinity" ... "name" <the pods' app.kubernetes.io/name>).
*/}}
{{- define "dnsgate.affinity" -}}
{{- $selector := dict "labelSelector" (dict "matchLabels" (dict "app.kubernetes.io/name" .name)) -}}
{{- $affinity := deepCopy (.affinity | default dict) -}}
{{- range $kind := list "podAffinity" "podAntiAffinity" -}}
{{- $terms := get $affinity $kind -}}
{{- if $terms -}}
{{- if $terms.requiredDuringSchedulingIgnoredDuringExecution -}}
{{- $required := list -}}
{{- range $terms.requiredDuringSchedulingIgnoredDuringExecution -}}
{{- $required = append $required (ternary . (merge (deepCopy $selector) .) (not (empty .labelSelector))) -}}
{{- end -}}
{{- $_ := set $terms "requiredDuringSchedulingIgnoredDuringExecution" $required -}}
{{- end -}}
{{- if $terms.preferredDuringSchedulingIgnoredDuringExecution -}}
{{- $preferred := list -}}
{{- range $terms.preferredDuringSchedulingIgnoredDuringExecution -}}
{{- $term := .podAffinityTerm | default dict -}}
{{- if empty $term.labelSelector -}}
{{- $term = merge (deepCopy $selector) $term -}}
{{- end -}}
{{- $preferred = append $preferred (merge (dict "podAffinityTerm" $term) .) -}}
{{- end -}}
{{- $_ := set $terms "preferredDuringSchedulingIgnoredDuringExecution" $preferred -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $affinity -}}
{{- end -}}

{{/*
Where a pod may run: priorityClassName, nodeSelector, tolerations and affinity of the
deployable's own values (webhook.*, certs.*), else the top-level ones, which therefore apply
to every Deployment as the ExternalDNS chart's apply to its one: a cluster whose nodes are
all tainted needs the tolerations on every pod. Called with
(dict "own" <the deployable's values> "top" .Values "name" <the pods' name>).
*/}}
{{- define "dnsgate.scheduling" -}}
{{- with (default .top.priorityClassName .own.priorityClassName) }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with (default .top.nodeSelector .own.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default .top.tolerations .own.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default .top.affinity .own.affinity) }}
affinity:
  {{- include "dnsgate.affinity" (dict "affinity" . "name" $.name) | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
"true" when a PodDisruptionBudget with these fields would let `kubectl drain` evict one of
`replicas` pods: minAvailable below the replicas (or a percentage below 100%), or a
maxUnavailable above zero. A budget that allows no eviction blocks every drain, so the chart
renders none instead (webhook.replicaCount=1 with the default minAvailable: 1).
*/}}
{{- define "dnsgate.pdbAllowsEviction" -}}
{{- $replicas := int .replicas -}}
{{- if hasKey .budget "maxUnavailable" -}}
{{- $max := toString .budget.maxUnavailable -}}
{{- if not (has $max (list "0" "0%")) }}true{{ end -}}
{{- else if hasKey .budget "minAvailable" -}}
{{- $min := toString .budget.minAvailable -}}
{{- if hasSuffix "%" $min -}}
{{- if lt (int (trimSuffix "%" $min)) 100 }}true{{ end -}}
{{- else if lt (int $min) $replicas }}true{{ end -}}
{{- end -}}
{{- end -}}
