"""sesame.readers' extractive reader behind the ask engine's `predict(questions, passages)`.

The reader is loaded exactly as the run's evaluation loaded it (sesame.readers.evaluate.make_predictor:
the run config's `readers.extractive` settings and the run's seed), and its own span decoder is used
unchanged, so an answer from `sesame ask` is the answer the run gave.
"""

from __future__ import annotations


def open_reader(kind: str, model: str, language: str, config: dict, seed: int = 0):
    from sesame.readers.extractive import ExtractiveConfig, ExtractiveReader

    cfg = ExtractiveConfig.from_dict((config.get("readers") or {}).get("extractive"))
    if kind == "extractive":
        return ExtractiveReader.load(model, cfg, seed)
    return ExtractiveReader.load(model, cfg, seed, key=f"models.{language}.extractive_base")


def is_gold_record(record: dict) -> bool:
    """Whether a predictions.contexts.jsonl record was predicted on the gold context."""
    return record.get("setting") == "gold"
