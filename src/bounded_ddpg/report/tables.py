"""The ablation table as plain text, Markdown, LaTeX (booktabs) and CSV.

Renders the rows computed in stats.py; no statistics are computed here.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable

from bounded_ddpg.report.stats import CellStats, Row, TableInfo


def fmt(v: float | None, d: int) -> str:
    """`v` with `d` decimals; '-' for missing."""
    return "-" if v is None or not math.isfinite(v) else f"{v:.{d}f}"


def fmt_ci(point: float | None, ci: tuple[float, float] | None, n: int, d: int) -> str:
    """'point [lo, hi]'; '[n/a]' for a single run; '-' for an empty cell."""
    if n == 0 or point is None or not math.isfinite(point):
        return "-"
    return f"{fmt(point, d)} [{fmt(ci[0], d)}, {fmt(ci[1], d)}]" if ci else f"{fmt(point, d)} [n/a]"


def decimals_for(stats: Iterable[CellStats]) -> int:
    """Decimals for one column of statistics: by the largest magnitude shown, 3 below 10, 2 below 100, 1
    below 1000, else 0."""
    vals = [abs(v) for c in stats for v in (c.mean, c.iqm, c.median, *(c.mean_ci or ()), *(c.iqm_ci or ()))]
    m = max((v for v in vals if math.isfinite(v)), default=0.0)
    return 3 if m < 10 else 2 if m < 100 else 1 if m < 1000 else 0


def decimals(rows: list[Row]) -> dict[str, int]:
    """Decimals for returns, per environment (decimals_for over the environment's rows)."""
    return {env: decimals_for(r.stats for r in rows if r.env == env) for env in {r.env for r in rows}}


def cells(r: Row, info: TableInfo, d: int) -> dict[str, str]:
    """One row's formatted cells, keyed by column name (text and Markdown headers)."""
    s = r.stats
    c = {"env": r.env, "transform": r.transform, **dict(zip(info.by, r.by, strict=True))}
    c |= {"N": str(s.n), "diverged": str(r.diverged), "mean [95% CI]": fmt_ci(s.mean, s.mean_ci, s.n, d)}
    c |= {"IQM [95% CI]": fmt_ci(s.iqm, s.iqm_ci, s.n, d), "median": fmt(s.median, d)}
    if info.success:
        c[f"P({info.success})"] = fmt(r.p_success, 2)
    if info.baseline:
        c[f"P(> {info.baseline}) [95% CI]"] = "base" if r.is_baseline else fmt_ci(r.poi, r.poi_ci, s.n, 2)
    return c | {"at bounds %": fmt(r.at_bounds_pct, 1), "out of bounds %": fmt(r.out_of_bounds_pct, 1)}


def columns(rows: list[Row], info: TableInfo) -> list[tuple[str, list[str]]]:
    """The table as (header, cells) columns, shared by the text and Markdown renderers."""
    dec = decimals(rows)
    table = [cells(r, info, dec[r.env]) for r in rows]
    heads = list(cells(rows[0], info, 3)) if rows else []
    return [(h, [t[h] for t in table]) for h in heads]


def text_lines(rows: list[list[str]], nleft: int) -> list[str]:
    """`rows` (the header first) as aligned text lines with a rule under the header; the first `nleft`
    columns left-aligned, the rest right-aligned. Shared with the main table (main_render.py)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i < nleft else c.rjust(w) for i, (c, w) in pairs)

    return [line(rows[0]), "  ".join("-" * w for w in widths), *[line(r) for r in rows[1:]]]


def markdown_lines(rows: list[list[str]], nleft: int) -> list[str]:
    """`rows` (the header first) as a GitHub-flavoured Markdown table, aligned as text_lines."""
    widths = [max(3, *(len(r[i]) for r in rows)) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i < nleft else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(("-" * (w + 2)) if i < nleft else ("-" * (w + 1) + ":") for i, w in enumerate(widths))
        + "|"
    )
    return [line(rows[0]), rule, *[line(r) for r in rows[1:]]]


def _grid(rows: list[Row], info: TableInfo) -> list[list[str]]:
    """The header, then one line of cells per row."""
    cols = columns(rows, info)
    return [[h for h, _ in cols], *[[cells[i] for _, cells in cols] for i in range(len(rows))]]


def render_text(rows: list[Row], info: TableInfo, notes: list[str]) -> str:
    """An aligned plain-text table, then the notes."""
    out = text_lines(_grid(rows, info), 2 + len(info.by))
    return "\n".join([*out, *([""] + ["Notes:"] + [f"- {n}" for n in notes] if notes else [])]) + "\n"


def render_markdown(rows: list[Row], info: TableInfo, notes: list[str]) -> str:
    """A GitHub-flavoured Markdown table, then the notes as a list."""
    out = [*markdown_lines(_grid(rows, info), 2 + len(info.by)), "", caption(rows, info, latex=False)]
    if notes:
        out += ["", "**Notes**", "", *[f"- {n}" for n in notes]]
    return "\n".join(out) + "\n"


def tex(s: str) -> str:
    """Escape LaTeX special characters in a name."""
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#")):
        s = s.replace(a, b)
    return s


def caption(rows: list[Row], info: TableInfo, latex: bool) -> str:
    """What the numbers are: final evaluation return, 95% stratified bootstrap CIs over N runs."""
    ns = sorted({r.stats.n for r in rows if r.stats.n > 0})
    n_txt = "N = " + (f"{ns[0]}" if len(ns) == 1 else f"{ns[0]} to {ns[-1]}" if ns else "0")
    pct = "\\%" if latex else "%"
    text = (
        f"Final evaluation return per environment and transform. Brackets: 95{pct} stratified bootstrap "
        f"confidence intervals (percentile, {info.reps} resamples, seed {info.seed}) over the N finished "
        f"runs of each cell ({'$' + n_txt + '$' if latex else n_txt}); IQM is the interquartile mean."
    )
    if any(r.stats.n == 1 for r in rows):
        text += " Cells with a single run have no interval (n/a)."
    if info.baseline:
        text += f" P(> {info.baseline}) is the probability of improvement over {info.baseline}."
    if any(r.diverged for r in rows):
        text += " Diverged runs are counted but excluded from the statistics."
    return text + (" Best IQM per environment in bold." if latex else "")


def render_latex(rows: list[Row], info: TableInfo) -> str:
    """A booktabs table; the best IQM per environment (ties included) is bold; minus signs in math mode."""
    best = {env: max((r.stats.iqm for r in rows if r.env == env and r.stats.n > 0), default=math.nan)
            for env in {r.env for r in rows}}  # fmt: skip
    heads = [
        "Env",
        "Transform",
        *[tex(b) for b in info.by],
        "$N$",
        "Div.",
        r"Mean [95\% CI]",
        r"IQM [95\% CI]",
    ]
    heads += ["Median", *([f"P({info.success})"] if info.success else [])]
    heads += [rf"$P(>\mathrm{{{tex(info.baseline)}}})$ [95\% CI]"] if info.baseline else []
    heads += [r"At bounds (\%)", r"Out of bounds (\%)"]
    nleft = 2 + len(info.by)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{caption(rows, info, latex=True)}}}"]
    lines += [
        r"\label{tab:bounded-ddpg}",
        r"\begin{tabular}{" + "l" * nleft + "r" * (len(heads) - nleft) + "}",
    ]
    lines += [r"\toprule", " & ".join(heads) + r" \\", r"\midrule"]
    dec = decimals(rows)
    prev: str | None = None
    for r in rows:
        c = [tex(v) if i < nleft else v for i, v in enumerate(cells(r, info, dec[r.env]).values())]
        if r.stats.n > 0 and r.stats.iqm == best[r.env]:
            c[nleft + 3] = re.sub(r"^(\S+)", r"\\textbf{\1}", c[nleft + 3])
        if r.env == prev:
            c[0] = ""
        else:
            lines += [r"\midrule"] if prev is not None else []
        c = ["--" if v in ("-", "base") else re.sub(r"(?<![\w.])-(?=\d)", "$-$", v) for v in c]
        lines.append(" & ".join(c) + r" \\")
        prev = r.env
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def csv_num(v: float | None) -> str:
    """Full precision for CSV; empty for missing or non-finite values."""
    return "" if v is None or not math.isfinite(v) else repr(float(v))


def render_csv(rows: list[Row], info: TableInfo) -> str:
    """Full-precision numbers, one column per quantity; empty where undefined."""

    num = csv_num
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["env", "transform", *info.by, "n", "diverged", "mean", "mean_lo", "mean_hi", "iqm", "iqm_lo",
                "iqm_hi", "median", f"p_{info.success or 'success'}", "baseline", "poi", "poi_lo", "poi_hi",
                "at_bounds_pct", "out_of_bounds_pct", "missing_seeds"])  # fmt: skip
    for r in rows:
        s, mc, ic, pc = r.stats, r.stats.mean_ci, r.stats.iqm_ci, r.poi_ci
        w.writerow([r.env, r.transform, *r.by, s.n, r.diverged, num(s.mean), num(mc and mc[0]),
                    num(mc and mc[1]), num(s.iqm), num(ic and ic[0]), num(ic and ic[1]), num(s.median),
                    num(r.p_success), info.baseline or "", num(r.poi), num(pc and pc[0]), num(pc and pc[1]),
                    num(r.at_bounds_pct), num(r.out_of_bounds_pct),
                    " ".join(map(str, r.missing_seeds))])  # fmt: skip
    return buf.getvalue()
