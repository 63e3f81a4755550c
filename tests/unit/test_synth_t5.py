"""The T5 path end to end: tiny T5s pretrained on fixture text drive the generator; runs are byte-identical."""

import pytest

from sesame.io import read_jsonl

FIXTURE = "tests/fixtures/tiny_squad.json"
TINY = dict(epochs=100, learning_rate=1e-2, batch_size=8,
            tiny_t5=dict(vocab_size=200, d_model=64, d_ff=128, num_layers=2, num_heads=4))


@pytest.fixture(scope="module")
def t5_models(tmp_path_factory):
    from sesame.synth.pretrain import PretrainConfig, pretrain_t5

    root = tmp_path_factory.mktemp("t5")
    cfg = PretrainConfig(language="en", device="cpu", **TINY)
    info = {task: pretrain_t5(FIXTURE, root / task, task, cfg, threads=1) for task in ("ae", "qg")}
    return root, info


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    from sesame.data import make_collection

    out = tmp_path_factory.mktemp("coll") / "c"
    make_collection(FIXTURE, "squad", "en", out)
    return out


def _run(t5_models, collection, out_dir, **over):
    from sesame.synth import SynthConfig, generate_synthetic

    root, _ = t5_models
    cfg = SynthConfig(generator="t5", language="en", answer_extraction=str(root / "ae"),
                      question_generation=str(root / "qg"), chunk_sentences=3, device="cpu", **over)
    return generate_synthetic(collection, out_dir / "t5.jsonl", out_dir / "t5.stats.json", cfg, threads=1)


@pytest.mark.slow
def test_pretrained_folders_hold_model_tokenizer_and_info(t5_models):
    from transformers import AutoTokenizer

    root, info = t5_models
    assert info["ae"]["examples"] == 4 and info["qg"]["examples"] == 4
    assert info["qg"]["final_loss"] < 1.0
    tok = AutoTokenizer.from_pretrained(root / "qg")
    for special in ("<hl>", "<ha>", "<sep>"):
        assert len(tok(special, add_special_tokens=False)["input_ids"]) == 1
    assert (root / "qg" / "sesame_pretrain.json").exists()


@pytest.mark.slow
def test_tiny_t5_drives_the_generator_end_to_end(t5_models, collection, tmp_path):
    stats = _run(t5_models, collection, tmp_path)
    rows = read_jsonl(tmp_path / "t5.jsonl", allow_empty=True)
    assert stats["generator"] == "t5" and stats["contexts"] == 2
    assert stats["kept"] == len(rows) >= 1
    assert stats["kept"] + stats["dropped_total"] == stats["generated"]
    for r in rows:
        assert set(r) == {"context_id", "context", "question", "answer", "source"}
        a = r["answer"]
        assert r["context"][a["start"]:a["start"] + len(a["text"])] == a["text"]
        assert r["source"] == "t5"
    # the tiny model memorised the fixture: its questions come back, so the trained model really drove generation
    fixture_questions = {"When did the lab open?", "Who led the lab?", "How many staff does it have?",
                         "When does Aurora sail?"}
    assert any(r["question"] in fixture_questions for r in rows)


@pytest.mark.slow
def test_two_runs_are_byte_identical(t5_models, collection, tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    _run(t5_models, collection, tmp_path / "a")
    _run(t5_models, collection, tmp_path / "b")
    for name in ("t5.jsonl", "t5.stats.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.slow
def test_one_multitask_folder_serves_both_tasks(t5_models):
    from sesame.synth.t5 import T5Generator
    from sesame.synth.templates import T5_TEMPLATES

    root, _ = t5_models
    gen = T5Generator(str(root / "qg"), str(root / "qg"), "pt", T5_TEMPLATES["pt"])
    assert gen.qg_model is gen.ae_model


@pytest.mark.slow
def test_cli_runs_the_same_stage(t5_models, collection, tmp_path, capsys):
    from sesame.cli import main

    root, _ = t5_models
    out = tmp_path / "cli.jsonl"
    code = main(["synth", "--collection", str(collection), "--out", str(out), "--generator", "t5",
                 "--ae-model", str(root / "ae"), "--qg-model", str(root / "qg"), "--threads", "1"])
    assert code == 0
    assert "pairs kept of" in capsys.readouterr().out
    assert (tmp_path / "cli.stats.json").exists()
    # the CLI's defaults chunk by the paper rule (2 sentences here), so compare with a run using that rule
    assert read_jsonl(out, allow_empty=True) == read_jsonl(_run_default_chunks(t5_models, collection, tmp_path),
                                                           allow_empty=True)


def _run_default_chunks(t5_models, collection, tmp_path):
    from sesame.synth import SynthConfig, generate_synthetic

    root, _ = t5_models
    cfg = SynthConfig(generator="t5", language="en", answer_extraction=str(root / "ae"),
                      question_generation=str(root / "qg"), device="cpu")
    generate_synthetic(collection, tmp_path / "lib.jsonl", tmp_path / "lib.stats.json", cfg, threads=1)
    return tmp_path / "lib.jsonl"


def test_cli_reports_a_missing_model_in_one_line(tmp_path, capsys):
    from sesame.cli import main
    from sesame.data import make_collection

    make_collection(FIXTURE, "squad", "en", tmp_path / "c")
    assert main(["synth", "--collection", str(tmp_path / "c"), "--out", str(tmp_path / "o.jsonl"),
                 "--generator", "t5"]) == 2
    err = capsys.readouterr().err
    assert "models.en.answer_extraction" in err and "Traceback" not in err


def test_t5_generator_without_models_is_a_user_error(tmp_path):
    from sesame.errors import SesameInputError
    from sesame.synth import SynthConfig, generate_synthetic
    from sesame.data import make_collection

    make_collection(FIXTURE, "squad", "en", tmp_path / "c")
    with pytest.raises(SesameInputError, match="answer_extraction"):
        generate_synthetic(tmp_path / "c", tmp_path / "o.jsonl", tmp_path / "o.json",
                           SynthConfig(generator="t5", language="en"))
