"""`python -m bounded_ddpg.report [PATHS] [--out DIR] ...` (see cli.py and docs/report.md)."""

import sys

from bounded_ddpg.report.cli import main

sys.exit(main())
