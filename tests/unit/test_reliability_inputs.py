"""Reliability on awkward inputs: config mistakes, missing models, no usable training data, datasets with
nothing to answer or nothing in them, and text in unexpected scripts.

Every user mistake must end in one SesameInputError line that names where (file, config key), what is
wrong and how to fix it, and leave no output behind. Where cheap, the same case runs through the real
`sesame` command in a subprocess: exit 2, one line on stderr, no traceback, no output file.

Decided behaviour (also stated in the test names):
- a collection whose documents hold no sentence at all (every text empty or whitespace) is an error at
  `sesame collection`, like a text folder of empty files; single empty files in a folder are skipped
  and counted (`skipped_empty_files`);
- a dataset with no answerable question (SQuAD v2 with only impossible questions, like a text folder with
  no questions) is a valid collection: synthesis, indexes, training and `sesame ask` work on it, and its
  evaluation outputs are written with `count: 0` (scores 0) and a logged warning, never a crash.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from sesame.config import validate_config
from sesame.data import make_collection, read_collection
from sesame.errors import SesameInputError
from sesame.io import json_lines, read_jsonl

REPO = Path(__file__).resolve().parents[2]
TINY_SQUAD = REPO / "tests" / "fixtures" / "tiny_squad.json"
MINIMAL = {"datasets": {"tiny": {"path": "tiny.json", "format": "squad", "language": "en"}}}
NO_HUB_MODEL = "sesame-tests/no-such-model-7f3a"  # a well-formed hub id that no cache holds


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text, text
    return text


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                **(env or {})}
    return subprocess.run([sys.executable, "-m", "sesame.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=full_env)


def assert_cli_error(proc: subprocess.CompletedProcess, command: str, *needles: str) -> str:
    """Exit 2, exactly one line on stderr (the error), no traceback, nothing on stdout."""
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith(f"sesame {command}: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert proc.stdout == ""
    return lines[0]


def squad_file(path: Path, paragraphs: list[dict], version: str = "v2.0") -> Path:
    path.write_text(json.dumps({"version": version, "data": [{"title": "T", "paragraphs": paragraphs}]},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_pairs(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD_PAIRS = [{"context_id": f"c{i}", "context": f"The lab opened in {1990 + i}.", "question": "When did it open?",
               "answer": {"text": str(1990 + i), "start": 17}} for i in range(4)]


@pytest.fixture(scope="module")
def tiny_collection(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("coll") / "collection"
    make_collection(TINY_SQUAD, "squad", "en", out)
    return out


# ------------------------------------------------------------------------------------------ config schema

@pytest.mark.parametrize("config,message", [
    ({**MINIMAL, "synthetic": {"generator": "gpt"}},
     "config key 'synthetic.generator' is 'gpt'; allowed values: 't5', 'llm'"),
    ({**MINIMAL, "synthetic": {"llm_mode": "instruct"}},
     "config key 'synthetic.llm_mode' is 'instruct'; allowed values: 'answer_first', 'chat'"),
    ({**MINIMAL, "synthetic": {"device": "tpu"}},
     "config key 'synthetic.device' is 'tpu'; allowed values: 'auto', 'cpu', 'cuda'"),
    ({**MINIMAL, "readers": {"names": ["extractive", "bert"]}},
     "config key 'readers.names.1' is 'bert'; allowed values: 'extractive', 'extractive-base', 'llm-lora', "
     "'llm-base', 'external'"),
    ({**MINIMAL, "readers": {"llm": {"backend": "vllm"}}},
     "config key 'readers.llm.backend' is 'vllm'; allowed values: 'peft', 'litgpt'"),
    ({**MINIMAL, "readers": {"llm": {"template": "alpaca"}}},
     "config key 'readers.llm.template' is 'alpaca'; allowed values: 'llama2', 'chat'"),
    ({**MINIMAL, "retrieval": {"dense": {"index": "ivfpq"}}},
     "config key 'retrieval.dense.index' is 'ivfpq'; allowed values: 'flat', 'ivf', 'hnsw'"),
    ({**MINIMAL, "retrieval": {"bm25": {"mode": "bm25s"}}},
     "config key 'retrieval.bm25.mode' is 'bm25s'; allowed values: 'default', 'paper'"),
    ({**MINIMAL, "ask": {"retriever": "oracle"}},
     "config key 'ask.retriever' is 'oracle'; allowed values: 'bm25', 'dense', 'hybrid'"),
    ({**MINIMAL, "ask": {"reader": "llm-lora"}},
     "config key 'ask.reader' is 'llm-lora'; allowed values: 'extractive', 'extractive-base'"),
    ({"datasets": {"d": {"format": "squad", "language": "fr"}}},
     "config key 'datasets.d.language' is 'fr'; allowed values: 'en', 'pt'"),
    ({"datasets": {"d": {"path": "x", "format": "squad"}}},
     "config key 'datasets.d.language' is missing (required); allowed values: 'en', 'pt'"),
    ({"datasets": {"d": {"path": "x", "fromat": "squad", "language": "en"}}},
     "config key 'datasets.d.fromat' is unknown (check the spelling); allowed keys: path, url, sha256, manual, "
     "format, language, external_predictions"),
    ({**MINIMAL, "models": {"en": {"embeding": "x"}}},
     "config key 'models.en.embeding' is unknown (check the spelling); allowed keys: embedding, reader_encoder, "
     "extractive_base, llm, answer_extraction, question_generation"),
    ({**MINIMAL, "readers": {"extractive": {"epoch": 2}}},
     "config key 'readers.extractive.epoch' is unknown (check the spelling); allowed keys: max_length, "),
    ({**MINIMAL, "languages": "en"}, "config key 'languages': 'en' is not of type 'array'"),
])
def test_schema_errors_name_the_key_and_the_allowed_values(config: dict, message: str) -> None:
    with pytest.raises(SesameInputError) as err:
        validate_config(config)
    text = one_line(err)
    assert text.startswith("config: " + message), text
    assert text.endswith("(fix: see config/schema.yaml for every key)")


@pytest.mark.parametrize("key,value,message", [
    # Values that used to pass the schema and then failed deep inside training with a traceback (batch size 0)
    # or silently trained nothing (0 epochs, learning rate 0).
    ("readers.extractive.batch_size", 0, "0 is less than the minimum of 1"),
    ("readers.extractive.epochs", 0, "0 is less than or equal to the minimum of 0"),
    ("readers.extractive.learning_rate", 0, "0 is less than or equal to the minimum of 0"),
    ("readers.extractive.max_length", 8, "8 is less than the minimum of 16"),
    ("readers.extractive.grad_accum", 0, "0 is less than the minimum of 1"),
    ("readers.llm.batch_size", 0, "0 is less than the minimum of 1"),
    ("readers.llm.lora_r", 0, "0 is less than the minimum of 1"),
    ("readers.llm.lora_dropout", 1.0, "1.0 is greater than or equal to the maximum of 1"),
    ("readers.llm.max_new_tokens", 0, "0 is less than the minimum of 1"),
    ("readers.llm.max_examples", 0, "0 is less than the minimum of 1"),
    ("readers.llm.top_p", 1.5, "1.5 is greater than the maximum of 1"),
    ("pretraining.batch_size", 0, "0 is less than the minimum of 1"),
    ("pretraining.epochs", -1, "-1 is less than or equal to the minimum of 0"),
])
def test_nonsense_training_numbers_are_schema_errors_naming_the_key_and_the_range(key: str, value, message: str):
    section: dict = {}
    node = section
    *parents, leaf = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value
    with pytest.raises(SesameInputError) as err:
        validate_config({**MINIMAL, **section})
    assert one_line(err).startswith(f"config: config key {key!r}: {message}"), str(err.value)


def test_cli_config_error_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "my.yaml"
    cfg.write_text("datasets: {d: {format: squad, language: en}}\nreaders: {llm: {backend: vllm}}\n", encoding="utf-8")
    pairs = write_pairs(tmp_path / "pairs.jsonl", GOOD_PAIRS)
    out = tmp_path / "reader"
    proc = run_cli("train-reader", "--reader", "llm-lora", "--pairs", str(pairs), "--language", "en", "--out",
                   str(out), "--config", str(cfg), cwd=tmp_path)
    assert_cli_error(proc, "train-reader", "config key 'readers.llm.backend' is 'vllm'; allowed values: 'peft', "
                                           "'litgpt'")
    assert not out.exists()


# ------------------------------------------------------------------------------------------------ models

def test_missing_local_model_folder_names_the_config_key(tmp_path: Path) -> None:
    from sesame.models import resolve_model

    for ref in (str(tmp_path / "no_model"), "./no_model", "~/surely/not/a/sesame/model"):
        with pytest.raises(SesameInputError) as err:
            resolve_model(ref, "models.en.reader_encoder")
        text = one_line(err)
        assert f"model folder {ref!r} (config key 'models.en.reader_encoder') does not exist" in text, text
        assert "(fix: " in text


def test_hub_id_offline_and_not_cached_names_the_config_key(monkeypatch) -> None:
    from sesame.models import resolve_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SesameInputError) as err:
        resolve_model(NO_HUB_MODEL, "models.pt.embedding")
    text = one_line(err)
    assert f"hub model {NO_HUB_MODEL!r} (config key 'models.pt.embedding')" in text, text
    assert "HF_HUB_OFFLINE=1" in text and "(fix: " in text


@pytest.mark.parametrize("language", ["en", "pt"])
def test_dense_index_with_a_missing_encoder_names_models_lang_embedding(tmp_path: Path, language: str) -> None:
    """The dense stage used to name the literal `models.<lang>.embedding`; it now names the real key."""
    from sesame.retrieval.stage import RetrievalConfig, write_index

    coll = tmp_path / "collection"
    make_collection(TINY_SQUAD, "squad", language, coll)
    cfg = RetrievalConfig.from_config(validate_config({**MINIMAL, "models": {language: {
        "embedding": str(tmp_path / "missing_encoder")}}}), language)
    out = tmp_path / "index" / "dense"
    with pytest.raises(SesameInputError) as err:
        write_index(coll, "dense", out, cfg)
    assert f"(config key 'models.{language}.embedding') does not exist" in one_line(err)
    assert not (tmp_path / "index").exists()


def test_dense_retrieval_with_an_uncached_hub_encoder_names_the_key_and_writes_no_run(
        tiny_collection: Path, tmp_path: Path, monkeypatch) -> None:
    from sesame.retrieval.stage import RetrievalConfig, retrieve_collection

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = RetrievalConfig.from_config(validate_config({**MINIMAL, "models": {"en": {"embedding": NO_HUB_MODEL}}}),
                                      "en")
    out = tmp_path / "retrieval" / "hybrid.parquet"
    with pytest.raises(SesameInputError) as err:
        retrieve_collection(tiny_collection, "hybrid", out, config=cfg)
    assert f"hub model {NO_HUB_MODEL!r} (config key 'models.en.embedding')" in one_line(err)
    assert not out.exists() and not out.with_name("hybrid.metrics.json").exists()


def test_llm_generator_with_an_uncached_hub_model_names_the_key_and_writes_nothing(
        tiny_collection: Path, tmp_path: Path, monkeypatch) -> None:
    from sesame.synth import SynthConfig, generate_synthetic

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = SynthConfig.from_config(validate_config({**MINIMAL, "models": {"en": {"llm": NO_HUB_MODEL}},
                                                   "synthetic": {"device": "cpu"}}), "en", "llm")
    out = tmp_path / "synthetic" / "llm.jsonl"
    with pytest.raises(SesameInputError) as err:
        generate_synthetic(tiny_collection, out, out.with_suffix(".stats.json"), cfg)
    assert f"hub model {NO_HUB_MODEL!r} (config key 'models.en.llm')" in one_line(err)
    assert not (tmp_path / "synthetic").exists()


def test_reader_training_with_a_missing_encoder_names_the_key_and_writes_no_model(tmp_path: Path) -> None:
    from sesame.readers.common import load_pairs
    from sesame.readers.extractive import train_extractive

    pairs = load_pairs(write_pairs(tmp_path / "pairs.jsonl", GOOD_PAIRS))
    out = tmp_path / "models" / "extractive"
    with pytest.raises(SesameInputError) as err:
        train_extractive(pairs, out, str(tmp_path / "no_encoder"), 0.5, 0, model_key="models.pt.reader_encoder")
    assert "(config key 'models.pt.reader_encoder') does not exist" in one_line(err)
    assert not out.exists()


def test_cli_train_reader_missing_model_names_models_lang_key(tmp_path: Path) -> None:
    """`sesame train-reader` named `models.reader_encoder` (no language); it now names the config key."""
    cfg = tmp_path / "my.yaml"
    cfg.write_text("datasets: {d: {format: squad, language: pt}}\nmodels: {pt: {reader_encoder: ./no_encoder}}\n",
                   encoding="utf-8")
    pairs = write_pairs(tmp_path / "pairs.jsonl", GOOD_PAIRS)
    out = tmp_path / "reader"
    proc = run_cli("train-reader", "--reader", "extractive", "--pairs", str(pairs), "--language", "pt", "--out",
                   str(out), "--config", str(cfg), cwd=tmp_path)
    assert_cli_error(proc, "train-reader", "model folder './no_encoder' (config key 'models.pt.reader_encoder') "
                                           "does not exist")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["my.yaml", "pairs.jsonl"]


def test_cli_index_with_uncached_hub_encoder_is_one_line_and_writes_nothing(tiny_collection: Path,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "dense"
    proc = run_cli("index", "--collection", str(tiny_collection), "--kind", "dense", "--embedding", NO_HUB_MODEL,
                   "--out", str(out), cwd=tmp_path)
    assert_cli_error(proc, "index", f"hub model {NO_HUB_MODEL!r} (config key 'models.en.embedding')",
                     "HF_HUB_OFFLINE=1")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ no usable synthetic pairs

def test_empty_synthetic_file_is_a_clear_error_pointing_at_the_stats(tmp_path: Path) -> None:
    from sesame.readers.common import load_pairs

    synth = tmp_path / "synthetic"
    synth.mkdir()
    empty = synth / "llm.jsonl"
    for content in ("", "\n  \n"):
        empty.write_text(content, encoding="utf-8")
        with pytest.raises(SesameInputError) as err:
            load_pairs(empty)
        text = one_line(err)
        assert text.startswith(f"{empty}: no synthetic pairs to train on"), text
        assert "(fix: generate more pairs" in text
    (synth / "llm.stats.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SesameInputError, match=r"llm\.stats\.json beside it counts what the quality gate dropped"):
        load_pairs(empty)


@pytest.mark.parametrize("rows,message", [
    ([{**GOOD_PAIRS[0], "answer": {"text": "2020", "start": 0}}] * 3, r"line 1: answer '2020' is not in its context"),
    ([{**GOOD_PAIRS[0], "question": "  "}] * 3, r"line 1: empty question or answer"),
    ([{"context": "x", "question": "y?"}] * 3, r"line 1: synthetic pair lacks 'answer'"),
])
def test_all_invalid_pairs_are_a_clear_error_naming_the_line(tmp_path: Path, rows: list[dict], message: str) -> None:
    from sesame.readers.common import load_pairs

    path = write_pairs(tmp_path / "pairs.jsonl", rows)
    with pytest.raises(SesameInputError, match=message) as err:
        load_pairs(path)
    assert one_line(err).startswith(str(path))


@pytest.mark.parametrize("reader", ["extractive", "llm-lora"])
@pytest.mark.parametrize("n", [0, 1])
def test_training_on_too_few_pairs_fails_before_any_model_folder(tmp_path: Path, reader: str, n: int) -> None:
    from sesame.readers.common import load_pairs
    from sesame.readers.extractive import train_extractive
    from sesame.readers.llm import train_llm

    pairs = load_pairs(write_pairs(tmp_path / "p.jsonl", GOOD_PAIRS))[:n]
    out = tmp_path / "models" / reader
    train = train_extractive if reader == "extractive" else train_llm
    with pytest.raises(SesameInputError, match=rf"only {n} synthetic pair\(s\); at least 2 are needed") as err:
        train(pairs, out, str(tmp_path / "never_loaded"), 0.4, 0)
    one_line(err)
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("content,needle", [
    ("", "no synthetic pairs to train on (the file is empty)"),
    (json.dumps({**GOOD_PAIRS[0], "answer": {"text": "2020", "start": 0}}) + "\n",
     "line 1: answer '2020' is not in its context"),
])
def test_cli_train_reader_on_unusable_pairs_exits_2_and_writes_no_model(tmp_path: Path, content: str,
                                                                       needle: str) -> None:
    pairs = tmp_path / "llm.jsonl"
    pairs.write_text(content, encoding="utf-8")
    out = tmp_path / "models" / "extractive"
    proc = run_cli("train-reader", "--reader", "extractive", "--pairs", str(pairs), "--language", "en", "--out",
                   str(out), cwd=tmp_path)
    line = assert_cli_error(proc, "train-reader", needle)
    assert str(pairs) in line
    assert not (tmp_path / "models").exists()


# ------------------------------------------------------------ nothing to answer, documents with no sentences

ALL_IMPOSSIBLE = [{"context": "The Meridian lab opened in 1998. It has 42 staff.", "qas": [
    {"id": "i1", "question": "Who owns the lab?", "answers": [], "is_impossible": True},
    {"id": "i2", "question": "What is its budget?", "answers": [], "is_impossible": True,
     "plausible_answers": [{"text": "42", "answer_start": 40}]}]}]


def test_squad_v2_with_only_impossible_questions_builds_a_collection_and_warns(tmp_path: Path, caplog) -> None:
    path = squad_file(tmp_path / "v2.json", ALL_IMPOSSIBLE)
    with caplog.at_level(logging.WARNING, logger="sesame"):
        c = make_collection(path, "squad", "en", tmp_path / "collection")
    assert c.manifest["questions"] == 2 and c.manifest["answerable"] == 0 and c.manifest["with_gold_sentence"] == 0
    assert c.manifest["sentences"] == 2
    assert all(q.impossible and q.gold_sids == [] for q in read_collection(tmp_path / "collection").questions)
    assert any("none of its 2 questions is answerable" in r.getMessage() for r in caplog.records)


def test_evaluation_on_no_answerable_questions_writes_count_0_not_a_crash(tmp_path: Path, caplog) -> None:
    from sesame.readers.evaluate import evaluate_run
    from sesame.retrieval.stage import retrieve_collection

    coll = tmp_path / "collection"
    make_collection(squad_file(tmp_path / "v2.json", ALL_IMPOSSIBLE), "squad", "en", coll)
    run = tmp_path / "retrieval" / "bm25.parquet"
    with caplog.at_level(logging.WARNING, logger="sesame"):
        m = retrieve_collection(coll, "bm25", run)
    assert m["count"] == 0 and m["questions"] == 2 and m["mrr"] == 0.0 and run.exists()
    assert any("no question has a gold sentence" in r.getMessage() for r in caplog.records)

    preds = tmp_path / "external.json"
    preds.write_text("{}", encoding="utf-8")
    cfg = validate_config({"datasets": {"v2": {"path": "v2.json", "format": "squad", "language": "en"}}})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sesame"):
        metrics = evaluate_run(coll, run, "external", tmp_path / "run", config=cfg, dataset="v2", retriever="bm25",
                               frac=0.4, seed=0, external=preds)
    assert metrics["retrieved"] == metrics["gold"] == {"exact_match": 0.0, "f1": 0.0, "precision": 0.0, "count": 0}
    assert json.loads((tmp_path / "run" / "predictions.json").read_text()) == {}
    assert any("no answerable questions" in r.getMessage() for r in caplog.records)


def test_sesame_score_against_only_impossible_references_counts_0(tmp_path: Path) -> None:
    path = squad_file(tmp_path / "v2.json", ALL_IMPOSSIBLE)
    preds = tmp_path / "preds.json"
    preds.write_text(json.dumps({"i1": ""}), encoding="utf-8")  # v2 predictions name impossible questions too
    proc = run_cli("score", "--predictions", str(preds), "--references", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"exact_match": 0.0, "f1": 0.0, "precision": 0.0, "count": 0}


@pytest.mark.parametrize("contexts", [["", "   "], ["\n\t \u00a0\u2003", " \r\n"]])
def test_squad_whose_documents_hold_no_sentence_is_an_error_and_writes_nothing(tmp_path: Path,
                                                                               contexts: list[str]) -> None:
    """Used to build a collection of 0 sentences that failed later, at indexing; now it fails here."""
    paragraphs = [{"context": c, "qas": [{"id": f"q{i}", "question": "?", "answers": [], "is_impossible": True}]}
                  for i, c in enumerate(contexts)]
    path = squad_file(tmp_path / "blank.json", paragraphs)
    with pytest.raises(SesameInputError) as err:
        make_collection(path, "squad", "en", tmp_path / "results" / "collection")
    text = one_line(err)
    assert text.startswith(f"{path}: no sentences: all 2 document(s) are empty or whitespace only"), text
    assert not (tmp_path / "results").exists()


def test_mrqa_whose_contexts_are_only_markers_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text(json.dumps({"header": {"dataset": "Blank"}}) + "\n"
                    + json.dumps({"context": "[PAR] [SEP] ", "qas": []}) + "\n", encoding="utf-8")
    with pytest.raises(SesameInputError, match=r"blank\.jsonl: no sentences"):
        make_collection(path, "mrqa", "en", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_text_folder_skips_empty_and_whitespace_only_files_and_counts_them(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "empty.md").write_text("", encoding="utf-8")
    (docs / "blank.txt").write_text("  \n\t\r\n \u00a0", encoding="utf-8")
    (docs / "sub" / "bom.md").write_bytes(b"\xef\xbb\xbf\n")  # a BOM and a newline: nothing to read
    (docs / "real.md").write_text("# Lab\nThe lab opened in 1998.", encoding="utf-8")
    c = make_collection(docs, "text", "en", tmp_path / "collection")
    assert [d.doc_id for d in c.documents] == ["real.md"]
    assert c.manifest["skipped_empty_files"] == 3 and c.manifest["sentences"] == 2


def test_text_folder_of_only_whitespace_files_is_one_cli_line_and_no_output(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(" \n\n\t", encoding="utf-8")
    (docs / "b.txt").write_text("\u3000\u00a0\n", encoding="utf-8")  # ideographic and no-break spaces
    with pytest.raises(SesameInputError, match=r"docs: no non-empty .* files found"):
        make_collection(docs, "text", "en", tmp_path / "out")
    proc = run_cli("collection", "--input", str(docs), "--format", "text", "--language", "en", "--out",
                   str(tmp_path / "out"), cwd=tmp_path)
    assert_cli_error(proc, "collection", f"{docs}: no non-empty")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------------- mixed, unusual scripts

ZW = "\u200b"      # zero-width space
ZWJ = "\u200d"     # zero-width joiner
RLM = "\u200f"     # right-to-left mark
RLO, PDF = "\u202e", "\u202c"  # right-to-left override ... pop directional formatting
E_ACUTE_NFD = "e\u0301"

# (context, answer) pairs, each answer inside a different kind of hostile text.
MIXED = [
    ("東京大学は1877年に設立された。研究所は京都にある。", "1877年"),
    ("مرحبا بكم في المعهد. تأسس المعهد عام 1971.", "1971"),
    (f"{RLM}שלום עולם{RLM}. The word {RLO}live{PDF} is shown reversed.", "שלום עולם"),
    ("The lab 🔬 opened in 2001 🎉🇧🇷. Dr. Ana Lima 👩🏽‍🔬 leads it.", "👩🏽‍🔬"),
    (f"Cafe{E_ACUTE_NFD} Aça{E_ACUTE_NFD}o{ZW}Lab opened. Zoë visited the Ångström{ZWJ}lab.", f"Cafe{E_ACUTE_NFD}"),
    ("Ωμέγα is Greek. Ёлка is Russian. हिन्दी is Hindi.", "हिन्दी"),
    (f"Line one.\u2028Line two{ZW}.\u2029Tabs\tand\x0bcontrols.", f"two{ZW}"),
]


@pytest.fixture(scope="module")
def mixed_squad(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    paragraphs = []
    for i, (context, answer) in enumerate(MIXED):
        start = context.index(answer)
        paragraphs.append({"context": context, "qas": [
            {"id": f"m{i}", "question": f"Which? {answer[:2]}", "answers": [{"text": answer, "answer_start": start}]}]})
    return squad_file(root / "mixed.json", paragraphs, version="1.1")


@pytest.mark.parametrize("language", ["en", "pt"])
def test_mixed_scripts_build_a_collection_whose_spans_round_trip(mixed_squad: Path, tmp_path: Path,
                                                                 language: str) -> None:
    out = tmp_path / "collection"
    built = make_collection(mixed_squad, "squad", language, out)
    c = read_collection(out)
    assert [d.text for d in c.documents] == [ctx for ctx, _ in MIXED]  # byte-for-byte through the files
    assert c.sentences.equals(built.sentences)
    for row in c.sentences.itertuples(index=False):
        doc = c.document(row.doc_id).text
        assert doc[row.start:row.end] == row.text and row.text.strip()
    for q, (context, answer) in zip(c.questions, MIXED):
        a = q.answers[0]
        assert c.document(q.doc_id).text[a.start:a.start + len(a.text)] == answer
        assert len(q.gold_sids) == 1
        gold = c.sentences.iloc[q.gold_sids[0]]
        assert gold["start"] <= a.start < gold["end"]
    covered = sum(len(t) for t in c.sentences["text"])
    assert covered >= sum(len("".join(ctx.split())) for ctx, _ in MIXED)  # every visible character is kept


def test_mixed_scripts_through_mrqa_and_text_folders(tmp_path: Path) -> None:
    context, answer = MIXED[3]
    start = context.index(answer)
    mrqa = tmp_path / "m.jsonl"
    mrqa.write_text(json.dumps({"header": {"dataset": "X"}}) + "\n" + json.dumps(
        {"context": f"[PAR] {context}", "qas": [{"qid": "e", "question": "Who?", "answers": [answer],
         "detected_answers": [{"text": answer, "char_spans": [[start + 6, start + 6 + len(answer) - 1]]}]}]},
        ensure_ascii=False) + "\n", encoding="utf-8")
    c = make_collection(mrqa, "mrqa", "en")
    a = c.questions[0].answers[0]
    assert c.documents[0].text[a.start:a.start + len(a.text)] == answer

    docs = tmp_path / "docs"
    docs.mkdir()
    for i, (ctx, _) in enumerate(MIXED):
        (docs / f"{i}.md").write_text(ctx, encoding="utf-8")
    c = make_collection(docs, "text", "pt", tmp_path / "col")
    assert len(c.documents) == len(MIXED) and c.manifest["skipped_empty_files"] == 0
    for row in read_collection(tmp_path / "col").sentences.itertuples(index=False):
        assert c.document(row.doc_id).text[row.start:row.end] == row.text


@pytest.mark.parametrize("mode", ["default", "paper"])
@pytest.mark.parametrize("language", ["en", "pt"])
def test_bm25_tokenises_indexes_and_searches_mixed_scripts(mixed_squad: Path, mode: str, language: str) -> None:
    from sesame.retrieval.bm25 import BM25Index, BM25Params
    from sesame.retrieval.tokenize import make_tokenizer

    c = make_collection(mixed_squad, "squad", language)
    texts = c.sentence_texts()
    tok = make_tokenizer(mode, language)
    tokens = [tok(t) for t in texts]
    assert all(isinstance(t, str) and t for ts in tokens for t in ts)
    index = BM25Index.build(texts, BM25Params(mode), language)
    queries = [q.question for q in c.questions] + texts + ["", "🔬🎉", RLM + ZW, "\u0301"]
    ids, scores = index.search(queries, 3)
    assert ids.shape == scores.shape == (len(queries), 3)
    assert ((ids >= 0) & (ids < len(texts))).all()
    # A sentence is its own best match whenever it has tokens only it contains.
    for sid, ts in enumerate(tokens):
        unique = [t for t in ts if sum(t in other for other in tokens) == 1]
        if unique:
            assert ids[len(c.questions) + sid][0] == sid, (mode, texts[sid], ts)


def test_bm25_default_mode_ignores_unicode_form_and_invisible_characters() -> None:
    """NFD text (macOS, some PDFs) and invisible format characters used to split words into fragments
    ('ac', 'a', 'o' for a decomposed 'ação'), so a query typed normally never matched them."""
    from sesame.retrieval.bm25 import BM25Index, BM25Params
    from sesame.retrieval.tokenize import DefaultAnalyzer

    for language in ("en", "pt"):
        analyze = DefaultAnalyzer(language)
        plain = "A ação do café começou em Lisboa"
        assert analyze(unicodedata.normalize("NFD", plain)) == analyze(plain)
        assert analyze(f"A a{ZWJ}ção do ca\u00adfé come{RLM}çou em {RLO}Lisboa{PDF}\ufeff") == analyze(plain)
        assert analyze(f"café{ZW}Lisboa") == analyze("café Lisboa")  # a zero-width space separates words
    sentences = [unicodedata.normalize("NFD", "A ação do café começou em Lisboa."), "O barco sai em maio.",
                 "A reunião foi longa."]
    index = BM25Index.build(sentences, BM25Params("default"), "pt")
    ids, _ = index.search(["Onde começou a ação do café?"], 1)
    assert ids[0][0] == 0


def test_metrics_handle_mixed_scripts() -> None:
    from sesame.metrics import contains_match, exact_match, f1_score, normalize_answer, score_predictions

    for language in ("en", "pt"):
        for _, answer in MIXED:
            assert normalize_answer(answer, language) == normalize_answer(answer, language).strip()
            if normalize_answer(answer, language):
                assert exact_match(answer, answer, language) == 1.0
                assert f1_score(answer, answer, language) == 1.0
                assert contains_match(answer, f"x {answer} y", language) == 1.0
        assert exact_match(f"{RLM}1971{RLM}", "1971", language) in (0.0, 1.0)
        for pred in ("", ZW, "🔬", f"{RLO}{PDF}", "\u0301"):
            for ref in ("1877年", "שלום עולם", "🔬"):
                assert 0.0 <= f1_score(pred, ref, language) <= 1.0
        refs = {f"m{i}": [a] for i, (_, a) in enumerate(MIXED)}
        scores = score_predictions({q: r[0] for q, r in refs.items()}, refs, language).as_dict()
        assert scores["count"] == len(MIXED) and scores["exact_match"] == 100.0 and scores["f1"] == 100.0


def test_mixed_scripts_through_the_collection_cli(mixed_squad: Path, tmp_path: Path) -> None:
    out = tmp_path / "collection"
    proc = run_cli("collection", "--input", str(mixed_squad), "--format", "squad", "--language", "pt", "--out",
                   str(out), cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.startswith(f"{out}: {len(MIXED)} documents, ")
    assert f"{len(MIXED)} questions ({len(MIXED)} with a gold sentence)" in proc.stdout
    docs = read_jsonl(out / "documents.jsonl")  # U+2028/U+2029 inside a text must not split a record
    assert [d["text"] for d in docs] == [ctx for ctx, _ in MIXED]


def test_jsonl_records_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    """write_jsonl keeps U+2028/U+2029/U+0085 unescaped; reading used str.splitlines, which broke such a record
    in two ("invalid JSON ... truncated") in collections, synthetic pairs and MRQA files."""
    from sesame.io import write_jsonl

    text = "one\u2028two\u2029three\x85four\x0bfive\x0csix\x1cseven"
    rows = [{"text": text}, {"text": "plain"}]
    path = tmp_path / "r.jsonl"
    write_jsonl(path, rows)
    assert read_jsonl(path) == rows
    path.write_bytes(b'{"a": 1}\r\n\r\n{"a": 2}\r{"a": 3}\n')  # CRLF, blank and CR-only line ends still work
    assert read_jsonl(path) == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert json_lines("a\u2028b\nc") == ["a\u2028b", "c"]

    context = "The ship sails in May.\u2028It carries 12 scientists."
    at = context.index("12")
    mrqa = tmp_path / "m.jsonl"
    mrqa.write_text(json.dumps({"header": {"dataset": "X"}}) + "\n" + json.dumps(
        {"context": context, "qas": [{"qid": "q", "question": "How many?", "answers": ["12"],
                                      "detected_answers": [{"text": "12", "char_spans": [[at, at + 1]]}]}]},
        ensure_ascii=False) + "\n", encoding="utf-8")
    c = make_collection(mrqa, "mrqa", "en", tmp_path / "col")
    assert c.documents[0].text == context and read_collection(tmp_path / "col").documents[0].text == context
    preds = tmp_path / "p.json"
    preds.write_text(json.dumps({"q": "12"}), encoding="utf-8")
    proc = run_cli("score", "--predictions", str(preds), "--references", str(mrqa), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["exact_match"] == 100.0
