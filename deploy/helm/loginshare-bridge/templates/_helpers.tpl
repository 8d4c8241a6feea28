{{/* Names and labels ------------------------------------------------------------------------- */}}

{{- define "lsb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lsb.fullname" -}}
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

{{- define "lsb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lsb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lsb.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "lsb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "lsb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lsb.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "lsb.secretName" -}}
{{- default (include "lsb.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "lsb.configMapName" -}}
{{- printf "%s-config" (include "lsb.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lsb.rulesConfigMapName" -}}
{{- default (printf "%s-rules" (include "lsb.fullname" . | trunc 57 | trimSuffix "-")) .Values.rules.existingConfigMap -}}
{{- end -}}

{{- define "lsb.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Where the pod sees its files; the Deployment's command and the rules paths depend on them. */}}
{{- define "lsb.configDir" -}}/etc/loginshare-bridge{{- end -}}

{{/* config.yaml ---------------------------------------------------------------------------------
  The operator's `config` with the keys the chart owns filled in. Map keys come out sorted, so the
  same values always give the same text and the same checksum. */}}
{{- define "lsb.configDocument" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- $server := deepCopy ($cfg.server | default dict) -}}
{{- $_ := set $server "host" .Values.listenHost -}}
{{- $_ := set $server "port" (int .Values.containerPorts.http) -}}
{{- $_ := set $cfg "server" $server -}}
{{- $ops := deepCopy ($cfg.ops | default dict) -}}
{{- $_ := set $ops "host" .Values.listenHost -}}
{{- $_ := set $ops "port" (int .Values.containerPorts.ops) -}}
{{- $_ := set $cfg "ops" $ops -}}
{{- $cache := deepCopy ($cfg.cache | default dict) -}}
{{- if .Values.redis.enabled -}}
{{- $redis := deepCopy ($cache.redis | default dict) -}}
{{- $_ := set $redis "url" "${REDIS_URL}" -}}
{{- if include "lsb.redisHasPassword" . -}}
{{- $_ := set $redis "password" "${REDIS_PASSWORD}" -}}
{{- end -}}
{{- $_ := set $cache "redis" $redis -}}
{{- else if hasKey $cache "redis" -}}
{{- fail "config.cache.redis is set but redis.enabled is false: set redis.enabled and redis.url, or remove config.cache.redis" -}}
{{- end -}}
{{- $_ := set $cfg "cache" $cache -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "lsb.redisHasPassword" -}}
{{- if and .Values.redis.enabled (or .Values.redis.password (and .Values.secrets.existingSecret .Values.redis.existingSecretHasPassword)) -}}true{{- end -}}
{{- end -}}

{{/* Secrets -------------------------------------------------------------------------------------
  The variables config.yaml references, as a JSON list of { name, optional }: ${NAME} is required,
  ${NAME:-fallback} optional (the bridge uses the fallback when the Secret lacks the key). Names that
  extraEnv supplies in plain are left out. Each becomes an env var read from the Secret, so the pod
  gets only what its config uses. */}}
{{- define "lsb.secretEnvRefs" -}}
{{- $plain := list -}}
{{- range .Values.extraEnv -}}
{{- $plain = append $plain .name -}}
{{- end -}}
{{- $required := list -}}
{{- $optional := list -}}
{{- range regexFindAll "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}" (include "lsb.configDocument" .) -1 -}}
{{- $name := regexReplaceAll "^\\$\\{([A-Za-z0-9_]+).*$" . "${1}" -}}
{{- if has $name $plain -}}
{{- else if contains ":-" . -}}
{{- $optional = append $optional $name -}}
{{- else -}}
{{- $required = append $required $name -}}
{{- end -}}
{{- end -}}
{{- $refs := list -}}
{{- range $name := concat $required $optional | uniq | sortAlpha -}}
{{- $refs = append $refs (dict "name" $name "optional" (not (has $name $required))) -}}
{{- end -}}
{{- toJson $refs -}}
{{- end -}}

{{/* The chart's Secret as a JSON map NAME → value (only meaningful without secrets.existingSecret). */}}
{{- define "lsb.secretData" -}}
{{- $data := deepCopy (.Values.secrets.values | default dict) -}}
{{- if .Values.redis.enabled -}}
{{- $_ := set $data "REDIS_URL" .Values.redis.url -}}
{{- if .Values.redis.password -}}
{{- $_ := set $data "REDIS_PASSWORD" .Values.redis.password -}}
{{- end -}}
{{- end -}}
{{- toJson $data -}}
{{- end -}}

{{/* Checks that turn a silent misconfiguration into a failed render. Included by the Deployment. */}}
{{- define "lsb.validate" -}}
{{- $existing := .Values.secrets.existingSecret -}}
{{- if $existing -}}
{{- if .Values.secrets.values -}}
{{- fail "secrets.values is ignored when secrets.existingSecret is set: put those keys in your Secret" -}}
{{- end -}}
{{- if or .Values.redis.url .Values.redis.password -}}
{{- fail "redis.url / redis.password are ignored when secrets.existingSecret is set: put REDIS_URL (and REDIS_PASSWORD, with redis.existingSecretHasPassword: true) in your Secret" -}}
{{- end -}}
{{- else -}}
{{- if and .Values.redis.enabled (not .Values.redis.url) -}}
{{- fail "redis.enabled needs redis.url (redis://host:6379/0 or rediss://…)" -}}
{{- end -}}
{{- $data := include "lsb.secretData" . | fromJson -}}
{{- range $ref := include "lsb.secretEnvRefs" . | fromJsonArray -}}
{{- if and (not $ref.optional) (not (get $data $ref.name)) -}}
{{- fail (printf "config.yaml references ${%s}: set secrets.values.%s (or use secrets.existingSecret, or extraEnv for a non-secret value)" $ref.name $ref.name) -}}
{{- end -}}
{{- end -}}
{{- /* The bridge refuses a realm key shorter than 16 characters; say so before the pods crash-loop. */ -}}
{{- range $realm := $.Values.config.realms -}}
{{- $keyName := regexReplaceAll "^\\$\\{([A-Za-z0-9_]+)\\}$" (toString $realm.secret) "${1}" -}}
{{- if and (hasKey $data $keyName) (lt (len (toString (get $data $keyName))) 16) -}}
{{- fail (printf "secrets.values.%s (the key of realm %s) needs at least 16 characters: openssl rand -hex 32" $keyName (toString $realm.id)) -}}
{{- end -}}
{{- end -}}
{{- /* A secret pasted as a literal into config or rules would land in a ConfigMap: refuse it.
       Short values are skipped to avoid matching ordinary words; the message names only the key. */ -}}
{{- $plainText := include "lsb.configDocument" . -}}
{{- range $file, $content := .Values.rules.files -}}
{{- $plainText = printf "%s\n%s" $plainText (ternary $content (toYaml $content) (kindIs "string" $content)) -}}
{{- end -}}
{{- range $name, $value := $data -}}
{{- if and (ge (len (toString $value)) 8) (contains (toString $value) $plainText) -}}
{{- fail (printf "the value of secret %s appears literally in config or rules (it would land in a ConfigMap): reference it as ${%s}" $name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $rulesDir := printf "%s/rules/" (include "lsb.configDir" .) -}}
{{- range $realm := .Values.config.realms -}}
{{- if $realm.rules -}}
{{- $path := trimPrefix "./" (toString $realm.rules) -}}
{{- $file := "" -}}
{{- if hasPrefix "rules/" $path -}}
{{- $file = trimPrefix "rules/" $path -}}
{{- else if hasPrefix $rulesDir $path -}}
{{- $file = trimPrefix $rulesDir $path -}}
{{- else -}}
{{- fail (printf "realm %s: rules %q is outside the mounted rules directory; use rules/<file> with the file in rules.files" (toString $realm.id) $path) -}}
{{- end -}}
{{- if and (not $.Values.rules.existingConfigMap) (not (hasKey ($.Values.rules.files | default dict) $file)) -}}
{{- fail (printf "realm %s: rules file %q is not in rules.files" (toString $realm.id) $file) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* NetworkPolicy peer list from { namespaceSelector, podSelector }: a null selector is left out, {}
  (all) is kept; both together select those pods in those namespaces. Empty when both are null. */}}
{{- define "lsb.selectorPeer" -}}
{{- $peer := dict -}}
{{- if kindIs "map" .namespaceSelector -}}
{{- $_ := set $peer "namespaceSelector" .namespaceSelector -}}
{{- end -}}
{{- if kindIs "map" .podSelector -}}
{{- $_ := set $peer "podSelector" .podSelector -}}
{{- end -}}
{{- if $peer -}}
{{- toYaml (list $peer) -}}
{{- end -}}
{{- end -}}
