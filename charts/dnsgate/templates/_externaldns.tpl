{{/*
Values written for the ExternalDNS chart (1.14.5, the seed's, to the latest): every key with
the same meaning in dnsgate is honoured; a key whose meaning differs, or a value dnsgate does
not implement, fails the render with one line naming the dnsgate key to use instead. The
states of all keys, and why: files/externaldns-keys.yaml, which docs/migrating.md's table is
generated from (tests/install/test_migrating.py).
*/}}
{{- define "dnsgate.checkExternalDNSValues" -}}
{{- $v := .Values -}}
{{- $keys := .Files.Get "files/externaldns-keys.yaml" | fromYaml -}}
{{- $refuse := dict -}}
{{- $provider := $v.provider | default "aws" -}}
{{- if kindIs "map" $provider }}{{ $provider = $provider.name | default "aws" }}{{ end -}}
{{- if ne (toString $provider) "aws" }}{{ $_ := set $refuse "provider" (toString $provider) }}{{ end -}}
{{- if ne (toString ($v.registry | default "txt")) "txt" }}{{ $_ := set $refuse "registry" $v.registry }}{{ end -}}
{{- if $v.namespaceOverride }}{{ $_ := set $refuse "namespaceOverride" $v.namespaceOverride }}{{ end -}}
{{- if $v.namespaced }}{{ $_ := set $refuse "namespaced" $v.namespaced }}{{ end -}}
{{- if $v.sourceNamespace }}{{ $_ := set $refuse "sourceNamespace" $v.sourceNamespace }}{{ end -}}
{{- if $v.enableGatewayListenerSets }}{{ $_ := set $refuse "enableGatewayListenerSets" true }}{{ end -}}
{{- if $v.annotationFilter }}{{ $_ := set $refuse "annotationFilter" $v.annotationFilter }}{{ end -}}
{{- if dig "namespace" "" ($v.serviceMonitor | default dict) }}{{ $_ := set $refuse "serviceMonitor.namespace" $v.serviceMonitor.namespace }}{{ end -}}
{{- if and (not (kindIs "invalid" $v.automountServiceAccountToken)) (not $v.automountServiceAccountToken) }}{{ $_ := set $refuse "automountServiceAccountToken" false }}{{ end -}}
{{- if and (kindIs "map" $v.extraContainers) (not (empty $v.extraContainers)) }}{{ $_ := set $refuse "extraContainers" "a map" }}{{ end -}}
{{- with $v.managedRecordTypes -}}
{{- if ne (sortAlpha . | join ",") "A,AAAA,CNAME" }}{{ $_ := set $refuse "managedRecordTypes" (join "," .) }}{{ end -}}
{{- end -}}
{{- with $v.annotationPrefix -}}
{{- if not (has . (list "external-dns.kubernetes.io/" "external-dns.alpha.kubernetes.io/")) }}{{ $_ := set $refuse "annotationPrefix" . }}{{ end -}}
{{- end -}}
{{- range $key, $value := $refuse -}}
{{- $entry := get $keys $key -}}
{{- fail (printf "%s: %v is not supported: %s; use %s instead" $key $value $entry.why $entry.use) -}}
{{- end -}}
{{- if and (eq (toString (dig "automountServiceAccountToken" "" ($v.serviceAccount | default dict))) "false") (not $v.automountServiceAccountToken) -}}
{{- fail "serviceAccount.automountServiceAccountToken: false leaves the reconciler without the token it watches Services with; set automountServiceAccountToken: true as well, to mount it into the pod only" -}}
{{- end -}}
{{- if not $v.policy -}}
{{- fail "policy: set sync, upsert-only or create-only (the latest ExternalDNS chart requires it too)" -}}
{{- end -}}
{{- if not (or $v.domainFilters (hasKey ($v.settings | default dict) "DNSGATE_DOMAIN_FILTER")) -}}
{{- fail "domainFilters: give at least one domain; the webhook admits names in these domains only and does not start without one (--domain-filter)" -}}
{{- end -}}
{{- end -}}
