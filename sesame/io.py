"""Atomic, plain-file I/O shared by every stage.

Why: Snakemake (and users) must never see a half-written output. Everything is written to a
temporary sibling and renamed into place only when complete, so a crash leaves either the old
file or no file, never a truncated one.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
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
        # mkstemp/mkdtemp create private (0600/0700) paths; give outputs the usual umask permissions
        # so that collaborators on a shared cluster can read them.
        tmp.chmod((0o777 if directory else 0o666) & ~_umask())
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


def _umask() -> int:
    """The process umask, read without changing it where /proc allows (os.umask is not thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    """Read UTF-8 text (a leading BOM is dropped, gzip is undone), turning file problems into one clear error.

    Why gzip: the MRQA-2019 files are distributed as .jsonl.gz.
    """
    p = Path(path)
    if not p.exists():
        raise SesameInputError("file not found", source=p, fix="check the path")
    if p.is_dir():
        raise SesameInputError("is a folder, not a file", source=p, fix="point to the file itself")
    data = p.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise SesameInputError(f"broken gzip file ({e})", source=p, fix="download the file again") from None
    try:
        return data.decode("utf-8-sig")
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


_LINE_END = re.compile(r"\r\n|\r|\n")


def json_lines(text: str) -> list[str]:
    """Split JSON-lines text at line ends (\\n, \\r\\n, \\r) only.

    Why not str.splitlines: it also breaks at U+2028/U+2029, U+0085 and other characters that a JSON string
    may hold unescaped (we write with ensure_ascii=False), which cut a record with such text in two.
    """
    return _LINE_END.split(text)


def read_jsonl(path: str | os.PathLike, *, allow_empty: bool = False) -> list[dict]:
    """Parse JSON lines; a broken line is reported with its 1-based line number."""
    text = read_text(path)
    records = []
    for lineno, line in enumerate(json_lines(text), start=1):
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
