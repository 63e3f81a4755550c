"""The two things `sesame ask` needs from the other stages, behind two small protocols.

Why protocols: the ask engine, the HTTP service and the page only need (a) a loaded index that
returns ranked sentence ids for a batch of questions and (b) a loaded extractive reader that picks
one span from a list of passages. Both are built by sesame.retrieval and sesame.readers; this module
is the only place that knows their APIs, so the service stays the same when they change.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, Sequence

from sesame.data.collection import Collection
from sesame.errors import SesameInputError
from sesame.retrieval.contexts import Passage

log = logging.getLogger(__name__)

SERVABLE_RETRIEVERS = ("bm25", "dense", "hybrid")
SERVABLE_READERS = ("extractive", "extractive-base")


class ReaderSpan(Protocol):
    """The reader's best span (sesame.readers.extractive.Span): offsets index passages[passage].text."""

    answer: str
    score: float
    passage: int
    start: int
    end: int


class SentenceRetriever(Protocol):
    name: str

    def search(self, questions: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        """Per question, the top-k (sid, score) pairs, best first."""


class SpanReader(Protocol):
    def predict(self, questions: Sequence[str], passages: Sequence[list[Passage]]) -> list[ReaderSpan | None]:
        """Per question, the best span over its passages (None when it has no passage)."""


def load_retriever(kind: str, index_root: Path, collection: Collection, config: dict) -> SentenceRetriever:
    """Load a built index once: bm25 from index_root/bm25, dense from index_root/dense, hybrid from both."""
    if kind not in SERVABLE_RETRIEVERS:
        raise SesameInputError(f"retriever {kind!r} cannot answer new questions",
                               fix=f"serve a run of one of {', '.join(SERVABLE_RETRIEVERS)} (oracle needs the gold document)")
    for part in (("bm25", "dense") if kind == "hybrid" else (kind,)):
        if not (index_root / part).is_dir():
            raise SesameInputError(f"no {part} index", source=index_root / part,
                                   fix="build it first, e.g. `snakemake results/<lang>/<dataset>/index/" + part + "`")
    from sesame.ask._retrieval_adapter import open_retriever

    return open_retriever(kind, index_root, collection, config)


def load_reader(kind: str, model_dir: str, language: str, config: dict, seed: int = 0) -> SpanReader:
    """Load a trained (or base) extractive reader once."""
    if kind not in SERVABLE_READERS:
        raise SesameInputError(f"reader {kind!r} is not an extractive reader",
                               fix=f"serve a run of one of {', '.join(SERVABLE_READERS)}")
    from sesame.ask._reader_adapter import open_reader

    return open_reader(kind, model_dir, language, config, seed)
