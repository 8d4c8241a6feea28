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
  Three ways to give the bridge its file:
    map      `config` is a map: the chart fills in the keys it owns and writes it out (keys sorted)
    text     `config` is the file's text: written exactly as given (order and comments kept); the keys
             the chart owns reach the bridge as LOGINSHARE_* variables instead
    external existingConfig names a ConfigMap or Secret the operator manages; the chart renders none */}}
{{- define "lsb.configMode" -}}
{{- if or .Values.existingConfig.configMap .Values.existingConfig.secret -}}external
{{- else if kindIs "string" .Values.config -}}text
{{- else -}}map
{{- end -}}
{{- end -}}

{{/* The operator's config as a map, whatever form it was given in (empty for an external one), so the
  checks and NOTES read realms and connectors the same way. */}}
{{- define "lsb.configValues" -}}
{{- $mode := include "lsb.configMode" . -}}
{{- if eq $mode "text" -}}
{{- $parsed := fromYaml .Values.config -}}
{{- if hasKey $parsed "Error" -}}
{{- fail (printf "config is not valid YAML: %s" (get $parsed "Error")) -}}
{{- end -}}
{{- toJson $parsed -}}
{{- else if eq $mode "map" -}}
{{- toJson (.Values.config | default dict) -}}
{{- else -}}
{{- toJson dict -}}
{{- end -}}
{{- end -}}

{{/* config.yaml as the chart renders it (map and text modes). */}}
{{- define "lsb.configFileText" -}}
{{- if eq (include "lsb.configMode" .) "text" -}}
{{- .Values.config -}}
{{- else -}}
{{- include "lsb.configDocument" . -}}
{{- end -}}
{{- end -}}

{{/* The map-mode document: the operator's `config` with the keys the chart owns filled in. Map keys come
  out sorted, so the same values always give the same text and the same checksum. */}}
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
{{- $r := .Values.redis -}}
{{- if and $r.enabled (or $r.password $r.existingSecret.passwordKey (hasKey (.Values.secrets.fromSecret | default dict) "REDIS_PASSWORD") (and .Values.secrets.existingSecret $r.existingSecretHasPassword)) -}}true{{- end -}}
{{- end -}}

{{/* Secrets -------------------------------------------------------------------------------------
  Where the value of ${NAME} comes from, as JSON { name, key }: secrets.fromSecret.NAME, then
  redis.existingSecret for REDIS_URL / REDIS_PASSWORD, else key NAME of the chart's Secret (or of
  secrets.existingSecret). Called with (list $ NAME). */}}
{{- define "lsb.secretSourceOf" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $redis := $root.Values.redis.existingSecret -}}
{{- $own := $root.Values.secrets.fromSecret | default dict -}}
{{- if hasKey $own $name -}}
{{- $ref := get $own $name -}}
{{- toJson (dict "name" $ref.name "key" $ref.key "external" true) -}}
{{- else if and (eq $name "REDIS_URL") $redis.urlKey -}}
{{- toJson (dict "name" $redis.name "key" $redis.urlKey "external" true) -}}
{{- else if and (eq $name "REDIS_PASSWORD") $redis.passwordKey -}}
{{- toJson (dict "name" $redis.name "key" $redis.passwordKey "external" true) -}}
{{- else -}}
{{- toJson (dict "name" (include "lsb.secretName" $root) "key" $name "external" (not (empty $root.Values.secrets.existingSecret))) -}}
{{- end -}}
{{- end -}}

{{/* The variables the pod gets from Secrets, as a JSON list of { env, name, key, optional }.
  map / text: one per ${NAME} config.yaml references (${NAME} is required, ${NAME:-fallback} optional:
  the bridge uses the fallback when the key is missing); names extraEnv supplies are left out, so the pod
  gets only what its config uses. external: every name of secrets.values and secrets.fromSecret.
  text / external with Redis: LOGINSHARE_REDIS_URL / _PASSWORD from REDIS_URL / REDIS_PASSWORD's source. */}}
{{- define "lsb.secretEnvRefs" -}}
{{- $mode := include "lsb.configMode" . -}}
{{- $plain := list -}}
{{- range .Values.extraEnv -}}
{{- $plain = append $plain .name -}}
{{- end -}}
{{- $required := list -}}
{{- $optional := list -}}
{{- if eq $mode "external" -}}
{{- range $name, $_ := .Values.secrets.values -}}
{{- $required = append $required $name -}}
{{- end -}}
{{- range $name, $_ := .Values.secrets.fromSecret -}}
{{- $required = append $required $name -}}
{{- end -}}
{{- else -}}
{{- /* Scanned from the parsed document, so a ${NAME} inside a YAML comment is not required. */ -}}
{{- $scanned := "" -}}
{{- if eq $mode "map" -}}
{{- $scanned = include "lsb.configDocument" . -}}
{{- else -}}
{{- $scanned = toYaml (include "lsb.configValues" . | fromJson) -}}
{{- end -}}
{{- range regexFindAll "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}" $scanned -1 -}}
{{- $name := regexReplaceAll "^\\$\\{([A-Za-z0-9_]+).*$" . "${1}" -}}
{{- if has $name $plain -}}
{{- else if contains ":-" . -}}
{{- $optional = append $optional $name -}}
{{- else -}}
{{- $required = append $required $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $refs := list -}}
{{- range $name := concat $required $optional | uniq | sortAlpha -}}
{{- if not (has $name $plain) -}}
{{- $source := include "lsb.secretSourceOf" (list $ $name) | fromJson -}}
{{- $refs = append $refs (dict "env" $name "name" $source.name "key" $source.key "external" $source.external "optional" (not (has $name $required))) -}}
{{- end -}}
{{- end -}}
{{- if and (ne $mode "map") .Values.redis.enabled -}}
{{- $source := include "lsb.secretSourceOf" (list $ "REDIS_URL") | fromJson -}}
{{- $refs = append $refs (dict "env" "LOGINSHARE_REDIS_URL" "name" $source.name "key" $source.key "external" $source.external "optional" false) -}}
{{- if include "lsb.redisHasPassword" . -}}
{{- $source := include "lsb.secretSourceOf" (list $ "REDIS_PASSWORD") | fromJson -}}
{{- $refs = append $refs (dict "env" "LOGINSHARE_REDIS_PASSWORD" "name" $source.name "key" $source.key "external" $source.external "optional" false) -}}
{{- end -}}
{{- end -}}
{{- toJson $refs -}}
{{- end -}}

{{/* The chart's Secret as a JSON map NAME → value (only meaningful without secrets.existingSecret). */}}
{{- define "lsb.secretData" -}}
{{- $data := deepCopy (.Values.secrets.values | default dict) -}}
{{- if .Values.redis.enabled -}}
{{- if .Values.redis.url -}}
{{- $_ := set $data "REDIS_URL" .Values.redis.url -}}
{{- end -}}
{{- if .Values.redis.password -}}
{{- $_ := set $data "REDIS_PASSWORD" .Values.redis.password -}}
{{- end -}}
{{- end -}}
{{- toJson $data -}}
{{- end -}}

{{/* "true" when the chart renders its own Secret. */}}
{{- define "lsb.rendersSecret" -}}
{{- if and (not .Values.secrets.existingSecret) (include "lsb.secretData" . | fromJson) -}}true{{- end -}}
{{- end -}}

{{/* Checks that turn a silent misconfiguration into a failed render. Included by the Deployment. */}}
{{- define "lsb.validate" -}}
{{- $mode := include "lsb.configMode" . -}}
{{- $cfg := include "lsb.configValues" . | fromJson -}}
{{- $existing := .Values.secrets.existingSecret -}}
{{- $redis := .Values.redis -}}
{{- if and .Values.existingConfig.configMap .Values.existingConfig.secret -}}
{{- fail "existingConfig.configMap and existingConfig.secret are both set: name one of them" -}}
{{- end -}}
{{- /* More than one replica without a shared store multiplies every lockout and rate limit. */ -}}
{{- $several := or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) -}}
{{- if and $several (not $redis.enabled) (not .Values.allowReplicasWithoutRedis) -}}
{{- fail "more than one replica (replicaCount > 1 or autoscaling.enabled) without Redis: each pod would keep its own lockout and rate-limit counters, so an attacker gets that many more attempts. Set redis.enabled and redis.url, or allowReplicasWithoutRedis: true to accept per-replica counters" -}}
{{- end -}}
{{- if and (gt (int .Values.preStopSleepSeconds) 0) (not (lt (int .Values.preStopSleepSeconds) (int .Values.terminationGracePeriodSeconds))) -}}
{{- fail (printf "preStopSleepSeconds (%v) must be less than terminationGracePeriodSeconds (%v): the grace period also has to cover the logins in flight" .Values.preStopSleepSeconds .Values.terminationGracePeriodSeconds) -}}
{{- end -}}
{{- /* Redis from a Secret the operator manages. */ -}}
{{- if or $redis.existingSecret.urlKey $redis.existingSecret.passwordKey -}}
{{- if not $redis.existingSecret.name -}}
{{- fail "redis.existingSecret.urlKey / passwordKey need redis.existingSecret.name (the Secret that holds them)" -}}
{{- end -}}
{{- else if $redis.existingSecret.name -}}
{{- fail "redis.existingSecret.name needs urlKey and/or passwordKey (the keys of that Secret to read)" -}}
{{- end -}}
{{- if and $redis.existingSecret.urlKey $redis.url -}}
{{- fail "redis.url and redis.existingSecret.urlKey are both set: keep one" -}}
{{- end -}}
{{- if and $redis.existingSecret.passwordKey $redis.password -}}
{{- fail "redis.password and redis.existingSecret.passwordKey are both set: keep one" -}}
{{- end -}}
{{- range $name, $_ := .Values.secrets.fromSecret -}}
{{- if hasKey ($.Values.secrets.values | default dict) $name -}}
{{- fail (printf "%s is in both secrets.values and secrets.fromSecret: keep one" $name) -}}
{{- end -}}
{{- end -}}
{{- $urlProvided := or $redis.url $redis.existingSecret.urlKey (hasKey (.Values.secrets.fromSecret | default dict) "REDIS_URL") $existing -}}
{{- if and $redis.enabled (not $urlProvided) -}}
{{- fail "redis.enabled needs redis.url (redis://host:6379/0 or rediss://…), or redis.existingSecret.name and urlKey" -}}
{{- end -}}
{{- $data := include "lsb.secretData" . | fromJson -}}
{{- if $existing -}}
{{- if .Values.secrets.values -}}
{{- fail "secrets.values is ignored when secrets.existingSecret is set: put those keys in your Secret" -}}
{{- end -}}
{{- if or $redis.url $redis.password -}}
{{- fail "redis.url / redis.password are ignored when secrets.existingSecret is set: put REDIS_URL (and REDIS_PASSWORD, with redis.existingSecretHasPassword: true) in your Secret" -}}
{{- end -}}
{{- else -}}
{{- range $ref := include "lsb.secretEnvRefs" . | fromJsonArray -}}
{{- if and (not $ref.optional) (not $ref.external) (not (get $data $ref.key)) -}}
{{- fail (printf "config.yaml references ${%s}: set secrets.values.%s, take it from your own Secret with secrets.fromSecret.%s: { name, key } (or secrets.existingSecret), or use extraEnv for a non-secret value" $ref.key $ref.key $ref.key) -}}
{{- end -}}
{{- end -}}
{{- /* The bridge refuses a realm key shorter than 16 characters; say so before the pods crash-loop. */ -}}
{{- range $realm := $cfg.realms -}}
{{- $keyName := regexReplaceAll "^\\$\\{([A-Za-z0-9_]+)\\}$" (toString $realm.secret) "${1}" -}}
{{- if and (hasKey $data $keyName) (lt (len (toString (get $data $keyName))) 16) -}}
{{- fail (printf "secrets.values.%s (the key of realm %s) needs at least 16 characters: openssl rand -hex 32" $keyName (toString $realm.id)) -}}
{{- end -}}
{{- end -}}
{{- /* A secret pasted as a literal into config or rules would land in a ConfigMap: refuse it.
       Short values are skipped to avoid matching ordinary words; the message names only the key. */ -}}
{{- $plainText := "" -}}
{{- if ne $mode "external" -}}
{{- $plainText = include "lsb.configFileText" . -}}
{{- end -}}
{{- range $file, $content := .Values.rules.files -}}
{{- $plainText = printf "%s\n%s" $plainText (ternary $content (toYaml $content) (kindIs "string" $content)) -}}
{{- end -}}
{{- range $name, $value := $data -}}
{{- if and (ge (len (toString $value)) 8) (contains (toString $value) $plainText) -}}
{{- fail (printf "the value of secret %s appears literally in config or rules (it would land in a ConfigMap): reference it as ${%s}" $name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq $mode "text" -}}
{{- range $key := list "clientSecret" "password" -}}
{{- range $i, $connector := $cfg.connectors -}}
{{- if and (hasKey $connector $key) (not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString (get $connector $key)))) -}}
{{- fail (printf "config: connectors[%d].%s must be a ${NAME} reference: the value lives in a Secret, never in the ConfigMap" $i $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $i, $connector := $cfg.connectors -}}
{{- $account := get $connector "serviceAccount" -}}
{{- if and (kindIs "map" $account) (hasKey $account "password") (not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString (get $account "password")))) -}}
{{- fail (printf "config: connectors[%d].serviceAccount.password must be a ${NAME} reference: the value lives in a Secret, never in the ConfigMap" $i) -}}
{{- end -}}
{{- end -}}
{{- range $i, $realm := $cfg.realms -}}
{{- if not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString $realm.secret)) -}}
{{- fail (printf "config: realms[%d].secret must be a ${NAME} reference: the value lives in a Secret, never in the ConfigMap" $i) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $rulesDir := printf "%s/rules/" (include "lsb.configDir" .) -}}
{{- range $realm := $cfg.realms -}}
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
