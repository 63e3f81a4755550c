"""The paper's generator: T5 answer extraction, then T5 question generation, on sentence chunks.

Why the offsets are kept: an extracted answer is searched only inside the sentence that was
highlighted, and that occurrence is the one highlighted for question generation and recorded as
`answer.start`. The original took `chunk.find(answer)`, which picks an earlier repeat of the same
words, or -1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sesame.models import resolve_model
from sesame.synth.chunking import Chunk
from sesame.synth.generation import seeded_sample, seq2seq_generate
from sesame.synth.quality import RawPair
from sesame.synth.templates import T5Template, ae_input, parse_answers, qg_input

log = logging.getLogger(__name__)


def load_seq2seq(ref: str, key: str, device: str):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    path = resolve_model(ref, key)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=torch.float32).to(device).eval()
    return path, tok, model


def locate_in_sentence(chunk: Chunk, i: int, answer: str) -> int | None:
    """Offset in the chunk of `answer` inside sentence i (its first occurrence there), or None."""
    _, s, e = chunk.sentences[i]
    pos = chunk.text.find(answer, s, e)
    return None if pos < 0 else pos


@dataclass
class T5Generator:
    ae_ref: str
    qg_ref: str
    language: str
    template: T5Template
    device: str = "cpu"
    batch_size: int = 16
    num_beams: int = 4
    max_new_tokens: int = 32
    max_input_tokens: int = 512

    def __post_init__(self) -> None:
        ae_path, self.ae_tok, self.ae_model = load_seq2seq(self.ae_ref, f"models.{self.language}.answer_extraction",
                                                           self.device)
        qg_path = resolve_model(self.qg_ref, f"models.{self.language}.question_generation")
        if qg_path == ae_path:  # one multitask model (the Portuguese one) serves both tasks
            self.qg_tok, self.qg_model = self.ae_tok, self.ae_model
        else:
            _, self.qg_tok, self.qg_model = load_seq2seq(qg_path, f"models.{self.language}.question_generation",
                                                         self.device)

    def extract(self, chunks: list[Chunk], max_answers: int) -> list[tuple[Chunk, int, str, int | None]]:
        """(chunk, sentence index, answer, offset in chunk or None) for the first `max_answers` answers per sentence."""
        sites = [(chunk, i) for chunk in chunks for i in range(len(chunk.sentences))]
        inputs = [ae_input(c.text, c.sentences[i][1], c.sentences[i][2], self.template) for c, i in sites]
        decoded = seq2seq_generate(self.ae_model, self.ae_tok, inputs, batch_size=self.batch_size,
                                   max_input_tokens=self.max_input_tokens, max_new_tokens=self.max_new_tokens,
                                   num_beams=1, keep_special=True, desc="t5 answer extraction")
        found = []
        for (chunk, i), out in zip(sites, decoded):
            for answer in parse_answers(out, self.template)[:max_answers]:
                found.append((chunk, i, answer, locate_in_sentence(chunk, i, answer)))
        return found

    def generate(self, chunks: list[Chunk], max_answers: int, max_inputs: int | None = None,
                 seed: int = 0) -> tuple[list[RawPair], int]:
        """Pairs in chunk/sentence/answer order; the second value (malformed outputs) is always 0 for T5."""
        answers = seeded_sample(self.extract(chunks, max_answers), max_inputs, seed)
        located = [a for a in answers if a[3] is not None]
        inputs = [qg_input(c.text, start, start + len(ans), self.template) for c, _, ans, start in located]
        questions = iter(seq2seq_generate(self.qg_model, self.qg_tok, inputs, batch_size=self.batch_size,
                                          max_input_tokens=self.max_input_tokens, max_new_tokens=self.max_new_tokens,
                                          num_beams=self.num_beams, desc="t5 question generation"))
        pairs = []
        for chunk, _, answer, start in answers:  # an answer not in its sentence still reaches the gate, and is counted
            question = next(questions) if start is not None else ""
            pairs.append(RawPair(chunk.context_id, chunk.text, question, answer, start, "t5"))
        return pairs, 0
