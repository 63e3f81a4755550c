"""LLM prompts (exact strings, en and pt), the seeded one-shot draw, answer post-processing, pair splits."""

from __future__ import annotations

import json

import pytest

from sesame.errors import SesameInputError
from sesame.readers.common import Pair, cap, load_pairs, split_pairs, stable_choice
from sesame.readers.llm import IGNORE, encode_example
from sesame.readers.postprocess import clean_generation, match_span
from sesame.readers.prompts import (Example, build_prompt, load_examples, oneshot, pick_example)

from _reader_fixtures import ONESHOT

EX_EN = Example("The lab opened in 1998.", "When did the lab open?", "1998")
EX_PT = Example("O laboratório abriu em 1998.", "Quando o laboratório abriu?", "1998")

LLAMA2_EN = (
    "[INST]<<SYS>>\n"
    "You are an extractive reading-comprehension system. Answer the question with a short span copied exactly "
    "from the context, at most 20 words. Do not explain and do not add anything else.\n"
    "<</SYS>>\n\n"
    "Here is an example:\n"
    "### Context:\nThe lab opened in 1998.\n### Question:\nWhen did the lab open?\n### Response:\n1998\n\n"
    "### Context:\nAna led it.\n### Question:\nWho led it?\n### Response:[/INST]"
)
LLAMA2_PT = (
    "[INST]<<SYS>>\n"
    "Você é um sistema extrativo de compreensão de leitura. Responda à pergunta com um trecho curto copiado "
    "exatamente do contexto, com no máximo 20 palavras. Não explique e não acrescente nada.\n"
    "<</SYS>>\n\n"
    "Aqui está um exemplo:\n"
    "### Contexto:\nO laboratório abriu em 1998.\n### Questão:\nQuando o laboratório abriu?\n### Resposta:\n1998\n\n"
    "### Contexto:\nAna o dirigiu.\n### Questão:\nQuem o dirigiu?\n### Resposta:[/INST]"
)


def test_llama2_prompt_exact_en_pt():
    assert build_prompt("llama2", "en", "Ana led it.", "Who led it?", EX_EN) == LLAMA2_EN
    assert build_prompt("llama2", "pt", " Ana o dirigiu.\n", "Quem o dirigiu?", EX_PT) == LLAMA2_PT


def test_llama2_prompt_without_example():
    p = build_prompt("llama2", "en", "C.", "Q?")
    assert "Here is an example" not in p
    assert p.endswith("<</SYS>>\n\n### Context:\nC.\n### Question:\nQ?\n### Response:[/INST]")


@pytest.fixture(scope="module")
def smol_tokenizer():
    from sesame.models import smollm2_hf_dir
    from sesame.readers.llm import load_tokenizer

    return load_tokenizer(str(smollm2_hf_dir()))


def test_chat_prompt_exact_en_pt(smol_tokenizer):
    en = build_prompt("chat", "en", "Ana led it.", "Who led it?", EX_EN, smol_tokenizer)
    assert en == (
        "<|im_start|>system\nYou are an extractive reading-comprehension system. Answer the question with a short "
        "span copied exactly from the context, at most 20 words. Do not explain and do not add anything else."
        "<|im_end|>\n"
        "<|im_start|>user\n### Context:\nThe lab opened in 1998.\n### Question:\nWhen did the lab open?\n"
        "### Response:<|im_end|>\n<|im_start|>assistant\n1998<|im_end|>\n"
        "<|im_start|>user\n### Context:\nAna led it.\n### Question:\nWho led it?\n### Response:<|im_end|>\n"
        "<|im_start|>assistant\n")
    pt = build_prompt("chat", "pt", "Ana o dirigiu.", "Quem o dirigiu?", None, smol_tokenizer)
    assert pt == (
        "<|im_start|>system\nVocê é um sistema extrativo de compreensão de leitura. Responda à pergunta com um "
        "trecho curto copiado exatamente do contexto, com no máximo 20 palavras. Não explique e não acrescente "
        "nada.<|im_end|>\n"
        "<|im_start|>user\n### Contexto:\nAna o dirigiu.\n### Questão:\nQuem o dirigiu?\n### Resposta:<|im_end|>\n"
        "<|im_start|>assistant\n")


def test_prompt_masking_hides_exactly_the_prompt(smol_tokenizer):
    prompt = build_prompt("chat", "en", "Ana led it.", "Who led it?", None, smol_tokenizer)
    ex = encode_example(smol_tokenizer, prompt, "Ana", mask_prompt=True)
    n_prompt = len(smol_tokenizer(prompt)["input_ids"])
    assert ex["labels"][:n_prompt] == [IGNORE] * n_prompt
    target = ex["labels"][n_prompt:]
    assert target[-1] == smol_tokenizer.eos_token_id and smol_tokenizer.decode(target[:-1]) == "Ana"
    assert ex["input_ids"][n_prompt:] == target
    unmasked = encode_example(smol_tokenizer, prompt, "Ana", mask_prompt=False)
    assert unmasked["labels"] == unmasked["input_ids"] == ex["input_ids"]


def test_unknown_template_and_language_are_user_errors():
    with pytest.raises(SesameInputError, match="template"):
        build_prompt("alpaca", "en", "c", "q")
    with pytest.raises(SesameInputError, match="language"):
        build_prompt("llama2", "fr", "c", "q")


def test_seeded_oneshot_is_stable():
    examples = load_examples(ONESHOT, "en")
    assert len(examples) >= 3
    # pinned: the draw is sha256-based, so it must never change across machines or Python versions
    assert [stable_choice(12, s, "oneshot") for s in range(5)] == [8, 11, 7, 2, 2]
    assert pick_example(examples, 0) == pick_example(load_examples(ONESHOT, "en"), 0)
    assert oneshot(ONESHOT, "en", 3) == examples[stable_choice(len(examples), 3, "oneshot")]
    assert len({pick_example(examples, s) for s in range(30)}) > 1  # the seed matters
    pt = oneshot(ONESHOT, "pt", 0)
    assert pt in load_examples(ONESHOT, "pt") and pt.context != oneshot(ONESHOT, "en", 0).context
    assert oneshot(None, "en", 0) is None


def test_bad_oneshot_file(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps([{"context": "c", "question": "q"}]))
    with pytest.raises(SesameInputError, match="item 0"):
        load_examples(bad, "en")


@pytest.mark.parametrize("raw, answer, how", [
    ("1998", "1998", "exact"),
    ("Answer: 1998.\nBecause the text says so.", "1998", "exact"),
    ('"dr. ana lima"', "Dr. Ana Lima", "case"),
    # answer words (no articles) ana lima led lab: "Ana Lima led" has F1 2*1*.75/1.75 = .86, the best run
    ("Ana Lima led the lab", "Ana Lima led", "fuzzy"),
    ("a purple elephant", "a purple elephant", "none"),
])
def test_match_span(raw, answer, how):
    context = "The Meridian lab opened in 1998. Dr. Ana Lima led it for ten years."
    m = match_span(raw, context)
    assert (m.answer, m.how) == (answer, how)
    if m.start is not None:
        assert context[m.start:m.start + len(m.answer)] == m.answer


def test_clean_generation():
    assert clean_generation("  ### Resposta: «Porto Ametista».  ") == "Porto Ametista"
    assert clean_generation("\n\nThe answer is: 42\nmore") == "42"
    assert clean_generation("") == ""


def _pairs(n_contexts: int, per: int) -> list[Pair]:
    return [Pair(f"c{c}", f"ctx {c}", f"q{c}-{i}", "ctx", 0) for c in range(n_contexts) for i in range(per)]


def test_split_is_seeded_grouped_and_sized():
    pairs = _pairs(20, 3)
    train, val = split_pairs(pairs, 0.4, seed=1)
    assert (train, val) == split_pairs(pairs, 0.4, seed=1)
    assert split_pairs(pairs, 0.4, seed=2) != (train, val)
    assert len(val) == 24 and len(train) == 36
    assert {p.context_id for p in train}.isdisjoint({p.context_id for p in val})
    assert sorted(train + val, key=pairs.index) == pairs
    one_context = _pairs(1, 10)
    t1, v1 = split_pairs(one_context, 0.2, seed=0)
    assert len(v1) == 2 and len(t1) == 8
    with pytest.raises(SesameInputError):
        split_pairs(pairs[:1], 0.4, 0)


def test_cap_keeps_order():
    items = list(range(10))
    assert cap(items, None, 0) == items and cap(items, 20, 0) == items
    sub = cap(items, 4, 0)
    assert len(sub) == 4 and sub == sorted(sub) and sub == cap(items, 4, 0)


def test_load_pairs_checks_and_repairs_spans(tmp_path):
    f = tmp_path / "p.jsonl"
    rows = [{"context_id": "a", "context": "It opened in 1998.", "question": "When?",
             "answer": {"text": "1998", "start": 0}},                     # wrong start, repaired to 13
            {"context_id": "b", "context": "Meridian is old.", "question": "What?",
             "answer": {"text": "Meridian", "start": 0}}]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    a, b = load_pairs(f)
    assert (a.answer_start, b.answer_start) == (13, 0)
    rows.append({"context": "x", "question": "y?", "answer": {"text": "zzz", "start": 0}})
    f.write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(SesameInputError, match="line 3"):
        load_pairs(f)


def test_fit_context_cuts_at_a_token_boundary(smol_tokenizer):
    from sesame.readers.llm import fit_context

    text = "The Meridian Institute employs about 240 staff, of whom 86 are research scientists. " * 5
    cut = fit_context(smol_tokenizer, text, 12)
    assert text.startswith(cut) and len(smol_tokenizer(cut)["input_ids"]) == 12
    assert fit_context(smol_tokenizer, "Short.", 12) == "Short."
    assert fit_context(smol_tokenizer, "Açaí 🌊 " * 3, 500) == "Açaí 🌊 " * 3
