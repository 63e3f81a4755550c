"""Answer candidates from a sentence, for generators without an answer-extraction model.

Why heuristics: offline there is no answer-extraction model (OFFLINE.md), and a small LLM asked to
pick its own answers mostly writes non-spans. SQuAD-style answers are mostly dates, numbers, names
and short noun phrases, which a few regexes per language find with exact offsets. Each candidate
also carries the interrogative that fits its type ("When" for a date), which the LLM generator
uses to start the question, so that the question asks for that answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d+(?:[.,]\d+)*"
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"


@dataclass(frozen=True)
class Lexicon:
    months: str
    weekdays: str
    number_words: str
    scale: str
    currency_words: str
    percent: str
    durations: str
    time_suffix: str
    range_words: str
    honorifics: str
    name_joiners: tuple[str, ...]
    place_preps: tuple[str, ...]
    determiners: tuple[str, ...]
    stop: frozenset[str]
    verb_endings: tuple[str, ...]   # a word with one of these endings (and none of noun_endings) ends a phrase
    noun_endings: tuple[str, ...]


EN = Lexicon(
    months="January|February|March|April|May|June|July|August|September|October|November|December",
    weekdays="Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    number_words="one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
                 "hundred|a hundred|dozen|a dozen",
    scale="million|billion|thousand", currency_words="euros?|dollars?|pounds?|reais",
    percent=r"%|\s?percent\b|\s?per cent\b",
    durations="years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries",
    time_suffix=r"a\.m\.|p\.m\.|am\b|pm\b", range_words="to|until|and|-|–",
    honorifics="Dr|Prof|Mr|Mrs|Ms|Sr|Jr|Sir|Dame", name_joiners=("of", "de", "da", "do", "dos", "das", "van", "von"),
    place_preps=("in", "at", "from", "near"), determiners=("the", "a", "an"),
    stop=frozenset("""a an the and or but nor of to in on at by for from with without about into onto over under
        after before during between through since until while as than that which who whom whose this these those
        it its they them their there here he she his her we our you your i me my is are was were be been being
        has have had do does did can could will would shall should may might must not no also only just very
        more most less least much many some any all each every other such same so too when where why how what
        if then else both either neither per via every own up down out off again further once""".split()),
    verb_endings=("ed",), noun_endings=("eed",),
)
PT = Lexicon(
    months="janeiro|fevereiro|março|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro",
    weekdays="segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|sábado|domingo",
    number_words="dois|duas|três|quatro|cinco|seis|sete|oito|nove|dez|onze|doze|quinze|vinte|trinta|"
                 "cem|cento|dezenas|centenas",
    scale="mil|milhão|milhões|bilhão|bilhões", currency_words="euros?|reais|real|dólares?",
    percent=r"%|\s?por cento\b",
    durations="anos?|meses|mês|semanas?|dias?|horas?|minutos?|segundos?|décadas?|séculos?",
    time_suffix=r"h\b|horas\b", range_words="a|às|até|e|-|–",
    honorifics="Dr|Dra|Prof|Profa|Sr|Sra|Eng", name_joiners=("de", "da", "do", "dos", "das", "e"),
    place_preps=("em", "no", "na", "nos", "nas"), determiners=("o", "a", "os", "as", "um", "uma", "uns", "umas"),
    stop=frozenset("""a o as os um uma uns umas e ou mas nem de do da dos das em no na nos nas ao aos à às por pelo
        pela pelos pelas para com sem sobre sob entre até desde após antes depois durante que qual quais quem cujo
        cuja onde quando como porque se não sim também já mais menos muito muitos muita muitas pouco todo toda
        todos todas cada outro outra outros outras mesmo mesma este esta estes estas esse essa esses essas aquele
        aquela isso isto aquilo ele ela eles elas seu sua seus suas nosso nossa lhe lhes me te nos vos é são foi
        foram era eram ser sido sendo está estão estava estavam estar tem têm tinha tinham ter há havia pode
        podem deve devem fica ficam vai vão será serão seria fazer faz fazem""".split()),
    verb_endings=("ou", "eu", "iu", "am", "em", "ava", "ia", "ará", "erá", "irá"),
    noun_endings=("gem", "agem", "ia", "eia", "ém"),
)
LEXICONS = {"en": EN, "pt": PT}

# Interrogative per candidate kind; the LLM generator starts the question with it.
WH: dict[str, dict[str, str]] = {
    "en": {"date": "When", "time": "When", "money": "How much", "percent": "What percentage", "duration": "How long",
           "count": "How many", "number": "What", "person": "Who", "place": "Where", "name": "What", "phrase": "What"},
    "pt": {"date": "Quando", "time": "Quando", "money": "Quanto", "percent": "Qual", "duration": "Quanto tempo",
           "count": "Quantos", "number": "Qual", "person": "Quem", "place": "Onde", "name": "Qual", "phrase": "O que"},
}
# Lower is preferred when a sentence has more candidates than the cap.
PRIORITY = {"date": 0, "time": 0, "money": 1, "percent": 1, "duration": 1, "count": 1, "person": 2, "place": 2,
            "name": 3, "number": 4, "phrase": 5}


@dataclass(frozen=True)
class Candidate:
    start: int   # offsets into the sentence
    end: int
    text: str
    kind: str
    wh: str


def _patterns(lx: Lexicon) -> list[tuple[str, re.Pattern]]:
    num = rf"(?:{_NUM}|(?i:{lx.number_words}))"
    day = r"\d{1,2}(?:st|nd|rd|th|º)?"
    months = rf"(?i:{lx.months})" if lx is PT else lx.months   # English month names are capitalised ("may")
    time = rf"\d{{1,2}}(?:[:h]\d{{2}})?\s?(?:{lx.time_suffix})"
    return [
        ("time", re.compile(rf"\b{time}(?:\s(?:{lx.range_words})\s{time})?")),
        ("date", re.compile(rf"\b(?:{day}\s(?:de\s)?)?(?:{months})(?:\s{day})?(?:,?\s(?:de\s)?\d{{4}})?\b")),
        ("date", re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:1[5-9]\d\d|20\d\d)s?\b")),
        ("date", re.compile(rf"\b(?:{lx.weekdays})\b", re.IGNORECASE)),
        ("money", re.compile(rf"(?:R\$|[$€£])\s?{_NUM}(?:\s(?:{lx.scale}))?|\b{_NUM}(?:\s(?:{lx.scale}))?(?:\sde)?"
                             rf"\s(?:{lx.currency_words})\b")),
        ("percent", re.compile(rf"\b{_NUM}(?:{lx.percent})")),
        ("duration", re.compile(rf"\b{num}\s(?:{lx.durations})\b")),
        ("count", re.compile(rf"\b({num})\s+([^\W\d_][\w-]*)")),
        ("number", re.compile(rf"\b{_NUM}\b")),
    ]


_PATTERNS = {lang: _patterns(lx) for lang, lx in LEXICONS.items()}
_WORD = re.compile(r"[\w'’-]+")


def _names(sentence: str, lx: Lexicon) -> list[tuple[int, int, str]]:
    """Runs of capitalised words (with joiners such as 'of'/'de'), an honorific making it a person."""
    joiners = "|".join(lx.name_joiners)
    run = rf"{_CAP}(?:\s+(?:(?:{joiners})\s+)?{_CAP})*"
    out = [(m.start(), m.end(), "person") for m in re.finditer(rf"\b(?:{lx.honorifics})\.\s+{run}", sentence)]
    pat = re.compile(run)
    for m in pat.finditer(sentence):
        words = [(w.start() + m.start(), w.end() + m.start(), w.group(0).lower()) for w in re.finditer(r"\S+", m.group(0))]
        while words and words[0][2] in lx.stop | set(lx.determiners):
            words = words[1:]
        while words and words[-1][2] in lx.name_joiners:
            words = words[:-1]
        if not words:
            continue
        start, text = words[0][0], sentence[words[0][0]:words[-1][1]]
        at_start = not sentence[:start].strip(" \"'“‘(")
        if (at_start and len(words) == 1) or len(text) < 3:
            continue  # the sentence's first word is capitalised anyway; "C" of "Freezer C" is no answer
        if re.fullmatch(rf"(?:{lx.months}|{lx.weekdays})", text, re.IGNORECASE):
            continue
        before = sentence[:start].split()
        kind = "place" if before and before[-1].lower() in lx.place_preps else "name"
        out.append((start, start + len(text), kind))
    return out


def _phrases(sentence: str, lx: Lexicon) -> list[tuple[int, int, str]]:
    """A determiner and up to two following content words: a rough noun phrase."""
    words = list(_WORD.finditer(sentence))
    out = []
    for i, w in enumerate(words):
        if w.group(0).lower() not in lx.determiners or (w.group(0)[0].isupper() and i > 0):
            continue
        end = None
        for nxt, prev in zip(words[i + 1:i + 3], words[i:i + 2]):
            token = nxt.group(0)
            if (sentence[prev.end():nxt.start()].strip() or not token.isalpha() or not token.islower()
                    or token in lx.stop or (len(token) > 4 and token.endswith(lx.verb_endings)
                                            and not token.endswith(lx.noun_endings))):
                break
            end = nxt.end()
        if end is not None:
            out.append((w.start(), end, "phrase"))
    return out


def answer_candidates(sentence: str, language: str, limit: int | None = None) -> list[Candidate]:
    """Non-overlapping candidates of a sentence, best kinds first, then by position."""
    lx = LEXICONS[language]
    found: list[tuple[int, int, str]] = []
    for kind, pat in _PATTERNS[language]:
        for m in pat.finditer(sentence):
            start, end = m.span(1) if kind == "count" else m.span()
            if kind == "count" and (m.group(2).lower() in lx.stop or m.group(2)[0].isupper()):
                continue
            found.append((start, end, kind))
    found += _names(sentence, lx) + _phrases(sentence, lx)
    taken: list[tuple[int, int]] = []
    chosen: list[Candidate] = []
    for start, end, kind in sorted(found, key=lambda f: (PRIORITY[f[2]], -(f[1] - f[0]), f[0])):
        text = sentence[start:end].rstrip(" ,;:")
        end = start + len(text)
        if not text or len(text) > 60 or any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        wh = WH[language][kind]
        if kind == "count" and language == "pt":
            noun = sentence[end:].split()[0].lower() if sentence[end:].split() else ""
            wh = "Quantas" if noun.endswith(("as", "ões")) else wh
        chosen.append(Candidate(start, end, text, kind, wh))
    chosen.sort(key=lambda c: (PRIORITY[c.kind], c.start))
    return chosen[:limit] if limit else chosen
