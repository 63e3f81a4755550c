"""LLM reader: LoRA fine-tuning of a causal LM on prompt -> answer pairs, and prompted generation.

Two backends share one interface (`train_llm`, `LLMReader`): peft on HF models (here) and litgpt
(sesame.readers.llm_litgpt). The prompt is masked out of the loss by default, the HF Trainer's schedule
makes one epoch see every training pair exactly once (the card records the count), and 4-bit QLoRA is
available where CUDA and bitsandbytes are, with a clear error elsewhere. Generated text is post-processed
to a span of the context where one matches.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from sesame.config import known_fields
from sesame.errors import SesameInputError
from sesame.io import atomic_path
from sesame.models import resolve_model
from sesame.readers.common import (READER_CARD, Pair, cap, checkpoint_dir, device_name, last_checkpoint,
                                   model_dtype, read_card, seed_everything, set_threads, split_pairs, use_bf16,
                                   versions, write_card)
from sesame.readers.postprocess import match_span
from sesame.readers.prompts import Example, answer_prefix, build_prompt, oneshot
from sesame.retrieval.contexts import Passage, join_passages

log = logging.getLogger(__name__)
IGNORE = -100


@dataclass
class LLMConfig:
    """readers.llm in the config (see config/schema.yaml); the last two are code-level knobs."""

    backend: str = "peft"
    template: str = "chat"
    oneshot_file: str | None = None
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    learning_rate: float = 1e-3
    epochs: float = 1
    batch_size: int = 4
    grad_accum: int = 1
    weight_decay: float = 0.01
    mask_prompt: bool = True
    quantize_4bit: bool = False
    max_examples: int | None = None
    max_questions: int | None = None
    generation_batch_size: int = 8
    max_context_tokens: int = 1024
    max_new_tokens: int = 64
    temperature: float = 0.1
    top_p: float = 0.8
    top_k: int = 200
    greedy: bool = True
    save_steps: int = 50
    max_steps: int = -1          # cap on optimizer steps (tests); -1: epochs decide

    @classmethod
    def from_dict(cls, section: dict | None) -> "LLMConfig":
        return cls(**known_fields(cls, section))


def check_quantization(cfg: LLMConfig) -> None:
    """QLoRA needs a CUDA device and bitsandbytes; say so before any model is loaded."""
    if not cfg.quantize_4bit:
        return
    import torch

    if not torch.cuda.is_available():
        raise SesameInputError("readers.llm.quantize_4bit needs a CUDA GPU, and none is visible", source="config",
                               fix="run on a GPU node, or set readers.llm.quantize_4bit: false")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise SesameInputError("readers.llm.quantize_4bit needs the bitsandbytes package", source="config",
                               fix="pip install -e '.[cuda]', or set readers.llm.quantize_4bit: false")


def fit_context(tokenizer, context: str, max_tokens: int) -> str:
    """Cut a context to its first `max_tokens` tokens, at a token boundary (prompts must fit the model)."""
    if max_tokens <= 0 or len(context.encode()) <= max_tokens:  # a token covers at least one byte
        return context
    enc = tokenizer(context, add_special_tokens=False, return_offsets_mapping=True)
    off = enc["offset_mapping"]
    return context if len(off) <= max_tokens else context[:off[max_tokens - 1][1]]


def encode_example(tokenizer, prompt: str, target: str, mask_prompt: bool = True) -> dict:
    """input_ids = prompt + target + EOS; labels hide the prompt (IGNORE) unless mask_prompt is False.

    Prompt and target are tokenised separately, exactly as at generation time, where the model continues
    the prompt's tokens.
    """
    p_ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    t_ids = tokenizer(target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    ids = p_ids + t_ids
    labels = ([IGNORE] * len(p_ids) if mask_prompt else list(p_ids)) + t_ids
    return {"input_ids": ids, "labels": labels, "attention_mask": [1] * len(ids)}


class _Collate:
    """Right-pad input_ids (pad id), labels (IGNORE) and the attention mask."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, feats: list[dict]):
        import torch

        n = max(len(f["input_ids"]) for f in feats)
        pad = {"input_ids": self.pad_id, "labels": IGNORE, "attention_mask": 0}
        return {k: torch.tensor([f[k] + [v] * (n - len(f[k])) for f in feats]) for k, v in pad.items()}


class _Counted:
    """A dataset that counts the items the trainer draws: proof that one epoch sees each pair once."""

    def __init__(self, feats: list[dict]) -> None:
        self.feats, self.drawn = feats, 0

    def __len__(self) -> int:
        return len(self.feats)

    def __getitem__(self, i: int) -> dict:
        self.drawn += 1
        return self.feats[i]


def _answer_loss_trainer():
    """An HF Trainer whose loss runs the LM head only where a label exists.

    With the prompt masked, that is the few answer tokens instead of every position: the head of a
    small model (vocabulary x hidden) is a fifth of its compute and most of its activation memory.
    """
    import torch.nn.functional as F
    from transformers import Trainer

    class AnswerLossTrainer(Trainer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.model_accepts_loss_kwargs = False  # a per-batch mean; the Trainer scales for accumulation

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs["labels"][:, 1:]                  # position t predicts token t + 1
            keep = (labels != IGNORE).any(0).nonzero().squeeze(-1)
            out = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], logits_to_keep=keep)
            logits = out.logits.float()
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels[:, keep].reshape(-1),
                                   ignore_index=IGNORE)
            return (loss, out) if return_outputs else loss

    return AnswerLossTrainer


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    if tok.eos_token_id is None:
        raise SesameInputError("the LLM's tokenizer has no EOS token", source=path,
                               fix="use an instruction-tuned model")
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_causal_lm(path: str, cfg: LLMConfig):
    """The base model in bf16 on capable GPUs, fp32 on CPU, nf4 when QLoRA is asked for."""
    import torch
    from transformers import AutoModelForCausalLM

    check_quantization(cfg)
    kwargs: dict = {"dtype": model_dtype()}
    if cfg.quantize_4bit:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if use_bf16() else torch.float16)
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    return model if cfg.quantize_4bit else model.to(device_name())


def training_examples(pairs: Sequence[Pair], tokenizer, cfg: LLMConfig, language: str,
                      example: Example | None) -> list[dict]:
    prefix = answer_prefix(cfg.template)
    return [encode_example(tokenizer, build_prompt(cfg.template, language,
                                                   fit_context(tokenizer, p.context, cfg.max_context_tokens),
                                                   p.question, example, tokenizer),
                           prefix + p.answer, cfg.mask_prompt) for p in pairs]


def prepare_split(pairs: Sequence[Pair], frac: float, seed: int, cfg: LLMConfig) -> tuple[list[Pair], list[Pair]]:
    """The shared seeded split, then the max_examples cap (validation capped in the same ratio)."""
    train, val = split_pairs(list(pairs), frac, seed)
    if cfg.max_examples is not None:
        val_cap = max(1, math.ceil(cfg.max_examples * len(val) / max(1, len(train))))
        train, val = cap(train, cfg.max_examples, seed), cap(val, val_cap, seed + 1)
    return train, val


def train_llm(pairs: Sequence[Pair], out_dir: str | Path, model_ref: str, frac: float, seed: int,
              cfg: LLMConfig | None = None, language: str = "en", threads: int | None = None,
              model_key: str = "models.llm") -> dict:
    """LoRA-tune `model_ref` on prompt -> answer pairs with the configured backend; write the reader folder."""
    cfg = cfg or LLMConfig()
    if cfg.backend == "litgpt":
        from sesame.readers.llm_litgpt import train_litgpt

        return train_litgpt(pairs, out_dir, model_ref, frac, seed, cfg, language, threads, model_key)
    if cfg.backend != "peft":
        raise SesameInputError(f"unknown LLM backend {cfg.backend!r}", source="readers.llm.backend",
                               fix="use peft or litgpt")
    return _train_peft(pairs, out_dir, model_ref, frac, seed, cfg, language, threads, model_key)


def _train_peft(pairs, out_dir, model_ref, frac, seed, cfg: LLMConfig, language, threads, model_key) -> dict:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import TrainingArguments

    check_quantization(cfg)
    set_threads(threads)
    train, val = prepare_split(pairs, frac, seed, cfg)
    path = resolve_model(model_ref, model_key)
    tok = load_tokenizer(path)
    example = oneshot(cfg.oneshot_file, language, seed)
    train_feats = _Counted(training_examples(train, tok, cfg, language, example))
    val_feats = training_examples(val, tok, cfg, language, example)
    seed_everything(seed)
    model = load_causal_lm(path, cfg)
    if cfg.quantize_4bit:
        model = prepare_model_for_kbit_training(model)
    model = get_peft_model(model, LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                                             target_modules="all-linear", task_type="CAUSAL_LM"))
    n_tok = sum(len(f["input_ids"]) for f in train_feats.feats)
    log.info("llm-lora (peft): %d train / %d validation pairs, %d train tokens, one-shot %s, device %s",
             len(train), len(val), n_tok, "yes" if example else "no", device_name())
    ckpt = checkpoint_dir(out_dir, list(pairs), model=model_ref, frac=frac, seed=seed, language=language,
                          config=asdict(cfg))
    t0 = time.perf_counter()
    with atomic_path(out_dir, directory=True) as tmp:
        # Adapter checkpoints (with optimizer and RNG state) every save_steps live in `ckpt`: a killed run resumes.
        args = TrainingArguments(
            output_dir=str(ckpt), num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
            per_device_train_batch_size=cfg.batch_size, per_device_eval_batch_size=cfg.batch_size,
            gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.learning_rate,
            weight_decay=cfg.weight_decay, lr_scheduler_type="linear", warmup_steps=0, eval_strategy="no",
            save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=1, seed=seed, data_seed=seed,
            report_to=[], logging_steps=1, bf16=use_bf16(),
            use_cpu=device_name() == "cpu", dataloader_num_workers=0, remove_unused_columns=False,
            prediction_loss_only=True)
        trainer = _answer_loss_trainer()(model=model, args=args, train_dataset=train_feats,
                                         eval_dataset=val_feats, data_collator=_Collate(tok.pad_token_id))
        before = float(trainer.evaluate()["eval_loss"])
        resume = last_checkpoint(ckpt)
        trainer.train(resume_from_checkpoint=resume)
        after = float(trainer.evaluate()["eval_loss"])
        trainer.model.save_pretrained(tmp)
        card = {"reader": "llm-lora", "backend": "peft", "base_model": model_ref, "language": language,
                "frac": frac, "seed": seed, "template": cfg.template, "train_pairs": len(train),
                "val_pairs": len(val), "train_tokens": n_tok, "examples_seen": train_feats.drawn,
                "optimizer_steps": int(trainer.state.global_step), "val_loss_before": before,
                "val_loss_after": after, "resumed_from": Path(resume).name if resume else None,
                "oneshot": asdict(example) if example else None,
                "config": asdict(cfg), "versions": versions()}
        write_card(tmp, card)
    shutil.rmtree(ckpt, ignore_errors=True)
    log.info("llm-lora (peft): %d steps in %.1fs, validation loss %.4f -> %.4f", card["optimizer_steps"],
             time.perf_counter() - t0, before, after)
    return card


# --- inference -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Generated:
    answer: str          # post-processed (a context span where one matched)
    raw: str             # what the model wrote
    score: float | None  # mean token log-probability of the generated answer
    matched: str         # exact | case | fuzzy | none


class HFGenerator:
    """Batched, left-padded generation with an HF causal LM (base or LoRA-merged)."""

    def __init__(self, model, tokenizer, cfg: LLMConfig, seed: int = 0) -> None:
        self.model, self.tok, self.cfg, self.seed = model.eval(), tokenizer, cfg, seed

    def generate(self, prompts: Sequence[str], progress: bool = False) -> list[tuple[str, float | None]]:
        import torch
        from tqdm.auto import tqdm

        cfg, tok = self.cfg, self.tok
        tok.padding_side = "left"
        sample = {} if cfg.greedy else {"temperature": cfg.temperature, "top_p": cfg.top_p, "top_k": cfg.top_k}
        torch.manual_seed(self.seed)
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        out: list = [None] * len(prompts)
        bs = max(1, cfg.generation_batch_size)
        device = next(self.model.parameters()).device
        for b in tqdm(range(0, len(order), bs), desc="llm reader", unit="batch", disable=not progress):
            idx = order[b:b + bs]
            enc = tok([prompts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=True)
            with torch.inference_mode():
                res = self.model.generate(**enc.to(device), max_new_tokens=cfg.max_new_tokens, do_sample=not cfg.greedy,
                                          pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                                          output_scores=True, return_dict_in_generate=True, **sample)
                trans = self.model.compute_transition_scores(res.sequences, res.scores, normalize_logits=True)
            new = res.sequences[:, enc["input_ids"].shape[1]:]
            for r, i in enumerate(idx):
                ids = new[r].tolist()
                n = ids.index(tok.eos_token_id) if tok.eos_token_id in ids else len(ids)
                lp = trans[r, :n].float()
                out[i] = (tok.decode(ids[:n], skip_special_tokens=True),
                          float(lp.mean()) if n and torch.isfinite(lp).all() else None)
        return out


class LLMReader:
    """A prompted LLM (tuned or not): prompts per question, batched generation, span post-processing."""

    def __init__(self, generator, tokenizer, cfg: LLMConfig, language: str, example: Example | None) -> None:
        self.generator, self.tok, self.cfg, self.language, self.example = generator, tokenizer, cfg, language, example

    @classmethod
    def load(cls, model: str | Path, cfg: LLMConfig | None = None, language: str = "en", seed: int = 0,
             key: str = "models.llm") -> "LLMReader":
        """A trained reader folder (its card fixes backend, base model, template and one-shot) or a base model."""
        path = Path(model)
        if (path / READER_CARD).exists():
            card = read_card(path)
            run_cfg = LLMConfig.from_dict(card.get("config"))
            if cfg is not None:  # generation settings come from the prediction config
                for k in ("max_new_tokens", "temperature", "top_p", "top_k", "greedy", "generation_batch_size",
                          "max_questions"):
                    setattr(run_cfg, k, getattr(cfg, k))
            example = Example(**card["oneshot"]) if card.get("oneshot") else None
            language = card.get("language", language)
            if card.get("backend") == "litgpt":
                from sesame.readers.llm_litgpt import LitGPTGenerator

                gen, tok = LitGPTGenerator.load(path, run_cfg, seed)
                return cls(gen, tok, run_cfg, language, example)
            from peft import PeftModel

            base = resolve_model(card["base_model"], key)
            tok = load_tokenizer(base)
            seed_everything(seed)
            merged = PeftModel.from_pretrained(load_causal_lm(base, run_cfg), path).merge_and_unload()
            return cls(HFGenerator(merged, tok, run_cfg, seed), tok, run_cfg, language, example)
        cfg = cfg or LLMConfig()
        base = resolve_model(str(model), key)
        tok = load_tokenizer(base)
        return cls(HFGenerator(load_causal_lm(base, cfg), tok, cfg, seed), tok, cfg, language,
                   oneshot(cfg.oneshot_file, language, seed))

    def prompt(self, context: str, question: str) -> str:
        ctx = fit_context(self.tok, context, self.cfg.max_context_tokens)
        return build_prompt(self.cfg.template, self.language, ctx, question, self.example, self.tok)

    def predict(self, questions: Sequence[str], passages: Sequence[list[Passage]],
                progress: bool = False) -> list[Generated | None]:
        """Per question, the generated answer over its joined passages (None: no passage)."""
        contexts = [join_passages(ps) for ps in passages]
        todo = [i for i, c in enumerate(contexts) if c.strip()]
        gens = self.generator.generate([self.prompt(contexts[i], questions[i]) for i in todo], progress=progress)
        out: list[Generated | None] = [None] * len(questions)
        for i, (raw, score) in zip(todo, gens):
            m = match_span(raw, contexts[i], self.language)
            out[i] = Generated(m.answer, raw, score, m.how)
        return out
