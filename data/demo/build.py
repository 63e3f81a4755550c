#!/usr/bin/env python3
"""Build the SQuAD v1.1 json files of the embedded demo corpus from their YAML sources.

    python data/demo/build.py           # rebuild data/demo/{en,pt}/*.json, check the one-shot files
    python data/demo/build.py --check   # write nothing; exit 1 if a json file is stale

Each YAML source holds ``documents``; each document has a ``title``, a one-paragraph
``text`` and ``questions`` (``id``, ``question``, ``answer`` and an optional 1-based
``occurrence`` saying which occurrence of ``answer`` in ``text`` is meant).  The json
output has one SQuAD paragraph per document, with ``answer_start`` computed here.

Standard library + PyYAML only, so that it runs without the sesame package.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

DEMO_DIR = Path(__file__).resolve().parent

# (YAML source, generated SQuAD json), relative to DEMO_DIR.
SOURCES: tuple[tuple[str, str], ...] = (
    ("en/handbook.yaml", "en/handbook.json"),
    ("pt/manual.yaml", "pt/manual.json"),
)
ONESHOT_FILES: tuple[str, ...] = ("oneshot/en.json", "oneshot/pt.json")

SQUAD_VERSION = "1.1"

# Abbreviations whose final period does not end a sentence (used only for statistics).
_ABBREVIATIONS = (
    "Dr.", "Dra.", "Sr.", "Sra.", "No.", "e.g.", "i.e.", "approx.", "aprox.", "U.S.",
    "art.", "p. ex.", "U.F.R.J.", "nº.",
)
_SENTENCE_END = re.compile(r"(?<=[.?!])[\"”]?\s+(?=[\"“(]?[A-ZÀ-Ý0-9])")


class CorpusError(ValueError):
    """A source file is malformed or an answer cannot be located in its document."""


def find_occurrence(text: str, answer: str, occurrence: int) -> int | None:
    """Return the start offset of the ``occurrence``-th (1-based) match of ``answer`` in ``text``.

    Matches may overlap; ``None`` when there are fewer than ``occurrence`` matches.
    """
    if occurrence < 1 or not answer:
        return None
    start = -1
    for _ in range(occurrence):
        start = text.find(answer, start + 1)
        if start < 0:
            return None
    return start


def count_occurrences(text: str, answer: str) -> int:
    """Number of (possibly overlapping) matches of ``answer`` in ``text``."""
    count, start = 0, text.find(answer)
    while start >= 0:
        count += 1
        start = text.find(answer, start + 1)
    return count


def count_sentences(text: str) -> int:
    """Conservative sentence count: splits after . ? ! unless the period closes an abbreviation."""
    count = 0
    last = 0
    for match in _SENTENCE_END.finditer(text):
        head = text[last : match.start()].rstrip("\"”")
        if any(head.endswith(abbr) for abbr in _ABBREVIATIONS):
            continue
        count += 1
        last = match.end()
    return count + (1 if text[last:].strip() else 0)


def _require_str(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CorpusError(f"{where}: `{field}` must be a non-empty string (quote numbers in YAML), got {value!r}")
    return value


def build_squad(source: Mapping[str, Any], origin: str = "<source>") -> dict[str, Any]:
    """Turn a parsed YAML source into a SQuAD v1.1 dict; raise CorpusError on any problem."""
    documents = source.get("documents") if isinstance(source, Mapping) else None
    if not isinstance(documents, list) or not documents:
        raise CorpusError(f"{origin}: expected a non-empty `documents` list")
    seen_ids: set[str] = set()
    seen_titles: set[str] = set()
    data: list[dict[str, Any]] = []
    for index, doc in enumerate(documents, start=1):
        if not isinstance(doc, Mapping):
            raise CorpusError(f"{origin}: document #{index} is not a mapping")
        title = _require_str(doc.get("title"), f"{origin}: document #{index}", "title")
        where_doc = f"{origin}: document {title!r}"
        if title in seen_titles:
            raise CorpusError(f"{where_doc}: duplicate title")
        seen_titles.add(title)
        text = _require_str(doc.get("text"), where_doc, "text")
        questions = doc.get("questions")
        if not isinstance(questions, list) or not questions:
            raise CorpusError(f"{where_doc}: expected a non-empty `questions` list")
        qas: list[dict[str, Any]] = []
        for q_index, qa in enumerate(questions, start=1):
            if not isinstance(qa, Mapping):
                raise CorpusError(f"{where_doc}: question #{q_index} is not a mapping")
            qid = _require_str(qa.get("id"), f"{where_doc}, question #{q_index}", "id")
            where = f"{where_doc}, question {qid}"
            if qid in seen_ids:
                raise CorpusError(f"{where}: duplicate question id")
            seen_ids.add(qid)
            question = _require_str(qa.get("question"), where, "question")
            answer = _require_str(qa.get("answer"), where, "answer")
            occurrence = qa.get("occurrence", 1)
            if isinstance(occurrence, bool) or not isinstance(occurrence, int) or occurrence < 1:
                raise CorpusError(f"{where}: `occurrence` must be a positive integer, got {occurrence!r}")
            start = find_occurrence(text, answer, occurrence)
            if start is None:
                found = count_occurrences(text, answer)
                if found == 0:
                    raise CorpusError(f"{where}: answer {answer!r} not found in the document text")
                raise CorpusError(
                    f"{where}: occurrence {occurrence} of answer {answer!r} requested, "
                    f"but the text contains it only {found} time(s)"
                )
            qas.append(
                {
                    "id": qid,
                    "question": question,
                    "answers": [{"text": answer, "answer_start": start}],
                }
            )
        data.append({"title": title, "paragraphs": [{"context": text, "qas": qas}]})
    return {"version": SQUAD_VERSION, "data": data}


def render(squad: Mapping[str, Any]) -> str:
    """Deterministic json text for a SQuAD dict."""
    return json.dumps(squad, indent=1, ensure_ascii=False) + "\n"


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if not isinstance(loaded, dict):
        raise CorpusError(f"{path}: expected a mapping at the top level")
    return loaded


def build_text(yaml_path: Path) -> str:
    """The json text that ``yaml_path`` should produce."""
    return render(build_squad(load_yaml(yaml_path), origin=str(yaml_path)))


def build_file(yaml_path: Path, json_path: Path) -> dict[str, Any]:
    """Build ``json_path`` from ``yaml_path``; return the SQuAD dict."""
    squad = build_squad(load_yaml(yaml_path), origin=str(yaml_path))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(render(squad), encoding="utf-8")
    return squad


def check_oneshot(path: Path) -> int:
    """Validate a one-shot file (list of {context, question, answer} with answer a span); return its size."""
    with path.open(encoding="utf-8") as handle:
        examples = json.load(handle)
    if not isinstance(examples, list) or not examples:
        raise CorpusError(f"{path}: expected a non-empty json list")
    for index, example in enumerate(examples, start=1):
        where = f"{path}: example #{index}"
        if not isinstance(example, Mapping) or set(example) != {"context", "question", "answer"}:
            raise CorpusError(f"{where}: expected exactly the keys context, question, answer")
        context = _require_str(example["context"], where, "context")
        _require_str(example["question"], where, "question")
        answer = _require_str(example["answer"], where, "answer")
        if answer not in context:
            raise CorpusError(f"{where}: answer {answer!r} is not a span of its context")
    return len(examples)


def stats(squad: Mapping[str, Any]) -> dict[str, int]:
    """Document, sentence and question counts of a SQuAD dict."""
    paragraphs = [p for article in squad["data"] for p in article["paragraphs"]]
    return {
        "documents": len(squad["data"]),
        "sentences": sum(count_sentences(p["context"]) for p in paragraphs),
        "questions": sum(len(p["qas"]) for p in paragraphs),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a json file is out of date")
    args = parser.parse_args(argv)
    stale: list[str] = []
    try:
        for source_name, target_name in SOURCES:
            yaml_path, json_path = DEMO_DIR / source_name, DEMO_DIR / target_name
            squad = build_squad(load_yaml(yaml_path), origin=str(yaml_path))
            text = render(squad)
            current = json_path.read_text(encoding="utf-8") if json_path.exists() else None
            if args.check:
                if current != text:
                    stale.append(target_name)
            elif current != text:
                json_path.write_text(text, encoding="utf-8")
            counts = stats(squad)
            print(
                f"{target_name}: {counts['documents']} documents, "
                f"{counts['sentences']} sentences, {counts['questions']} questions"
            )
        for name in ONESHOT_FILES:
            print(f"{name}: {check_oneshot(DEMO_DIR / name)} one-shot examples")
    except (CorpusError, OSError, yaml.YAMLError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if stale:
        print(f"out of date (run python data/demo/build.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
