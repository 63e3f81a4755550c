"""Sentence segmentation: abbreviations (en, pt), Markdown structure, exact offsets, coverage."""

from __future__ import annotations

import time

import pytest

from sesame.data.segment import Span, split_sentences


def sentences(text: str, language: str = "en") -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text, language)]


EN_CASES = [
    ("Dr. Smith arrived. He sat down.", ["Dr. Smith arrived.", "He sat down."]),
    ("Mr. and Mrs. Lee met Prof. Ito. They talked.", ["Mr. and Mrs. Lee met Prof. Ito.", "They talked."]),
    ("The U.S. Army came. It left.", ["The U.S. Army came.", "It left."]),
    ("Fruit, e.g. apples, is sold. I.e. it is cheap. Next.",
     ["Fruit, e.g. apples, is sold.", "I.e. it is cheap.", "Next."]),
    ("It took approx. 40 days. Then it ended.", ["It took approx. 40 days.", "Then it ended."]),
    ("See No. 3 in the list. It is short.", ["See No. 3 in the list.", "It is short."]),
    ("The rate was 3.5 percent. It fell to 2.25 later.", ["The rate was 3.5 percent.", "It fell to 2.25 later."]),
    ("J. R. R. Tolkien wrote it. A. Lima read it.", ["J. R. R. Tolkien wrote it.", "A. Lima read it."]),
    ("She left at 5 p.m. on Friday. Fine.", ["She left at 5 p.m. on Friday.", "Fine."]),
    ("Smith et al. (2019) agree. Good.", ["Smith et al. (2019) agree.", "Good."]),
    ("See Fig. 2 and Vol. 4. Done.", ["See Fig. 2 and Vol. 4.", "Done."]),
    ('He said "Stop!" Then he left. Really? Yes... Okay.',
     ['He said "Stop!"', "Then he left.", "Really?", "Yes...", "Okay."]),
    ("It rose to $3.50. Next.", ["It rose to $3.50.", "Next."]),
    # Ordinary words that double as abbreviations only hide a sentence end before a number.
    ("He said no. Then he left. The cat sat. It slept.", ["He said no.", "Then he left.", "The cat sat.", "It slept."]),
    ("It opened on Jan. 5 of 1998. In Jan. The rest.", ["It opened on Jan. 5 of 1998.", "In Jan.", "The rest."]),
    # A unit letter is not an initial.
    ("Keep it at 4 °C. The lab is cold.", ["Keep it at 4 °C.", "The lab is cold."]),
    ("“Quoted.” Next one.", ["“Quoted.”", "Next one."]),
    ("Ends with Dr.", ["Ends with Dr."]),
    ("lower. case does not start a sentence.", ["lower. case does not start a sentence."]),
]

PT_CASES = [
    ("O Sr. Silva e a Sra. Souza chegaram. Depois saíram.",
     ["O Sr. Silva e a Sra. Souza chegaram.", "Depois saíram."]),
    ("Ela estudou na U.F.R.J. em 1990. Depois mudou-se.", ["Ela estudou na U.F.R.J. em 1990.", "Depois mudou-se."]),
    ("Veja o art. 5º da lei. Há frutas, p. ex. maçãs. Fim.",
     ["Veja o art. 5º da lei.", "Há frutas, p. ex. maçãs.", "Fim."]),
    ("A Dra. Ana e o Prof. Rui vieram. A Profa. Lia também.",
     ["A Dra. Ana e o Prof. Rui vieram.", "A Profa. Lia também."]),
    ("Mora na Av. Paulista, nº 100. A sala tem aprox. 30 m². Fim.",
     ["Mora na Av. Paulista, nº 100.", "A sala tem aprox. 30 m².", "Fim."]),
    ("O valor subiu 3,5 por cento. Caiu 2.5 depois.", ["O valor subiu 3,5 por cento.", "Caiu 2.5 depois."]),
    # "mar" (the sea) and "no" are words in Portuguese; "dez." is December only before a number.
    ("O barco voltou ao mar. Depois partiu.", ["O barco voltou ao mar.", "Depois partiu."]),
    ("Chegou em 5 de dez. 2020. Ficou no. Nada mais.", ["Chegou em 5 de dez. 2020.", "Ficou no.", "Nada mais."]),
    ('Ele disse: "Olá!" E foi-se.', ['Ele disse: "Olá!"', "E foi-se."]),
]


@pytest.mark.parametrize("text,expected", EN_CASES)
def test_english_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text, "en") == expected


@pytest.mark.parametrize("text,expected", PT_CASES)
def test_portuguese_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text, "pt") == expected


def test_abbreviation_lists_are_per_language() -> None:
    # "Sra." is a Portuguese title; in English it is an unknown word and may end a sentence.
    assert sentences("Falou a Sra. Lima.", "pt") == ["Falou a Sra. Lima."]
    assert sentences("We met at Sra. Lima was there.", "en") == ["We met at Sra.", "Lima was there."]


def test_markdown_headings_lists_and_paragraphs() -> None:
    text = ("# Field Guide\n"
            "Boats leave at dawn. Crews return by noon\n"
            "\n"
            "## Safety\n"
            "- wear a vest\n"
            "- check the radio\n"
            "* star item\n"
            "1. First step. It matters.\n"
            "2. Second step\n"
            "\r\n\r\n"
            "Last paragraph without a period")
    assert sentences(text) == [
        "# Field Guide",
        "Boats leave at dawn.",
        "Crews return by noon",
        "## Safety",
        "- wear a vest",
        "- check the radio",
        "* star item",
        "1. First step.",
        "It matters.",
        "2. Second step",
        "Last paragraph without a period",
    ]


def test_a_single_line_break_inside_a_paragraph_is_not_a_boundary() -> None:
    assert sentences("A sentence that wraps\nonto the next line. Next.") == [
        "A sentence that wraps\nonto the next line.", "Next."]


def test_offsets_are_exact_hand_computed() -> None:
    text = "  Dr. Lee came.  She left.\n\nBye"
    #       0123456789012345678901234567890
    assert split_sentences(text, "en") == [Span(2, 15), Span(17, 26), Span(28, 31)]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text, "en") == []


COVERAGE_TEXTS = [
    "Dr. Smith went to Washington. He arrived at 3 p.m. on Monday!  What?! Yes… ok.",
    "# T\n\n- a. b\n- c!\n1. x. Y\n\n\n  trailing   ",
    "O Sr. Silva (U.F.R.J.) disse: «Olá.» Depois, art. 5º. Fim?",
    "no terminal punctuation at all",
    "...!!! ??? …",
    "[PAR] x. [TLE] Y. \u200b Z.",
    "A.B.C. D. e.g. i.e. approx. No. 3. 3.5. $4. 40°C. End",
]


@pytest.mark.parametrize("language", ["en", "pt"])
@pytest.mark.parametrize("text", COVERAGE_TEXTS)
def test_every_non_space_character_lies_in_exactly_one_sentence(text: str, language: str) -> None:
    spans = split_sentences(text, language)
    owner = [0] * len(text)
    previous_end = 0
    for s in spans:
        assert previous_end <= s.start < s.end <= len(text), "spans are ordered and non-empty"
        piece = text[s.start:s.end]
        assert piece == piece.strip(), "spans are stripped"
        for i in range(s.start, s.end):
            owner[i] += 1
        previous_end = s.end
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert owner[i] == 1, f"{ch!r} at {i} lies in {owner[i]} sentences"
    # Joining the pieces back in order gives the text minus whitespace.
    assert "".join(text[s.start:s.end] for s in spans).replace(" ", "") == "".join(text.split())


def test_segmentation_is_linear_on_long_documents() -> None:
    # The original scan looked back to the start of the text at every period (quadratic: minutes here).
    text = "Dr. Smith met approx. 40 people in the U.S. in 1998. " * 4000
    t0 = time.perf_counter()
    spans = split_sentences(text, "en")
    assert len(spans) == 4000
    assert time.perf_counter() - t0 < 5.0
