#!/usr/bin/env bash
# Run every experiment of the security catalogue against the running demo, one journal each.
#   ./run-catalogue.sh PATH/TO/examples/security [MORE EXPERIMENTS...]
# The demo must be the misconfigured one: squall demo up --misconfigured
set -uo pipefail
shopt -s nullglob
catalogue="${1:?usage: ./run-catalogue.sh PATH/TO/examples/security [MORE EXPERIMENTS...]}"
shift

squall demo vars --output demo-vars.json 2>/dev/null || exit 3
mkdir -p journals
for experiment in "$catalogue"/*.json "$catalogue"/*.yaml "$@"; do
  name="$(basename "${experiment%.*}")"
  squall run "$experiment" --var-file demo-vars.json --journal-path "journals/$name.json" 2>/dev/null
  echo "exit $?  $name  (journals/$name.json)"
done
