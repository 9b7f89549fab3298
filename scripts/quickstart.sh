#!/usr/bin/env bash
# make quickstart: starts a throw-away MinIO on a free local port, applies examples/quickstart
# with bucketform, shows that a second plan finds nothing to do, then uploads a file through the
# presigned PUT URL that `bucketform output` prints (signed for localhost, while bucketform
# talks to 127.0.0.1) and reads it back through the presigned GET URL; stops MinIO at the end.
# Needs: scripts/install-tools.sh and `make build` (the Makefile's quickstart target does both).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/bucketform"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 9000)

export MINIO_ROOT_USER=quickstart MINIO_ROOT_PASSWORD=quickstart-secret
"$root/.tools/bin/minio" server --quiet --address "127.0.0.1:$port" "$work/data" >"$work/minio.log" 2>&1 &
minio_pid=$!
trap 'kill $minio_pid 2>/dev/null; wait $minio_pid 2>/dev/null; rm -rf "$work"' EXIT

export MINIO_ENDPOINT="127.0.0.1:$port" PUBLIC_ENDPOINT="localhost:$port"
export MINIO_ACCESS_KEY=$MINIO_ROOT_USER MINIO_SECRET_KEY=$MINIO_ROOT_PASSWORD
cd "$root/examples/quickstart"
echo "== MinIO at $MINIO_ENDPOINT (data in $work/data); presigned URLs are signed for $PUBLIC_ENDPOINT"
echo "== bucketform apply -auto-approve -wait 1m"
"$bin" apply -auto-approve -wait 1m
echo
echo "== bucketform plan -detailed-exitcode (a second plan finds nothing to do)"
"$bin" plan -detailed-exitcode
echo
echo "== bucketform output"
"$bin" output
echo
echo "== bucketform output -raw upload_url (a presigned PUT URL, valid for 15 minutes)"
upload_url=$("$bin" output -raw upload_url)
echo "$upload_url"
echo "hello from make quickstart, $(date -u +%FT%TZ)" >"$work/hello.txt"
echo
echo "== curl -T hello.txt \"\$upload_url\""
code=$(curl -sS -o "$work/put.out" -w '%{http_code}' -T "$work/hello.txt" "$upload_url")
if [[ $code != 200 ]]; then
  echo "upload failed: HTTP $code" >&2
  cat "$work/put.out" >&2
  exit 1
fi
echo "HTTP $code"
echo
echo "== curl \"\$(bucketform output -raw download_url)\" (the presigned GET URL reads it back)"
curl -sS -f -o "$work/got.txt" "$("$bin" output -raw download_url)"
cat "$work/got.txt"
cmp -s "$work/hello.txt" "$work/got.txt" || { echo "the download differs from the upload" >&2; exit 1; }
echo
echo "== done: the uploaded file came back through the download URL; MinIO stops now"
