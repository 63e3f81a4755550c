"""results/report.html: one self-contained page with every table and figure, and their captions.

Why our own page beside `snakemake --report`: it is a plain workflow output (so `snakemake report`
and `make demo` build it like any other file), it opens without a server, and it embeds the
figures, so it can be mailed or archived on its own. `snakemake --report` adds provenance (rules,
code, runtimes) on top of the same tables, figures and captions.
"""

from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path

from sesame.io import read_text, write_text

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 0;font-size:.9em}th,td{border-bottom:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;white-space:nowrap}
p.note{font-size:.85em;color:#555;margin:.2em 0}
figure{margin:1.5em 0}figure img{max-width:100%}figcaption{font-size:.9em;color:#333}nav a{margin-right:1em}"""


def _inline(text: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", html.escape(text.replace("\\|", "|")))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def markdown_table_html(md: str) -> str:
    """HTML for a Markdown table written by sesame.report.render (title, pipe table, italic notes)."""
    out, lines = [], md.splitlines()
    table = [ln for ln in lines if ln.startswith("|")]
    for ln in lines:
        if ln.startswith("**") and ln.endswith("**"):
            out.append(f"<h3>{html.escape(ln.strip('*'))}</h3>")
            break
    if table:
        head, align = _cells(table[0]), _cells(table[1])
        out.append("<table><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in head) + "</tr>")
        for ln in table[2:]:
            cls = ['' if a.startswith(":") else ' class="n"' for a in align]
            out.append("<tr>" + "".join(f"<td{c}>{_inline(x)}</td>" for c, x in zip(cls, _cells(ln))) + "</tr>")
        out.append("</table>")
    for ln in lines:
        if ln.startswith("_") and ln.rstrip().endswith("_"):
            out.append(f'<p class="note">{_inline(ln.strip().strip("_"))}</p>')
    return "\n".join(out)


def caption_html(path: str | Path) -> str:
    """A caption file (reStructuredText, as `snakemake --report` reads it) rendered to HTML."""
    from docutils.core import publish_parts

    return publish_parts(read_text(path), writer="html",
                         settings_overrides={"report_level": 5, "halt_level": 5})["body"]


def build_html(tables: list[str | Path], figures: list[str | Path], captions_dir: str | Path,
               out: str | Path, title: str = "sesame results") -> Path:
    """Write the page: the given Markdown tables in order, then the PNG figures, each with its caption."""
    captions_dir = Path(captions_dir)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             "<nav><a href='#tables'>Tables</a><a href='#figures'>Figures</a></nav>", "<h2 id='tables'>Tables</h2>"]
    for t in map(Path, tables):
        rel = Path(os.path.relpath(t.parent, Path(out).parent)).as_posix()
        cap = captions_dir / f"{t.stem}.rst"
        parts.append(f"<section id='{t.stem}'>{markdown_table_html(read_text(t))}"
                     f"{caption_html(cap) if cap.exists() else ''}<p class='note'>Also as "
                     f"<a href='{rel}/{t.stem}.csv'>CSV</a> and <a href='{rel}/{t.stem}.tex'>LaTeX</a>.</p></section>")
    parts.append("<h2 id='figures'>Figures</h2>")
    for f in map(Path, figures):
        data = base64.b64encode(f.read_bytes()).decode("ascii")
        cap = captions_dir / f"{f.stem}.rst"
        parts.append(f"<figure id='{f.stem}'><img alt='{f.stem}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{caption_html(cap) if cap.exists() else html.escape(f.stem)}</figcaption></figure>")
    parts.append("</body></html>\n")
    out = Path(out)
    write_text(out, "\n".join(parts))
    return out
