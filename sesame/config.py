"""Load and validate the workflow config against config/schema.yaml, filling every default.

Why our own validator (beside Snakemake's): schema errors must name the key and the allowed
values in one line, and the CLI, tests and rules must all see the same filled-in config.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from sesame.errors import SesameInputError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "config" / "schema.yaml"


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    """The parsed schema (treat it as read-only)."""
    return _schema_and_validator(Path(path))[0]


def _schema_and_validator(path: Path):
    """The parsed schema and its validator, cached per file version.

    Why cached: rule params validate a per-run config for every job, and a paper grid has thousands of
    jobs; parsing the YAML and building the validator each time made a dry run take minutes, not seconds.
    """
    return _parse_schema(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _parse_schema(path: str, mtime_ns: int):
    import jsonschema

    with open(path, encoding="utf-8") as fh:
        schema = yaml.safe_load(fh)
    return schema, jsonschema.Draft202012Validator(schema)


def known_fields(cls, section: Mapping | None) -> dict:
    """The entries of a config section that are fields of the dataclass `cls`.

    Why: a stage's dataclass holds the schema's keys plus code-level knobs, and a config section may hold
    keys another stage reads; each stage takes only what it knows and keeps its defaults for the rest.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in (section or {}).items() if k in names}


def _fill_defaults(instance: Any, schema: dict) -> None:
    if not isinstance(instance, dict) or schema.get("type") != "object":
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra)


def _describe(error) -> str:
    """One line naming the config key, what is wrong and, where the schema says, the allowed values."""
    path = [str(p) for p in error.absolute_path]
    key = ".".join(path) or "(top level)"
    props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    if error.validator == "enum":
        allowed = ", ".join(map(repr, error.validator_value))
        if "propertyNames" in error.schema_path:  # a mapping key that is not allowed (models: {fr: ...})
            return f"config key {'.'.join(path + [str(error.instance)])!r} is not allowed; allowed keys: {allowed}"
        return f"config key {key!r} is {error.instance!r}; allowed values: {allowed}"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        enum = props.get(missing, {}).get("enum")
        hint = f"; allowed values: {', '.join(map(repr, enum))}" if enum else ""
        return f"config key {'.'.join(path + [missing])!r} is missing (required){hint}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict) and props:
        unknown = next((k for k in error.instance if k not in props), "?")
        return (f"config key {'.'.join(path + [str(unknown)])!r} is unknown (check the spelling); "
                f"allowed keys: {', '.join(props)}")
    return f"config key {key!r}: {error.message}"


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Return a validated copy of `config` with all defaults filled in."""
    if schema is None:
        schema, validator = _schema_and_validator(SCHEMA_PATH)
    else:
        import jsonschema

        validator = jsonschema.Draft202012Validator(schema)
    config = copy.deepcopy(config or {})
    _fill_defaults(config, schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise SesameInputError(_describe(errors[0]), source="config", fix="see config/schema.yaml for every key")
    return config


def load_config(path: str | Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except FileNotFoundError:
        raise SesameInputError("config file not found", source=path) from None
    except yaml.YAMLError as e:
        raise SesameInputError(f"invalid YAML: {e}", source=path) from None
    return validate_config(raw)


def config_hash(obj: Any) -> str:
    """Stable short hash of a (sub-)config, stored beside every metric row."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]
