"""What every reader shares: synthetic pairs, the seeded train/validation split, devices and model cards.

Why here: the extractive and LLM readers must split the same synthetic file the same way for a given
(frac, seed), so that a comparison between them is a comparison of readers, not of data.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from sesame.errors import SesameInputError
from sesame.io import read_json, read_jsonl, write_json

log = logging.getLogger(__name__)
READER_CARD = "reader.json"  # written into every trained reader folder: what it is and how to load it


@dataclass(frozen=True)
class Pair:
    """One synthetic (or gold) QA pair; `answer_start` indexes `context`."""

    context_id: str
    context: str
    question: str
    answer: str
    answer_start: int


def load_pairs(path: str | os.PathLike) -> list[Pair]:
    """Read synthetic pairs ({context_id, context, question, answer:{text,start}}) and check every span.

    A wrong `start` whose text still occurs in the context is repaired to the first occurrence at or
    after it (the original pipeline recorded `find()` offsets); an answer that is not in the context
    is a broken record and is reported with its line number. A file with no pairs at all (the generator
    kept none) is an error naming the stats file that says why, before any model is loaded or written.
    """
    records = read_jsonl(path, allow_empty=True)
    if not records:
        stats = Path(path).with_suffix(".stats.json")
        why = f"; {stats.name} beside it counts what the quality gate dropped" if stats.exists() else ""
        raise SesameInputError(f"no synthetic pairs to train on (the file is empty{why})", source=path,
                               fix="generate more pairs: a larger collection, a larger synthetic.max_pairs or "
                                   "max_answers_per_sentence, or another generator model")
    pairs = []
    for lineno, rec in enumerate(records, start=1):
        try:
            context, question = str(rec["context"]), str(rec["question"]).strip()
            text, start = str(rec["answer"]["text"]), int(rec["answer"]["start"])
        except (KeyError, TypeError, ValueError) as e:
            raise SesameInputError(f"synthetic pair lacks {e}", source=path, record=lineno,
                                   fix="each line needs context, question and answer: {text, start}") from None
        if not text.strip() or not question:
            raise SesameInputError("empty question or answer", source=path, record=lineno, fix="drop the record")
        if context[start:start + len(text)] != text:
            found = context.find(text, max(start, 0))
            found = context.find(text) if found < 0 else found
            if found < 0:
                raise SesameInputError(f"answer {text!r} is not in its context", source=path, record=lineno,
                                       fix="regenerate the synthetic data; answers must be spans of the context")
            start = found
        pairs.append(Pair(str(rec.get("context_id", lineno)), context, question, text, start))
    return pairs


def split_pairs(pairs: list[Pair], frac: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Seeded split holding out about `frac` of the pairs for validation (the paper's `test_split`).

    Whole contexts go to one side, so that validation loss measures generalisation to unseen text rather
    than to another question on a passage already trained on. With a single context, pairs are split.
    """
    if not 0 < frac < 1:
        raise SesameInputError(f"held-out fraction {frac} is not in (0, 1)", source="config",
                               fix="set grid.fractions to values such as 0.4")
    if len(pairs) < 2:
        raise SesameInputError(f"only {len(pairs)} synthetic pair(s); at least 2 are needed to train and validate",
                               fix="generate more synthetic data (synthetic.max_pairs) or use a larger collection")
    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        groups.setdefault(p.context_id, []).append(i)
    keys = sorted(groups)
    if len(keys) < 2:
        keys, groups = [str(i) for i in range(len(pairs))], {str(i): [i] for i in range(len(pairs))}
    rng.shuffle(keys)
    want = max(1, min(len(pairs) - 1, round(frac * len(pairs))))
    val: list[int] = []
    for k in keys:
        if len(val) >= want:
            break
        if len(val) + len(groups[k]) <= len(pairs) - 1:
            val.extend(groups[k])
    held = set(val)
    return [p for i, p in enumerate(pairs) if i not in held], [pairs[i] for i in sorted(held)]


def cap(items: list, limit: int | None, seed: int) -> list:
    """A seeded subset of at most `limit` items, kept in their original order."""
    if limit is None or len(items) <= limit:
        return list(items)
    keep = sorted(random.Random(seed).sample(range(len(items)), limit))
    return [items[i] for i in keep]


def stable_choice(n: int, seed: int, salt: str = "") -> int:
    """An index in [0, n) that depends only on (seed, salt): identical on every machine and Python version."""
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).hexdigest()
    return int(digest, 16) % n


# --- resumable training ----------------------------------------------------------------------------------

def checkpoint_dir(out_dir: str | os.PathLike, pairs: list[Pair], **shape) -> Path:
    """The folder where one training run keeps resumable checkpoints: a hidden sibling of its model folder.

    Why a sibling: the model folder is written atomically (it appears only when complete), so a run killed
    mid-training must keep its progress elsewhere; Snakemake neither sees nor deletes this folder, and
    `--rerun-incomplete` then resumes from the last checkpoint instead of starting over. A fingerprint of
    the pairs and of everything in `shape` (model, split, seed, config) guards against resuming a
    different run: a mismatch discards the old checkpoints.
    """
    out = Path(out_dir)
    ckpt = out.parent / f".{out.name}.checkpoints"
    digest = hashlib.sha256(json.dumps([asdict(p) for p in pairs], sort_keys=True).encode()).hexdigest()
    stamp = json.dumps({"pairs": digest, **shape}, sort_keys=True, default=str)
    marker = ckpt / "fingerprint.json"
    if ckpt.exists() and (not marker.exists() or marker.read_text(encoding="utf-8") != stamp):
        log.info("discarding checkpoints of a different training run in %s", ckpt)
        shutil.rmtree(ckpt)
    ckpt.mkdir(parents=True, exist_ok=True)
    marker.write_text(stamp, encoding="utf-8")
    return ckpt


def last_checkpoint(ckpt: Path) -> str | None:
    """The newest complete HF Trainer checkpoint in `ckpt` (one with its trainer state), or None."""
    done = [d for d in ckpt.glob("checkpoint-*") if (d / "trainer_state.json").exists()]
    if not done:
        return None
    newest = max(done, key=lambda d: int(d.name.rsplit("-", 1)[1]))
    log.info("resuming training from %s", newest)
    return str(newest)


# --- devices -------------------------------------------------------------------------------------------

def device_name() -> str:
    """'cuda' when a GPU is visible, else 'cpu'."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def use_bf16() -> bool:
    """bf16 only on a CUDA device that supports it; CPUs train in fp32 (bf16 on CPU is slow and lossy)."""
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def model_dtype():
    import torch

    return torch.bfloat16 if use_bf16() else torch.float32


def set_threads(threads: int | None) -> None:
    """Use exactly the cores the scheduler gave this job (torch defaults to all of them)."""
    import torch

    if threads:
        torch.set_num_threads(max(1, int(threads)))


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def versions(*extra: str) -> dict[str, str]:
    """Package versions recorded with every metric row and model card."""
    from sesame import __version__

    out = {"sesame": __version__, "python": platform.python_version()}
    for pkg in ("torch", "transformers", "peft", *extra):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


# --- config --------------------------------------------------------------------------------------------

def language_models(config: dict, language: str) -> dict:
    """models.<language> with the schema defaults filled in (a config may omit the whole block)."""
    block = dict((config.get("models") or {}).get(language) or {})
    return dict(_language_models(language, json.dumps(block, sort_keys=True)))


@functools.lru_cache(maxsize=64)
def _language_models(language: str, block: str) -> dict:
    """Cached: rule params ask for this once per job of the grid."""
    from sesame.config import validate_config

    probe = {"datasets": {"probe": {"format": "squad", "language": language}}, "models": {language: json.loads(block)}}
    return validate_config(probe)["models"][language]


def run_config(config: dict, dataset: str, retriever: str | None, reader: str, frac: float, seed: int) -> dict:
    """The config of exactly one run: a valid config whose grid is this single point.

    Stored in metrics.json (and used as rule params), so that unrelated edits (another dataset, another
    retriever in the grid) neither rerun this run nor change its hash.
    """
    ds = config["datasets"][dataset]
    lang = ds["language"]
    readers = {k: v for k, v in config.get("readers", {}).items() if k != "names"}
    retrieval = {k: v for k, v in config.get("retrieval", {}).items() if k != "retrievers"}
    return {"languages": [lang], "datasets": {dataset: ds}, "models": {lang: language_models(config, lang)},
            "synthetic": config.get("synthetic", {}),
            "retrieval": {**retrieval, "retrievers": [retriever] if retriever else []},
            "readers": {**readers, "names": [reader]}, "grid": {"fractions": [float(frac)], "seeds": [int(seed)]},
            "keep_models": config.get("keep_models", False)}


# --- reader cards ---------------------------------------------------------------------------------------

def write_card(model_dir: str | os.PathLike, card: dict) -> None:
    write_json(Path(model_dir) / READER_CARD, card)


def read_card(model_dir: str | os.PathLike) -> dict:
    path = Path(model_dir) / READER_CARD
    if not path.exists():
        raise SesameInputError("not a trained reader folder (no reader.json)", source=model_dir,
                               fix="train it with `sesame train-reader` or the train_reader rule")
    return read_json(path)
