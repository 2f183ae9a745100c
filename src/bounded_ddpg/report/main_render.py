"""The main table (main_table.py) as plain text, Markdown, LaTeX (booktabs) and CSV; no statistics here.

A measured cell reads `IQM [95% CI] (N)`; published reference means (published.py) carry a dagger when
not verified.
"""

from __future__ import annotations

import csv
import io
import re

from bounded_ddpg.report import published
from bounded_ddpg.report.main_table import REFERENCE, RETURN, MainTable
from bounded_ddpg.report.stats import CellStats
from bounded_ddpg.report.tables import csv_num, fmt, fmt_ci, markdown_lines, tex, text_lines


def cell_text(s: CellStats | None, d: int) -> str:
    """'IQM [lo, hi] (N)'; 'IQM [n/a] (1)' for one run; '-' where no run finished (or none ran)."""
    if s is None or s.n == 0:
        return "-"
    return f"{fmt_ci(s.iqm, s.iqm_ci, s.n, d)} ({s.n})"


def grid(t: MainTable) -> list[list[str]]:
    """Header line, then one line per measured row, then one per published row (text and Markdown)."""
    dec = t.decimals()
    out = [["agent", "transform", *[c.header for c in t.columns]]]
    out += [[r.label, r.transform, *[cell_text(r.cells.get(c.env), dec[c.env]) for c in t.columns]]
            for r in t.rows]  # fmt: skip
    for p in t.published:
        vals = [p.values.get(c.env) for c in t.columns]
        out.append([p.label, "", *[_published(v) for v in vals]])
    return out


def _published(v: published.Value | None) -> str:
    """A published mean as the source gives it (3 decimals), with a dagger when not verified."""
    return "-" if v is None else fmt(v.value, 3) + ("" if v.verified else published.DAGGER)


def caption(t: MainTable) -> str:
    """What the numbers are (measured cells, metric per column, interval) and the published rows' source."""
    text = (
        "Measured rows: IQM (interquartile mean) of each run's final evaluation metric over the N finished "
        f"runs of the cell (N in parentheses), with a 95% percentile bootstrap confidence interval "
        f"({t.reps} resamples, seed {t.seed}); a cell with one run has no interval (n/a); a dash where no "
        "run finished. The metric is the final evaluation return (final_eval.return_mean)"
    )
    success: dict[tuple[str, str], list[str]] = {}
    for c in t.columns:
        if c.metric != RETURN:
            success.setdefault((c.metric, c.field), []).append(c.env)
    text += (
        "".join(f", or {m} (final_eval.{f}) on {', '.join(envs)}" for (m, f), envs in success.items()) + "."
    )
    text += " PA-DDPG / DDPG is one agent: PA-DDPG on parameterised tasks, DDPG on Box tasks."
    if any(r.agent.endswith(REFERENCE) for r in t.rows):
        text += (
            ' A row "..., reference code run here" is the published algorithm\'s own released code, run'
            " here with its published settings and converted by bounded_ddpg.report.reference; never pooled"
            " with ours."
        )
    if t.published:
        text += " " + published.FOOTNOTE
    return text


def render_text(t: MainTable) -> str:
    """An aligned plain-text table (a rule above the published rows), then the caption and the notes."""
    lines = text_lines(grid(t), 2)
    if t.published:
        lines.insert(2 + len(t.rows), lines[1])
    out = [*lines, "", caption(t)]
    return "\n".join(out + (["", "Notes:", *[f"- {n}" for n in t.notes]] if t.notes else [])) + "\n"


def render_markdown(t: MainTable) -> str:
    """A GitHub-flavoured Markdown table, then the caption and the notes."""
    out = [*markdown_lines(grid(t), 2), "", caption(t)]
    return "\n".join(out + (["", "**Notes**", "", *[f"- {n}" for n in t.notes]] if t.notes else [])) + "\n"


def render_latex(t: MainTable) -> str:
    """A booktabs table: measured rows, a rule, the published rows; minus signs in math mode."""
    g = grid(t)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{_latex(tex(caption(t)))}}}"]
    lines += [r"\label{tab:main}", r"\begin{tabular}{ll" + "r" * len(t.columns) + "}", r"\toprule"]
    lines += [" & ".join(["Agent", "Transform", *[tex(c.header) for c in t.columns]]) + r" \\", r"\midrule"]
    prev = None
    for i, cells in enumerate(g[1:]):
        if i == len(t.rows):
            lines.append(r"\midrule")
        c = [tex(v) for v in cells[:2]] + ["--" if v == "-" else _latex(v) for v in cells[2:]]
        c[0] = "" if cells[0] == prev else c[0]
        prev = cells[0]
        lines.append(" & ".join(c) + r" \\")
    return "\n".join([*lines, r"\bottomrule", r"\end{tabular}", r"\end{table}"]) + "\n"


def _latex(s: str) -> str:
    """Minus signs in math mode, TeX quotes, the dagger as a math superscript."""
    s = re.sub(r'"([^"]*)"', r"``\1''", re.sub(r"(?<![\w.])-(?=\d)", "$-$", s))
    return s.replace(published.DAGGER, r"$^\dagger$")


def render_csv(t: MainTable) -> str:
    """One line per (row, env) cell at full precision: measured IQMs, or published means (`mean`)."""

    num = csv_num
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["kind", "agent", "transform", "env", "metric", "n", "iqm", "iqm_lo", "iqm_hi", "mean",
                "verified"])  # fmt: skip
    metric = {c.env: c.metric for c in t.columns}
    for r in t.rows:
        for env, s in sorted(r.cells.items(), key=lambda kv: [c.env for c in t.columns].index(kv[0])):
            ci = s.iqm_ci
            w.writerow(["measured", r.label, r.transform, env, metric[env], s.n, num(s.iqm),
                        num(ci and ci[0]), num(ci and ci[1]), num(s.mean), ""])  # fmt: skip
    for p in t.published:
        for env, v in p.values.items():
            w.writerow(["published", p.agent, "", env, metric[env], "", "", "", "", num(v.value), v.verified])
    return buf.getvalue()
