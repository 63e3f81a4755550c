"""The normalised collection: the one record type every stage reads.

A collection folder holds
  documents.jsonl   {doc_id, title, text}
  sentences.parquet sid (0..N-1, collection order), doc_id, start, end, text  (text == doc.text[start:end])
  questions.jsonl   {qid, question, answers: [{text, start}], doc_id, gold_sids, impossible}
  manifest.json     counts, format, language, source path and sha256, sesame version
Why plain files: users open them, and each later stage depends only on this contract.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sesame import __version__
from sesame.data.segment import split_sentences
from sesame.errors import SesameInputError
from sesame.io import atomic_path, read_json, read_jsonl, write_json, write_jsonl

if TYPE_CHECKING:  # pandas is imported where used, so `sesame --help` and input errors stay instant
    import pandas as pd

LANGUAGES = ("en", "pt")


@dataclass
class Answer:
    text: str
    start: int


@dataclass
class Document:
    doc_id: str
    text: str
    title: str = ""


@dataclass
class Question:
    qid: str
    question: str
    doc_id: str
    answers: list[Answer] = field(default_factory=list)
    gold_sids: list[int] = field(default_factory=list)
    impossible: bool = False


@dataclass
class Collection:
    """Documents, their sentences (a DataFrame) and the questions, in a fixed order."""

    documents: list[Document]
    sentences: pd.DataFrame
    questions: list[Question]
    language: str = "en"
    manifest: dict = field(default_factory=dict)

    def document(self, doc_id: str) -> Document:
        return self._doc_index()[doc_id]

    def _doc_index(self) -> dict[str, Document]:
        if not hasattr(self, "_docs_by_id"):
            self._docs_by_id = {d.doc_id: d for d in self.documents}
        return self._docs_by_id

    def sentence_texts(self) -> list[str]:
        return self.sentences["text"].tolist()


def segment_documents(documents: list[Document], language: str) -> pd.DataFrame:
    """One row per sentence of every document, with offsets into the document text."""
    rows = {"sid": [], "doc_id": [], "start": [], "end": [], "text": []}
    sid = 0
    for doc in documents:
        for span in split_sentences(doc.text, language):
            rows["sid"].append(sid)
            rows["doc_id"].append(doc.doc_id)
            rows["start"].append(span.start)
            rows["end"].append(span.end)
            rows["text"].append(doc.text[span.start:span.end])
            sid += 1
    import pandas as pd

    return pd.DataFrame(rows).astype({"sid": "int64", "start": "int64", "end": "int64"})


def assign_gold_sentences(questions: list[Question], sentences: pd.DataFrame) -> None:
    """Gold sentence of an answer = the sentence of its document whose range holds the answer start.

    An answer starting in the whitespace between two sentences maps to the next sentence.
    """
    ends: dict[str, list[int]] = {}
    sids: dict[str, list[int]] = {}
    for sid, doc_id, end in sentences[["sid", "doc_id", "end"]].itertuples(index=False):
        ends.setdefault(doc_id, []).append(int(end))
        sids.setdefault(doc_id, []).append(int(sid))
    for q in questions:
        gold = set()
        doc_ends = ends.get(q.doc_id, [])
        for a in q.answers:
            i = bisect_right(doc_ends, a.start)  # first sentence ending after the answer start
            if i < len(doc_ends):
                gold.add(sids[q.doc_id][i])
        q.gold_sids = sorted(gold)


def build_collection(documents: list[Document], questions: list[Question], language: str,
                     manifest: dict | None = None) -> Collection:
    if language not in LANGUAGES:
        raise SesameInputError(f"unknown language {language!r}", fix=f"use one of {', '.join(LANGUAGES)}")
    sentences = segment_documents(documents, language)
    assign_gold_sentences(questions, sentences)
    info = dict(manifest or {})
    info.update(
        documents=len(documents),
        sentences=int(len(sentences)),
        questions=len(questions),
        answerable=sum(1 for q in questions if not q.impossible),
        with_gold_sentence=sum(1 for q in questions if q.gold_sids),
        language=language,
        sesame_version=__version__,
    )
    return Collection(documents, sentences, questions, language, info)


def write_collection(collection: Collection, out_dir: str | os.PathLike) -> None:
    """Write all files into a temporary folder, then rename it: the folder appears complete or not at all."""
    with atomic_path(out_dir, directory=True) as tmp:
        write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in collection.documents))
        with atomic_path(tmp / "sentences.parquet") as p:
            collection.sentences.to_parquet(p, index=False)
        write_jsonl(tmp / "questions.jsonl", (asdict(q) for q in collection.questions))
        write_json(tmp / "manifest.json", collection.manifest)


def read_collection(path: str | os.PathLike) -> Collection:
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise SesameInputError("not a collection folder (no manifest.json)", source=path,
                               fix="build it with `sesame collection --input ... --out DIR`")
    manifest = read_json(manifest_path)
    documents = [Document(**d) for d in read_jsonl(path / "documents.jsonl", allow_empty=True)]
    import pandas as pd

    sentences = pd.read_parquet(path / "sentences.parquet")
    questions = []
    for q in read_jsonl(path / "questions.jsonl", allow_empty=True):
        q["answers"] = [Answer(**a) for a in q["answers"]]
        questions.append(Question(**q))
    return Collection(documents, sentences, questions, manifest.get("language", "en"), manifest)
