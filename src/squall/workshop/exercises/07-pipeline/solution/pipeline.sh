#!/usr/bin/env bash
# One pipeline step: run one experiment, keep its journal, and turn squall's exit code
# into a decision the pipeline acts on.
#   ./pipeline.sh EXPERIMENT [squall run options...]
# Prints one line "verdict: <word>" and exits 0 only when the steady state held.
set -uo pipefail
experiment="${1:?usage: ./pipeline.sh EXPERIMENT [squall run options...]}"
shift
mkdir -p artifacts
name="$(basename "${experiment%.*}")"
squall run "$experiment" --journal-path "artifacts/$name.journal.json" "$@"
code=$?
case "$code" in
  0) echo "verdict: held (the system coped: go on)"; exit 0 ;;
  1) echo "verdict: weakness (the steady state deviated: stop, read artifacts/$name.journal.json)"; exit 1 ;;
  2) echo "verdict: invalid (the experiment itself is wrong: fix it; nothing ran)"; exit 2 ;;
  3) echo "verdict: broken (an activity or a rollback failed: check the target is clean)"; exit 3 ;;
  4) echo "verdict: not-steady (the target was unhealthy before anything was injected)"; exit 4 ;;
  *) echo "verdict: interrupted (exit $code: cancelled or killed; run squall recover)"; exit "$code" ;;
esac
