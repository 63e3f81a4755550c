"""Sentence retrieval: BM25 (paper-exact and stemmed), dense FAISS, hybrid fusion, oracle, reader contexts.

Importing this package stays light: torch, sentence-transformers and faiss load only when a dense
index is built or searched.
"""

from sesame.retrieval.contexts import Passage, build_contexts, gold_context, join_passages
from sesame.retrieval.stage import (INDEX_KINDS, RETRIEVERS, RetrievalConfig, build_index, evaluate_run,
                                    load_index, oracle_run, read_run, retrieve, retrieve_collection, write_index)

__all__ = ["Passage", "build_contexts", "gold_context", "join_passages", "INDEX_KINDS", "RETRIEVERS",
           "RetrievalConfig", "build_index", "evaluate_run", "load_index", "oracle_run", "read_run", "retrieve",
           "retrieve_collection", "write_index"]
