#!/usr/bin/env bash
# CI for the driver: every step fails the job with its own exit code.
#   ./ci.sh    (run from the driver's directory, in a fresh virtual environment)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

echo "== install"
python -m pip install -q -e . pytest            # squall itself is installed first

echo "== test (the squall pytest plugin is loaded automatically)"
python -m pytest -q -p no:cacheprovider tests

echo "== discover, and check the experiment still matches the driver"
squall drivers
squall discover squall_first_driver --no-system-info
squall validate experiment.json                 # exit 2: the experiment is wrong

echo "== run"
code=0
squall run experiment.json --journal-path journal.json \
  --junit junit.xml --report html:report.html || code=$?   # the CI test report, the report to keep
case "$code" in
  0)   echo "held: the system coped" ;;
  1)   echo "deviated: a weakness was found, see journal.json" ;;
  3)   echo "broken: an activity or a rollback failed" ;;
  4)   echo "not run: the system was unhealthy before anything was injected" ;;
  *)   echo "unexpected exit code $code" ;;
esac
exit "$code"
