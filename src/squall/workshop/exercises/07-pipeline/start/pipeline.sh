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
# TODO: one "verdict: <word>" line per exit code, and the step's own exit code:
#   0 held        1 weakness     2 invalid     3 broken     4 not-steady
# (docs/reference/exit-codes.md says what each one means). Only "held" may exit 0.
echo "verdict: TODO"
exit 0
