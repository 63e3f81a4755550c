"""Offline, language-aware sentence segmentation with exact character offsets.

Why our own: NLTK's punkt downloads data at run time (no network here), pysbd has no Portuguese,
and sentencex mis-splits acronyms such as "U.F.R.J.". A small rule set with per-language
abbreviation lists is deterministic, fast (one regex pass) and keeps offsets exact, which the gold
sentence mapping depends on. Invariants: spans are in order, do not overlap, are stripped of
surrounding whitespace, and every non-space character of the text lies in exactly one span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset("""
        mr mrs ms dr prof sr jr st mt ft no nos vol vols fig figs eq eqs approx dept univ inc ltd co corp
        vs etc al cf ca min max jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
        gen col lt capt sgt rev hon est e.g i.e a.m p.m u.s u.k u.n ph.d m.sc b.sc no op ed eds approx
        """.split()),
    "pt": frozenset("""
        sr sra srs sras dr dra drs dras prof profa eng arq av r rua n nº no núm num pág pag p pp art arts
        cap caps inc incs ex exa exmo exma vol vols fig figs tel ltda cia etc obs aprox séc sec jan fev mar
        abr mai jun jul ago set out nov dez seg ter qua qui sex sáb dom gal cel ten cap sgto séc e.g i.e
        p.ex a.c d.c s.a
        """.split()),
}

# A sentence ends at . ! ? or … (possibly repeated), optionally followed by closing quotes or
# brackets, then whitespace. Paragraph breaks (blank lines) and Markdown headings/list items are
# hard boundaries.
_END = re.compile(r"""[.!?…]+['"”’»)\]]*(?=\s)""")
_HARD = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:#{1,6}\s|[-*+]\s|\d+[.)]\s))")
_HEADING = re.compile(r"^[ \t]*#{1,6}\s.*$", re.MULTILINE)
_WORD_BEFORE = re.compile(r"([\w.]+)$", re.UNICODE)
_NEXT_START = re.compile(r"\s+(\S)")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def _is_abbreviation(text: str, dot_pos: int, language: str) -> bool:
    """True when the '.' at dot_pos closes an abbreviation, an initial or an acronym like U.F.R.J."""
    m = _WORD_BEFORE.search(text, 0, dot_pos)
    if not m:
        return False
    token = m.group(1).lower()
    bare = token.rstrip(".")
    if not bare:
        return False
    if bare in ABBREVIATIONS.get(language, ABBREVIATIONS["en"]):
        return True
    if re.fullmatch(r"(?:\w\.)+\w", bare) or (len(bare) == 1 and bare.isalpha()):
        return True  # acronyms with inner dots (U.F.R.J, e.g) and single initials (J. Smith)
    return False


def _boundaries(text: str, language: str) -> list[int]:
    """Character offsets where a new sentence may begin (after the terminal punctuation)."""
    cuts = set(m.end() for m in _HARD.finditer(text))
    cuts.update(m.end() for m in _HEADING.finditer(text))
    for m in _END.finditer(text):
        punct = text[m.start():m.end()].rstrip("'\"”’»)]")
        nxt = _NEXT_START.match(text, m.end())
        if not nxt:
            continue
        following = nxt.group(1)
        if punct == "." and _is_abbreviation(text, m.start(), language):
            continue
        if punct == "." and following.islower():
            continue  # "approx. 40" is handled above; a lower-case start is rarely a new sentence
        cuts.add(m.end())
    return sorted(cuts)


def split_sentences(text: str, language: str = "en") -> list[Span]:
    """Split `text` into sentence spans; text[s.start:s.end] is the stripped sentence."""
    spans: list[Span] = []
    prev = 0
    for cut in _boundaries(text, language) + [len(text)]:
        seg = text[prev:cut]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail > lead:
            spans.append(Span(prev + lead, prev + trail))
        prev = cut
    return spans
