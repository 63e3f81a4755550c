"""Contexts for synthetic QA: runs of consecutive sentences of one document.

Why chunks: the paper gives the T5 models a few sentences around the highlighted one, not the whole
document, with `min(15, total_sentences // n_contexts)` sentences per chunk. A chunk is also the
`context` of every synthetic pair made from it, so the reader later trains on exactly the text the
question was written from. Chunks never cross documents and are also capped in characters, so the
highlighted sentence is not cut off by the 512-token input limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sesame.data.collection import Collection


@dataclass
class Chunk:
    context_id: str                     # "{doc_id}#{k}", k = chunk number within the document
    doc_id: str
    text: str                           # doc.text[first sentence start : last sentence end]
    sentences: list[tuple[int, int, int]] = field(default_factory=list)  # (sid, start, end) in `text`

    def sentence_text(self, i: int) -> str:
        _, s, e = self.sentences[i]
        return self.text[s:e]


def paper_chunk_size(n_sentences: int, n_contexts: int) -> int:
    """The paper's rule, min(15, sentences // contexts), but never below one sentence."""
    return max(1, min(15, n_sentences // max(1, n_contexts)))


def make_chunks(collection: Collection, chunk_sentences: int | None = None, max_chars: int = 2000) -> list[Chunk]:
    """Chunks of every document in collection order; a chunk closes at `chunk_sentences` or `max_chars`."""
    s = collection.sentences.sort_values("sid")
    size = chunk_sentences or paper_chunk_size(len(s), len(collection.documents))
    by_doc: dict[str, list[tuple[int, int, int]]] = {}
    for sid, doc_id, start, end in s[["sid", "doc_id", "start", "end"]].itertuples(index=False):
        by_doc.setdefault(doc_id, []).append((int(sid), int(start), int(end)))
    chunks: list[Chunk] = []
    for doc in collection.documents:
        groups: list[list[tuple[int, int, int]]] = []
        for sent in by_doc.get(doc.doc_id, []):
            g = groups[-1] if groups else None
            if g is None or len(g) >= size or sent[2] - g[0][1] > max_chars:
                groups.append([sent])
            else:
                g.append(sent)
        for k, g in enumerate(groups):
            base = g[0][1]
            chunks.append(Chunk(f"{doc.doc_id}#{k}", doc.doc_id, doc.text[base:g[-1][2]],
                                [(sid, a - base, b - base) for sid, a, b in g]))
    return chunks
