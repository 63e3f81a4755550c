"""`sesame collection`: build the normalised collection files from a dataset."""

from __future__ import annotations

import argparse

from sesame.data.collection import LANGUAGES
from sesame.data.loaders import FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("collection", help="load, validate and segment a dataset into collection files",
                       description="Build documents.jsonl, sentences.parquet, questions.jsonl and manifest.json.")
    p.add_argument("--input", required=True, help="MRQA jsonl, SQuAD json, or a folder of .txt/.md documents")
    p.add_argument("--format", required=True, choices=FORMATS, help="input format")
    p.add_argument("--language", required=True, choices=LANGUAGES, help="language of the documents")
    p.add_argument("--out", required=True, help="output folder (written atomically)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sesame.data import make_collection

    c = make_collection(args.input, args.format, args.language, args.out)
    m = c.manifest
    print(f"{args.out}: {m['documents']} documents, {m['sentences']} sentences, {m['questions']} questions "
          f"({m['with_gold_sentence']} with a gold sentence), language {m['language']}")
    return 0
