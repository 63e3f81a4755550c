"""Atomic, plain-file I/O shared by every stage.

Why: Snakemake (and users) must never see a half-written output. Everything is written to a
temporary sibling and renamed into place only when complete, so a crash leaves either the old
file or no file, never a truncated one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from sesame.errors import SesameInputError


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it onto `final` only if the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if directory and final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Deterministic JSON (sorted keys, fixed indent) so identical data gives identical bytes."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_jsonl(path: str | os.PathLike, records: Iterable[dict]) -> int:
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


def read_text(path: str | os.PathLike) -> str:
    """Read UTF-8 text, turning the usual file problems into one clear error."""
    p = Path(path)
    if not p.exists():
        raise SesameInputError("file not found", source=p, fix="check the path")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SesameInputError(f"not valid UTF-8 (byte {e.start}: {e.reason})", source=p,
                               fix="re-encode the file as UTF-8, e.g. `iconv -t UTF-8`") from None


def read_json(path: str | os.PathLike) -> Any:
    text = read_text(path)
    if not text.strip():
        raise SesameInputError("file is empty", source=path, fix="point to a non-empty JSON file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SesameInputError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}",
                               source=path, fix="repair or re-export the file") from None


def read_jsonl(path: str | os.PathLike, *, allow_empty: bool = False) -> list[dict]:
    """Parse JSON lines; a broken line is reported with its 1-based line number."""
    text = read_text(path)
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise SesameInputError(f"invalid JSON ({e.msg}); the line may be truncated", source=path,
                                   record=lineno, fix="repair or remove that line") from None
        if not isinstance(rec, dict):
            raise SesameInputError("expected a JSON object", source=path, record=lineno)
        records.append(rec)
    if not records and not allow_empty:
        raise SesameInputError("file is empty", source=path, fix="point to a non-empty JSON lines file")
    return records


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
