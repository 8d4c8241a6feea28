#!/usr/bin/env bash
# Installs what the real-server tests need: redis-server, redis-sentinel, slapd + ldap-utils, openssl and chromium (Debian
# packages), a JDK and Keycloak (from Maven Central, unpacked into a cache dir), and actionlint for the release
# workflow's check (built with the machine's Go from the Go module proxy, when Go is there). Idempotent and non-interactive: CI runs it on a
# fresh machine as root, a developer can re-run it any time and it only does what is missing.
#
# The tests start their own redis-server / slapd / Keycloak on free loopback ports (test/support/servers/);
# nothing here starts a system service, and the system slapd is left unconfigured on purpose.
#
# Environment:
#   LSB_CACHE_DIR   where Keycloak is unpacked and actionlint built (default ~/.cache/loginshare-bridge)
#   LSB_JAVA_HOME   a JDK to use for Keycloak instead of the one picked here
set -euo pipefail

readonly KEYCLOAK_VERSION=26.5.6
readonly CACHE_DIR="${LSB_CACHE_DIR:-$HOME/.cache/loginshare-bridge}"
readonly KEYCLOAK_HOME="$CACHE_DIR/keycloak-$KEYCLOAK_VERSION"
# The JDK chosen for Keycloak is written here; test/support/servers/keycloak.ts reads it.
readonly JAVA_HOME_FILE="$CACHE_DIR/keycloak-java-home"
readonly ACTIONLINT_VERSION=v1.7.12
# test/deploy/release.test.ts looks here after LSB_ACTIONLINT and PATH.
readonly ACTIONLINT_BIN="$CACHE_DIR/bin/actionlint"

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else die "need root to run: $* (re-run this script as root)"; fi
}

apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=true
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null
}

# Package installs must not start services (redis on 6379, a system slapd): a policy-rc.d that answers
# 101 ("action forbidden") does that. Docker images usually ship one; if not, add one for this run only.
policy_rc_added=false
forbid_service_starts() {
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    policy_rc_added=true
  fi
}
cleanup() { if [ "$policy_rc_added" = true ]; then as_root rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

install_debian_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  # The Sentinel tests' sentinels (test/support/servers/redis-sentinel.ts); the package starts no service here.
  command -v redis-sentinel >/dev/null 2>&1 || [ -x /usr/bin/redis-sentinel ] || missing+=(redis-sentinel)
  [ -x /usr/sbin/slapd ] || missing+=(slapd)
  command -v ldapsearch >/dev/null 2>&1 || missing+=(ldap-utils)
  # The LDAP tests make a CA and a certificate for slapd's LDAPS and StartTLS (test/support/test-ca.ts).
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The browser tests drive Debian's Chromium through playwright-core; no test tool downloads a browser.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -eq 0 ]; then
    log "redis-server, redis-sentinel, slapd, ldap-utils, openssl and chromium already installed"
    return
  fi
  forbid_service_starts
  # slapd's postinst would otherwise ask for an admin password and build a system directory; the tests
  # never use it, they run their own slapd with their own config.
  printf 'slapd slapd/no_configuration boolean true\n' | as_root debconf-set-selections
  apt_install "${missing[@]}"
}

# Prints the major version of the JDK at $1 ("25", "21", "17"), or nothing if it is not a JDK.
jdk_major() {
  local release="$1/release"
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

# Keycloak 26 supports JDK 21 and 25; 17 still works but is deprecated. Prefer Temurin, then any 25/21,
# then 17. Prints the chosen JAVA_HOME.
pick_jdk() {
  local candidates=() dir major
  [ -n "${LSB_JAVA_HOME:-}" ] && candidates+=("$LSB_JAVA_HOME")
  shopt -s nullglob
  candidates+=(/usr/lib/jvm/temurin-25* /usr/lib/jvm/temurin-21* /usr/lib/jvm/*-25-* /usr/lib/jvm/*-21-*)
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-17* /usr/lib/jvm/*-17-*)
  shopt -u nullglob
  for dir in "${candidates[@]}"; do
    major=$(jdk_major "$dir")
    case "$major" in
      25 | 21 | 17) printf '%s\n' "$dir"; return 0 ;;
    esac
  done
  if command -v java >/dev/null 2>&1; then
    dir=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    major=$(jdk_major "$dir")
    [ -n "$major" ] && [ "$major" -ge 17 ] && { printf '%s\n' "$dir"; return 0; }
  fi
  return 1
}

ensure_jdk() {
  local java_home
  if ! java_home=$(pick_jdk); then
    # Debian 12 packages only JDK 17; newer distributions have 21.
    if apt-cache show openjdk-21-jdk-headless >/dev/null 2>&1; then apt_install openjdk-21-jdk-headless
    else apt_install openjdk-17-jdk-headless; fi
    java_home=$(pick_jdk) || die "no JDK 17+ found even after installing one"
  fi
  mkdir -p "$CACHE_DIR"
  printf '%s\n' "$java_home" >"$JAVA_HOME_FILE"
  log "Keycloak will run on JDK $(jdk_major "$java_home") at $java_home"
  [ "$(jdk_major "$java_home")" = 17 ] && log "note: JDK 17 is deprecated for Keycloak 26; 21 or 25 is preferred"
  return 0
}

ensure_keycloak() {
  # .lsb-complete is written last, so an interrupted unpack is redone rather than trusted.
  if [ -f "$KEYCLOAK_HOME/.lsb-complete" ]; then
    log "Keycloak $KEYCLOAK_VERSION already in $KEYCLOAK_HOME"
    return
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  local staging
  mkdir -p "$CACHE_DIR"
  staging=$(mktemp -d "$CACHE_DIR/.keycloak-staging.XXXXXX")
  log "downloading org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz from Maven Central"
  mvn -q -B --no-transfer-progress -Dstyle.color=never dependency:copy \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
    -DoutputDirectory="$staging" </dev/null
  tar -xzf "$staging/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" --no-same-owner -C "$staging"
  rm -f "$staging/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
  touch "$staging/keycloak-$KEYCLOAK_VERSION/.lsb-complete"
  rm -rf "$KEYCLOAK_HOME"
  mv "$staging/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_HOME"
  rmdir "$staging"
  log "Keycloak $KEYCLOAK_VERSION unpacked into $KEYCLOAK_HOME"
}

# The first `start-dev` of a fresh distribution re-augments it (rewrites lib/quarkus, ~15 s). Doing that once
# here means the test harness, which runs Keycloak from per-run homes that link to this cache, only ever
# reads the cache, so parallel test runs cannot race on it. The build options must match the harness's
# (test/support/servers/keycloak.ts): `start-dev --db=dev-mem`.
warm_keycloak_build() {
  local marker="$KEYCLOAK_HOME/.lsb-dev-build" build_log pid i
  [ -f "$marker" ] && return
  build_log=$(mktemp)
  log "pre-building Keycloak for start-dev (one-time, ~20-40 s)"
  JAVA_HOME="$(cat "$JAVA_HOME_FILE")" "$KEYCLOAK_HOME/bin/kc.sh" start-dev --db=dev-mem \
    --http-host=127.0.0.1 --http-port=0 </dev/null >"$build_log" 2>&1 &
  pid=$!
  # The build is done once the relaunched server announces development mode; it is not needed beyond that.
  for i in $(seq 1 300); do
    grep -q 'Running the server in development mode' "$build_log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if ! grep -q 'Running the server in development mode' "$build_log"; then
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    die "Keycloak pre-build failed (log above)"
  fi
  rm -f "$build_log"
  touch "$marker"
  log "Keycloak pre-built after ${i}s"
}

# Not a server: without Go the release test skips only its actionlint step (and says so), so this never fails the run.
ensure_actionlint() {
  [ -x "$ACTIONLINT_BIN" ] && return
  if ! command -v go >/dev/null 2>&1; then
    log "no Go on this machine: actionlint not installed (test/deploy/release.test.ts skips that one check)"
    return
  fi
  log "building actionlint $ACTIONLINT_VERSION with $(go version | cut -d' ' -f3) (one-time, ~20 s)"
  mkdir -p "$CACHE_DIR/bin"
  if ! GOBIN="$CACHE_DIR/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" </dev/null; then
    log "actionlint could not be built (the release test skips that one check)"
  fi
}

install_debian_packages
ensure_jdk
ensure_keycloak
warm_keycloak_build
ensure_actionlint
log "done"
