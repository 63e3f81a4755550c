"""Paths shared by the tests/ask modules and their conftest (imported as a plain module)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HANDBOOK = REPO / "data" / "demo" / "en" / "handbook.json"
RETRIEVERS = ("bm25", "dense", "hybrid")
FRAC, SEED = 0.4, 0
ARTIFACTS = REPO / "test-artifacts"


def run_dir(root: Path, retriever: str = "hybrid") -> Path:
    """The run folder of one retriever (extractive reader) inside a fixture workflow root."""
    return root / "results" / "en" / "demo_en" / "runs" / retriever / "extractive" / f"frac{FRAC}" / f"seed{SEED}"
