#!/bin/sh
# The team's chaos job. Before, one `chaos run` per experiment:
#
#   for e in experiments/*; do
#     chaos --no-version-check run --var-file ci.env --rollback-strategy always \
#       --journal-path "journal-$(basename "$e").json" "$e" || failed=1
#   done
#
# After: lint first (no counterpart in chaos): an error-level finding, such as an
# action that has no rollback, fails the job before anything is injected.
squall lint --fail-on error experiments/ || exit $?
# Then one `squall run` for the whole directory. Every experiment is validated
# before the first one runs, each writes out/<name>.journal.json, and the exit
# code is the most severe of the runs' (0 held, 1 deviated, 3 broken, 4 not run).
squall run --var-file ci.env --rollback-strategy always \
  --journal-dir out --junit out/junit.xml --report html:out/report.html \
  experiments/
status=$?
case $status in
  0) echo "chaos job: every steady state held" ;;
  4) echo "chaos job: the system was unhealthy before anything was injected"; status=0 ;;
  *) echo "chaos job: failed with exit $status (see out/report.html)" ;;
esac
exit $status
