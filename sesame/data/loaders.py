"""Loaders for MRQA-2019 jsonl, SQuAD v1.1/v2 json and folders of text/Markdown documents.

Every loader validates as it reads and reports the file plus line (MRQA) or record path (SQuAD)
of the first problem, so a user can fix the input instead of reading a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sesame.data.collection import Answer, Document, Question
from sesame.errors import SesameInputError
from sesame.io import json_lines, read_json, read_text

FORMATS = ("mrqa", "squad", "text")
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
_MARKER = re.compile(r"(?:\s*\[(?:TLE|DOC|PAR|SEP)\]\s*)+")  # a run of markers is one break


def _clean_mrqa_context(context: str) -> tuple[str, list[int]]:
    """Replace MRQA markers by paragraph breaks; return the text and an old->new offset map.

    Characters inside a marker map to -1, so an answer span that touches a marker is detected.
    """
    out: list[str] = []
    mapping = [-1] * (len(context) + 1)
    pos = new = 0
    for m in _MARKER.finditer(context):
        for i in range(pos, m.start()):
            mapping[i] = new + i - pos
        out.append(context[pos:m.start()])
        new += m.start() - pos
        sep = "" if new == 0 or m.end() == len(context) else "\n\n"
        out.append(sep)
        new += len(sep)
        pos = m.end()
    for i in range(pos, len(context) + 1):
        mapping[i] = new + i - pos
    out.append(context[pos:])
    return "".join(out), mapping


def _span_problem(context: str, text: str, start: int, end: int) -> str | None:
    """Why the answer `text` at context[start:end] is unusable, or None when it is fine.

    The comparison ignores case and runs of whitespace (MRQA's detected answers differ in both).
    """
    if not text.strip():
        return f"answer text {text!r} is empty"
    if not (0 <= start < end <= len(context)):
        return f"answer {text!r} at {start}..{end} lies outside the context ({len(context)} chars)"
    found = context[start:end]
    if " ".join(found.lower().split()) != " ".join(text.lower().split()):
        return f"answer {text!r} does not match the context at {start} ({found!r})"
    return None


def _check_span(context: str, text: str, start: int, source: Path, record: str | int) -> None:
    problem = _span_problem(context, text, start, start + len(text))
    if problem:
        raise SesameInputError(problem, source=source, record=record, fix="correct answer_start or the answer text")


def _require(obj: dict, key: str, kind: type, source: Path, record: str | int) -> object:
    if not isinstance(obj, dict) or key not in obj:
        raise SesameInputError(f"missing {key!r}", source=source, record=record,
                               fix=f"every record needs a {key!r} field")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise SesameInputError(f"{key!r} must be a {names}, got {type(value).__name__}",
                               source=source, record=record)
    return value


def _check_unique(qid: str, seen: dict[str, str], where: str, source: Path, record: str | int) -> None:
    if qid in seen:
        raise SesameInputError(f"duplicate question id {qid!r} (first seen at {seen[qid]})", source=source,
                               record=record, fix="make question ids unique")
    seen[qid] = where


def _mrqa_answers(qa: dict, context: str, text: str, mapping: list[int], check_spans: bool, source: Path,
                  where: str) -> list[Answer]:
    """Answers of one MRQA question from its detected char spans (inclusive ends), moved into `text`."""
    answers: dict[tuple[str, int], Answer] = {}
    detected = qa.get("detected_answers") or []
    if not isinstance(detected, list):
        raise SesameInputError("'detected_answers' must be a list", source=source, record=where)
    for j, det in enumerate(detected):
        spans = det.get("char_spans") if isinstance(det, dict) else None
        if not (isinstance(spans, list) and all(isinstance(s, list) and len(s) == 2 and
                                                all(type(v) is int for v in s) for s in spans)):
            raise SesameInputError(f"detected_answers[{j}].char_spans must be a list of [start, end] pairs",
                                   source=source, record=where, fix="use the MRQA-2019 format")
        for start, end_incl in spans:
            answer_text = det.get("text", context[start:end_incl + 1])
            problem = _span_problem(context, str(answer_text), start, end_incl + 1)
            if problem is None and (mapping[start] < 0 or mapping[end_incl] < 0):
                problem = "answer span overlaps a [TLE]/[DOC]/[PAR]/[SEP] marker"
            if problem:
                if not check_spans:
                    continue
                raise SesameInputError(problem, source=source, record=where,
                                       fix="correct char_spans or the detected answer text")
            new_start, new_end = mapping[start], mapping[end_incl] + 1
            a = Answer(text=text[new_start:new_end], start=new_start)
            answers[(a.text, a.start)] = a
    return list(answers.values())


def load_mrqa(path: str | Path, *, check_spans: bool = True) -> tuple[list[Document], list[Question], dict]:
    """MRQA-2019 jsonl (optionally gzipped): a header line, then one context per line with its questions.

    check_spans=False skips answer spans that are unusable instead of refusing the file; `sesame score`
    uses it because scoring needs only the answer texts, as the official evaluation does.
    """
    path = Path(path)
    lines = json_lines(read_text(path))
    if not any(line.strip() for line in lines):
        raise SesameInputError("file is empty", source=path, fix="point to an MRQA jsonl file")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError as e:
        raise SesameInputError(f"invalid JSON ({e.msg})", source=path, record=1) from None
    if not (isinstance(header, dict) and isinstance(header.get("header"), dict)):
        raise SesameInputError('first line is not an MRQA header {"header": {"dataset": ..., ...}}',
                               source=path, record=1,
                               fix="use an original MRQA-2019 file, or --format squad for SQuAD json")
    documents, questions, seen = [], [], {}
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise SesameInputError(f"invalid JSON ({e.msg}); the line may be truncated", source=path,
                                   record=lineno, fix="repair or remove that line") from None
        context = _require(rec, "context", str, path, lineno)
        qas = _require(rec, "qas", list, path, lineno)
        text, mapping = _clean_mrqa_context(context)
        doc_id = f"L{lineno:07d}"
        documents.append(Document(doc_id=doc_id, text=text))
        for i, qa in enumerate(qas):
            where = f"line {lineno}, qas[{i}]"
            qid = str(_require(qa, "qid", str, path, where))
            question = _require(qa, "question", str, path, where)
            _check_unique(qid, seen, where, path, where)
            answers = _mrqa_answers(qa, context, text, mapping, check_spans, path, where)
            if not answers and not qa.get("answers"):
                raise SesameInputError("question has no answers", source=path, record=where,
                                       fix="MRQA questions need 'answers' and 'detected_answers'")
            questions.append(Question(qid=qid, question=question, doc_id=doc_id, answers=answers,
                                      impossible=not answers))
    return documents, questions, {"dataset": header["header"].get("dataset", path.stem)}


def load_squad(path: str | Path, *, check_spans: bool = True) -> tuple[list[Document], list[Question], dict]:
    """SQuAD v1.1/v2 json. One document per paragraph; v2 impossible questions are kept and marked.

    check_spans=False accepts answers whose answer_start does not point at their text (scoring only).
    """
    path = Path(path)
    data = read_json(path)
    articles = _require(data, "data", list, path, "top level")
    documents, questions, seen = [], [], {}
    for ai, article in enumerate(articles):
        title = str(article.get("title", "")) if isinstance(article, dict) else ""
        for pi, para in enumerate(_require(article, "paragraphs", list, path, f"data[{ai}]")):
            rec = f"data[{ai}].paragraphs[{pi}]"
            context = _require(para, "context", str, path, rec)
            doc_id = f"a{ai:05d}-p{pi:03d}"
            documents.append(Document(doc_id=doc_id, text=context, title=title))
            for qi, qa in enumerate(_require(para, "qas", list, path, rec)):
                where = f"{rec}.qas[{qi}]"
                qid = str(_require(qa, "id", (str, int), path, where))
                question = _require(qa, "question", str, path, where)
                _check_unique(qid, seen, where, path, where)
                impossible = bool(qa.get("is_impossible", False))
                answers: dict[tuple[str, int], Answer] = {}
                for ni, ans in enumerate(qa.get("answers", [])):
                    a_text = _require(ans, "text", str, path, f"{where}.answers[{ni}]")
                    a_start = _require(ans, "answer_start", int, path, f"{where}.answers[{ni}]")
                    if check_spans:
                        _check_span(context, a_text, a_start, path, f"{where}.answers[{ni}]")
                    answers[(a_text, a_start)] = Answer(a_text, a_start)
                if not answers and not impossible:
                    raise SesameInputError("question has no answers and is not marked is_impossible",
                                           source=path, record=where)
                questions.append(Question(qid=qid, question=question, doc_id=doc_id,
                                          answers=list(answers.values()), impossible=impossible))
    if not documents:
        raise SesameInputError("no paragraphs found", source=path, fix="check the SQuAD 'data' list")
    return documents, questions, {"dataset": path.stem, "squad_version": str(data.get("version", ""))}


def text_files(folder: Path) -> list[Path]:
    """The documents of a folder: .txt/.md files, recursively, sorted, hidden files and folders skipped."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def load_text_folder(path: str | Path) -> tuple[list[Document], list[Question], dict]:
    """A user's own documents: every .txt/.md file (recursively, sorted) is one document."""
    path = Path(path)
    if not path.exists():
        raise SesameInputError("file or folder not found", source=path)
    files = [path] if path.is_file() else text_files(path)
    documents = []
    for f in files:
        text = read_text(f)
        if not text.strip():
            continue  # an empty file holds no sentences; counted in the manifest as skipped
        heading = re.search(r"^#{1,6}\s+(.+)$", text, re.MULTILINE)
        title = heading.group(1).strip() if heading else f.stem
        doc_id = f.relative_to(path).as_posix() if path.is_dir() else f.name
        documents.append(Document(doc_id=doc_id, text=text, title=title))
    if not documents:
        raise SesameInputError(f"no non-empty {'/'.join(TEXT_SUFFIXES)} files found", source=path,
                               fix="point --input to a folder of UTF-8 text or Markdown documents")
    return documents, [], {"dataset": path.name, "skipped_empty_files": len(files) - len(documents)}


LOADERS = {"mrqa": load_mrqa, "squad": load_squad, "text": load_text_folder}


def load_documents(path: str | Path, fmt: str) -> tuple[list[Document], list[Question], dict]:
    if fmt not in LOADERS:
        raise SesameInputError(f"unknown format {fmt!r}", source=path, fix=f"use one of {', '.join(FORMATS)}")
    return LOADERS[fmt](path)
