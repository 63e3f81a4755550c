"""Every rule of the quality gate, on hand-made pairs."""

import pytest

from sesame.synth.quality import REASONS, GateConfig, QualityGate, RawPair, check_pair, grounding

CTX = "The Meridian lab opened in 1998. It has 42 staff and 42 boats."


def pair(question="When did the Meridian lab open?", answer="1998", start=27, context=CTX):
    return RawPair("d#0", context, question, answer, start, "t5")


EN = GateConfig("en")


def test_a_good_pair_passes():
    assert check_pair(pair(), EN) is None


@pytest.mark.parametrize("answer, start", [
    ("1998", 26),           # off by one
    ("1998", None),         # the generator could not place it
    ("1998", -1),           # what str.find returns for a miss
    ("1999", 27),           # not in the context at all
    (" 1998", 26),          # surrounding whitespace is not a clean span
    ("", 27),
])
def test_answer_must_be_the_exact_span_at_its_offset(answer, start):
    assert check_pair(pair(answer=answer, start=start), EN) == "answer_not_span"


def test_second_occurrence_is_a_valid_span():
    second = CTX.index("42", CTX.index("42") + 1)
    assert check_pair(pair("How many boats does it have?", "42", second), EN) is None


def test_answer_that_normalises_to_nothing():
    assert check_pair(pair("What does it open?", "The", 0), EN) == "empty_answer"


def test_empty_question():
    assert check_pair(pair("   "), EN) == "empty_question"


def test_too_long_question():
    q = "When did " + " ".join(f"w{i}" for i in range(40)) + "?"
    assert check_pair(pair(q), EN) == "too_long"


@pytest.mark.parametrize("q", ["What is the lab lab lab lab?", "When did the lab open the lab open the lab?"])
def test_repetitive_question(q):
    assert check_pair(pair(q), EN) == "repetitive"


def test_no_question_word_and_no_question_mark():
    assert check_pair(pair("Meridian lab opening"), EN) == "no_question_form"
    assert check_pair(pair("Meridian lab opening?"), EN) is None      # a '?' is enough
    assert check_pair(pair("when did the Meridian lab open"), EN) is None   # so is a question word


def test_question_containing_the_answer():
    assert check_pair(pair("Did the Meridian lab open in 1998?"), EN) == "answer_in_question"
    # normalised comparison: case and articles do not hide it
    assert check_pair(pair("Who has the 42 STAFF?", "42 staff", 40), EN) == "answer_in_question"


def test_question_holding_most_of_the_answer_words():
    ctx = "The lab was led by Dr. Erik Lindqvist until 2004."
    a = "Dr. Erik Lindqvist"
    assert check_pair(pair("Who was Dr. Lindqvist?", a, 19, ctx), EN) == "answer_words_in_question"
    assert check_pair(pair("Who led the lab until 2004?", a, 19, ctx), EN) is None
    # one-word answers are judged by the verbatim rule only
    assert check_pair(pair("How many staff does it have?", "42", 40), EN) is None


def test_ungrounded_question():
    assert check_pair(pair("When did the hospital close its kitchen?"), EN) == "ungrounded_question"
    assert grounding("When did the hospital close its kitchen?", CTX, "en") == 0.0
    assert grounding("When did the Meridian lab open?", CTX, "en") == 1.0   # 'open' matches 'opened'


def test_portuguese_rules():
    pt = GateConfig("pt")
    ctx = "O laboratório abriu em 1998."
    ok = RawPair("d#0", ctx, "Quando o laboratório abriu?", "1998", 23, "llm")
    assert check_pair(ok, pt) is None
    assert check_pair(RawPair("d#0", ctx, "laboratório aberto", "1998", 23, "llm"), pt) == "no_question_form"
    assert check_pair(RawPair("d#0", ctx, "O laboratório abriu em 1998?", "1998", 23, "llm"), pt) == "answer_in_question"


def test_gate_drops_normalised_duplicates_and_counts_every_reason():
    gate = QualityGate(EN)
    pairs = [pair(), pair("when did the meridian lab open"), pair("When did the Meridian lab open??"),
             pair(answer="1999"), pair("How many staff does it have?", "42", 40)]
    kept = gate.filter(pairs)
    assert [p.question for p in kept] == ["When did the Meridian lab open?", "How many staff does it have?"]
    stats = gate.stats()
    assert stats["kept"] == 2
    assert stats["dropped"]["duplicate_question"] == 2
    assert stats["dropped"]["answer_not_span"] == 1
    assert stats["dropped_total"] == 3
    assert list(stats["dropped"]) == list(REASONS)


def test_record_is_the_contract_shape():
    assert pair().record() == {"context_id": "d#0", "context": CTX, "question": "When did the Meridian lab open?",
                               "answer": {"text": "1998", "start": 27}, "source": "t5"}
