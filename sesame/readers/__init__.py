"""Readers: extractive span models and LoRA-tuned LLMs, trained on synthetic pairs, evaluated on contexts.

Reader names (the `{reader}` of the workflow paths):
  extractive       an HF encoder fine-tuned for span extraction on the synthetic pairs (sesame.readers.extractive)
  extractive-base  a QA model used as-is (models.<lang>.extractive_base)
  llm-lora         a causal LM with LoRA on prompt -> answer pairs, peft or litgpt backend (sesame.readers.llm)
  llm-base         the same prompted LLM with no tuning
  external         a predictions file scored against the same references (sesame.readers.external)

This module stays light: the heavy imports (torch, transformers, peft, litgpt) live in the submodules.
"""

READERS = ("extractive", "extractive-base", "llm-lora", "llm-base", "external")
TRAINED_READERS = ("extractive", "llm-lora")

__all__ = ["READERS", "TRAINED_READERS"]
