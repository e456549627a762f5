"""``squall`` with ``--engine temporal`` added to its ``run`` command: the command line the
conformance driver uses for the Temporal side (tests/temporal/test_engine_conformance.py)."""

from __future__ import annotations

import sys

from squall.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "run" in args:
        at = args.index("run") + 1
        args[at:at] = ["--engine", "temporal"]
    sys.argv[1:] = args  # main() reads them: the real command's way out (no abort at exit)
    sys.exit(main())
