"""A generated but realistic English collection, shared by the benches (bench/retrieval.py, bench/scale.py).

Why generated: the benches must run offline, at any size, with the same text for the same seed. Each
document has 10 sentences: 6 facts about an invented institution (founder, year, town, director, ...)
and 4 sentences of town filler, so BM25 and dense retrieval face realistic term overlap; every question
is answered by one fact sentence of its document.
"""

from __future__ import annotations

import random

_SYL = ("ar bel cor dan el fen gar hal in jor kel lin mar nor or pel quin ros sal tor ul val wen xan yor "
        "zel bra cle dri fro gla pri sta tre vo ka li mo ne ru si ta ve").split()
_FIRST = ("Ana Rui Clara Tomas Ines Marta Jorge Lucia Pedro Sofia John Mary Robert Linda David Susan James Karen "
          "Michael Laura Daniel Helen Paulo Beatriz Carlos Teresa Miguel Rosa Andre Elena Victor Nora Hugo Alice "
          "Oscar Irene Felix Julia Martin Eva").split()
_KINDS = ("Institute Museum Observatory Library University Company Orchestra Hospital Railway Society Bank "
          "Foundation Laboratory Academy Theatre Gallery Brewery Shipyard Archive Seminary").split()
_TOPICS = ("marine biology,medieval manuscripts,solar physics,coral reefs,railway engineering,folk music,"
           "glass making,tropical medicine,river ecology,ancient coins,printing presses,volcanic soils,"
           "bird migration,textile dyes,urban planning,clock making,rare orchids,arctic ice,wind power,"
           "early photography,sea charts,bronze casting,cheese making,desert plants,silk weaving").split(",")
_THINGS = ("garden,collection of maps,reading room,telescope,rose garden,sculpture hall,clock tower,"
           "concert hall,herbarium,glass dome,fossil gallery,organ,library wing,aquarium,bell tower").split(",")
_PLACES_SUFFIX = "ford ville port bury mont field haven stead wick dale".split()
_ROLES = "engineers researchers teachers nurses musicians curators librarians technicians students volunteers".split()
_EVENTS = "festival conference exhibition concert series symposium fair regatta lecture series".split(",")
_PRIZES = "Halden Morrow Castell Vintry Aldous Perrin Quill Sorrel".split()
_ADJ = "old new northern southern small large quiet famous ancient modern wooden narrow busy".split()
_NOUNS = ("river harbour bridge market square hill forest station road canal park valley coast island "
          "cathedral fortress lake").split()
_SEASONS = "spring summer autumn winter".split()
_FILLER = [
    "The {adj} {noun} near {place} was repaired after the storms of {year}.",
    "Local newspapers in {place} often wrote about the {adj} {noun} and its visitors.",
    "During the {season} the roads around {place} are crowded with tourists and traders.",
    "Many families from {place} moved to the {adj} {noun} district in the {decade}s.",
    "A {adj} {noun} separates the town centre from the industrial quarter of {place}.",
]


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


def _facts(rng: random.Random, e: str, places: list[str], people: list[str]):
    """(sentence, [(question, answer)]) facts about entity e; every answer occurs once in its sentence."""
    p1, p2, p3 = rng.sample(people, 3)
    y = rng.randint(1780, 1990)
    place = rng.choice(places)
    n, role, thing, season = rng.randint(12, 950), rng.choice(_ROLES), rng.choice(_THINGS), rng.choice(_SEASONS)
    t1, t2 = rng.sample(_TOPICS, 2)
    ev, prize = rng.choice(_EVENTS), rng.choice(_PRIZES)
    y2, y3 = y + rng.randint(5, 30), y + rng.randint(31, 60)
    visitors = f"{rng.randint(2, 95)} thousand"
    return [
        (f"The {e} was founded in {y} by {p1} in the town of {place}.",
         [(f"Who founded the {e}?", p1), (f"When was the {e} founded?", str(y)),
          (f"In which town was the {e} founded?", place)]),
        (f"Today the {e} employs {n} {role} and runs a small shop for visitors.",
         [(f"How many {role} does the {e} employ?", str(n))]),
        (f"Its main building, designed by the architect {p2}, was completed in {y2}.",
         [(f"Who designed the main building of the {e}?", p2)]),
        (f"{p3} served as director of the {e} from {y2} to {y3}.",
         [(f"Who was the director of the {e} between {y2} and {y3}?", p3)]),
        (f"The {thing} of the {e} attracts about {visitors} visitors every {season}.",
         [(f"How many visitors does the {thing} of the {e} attract?", visitors)]),
        (f"The {e} is best known for its work on {t1} and {t2}.",
         [(f"What is the {e} known for?", t1)]),
        (f"A {ev} organised by the {e} in {y3} drew {n + 37} guests from abroad.",
         [(f"How many guests came to the {ev} of the {e} in {y3}?", str(n + 37))]),
        (f"In {y3 + 3} the {e} received the {prize} Prize for its research on {t2}.",
         [(f"Which prize did the {e} receive in {y3 + 3}?", f"{prize} Prize")]),
    ]


def generate(n_sentences: int, n_questions: int, seed: int = 0) -> tuple[list, list]:
    """(documents, questions): documents of 10 sentences about invented institutions (facts + town filler),
    one question per document for the first n_questions documents; the same seed gives the same text."""
    from sesame.data.collection import Answer, Document, Question

    rng = random.Random(seed)
    places = sorted({_name(rng, 2) + rng.choice(_PLACES_SUFFIX) for _ in range(800)})
    people = [f"{rng.choice(_FIRST)} {_name(rng, rng.choice([2, 3]))}" for _ in range(4000)]
    n_docs = max(1, n_sentences // 10)
    docs, questions, used = [], [], set()
    for d in range(n_docs):
        while (e := f"{_name(rng, 3)} {rng.choice(_KINDS)}") in used:
            pass
        used.add(e)
        facts = rng.sample(_facts(rng, e, places, people), 6)
        sents = [s for s, _ in facts]
        for _ in range(4):
            sents.insert(rng.randint(0, len(sents)), rng.choice(_FILLER).format(
                adj=rng.choice(_ADJ), noun=rng.choice(_NOUNS), place=rng.choice(places), year=rng.randint(1800, 2000),
                season=rng.choice(_SEASONS), decade=rng.randint(180, 199) * 10))
        text = " ".join(sents)
        doc_id = f"d{d:05d}"
        docs.append(Document(doc_id, text, e))
        if d < n_questions:
            sentence, qas = rng.choice(facts)
            q, a = rng.choice(qas)
            start = text.index(sentence) + sentence.index(a)
            questions.append(Question(f"q{d:05d}", q, doc_id, [Answer(a, start)]))
    return docs, questions


def make_collection(n_sentences: int, n_questions: int, seed: int = 0):
    """The generated documents and questions as an in-memory sesame Collection (segmented, gold sentences set)."""
    from sesame.data.collection import build_collection

    return build_collection(*generate(n_sentences, n_questions, seed), "en", {"name": "bench"})
