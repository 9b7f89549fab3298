#!/usr/bin/env bash
# drift-check.sh [DIR] — the shell steps of the CI drift check: has the live MinIO drifted from
# the configuration in DIR (default: .)? Used by examples/ci/github/drift.yml and
# examples/ci/.gitlab-ci.yml; see docs/ci.md.
#
#   exit 0  no drift: the live server matches the configuration
#   exit 2  drift: `bucketform apply` would change something (the job fails)
#   exit 1  an error (bad configuration, server unreachable) or a refusal
#
# It writes to $DRIFT_OUT (default: drift-report/), the job's artifacts:
#   plan.json   the plan as one JSON document (`plan -json`, described in docs/json.md)
#   plan.md     a Markdown summary, also printed, and appended to $GITHUB_STEP_SUMMARY when set
#   drift.plan  the saved plan (mode 0600, no secrets): `bucketform apply drift.plan` applies
#               exactly what was reviewed, and refuses if the server changed since
#
# Environment:
#   MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY  the MinIO to check and its credentials
#       (read by the configuration's minio block). When MINIO_ENDPOINT is empty, a throw-away
#       MinIO is started from $MINIO_BIN (default: `minio` on PATH) on 127.0.0.1:$MINIO_PORT
#       (default 9000) and stopped at the end: to try the job out before pointing it at a server.
#   BUCKETFORM   the bucketform binary to run; when empty, ./cmd/bucketform of this checkout is built.
#   DRIFT_WAIT   how long to wait for MinIO to be ready (bucketform -wait; default 1m).
set -euo pipefail

dir=${1:-.}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${DRIFT_OUT:-drift-report}
wait=${DRIFT_WAIT:-1m}
mkdir -p "$out"
rm -f "$out/plan.json" "$out/plan.md" "$out/drift.plan" "$out/plan.stderr"
tmp=$(mktemp -d)
minio_pid=
cleanup() {
  if [[ -n $minio_pid ]]; then
    kill "$minio_pid" 2>/dev/null || true
    wait "$minio_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# 1. Build bucketform (or use the one given).
bf=${BUCKETFORM:-}
if [[ -z $bf ]]; then
  echo "== building bucketform from $root" >&2
  (cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$tmp/bucketform" ./cmd/bucketform)
  bf=$tmp/bucketform
fi

# 2. The MinIO to check: the one given, or a throw-away one.
if [[ -z ${MINIO_ENDPOINT:-} ]]; then
  minio=${MINIO_BIN:-minio}
  export MINIO_ENDPOINT=127.0.0.1:${MINIO_PORT:-9000}
  export MINIO_ACCESS_KEY=${MINIO_ACCESS_KEY:-drift-check} MINIO_SECRET_KEY=${MINIO_SECRET_KEY:-drift-check-secret}
  echo "== starting a throw-away MinIO at $MINIO_ENDPOINT (MINIO_ENDPOINT is not set)" >&2
  MINIO_ROOT_USER=$MINIO_ACCESS_KEY MINIO_ROOT_PASSWORD=$MINIO_SECRET_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
    "$minio" server --quiet --address "$MINIO_ENDPOINT" "$tmp/data" >"$tmp/minio.log" 2>&1 &
  minio_pid=$!
fi

# 3. Plan once: JSON for machines, the saved plan for review and apply, Markdown for people.
echo "== bucketform plan -detailed-exitcode $dir" >&2
set +e
"$bf" plan -detailed-exitcode -json -no-color -wait "$wait" -out "$out/drift.plan" "$dir" >"$out/plan.json" 2>"$out/plan.stderr"
code=$?
set -e
cat "$out/plan.stderr" >&2

if [[ -f $out/drift.plan ]]; then
  "$bf" show -markdown "$out/drift.plan" >"$out/plan.md"
elif [[ $code == 1 && -s $out/plan.json ]]; then
  # Refused: no plan file is saved; the Markdown summary lists the refusals.
  "$bf" plan -markdown -no-color "$dir" >"$out/plan.md" 2>/dev/null || true
else
  {
    echo "### bucketform plan"
    echo
    echo ":x: **The drift check failed** (exit $code):"
    echo
    echo '```'
    cat "$out/plan.stderr"
    echo '```'
  } >"$out/plan.md"
fi

cat "$out/plan.md"
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  cat "$out/plan.md" >>"$GITHUB_STEP_SUMMARY"
fi

case $code in
  0) echo "== no drift: the live server matches the configuration" >&2 ;;
  2)
    echo "== drift: the live server differs from the configuration (see $out/plan.md)" >&2
    if [[ ${GITHUB_ACTIONS:-} == true ]]; then
      echo "::error title=MinIO drift::The live server differs from the configuration in $dir; see the job summary."
    fi
    ;;
  *) echo "== the drift check failed (exit $code)" >&2 ;;
esac
exit "$code"
