{{/*
extraArgs as the ExternalDNS chart renders them: a list of flags, each a template; or a map
of flag name (no dashes) to a value (a template), a list of values (the flag repeated), true
(--flag), false (--no-flag) or null (--flag alone). Called with (dict "args" ... "root" $).
*/}}
{{- define "dnsgate.extraArgs" -}}
{{- $root := .root -}}
{{- if kindIs "map" .args -}}
{{- range $flag, $value := .args -}}
{{- if kindIs "invalid" $value }}
- {{ printf "--%s" $flag | quote }}
{{- else if kindIs "slice" $value }}
{{- range $value }}
- {{ printf "--%s=%s" $flag (tpl (toString .) $root) | quote }}
{{- end }}
{{- else if kindIs "bool" $value }}
- {{ printf "--%s%s" (ternary "" "no-" $value) $flag | quote }}
{{- else }}
- {{ printf "--%s=%s" $flag (tpl (toString $value) $root) | quote }}
{{- end }}
{{- end -}}
{{- else if kindIs "slice" .args -}}
{{- range .args }}
- {{ tpl (toString .) $root | quote }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Fails the render on an extraArgs flag that would stop the pod at start, so that it never
crash-loops over one: a shared flag given to one Deployment (it belongs in the ConfigMap both
read), an ExternalDNS flag dnsgate refuses (with the line the command would print), or a flag
the command does not have. files/flags.yaml is generated from the code (dnsgate/externaldns.py
and the commands' parsers), so these are the commands' own rules. Ignored ExternalDNS tuning
flags (--request-timeout, --txt-cache-interval, ...) are options of `dnsgate reconcile` and
pass. Called with (dict "where" "extraArgs" "command" "reconcile" "args" ... "root" $).
*/}}
{{- define "dnsgate.checkArgs" -}}
{{- $where := .where -}}
{{- $command := .command -}}
{{- $table := .root.Files.Get "files/flags.yaml" | fromYaml -}}
{{- $shared := splitList " " (include "dnsgate.sharedFlags" .root) -}}
{{- $known := get $table.options $command -}}
{{- range (include "dnsgate.extraArgs" (dict "args" .args "root" .root) | fromYamlArray) -}}
{{- $arg := toString . -}}
{{- $option := splitList "=" $arg | first -}}
{{- $name := trimPrefix "--" $option -}}
{{- $base := trimPrefix "no-" $name -}}
{{- if not (hasPrefix "--" $option) -}}
{{- fail (printf "%s: %q is not a flag; dnsgate %s takes flags only (--name=value)" $where $arg $command) -}}
{{- end -}}
{{- if has $base $shared -}}
{{- fail (printf "%s: %s sets --%s, which decides which names are published and must reach the webhook and the reconciler alike; use %s instead, which both read (DNSGATE_%s in their ConfigMap)" $where $arg $base (include "dnsgate.sharedFlagValue" $base) ($base | replace "-" "_" | upper)) -}}
{{- end -}}
{{- if not (has $option $known) -}}
{{- $why := "" -}}
{{- range $flag := list $name $base -}}
{{- if and (not $why) (hasKey $table.refused $flag) -}}
{{- $why = printf "--%s is an ExternalDNS flag that dnsgate does not implement: %s (docs/flags.md)" $flag (get $table.refused $flag) -}}
{{- end -}}
{{- range $prefix, $what := $table.families -}}
{{- if and (not $why) (hasPrefix $prefix $flag) -}}
{{- $why = printf "--%s is an ExternalDNS flag that dnsgate does not implement: it configures %s (docs/flags.md)" $flag $what -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- fail (printf "%s: %s" $where (default (printf "%s is not a flag of dnsgate %s (see dnsgate %s --help)" $option $command $command) $why)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The value that sets a shared flag for both Deployments: its top-level value where the
ExternalDNS chart has one (settings.yaml renders each into the ConfigMap), else `settings`.
*/}}
{{- define "dnsgate.sharedFlagValue" -}}
{{- $keys := dict "source" "sources" "domain-filter" "domainFilters" "exclude-domains" "excludeDomains" "label-filter" "labelFilter" "txt-owner-id" "txtOwnerId" "txt-prefix" "txtPrefix" "txt-suffix" "txtSuffix" "txt-wildcard-replacement" "txtWildcardReplacement" -}}
{{- get $keys . | default (printf "settings.DNSGATE_%s" (. | replace "-" "_" | upper)) -}}
{{- end -}}

{{/* Fails the render when extraArgs or env of either Deployment would stop its pod. */}}
{{- define "dnsgate.checkSharedFlags" -}}
{{- include "dnsgate.checkArgs" (dict "where" "extraArgs" "command" "reconcile" "args" .Values.extraArgs "root" .) -}}
{{- include "dnsgate.checkArgs" (dict "where" "webhook.extraArgs" "command" "webhook" "args" .Values.webhook.extraArgs "root" .) -}}
{{- $shared := splitList " " (include "dnsgate.sharedFlags" .) -}}
{{- range $where, $env := dict "env" .Values.env "webhook.env" .Values.webhook.env -}}
{{- range $env -}}
{{- $name := .name | default "" | toString -}}
{{- range $shared -}}
{{- $variable := . | replace "-" "_" | upper -}}
{{- if or (eq $name (printf "DNSGATE_%s" $variable)) (eq $name (printf "EXTERNAL_DNS_%s" $variable)) -}}
{{- fail (printf "%s: %s sets --%s, which decides which names are published and must reach the webhook and the reconciler alike; use %s instead, which both read (DNSGATE_%s in their ConfigMap)" $where $name . (include "dnsgate.sharedFlagValue" .) $variable) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
