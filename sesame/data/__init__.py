"""Data layer: loaders, segmentation and the normalised collection files."""

from __future__ import annotations

import logging
from pathlib import Path

from sesame.data.collection import (Answer, Collection, Document, Question, build_collection, read_collection,
                                    write_collection)
from sesame.data.loaders import FORMATS, load_documents, text_files
from sesame.errors import SesameInputError
from sesame.io import sha256_file

log = logging.getLogger(__name__)

__all__ = ["Answer", "Collection", "Document", "Question", "FORMATS", "load_documents", "read_collection",
           "write_collection", "build_collection", "make_collection"]


def _sha256_folder(folder: Path) -> str:
    """One checksum for a folder of documents: sha256 of the sorted "sha256  relative/path" lines."""
    import hashlib

    lines = [f"{sha256_file(f)}  {f.relative_to(folder).as_posix()}\n" for f in text_files(folder)]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def make_collection(input_path: str | Path, fmt: str, language: str, out_dir: str | Path | None = None) -> Collection:
    """Load, validate, segment and (optionally) write a collection. The stage function behind the CLI and rule."""
    documents, questions, info = load_documents(input_path, fmt)
    p = Path(input_path)
    info.update(format=fmt, source=str(p), source_sha256=sha256_file(p) if p.is_file() else _sha256_folder(p))
    collection = build_collection(documents, questions, language, info)
    if collection.manifest["sentences"] == 0:
        raise SesameInputError(f"no sentences: all {len(documents)} document(s) are empty or whitespace only",
                               source=p, fix="check the documents' text (the contexts); nothing can be retrieved "
                                             "or generated from empty text")
    if questions and not collection.manifest["answerable"]:
        log.warning("%s: none of its %d questions is answerable (all impossible): the collection serves "
                    "synthesis, indexes and `sesame ask`, but evaluation scores nothing (count 0)", p, len(questions))
    if out_dir is not None:
        write_collection(collection, out_dir)
    return collection
