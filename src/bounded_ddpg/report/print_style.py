"""What makes every figure of the report print-ready: one style, used by plots.py, figure.py and
aggregate_render.py.

- Print width: a figure is drawn at the width it is printed at, one column (ONE_COLUMN_IN, 3.25 in) or
  two columns (TWO_COLUMN_IN, 6.75 in; the widths of a two-column paper such as NeurIPS', ICML's or an
  IEEE/ACM template), so its text is printed at the stated size: 8 pt (titles, labels, legend title), 7 pt
  (tick labels, legend entries, notes); nothing smaller. Each figure's docstring states which width.
- PNGs at dpi_for(width): at least 300 dpi and at least MIN_PX (1600) pixels wide; PDFs are vector with
  TrueType fonts (pdf.fonttype 42, editable in Illustrator or Inkscape).
- Lines: the Okabe-Ito colour-blind-safe palette (Wong 2011, "Points of view: Color blindness", Nature
  Methods 8:441; yellow last, it is faint on white), each line also with its own dash pattern and marker,
  so that lines stay apart in greyscale and for any colour vision: line_style(i) differs from every
  line_style(j), j != i < 56, in colour or dash, and for i, j < 7 in both.
- Legends sit outside every axes: legend_below puts one legend under the panels and grows the figure by
  the legend's height, so the panels keep their size whatever the number of entries.
- Lines that coincide (equal means on an equal grid) are said in their panel's title (coinciding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend import Legend

ONE_COLUMN_IN, TWO_COLUMN_IN = 3.25, 6.75
MIN_PX, MIN_DPI = 1600, 300
TEXT_PT, SMALL_PT = 8.0, 7.0
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def line_style(i: int) -> dict[str, Any]:
    """The i-th line's colour, dash pattern and marker (see the module docstring for what is distinct)."""
    n = len(LINESTYLES)
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "linestyle": LINESTYLES[(i + i // len(OKABE_ITO)) % n],
            "marker": MARKERS[i % len(MARKERS)]}  # fmt: skip


def print_text() -> Any:
    """The rc context every figure is drawn and saved in: text sizes in points at the print width."""
    return plt.rc_context({
        "font.size": TEXT_PT, "axes.titlesize": TEXT_PT, "axes.labelsize": TEXT_PT,
        "xtick.labelsize": SMALL_PT, "ytick.labelsize": SMALL_PT, "legend.fontsize": SMALL_PT,
        "legend.title_fontsize": TEXT_PT, "figure.titlesize": TEXT_PT, "pdf.fonttype": 42,
        "axes.linewidth": 0.6, "grid.linewidth": 0.5, "lines.linewidth": 1.2, "lines.markersize": 3.5,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6, "xtick.major.size": 2.5, "ytick.major.size": 2.5,
        "figure.constrained_layout.h_pad": 0.03, "figure.constrained_layout.w_pad": 0.03,
    })  # fmt: skip


def dpi_for(width_in: float) -> int:
    """The PNG resolution for a figure `width_in` wide: at least MIN_DPI and MIN_PX pixels across."""
    return max(MIN_DPI, math.ceil(MIN_PX / width_in))


def legend_below(
    fig: Figure, handles: Sequence[Any], labels: Sequence[str], title: str | None = None
) -> Legend | None:
    """One legend under all panels (as many columns as fit the width); the figure grows by its height,
    so that constrained layout gives the panels the room they had without it."""
    if not handles:
        return None
    width = fig.get_figwidth()
    probe = fig.legend(handles, labels, ncol=1, frameon=False, title=title)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    entry = max(t.get_window_extent(renderer).width for t in probe.get_texts()) / fig.dpi + 0.45
    probe.remove()
    ncol = max(1, min(len(handles), int(0.97 * width // entry)))
    legend = fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False, title=title,
                        columnspacing=1.0, handlelength=2.6)  # fmt: skip
    height = legend.get_window_extent(renderer).height / fig.dpi
    fig.set_size_inches(width, fig.get_figheight() + height + 0.05)
    return legend


def coinciding(drawn: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> list[list[str]]:
    """Groups (2 or more) of line labels whose curves (grid, mean) are equal, in drawing order."""
    groups: list[list[str]] = []
    for label, (grid, mean) in drawn.items():
        for g in groups:
            g_grid, g_mean = drawn[g[0]]
            if g_grid.shape == grid.shape and np.allclose(g_grid, grid) and np.allclose(g_mean, mean):
                g.append(label)
                break
        else:
            groups.append([label])
    return [g for g in groups if len(g) > 1]


def coinciding_note(drawn: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """'' or the line for a panel's title: which lines coincide (only the last drawn of them shows)."""
    groups = coinciding(drawn)
    if len(groups) == 1 and len(groups[0]) == len(drawn):
        return f"all {len(drawn)} lines coincide"
    return "; ".join(" = ".join(g) + " coincide" for g in groups)


def save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """`stem`.png (dpi_for the figure's width) and `stem`.pdf in `out_dir`; closes the figure."""
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    for p in paths:
        fig.savefig(p, dpi=dpi_for(fig.get_figwidth()))
    plt.close(fig)
    return paths
