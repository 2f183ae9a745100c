"""The published ablation (docs/results.md) regenerates from the per-run files in results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_module

from bounded_ddpg import config as schema
from bounded_ddpg import report, run
from bounded_ddpg.logger import run_dir_for
from figure_checks import ONE_COLUMN_IN, TWO_COLUMN_IN, capture, check, png_size

ROOT = Path(__file__).resolve().parents[1]

# docs/results/<table>: (the results/ folders it reads, runs there, extra report arguments); the commands
# are the ones docs/results.md gives.
ZERO = ["--baseline", "zero"]
TABLES: dict[str, tuple[tuple[str, ...], int, list[str]]] = {
    "platform": (("platform", "platform_penalty"), 60, ["--x", "episode", "--unfinished-curves", *ZERO]),
    "platform_buffer100k": (("platform_buffer100k",), 10, ["--x", "episode"]),
    "platform_invert_avg": (("platform_invert_avg",), 10, ["--x", "episode"]),
    "platform_invert_tau": (("platform_invert_tau",), 10, ["--x", "episode"]),
    "platform_invert_lrdecay": (("platform_invert_lrdecay",), 10, ["--x", "episode"]),
    "platform_rerun": (("platform_rerun",), 50, ["--x", "episode", *ZERO]),
    # zero and invert over seeds 0-19: results/platform's two cells with their seeds 10-19
    "platform_20seeds": (
        ("platform/zero", "platform/invert", "platform_seeds10_19"),
        40,
        ["--x", "episode", *ZERO],
    ),
    "goal": (("goal", "goal_penalty"), 60, ["--x", "episode", *ZERO]),
    "goal_platform_lr": (("goal_platform_lr",), 30, ["--x", "episode", *ZERO]),
    "pendulum": (("pendulum", "pendulum_penalty"), 60, ZERO),
    "lunarlandercontinuous": (("lunarlandercontinuous",), 50, ["--unfinished-curves", *ZERO]),
    "lunarlander_small": (("lunarlander_small", "lunarlander_small_penalty"), 60, ZERO),
    "pdqn_platform": (
        ("pdqn_platform", "pdqn_platform_ablation", "pdqn_platform_clip_penalty"),
        50,
        ["--x", "episode", *ZERO],
    ),
    "mpdqn_platform": (
        (
            "mpdqn_platform",
            "mpdqn_platform_ablation",
            "mpdqn_platform_clip_penalty",
            "mpdqn_platform_reference",
        ),
        60,
        ["--x", "episode", *ZERO],
    ),
    "pdqn_goal": (("pdqn_goal", "pdqn_goal_rest"), 30, ["--x", "episode", *ZERO]),
    "mpdqn_goal": (("mpdqn_goal", "mpdqn_goal_rest"), 30, ["--x", "episode", *ZERO]),
    "td3_lunarlander_small": (("td3_lunarlander_small",), 30, ZERO),
    "td3_pendulum": (("td3_pendulum",), 30, ZERO),
    **{
        task: ((task,), 20, ZERO)
        for task in ("hardgoal", "catchpoint", "hardmove4", "mpdqn_catchpoint", "mpdqn_hardgoal")
    },
}
# The main table (docs/results/main, `report --main`): one experiment per (task, agent), all published.
MAIN = (
    "platform",
    "platform_penalty",
    "goal",
    "goal_penalty",
    "pendulum",
    "pendulum_penalty",
    "lunarlander_small",
    "lunarlander_small_penalty",
    "pdqn_platform",
    "pdqn_platform_ablation",
    "pdqn_platform_clip_penalty",
    "mpdqn_platform",
    "mpdqn_platform_ablation",
    "mpdqn_platform_clip_penalty",
    "pdqn_goal",
    "pdqn_goal_rest",
    "mpdqn_goal",
    "mpdqn_goal_rest",
    "td3_lunarlander_small",
    "td3_pendulum",
    "mpdqn_platform_reference",
    "platform_seeds10_19",
)
# results/<folder> -> the runs it holds (each folder is one conf/experiment/<folder>.yaml)
FOLDERS = {
    "platform": 50, "platform_buffer100k": 10, "goal": 50, "pendulum": 50, "pendulum_penalty": 10,
    "lunarlandercontinuous": 50, "lunarlander_small": 50, "pdqn_platform": 10, "mpdqn_platform": 10,
    "pdqn_platform_ablation": 30, "platform_penalty": 10, "mpdqn_platform_ablation": 30, "pdqn_goal": 15,
    "mpdqn_goal": 15, "goal_penalty": 10, "platform_invert_avg": 10,
    "lunarlander_small_penalty": 10, "td3_lunarlander_small": 30, "platform_rerun": 50,
    "goal_platform_lr": 30, "pdqn_goal_rest": 15, "pdqn_platform_clip_penalty": 10,
    "td3_pendulum": 30, "mpdqn_platform_clip_penalty": 10, "mpdqn_goal_rest": 15, "platform_invert_tau": 10,
    "platform_invert_lrdecay": 10, "mpdqn_platform_reference": 10, "platform_seeds10_19": 20,
    "hardgoal": 20, "catchpoint": 20, "hardmove4": 20, "mpdqn_catchpoint": 20, "mpdqn_hardgoal": 20,
}  # fmt: skip
# The HyAR table (docs/results/hyar, `report --main`): HyAR's three tasks, success rates.
HYAR = ("hardgoal", "catchpoint", "hardmove4", "mpdqn_catchpoint", "mpdqn_hardgoal")
# Runs of a published algorithm's released code, converted by report/reference.py: no experiment file.
REFERENCE_FOLDERS = {"mpdqn_platform_reference"}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_published_table_regenerates_from_results(
    table: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the table's notes name runs by the path given, as in docs/results.md
    folders, runs, extra = TABLES[table]
    assert {f.split("/")[0] for f in folders} <= set(FOLDERS) and set(MAIN) <= set(FOLDERS)
    assert sum(len(list(Path(f"results/{f}").glob("**/seed*/*/summary.json"))) for f in folders) == runs
    figures = capture(monkeypatch)
    assert report.main([*[f"results/{f}" for f in folders], "--out", str(tmp_path), *extra]) == 0
    published = ROOT / "docs" / "results" / table / "table.md"
    for name in ("table.md", "table.tex", "table.csv"):
        assert (tmp_path / name).read_text() == (published.parent / name).read_text(), name
    (fig,) = figures
    check(fig, tmp_path, "curves", ONE_COLUMN_IN)  # print-ready (tests/figure_checks.py): one env, one column
    # docs/results/<table>/curves.png is this figure's PNG: the same size and resolution
    assert png_size(published.parent / "curves.png") == png_size(tmp_path / "curves.png")


def _regenerate_main(
    folders: tuple[str, ...], published: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """`report --main` over results/<folders>: main.{md,tex,csv} byte for byte as docs/results/<published>,
    its figure print-ready (tests/figure_checks.py) at the published PNG's size; returns the figure."""
    monkeypatch.chdir(ROOT)
    figures = capture(monkeypatch)
    assert report.main(["--main", *[f"results/{f}" for f in folders], "--out", str(tmp_path)]) == 0
    for name in ("main.md", "main.tex", "main.csv"):
        assert (tmp_path / name).read_text() == (ROOT / "docs/results" / published / name).read_text(), name
    (fig,) = figures
    check(fig, tmp_path, "figure", TWO_COLUMN_IN)  # print-ready, no empty panel
    assert png_size(ROOT / "docs/results" / published / "figure.png") == png_size(tmp_path / "figure.png")
    return fig


def test_main_table_regenerates_from_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fig = _regenerate_main(MAIN, "main", tmp_path, monkeypatch)
    cells = pd.read_csv(tmp_path / "main.csv")
    measured = cells[(cells.kind == "measured") & (cells.n > 0)]
    unshared = capsys.readouterr().out.count("(no evaluation range its runs share)")  # printed, no panel
    assert len(fig.axes) == len(measured.groupby(["agent", "env"])) - unshared >= 10
    goal = [ax.get_title() for ax in fig.axes if ax.get_title().startswith("Goal\nPA-DDPG")]
    assert goal == ["Goal\nPA-DDPG, N=10\nall 6 lines coincide"]  # every transform at P(goal) 0 throughout


MACHINE_KEYS = ("device", "out_dir", "run_id", "progress")  # where and how a run ran, not what it ran


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and k != "transform":
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@pytest.mark.parametrize("name", sorted(set(FOLDERS) - REFERENCE_FOLDERS))
def test_the_repository_experiment_file_composes_what_its_runs_recorded(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conf/experiment/<name>.yaml (found as the working directory's conf/) gives every member of
    results/<name> exactly the config.yaml it recorded, besides where and how it ran."""
    monkeypatch.chdir(ROOT)
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"])
        schema.validate(cfg)
        specs, seeds = run._members(cfg)
    members = {(c["transform"]["name"], c["seed"]): _flat(c) for c in run._member_configs(cfg, specs, seeds)}
    recorded = sorted(Path(f"results/{name}").glob("*/seed*/*/config.yaml"))
    assert len(recorded) == len(members) == FOLDERS[name]
    for path in recorded:
        rec = _flat(yaml.safe_load(path.read_text()))
        ours = members.pop((rec["transform"]["name"], rec["seed"]))
        differ = {
            k: (v, ours.get(k, "<absent>"))
            for k, v in rec.items()
            if k not in MACHINE_KEYS and ours.get(k, "<absent>") != v
        }
        assert not differ, f"{path}: recorded vs composed {differ}"
    assert not members


@pytest.mark.parametrize("path", sorted((ROOT / "conf" / "experiment").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_repository_experiment_file_composes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also files whose runs are not in results/ yet: each composes, validates and names its results/."""
    monkeypatch.chdir(ROOT)
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={path.stem}"])
        schema.validate(cfg)
        specs, seeds = run._members(cfg)
    assert len(specs) == len(seeds) >= 5  # a published cell has at least 5 seeds
    assert f"results/{path.stem}" in path.read_text()


def test_hyar_table_regenerates_from_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/results/hyar (and the copy docs/results.md shows) is `report --main` over HyAR's three tasks:
    one P(success) column per task, one figure panel per task."""
    fig = _regenerate_main(HYAR, "hyar", tmp_path, monkeypatch)
    panels = [ax.get_title().split("\n")[:2] for ax in fig.axes]
    assert [(task, agent.split(",")[0]) for task, agent in panels] == [
        ("HardGoal", "PA-DDPG"),
        ("CatchPoint", "PA-DDPG"),
        ("HardMove4", "PA-DDPG"),
        ("HardGoal", "MP-DQN"),
        ("CatchPoint", "MP-DQN"),
    ]
    table = [ln for ln in (tmp_path / "main.md").read_text().splitlines() if ln.startswith("|")]
    marker = "<!-- the HyAR table: docs/results/hyar/main.md -->"
    shown = (ROOT / "docs" / "results.md").read_text().split(marker)
    assert len(shown) == 2 and shown[1].strip().splitlines()[: len(table)] == table
    assert "P(success)" in table[0] and len(table) == 2 + 2 * 4  # header, rule, agent x transform


def test_no_two_repository_experiment_files_share_a_run_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run directories are out_dir/env/transform/seed/run_id, without the agent: two experiment files that
    fix one run_id for the same (env, transform, seed), e.g. P-DQN's and MP-DQN's ablations, would collide
    (run side by side, one stops at the other's lock; one after the other, the second refuses to resume the
    first's runs), so each file's fixed run_id must give it run directories of its own."""
    monkeypatch.chdir(ROOT)
    owner: dict[Path, str] = {}
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        for path in sorted((ROOT / "conf" / "experiment").glob("*.yaml")):
            cfg = compose("config", overrides=[f"experiment={path.stem}"])
            if cfg.run_id is None:  # a new run id per run: never shared
                continue
            specs, seeds = run._members(cfg)
            for spec, seed in zip(specs, seeds):
                run_dir = run_dir_for("runs", cfg.env.name, spec.dir_name, seed, cfg.run_id)
                assert run_dir not in owner, f"{path.stem} and {owner[run_dir]} both write {run_dir}"
                owner[run_dir] = path.stem
    assert len(owner) >= 200  # the files with a fixed run_id were all read


# docs/results.md's per-seed and fixed-point tables: row label -> (results/ folder, transform)
PER_SEED = {
    **{t: ("platform", t) for t in ("identity", "clip", "zero", "squash", "invert")},
    "penalty": ("platform_penalty", "penalty"),
    "MP-DQN": ("mpdqn_platform", "invert"),
    "P-DQN": ("pdqn_platform", "invert"),
    **{f"P-DQN, {t}": ("pdqn_platform_ablation", t) for t in ("identity", "zero", "squash")},
    **{f"P-DQN, {t} (seeds 0-4)": ("pdqn_platform_clip_penalty", t) for t in ("clip", "penalty")},
    **{f"MP-DQN, {t}": ("mpdqn_platform_ablation", t) for t in ("identity", "zero", "squash")},
    **{f"MP-DQN, {t} (seeds 0-4)": ("mpdqn_platform_clip_penalty", t) for t in ("clip", "penalty")},
    **{f"{t}, run again": ("platform_rerun", t) for t in ("identity", "clip", "zero", "squash", "invert")},
    **{f"{t}, seeds 10-19": ("platform_seeds10_19", t) for t in ("zero", "invert")},
}


def _runs(folder: str, transform: str) -> list[tuple[dict[str, Any], Any]]:
    """(summary, eval.csv rows) of results/<folder>/<transform>'s runs, by seed."""
    out = []
    for summary in sorted(Path(f"{ROOT}/results/{folder}/{transform}").glob("seed*/*/summary.json")):
        out.append((json.loads(summary.read_text()), pd.read_csv(summary.parent / "eval.csv")))
    return sorted(out, key=lambda r: r[0]["seed"])


def _results_text() -> str:
    """docs/results.md with every run of whitespace (line breaks included) as one space."""
    return " ".join((ROOT / "docs" / "results.md").read_text().split())


def _doc_rows(header: str) -> list[list[str]]:
    """The cells of the rows of the docs/results.md tables whose header row starts with ``header``."""
    lines, rows, inside = (ROOT / "docs" / "results.md").read_text().splitlines(), [], False
    for line in lines:
        if line.startswith(header):
            inside = True
        elif inside and line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
        elif not line.startswith("|"):
            inside = False
    return rows


def test_per_seed_tables_in_results_md_are_the_runs_final_returns() -> None:
    rows = _doc_rows("| transform | final return per seed |") + _doc_rows("| agent | final return per seed |")
    assert {r[0] for r in rows} <= set(PER_SEED) and len(rows) >= 14
    for label, values in rows:
        assert values.split(", ") == [f"{v:.3f}" for v in _finals(*PER_SEED[label])], label


def test_fixed_point_table_in_results_md_is_the_mean_curve() -> None:
    """Mean evaluation return, each run's curve interpolated onto training episodes, at fixed episodes."""
    rows = _doc_rows("| transform | episode 2,000 |")
    assert len(rows) == 6
    for label, *values in rows:
        runs = _runs(*PER_SEED[label])
        points = [[float(np.interp(e, ev.episode, ev.return_mean)) for e in (2000, 6000, 10000, 15000)]
                  + [s["final_eval"]["return_mean"]] for s, ev in runs]  # fmt: skip
        assert values == [f"{v:.3f}" for v in np.mean(points, axis=0)], label


def test_per_task_tables_in_results_md_are_the_reports() -> None:
    """Every report table docs/results.md shows (header `| env ...`) is one docs/results/<table>/table.md,
    line for line, and every table is shown but the unfinished runs' (docs/results.md shows their curves)."""
    lines = (ROOT / "docs" / "results.md").read_text().splitlines()
    shown = []
    for i, line in enumerate(lines):
        if line.startswith("| env ") and not lines[i - 1].startswith("|"):
            end = next(k for k in range(i, len(lines) + 1) if k == len(lines) or not lines[k].startswith("|"))
            shown.append(lines[i:end])
    published = {
        t: [
            ln
            for ln in (ROOT / "docs" / "results" / t / "table.md").read_text().splitlines()
            if ln.startswith("|")
        ]
        for t in TABLES
        if t != "lunarlandercontinuous"  # no run finished: no table
    }
    for table in shown:
        assert table in published.values(), (
            f"docs/results.md shows a table no report made:\n{table[0]}\n{table[2]}"
        )
    assert len(shown) == len(published) and all(t in shown for t in published.values())


# Per-seed lists quoted in docs/results.md's prose: (the words before the list, results/ folder, transform,
# summary's final_eval key, decimals). The list is the runs' values by seed, joined with ", ".
PROSE_PER_SEED = [
    ("Per seed: ", "platform_buffer100k", "invert", "return_mean", 3),
    ("(reference buffer, same seeds: ", "platform", "invert", "return_mean", 3),
    ("Per seed: ", "platform_invert_avg", "invert", "return_mean", 3),
    ("Per seed: ", "platform_invert_tau", "invert", "return_mean", 3),
    ("Per seed: ", "platform_invert_lrdecay", "invert", "return_mean", 3),
    ("(the published protocol's runs, same seeds: ", "platform", "invert", "return_mean", 3),
    ("(the published protocol's runs: ", "platform", "invert", "return_mean", 3),
    ("of them), `identity`: ", "goal", "identity", "return_mean", 3),
    ("Per seed: ", "lunarlander_small_penalty", "penalty", "return_mean", 1),
    ("final evaluation (1,000 episodes): `zero` ", "goal_platform_lr", "zero", "p_goal", 3),
    *(
        (f"; `{t}` ", "goal_platform_lr", t, "p_goal", 3)
        for t in ("clip", "penalty", "squash", "identity", "invert")
    ),
    (
        "The other three (results/pdqn_goal_rest), P(goal) per seed (0-4): `identity` ",
        "pdqn_goal_rest",
        "identity",
        "p_goal",
        3,
    ),
    *((f"; `{t}` ", "pdqn_goal_rest", t, "p_goal", 3) for t in ("clip", "penalty")),
    (
        "The other three (results/mpdqn_goal_rest), P(goal) per seed (0-4): `identity` ",
        "mpdqn_goal_rest",
        "identity",
        "p_goal",
        3,
    ),
    *((f"; `{t}` ", "mpdqn_goal_rest", t, "p_goal", 3) for t in ("clip", "penalty")),
    ("The one outlier is a `zero` run: per seed (0-4), `zero` ", "td3_pendulum", "zero", "return_mean", 1),
]


def _finals(folder: str, transform: str, key: str = "return_mean") -> list[float]:
    return [s["final_eval"][key] for s, _ in _runs(folder, transform)]


def test_per_seed_lists_in_results_md_prose_are_the_runs() -> None:
    text = _results_text()
    for before, folder, transform, key, decimals in PROSE_PER_SEED:
        values = ", ".join(f"{v:.{decimals}f}" for v in _finals(folder, transform, key))
        assert before + values in text, (folder, transform, values)
    for folder in ("pdqn_goal", "mpdqn_goal"):  # P-DQN's and MP-DQN's P(goal) on Goal, per seed
        zero, invert = (
            ", ".join(f"{v:.3f}" for v in _finals(folder, t, "p_goal")) for t in ("zero", "invert")
        )
        assert (
            f"P(goal) per seed (0-4): `zero` {zero}; `invert` {invert}; `squash` 0.000 on every seed" in text
        )
        assert _finals(folder, "squash", "p_goal") == [0.0] * 5
    # the claim beside the Goal list: PA-DDPG's transforms end together there
    by_transform = {t: np.array(_finals(*f)) for t, f in
                    [(t, ("goal", t)) for t in ("identity", "clip", "zero", "squash", "invert")]
                    + [("penalty", ("goal_penalty", "penalty"))]}  # fmt: skip
    close = np.stack([by_transform[t] for t in ("identity", "clip", "zero", "penalty")])
    assert np.ptp(close, axis=0).max() < 1e-4
    near = np.stack([by_transform[t] for t in ("squash", "invert")])
    assert np.abs(near - by_transform["identity"]).max() < 0.014


def test_platform_late_swings_in_results_md_are_the_runs() -> None:
    """ "Platform, the same 50 cells run again": invert's periodic evaluations (50 episodes) over the last
    5,000 training episodes, in both samples: seeds that reach 0.97, those of them that also fall below 0.5,
    and those of them whose final evaluation ends below 0.6."""
    text = _results_text()
    counts = []
    for folder in ("platform", "platform_rerun"):
        runs = _runs(folder, "invert")
        late = [ev[(ev.episode >= 15000) & (ev.n_episodes == 50)].return_mean for _, ev in runs]
        finals = [s["final_eval"]["return_mean"] for s, _ in runs]
        top = [i for i, r in enumerate(late) if r.max() >= 0.97]
        counts.append((len(top), sum(late[i].min() < 0.5 for i in top), sum(finals[i] < 0.6 for i in top)))
    (high, swing, low), (high2, swing2, low2) = counts
    assert (high, swing) == (high2, swing2)  # the sentence says "in both samples"
    assert (
        f"on {high} of 10 seeds, and on {swing} of those {high} another evaluation of the same stretch falls "
        f"below 0.5" in text
    )
    assert f"{low} of the {high} end below 0.6 in the first sample, {low2} here" in text


def test_platform_20_seeds_learning_speed_in_results_md_is_the_mean_curve() -> None:
    """ "Platform, `zero` and `invert` with 20 seeds": the mean curve of seeds 0-19 at fixed episodes."""
    means = {}
    for transform in ("zero", "invert"):
        runs = _runs("platform", transform) + _runs("platform_seeds10_19", transform)
        assert sorted(s["seed"] for s, _ in runs) == list(range(20))
        points = [[float(np.interp(e, ev.episode, ev.return_mean)) for e in (2000, 4000, 6000, 15000)]
                  for _, ev in runs]  # fmt: skip
        means[transform] = [f"{v:.3f}" for v in np.mean(points, axis=0)]
    (z2, z4, z6, z15), (i2, i4, i6, i15) = means["zero"], means["invert"]
    assert (
        f"of `invert` is {i2} at episode 2,000, {i4} at 4,000 and {i6} at 6,000, against {z2}, {z4} and {z6} "
        f"for `zero`; by episode 15,000 they are level ({i15} and {z15})." in _results_text()
    )


@pytest.mark.parametrize("agent", ["pdqn", "mpdqn"])
def test_q_learners_platform_learning_speed_in_results_md_is_the_mean_curve(agent: str) -> None:
    """ "P-DQN and MP-DQN on Platform": each transform's mean curve over seeds 0-9 at fixed episodes, quoted
    as "`transform` e1 / e2 / e3 / e4"."""
    text = _results_text()
    for transform in ("zero", "invert", "squash", "identity"):
        folder = f"{agent}_platform" if transform == "invert" else f"{agent}_platform_ablation"
        runs = _runs(folder, transform)
        assert sorted(s["seed"] for s, _ in runs) == list(range(10))
        points = [[float(np.interp(e, ev.episode, ev.return_mean)) for e in (2500, 5000, 10000, 15000)]
                  for _, ev in runs]  # fmt: skip
        quoted = f"`{transform}` " + " / ".join(f"{v:.3f}" for v in np.mean(points, axis=0))
        assert quoted in text, (agent, quoted)


def test_mpdqn_against_its_released_code_in_results_md_is_the_runs() -> None:
    """ "MP-DQN's released code, run here" and "Targets": how many seeds end high, and low, in each."""
    ours, theirs = _finals("mpdqn_platform", "invert"), _finals("mpdqn_platform_reference", "invert")
    assert len(ours) == len(theirs) == 10
    low = sorted(v for v in ours if v < 0.9)
    text = _results_text()
    assert f"{sum(v >= 0.992 for v in ours)} of 10 seeds at or above 0.992)" in text
    assert (
        f"{len(low)} of our 10 seeds end below 0.9 ({low[0]:.3f}-{low[-1]:.3f}), "
        f"{sum(v < 0.9 for v in theirs)} of the reference's ({min(theirs):.3f})" in text
    )
    assert f"{sum(v >= 0.990 for v in theirs)} of 10 seeds at or above 0.990" in text
    zero = _finals("mpdqn_platform_ablation", "zero")
    assert f"median 0.999; {sum(v >= 0.993 for v in zero)} of 10 seeds at or above 0.993)" in text


def test_platform_20_seeds_late_swings_in_results_md_are_the_runs() -> None:
    """ "Platform, `zero` and `invert` with 20 seeds": in seeds 10-19 every run of both reaches 0.97 in a
    periodic evaluation of its last 5,000 training episodes; how many also fall below 0.5 there."""
    swings = []
    for transform in ("zero", "invert"):
        late = [
            ev[(ev.episode >= 15000) & (ev.n_episodes == 50)].return_mean
            for _, ev in _runs("platform_seeds10_19", transform)
        ]
        assert len(late) == 10 and all(r.max() >= 0.97 for r in late), transform
        swings.append(sum(r.min() < 0.5 for r in late))
    assert (
        f"and {swings[0]} of 10 `zero` runs and {swings[1]} of 10 `invert` runs fall below 0.5 in another "
        "evaluation of the same stretch" in _results_text()
    )


def test_the_whole_page_command_runs_every_results_folder() -> None:
    """docs/results.md's "The whole page" multirun line names every results/ folder's experiment file."""
    text = (ROOT / "docs" / "results.md").read_text()
    (line,) = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("experiment=platform,")]
    names = line.removeprefix("experiment=").split(",")
    assert set(FOLDERS) - REFERENCE_FOLDERS <= set(names) and len(names) == len(set(names))
    assert all((ROOT / "conf" / "experiment" / f"{n}.yaml").is_file() for n in names)


def test_goal_platform_lr_claims_in_results_md_are_the_runs() -> None:
    """ "Goal, PA-DDPG with Platform's learning rates": the counts and ranges its prose quotes."""
    text = _results_text()
    transforms = ("identity", "clip", "zero", "squash", "invert", "penalty")
    runs = {t: _runs("goal_platform_lr", t) for t in transforms}
    p_goal = {t: [s["final_eval"]["p_goal"] for s, _ in runs[t]] for t in transforms}
    scoring = sum(p >= 0.06 for t in transforms for p in p_goal[t])
    assert f"{scoring} of the 30 runs end at P(goal) >= 0.06" in text
    assert max(sum(p > 0 for p in p_goal[t]) for t in transforms) == 3  # "on more than 3 of its 5 seeds"
    steps = [s["steps"] for s, _ in runs["invert"]]
    assert (
        p_goal["invert"] == [0.0] * 5 and f"({min(steps):,}-{max(steps):,} steps for 20,000 episodes)" in text
    )
    per_episode = sorted(
        s["steps"] / 20000 for s, _ in runs["identity"] if s["final_eval"]["return_mean"] < -19
    )
    assert len(per_episode) == 4 and f"{per_episode[0]:.1f}-{per_episode[-1]:.1f} steps on average" in text
    swung = {(t, s["seed"]): (ev[ev.n_episodes < 1000].return_mean.max(), s["final_eval"]["p_goal"])
             for t in ("zero", "penalty") for s, ev in runs[t]}  # fmt: skip
    lost = [swung[k] for k in (("zero", 3), ("penalty", 1), ("penalty", 3))]
    assert f"{min(r for r, _ in lost):.1f}-{max(r for r, _ in lost):.1f} in training" in text
    assert max(p for _, p in lost) <= 0.002


def test_platform_invert_tau_claims_in_results_md_are_the_runs() -> None:
    """ "Platform, invert with a smaller tau": the plateau gone, the late swings not."""
    text = _results_text()
    runs = _runs("platform_invert_tau", "invert")
    periodic = [ev[ev.n_episodes == 50] for _, ev in runs]
    assert all(ev.return_mean.max() == 1.0 for ev in periodic)  # "every seed evaluates at 1.000"
    late_min = [ev[ev.episode >= 15000].return_mean.min() for ev in periodic]
    assert f"5,000 episodes {sum(m < 0.5 for m in late_min)} of the 10 seeds" in text
    assert f"(seed 0 down to {late_min[0]:.3f})" in text and min(late_min) == late_min[0]
    finals = _finals("platform_invert_tau", "invert")
    low = [k for k, f in enumerate(finals) if f < 0.9]
    assert low == [0, 1, 6, 7] and f"between {min(finals):.3f} and {max(finals[k] for k in low):.3f}" in text
    assert f"Mean {np.mean(finals):.3f} against {np.mean(_finals('platform', 'invert')):.3f}" in text


def test_platform_invert_lrdecay_claims_in_results_md_are_the_runs() -> None:
    """ "Platform, invert with learning-rate decay": the 0.95 target met, the swings still in training."""
    text = _results_text()
    finals = _finals("platform_invert_lrdecay", "invert")
    assert np.mean(finals) >= 0.95 and f"every seed at or above {min(finals):.3f}" in text
    assert f"every seed at {min(finals):.3f}-{max(finals):.3f}" in text
    late = [ev[(ev.n_episodes == 50) & (ev.episode >= 15000)].return_mean.min()
            for _, ev in _runs("platform_invert_lrdecay", "invert")]  # fmt: skip
    assert sorted(range(10), key=lambda k: late[k])[:2] == [8, 1] and sorted(late)[2] > 0.7
    assert f"seed 8's periodic evaluations fall to {late[8]:.3f} and seed 1's to {late[1]:.3f}" in text
