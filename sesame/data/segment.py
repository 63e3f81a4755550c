"""Offline, language-aware sentence segmentation with exact character offsets.

Why our own: NLTK's punkt downloads data at run time (no network here), pysbd has no Portuguese,
and sentencex mis-splits acronyms such as "U.F.R.J.". A small rule set with per-language
abbreviation lists is deterministic, fast (linear in the text) and keeps offsets exact, which the
gold sentence mapping depends on. Invariants: spans are in order, do not overlap, are stripped of
surrounding whitespace, and every non-space character of the text lies in exactly one span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations that never end a sentence (titles before names, "e.g.", "approx." ...).
ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset("""
        mr mrs ms dr prof sr jr st mt ft vol vols fig figs eq eqs approx dept univ inc ltd corp
        vs al cf gen col lt capt sgt rev hon e.g i.e a.m p.m u.s u.k u.n ph.d m.sc b.sc eds
        """.split()),
    "pt": frozenset("""
        sr sra srs sras dr dra drs dras prof profa eng arq av r n nº núm pág pag p pp art arts
        cap caps inc incs ex exa exmo exma vol vols fig figs tel ltda cia obs aprox séc gal cel sgto
        e.g i.e p.ex a.c d.c s.a
        """.split()),
}
# Abbreviations that are also ordinary words ("he said no.", "the cat sat.", "o mar." = the sea) or
# month and day names: they hide a sentence end only when a number follows ("No. 3", "Jan. 5").
NUMERIC_ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset("""
        no nos op ed ca co min max est jan feb mar apr jun jul aug sep sept oct nov dec
        mon tue wed thu fri sat sun
        """.split()),
    "pt": frozenset("""
        no nos num ed min máx max jan fev mar abr mai jun jul ago set out nov dez seg ter qua qui sex sáb dom
        """.split()),
}

# A sentence ends at . ! ? or … (possibly repeated), optionally followed by closing quotes or
# brackets, then whitespace. Paragraph breaks (blank lines) and Markdown headings/list items are
# hard boundaries.
_END = re.compile(r"""[.!?…]+['"”’»)\]]*(?=\s)""")
_HARD = re.compile(r"\n[ \t\r]*\n|\n(?=[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d+[.)][ \t]))")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t].*$", re.MULTILINE)
_LIST_NUMBER = re.compile(r"[ \t]*\d+\.")  # "2. " opening a Markdown list item is not a sentence end
_WORD_BEFORE = re.compile(r"([\w.]+)$", re.UNICODE)
_NEXT_START = re.compile(r"\s+(\S)")
_OPENERS = "([{\"'“‘«"
_LOOKBACK = 40  # longest abbreviation token considered; keeps the scan linear in the text


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def _is_abbreviation(text: str, dot_pos: int, language: str, following: str) -> bool:
    """True when the '.' at dot_pos closes an abbreviation, an initial or an acronym like U.F.R.J."""
    lo = max(0, dot_pos - _LOOKBACK)
    m = _WORD_BEFORE.search(text, lo, dot_pos)
    if not m or (m.start(1) == lo and lo > 0):
        return False
    token = m.group(1).lower()
    bare = token.rstrip(".")
    if not bare:
        return False
    if bare in ABBREVIATIONS.get(language, ABBREVIATIONS["en"]):
        return True
    if bare in NUMERIC_ABBREVIATIONS.get(language, NUMERIC_ABBREVIATIONS["en"]):
        return following.isdigit()
    # Acronyms with inner dots (U.F.R.J, e.g) and single initials (J. Smith) stand alone: the
    # "C" of "40°C." is a unit, not an initial.
    standalone = m.start(1) == 0 or text[m.start(1) - 1].isspace() or text[m.start(1) - 1] in _OPENERS
    return standalone and (re.fullmatch(r"(?:\w\.)+\w", bare) is not None or (len(bare) == 1 and bare.isalpha()))


def _opens_list_item(text: str, dot_pos: int) -> bool:
    """True for the '.' of a Markdown list marker such as "2." at the start of a line."""
    if dot_pos == 0 or not text[dot_pos - 1].isdigit():
        return False
    lo = max(0, dot_pos - _LOOKBACK)
    newline = text.rfind("\n", lo, dot_pos)
    if newline < 0 and lo > 0:
        return False  # the line holds more than a number before this dot
    return _LIST_NUMBER.fullmatch(text, newline + 1, dot_pos + 1) is not None


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
        if punct == ".":
            if _is_abbreviation(text, m.start(), language, following):
                continue
            if following.islower():
                continue  # a lower-case start is rarely a new sentence
            if _opens_list_item(text, m.start()):
                continue
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
