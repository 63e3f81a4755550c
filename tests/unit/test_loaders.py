"""Loaders (MRQA, SQuAD v1.1/v2, text folders), gold sentence ids and the written collection files.

Expected offsets and sentence ids are computed by hand from the fixture texts (see the comments).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from sesame.data import make_collection, read_collection
from sesame.data.collection import Answer, Document, Question, assign_gold_sentences, segment_documents
from sesame.data.loaders import load_documents, load_mrqa, load_squad, load_text_folder
from sesame.errors import SesameInputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY_SQUAD = FIXTURES / "tiny_squad.json"
TINY_MRQA = FIXTURES / "tiny_mrqa.jsonl"


def write_mrqa(path: Path, records: list[dict], header: dict | None = None) -> Path:
    lines = [json.dumps(header or {"header": {"dataset": "T", "split": "dev"}})] + [json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- MRQA


def test_mrqa_markers_removed_and_offsets_remapped() -> None:
    docs, questions, info = load_mrqa(TINY_MRQA)
    assert info["dataset"] == "Tiny"
    assert len(docs) == 1
    text = docs[0].text
    # "[TLE] Aurora [SEP] The ship ... May. [PAR] It carries ..." -> markers become paragraph breaks.
    assert text == "Aurora\n\nThe ship Aurora sails in May.\n\nIt carries 12 scientists."
    assert "[" not in text
    by_qid = {q.qid: q for q in questions}
    # "May" was chars 44..46 (inclusive) in the raw context; 8 + len("The ship Aurora sails in ") = 33 now.
    assert by_qid["m1"].answers == [Answer("May", 33)]
    # "12" was 66..67; the second paragraph starts at 39 and "It carries " is 11 chars: 50.
    assert by_qid["m2"].answers == [Answer("12", 50)]
    for q in questions:
        for a in q.answers:
            assert text[a.start:a.start + len(a.text)] == a.text
        assert not q.impossible and q.doc_id == docs[0].doc_id


def test_mrqa_gold_sentence_ids() -> None:
    c = make_collection(TINY_MRQA, "mrqa", "en")
    # Sentences: 0 "Aurora" (the title), 1 "The ship Aurora sails in May.", 2 "It carries 12 scientists."
    assert c.sentences["text"].tolist() == ["Aurora", "The ship Aurora sails in May.", "It carries 12 scientists."]
    assert {q.qid: q.gold_sids for q in c.questions} == {"m1": [1], "m2": [2]}


def test_mrqa_answers_next_to_markers(tmp_path: Path) -> None:
    # The title "Aurora" ends right before " [SEP]" and "May" right before " [PAR]" (no period):
    # both are valid spans and must not be mistaken for marker overlaps.
    context = "[TLE] Aurora [SEP] The ship sails in May [PAR] It carries 12 scientists"
    assert context[6:12] == "Aurora" and context[37:40] == "May"
    path = write_mrqa(tmp_path / "m.jsonl", [{"context": context, "qas": [
        {"qid": "t", "question": "Which ship?", "answers": ["Aurora"],
         "detected_answers": [{"text": "Aurora", "char_spans": [[6, 11]]}]},
        {"qid": "w", "question": "When?", "answers": ["May"],
         "detected_answers": [{"text": "may", "char_spans": [[37, 39]]}]},
    ]}])
    docs, questions, _ = load_mrqa(path)
    assert docs[0].text == "Aurora\n\nThe ship sails in May\n\nIt carries 12 scientists"
    # The stored answer is the context's own text (case included), at its new offset.
    assert [(q.qid, q.answers) for q in questions] == [("t", [Answer("Aurora", 0)]), ("w", [Answer("May", 26)])]


def test_mrqa_adjacent_markers_make_one_break(tmp_path: Path) -> None:
    path = write_mrqa(tmp_path / "m.jsonl", [{"context": "[PAR] [TLE] T [SEP] [PAR] Body here.", "qas": [
        {"qid": "a", "question": "?", "answers": ["Body"],
         "detected_answers": [{"text": "Body", "char_spans": [[26, 29]]}]}]}])
    docs, questions, _ = load_mrqa(path)
    assert docs[0].text == "T\n\nBody here."
    assert questions[0].answers == [Answer("Body", 3)]


def test_mrqa_gzipped_file_is_read(tmp_path: Path) -> None:
    gz = tmp_path / "tiny.jsonl.gz"
    gz.write_bytes(gzip.compress(TINY_MRQA.read_bytes()))
    docs, questions, _ = load_mrqa(gz)
    assert [q.qid for q in questions] == ["m1", "m2"] and docs[0].text.startswith("Aurora")


def test_mrqa_header_is_validated_not_skipped(tmp_path: Path) -> None:
    # A file whose first line is a data record (no header) is refused, not silently missing a record.
    lines = TINY_MRQA.read_text(encoding="utf-8").splitlines()
    headerless = tmp_path / "h.jsonl"
    headerless.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(SesameInputError, match=r"h\.jsonl, line 1: first line is not an MRQA header"):
        load_mrqa(headerless)


# ---------------------------------------------------------------- SQuAD


def test_squad_v1_documents_questions_and_gold_sids() -> None:
    c = make_collection(TINY_SQUAD, "squad", "en")
    assert [(d.doc_id, d.title) for d in c.documents] == [("a00000-p000", "Lab"), ("a00000-p001", "Lab")]
    assert c.sentences[["sid", "doc_id", "start", "end"]].values.tolist() == [
        # "The Meridian lab opened in 1998." | "Dr. Ana Lima led it for ten years." | "It has 42 staff."
        [0, "a00000-p000", 0, 32], [1, "a00000-p000", 33, 67], [2, "a00000-p000", 68, 84],
        # "The ship Aurora sails in May." | "It carries 12 scientists."
        [3, "a00000-p001", 0, 29], [4, "a00000-p001", 30, 55],
    ]
    gold = {q.qid: q.gold_sids for q in c.questions}
    # 1998@27 -> 0; "Dr. Ana Lima"@33 -> 1; "42"@75 (two answers, same sentence) -> 2; May@25 -> 3.
    assert gold == {"q1": [0], "q2": [1], "q3": [2], "q4": [3], "q5": []}
    q3 = next(q for q in c.questions if q.qid == "q3")
    assert q3.answers == [Answer("42", 75), Answer("42 staff", 75)]


def test_squad_v2_impossible_questions_are_kept_and_marked(tmp_path: Path) -> None:
    context = "Ana runs the lab. It is big."
    data = {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": context, "qas": [
        {"id": "a", "question": "Who runs it?", "answers": [{"text": "Ana", "answer_start": 0}],
         "is_impossible": False},
        {"id": "b", "question": "Who owns it?", "answers": [], "is_impossible": True,
         "plausible_answers": [{"text": "Ana", "answer_start": 0}]}]}]}]}
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    c = make_collection(path, "squad", "en")
    by_qid = {q.qid: q for q in c.questions}
    assert [q.qid for q in c.questions] == ["a", "b"]
    assert by_qid["b"].impossible and by_qid["b"].answers == [] and by_qid["b"].gold_sids == []
    assert not by_qid["a"].impossible and by_qid["a"].gold_sids == [0]
    assert c.manifest["squad_version"] == "v2.0"
    assert (c.manifest["questions"], c.manifest["answerable"], c.manifest["with_gold_sentence"]) == (2, 1, 1)


def test_squad_with_utf8_bom_and_integer_ids(tmp_path: Path) -> None:
    data = {"data": [{"paragraphs": [{"context": "Olá, mundo.", "qas": [
        {"id": 7, "question": "?", "answers": [{"text": "mundo", "answer_start": 5}]}]}]}]}
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, ensure_ascii=False).encode("utf-8"))
    _, questions, _ = load_squad(path)
    assert questions[0].qid == "7" and questions[0].answers == [Answer("mundo", 5)]


# ---------------------------------------------------------------- text folders


def make_text_folder(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "b.md").write_text("Intro line.\n\n## Boats\nThe Aurora sails. It is red.\n", encoding="utf-8")
    (root / "a.txt").write_text("Plain text. Two sentences.", encoding="utf-8")
    (root / "sub" / "c.markdown").write_text("# Nested Doc\n- item one\n- item two\n", encoding="utf-8")
    (root / "empty.md").write_text("  \n", encoding="utf-8")
    (root / "notes.json").write_text("{}", encoding="utf-8")           # not a text document
    (root / ".hidden.md").write_text("Secret.", encoding="utf-8")      # hidden files are skipped
    return root


def test_text_folder_documents_titles_and_no_questions(tmp_path: Path) -> None:
    root = make_text_folder(tmp_path / "docs")
    docs, questions, info = load_text_folder(root)
    assert [(d.doc_id, d.title) for d in docs] == [
        ("a.txt", "a"),                   # no heading: the file name
        ("b.md", "Boats"),                # the first Markdown heading
        ("sub/c.markdown", "Nested Doc"),
    ]
    assert questions == [] and info == {"dataset": "docs", "skipped_empty_files": 1}


def test_text_folder_collection_and_folder_checksum(tmp_path: Path) -> None:
    root = make_text_folder(tmp_path / "docs")
    c = make_collection(root, "text", "en", tmp_path / "out")
    assert c.sentences["text"].tolist() == ["Plain text.", "Two sentences.", "Intro line.", "## Boats",
                                            "The Aurora sails.", "It is red.", "# Nested Doc", "- item one",
                                            "- item two"]
    expected = hashlib.sha256("".join(
        f"{hashlib.sha256((root / rel).read_bytes()).hexdigest()}  {rel}\n"
        for rel in ("a.txt", "b.md", "empty.md", "sub/c.markdown")).encode()).hexdigest()
    assert c.manifest["source_sha256"] == expected
    before = c.manifest["source_sha256"]
    (root / "a.txt").write_text("Changed.", encoding="utf-8")
    assert make_collection(root, "text", "en").manifest["source_sha256"] != before


def test_single_text_file(tmp_path: Path) -> None:
    f = tmp_path / "one.md"
    f.write_text("# Title Here\nBody. More.", encoding="utf-8")
    docs, _, _ = load_documents(f, "text")
    assert [(d.doc_id, d.title, d.text) for d in docs] == [("one.md", "Title Here", "# Title Here\nBody. More.")]


def test_sesame_collection_cli_on_a_folder_of_markdown_files(tmp_path: Path, capsys) -> None:
    from sesame.cli import main

    root = tmp_path / "md"
    root.mkdir()
    for i, body in enumerate(["# Alpha\nDr. Lee wrote this. It is short.", "# Beta\n\nOne. Two. Three."]):
        (root / f"{i}.md").write_text(body, encoding="utf-8")
    out = tmp_path / "col"
    assert main(["collection", "--input", str(root), "--format", "text", "--language", "en", "--out", str(out)]) == 0
    assert capsys.readouterr().out == (f"{out}: 2 documents, 7 sentences, 0 questions (0 with a gold sentence), "
                                       "language en\n")
    c = read_collection(out)
    assert [d.title for d in c.documents] == ["Alpha", "Beta"]
    assert c.sentences["text"].tolist() == ["# Alpha", "Dr. Lee wrote this.", "It is short.", "# Beta", "One.", "Two.",
                                            "Three."]
    assert c.questions == [] and c.manifest["format"] == "text"


# ---------------------------------------------------------------- collection files


def test_written_collection_files_manifest_and_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "results" / "col"
    built = make_collection(TINY_SQUAD, "squad", "en", out)
    assert sorted(p.name for p in out.iterdir()) == ["documents.jsonl", "manifest.json", "questions.jsonl",
                                                      "sentences.parquet"]
    assert [p.name for p in out.parent.iterdir()] == ["col"], "no temporary files are left beside the output"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source_sha256"] == hashlib.sha256(TINY_SQUAD.read_bytes()).hexdigest()
    assert {k: manifest[k] for k in ("documents", "sentences", "questions", "answerable", "with_gold_sentence",
                                     "language", "format", "dataset")} == {
        "documents": 2, "sentences": 5, "questions": 5, "answerable": 4, "with_gold_sentence": 4,
        "language": "en", "format": "squad", "dataset": "tiny_squad"}
    c = read_collection(out)
    assert c.language == "en" and c.manifest == built.manifest
    assert [q.qid for q in c.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert c.questions[1] == built.questions[1]
    assert c.sentences["sid"].tolist() == list(range(5))
    docs = {d.doc_id: d.text for d in c.documents}
    for row in c.sentences.itertuples():
        assert docs[row.doc_id][row.start:row.end] == row.text


def test_same_input_gives_byte_identical_files(tmp_path: Path) -> None:
    make_collection(TINY_MRQA, "mrqa", "en", tmp_path / "a")
    make_collection(TINY_MRQA, "mrqa", "en", tmp_path / "b")
    for name in ("documents.jsonl", "sentences.parquet", "questions.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_rewriting_replaces_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "col"
    make_collection(TINY_SQUAD, "squad", "en", out)
    (out / "stale.txt").write_text("old", encoding="utf-8")
    make_collection(TINY_MRQA, "mrqa", "en", out)
    assert not (out / "stale.txt").exists()
    assert read_collection(out).manifest["format"] == "mrqa"


def test_output_files_are_readable_by_others(tmp_path: Path) -> None:
    out = tmp_path / "col"
    make_collection(TINY_SQUAD, "squad", "en", out)
    # mkstemp/mkdtemp create 0600/0700 paths; outputs get the usual umask permissions instead.
    assert out.stat().st_mode & 0o055 == 0o055
    assert (out / "manifest.json").stat().st_mode & 0o044 == 0o044


# ---------------------------------------------------------------- gold sentence mapping


def test_gold_sentences_from_answer_character_spans() -> None:
    text = "Alpha one. Beta two.  Gamma three."
    #       0         1         2         3
    #       0123456789012345678901234567890123
    docs = [Document("d", text), Document("e", "Other doc. Here.")]
    sentences = segment_documents(docs, "en")
    assert sentences[["sid", "doc_id", "start", "end"]].values.tolist() == [
        [0, "d", 0, 10], [1, "d", 11, 20], [2, "d", 22, 34], [3, "e", 0, 10], [4, "e", 11, 16]]
    questions = [
        Question("first", "?", "d", [Answer("Alpha", 0)]),
        Question("last-char", "?", "d", [Answer(".", 9)]),          # the final '.' of sentence 0
        Question("two-answers", "?", "d", [Answer("two", 16), Answer("Gamma", 22)]),
        Question("in-gap", "?", "d", [Answer(" Gamma", 21)]),      # starts in the gap -> next sentence
        Question("other-doc", "?", "e", [Answer("Here", 11)]),      # sids are per document, not offsets
        Question("impossible", "?", "d", [], impossible=True),
    ]
    assign_gold_sentences(questions, sentences)
    assert {q.qid: q.gold_sids for q in questions} == {
        "first": [0], "last-char": [0], "two-answers": [1, 2], "in-gap": [2], "other-doc": [4], "impossible": []}
