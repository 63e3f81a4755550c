"""`sesame ask` and `sesame serve`: ask the adapted system questions, from a shell or a browser."""

from __future__ import annotations

import argparse
import json
import sys

_PIPELINE_HELP = ("Either --run (a finished run folder, from which the collection, index and reader model are found) "
                  "or --collection, --retriever and --reader.")


def _threshold(value: str) -> float | str | None:
    if value in ("auto", "none"):
        return None if value == "none" else value
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, 'auto' or 'none', not {value!r}") from None


def _pipeline_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to load", _PIPELINE_HELP)
    g.add_argument("--run", help="run folder results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{F}/seed{S}")
    g.add_argument("--collection", help="collection folder (with --retriever and --reader)")
    g.add_argument("--retriever", help="index folder: .../index/bm25, .../index/dense, or .../index for hybrid")
    g.add_argument("--retriever-kind", choices=("bm25", "dense", "hybrid"), help="override the kind --retriever implies")
    g.add_argument("--reader", help="trained extractive reader folder (.../models/extractive/frac{F}/seed{S})")
    g.add_argument("--calibration", help="predictions.contexts.jsonl to calibrate the threshold on (with explicit paths)")
    p.add_argument("--threshold", type=_threshold, default="auto",
                   help="reader score below which the answer is 'no confident answer': a number, 'none' (always answer) "
                        "or 'auto' (default: calibrated on the run's gold-context predictions)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--max-question-chars", type=int, default=1000, help="longest question accepted (default 1000)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer questions with a finished run's index and reader",
                       description="Answer a question (or questions read from stdin, one a line, when none is given) "
                                   "with the retriever and extractive reader of a workflow run. Prints the answer, its "
                                   "confidence score and the source sentence with its document id; says 'no confident "
                                   "answer' when the score is below the threshold. " + _PIPELINE_HELP)
    p.add_argument("question", nargs="?", help="the question; omit it to read questions from stdin")
    _pipeline_args(p)
    p.add_argument("--top-k", type=int, default=None, help="passages given to the reader (default: the run's top_k_contexts)")
    p.add_argument("--show-passages", action="store_true", help="also print the retrieved passages")
    p.add_argument("--json", action="store_true", help="print one JSON object per question instead of text")
    p.add_argument("--info", action="store_true", help="print what is loaded and the calibration, then exit")
    p.set_defaults(func=run_ask)

    s = sub.add_parser("serve", help="a local question-answering page and JSON API over a finished run",
                       description="Load the run's index and reader once and serve GET / (a question page) and "
                                   "POST /ask ({\"question\": ..., \"top_k\": ...} -> answer JSON with latency) "
                                   "on loopback. " + _PIPELINE_HELP)
    _pipeline_args(s)
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--max-batch", type=int, default=16, help="most questions answered together (default 16)")
    s.set_defaults(func=run_serve)


def build_engine(args: argparse.Namespace):
    from sesame.ask.engine import AskEngine, AskPaths
    from sesame.errors import SesameInputError

    explicit = (args.collection, args.retriever, args.reader)
    if args.run and any(explicit):
        raise SesameInputError("give either --run or --collection/--retriever/--reader, not both")
    if args.run:
        paths = AskPaths.from_run(args.run)
    elif all(explicit):
        paths = AskPaths.explicit(args.collection, args.retriever, args.reader, args.retriever_kind, args.calibration)
    else:
        raise SesameInputError("nothing to load", fix="pass --run RUN_DIR, or all of --collection, --retriever, --reader")
    return AskEngine(paths, threshold=args.threshold, threads=args.threads, max_question_chars=args.max_question_chars)


def format_answer(res: dict, show_passages: bool = False) -> str:
    """The human-readable answer block printed by `sesame ask`."""
    lines = []
    score = "–" if res["score"] is None else f"{res['score']:.2f}"
    th = "" if res["threshold"] is None else f", threshold {res['threshold']:.2f}"
    if res["confident"]:
        lines.append(f"answer: {res['answer']}   (confidence {score}{th})")
    else:
        guess = f"; best guess {res['best_span']!r}" if res["best_span"] else ""
        lines.append(f"no confident answer   (score {score}{th}{guess})")
    src = res["source"]
    if src:
        lines.append(f"source: document {src['doc_id']} ({src['title']}), sentence {src['sid']}:")
        lines.append(f"  {src['sentence']}")
    lat = res["latency_ms"]
    lines.append(f"latency: {lat['total']:.0f} ms (retrieval {lat['retrieve']:.0f}, reader {lat['read']:.0f})")
    if show_passages:
        for i, p in enumerate(res["passages"]):
            star = " *" if src and i == src["passage"] else ""
            lines.append(f"[{p['rank']}] {p['doc_id']} ({p['title']}){star}")
            lines.append("    " + p["text"].replace("\n", "\n    "))
    return "\n".join(lines)


def _emit(res: dict, args: argparse.Namespace) -> None:
    print(json.dumps(res, ensure_ascii=False) if args.json else format_answer(res, args.show_passages), flush=True)


def run_ask(args: argparse.Namespace) -> int:
    from sesame.errors import SesameInputError

    engine = build_engine(args)
    if args.info:
        print(json.dumps(engine.info(), indent=2, ensure_ascii=False))
        return 0
    if args.question is not None:
        _emit(engine.ask(args.question, args.top_k), args)
        return 0
    interactive = sys.stdin.isatty()
    if interactive:
        print("Type a question and press Enter (Ctrl-D to quit).", file=sys.stderr)
    while True:
        if interactive:
            print("? ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        try:
            _emit(engine.ask(line, args.top_k), args)
        except SesameInputError as e:  # one bad line must not end the session
            print(f"sesame ask: error: {e}", file=sys.stderr)
        if not args.json:
            print(flush=True)


def run_serve(args: argparse.Namespace) -> int:
    from sesame.ask.server import serve

    serve(build_engine(args), host=args.host, port=args.port, max_batch=args.max_batch)
    return 0
