"""Synthetic QA generation: T5 answer extraction -> question generation (the paper), or a prompted LLM.

Every pair goes through one quality gate (exact answer span at the highlighted offset, no
duplicates, no degenerate questions), and the stage writes jsonl plus a stats json.
"""

from sesame.synth.stage import GENERATORS, SynthConfig, generate_synthetic

__all__ = ["GENERATORS", "SynthConfig", "generate_synthetic"]
