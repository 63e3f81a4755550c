"""T5 input formats (exact strings, en and pt), highlight offsets, answer parsing and chunking."""

import pandas as pd
import pytest

from sesame.data.collection import Collection, Document
from sesame.synth.chunking import Chunk, make_chunks, paper_chunk_size
from sesame.synth.t5 import locate_in_sentence
from sesame.synth.templates import (T5_TEMPLATES, ae_input, ae_target, highlight, parse_answers, qg_input,
                                    t5_template)

CHUNK = "The lab opened in 1998. It has 42 staff. The budget grew by 42 percent."
# sentences: [0, 23), [24, 40), [41, 71); "42" at 31 and 60


def test_answer_extraction_input_en_exact():
    assert ae_input(CHUNK, 24, 40, T5_TEMPLATES["en"]) == (
        "extract answers: The lab opened in 1998. <ha> It has 42 staff. <ha> The budget grew by 42 percent.")


def test_question_generation_input_en_exact():
    assert qg_input(CHUNK, 18, 22, T5_TEMPLATES["en"]) == (
        "generate question: The lab opened in <hl> 1998 <hl>. It has 42 staff. The budget grew by 42 percent.")


def test_portuguese_multitask_inputs_exact():
    pt = "O laboratório abriu em 1998. Tem 42 funcionários."
    tpl = T5_TEMPLATES["pt"]
    assert ae_input(pt, 29, 49, tpl) == "extrair resposta: O laboratório abriu em 1998. <hl> Tem 42 funcionários. <hl>"
    assert qg_input(pt, 23, 27, tpl) == "gerar pergunta: O laboratório abriu em <hl> 1998 <hl>. Tem 42 funcionários."


def test_template_overrides_only_non_null_fields():
    tpl = t5_template("en", {"ae_prefix": "answers: ", "ae_mark": None})
    assert (tpl.ae_prefix, tpl.ae_mark, tpl.qg_prefix) == ("answers: ", "<ha>", "generate question: ")


def test_highlight_marks_the_repeat_it_is_given_not_the_first():
    second = CHUNK.index("42", 41)              # the "42" of the third sentence
    assert second == 60
    text = qg_input(CHUNK, second, second + 2, T5_TEMPLATES["en"])
    assert text == ("generate question: The lab opened in 1998. It has 42 staff. "
                    "The budget grew by <hl> 42 <hl> percent.")


def test_extracted_answer_is_located_in_its_own_sentence():
    chunk = Chunk("d#0", "d", CHUNK, [(0, 0, 23), (1, 24, 40), (2, 41, 71)])
    assert locate_in_sentence(chunk, 1, "42") == 31
    assert locate_in_sentence(chunk, 2, "42") == 60     # chunk.find("42") would give 31
    assert locate_in_sentence(chunk, 0, "42") is None   # not in the highlighted sentence: no blind find
    assert CHUNK[60:62] == "42"


def test_parse_answers_splits_on_sep_and_drops_specials_and_repeats():
    tpl = T5_TEMPLATES["en"]
    assert parse_answers("<pad> 1998 <sep> Dr. Ana Lima <sep> 1998 <sep></s>", tpl) == ["1998", "Dr. Ana Lima"]
    assert parse_answers("<pad> <sep> </s>", tpl) == []
    assert ae_target(["1998", "Dr. Ana Lima"], tpl) == "1998 <sep> Dr. Ana Lima <sep>"


@pytest.mark.parametrize("n_sentences, n_contexts, size", [(100, 10, 10), (1000, 10, 15), (3, 5, 1), (0, 0, 1)])
def test_paper_chunk_size(n_sentences, n_contexts, size):
    assert paper_chunk_size(n_sentences, n_contexts) == size


def _collection(texts_and_spans):
    docs, rows = [], []
    for d, (text, spans) in enumerate(texts_and_spans):
        docs.append(Document(f"d{d}", text))
        rows += [(f"d{d}", s, e) for s, e in spans]
    sentences = pd.DataFrame({"sid": range(len(rows)), "doc_id": [r[0] for r in rows],
                              "start": [r[1] for r in rows], "end": [r[2] for r in rows],
                              "text": [docs[int(r[0][1:])].text[r[1]:r[2]] for r in rows]})
    return Collection(docs, sentences, [], "en")


def test_chunks_never_cross_documents_and_keep_offsets():
    c = _collection([("A b.  C d. E f.", [(0, 4), (6, 10), (11, 15)]), ("G h.", [(0, 4)])])
    chunks = make_chunks(c, chunk_sentences=2)
    assert [(k.context_id, k.text) for k in chunks] == [("d0#0", "A b.  C d."), ("d0#1", "E f."), ("d1#0", "G h.")]
    assert chunks[0].sentences == [(0, 0, 4), (1, 6, 10)]
    assert chunks[1].sentences == [(2, 0, 4)]
    assert [chunks[0].sentence_text(i) for i in range(2)] == ["A b.", "C d."]


def test_chunks_default_to_the_paper_rule_and_close_at_max_chars():
    c = _collection([("A b. C d. E f. G h.", [(0, 4), (5, 9), (10, 14), (15, 19)])])
    assert [k.text for k in make_chunks(c)] == ["A b. C d. E f. G h."]         # 4 // 1 = 4 sentences
    assert [k.text for k in make_chunks(c, max_chars=9)] == ["A b. C d.", "E f. G h."]


def test_highlight_is_plain_insertion():
    assert highlight("abc", 1, 2, "<x>") == "a<x> b <x>c"
