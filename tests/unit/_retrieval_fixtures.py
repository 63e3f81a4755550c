"""Small hand-written collections and generated corpora shared by the retrieval tests."""

from __future__ import annotations

import random

from sesame.data.collection import Answer, Collection, Document, Question, build_collection

DOCS = {
    "lab": ("The Meridian lab opened in 1998 on the northern campus. Dr. Ana Lima led the lab for ten years. "
            "It employs 42 engineers who design ocean sensors. The lab's budget doubled in 2015."),
    "ship": ("The research ship Aurora sails every May from Lisbon. It carries twelve scientists and a crew of "
             "thirty. Aurora maps coral reefs with a sonar array. Her captain is Rui Costa."),
    "garden": ("The botanical garden holds four thousand orchid species. Visitors enter through the glass "
               "pavilion. The garden closes at six in winter."),
    "choir": "The city choir rehearses on Tuesday evenings. Its conductor trained in Vienna.",
}
# (qid, doc, question, answer): each answer occurs once in its document.
QUESTIONS = [
    ("q1", "lab", "When did the Meridian lab open?", "1998"),
    ("q2", "lab", "Who led the lab for ten years?", "Dr. Ana Lima"),
    ("q3", "lab", "How many engineers does the lab employ?", "42"),
    ("q4", "ship", "From which city does the ship Aurora sail?", "Lisbon"),
    ("q5", "ship", "What does Aurora map with its sonar?", "coral reefs"),
    ("q6", "garden", "How many orchid species does the botanical garden hold?", "four thousand"),
    ("q7", "choir", "Where did the choir conductor train?", "Vienna"),
    ("q8", "garden", "Is there a cafe in the garden?", None),  # impossible: no gold sentence
]


def small_collection(language: str = "en") -> Collection:
    docs = [Document(doc_id, text, doc_id.title()) for doc_id, text in DOCS.items()]
    qs = []
    for qid, doc, question, answer in QUESTIONS:
        answers = [Answer(answer, DOCS[doc].index(answer))] if answer else []
        qs.append(Question(qid, question, doc, answers, impossible=answer is None))
    return build_collection(docs, qs, language, {"name": "small"})


_NOUNS = ("harbour river museum engine bridge library market garden tower council school station orchard "
          "festival factory archive island village bakery forest canal theatre mill chapel quarry").split()
_VERBS = "built opened restored funded visited painted closed expanded sold moved".split()
_ADJ = "old new northern small large quiet famous ancient modern wooden".split()
_NAMES = "Ana Rui Clara Tomas Ines Marta Jorge Lucia Pedro Sofia".split()


def generated_sentences(n: int, seed: int = 0) -> list[str]:
    """Sentences with Zipf-like word frequencies, frequent function words and repeated tokens.

    Function words ("the", "of", "in") occur in most sentences, so their paper-mode idf is negative
    and replaced by the epsilon floor: the part of rank_bm25 that is easiest to get wrong.
    """
    rng = random.Random(seed)
    weights = [1.0 / (i + 1) for i in range(len(_NOUNS))]
    out = []
    for _ in range(n):
        noun = rng.choices(_NOUNS, weights)[0]
        parts = [rng.choice(["The", "An", "Our", "This"]), rng.choice(_ADJ), noun, "of", rng.choice(_NAMES),
                 "was", rng.choice(_VERBS), "in", str(rng.randint(1800, 2020))]
        if rng.random() < 0.5:
            parts += ["near", "the", rng.choices(_NOUNS, weights)[0], "and", "the", noun]
        if rng.random() < 0.2:
            parts += ["-", rng.choice(_NAMES) + "'s", "well-known", "café"]
        out.append(" ".join(parts[: rng.randint(3, len(parts))]) + ".")
    return out


def generated_queries(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    vocab = _NOUNS + _VERBS + _ADJ + _NAMES + ["the", "of", "in", "1900", "zebra", "Museum", "museum"]
    return [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 7))) for _ in range(n)]
