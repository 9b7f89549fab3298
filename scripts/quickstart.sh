#!/usr/bin/env bash
# Starts a throw-away MinIO on a free local port, applies examples/quickstart with bucketform,
# shows that a second plan finds nothing to do, prints the outputs, and stops MinIO.
# Needs: scripts/install-tools.sh and `make build` (the Makefile's quickstart target does both).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/bucketform"
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 9000)

export MINIO_ROOT_USER=quickstart MINIO_ROOT_PASSWORD=quickstart-secret
"$root/.tools/bin/minio" server --quiet --address "127.0.0.1:$port" "$data" >"$data.log" 2>&1 &
minio_pid=$!
trap 'kill $minio_pid 2>/dev/null; wait $minio_pid 2>/dev/null; rm -rf "$data" "$data.log"' EXIT

export MINIO_ENDPOINT="127.0.0.1:$port" MINIO_ACCESS_KEY=$MINIO_ROOT_USER MINIO_SECRET_KEY=$MINIO_ROOT_PASSWORD
cd "$root/examples/quickstart"
echo "== MinIO at $MINIO_ENDPOINT (data in $data)"
echo "== bucketform apply -auto-approve -wait 1m"
"$bin" apply -auto-approve -wait 1m
echo
echo "== bucketform plan -detailed-exitcode (a second plan finds nothing to do)"
"$bin" plan -detailed-exitcode
echo
echo "== bucketform output"
"$bin" output
