"""Prompts of the LLM reader: the paper's Llama-2 template and the model's own chat template, en and pt.

Why exact strings live here: training and inference must build byte-identical prompts, and the tests
pin them. The wording is ours; the structure follows the paper (a system text asking for a short span
of the context, one worked example, then `### Context` / `### Question` / `### Response`). The one-shot
example is drawn with a seed from a configured file (the original drew it unseeded).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sesame.errors import SesameInputError
from sesame.io import read_json
from sesame.readers.common import stable_choice

TEMPLATES = ("llama2", "chat")

SYSTEM = {
    "en": ("You are an extractive reading-comprehension system. Answer the question with a short span copied "
           "exactly from the context, at most 20 words. Do not explain and do not add anything else."),
    "pt": ("Você é um sistema extrativo de compreensão de leitura. Responda à pergunta com um trecho curto "
           "copiado exatamente do contexto, com no máximo 20 palavras. Não explique e não acrescente nada."),
}


@dataclass(frozen=True)
class Labels:
    context: str
    question: str
    response: str
    example: str


LABELS = {
    "en": Labels("### Context:", "### Question:", "### Response:", "Here is an example:"),
    "pt": Labels("### Contexto:", "### Questão:", "### Resposta:", "Aqui está um exemplo:"),
}


@dataclass(frozen=True)
class Example:
    context: str
    question: str
    answer: str


def _language(language: str) -> str:
    if language not in SYSTEM:
        raise SesameInputError(f"no LLM prompt for language {language!r}", fix=f"use one of {', '.join(SYSTEM)}")
    return language


def block(language: str, context: str, question: str) -> str:
    """The `### Context / ### Question / ### Response:` block, without the answer."""
    lab = LABELS[_language(language)]
    return f"{lab.context}\n{context.strip()}\n{lab.question}\n{question.strip()}\n{lab.response}"


def llama2_prompt(language: str, context: str, question: str, example: Example | None = None) -> str:
    """The paper's Llama-2 prompt: [INST]<<SYS>> system <</SYS>>, one example, the task, [/INST].

    No <s>: the tokenizer adds its BOS token where the model has one.
    """
    lab = LABELS[_language(language)]
    parts = [f"[INST]<<SYS>>\n{SYSTEM[language]}\n<</SYS>>\n\n"]
    if example is not None:
        shot = block(language, example.context, example.question)
        parts.append(f"{lab.example}\n{shot}\n{example.answer.strip()}\n\n")
    parts.append(f"{block(language, context, question)}[/INST]")
    return "".join(parts)


def chat_messages(language: str, context: str, question: str, example: Example | None = None) -> list[dict]:
    """System text, the example as one user/assistant turn, then the task as the last user turn."""
    msgs = [{"role": "system", "content": SYSTEM[_language(language)]}]
    if example is not None:
        msgs += [{"role": "user", "content": block(language, example.context, example.question)},
                 {"role": "assistant", "content": example.answer.strip()}]
    msgs.append({"role": "user", "content": block(language, context, question)})
    return msgs


def build_prompt(template: str, language: str, context: str, question: str, example: Example | None = None,
                 tokenizer=None) -> str:
    """The full prompt text, ready for generation (the answer follows it directly)."""
    if template == "llama2":
        return llama2_prompt(language, context, question, example)
    if template == "chat":
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise SesameInputError("the model's tokenizer has no chat template", source="readers.llm.template",
                                   fix="set readers.llm.template: llama2")
        return tokenizer.apply_chat_template(chat_messages(language, context, question, example), tokenize=False,
                                             add_generation_prompt=True)
    raise SesameInputError(f"unknown prompt template {template!r}", source="readers.llm.template",
                           fix=f"use one of {', '.join(TEMPLATES)}")


def answer_prefix(template: str) -> str:
    """What separates the prompt from the answer in training targets ([/INST] is followed by a space)."""
    return " " if template == "llama2" else ""


def load_examples(path: str | os.PathLike, language: str) -> list[Example]:
    """One-shot examples from a JSON list of {context, question, answer}; `{lang}` in the path is replaced."""
    p = Path(str(path).replace("{lang}", language))
    data = read_json(p)
    if not isinstance(data, list) or not data:
        raise SesameInputError("expected a non-empty JSON list of {context, question, answer}", source=p)
    out = []
    for i, rec in enumerate(data):
        if not isinstance(rec, dict) or not all(isinstance(rec.get(k), str) and rec[k].strip()
                                                for k in ("context", "question", "answer")):
            raise SesameInputError("each example needs non-empty context, question and answer strings",
                                   source=p, record=f"item {i}")
        out.append(Example(rec["context"], rec["question"], rec["answer"]))
    return out


def pick_example(examples: list[Example], seed: int) -> Example:
    """The one-shot example of a run: a function of the seed only, stable across machines and versions."""
    return examples[stable_choice(len(examples), seed, "oneshot")]


def oneshot(path: str | os.PathLike | None, language: str, seed: int) -> Example | None:
    return None if not path else pick_example(load_examples(path, language), seed)
