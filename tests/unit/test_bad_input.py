"""Bad input: one clear error naming the file and line/record, and no output left behind.

Each case is checked twice: through the library (SesameInputError) and through the real
`sesame collection` command in a subprocess (exit 2, one line on stderr, no traceback).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from sesame.data import load_documents, make_collection
from sesame.errors import SesameInputError

HEADER = json.dumps({"header": {"dataset": "Bad", "split": "dev"}})
GOOD_MRQA = json.dumps({"context": "The ship sails in May.", "qas": [
    {"qid": "m1", "question": "When?", "answers": ["May"],
     "detected_answers": [{"text": "May", "char_spans": [[18, 20]]}]}]})


def mrqa_line(context: str = "The ship sails in May.", **qa) -> str:
    base = {"qid": "m2", "question": "When?", "answers": ["May"],
            "detected_answers": [{"text": "May", "char_spans": [[18, 20]]}]}
    base.update(qa)
    qa = {k: v for k, v in base.items() if v is not None}
    return json.dumps({"context": context, "qas": [qa]}, ensure_ascii=False)


def squad(qas: list[dict] | None = None, context: str | None = "Ana runs the lab.", extra_paragraph: dict | None = None,
          drop: str | None = None) -> str:
    para: dict = {"context": context, "qas": qas if qas is not None else [
        {"id": "s1", "question": "Who?", "answers": [{"text": "Ana", "answer_start": 0}]}]}
    if drop:
        para.pop(drop)
    paragraphs = [para] + ([extra_paragraph] if extra_paragraph else [])
    return json.dumps({"version": "1.1", "data": [{"title": "T", "paragraphs": paragraphs}]}, ensure_ascii=False)


@dataclass
class Case:
    id: str
    fmt: str
    name: str                                 # file (or folder) name given to --input
    content: bytes | Callable[[Path], None]   # file bytes, or a function that fills the folder
    error: str                                # regex the message must match (file name, record, problem)


CASES = [
    # truncated JSON
    Case("mrqa-truncated-line", "mrqa", "bad.jsonl", f"{HEADER}\n{GOOD_MRQA}\n{GOOD_MRQA[:40]}\n".encode(),
         r"bad\.jsonl, line 3: invalid JSON .*truncated"),
    Case("squad-truncated-file", "squad", "bad.json", squad()[:-25].encode(),
         r"bad\.json: invalid JSON at line 1 column \d+"),
    # missing context / qas / question
    Case("mrqa-missing-context", "mrqa", "bad.jsonl",
         f"{HEADER}\n{GOOD_MRQA}\n{json.dumps({'qas': []})}\n".encode(), r"bad\.jsonl, line 3: missing 'context'"),
    Case("mrqa-missing-qas", "mrqa", "bad.jsonl",
         f"{HEADER}\n{json.dumps({'context': 'x'})}\n".encode(), r"bad\.jsonl, line 2: missing 'qas'"),
    Case("mrqa-missing-question", "mrqa", "bad.jsonl",
         f"{HEADER}\n{GOOD_MRQA}\n{mrqa_line(question=None)}\n".encode(),
         r"bad\.jsonl, line 3, qas\[0\]: missing 'question'"),
    Case("squad-missing-context", "squad", "bad.json", squad(context=None, drop="context").encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]: missing 'context'"),
    Case("squad-missing-qas", "squad", "bad.json", squad(drop="qas").encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]: missing 'qas'"),
    Case("squad-missing-question", "squad", "bad.json",
         squad([{"id": "s1", "answers": [{"text": "Ana", "answer_start": 0}]}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]: missing 'question'"),
    # answer span outside the context / not matching its text
    Case("squad-span-outside", "squad", "bad.json",
         squad([{"id": "s1", "question": "?", "answers": [{"text": "Ana", "answer_start": 500}]}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]: answer 'Ana' .*outside the context"),
    Case("squad-negative-start", "squad", "bad.json",
         squad([{"id": "s1", "question": "?", "answers": [{"text": "Ana", "answer_start": -1}]}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]: .*outside the context"),
    Case("squad-span-mismatch", "squad", "bad.json",
         squad([{"id": "s1", "question": "?", "answers": [{"text": "Ana", "answer_start": 4}]}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]: answer 'Ana' does not match .*'run'"),
    Case("mrqa-span-outside", "mrqa", "bad.jsonl",
         f"{HEADER}\n{mrqa_line(detected_answers=[{'text': 'May', 'char_spans': [[90, 92]]}])}\n".encode(),
         r"bad\.jsonl, line 2, qas\[0\]: answer 'May' .*outside the context"),
    Case("mrqa-span-mismatch", "mrqa", "bad.jsonl",
         f"{HEADER}\n{mrqa_line(detected_answers=[{'text': 'May', 'char_spans': [[4, 6]]}])}\n".encode(),
         r"bad\.jsonl, line 2, qas\[0\]: answer 'May' does not match .*'shi'"),
    # duplicate qids
    Case("squad-duplicate-id", "squad", "bad.json", squad(extra_paragraph={"context": "Rui too.", "qas": [
        {"id": "s1", "question": "?", "answers": [{"text": "Rui", "answer_start": 0}]}]}).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[1\]\.qas\[0\]: duplicate question id 's1' "
         r"\(first seen at data\[0\]\.paragraphs\[0\]\.qas\[0\]\)"),
    Case("mrqa-duplicate-id", "mrqa", "bad.jsonl", f"{HEADER}\n{GOOD_MRQA}\n{GOOD_MRQA}\n".encode(),
         r"bad\.jsonl, line 3, qas\[0\]: duplicate question id 'm1' \(first seen at line 2, qas\[0\]\)"),
    # non-UTF-8
    Case("squad-latin1", "squad", "bad.json", squad(context="Ana é a chefe.").encode("latin-1"),
         r"bad\.json: not valid UTF-8 \(byte \d+"),
    Case("mrqa-latin1", "mrqa", "bad.jsonl", f"{HEADER}\n{mrqa_line('Não sails in May.')}\n".encode("latin-1"),
         r"bad\.jsonl: not valid UTF-8"),
    Case("text-latin1", "text", "docs",
         lambda d: ((d / "ok.md").write_text("Fine.", encoding="utf-8"),
                    (d / "bad.md").write_bytes("Olá.".encode("latin-1"))),
         r"docs/bad\.md: not valid UTF-8"),
    # empty files
    Case("squad-empty", "squad", "bad.json", b"", r"bad\.json: file is empty"),
    Case("squad-whitespace-only", "squad", "bad.json", b"\n  \n", r"bad\.json: file is empty"),
    Case("mrqa-empty", "mrqa", "bad.jsonl", b"", r"bad\.jsonl: file is empty"),
    Case("text-only-empty-files", "text", "docs", lambda d: (d / "a.md").write_text("", encoding="utf-8"),
         r"docs: no non-empty .* files found"),
    Case("squad-no-paragraphs", "squad", "bad.json", b'{"data": []}', r"bad\.json: no paragraphs found"),
    # header-less MRQA
    Case("mrqa-no-header", "mrqa", "bad.jsonl", f"{GOOD_MRQA}\n".encode(),
         r"bad\.jsonl, line 1: first line is not an MRQA header"),
    Case("squad-json-given-as-mrqa", "mrqa", "bad.json", squad().encode(),
         r"bad\.json, line 1: first line is not an MRQA header"),
    # more malformed records that must not end in a traceback
    Case("squad-empty-answer-text", "squad", "bad.json",
         squad([{"id": "s1", "question": "?", "answers": [{"text": " ", "answer_start": 0}]}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]: answer text ' ' is empty"),
    Case("squad-bad-id-type", "squad", "bad.json",
         squad([{"id": 1.5, "question": "?", "answers": [{"text": "Ana", "answer_start": 0}]}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]: 'id' must be a str or int, got float"),
    Case("squad-no-answers", "squad", "bad.json", squad([{"id": "s1", "question": "?", "answers": []}]).encode(),
         r"bad\.json, data\[0\]\.paragraphs\[0\]\.qas\[0\]: question has no answers"),
    Case("mrqa-bad-char-spans", "mrqa", "bad.jsonl",
         f"{HEADER}\n{mrqa_line(detected_answers=[{'text': 'May', 'char_spans': [18, 20]}])}\n".encode(),
         r"bad\.jsonl, line 2, qas\[0\]: detected_answers\[0\]\.char_spans must be a list of \[start, end\] pairs"),
    Case("mrqa-line-not-object", "mrqa", "bad.jsonl", f"{HEADER}\n[1, 2]\n".encode(),
         r"bad\.jsonl, line 2: missing 'context'"),
]


def materialise(case: Case, where: Path) -> Path:
    path = where / case.name
    if callable(case.content):
        path.mkdir()
        case.content(path)
    else:
        path.write_bytes(case.content)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_library_raises_one_clear_error_and_writes_nothing(case: Case, tmp_path: Path) -> None:
    path = materialise(case, tmp_path)
    out = tmp_path / "results" / "collection"
    with pytest.raises(SesameInputError) as err:
        make_collection(path, case.fmt, "en", out)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    assert re.search(case.error, message), message
    assert not (tmp_path / "results").exists(), "nothing may be written for a bad input"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sesame.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


# The CLI path is slower (a Python start per case), so it runs one representative of each kind.
CLI_CASES = ["mrqa-truncated-line", "squad-missing-context", "mrqa-missing-qas", "squad-missing-question",
             "squad-span-outside", "mrqa-span-mismatch", "mrqa-duplicate-id", "squad-latin1", "mrqa-empty",
             "mrqa-no-header"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in CLI_CASES], ids=CLI_CASES)
def test_cli_exits_2_with_one_line_and_no_output(case: Case, tmp_path: Path) -> None:
    path = materialise(case, tmp_path)
    out = tmp_path / "results" / "en" / "bad" / "collection"
    proc = run_cli("collection", "--input", str(path), "--format", case.fmt, "--language", "en", "--out", str(out),
                   cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"sesame collection: error: {path}"), lines[0]
    assert re.search(case.error, lines[0]), lines[0]
    assert proc.stdout == ""
    assert not (tmp_path / "results").exists()


def test_unknown_format_library(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(SesameInputError, match=r"x\.csv: unknown format 'csv' \(fix: use one of mrqa, squad, text\)"):
        load_documents(path, "csv")
    with pytest.raises(SesameInputError, match="unknown format"):
        make_collection(path, "csv", "en", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_format_cli(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n", encoding="utf-8")
    proc = run_cli("collection", "--input", str(path), "--format", "csv", "--language", "en", "--out",
                   str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "argument --format: invalid choice: 'csv'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_input_and_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(SesameInputError, match=r"nope\.json: file not found"):
        make_collection(tmp_path / "nope.json", "squad", "en", tmp_path / "out")
    good = tmp_path / "ok.json"
    good.write_text(squad(), encoding="utf-8")
    with pytest.raises(SesameInputError, match="unknown language 'fr'"):
        make_collection(good, "squad", "fr", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_existing_output_survives_a_failed_rebuild(tmp_path: Path) -> None:
    good, bad = tmp_path / "ok.json", tmp_path / "bad.json"
    good.write_text(squad(), encoding="utf-8")
    bad.write_text(squad()[:-3], encoding="utf-8")
    out = tmp_path / "col"
    make_collection(good, "squad", "en", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(SesameInputError):
        make_collection(bad, "squad", "en", out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "col", "ok.json"]
