"""Figures, the HTML page and `sesame report ...`, built once through the real CLI."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from _report_fixtures import make_tree
from sesame.cli import main
from sesame.report import FIGURE_NAMES, TABLE_NAMES
from sesame.report.html import markdown_table_html

CAPTIONS = Path(__file__).resolve().parents[2] / "report" / "captions"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    make_tree(base / "results", datasets={"bioasq": "en", "faquad": "pt"}, seeds=(0, 1))
    assert main(["report", "tables", "--results", str(base / "results"), "--out", str(base / "results/tables"),
                 "--n-boot", "100", "--n-perm", "200"]) == 0
    assert main(["report", "figures", "--results", str(base / "results"),
                 "--out", str(base / "results/figures")]) == 0
    assert main(["report", "html", "--tables", str(base / "results/tables"), "--figures",
                 str(base / "results/figures"), "--captions", str(CAPTIONS),
                 "--out", str(base / "results/report.html")]) == 0
    return base / "results"


def test_figures_are_real_pngs(site):
    for name in FIGURE_NAMES:
        w, h = png_size(site / "figures" / f"{name}.png")
        assert w > 300 and h > 200, name


def test_every_table_and_figure_has_a_caption():
    for name in TABLE_NAMES + FIGURE_NAMES:
        text = (CAPTIONS / f"{name}.rst").read_text()
        assert len(text.split()) > 15 and "{{" not in text, name


def test_html_page_embeds_tables_and_figures(site):
    page = (site / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(FIGURE_NAMES)
    assert page.count("<table>") == len(TABLE_NAMES)
    assert "href='tables/main_f1.csv'" in page
    assert "Main result: F1 by dataset" in page  # the rst caption, rendered
    # the main table's bold cells survive as <b>
    md_bold = len(re.findall(r"\*\*[^*|]+\*\*", (site / "tables/main_f1.md").read_text().split("\n", 2)[2]))
    section = page.split("id='main_f1'>", 1)[1].split("</section>", 1)[0]
    assert section.count("<b>") == md_bold > 0


def test_markdown_table_html_keeps_cells():
    md = "**T**\n\n| a | b |\n|:---|---:|\n| x\\|y | **1.0** |\n\n_note_  \n"
    out = markdown_table_html(md)
    assert "<h3>T</h3>" in out and "<td>x|y</td>" in out and '<td class="n"><b>1.0</b></td>' in out
    assert '<p class="note">note</p>' in out


def test_figures_without_data_say_so(tmp_path):
    from sesame.report.aggregate import load_retrieval, load_runs
    from sesame.report.figures import build_figures

    paths = build_figures(load_runs([]), load_retrieval([]), tmp_path)
    assert [p.stem for p in paths] == FIGURE_NAMES and all(png_size(p)[0] > 0 for p in paths)


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["report", "tables", "--results", str(tmp_path), "--out", str(tmp_path / "t")]) == 2
    assert "no runs/.../metrics.json found" in capsys.readouterr().err
    assert main(["report", "html", "--tables", str(tmp_path), "--figures", str(tmp_path),
                 "--out", str(tmp_path / "r.html")]) == 2
