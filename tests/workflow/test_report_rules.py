"""Real Snakemake: `tables`, `figures`, `report` and `snakemake --report` on a results tree of metrics files.

Only the report rules are allowed (--allowed-rules), so the metrics files written here stand in for
finished runs and nothing upstream is rebuilt. The input functions must ask for exactly the grid
of the config, so a missing run is an error, and the report() flags and caption paths must work
with Snakemake's own report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit"))
from _report_fixtures import write_retrieval, write_run  # noqa: E402

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
RULES = ["tables", "figures", "report_html", "report"]


def snakemake(workdir: Path, *targets: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--configfile", str(workdir / "c.yaml"),
           "-c1", *options, "--allowed-rules", *RULES, "--", *targets]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_report_rules_build_tables_figures_and_both_reports(tmp_path):
    config = {"datasets": {"alpha": {"path": "none.json", "format": "squad", "language": "en"},
                           "beta": {"path": "none.json", "format": "squad", "language": "pt"}},
              "retrieval": {"retrievers": ["bm25", "hybrid", "oracle"], "top_k_contexts": 3},
              "readers": {"names": ["extractive"]}, "grid": {"fractions": [0.6], "seeds": [0, 1]}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    results = tmp_path / "results"
    runs = [write_run(results, d, lang, t, "extractive", 0.6, s, top_k=3)
            for d, lang in (("alpha", "en"), ("beta", "pt")) for t in ("bm25", "hybrid", "oracle") for s in (0, 1)]
    for d, lang in (("alpha", "en"), ("beta", "pt")):
        for t in ("bm25", "hybrid", "oracle"):
            write_retrieval(results, d, lang, t)

    runs[0].rename(runs[0].with_suffix(".bak"))  # one run missing: the grid is incomplete
    failed = snakemake(tmp_path, "tables")
    assert failed.returncode != 0 and "MissingInputException" in failed.stderr
    runs[0].with_suffix(".bak").rename(runs[0])

    done = snakemake(tmp_path, "tables", "figures", "report")
    assert done.returncode == 0, done.stderr[-3000:]
    main = pd.read_csv(results / "tables" / "main_f1.csv")
    for r in main.itertuples():
        f1 = [json.loads(p.read_text())["retrieved"]["f1"] for p in runs if p.parts[-7] == r.dataset
              and p.parts[-5] == r.retriever]
        assert len(f1) == r.n_seeds == 2 and r.f1_mean == pytest.approx(sum(f1) / 2, abs=1e-7)
    assert "top-k contexts 3" in (results / "tables" / "main_f1.md").read_text()  # the config's setting
    assert all((results / "figures" / f"{n}.png").stat().st_size > 1000 for n in
               ("f1_vs_fraction", "retriever_comparison", "gold_vs_retrieved", "retrieval_recall"))
    assert (results / "report.html").read_text().count("<table>") == 8
    assert (tmp_path / "logs" / "report" / "tables.log").exists()
    assert (tmp_path / "benchmarks" / "report" / "figures.tsv").exists()

    sm = snakemake(tmp_path, "report", options=("--report", str(tmp_path / "snakemake_report.html")))
    assert sm.returncode == 0, sm.stderr[-3000:]
    assert (tmp_path / "snakemake_report.html").stat().st_size > 100_000
