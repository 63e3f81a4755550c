"""BM25 tokenisers: the paper's (for exact reproduction) and a stemmed default per language.

Why two: `paper` mode must reproduce the original rankings token for token, bugs included (it
drops every non-ASCII character after stripping accents, which mangles Portuguese). The default
analyser keeps accents, removes stopwords and applies the Snowball stemmer of the collection's
language, which is what BM25 normally needs to match "founded" with "founding".
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from sesame.errors import SesameInputError

Tokenizer = Callable[[str], list[str]]

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_PAPER_SPACES = re.compile(r"[\"`/]")
_WORD_DASH_WORD = re.compile(r"(?<=\w)-(?=\w)", re.ASCII)
# Tweet-style tokens, in priority order: URLs, e-mails, @handles, #tags, words with inner
# apostrophes/dashes, numbers with inner separators (1,000 3.5 12:30 1/2), plain words, ellipses,
# and any other single non-space character.
_TWEET = re.compile(r"""
    (?:https?://|www\.)\S+
  | [\w.+-]+@[\w-]+\.[\w.-]+
  | @\w+
  | \#+\w+
  | [^\W\d_](?:[^\W\d_]|['\-_])+[^\W\d_]
  | [+\-]?\d+(?:[,/.:-]\d+)+[+\-]?
  | \w+
  | \.(?:\s*\.)+
  | \S
""", re.VERBOSE | re.ASCII)
_PUNCT = frozenset(string.punctuation)


def strip_accents(text: str) -> str:
    """NFD-decompose and drop combining marks (é -> e); ASCII text is returned untouched."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def paper_tokenize(text: str) -> list[str]:
    """The original system's BM25 tokeniser (see REFERENCE.md), step by step."""
    text = _NON_ASCII.sub(" ", strip_accents(text))
    text = _PAPER_SPACES.sub(" ", text)
    text = _WORD_DASH_WORD.sub(" ", text)
    tokens = []
    for tok in _TWEET.findall(text):
        tok = tok.lower()
        if all(c in _PUNCT or c.isspace() for c in tok):
            continue
        if tok.endswith("."):
            tok = tok[:-1]
        if tok:
            tokens.append(tok)
    return tokens


_STEMMERS = {"en": "english", "pt": "portuguese"}
_WORD = re.compile(r"\w+")
# Invisible format characters (Unicode Cf) that occur inside words in pasted or exported text: soft hyphen,
# zero-width (non-)joiners, bidi marks and embeddings, word joiner, BOM. The zero-width space separates words.
_ZW_SPACE = re.compile("\u200b")
_FORMAT_CHARS = re.compile("[\u00ad\u061c\u180e\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def clean_unicode(text: str) -> str:
    """NFC-compose (so 'e' + U+0301 is the same word as 'é') and drop invisible format characters.

    Why: `\\w+` stops at a combining mark or a zero-width character, so decomposed or copy-pasted text
    would split 'ação' into 'ac', 'a', 'o' and never match the same word typed normally.
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _FORMAT_CHARS.sub("", _ZW_SPACE.sub(" ", text)))


@lru_cache(maxsize=None)
def stopwords(language: str) -> frozenset[str]:
    """bm25s's stopword list of the language (English: its short list, plus a few question words)."""
    from bm25s import stopwords as sw

    if language == "en":
        return frozenset(sw.STOPWORDS_EN) | {"what", "which", "who", "whom", "whose", "does", "did", "do",
                                             "how", "when", "where", "why", "is", "are", "was", "were"}
    if language == "pt":
        return frozenset(sw.STOPWORDS_PORTUGUESE)
    raise SesameInputError(f"no BM25 stopword list for language {language!r}", fix="use en or pt")


class DefaultAnalyzer:
    """NFC, lower-case word tokens, stopwords removed, Snowball-stemmed (PyStemmer, C speed)."""

    def __init__(self, language: str) -> None:
        if language not in _STEMMERS:
            raise SesameInputError(f"no BM25 stemmer for language {language!r}", fix="use en or pt")
        import Stemmer

        self.language = language
        self._stop = stopwords(language)
        self._stemmer = Stemmer.Stemmer(_STEMMERS[language])

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(clean_unicode(text).lower()) if w not in self._stop]
        return self._stemmer.stemWords(words)

    def __getstate__(self) -> dict:
        return {"language": self.language}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["language"])


def make_tokenizer(mode: str, language: str) -> Tokenizer:
    if mode == "paper":
        return paper_tokenize
    if mode == "default":
        return DefaultAnalyzer(language)
    raise SesameInputError(f"unknown BM25 mode {mode!r}", fix="use 'default' or 'paper'")


def tokenize_all(tokenizer: Tokenizer, texts: Iterable[str], *, desc: str | None = None,
                 total: int | None = None) -> list[list[str]]:
    """Tokenise many texts, with a progress bar when `desc` is given."""
    if desc is None:
        return [tokenizer(t) for t in texts]
    from tqdm.auto import tqdm

    return [tokenizer(t) for t in tqdm(texts, desc=desc, total=total, unit="text", mininterval=2.0)]
