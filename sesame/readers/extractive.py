"""Extractive reader: any HF encoder fine-tuned for span extraction, and span decoding over passages.

Why our own decoding: transformers 5 removed the question-answering pipeline. The decoder here scores
every (start, end) pair inside the context tokens of every window (max_length with a doc stride) of
every passage, keeps spans of at most `max_answer_length` tokens, and maps the best one back to
characters of its passage. Training fixes two bugs of the original: long contexts are windowed with a
stride instead of truncated, and an answer that starts at character 0 is a normal answer.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from sesame.config import known_fields
from sesame.errors import SesameInputError
from sesame.io import atomic_path
from sesame.models import resolve_model
from sesame.readers.common import (READER_CARD, Pair, checkpoint_dir, device_name, last_checkpoint, read_card,
                                   seed_everything, set_threads, split_pairs, use_bf16, versions, write_card)
from sesame.retrieval.contexts import Passage

log = logging.getLogger(__name__)


@dataclass
class ExtractiveConfig:
    """readers.extractive in the config (see config/schema.yaml); the last three are code-level knobs."""

    max_length: int = 384
    doc_stride: int = 128
    max_answer_length: int = 30
    epochs: float = 3
    learning_rate: float = 5e-5
    batch_size: int = 16
    grad_accum: int = 1
    patience: int = 2
    max_steps: int = -1          # cap on optimizer steps (tests); -1: epochs decide
    eval_batch_size: int = 32
    max_question_tokens: int = 64

    @classmethod
    def from_dict(cls, section: dict | None) -> "ExtractiveConfig":
        return cls(**known_fields(cls, section))

    def stride_for(self, question_tokens: int) -> int:
        """The doc stride, shrunk where a short max_length leaves too little room for it."""
        room = self.max_length - question_tokens - 3  # [CLS] q [SEP] c [SEP]
        if room < 8:
            raise SesameInputError(f"max_length {self.max_length} leaves no room for the context",
                                   source="config", fix="raise readers.extractive.max_length")
        return max(0, min(self.doc_stride, room // 2))


@dataclass(frozen=True)
class Span:
    """The best span of one question: character offsets into passages[passage].text."""

    answer: str
    score: float
    passage: int
    start: int
    end: int


def _question_budget(cfg: ExtractiveConfig) -> int:
    return min(cfg.max_question_tokens, cfg.max_length // 3)


def _clip_questions(tokenizer, questions: Sequence[str], limit: int) -> list[str]:
    """Cut over-long questions at a token boundary so that the context always gets a window."""
    enc = tokenizer(list(questions), add_special_tokens=False, return_offsets_mapping=True)
    return [q if len(off) <= limit else q[:off[limit - 1][1]] for q, off in zip(questions, enc["offset_mapping"])]


def encode_windows(tokenizer, questions: Sequence[str], contexts: Sequence[str], cfg: ExtractiveConfig):
    """Tokenise (question, context) pairs into overlapping windows with offsets and sequence ids."""
    budget = _question_budget(cfg)
    return tokenizer(_clip_questions(tokenizer, questions, budget), list(contexts), truncation="only_second",
                     max_length=cfg.max_length, stride=cfg.stride_for(budget), return_overflowing_tokens=True,
                     return_offsets_mapping=True, padding=False)


def context_bounds(sequence_ids: list[int | None]) -> tuple[int, int]:
    """First and last token index of the context (sequence 1) in one window."""
    ctx = [k for k, s in enumerate(sequence_ids) if s == 1]
    return ctx[0], ctx[-1]


def label_window(offsets: list[tuple[int, int]], sequence_ids: list[int | None], start: int,
                 end: int) -> tuple[int, int]:
    """Token (start, end) of the answer chars [start, end) in a window, or (0, 0) when it is not inside.

    (0, 0) points at [CLS]: windows without the answer teach the model to score their spans low, which
    is what makes span scores comparable across windows and passages at inference.
    """
    c0, c1 = context_bounds(sequence_ids)
    if offsets[c0][0] > start or offsets[c1][1] < end:
        return 0, 0
    ts = next(k for k in range(c0, c1 + 1) if offsets[k][1] > start)
    te = next(k for k in range(c1, c0 - 1, -1) if offsets[k][0] < end)
    return ts, te


def training_features(tokenizer, pairs: Sequence[Pair], cfg: ExtractiveConfig) -> list[dict]:
    """One labelled feature per window of every pair."""
    enc = encode_windows(tokenizer, [p.question for p in pairs], [p.context for p in pairs], cfg)
    keep = [k for k in enc.keys() if k in ("input_ids", "attention_mask", "token_type_ids")]
    feats = []
    for i, j in enumerate(enc["overflow_to_sample_mapping"]):
        p = pairs[j]
        s, e = label_window(enc["offset_mapping"][i], enc.sequence_ids(i), p.answer_start,
                            p.answer_start + len(p.answer))
        feats.append({**{k: enc[k][i] for k in keep}, "start_positions": s, "end_positions": e})
    return feats


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, context_mask: np.ndarray,
              max_answer_length: int) -> tuple[int, int, float] | None:
    """Highest start+end logit over context tokens with start <= end < start + max_answer_length."""
    n = len(start_logits)
    s = np.where(context_mask, start_logits, -np.inf)
    e = np.where(context_mask, end_logits, -np.inf)
    scores = s[:, None] + e[None, :]
    band = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), k=max_answer_length)
    scores = np.where(band, scores, -np.inf)
    flat = int(np.argmax(scores))
    i, j = divmod(flat, n)
    if not np.isfinite(scores[i, j]):
        return None
    return i, j, float(scores[i, j])


def decode_windows(enc, items: Sequence[tuple[int, int, str]], logits: Sequence[tuple[np.ndarray, np.ndarray]],
                   max_answer_length: int, results: list) -> list:
    """Fold every window's best span into `results[question]`, keeping the highest score.

    `items[j]` = (question index, passage index, passage text) of the j-th tokenised pair; `enc` is its
    windowed encoding (overflow_to_sample_mapping, offset_mapping, sequence ids) and `logits[i]` the
    (start, end) logits of window i. Character offsets come from the window's offset mapping.
    """
    for i, (s_log, e_log) in enumerate(logits):
        qi, pi, text = items[enc["overflow_to_sample_mapping"][i]]
        mask = np.array([s == 1 for s in enc.sequence_ids(i)])
        found = best_span(np.asarray(s_log), np.asarray(e_log), mask, max_answer_length)
        if found is None:
            continue
        ts, te, score = found
        a, b = enc["offset_mapping"][i][ts][0], enc["offset_mapping"][i][te][1]
        if results[qi] is None or score > results[qi].score:
            results[qi] = Span(text[a:b], score, pi, a, b)
    return results


# --- training ------------------------------------------------------------------------------------------

class _Features:
    """A list of feature dicts as a torch-style dataset."""

    def __init__(self, feats: list[dict]) -> None:
        self.feats = feats

    def __len__(self) -> int:
        return len(self.feats)

    def __getitem__(self, i: int) -> dict:
        return self.feats[i]


class _KeyWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("There were missing keys in the checkpoint model loaded",
                                              "There were unexpected keys in the checkpoint model loaded"))


@contextlib.contextmanager
def _quiet_best_model_reload():
    """Drop the Trainer's key-mismatch warnings when it restores the best epoch.

    Why: for checkpoints whose LayerNorm keys transformers renames on load (gamma/beta), the Trainer's
    plain load_state_dict reports every LayerNorm as missing. train_extractive reloads the best
    checkpoint with from_pretrained afterwards, which maps the keys, so the warning is only noise.
    """
    trainer_log = logging.getLogger("transformers.trainer")
    quiet = _KeyWarnings()
    trainer_log.addFilter(quiet)
    try:
        yield
    finally:
        trainer_log.removeFilter(quiet)


def train_extractive(pairs: Sequence[Pair], out_dir: str | Path, model_ref: str, frac: float, seed: int,
                     cfg: ExtractiveConfig | None = None, language: str = "en", threads: int | None = None,
                     model_key: str = "models.reader_encoder") -> dict:
    """Fine-tune `model_ref` on the pairs (a seeded `frac` held out for early stopping); write the model folder.

    Returns the reader card written beside the model (sizes, validation losses, steps).
    """
    import torch
    from transformers import (AutoModelForQuestionAnswering, AutoTokenizer, DataCollatorWithPadding,
                              EarlyStoppingCallback, Trainer, TrainingArguments)

    cfg = cfg or ExtractiveConfig()
    set_threads(threads)
    train, val = split_pairs(list(pairs), frac, seed)
    path = resolve_model(model_ref, model_key)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not getattr(tokenizer, "is_fast", False):
        raise SesameInputError(f"model {model_ref!r} has no fast tokenizer; span offsets need one",
                               source=model_key, fix="use a model with a tokenizer.json")
    seed_everything(seed)  # the span head of an encoder is freshly initialised: seed it
    model = AutoModelForQuestionAnswering.from_pretrained(path)
    train_feats, val_feats = training_features(tokenizer, train, cfg), training_features(tokenizer, val, cfg)
    log.info("extractive: %d train pairs (%d windows), %d validation pairs (%d windows), device %s",
             len(train), len(train_feats), len(val), len(val_feats), device_name())
    ckpt = checkpoint_dir(out_dir, list(pairs), model=model_ref, frac=frac, seed=seed, config=asdict(cfg))
    t0 = time.perf_counter()
    with atomic_path(out_dir, directory=True) as tmp:
        # Epoch checkpoints (with optimizer and RNG state) live in `ckpt`, so a killed run resumes.
        args = TrainingArguments(
            output_dir=str(ckpt), num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
            per_device_train_batch_size=cfg.batch_size, per_device_eval_batch_size=cfg.eval_batch_size,
            gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.learning_rate,
            lr_scheduler_type="constant", eval_strategy="epoch", save_strategy="epoch", save_total_limit=2,
            load_best_model_at_end=True, metric_for_best_model="eval_loss",
            greater_is_better=False, seed=seed, data_seed=seed, report_to=[], logging_strategy="epoch",
            bf16=use_bf16(), use_cpu=device_name() == "cpu", dataloader_num_workers=0)
        trainer = Trainer(model=model, args=args, train_dataset=_Features(train_feats),
                          eval_dataset=_Features(val_feats), data_collator=DataCollatorWithPadding(tokenizer),
                          callbacks=[EarlyStoppingCallback(early_stopping_patience=cfg.patience)])
        resume = last_checkpoint(ckpt)
        with _quiet_best_model_reload():
            trainer.train(resume_from_checkpoint=resume)
        history = [{"epoch": round(float(h["epoch"]), 4), "eval_loss": float(h["eval_loss"])}
                   for h in trainer.state.log_history if "eval_loss" in h]
        # The Trainer restores the best epoch with a plain load_state_dict, which skips checkpoint keys that
        # transformers renames on load (BERT's LayerNorm gamma/beta): reload the best checkpoint properly.
        best = trainer.state.best_model_checkpoint
        final = AutoModelForQuestionAnswering.from_pretrained(best) if best else trainer.model
        final.to(torch.float32).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        card = {"reader": "extractive", "base_model": model_ref, "language": language, "frac": frac, "seed": seed,
                "train_pairs": len(train), "val_pairs": len(val), "train_windows": len(train_feats),
                "val_windows": len(val_feats), "optimizer_steps": int(trainer.state.global_step),
                "history": history, "best_eval_loss": min((h["eval_loss"] for h in history), default=None),
                "resumed_from": Path(resume).name if resume else None,
                "config": asdict(cfg), "versions": versions()}
        write_card(tmp, card)
    shutil.rmtree(ckpt, ignore_errors=True)
    log.info("extractive: trained %d steps in %.1fs, validation loss %s", card["optimizer_steps"],
             time.perf_counter() - t0, [round(h["eval_loss"], 4) for h in history])
    return card


# --- inference -----------------------------------------------------------------------------------------

class ExtractiveReader:
    """A loaded span model; `predict` picks the best span per question over all its passages."""

    def __init__(self, model, tokenizer, cfg: ExtractiveConfig) -> None:
        self.model, self.tokenizer, self.cfg = model.eval(), tokenizer, cfg
        self.device = next(model.parameters()).device

    @classmethod
    def load(cls, model: str | Path, cfg: ExtractiveConfig | None = None, seed: int = 0,
             key: str = "models.extractive_base") -> "ExtractiveReader":
        """A trained reader folder, or any QA model reference (an encoder alone gets a seeded fresh head)."""
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        path = Path(model)
        if (path / READER_CARD).exists():
            card = read_card(path)
            cfg = cfg or ExtractiveConfig.from_dict(card.get("config"))
        else:
            path = Path(resolve_model(str(model), key))
        tokenizer = AutoTokenizer.from_pretrained(path)
        seed_everything(seed)
        qa = AutoModelForQuestionAnswering.from_pretrained(path, dtype=torch.bfloat16 if use_bf16() else torch.float32)
        return cls(qa.to(device_name()), tokenizer, cfg or ExtractiveConfig())

    def _logits(self, feats: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
        import torch

        order = sorted(range(len(feats)), key=lambda i: len(feats[i]["input_ids"]))
        out: list = [None] * len(feats)
        bs = self.cfg.eval_batch_size
        for b in range(0, len(order), bs):
            idx = order[b:b + bs]
            batch = self.tokenizer.pad([feats[i] for i in idx], return_tensors="pt")
            with torch.inference_mode():
                res = self.model(**{k: v.to(self.device) for k, v in batch.items()})
            starts, ends = res.start_logits.float().cpu().numpy(), res.end_logits.float().cpu().numpy()
            for r, i in enumerate(idx):
                n = len(feats[i]["input_ids"])
                out[i] = (starts[r, :n], ends[r, :n])
        return out

    def predict(self, questions: Sequence[str], passages: Sequence[list[Passage]], progress: bool = False,
                chunk: int = 64) -> list[Span | None]:
        """Per question, the best span over every window of every passage (None: no passage)."""
        from tqdm.auto import tqdm

        results: list[Span | None] = [None] * len(questions)
        starts = range(0, len(questions), chunk)
        for c in tqdm(starts, desc="extractive reader", unit="chunk", disable=not progress):
            items = [(qi, pi, p.text) for qi in range(c, min(c + chunk, len(questions)))
                     for pi, p in enumerate(passages[qi]) if p.text.strip()]
            if not items:
                continue
            enc = encode_windows(self.tokenizer, [questions[qi] for qi, _, _ in items], [t for _, _, t in items],
                                 self.cfg)
            keep = [k for k in enc.keys() if k in ("input_ids", "attention_mask", "token_type_ids")]
            feats = [{k: enc[k][i] for k in keep} for i in range(len(enc["input_ids"]))]
            decode_windows(enc, items, self._logits(feats), self.cfg.max_answer_length, results)
        return results
