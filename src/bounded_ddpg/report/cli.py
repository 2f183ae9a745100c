"""The report's command line: read runs, build the table rows, write tables and curves (docs/report.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bounded_ddpg.report import (
    aggregate,
    aggregate_render,
    compare,
    figure,
    main_render,
    main_table,
    missing_commands,
    plots,
    published,
    tables,
)
from bounded_ddpg.report.duplicates import drop_duplicates
from bounded_ddpg.report.runs import Problem, find_run_dirs, no_finished_run, read_run_dir, read_wandb
from bounded_ddpg.report.stats import (
    FINISHED,
    RunRecord,
    TableInfo,
    build_rows,
    cell_order,
    experiment_keys,
    leaf_paths,
    success_keys,
)


def parse_args(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    p = argparse.ArgumentParser(
        prog="python -m bounded_ddpg.report",
        description="Tables (text, Markdown, LaTeX, CSV) and learning curves from bounded_ddpg runs.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="run directories, or directories searched recursively for run directories",
    )
    p.add_argument("--wandb", metavar="ENTITY/PROJECT", help="also read every run of this W&B project")
    p.add_argument(
        "--wandb-sweep", metavar="ENTITY/PROJECT/SWEEP_ID", help="also read every run of this W&B sweep"
    )
    p.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="KEY",
        help="extra grouping key: a dotted path into the run config, e.g. agent.lr_actor (repeatable)",
    )
    p.add_argument(
        "--baseline",
        default=None,
        help="transform that P(improvement) compares against (default: identity, if present)",
    )
    p.add_argument(
        "--main",
        action="store_true",
        help="paper mode: one main table (agent x transform rows, one column per env) with published "
        "reference rows, and one figure (a panel per agent and env): main.{md,tex,csv}, figure.{png,pdf}",
    )
    p.add_argument(
        "--aggregate",
        action="store_true",
        help="across tasks (Agarwal et al. 2021): IQM, median, mean, optimality gap of normalised scores, "
        "P(> --baseline), performance profiles, sample-efficiency curves: aggregate.{md,tex,csv}, "
        "aggregate_intervals.{png,pdf}, aggregate_curves.{png,pdf}",
    )
    p.add_argument(
        "--missing-commands",
        action="store_true",
        help="print, for every cell missing seeds its experiment has, the Hydra multirun line that runs "
        "them and its SLURM form (hydra/launcher=slurm); writes no report",
    )
    p.add_argument("--x", choices=["step", "episode"], help="x axis of the learning curves (default: step)")
    p.add_argument("--reps", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling (default 0)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("report"),
        help="output directory for table.{md,tex,csv} and curves.{png,pdf} (default: ./report)",
    )
    p.add_argument(
        "--unfinished-curves",
        action="store_true",
        help="also draw runs still running or interrupted as lines labelled '(unfinished)', with hollow "
        "markers (never tabled)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1, nothing written) if any run is malformed or not finished, a seed is missing, or "
        "runs of different experiments (configs that differ in more than the seed) are present",
    )
    return p, p.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit status (argparse errors exit 2 directly)."""
    parser, a = parse_args(argv)
    if not (a.paths or a.wandb or a.wandb_sweep):
        parser.error("give at least one run directory, or --wandb / --wandb-sweep")
    if a.reps < 1:
        parser.error(f"--reps must be positive, got {a.reps}")
    if missing := [str(p) for p in a.paths if not p.exists()]:
        parser.error(f"path does not exist: {', '.join(missing)}")
    other = {"--by": a.by, "--baseline": a.baseline, "--x": a.x, "--unfinished-curves": a.unfinished_curves}
    if sum([a.main, a.aggregate, a.missing_commands]) > 1:
        parser.error("--main, --aggregate and --missing-commands are different reports: give one")
    if a.aggregate and (given := [flag for flag, value in other.items() if value and flag != "--baseline"]):
        parser.error(
            f"--aggregate cannot be combined with {', '.join(given)}: a task's score is one experiment's "
            "final metric; the curves' x axis is the fraction of the training budget"
        )
    if a.main and (given := [flag for flag, value in other.items() if value]):
        parser.error(
            f"--main cannot be combined with {', '.join(given)}: a main-table cell is one (agent, transform, "
            "env) experiment, never split by config keys, with no P(> baseline) column, and the figure "
            "chooses each panel's x axis from its runs' budget; use the ordinary report for these"
        )
    if files := [str(p) for p in a.paths if not p.is_dir()]:
        parser.error(f"not a directory: {', '.join(files)} (give run directories, or folders holding them)")
    found: list[RunRecord | Problem] = [read_run_dir(d) for p in a.paths for d in find_run_dirs(p)]
    found += read_wandb(a.wandb, sweep=False) if a.wandb else []
    found += read_wandb(a.wandb_sweep, sweep=True) if a.wandb_sweep else []
    if not found:
        parser.error(f"no run directories (holding summary.json, config.yaml or eval.csv) under: "
                     f"{', '.join(map(str, a.paths))}")  # fmt: skip
    records = [r for r in found if isinstance(r, RunRecord)]
    problems = [f"malformed, excluded: {p.source}: {p.reason}" for p in found if isinstance(p, Problem)]
    if not records:
        parser.error("no readable runs:\n" + "\n".join(problems))
    records, duplicate_runs = drop_duplicates(records)  # the same run read twice is counted once
    problems += duplicate_runs
    nothing = no_finished_run(records)
    drawable = a.unfinished_curves and not (a.main or a.aggregate) and plots.has_curves(
        plots.curve_panels(records, a.x or "step", (), unfinished=True))  # fmt: skip
    if nothing and not a.missing_commands and not drawable:
        print(nothing, file=sys.stderr)
        return 1
    if a.main:
        return write_main(parser, a, records, problems)
    if a.aggregate:
        return write_aggregate(parser, a, records, problems)
    keys = sorted({k for r in records for k in leaf_paths(r.config)})
    if bad := [k for k in a.by if k not in keys]:
        parser.error(
            f"unknown --by key {', '.join(bad)}; valid keys: {', '.join(keys) or '(runs have no config)'}"
        )
    transforms = sorted({r.transform for r in records}, key=lambda t: cell_order("", t, ()))
    if a.baseline is not None and a.baseline not in transforms:
        parser.error(f"unknown --baseline {a.baseline!r}; transforms in these runs: {', '.join(transforms)}")
    baseline = a.baseline or ("identity" if "identity" in transforms else None)
    split = experiment_keys(records, tuple(a.by))  # different experiments are never pooled into one cell
    by = (*a.by, *sorted({k for ks in split.values() for k in ks}))
    rows, notes = build_rows(records, by, baseline, a.reps, a.seed)
    if a.missing_commands:
        lines = missing_commands.command_lines(rows, records, by)
        print("\n".join(lines) if lines else "# no cell misses a seed of its experiment: nothing to run")
        return 0
    loud = [
        f"DIFFERENT EXPERIMENTS: runs of {env} differ in {', '.join(ks)}; they are not pooled: each value "
        f"has its own rows (the column{'s' if len(ks) > 1 else ''} {', '.join(ks)})"
        for env, ks in split.items()
    ]
    notes = problems + loud + notes
    if a.strict and notes:
        print("report --strict: refusing to write a report over incomplete results:", file=sys.stderr)
        print("\n".join(f"- {n}" for n in notes), file=sys.stderr)
        return 1
    notes += compare.reference_notes(records) + published.hyar_notes(records)  # comparisons: not problems
    info = TableInfo(by, baseline, a.reps, a.seed, success_keys(records))
    try:  # the files first, then stdout: a reader that stops early (`| head`) cannot cost a file
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "table.md").write_text(tables.render_markdown(rows, info, notes))
        (a.out / "table.tex").write_text(tables.render_latex(rows, info))
        (a.out / "table.csv").write_text(tables.render_csv(rows, info))
        panels = plots.curve_panels(records, a.x or "step", by, a.unfinished_curves)
        metrics = {e: plots.curve_metric([r for r in records if r.env == e and r.status == FINISHED])
                   for e in panels}  # fmt: skip
        drawn = plots.plot_curves(panels, a.x or "step", a.out, a.reps, a.seed, metrics)
    except OSError as e:
        parser.error(f"cannot write {e.filename or a.out}: {e.strerror or e}")
    print(tables.render_text(rows, info, notes), end="")
    if not drawn:
        print("\nno curves: no run to draw has evaluation rows (eval.csv); curves.png and curves.pdf not "
              "written", file=sys.stderr)  # fmt: skip
    print(f"\nwrote {a.out}/table.md, table.tex, table.csv" + (", curves.png, curves.pdf" if drawn else ""))
    return 0


def write_main(
    parser: argparse.ArgumentParser, a: argparse.Namespace, records: list[RunRecord], problems: list[str]
) -> int:
    """`--main`: main.md / main.tex / main.csv and figure.png / figure.pdf; exit 1, nothing written, when
    an (env, agent) holds runs of several experiments (or, with --strict, when anything is noted)."""
    try:
        table = main_table.build(records, problems, a.reps, a.seed)
    except main_table.MixedExperiments as e:
        print(e, file=sys.stderr)
        return 1
    if a.strict and table.notes:
        print("report --main --strict: refusing to write a report over incomplete results:", file=sys.stderr)
        print("\n".join(f"- {n}" for n in table.notes), file=sys.stderr)
        return 1
    try:  # the files first, then stdout
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "main.md").write_text(main_render.render_markdown(table))
        (a.out / "main.tex").write_text(main_render.render_latex(table))
        (a.out / "main.csv").write_text(main_render.render_csv(table))
        lay = figure.layout(records)
        figure.plot_figure(lay, a.out, a.reps, a.seed)
    except OSError as e:
        parser.error(f"cannot write {e.filename or a.out}: {e.strerror or e}")
    print(main_render.render_text(table), end="")
    if lay.absent:
        print("\nfigure: no panel for " + "; ".join(f"{main_table.agent_label(ag)} on {env} ({why})"
                                                   for (ag, env), why in lay.absent.items()))  # fmt: skip
    print(f"\nwrote {a.out}/main.md, main.tex, main.csv, figure.png, figure.pdf")
    return 0


def write_aggregate(
    parser: argparse.ArgumentParser, a: argparse.Namespace, records: list[RunRecord], problems: list[str]
) -> int:
    """`--aggregate`: aggregate.md / .tex / .csv, aggregate_intervals and aggregate_curves (.png, .pdf);
    exit 1, nothing written, when the runs cannot be aggregated (or, with --strict, anything is noted)."""
    baseline = a.baseline or "identity"
    try:
        agg = aggregate.build(records, problems, baseline, a.reps, a.seed)
    except (aggregate.AggregateError, main_table.MixedExperiments) as e:
        print(e, file=sys.stderr)
        return 1
    if a.baseline is not None and agg.baseline is None:
        parser.error(f"unknown --baseline {a.baseline!r}; methods aggregated: {', '.join(agg.methods)}")
    if a.strict and agg.notes:
        print("report --aggregate --strict: refusing to aggregate incomplete results:", file=sys.stderr)
        print("\n".join(f"- {n}" for n in agg.notes), file=sys.stderr)
        return 1
    text = aggregate_render.render_markdown(agg)
    try:  # the files first, then stdout
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "aggregate.md").write_text(text)
        (a.out / "aggregate.tex").write_text(aggregate_render.render_latex(agg))
        (a.out / "aggregate.csv").write_text(aggregate_render.render_csv(agg))
        aggregate_render.plot_intervals(agg, a.out)
        aggregate_render.plot_curves(agg, a.out)
    except OSError as e:
        parser.error(f"cannot write {e.filename or a.out}: {e.strerror or e}")
    print(text, end="")
    print(f"\nwrote {a.out}/aggregate.md, aggregate.tex, aggregate.csv, aggregate_intervals.png, "
          "aggregate_intervals.pdf, aggregate_curves.png, aggregate_curves.pdf")  # fmt: skip
    return 0
