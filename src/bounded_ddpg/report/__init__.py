"""`python -m bounded_ddpg.report`: ablation tables and learning curves from run directories or W&B.

Reads run directories (docs/run-directory.md) or a W&B project/sweep into RunRecords (runs.py), groups them
into cells (env, transform, any `--by` config keys) and computes each cell's statistics (stats.py), writes
table.md / table.tex / table.csv (tables.py) and curves.png / curves.pdf (plots.py). Runs that are not
`finished`, malformed directories and missing seeds are listed in a footer, never averaged in. `--main`
writes the paper's main table instead (main_table.py, main_render.py, published.py: agent x transform rows,
one column per env) and its figure (figure.py: a panel per agent and env with runs). Every figure is
print-ready (print_style.py: print widths, text sizes, colour-blind-safe styles, legends outside).
`--aggregate` aggregates across tasks as rliable does (aggregate.py, aggregate_render.py, scores.py:
normalised scores, IQM, profiles, sample-efficiency curves); `--missing-commands` prints the runs that
fill the cells missing seeds (missing_commands.py). Duplicate runs are counted once (duplicates.py). The
report imports nothing of the training code. See docs/report.md.
"""

from __future__ import annotations

from bounded_ddpg.report.cli import main
from bounded_ddpg.report.plots import curve_panels
from bounded_ddpg.report.runs import Problem, find_run_dirs, read_run_dir, run_record_from_wandb
from bounded_ddpg.report.stats import RunRecord

__all__ = [
    "Problem",
    "RunRecord",
    "curve_panels",
    "find_run_dirs",
    "main",
    "read_run_dir",
    "run_record_from_wandb",
]
