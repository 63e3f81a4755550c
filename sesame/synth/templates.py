"""Per-language input formats: T5 highlight templates and the LLM prompts.

Why one table: the paper's pipeline fed English prefixes to the Portuguese multitask T5 (a bug).
Here the language picks the prefixes and highlight tokens, so the English pair of models
(`<ha>` for answer extraction, `<hl>` for question generation) and the Portuguese multitask model
(`extrair resposta:` / `gerar pergunta:`, `<hl>` for both) get the inputs they were trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SPECIAL_TOKENS = ("<hl>", "<ha>", "<sep>")


@dataclass(frozen=True)
class T5Template:
    ae_prefix: str      # answer extraction: one input per sentence, the sentence wrapped in ae_mark
    ae_mark: str
    qg_prefix: str      # question generation: one input per answer, the answer wrapped in qg_mark
    qg_mark: str
    sep: str = "<sep>"  # separates the answers in the answer-extraction output


T5_TEMPLATES: dict[str, T5Template] = {
    "en": T5Template("extract answers: ", "<ha>", "generate question: ", "<hl>"),
    "pt": T5Template("extrair resposta: ", "<hl>", "gerar pergunta: ", "<hl>"),
}


def t5_template(language: str, overrides: dict | None = None) -> T5Template:
    """The language's template, with any non-null fields of `overrides` (config `synthetic.t5_template`)."""
    tpl = T5_TEMPLATES[language]
    return replace(tpl, **{k: v for k, v in (overrides or {}).items() if v is not None})


def highlight(text: str, start: int, end: int, mark: str) -> str:
    """`text` with text[start:end] wrapped as `<mark> span <mark>`; the highlighted occurrence is the one at `start`."""
    return f"{text[:start]}{mark} {text[start:end]} {mark}{text[end:]}"


def ae_input(chunk: str, sent_start: int, sent_end: int, tpl: T5Template) -> str:
    return tpl.ae_prefix + highlight(chunk, sent_start, sent_end, tpl.ae_mark)


def qg_input(chunk: str, ans_start: int, ans_end: int, tpl: T5Template) -> str:
    return tpl.qg_prefix + highlight(chunk, ans_start, ans_end, tpl.qg_mark)


def ae_target(answers: list[str], tpl: T5Template) -> str:
    """Training target of answer extraction: every answer followed by the separator."""
    return "".join(f"{a} {tpl.sep} " for a in answers).rstrip()


def parse_answers(decoded: str, tpl: T5Template, drop: tuple[str, ...] = ("<pad>", "</s>", "<unk>")) -> list[str]:
    """Answers from a decoded answer-extraction output (decoded without skipping special tokens)."""
    for tok in drop:
        decoded = decoded.replace(tok, " ")
    seen, answers = set(), []
    for part in decoded.split(tpl.sep):
        part = " ".join(part.replace(tpl.ae_mark, " ").replace(tpl.qg_mark, " ").split())
        if part and part not in seen:
            seen.add(part)
            answers.append(part)
    return answers


# ---- LLM prompts -------------------------------------------------------------------------------
# Answer-first few-shot completion (OFFLINE.md): a small instruction model writes far better
# questions as a plain-text completion with the answer given than when asked in chat form. The
# question is seeded with an interrogative chosen from the answer's type (see candidates.py), which
# keeps the question about that answer instead of about the sentence's subject.

@dataclass(frozen=True)
class FewShot:
    sentence_label: str
    answer_label: str
    question_label: str
    examples: tuple[tuple[str, str, str], ...]  # (sentence, answer, question)


FEW_SHOT: dict[str, FewShot] = {
    "en": FewShot("Sentence", "Answer", "Question", (
        ("The museum opened to the public in 1901 after ten years of construction.", "1901",
         "When did the museum open to the public?"),
        ("Maria Costa designed the east wing of the library.", "Maria Costa",
         "Who designed the east wing of the library?"),
        ("The station employs 35 engineers and two nurses.", "35",
         "How many engineers does the station employ?"),
        ("The reactor is cooled by a closed loop of heavy water.", "a closed loop of heavy water",
         "What is the reactor cooled by?"),
    )),
    "pt": FewShot("Frase", "Resposta", "Pergunta", (
        ("O museu foi aberto ao público em 1901, após dez anos de obras.", "1901",
         "Quando o museu foi aberto ao público?"),
        ("Maria Costa projetou a ala leste da biblioteca.", "Maria Costa",
         "Quem projetou a ala leste da biblioteca?"),
        ("A estação emprega 35 engenheiros e duas enfermeiras.", "35",
         "Quantos engenheiros a estação emprega?"),
        ("O reator é resfriado por um circuito fechado de água pesada.", "um circuito fechado de água pesada",
         "Como o reator é resfriado?"),
    )),
}


def answer_first_prefix(language: str) -> str:
    """The shared few-shot block; every input appends `answer_first_item` to it."""
    fs = FEW_SHOT[language]
    return "".join(f"{fs.sentence_label}: {s}\n{fs.answer_label}: {a}\n{fs.question_label}: {q}\n\n"
                   for s, a, q in fs.examples)


def answer_first_item(sentence: str, answer: str, wh: str, language: str) -> str:
    fs = FEW_SHOT[language]
    return f"{fs.sentence_label}: {sentence}\n{fs.answer_label}: {answer}\n{fs.question_label}: {wh}"


CHAT_PROMPTS: dict[str, tuple[str, str]] = {
    "en": ("You write reading-comprehension questions. Every answer must be copied word for word from the passage.",
           "Passage:\n{context}\n\nWrite {n} question-answer pairs about the passage, in this format:\n"
           "Q: <question>\nA: <answer copied from the passage>"),
    "pt": ("Você escreve perguntas de compreensão de leitura. Cada resposta deve ser copiada literalmente do texto.",
           "Texto:\n{context}\n\nEscreva {n} pares de pergunta e resposta sobre o texto, neste formato:\n"
           "P: <pergunta>\nR: <resposta copiada do texto>"),
}
