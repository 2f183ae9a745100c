"""What 'print-ready' means for the report's figures, as assertions on the figure and on its saved files
(used by test_figures.py on synthetic runs and by test_results.py / test_report_aggregate.py on results/).

capture(monkeypatch) keeps every figure the report closes; check(fig, out_dir, stem, width_in) asserts:
the figure's width is the stated print width; the PNG is >= 1600 px wide and says (pHYs) a resolution at
which it prints at that width; the PDF's page is that width; every text is >= 7 pt and on the canvas;
titles do not overlap; the legend (one, below) overlaps no axes; no axes is empty; the legend's entries
differ in colour and dashes (each, for up to 7 entries; as pairs, beyond).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

ONE_COLUMN_IN, TWO_COLUMN_IN, MIN_PT, MIN_PX = 3.25, 6.75, 7.0, 1600


def capture(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures the report draws from now on (plt.close keeps them instead of closing them)."""
    kept: list[Figure] = []
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    return kept


def png_size(path: Path) -> tuple[int, int, float]:
    """(width px, height px, dots per inch) from the PNG's IHDR and pHYs chunks."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    i = data.index(b"pHYs")
    per_metre, _, unit = struct.unpack(">IIB", data[i + 4 : i + 13])
    assert unit == 1, "pHYs unit is the metre"
    return width, height, per_metre * 0.0254


def pdf_width_in(path: Path) -> float:
    data = path.read_bytes()
    assert data[:5] == b"%PDF-", path
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(boxes) == 1, boxes
    return float(boxes[0][0]) / 72


def texts(fig: Figure) -> list[Text]:
    """Every text drawn: tick labels only of the ticks inside the view (matplotlib keeps the others)."""
    drawn_ticks = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                   for tick in axis._update_ticks()  # type: ignore[union-attr]  # both axes have it
                   for label in (tick.label1, tick.label2)}  # fmt: skip
    all_ticks = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                 for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                 for label in (tick.label1, tick.label2)}  # fmt: skip
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and (id(t) not in all_ticks or id(t) in drawn_ticks)]  # fmt: skip


def data_lines(ax: Any) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 0]


def dashes(line: Line2D) -> Any:
    # (offset, on-off sequence): '--' and custom dash tuples told apart
    return line._unscaled_dash_pattern  # type: ignore[attr-defined]


def check(fig: Figure, out_dir: Path, stem: str, width_in: float) -> None:
    assert fig.get_figwidth() == pytest.approx(width_in), (stem, fig.get_figwidth())
    px, _, dpi = png_size(out_dir / f"{stem}.png")
    assert px >= MIN_PX and px / dpi == pytest.approx(width_in, abs=1.5 / dpi), (stem, px, dpi)
    assert pdf_width_in(out_dir / f"{stem}.pdf") == pytest.approx(width_in, abs=0.01)
    fig.canvas.draw()  # lay out again on screen: the last save (the PDF) placed labels at 72 dpi
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    canvas = fig.bbox
    for t in texts(fig):
        assert float(t.get_fontsize()) >= MIN_PT, (stem, t.get_text(), t.get_fontsize())
        box = t.get_window_extent(renderer)
        assert box.x0 >= canvas.x0 - 1 and box.x1 <= canvas.x1 + 1, (stem, "off the canvas", t.get_text())
        assert box.y0 >= canvas.y0 - 1 and box.y1 <= canvas.y1 + 1, (stem, "off the canvas", t.get_text())
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    titles = [ax.title.get_window_extent(renderer) for ax in axes if ax.title.get_text()]
    for i, a in enumerate(titles):
        assert not any(a.overlaps(b) for b in titles[i + 1 :]), (stem, "titles overlap")
    for ax in axes:
        assert data_lines(ax), (stem, "an empty panel", ax.get_title())
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        assert not any(box.overlaps(ax.get_window_extent(renderer)) for ax in axes), (stem, "legend on axes")
        handles = [h for h in legend.legend_handles if isinstance(h, Line2D)]
        styles = [(h.get_color(), dashes(h), h.get_marker()) for h in handles]
        assert len(set(map(str, styles))) == len(styles), (stem, "two entries drawn alike")
        if len(handles) <= 7:
            assert len({str(s[0]) for s in styles}) == len({str(s[1]) for s in styles}) == len(styles), stem
