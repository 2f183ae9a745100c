"""`python -m bounded_ddpg.report [PATHS] [--out DIR] ...` (see cli.py and docs/report.md)."""

import os
import sys

from bounded_ddpg.report.cli import main

try:
    status = main()
    sys.stdout.flush()
except BrokenPipeError:
    # the reader of stdout stopped early (`| head`): the files were written before anything was printed;
    # stdout goes to /dev/null so that Python's own flush at exit does not complain, and the exit status
    # is a shell's for a process killed by SIGPIPE
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    status = 128 + 13
sys.exit(status)
