"""Checks on the embedded demo corpus in data/demo (standard library + PyYAML only)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
CORPORA = {"en": "en/handbook", "pt": "pt/manual"}
ONESHOT = ("oneshot/en.json", "oneshot/pt.json")

_SENTENCE_SPLIT = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")
_WH = re.compile(r"\b(how many|how much|how|what|which|who|whom|whose|when|where|why)\b", re.IGNORECASE)


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_build", DEMO_DIR / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _squad(lang: str) -> dict[str, Any]:
    with (DEMO_DIR / f"{CORPORA[lang]}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def _paragraphs(lang: str) -> list[dict[str, Any]]:
    return [p for article in _squad(lang)["data"] for p in article["paragraphs"]]


def _qas(lang: str) -> list[dict[str, Any]]:
    return [qa for p in _paragraphs(lang) for qa in p["qas"]]


@pytest.mark.parametrize("lang", sorted(CORPORA))
def test_squad_shape(lang: str) -> None:
    squad = _squad(lang)
    assert squad["version"] == "1.1"
    for article in squad["data"]:
        assert isinstance(article["title"], str) and article["title"]
        assert len(article["paragraphs"]) == 1
        paragraph = article["paragraphs"][0]
        assert "\n" not in paragraph["context"]
        for qa in paragraph["qas"]:
            assert set(qa) == {"id", "question", "answers"}
            assert qa["id"].startswith(f"{lang}-")
            assert qa["question"].rstrip().endswith("?")
            assert len(qa["answers"]) == 1


@pytest.mark.parametrize("lang", sorted(CORPORA))
def test_answers_are_spans(lang: str) -> None:
    for paragraph in _paragraphs(lang):
        context = paragraph["context"]
        for qa in paragraph["qas"]:
            for answer in qa["answers"]:
                start, text = answer["answer_start"], answer["text"]
                assert text == text.strip() and text, qa["id"]
                assert context[start : start + len(text)] == text, qa["id"]


def test_english_counts() -> None:
    squad = _squad("en")
    paragraphs = _paragraphs("en")
    sentences = sum(len(_SENTENCE_SPLIT.split(p["context"])) for p in paragraphs)
    assert len(squad["data"]) >= 30
    assert sentences >= 300
    assert len(_qas("en")) >= 120


def test_portuguese_counts() -> None:
    assert len(_squad("pt")["data"]) >= 15
    assert len(_qas("pt")) >= 50


def test_ids_and_titles_unique() -> None:
    ids = [qa["id"] for lang in CORPORA for qa in _qas(lang)]
    duplicates = [qid for qid, n in Counter(ids).items() if n > 1]
    assert not duplicates
    for lang in CORPORA:
        titles = [article["title"] for article in _squad(lang)["data"]]
        assert len(titles) == len(set(titles))


def test_some_answers_point_past_the_first_occurrence() -> None:
    later = 0
    for lang in CORPORA:
        for paragraph in _paragraphs(lang):
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                if paragraph["context"].find(answer["text"]) != answer["answer_start"]:
                    later += 1
    assert later >= 3


@pytest.mark.parametrize("lang", sorted(CORPORA))
def test_json_is_up_to_date(lang: str, tmp_path: Path) -> None:
    rebuilt = tmp_path / f"{lang}.json"
    build.build_file(DEMO_DIR / f"{CORPORA[lang]}.yaml", rebuilt)
    committed = DEMO_DIR / f"{CORPORA[lang]}.json"
    assert rebuilt.read_bytes() == committed.read_bytes(), "run: python data/demo/build.py"


@pytest.mark.parametrize("name", ONESHOT)
def test_oneshot_answers_are_spans(name: str) -> None:
    with (DEMO_DIR / name).open(encoding="utf-8") as handle:
        examples = json.load(handle)
    assert len(examples) == 12
    for example in examples:
        assert set(example) == {"context", "question", "answer"}
        assert example["answer"] in example["context"]
    assert build.check_oneshot(DEMO_DIR / name) == 12


def test_english_question_variety() -> None:
    leading: Counter[str] = Counter()
    for qa in _qas("en"):
        match = _WH.search(qa["question"])
        assert match is not None, qa["question"]
        leading[match.group(1).lower()] += 1
    assert len(leading) >= 6, leading
    assert leading["why"] >= 5 and leading["how many"] >= 5, leading


def test_build_names_document_and_question_on_errors() -> None:
    source = {
        "documents": [
            {
                "title": "Tiny",
                "text": "The boat left at noon. The boat came back at noon.",
                "questions": [{"id": "t-1", "question": "When?", "answer": "at noon", "occurrence": 3}],
            }
        ]
    }
    with pytest.raises(build.CorpusError, match=r"'Tiny'.*t-1.*only 2 time"):
        build.build_squad(source, "tiny.yaml")
    source["documents"][0]["questions"][0] = {"id": "t-2", "question": "Who?", "answer": "the crew"}
    with pytest.raises(build.CorpusError, match=r"'Tiny'.*t-2.*not found"):
        build.build_squad(source, "tiny.yaml")
    source["documents"][0]["questions"][0] = {"id": "t-3", "question": "When?", "answer": "at noon", "occurrence": 2}
    squad = build.build_squad(source, "tiny.yaml")
    assert squad["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] == 42
