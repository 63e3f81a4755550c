"""The LLM generator: a causal LM writes the questions (answer-first), or whole pairs (chat).

Why answer-first is the default: a small instruction model asked in chat form for question/answer
pairs mostly writes answers that are not spans, or loops (OFFLINE.md). Given the answer (a
candidate from candidates.py, with its exact offset) and a few-shot completion prompt, it writes
usable questions; the quality gate drops the rest. The chat mode is for larger instruction models;
its answers are located in the context afterwards.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sesame.models import resolve_model
from sesame.synth.candidates import answer_candidates
from sesame.synth.chunking import Chunk
from sesame.synth.generation import causal_generate, seeded_sample
from sesame.synth.quality import RawPair
from sesame.synth.templates import CHAT_PROMPTS, answer_first_item, answer_first_prefix

log = logging.getLogger(__name__)
_LABELS = re.compile(r"\b(?:Sentence|Answer|Question|Frase|Resposta|Pergunta)\s*:", re.IGNORECASE)
_Q_LINE = re.compile(r"^\s*(?:\d+[.)]\s*)?\**(?:Q|Question|P|Pergunta)\s*\d*\**\s*[:.)-]\**\s*(.+)$", re.IGNORECASE)
_A_LINE = re.compile(r"^\s*\**(?:A|Answer|R|Resposta)\s*\d*\**\s*[:.)-]\**\s*(.+)$", re.IGNORECASE)


def parse_question(wh: str, completion: str, stopped: bool) -> str | None:
    """The question from an answer-first completion that continues after `wh`; None when malformed.

    Malformed: cut off by the token limit before ending the line or asking ('?'), empty, or
    running into the prompt's labels (the model started a new example).
    """
    line, newline, _ = completion.partition("\n")
    if "?" in line:
        line = line[:line.index("?") + 1]
    elif not (stopped or newline):
        return None
    if _LABELS.search(line) or not re.search(r"\w", line):
        return None
    return " ".join(f"{wh}{line}".split())


def parse_chat_pairs(text: str) -> list[tuple[str, str]]:
    """(question, answer) pairs from `Q: ...` / `A: ...` lines (also P:/R:, numbered, bold); unpaired lines are ignored."""
    pairs, question = [], None
    for line in text.splitlines():
        if m := _Q_LINE.match(line):
            question = m.group(1).strip().strip("*").strip()
        elif (m := _A_LINE.match(line)) and question:
            answer = m.group(1).strip().strip("*").strip().strip("\"'“”").strip()
            if answer:
                pairs.append((question, answer))
            question = None
    return pairs


def locate_answer(context: str, answer: str, question: str) -> tuple[str, int | None]:
    """The answer as found in the context, and its offset; among repeats, the one nearest the question's words."""
    for cand in (answer, answer.rstrip("."), answer[:1].lower() + answer[1:], answer[:1].upper() + answer[1:]):
        starts = [m.start() for m in re.finditer(re.escape(cand), context)] if cand else []
        if len(starts) == 1:
            return cand, starts[0]
        if starts:
            qwords = set(re.findall(r"\w{3,}", question.lower()))

            def overlap(start: int) -> int:  # question words shared with the sentence around this occurrence
                left = max(context.rfind(p, 0, start) for p in ".!?\n") + 1
                ends = [i for i in (context.find(p, start + len(cand)) for p in ".!?\n") if i >= 0]
                right = min(ends) if ends else len(context)
                return len(qwords & set(re.findall(r"\w{3,}", context[left:right].lower())))
            return cand, max(starts, key=lambda s: (overlap(s), -s))
    return answer, None


@dataclass
class LLMGenerator:
    ref: str
    language: str
    device: str = "cpu"
    batch_size: int = 16
    max_new_tokens: int = 32
    mode: str = "answer_first"     # or "chat"

    def __post_init__(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = resolve_model(self.ref, f"models.{self.language}.llm")
        self.tok = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).to(self.device).eval()
        # Every token that holds a line break ends an answer-first question.
        vocab = self.tok.convert_ids_to_tokens(list(range(len(self.tok))))
        self.newline_ids = [i for i, t in enumerate(vocab) if t and ("\n" in t or "Ċ" in t or t == "<0x0A>")]

    def generate(self, chunks: list[Chunk], max_answers: int, max_inputs: int | None = None,
                 seed: int = 0) -> tuple[list[RawPair], int]:
        """Pairs in chunk/sentence/candidate order, and the number of malformed outputs skipped."""
        if self.mode == "chat":
            return self._chat(chunks, max_answers)
        return self._answer_first(chunks, max_answers, max_inputs, seed)

    def _answer_first(self, chunks, max_answers, max_inputs, seed):
        jobs = []  # (chunk, sentence start in the chunk, sentence, candidate)
        for chunk in chunks:
            for i, (_, start, _) in enumerate(chunk.sentences):
                sentence = chunk.sentence_text(i)
                jobs += [(chunk, start, sentence, c) for c in answer_candidates(sentence, self.language, max_answers)]
        jobs = seeded_sample(jobs, max_inputs, seed)
        items = [answer_first_item(sentence, c.text, c.wh, self.language) for _, _, sentence, c in jobs]
        outs = causal_generate(self.model, self.tok, items, prefix=answer_first_prefix(self.language),
                               batch_size=self.batch_size, max_new_tokens=self.max_new_tokens,
                               stop_ids=self.newline_ids, desc="llm questions")
        pairs, malformed = [], 0
        for (chunk, start, _, c), (text, stopped) in zip(jobs, outs):
            question = parse_question(c.wh, text, stopped)
            if question is None:
                malformed += 1
                continue
            pairs.append(RawPair(chunk.context_id, chunk.text, question, c.text, start + c.start, "llm"))
        return pairs, malformed

    def _chat(self, chunks, pairs_per_chunk):
        system, user = CHAT_PROMPTS[self.language]
        prompts = [self.tok.apply_chat_template(
            [{"role": "system", "content": system},
             {"role": "user", "content": user.format(context=c.text, n=pairs_per_chunk)}],
            add_generation_prompt=True, tokenize=False) for c in chunks]
        outs = causal_generate(self.model, self.tok, prompts, batch_size=self.batch_size,
                               max_new_tokens=self.max_new_tokens * pairs_per_chunk, desc="llm pairs")
        pairs, malformed = [], 0
        for chunk, (text, _) in zip(chunks, outs):
            found = parse_chat_pairs(text)[:pairs_per_chunk]
            if not found:
                malformed += 1
            for question, answer in found:
                answer, start = locate_answer(chunk.text, answer, question)
                pairs.append(RawPair(chunk.context_id, chunk.text, question, answer, start, "llm-chat"))
        return pairs, malformed
