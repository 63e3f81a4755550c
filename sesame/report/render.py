"""One table, three formats: CSV (long, full precision), Markdown and LaTeX (paper style).

Why a small table model of our own: the paper-style tables need two-level column headers, bold
cells chosen by the data and notes under the table, identically in Markdown and LaTeX. The CSV
holds the unrounded numbers in long form, so scripts never have to parse "45.2 ± 1.3".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sesame.io import atomic_path, write_text

MISSING = "–"
FORMATS = (".csv", ".md", ".tex")


@dataclass(frozen=True)
class Cell:
    text: str
    bold: bool = False


@dataclass
class Table:
    """A rendered table: index columns, (group, label) value columns, rows of cells, notes and the numbers."""

    name: str
    title: str
    index: list[str]
    columns: list[tuple[str, str]]
    rows: list[tuple[list[str], list[Cell]]]
    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    text_columns: tuple[int, ...] = ()  # value columns holding text (left-aligned); the rest are numbers

    def column_label(self, j: int, sep: str = " / ") -> str:
        group, label = self.columns[j]
        return f"{group}{sep}{label}" if group else label


def fmt_number(value: float, digits: int = 1) -> str:
    return MISSING if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def mean_std_cell(mean: float, std: float, n: int, digits: int = 1, bold: bool = False) -> Cell:
    """'mean ± std' over seeds; a single seed has no spread, so only its value is shown."""
    if n == 0 or math.isnan(mean):
        return Cell(MISSING)
    if n == 1 or math.isnan(std):
        return Cell(fmt_number(mean, digits), bold)
    return Cell(f"{mean:.{digits}f} ± {std:.{digits}f}", bold)


def bold_best(values: list[float], digits: int = 1, eligible: list[bool] | None = None) -> list[bool]:
    """Bold the highest value as displayed (ties at the shown precision are all bold); NaN never wins."""
    eligible = eligible or [True] * len(values)
    shown = [round(v, digits) if ok and not math.isnan(v) else -math.inf for v, ok in zip(values, eligible)]
    best = max(shown, default=-math.inf)
    return [s == best and s != -math.inf for s in shown]


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(table: Table) -> str:
    head = [*table.index, *(table.column_label(j) for j in range(len(table.columns)))]
    lines = [f"**{table.title}**", "", "| " + " | ".join(_md_escape(h) for h in head) + " |",
             "|" + "|".join([":---"] * len(table.index) + [":---" if j in table.text_columns else "---:"
                                                            for j in range(len(table.columns))]) + "|"]
    for idx, cells in table.rows:
        shown = [f"**{c.text}**" if c.bold else c.text for c in cells]
        lines.append("| " + " | ".join(_md_escape(x) for x in [*idx, *shown]) + " |")
    if not table.rows:
        lines.append("| " + " | ".join(["(no runs)"] + [""] * (len(head) - 1)) + " |")
    if table.notes:
        lines += [""] + [f"_{n}_  " for n in table.notes]
    return "\n".join(lines) + "\n"


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    out = "".join(_TEX.get(ch, ch) for ch in text)
    return out.replace("±", r"$\pm$").replace("–", "--").replace("Δ", r"$\Delta$")


def to_latex(table: Table) -> str:
    """A booktabs `tabular` (no float), ready for \\input inside the caller's table environment."""
    ni, nc = len(table.index), len(table.columns)
    lines = [f"% {table.title}"] + [f"% {n}" for n in table.notes]
    align = "".join("l" if j in table.text_columns else "r" for j in range(nc))
    lines += [r"\begin{tabular}{" + "l" * ni + align + "}", r"\toprule"]
    groups = [g for g, _ in table.columns]
    if any(groups):
        spans: list[tuple[str, int, int]] = []
        for j, g in enumerate(groups):
            if spans and spans[-1][0] == g:
                spans[-1] = (g, spans[-1][1], j)
            else:
                spans.append((g, j, j))
        head = [""] * ni + [rf"\multicolumn{{{b - a + 1}}}{{c}}{{{tex_escape(g)}}}" for g, a, b in spans]
        lines.append(" & ".join(head) + r" \\")
        lines.append("".join(rf"\cmidrule(lr){{{ni + a + 1}-{ni + b + 1}}}" for g, a, b in spans if g))
    lines.append(" & ".join(tex_escape(x) for x in [*table.index, *(lab for _, lab in table.columns)]) + r" \\")
    lines.append(r"\midrule")
    for idx, cells in table.rows:
        shown = [rf"\textbf{{{tex_escape(c.text)}}}" if c.bold else tex_escape(c.text) for c in cells]
        lines.append(" & ".join([*(tex_escape(x) for x in idx), *shown]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_table(table: Table, out_dir: str | Path) -> list[Path]:
    """Write <name>.csv, <name>.md and <name>.tex atomically; return the paths."""
    out_dir = Path(out_dir)
    paths = [out_dir / f"{table.name}{ext}" for ext in FORMATS]
    with atomic_path(paths[0]) as tmp:
        table.data.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
    write_text(paths[1], to_markdown(table))
    write_text(paths[2], to_latex(table))
    return paths
