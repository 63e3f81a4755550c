"""sesame.report.tables: the numbers in every table are the metrics files' numbers, recomputed here."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict

import pandas as pd
import pytest

from _report_fixtures import DATASETS, READERS, RETRIEVERS, make_tree, write_run
from sesame.errors import SesameInputError
from sesame.report import TABLE_NAMES, make_tables
from sesame.report.aggregate import load_retrieval, load_runs
from sesame.report.tables import ablation_table, main_table, reference_settings
from sesame.report.render import to_latex, to_markdown


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("tables")
    runs, retrieval = make_tree(base / "results")
    out = base / "tables"
    make_tables(runs, retrieval, out, frac=0.4, n_boot=200, n_perm=500, seed=3)
    return runs, retrieval, out


def expected(run_files, metric: str, frac: float = 0.4, context: str = "retrieved"):
    """(dataset, reader, retriever) -> (mean, sample std, n) straight from the json files."""
    key = {"f1": "f1", "em": "exact_match"}[metric]
    values = defaultdict(list)
    for p in run_files:
        m = json.loads(p.read_text())
        if m["frac"] == frac:
            values[(m["dataset"], m["reader"], m["retriever"])].append(m[context][key])
    return {k: (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else float("nan"), len(v))
            for k, v in values.items()}


def md_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in text.splitlines() if ln.startswith("|")]
    assert all(len(r) == len(rows[0]) for r in rows), "every Markdown row has the header's cell count"
    assert all(re.fullmatch(r":?-+:?", c) for c in rows[1])
    return rows[0], rows[2:]


def check_tex(text: str, n_cols: int) -> int:
    """Well-formed booktabs tabular; returns the number of \\textbf cells."""
    body = re.sub(r"\\[{}&%$#_]", "", text)
    body = "\n".join(ln for ln in body.splitlines() if not ln.startswith("%"))
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert body.count(r"\begin{tabular}") == 1 and body.rstrip().endswith(r"\end{tabular}")
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", body).group(1)
    assert len(spec) == n_cols
    rows = [ln for ln in body.splitlines() if ln.endswith(r"\\") and "multicolumn" not in ln]
    assert rows and all(ln.count("&") == n_cols - 1 for ln in rows)
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert body.count(rule) == 1
    return text.count(r"\textbf{")


def check_csv(path) -> pd.DataFrame:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows and all(len(r) == len(rows[0]) for r in rows)
    return pd.read_csv(path)


def test_every_table_in_three_formats(built):
    _, _, out = built
    for name in TABLE_NAMES:
        for ext in (".csv", ".md", ".tex"):
            assert (out / f"{name}{ext}").stat().st_size > 0
    assert len(pd.read_csv(out / "runs.csv")) == 2 * len(built[0])


@pytest.mark.parametrize("metric", ["f1", "em"])
def test_main_table_equals_the_metrics_files(built, metric):
    runs, _, out = built
    exp = expected(runs, metric)
    data = check_csv(out / f"main_{metric}.csv")
    assert len(data) == len(exp)
    for r in data.itertuples():
        mean, std, n = exp[(r.dataset, r.reader, r.retriever)]
        assert getattr(r, f"{metric}_mean") == pytest.approx(mean, abs=1e-7)
        assert getattr(r, f"{metric}_std") == pytest.approx(std, abs=1e-7)
        assert r.n_seeds == n == 3
    header, rows = md_rows((out / f"main_{metric}.md").read_text())
    assert header[0] == "dataset" and len(header) == 1 + len(READERS) * len(RETRIEVERS)
    assert [r[0] for r in rows] == sorted(DATASETS)
    n_bold = 0
    for row in rows:
        d = row[0]
        best = max(round(exp[(d, *h.split(" / "))][0], 1) for h in header[1:] if not h.endswith("oracle"))
        for h, cell in zip(header[1:], row[1:]):
            reader, retriever = h.split(" / ")
            mean, std, _ = exp[(d, reader, retriever)]
            assert cell.strip("*") == f"{mean:.1f} ± {std:.1f}"
            bold = cell.startswith("**")
            assert bold == (retriever != "oracle" and round(mean, 1) == best)
            n_bold += bold
    assert n_bold >= len(DATASETS)
    assert set(data.loc[data.best, "retriever"]) <= set(RETRIEVERS) - {"oracle"}
    tex = (out / f"main_{metric}.tex").read_text()
    assert check_tex(tex, len(header)) == n_bold
    assert r"\multicolumn{4}{c}{extractive}" in tex and "$\\pm$" in tex


def test_retrieval_table_equals_the_files(built):
    _, retrieval, out = built
    header, rows = md_rows((out / "retrieval.md").read_text())
    assert header == ["dataset", "retriever", "MRR", "R@1", "R@5", "R@10", "nDCG@10", "questions"]
    files = {(p.parts[-3], p.name.split(".")[0]): json.loads(p.read_text()) for p in retrieval}
    assert len(rows) == len(files)
    for row in rows:
        m = files[(row[0], row[1])]
        for cell, key in zip(row[2:7], ["mrr", "recall@1", "recall@5", "recall@10", "ndcg@10"]):
            assert cell.strip("*") == f"{m[key]:.3f}"
            best = max(round(v[key], 3) for (d, t), v in files.items() if d == row[0] and t != "oracle")
            assert cell.startswith("**") == (row[1] != "oracle" and round(m[key], 3) == best)
        assert row[7] == str(m["count"])
    check_tex((out / "retrieval.tex").read_text(), len(header))
    assert len(check_csv(out / "retrieval.csv")) == len(files)


def test_fraction_ablation_has_a_column_per_fraction(built):
    runs, _, out = built
    header, rows = md_rows((out / "ablation_fraction.md").read_text())
    assert header[3:] == ["synthetic fraction / 0.4", "synthetic fraction / 0.8"]
    e4, e8 = expected(runs, "f1", 0.4), expected(runs, "f1", 0.8)
    for d, reader, retriever, c4, c8 in rows:
        (m4, s4, _), (m8, s8, _) = e4[(d, reader, retriever)], e8[(d, reader, retriever)]
        assert (c4.strip("*"), c8.strip("*")) == (f"{m4:.1f} ± {s4:.1f}", f"{m8:.1f} ± {s8:.1f}")
        assert c4.startswith("**") == (round(m4, 1) >= round(m8, 1))
    check_tex((out / "ablation_fraction.tex").read_text(), len(header))


def test_single_value_ablations_say_so(built):
    _, _, out = built
    top_k = (out / "ablation_top_k.md").read_text()
    assert "Only one top-k contexts value (5)" in top_k and "retrieval.top_k_contexts" in top_k
    assert "Only one RRF k value (60)" in (out / "ablation_rrf_k.md").read_text()
    header, rows = md_rows((out / "ablation_rrf_k.md").read_text())
    assert {r[2] for r in rows} == {"hybrid"}


def test_results_folders_combine_into_an_ablation(built, tmp_path):
    runs, retrieval, _ = built
    extra = [write_run(tmp_path, "bioasq", "en", "bm25", "llm-lora", 0.4, s, top_k=3) for s in (0, 1, 2)]
    df = load_runs([*runs, *extra])
    s = reference_settings(df, frac=0.4, top_k=5)
    table = ablation_table(df, "top_k", s)
    assert [c[1] for c in table.columns] == ["3", "5"]
    row = next(cells for idx, cells in table.rows if idx == ["bioasq", "llm-lora", "bm25"])
    f1 = [json.loads(p.read_text())["retrieved"]["f1"] for p in extra]
    assert row[0].text == f"{statistics.mean(f1):.1f} ± {statistics.stdev(f1):.1f}"
    assert not any("Only one" in n for n in table.notes)
    # the main table stays at the reference top-k: the extra runs change nothing there
    assert main_table(df, "f1", s).data.equals(main_table(load_runs(runs), "f1", s).data)


def test_no_hybrid_runs_and_single_seeds(tmp_path):
    files = [write_run(tmp_path, "bioasq", "en", t, "extractive", 0.4, 0) for t in ("bm25", "dense")]
    df = load_runs(files)
    s = reference_settings(df)
    rrf = ablation_table(df, "rrf_k", s)
    assert not rrf.rows and any("No hybrid runs" in n for n in rrf.notes)
    assert "(no runs)" in to_markdown(rrf)
    check_tex(to_latex(rrf), 3)  # the index columns only
    main = main_table(df, "f1", s)
    f1 = {json.loads(p.read_text())["retriever"]: json.loads(p.read_text())["retrieved"]["f1"] for p in files}
    assert [c.text for c in main.rows[0][1]] == [f"{f1['bm25']:.1f}", f"{f1['dense']:.1f}"]  # one seed: no ± std


def test_reference_settings_must_exist(built):
    df = load_runs(built[0])
    with pytest.raises(SesameInputError, match=r"no runs with frac=0.6 \(the results have: 0.4, 0.8\)"):
        reference_settings(df, frac=0.6)
    assert reference_settings(df).frac == 0.4  # both fractions equally common: the smaller one


def test_confidence_intervals_cover_the_means(built):
    runs, _, out = built
    ci = check_csv(out / "confidence_intervals.csv")
    assert len(ci) == 2 * len(DATASETS) * len(READERS) * len(RETRIEVERS)
    assert ((ci.f1_low <= ci.f1) & (ci.f1 <= ci.f1_high) & (ci.em_low <= ci.em) & (ci.em <= ci.em_high)).all()
    assert (ci.f1_high > ci.f1_low).all() and (ci.n_seeds == 3).all() and (ci.n_questions == 40).all()
    # the CI mean of per-question scores equals the mean of the seeds' summary scores (same questions)
    exp = expected(runs, "f1", context="gold")
    for r in ci[ci.context == "gold"].itertuples():
        assert r.f1 == pytest.approx(exp[(r.dataset, r.reader, r.retriever)][0], abs=1e-6)
    check_tex((out / "confidence_intervals.tex").read_text(), 10)


def test_paired_test_compares_the_two_best_non_oracle_configs(built):
    runs, _, out = built
    exp = expected(runs, "f1")
    pt = check_csv(out / "paired_tests.csv")
    assert list(pt.dataset) == sorted(DATASETS)
    for r in pt.itertuples():
        ranked = sorted(((m, k) for k, (m, _, _) in exp.items() if k[0] == r.dataset and k[2] != "oracle"),
                        reverse=True)
        assert r.system_a == " / ".join(ranked[0][1][1:]) and r.system_b == " / ".join(ranked[1][1][1:])
        assert r.mean_a == pytest.approx(ranked[0][0]) and r.mean_b == pytest.approx(ranked[1][0])
        assert r.delta == pytest.approx(r.mean_a - r.mean_b) and r.delta_low <= r.delta <= r.delta_high
        assert 0 < r.p_value <= 1 and r.n_questions == 40
    check_tex((out / "paired_tests.tex").read_text(), 9)


def test_same_inputs_give_identical_bytes(built, tmp_path):
    runs, retrieval, out = built
    make_tables(runs, retrieval, tmp_path, frac=0.4, n_boot=200, n_perm=500, seed=3)
    for f in out.iterdir():
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


def test_no_runs_is_a_clear_error(tmp_path):
    with pytest.raises(SesameInputError, match="no run metrics"):
        make_tables([], [], tmp_path)
    assert load_retrieval([]).empty
