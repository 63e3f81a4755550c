# Config validation, wildcard constraints and target functions. No rule logic here.
import sys
from pathlib import Path

from sesame.config import validate_config
from sesame.errors import SesameInputError
from sesame.readers import TRAINED_READERS
from sesame.readers.common import language_models, run_config

try:
    config = validate_config(config)
except SesameInputError as e:
    sys.exit(f"sesame: {e}")

LANGS = config["languages"]
DATASETS = {name: ds for name, ds in config["datasets"].items() if ds["language"] in LANGS}


wildcard_constraints:
    dataset="|".join(DATASETS) or "NONE",
    lang="en|pt",
    retriever="bm25|dense|hybrid|oracle",
    reader="extractive-base|extractive|llm-lora|llm-base|external",
    frac="[0-9.]+",
    seed="[0-9]+",


def dataset_input(wildcards):
    """Raw dataset path of one dataset."""
    return DATASETS[wildcards.dataset]["path"]


def dataset_documents(wildcards):
    """A text folder's document files: editing one in place does not touch the folder's mtime."""
    ds = DATASETS[wildcards.dataset]
    if ds["format"] != "text" or not Path(ds["path"]).is_dir():
        return []
    from sesame.data.loaders import text_files

    return [str(f) for f in text_files(Path(ds["path"]))]


def collection_dir(wildcards):
    return f"results/{wildcards.lang}/{wildcards.dataset}/collection"


def run_metrics_files(names=None):
    """metrics.json of every run: datasets x retrievers x readers x fractions x seeds."""
    return [
        f"results/{DATASETS[name]['language']}/{name}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/metrics.json"
        for name in (names or DATASETS)
        for retriever in config["retrieval"]["retrievers"]
        for reader in config["readers"]["names"]
        for frac in config["grid"]["fractions"]
        for seed in config["grid"]["seeds"]
    ]


def retrieval_metrics_files(names=None):
    """The sentence-retrieval metrics of every dataset x retriever."""
    return [
        f"results/{DATASETS[name]['language']}/{name}/retrieval/{retriever}.metrics.json"
        for name in (names or DATASETS)
        for retriever in config["retrieval"]["retrievers"]
    ]


def dataset_targets(name):
    """Every output of one dataset (the `dataset_<name>` target)."""
    lang = DATASETS[name]["language"]
    synthetic = [f"results/{lang}/{name}/synthetic/{config['synthetic']['generator']}.jsonl"]
    return [f"results/{lang}/{name}/collection"] + synthetic + retrieval_metrics_files([name]) + run_metrics_files([name])


def all_targets():
    """Every dataset's results, the pretrained models when enabled, and the tables, figures and report."""
    summaries = ["results/tables/main_f1.md", "results/figures/f1_vs_fraction.png", "results/report.html"]
    return [t for name in DATASETS for t in dataset_targets(name)] + pretraining_targets() + summaries

# --- Synthetic data ----------------------------------------------------------------------------


def synth_params(wc):
    """The generator's settings: config `synthetic:` plus the language's model references."""
    from dataclasses import asdict

    from sesame.synth import SynthConfig

    return asdict(SynthConfig.from_config(config, wc.lang, wc.generator))


def pretrained_model_inputs(lang, keys):
    """Model references of `models.<lang>` that point into results/ (pretrained folders), so they are built first."""
    refs = [config["models"].get(lang, {}).get(k) for k in keys]
    return [r for r in refs if isinstance(r, str) and r.startswith("results/")]


def synth_model_inputs(wc):
    keys = ["answer_extraction", "question_generation"] if wc.generator == "t5" else ["llm"]
    return pretrained_model_inputs(wc.lang, keys)

# --- Pretraining (opt-in) ----------------------------------------------------------------------


def pretrain_squad(wc):
    from sesame.synth.pretrain import squad_path

    return squad_path(config["pretraining"]["squad_file"], wc.lang)


def pretrain_params(wc):
    from dataclasses import asdict

    from sesame.synth.pretrain import PretrainConfig

    return asdict(PretrainConfig.from_config(config, wc.lang))


def pretraining_targets():
    """Every pretrained model folder, when pretraining is enabled."""
    if not config["pretraining"]["enabled"]:
        return []
    return [f"results/models/pretrained/{m}_{lang}" for lang in LANGS for m in ("ae", "qg", "embedding")]

# --- Retrieval ---------------------------------------------------------------------------------


def retrieval_settings(lang):
    """RetrievalConfig.as_dict() of one language (its embedding model from models.<lang>.embedding)."""
    from sesame.retrieval.stage import RetrievalConfig

    return RetrievalConfig.from_config(config, lang).as_dict()


def index_params(wc, kind):
    """Only the settings that change the built index (nprobe and top_k act at query time)."""
    cfg = retrieval_settings(wc.lang)
    if kind == "bm25":
        return {"bm25": cfg["bm25"]}
    return {"dense": {k: cfg["dense"][k] for k in ("model", "index", "nlist", "hnsw_m", "batch_size")}}


def retrieve_params(wc):
    """The settings of one retriever (bm25 runs do not rerun when dense settings change, and so on)."""
    from sesame.retrieval.stage import RetrievalConfig

    cfg = RetrievalConfig.from_dict(retrieval_settings(wc.lang))
    return cfg.as_dict(wc.retriever)


def retrieval_index_inputs(wc):
    """{bm25_index, dense_index} folders the retriever needs (none for oracle), and a pretrained encoder
    folder when the dense part encodes its queries with one."""
    from sesame.retrieval.stage import NEEDS

    inputs = {f"{kind}_index": f"results/{wc.lang}/{wc.dataset}/index/{kind}" for kind in NEEDS[wc.retriever]}
    inputs["models"] = pretrained_model_inputs(wc.lang, ["embedding"]) if "dense" in NEEDS[wc.retriever] else []
    return inputs


def retrieval_targets(name):
    """Run tables and their metrics, every configured retriever of one dataset."""
    lang = DATASETS[name]["language"]
    return [
        f"results/{lang}/{name}/retrieval/{r}.{ext}"
        for r in config["retrieval"]["retrievers"]
        for ext in ("parquet", "metrics.json", "metrics.csv")
    ]

# --- Readers -----------------------------------------------------------------------------------


def synthetic_pairs(wc):
    """The synthetic QA pairs of one dataset, from the configured generator."""
    return f"results/{wc.lang}/{wc.dataset}/synthetic/{config['synthetic']['generator']}.jsonl"


def reader_model_dir(wc):
    return f"results/{wc.lang}/{wc.dataset}/models/{wc.reader}/frac{wc.frac}/seed{wc.seed}"


def reader_model_output():
    out = directory("results/{lang}/{dataset}/models/{reader}/frac{frac}/seed{seed}")
    return out if config["keep_models"] else temp(out)


def gold_output():
    out = "results/{lang}/{dataset}/gold_context/{reader}/frac{frac}/seed{seed}.jsonl"
    return out if config["keep_models"] else temp(out)


def gold_params(wc):
    """The run config without retrieval settings: gold-context answers do not depend on them."""
    cfg = run_config(config, wc.dataset, None, wc.reader, float(wc.frac), int(wc.seed))
    return {k: v for k, v in cfg.items() if k != "retrieval"}


def train_params(wc):
    """What shapes a trained reader: its config section and base model (not the retriever)."""
    section = "extractive" if wc.reader == "extractive" else "llm"
    key = "reader_encoder" if wc.reader == "extractive" else "llm"
    return {"section": config["readers"][section], "model": language_models(config, wc.lang)[key]}


def gold_inputs(wc):
    """Collection, trained model folder, external predictions file."""
    inputs = {"collection": collection_dir(wc)}
    if wc.reader in TRAINED_READERS:
        inputs["model"] = reader_model_dir(wc)
    if wc.reader == "external":
        path = DATASETS[wc.dataset].get("external_predictions")
        if not path:
            raise ValueError(f"reader `external` needs datasets.{wc.dataset}.external_predictions in the config")
        inputs["external"] = path
    return inputs


def predict_inputs(wc):
    """Collection, retrieval run (not for external), model folder, external file, shared gold answers."""
    gold = f"results/{wc.lang}/{wc.dataset}/gold_context/{wc.reader}/frac{wc.frac}/seed{wc.seed}.jsonl"
    inputs = {**gold_inputs(wc), "gold": gold}
    if wc.reader != "external":
        inputs["run"] = f"results/{wc.lang}/{wc.dataset}/retrieval/{wc.retriever}.parquet"
    return inputs

# --- Serving a finished run --------------------------------------------------------------------


def serve_run_dir(name):
    """The run folder that serve_<name> serves: ask.retriever / ask.reader at ask.frac / ask.seed (or the grid's first)."""
    ask, grid = config["ask"], config["grid"]
    frac = grid["fractions"][0] if ask["frac"] is None else ask["frac"]
    seed = grid["seeds"][0] if ask["seed"] is None else ask["seed"]
    lang = DATASETS[name]["language"]
    return f"results/{lang}/{name}/runs/{ask['retriever']}/{ask['reader']}/frac{frac}/seed{seed}"


def serve_inputs(name):
    """Everything `sesame serve --run` loads, so that Snakemake (re)builds it first (reader folders are temp())."""
    run = serve_run_dir(name)
    base = run.split("/runs/")[0]
    retriever, reader, frac, seed = run.split("/")[-4:]
    parts = ("bm25", "dense") if retriever == "hybrid" else (retriever,)
    inputs = {
        "metrics": f"{run}/metrics.json",
        "calibration": f"{run}/predictions.contexts.jsonl",
        "collection": f"{base}/collection",
        "index": [f"{base}/index/{p}" for p in parts],
    }
    if reader != "extractive-base":
        inputs["model"] = f"{base}/models/{reader}/{frac}/{seed}"
    return inputs
