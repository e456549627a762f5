"""``python -m squall``."""

from squall.cli import main

raise SystemExit(main())
