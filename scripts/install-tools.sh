#!/usr/bin/env bash
# Installs the pinned MinIO server and mc client that the integration tests and the quickstart
# run against, into .tools/bin of this checkout. Idempotent: a tool already at its pinned version
# is not rebuilt. The first build takes about 3 minutes; Go's build cache makes repeats fast.
#
# It also installs nginx from the system's packages (apt-get, as root) when it is missing, for
# the test of the reverse proxy recipe in docs/reverse-proxy.md. Where that is not possible it
# says so and goes on: the test then skips, or fails when CI is set.
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

install() { # name module version
  local name=$1 module=$2 version=$3 stamp="$bin/.$1.version"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
    return
  fi
  echo "installing $name $version (a few minutes the first time)" >&2
  GOBIN="$bin" GOFLAGS=-buildvcs=false go install "$module@$version"
  echo "$version" > "$stamp"
}

install minio github.com/minio/minio "$MINIO_VERSION"
install mc github.com/minio/mc "$MC_VERSION"

# nginx, for TestNginxRecipe (docs/nginx_test.go).
have_nginx() { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; }
if ! have_nginx; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nginx from the system's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; }
    # nginx-light where the release has it (Debian 12), else nginx; refresh stale package lists once.
    apt_install nginx-light || apt_install nginx ||
      { apt-get update -qq >/dev/null 2>&1 && { apt_install nginx-light || apt_install nginx; }; } ||
      echo "could not install nginx with apt-get: the nginx recipe test will skip (or fail under CI)" >&2
  else
    echo "nginx is not installed (install it with your package manager, e.g. apt-get install nginx-light): the nginx recipe test will skip (or fail under CI)" >&2
  fi
fi
