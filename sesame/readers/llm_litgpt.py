"""The litgpt backend of the LLM reader: convert the HF checkpoint, LoRA-finetune, merge, generate.

Why a second backend: litgpt is the lean, scriptable trainer many clusters already use. It runs through
litgpt's Python API (no subprocess), on the same prompts, split and one-shot as the peft backend. The HF
folder's name must be a litgpt config name (`SmolLM2-135M-Instruct` for the offline model).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import yaml

from sesame.errors import SesameInputError
from sesame.io import atomic_path
from sesame.models import resolve_model
from sesame.readers.common import Pair, device_name, set_threads, use_bf16, versions, write_card
from sesame.readers.llm import LLMConfig, check_quantization, fit_context, load_tokenizer, prepare_split
from sesame.readers.prompts import answer_prefix, build_prompt, oneshot

log = logging.getLogger(__name__)
LIT_DIR = "litgpt"  # the merged litgpt checkpoint inside a reader folder
RAW_STYLE = "sesame-raw"  # litgpt's Default prompt style (prompt used as is), registered under a name below


def _run_litgpt(command: str, args: list, threads: int | None) -> None:
    """Run a litgpt CLI command in a child process, its output streamed into our log.

    Why not litgpt's Python API: finetune_lora re-parses sys.argv to save its hyperparameters, which
    fails inside pytest or a Snakemake script; a child process also keeps Lightning's global state
    (seeds, loggers, signal handlers) out of ours.
    """
    cmd = [sys.executable, "-m", "sesame.readers.llm_litgpt", command, *map(str, args)]
    env = {**os.environ, "SESAME_THREADS": str(threads or "")}
    log.info("litgpt %s (child process)", command)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.strip() and "it/s]" not in line:
                log.info("litgpt: %s", line.rstrip())
    if proc.returncode != 0:
        raise RuntimeError(f"litgpt {command} failed (exit {proc.returncode}):\n" + "\n".join(lines[-40:]))


def _precision() -> str:
    return "bf16-true" if use_bf16() else "32-true"


def convert(hf_dir: str | Path, work: Path) -> Path:
    """A litgpt checkpoint of an HF folder: file links in `work/<name>` plus the converted lit_model.pth."""
    from litgpt.config import name_to_config
    from litgpt.scripts.convert_hf_checkpoint import convert_hf_checkpoint

    hf_dir = Path(hf_dir)
    if hf_dir.name not in name_to_config:
        raise SesameInputError(f"litgpt has no model config named {hf_dir.name!r}", source=hf_dir,
                               fix="put the HF files in a folder named like a litgpt config (e.g. "
                                   "SmolLM2-135M-Instruct), or use readers.llm.backend: peft")
    ckpt = work / hf_dir.name
    ckpt.mkdir(parents=True, exist_ok=True)
    for f in hf_dir.iterdir():
        if f.is_file():
            os.symlink(f.resolve(), ckpt / f.name)
    _give_bos(ckpt)
    convert_hf_checkpoint(checkpoint_dir=ckpt, model_name=hf_dir.name)
    return ckpt


def _give_bos(ckpt: Path) -> None:
    """litgpt always prepends a BOS for some models (SmolLM2-Instruct among them); name one if the folder has none.

    Our SmolLM2 folder has no BOS (its chat prompts start with <|im_start|> themselves), so litgpt gets
    <|im_start|> as BOS, which it does not repeat where a prompt already starts with it.
    """
    from litgpt.tokenizer import Tokenizer

    tok = Tokenizer(ckpt)
    if not tok.use_bos or tok.bos_id is not None:
        return
    if tok.processor.token_to_id("<|im_start|>") is None if tok.backend == "huggingface" else True:
        raise SesameInputError("litgpt wants a BOS token for this model and its tokenizer names none", source=ckpt,
                               fix="set bos_token in tokenizer_config.json, or use readers.llm.backend: peft")
    cfg_path = ckpt / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg_path.unlink()  # a symlink into the model cache: replace it, never write through it
    cfg_path.write_text(json.dumps({**cfg, "bos_token": "<|im_start|>"}, indent=2))


def _records(pairs: Sequence[Pair], tok, cfg: LLMConfig, language: str, example) -> list[dict]:
    """litgpt SFT records: the whole prompt as `instruction` (litgpt's Default prompt style leaves it as is)."""
    prefix = answer_prefix(cfg.template)
    return [{"instruction": build_prompt(cfg.template, language, fit_context(tok, p.context, cfg.max_context_tokens),
                                         p.question, example, tok), "input": "", "output": prefix + p.answer}
            for p in pairs]


def _final_val_loss(out: Path) -> float | None:
    for f in sorted(out.glob("logs/csv/*/metrics.csv")):
        with open(f, newline="") as fh:
            vals = [float(r["val_loss"]) for r in csv.DictReader(fh) if r.get("val_loss")]
        if vals:
            return vals[-1]
    return None


def train_litgpt(pairs: Sequence[Pair], out_dir: str | Path, model_ref: str, frac: float, seed: int,
                 cfg: LLMConfig, language: str = "en", threads: int | None = None,
                 model_key: str = "models.llm") -> dict:
    """convert -> finetune_lora (LoRA on q, k, v, projection and MLP) -> merged checkpoint in <out>/litgpt."""
    check_quantization(cfg)
    set_threads(threads)
    train, val = prepare_split(pairs, frac, seed, cfg)
    hf = Path(resolve_model(model_ref, model_key))
    tok = load_tokenizer(str(hf))
    example = oneshot(cfg.oneshot_file, language, seed)
    epochs = max(1, round(cfg.epochs))
    if epochs != cfg.epochs:
        log.warning("litgpt trains whole epochs: readers.llm.epochs %s rounded to %d", cfg.epochs, epochs)
    t0 = time.perf_counter()
    with atomic_path(out_dir, directory=True) as tmp:
        ckpt = convert(hf, tmp / "_base")
        data_dir = tmp / "_data"
        data_dir.mkdir()
        for name, part in (("train", train), ("val", val)):
            (data_dir / f"{name}.json").write_text(json.dumps(_records(part, tok, cfg, language, example)))
        settings = {
            "checkpoint_dir": str(ckpt), "out_dir": str(tmp / "_finetune"), "precision": _precision(),
            "quantize": "bnb.nf4" if cfg.quantize_4bit else None, "devices": 1, "lora_r": cfg.lora_r,
            "lora_alpha": cfg.lora_alpha, "lora_dropout": cfg.lora_dropout, "lora_query": True, "lora_key": True,
            "lora_value": True, "lora_projection": True, "lora_mlp": True, "lora_head": False,
            "data": {"class_path": "litgpt.data.JSON",
                     "init_args": {"json_path": str(data_dir), "mask_prompt": cfg.mask_prompt,
                                   "prompt_style": RAW_STYLE, "seed": seed, "num_workers": 0}},
            # litgpt's scheduler needs a warmup step (its LambdaLR divides by it); that first step runs at LR 0
            "train": {"save_interval": None, "log_interval": 1, "global_batch_size": cfg.batch_size * cfg.grad_accum,
                      "micro_batch_size": cfg.batch_size, "epochs": epochs, "lr_warmup_steps": 1,
                      "max_steps": cfg.max_steps if cfg.max_steps > 0 else None},
            "eval": {"interval": 10**9, "max_new_tokens": 4, "max_iters": max(1, len(val)),
                     "initial_validation": False, "final_validation": True},
            "optimizer": {"class_path": "torch.optim.AdamW",
                          "init_args": {"lr": cfg.learning_rate, "weight_decay": cfg.weight_decay}},
            "logger_name": "csv", "seed": seed,
        }
        (data_dir / "finetune.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
        args = ["--config", data_dir / "finetune.yaml"]
        _run_litgpt("finetune_lora", args, threads)
        final = tmp / "_finetune" / "final"
        shutil.move(str(final), str(tmp / LIT_DIR))
        val_loss = _final_val_loss(tmp / "_finetune")
        for junk in ("_base", "_data", "_finetune"):
            shutil.rmtree(tmp / junk, ignore_errors=True)
        card = {"reader": "llm-lora", "backend": "litgpt", "base_model": model_ref, "language": language,
                "frac": frac, "seed": seed, "template": cfg.template, "train_pairs": len(train), "val_pairs": len(val),
                "epochs": epochs, "val_loss_after": val_loss, "oneshot": asdict(example) if example else None,
                "config": asdict(cfg), "versions": versions("litgpt")}
        write_card(tmp, card)
    log.info("llm-lora (litgpt): trained and merged in %.1fs, validation loss %s", time.perf_counter() - t0, val_loss)
    return card


class LitGPTGenerator:
    """Generation with a merged litgpt checkpoint, one prompt at a time (litgpt's API has batch size 1)."""

    def __init__(self, llm, cfg: LLMConfig, seed: int = 0) -> None:
        self.llm, self.cfg, self.seed = llm, cfg, seed

    @classmethod
    def load(cls, reader_dir: str | Path, cfg: LLMConfig, seed: int = 0):
        from litgpt.api import LLM

        lit = Path(reader_dir) / LIT_DIR
        llm = LLM.load(str(lit), distribute=None)
        llm.distribute(accelerator="cuda" if device_name() == "cuda" else "cpu", devices=1, precision=_precision(),
                       quantize="bnb.nf4" if cfg.quantize_4bit else None)
        return cls(llm, cfg, seed), load_tokenizer(str(lit))

    def generate(self, prompts: Sequence[str], progress: bool = False) -> list[tuple[str, float | None]]:
        import torch
        from tqdm.auto import tqdm

        cfg = self.cfg
        torch.manual_seed(self.seed)
        out = []
        for p in tqdm(prompts, desc="llm reader (litgpt)", unit="prompt", disable=not progress):
            text = self.llm.generate(p, max_new_tokens=cfg.max_new_tokens,
                                     temperature=0.0 if cfg.greedy else cfg.temperature,
                                     top_k=None if cfg.greedy else cfg.top_k, top_p=1.0 if cfg.greedy else cfg.top_p)
            out.append((text, None))
        return out


if __name__ == "__main__":  # the child process of _run_litgpt: litgpt's CLI plus our raw prompt style
    from litgpt.__main__ import main as litgpt_main
    from litgpt.prompts import Default, prompt_styles

    if os.environ.get("SESAME_THREADS"):
        import torch

        torch.set_num_threads(int(os.environ["SESAME_THREADS"]))
    prompt_styles[RAW_STYLE] = Default
    litgpt_main()
