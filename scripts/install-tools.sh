#!/usr/bin/env bash
# Installs the pinned MinIO server and mc client that the integration tests and the quickstart
# run against, into .tools/bin of this checkout. Idempotent: a tool already at its pinned version
# is not rebuilt. The first build takes about 3 minutes; Go's build cache makes repeats fast.
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
