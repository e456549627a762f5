#!/usr/bin/env bash
# CI for the driver: tests, discovery, then the experiment against a target.
#   ./ci.sh                       tests and discovery only
#   VARS=demo-vars.json ./ci.sh   also validate and run the experiment with that var file
set -euo pipefail
# VARS is relative to where you are, not to this script's folder
if [ -n "${VARS:-}" ]; then VARS="$(realpath -- "$VARS")"; fi
cd "$(dirname "${BASH_SOURCE[0]}")"

echo "== test (the squall pytest plugin is loaded automatically)"
python -m pytest -q -p no:cacheprovider tests

echo "== discover"
squall drivers | grep "ws_revocation" > /dev/null || { echo "not installed: pip install -e ."; exit 2; }
scratch="$(mktemp -d)"                          # what only this job needs: removed at the end
trap 'rm -rf "$scratch"' EXIT
squall discover ws_revocation --no-system-info --discovery-path "$scratch/discovery.json"

if [ -z "${VARS:-}" ]; then
  echo "no VARS: the experiment needs a target (VARS=demo-vars.json ./ci.sh)"
  exit 0
fi
echo "== validate and run"
squall validate experiment.json --var-file "$VARS"
code=0
squall run experiment.json --var-file "$VARS" --journal-path journal.json || code=$?
case "$code" in
  0) echo "held: the revoked token is refused" ;;
  1) echo "deviated: a weakness was found, see journal.json" ;;
  4) echo "not run: the target was not in its steady state, nothing was injected" ;;
  *) echo "broken (exit $code): fix the experiment or the driver first" ;;
esac
exit "$code"
