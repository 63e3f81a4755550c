"""Shared helper for real Snakemake runs in a temporary working directory.

`run_snakemake(config, targets, extra_args)` writes `config` (a dict) to <workdir>/config.yaml and runs
the repository's Snakefile there with `--directory <workdir> --configfile <workdir>/config.yaml
--profile profiles/local --cores 2`, so results/, logs/, benchmarks/ and .snakemake/ all land in the
tmp folder and never in the repository. Relative data paths in the config are relative to the workdir
(`run_snakemake.workdir`); write fixtures there or give absolute paths. It returns the
CompletedProcess (stdout/stderr as text) and, unless `check=False`, fails the test with the tail of
Snakemake's output and of every rule log when Snakemake exits non-zero.

For a run shared by several tests, build one at module scope:
`run = snakemake_factory(tmp_path_factory.mktemp("wf"))`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
LOCAL_PROFILE = REPO / "profiles" / "local"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


class SnakemakeRunner:
    """Runs the repository's workflow in one working directory (see the module docstring)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)

    def command(self, config: dict | str | os.PathLike | None, targets: Sequence[str] = (),
                extra_args: Sequence[str] = ()) -> list[str]:
        """The snakemake command line (config: a dict written to <workdir>/config.yaml, a path, or None)."""
        cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "--directory", str(self.workdir)]
        if isinstance(config, dict):
            path = self.workdir / "config.yaml"
            path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            cmd += ["--configfile", str(path)]
        elif config is not None:
            cmd += ["--configfile", str(config)]
        extra = list(extra_args)
        if "--profile" not in extra:
            cmd += ["--profile", str(LOCAL_PROFILE)]
        if not any(a in ("--cores", "-c") or a.startswith("--cores=") for a in extra):
            cmd += ["--cores", "2"]
        return cmd + ([*extra, "--", *targets] if targets else extra)  # "--": a list option cannot eat a target

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**os.environ, **OFFLINE_ENV, **(extra or {})}

    def __call__(self, config: dict | str | os.PathLike | None, targets: Sequence[str] = (),
                 extra_args: Sequence[str] = (), *, check: bool = True, timeout: float = 900,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run snakemake to the end (see `command` for the arguments)."""
        cmd = self.command(config, targets, extra_args)
        proc = subprocess.run(cmd, cwd=self.workdir, capture_output=True, text=True, timeout=timeout,
                              env=self.env(env))
        if check and proc.returncode != 0:
            pytest.fail(f"snakemake exited {proc.returncode}: {' '.join(cmd)}\n{self.describe(proc)}", pytrace=False)
        return proc

    def describe(self, proc: subprocess.CompletedProcess, tail: int = 4000) -> str:
        """Snakemake's output and the rule logs, shortened, for failure messages."""
        parts = [f"--- stdout ---\n{proc.stdout[-tail:]}", f"--- stderr ---\n{proc.stderr[-tail:]}"]
        logs = self.workdir / "logs"
        if logs.is_dir():
            for log in sorted(logs.rglob("*.log")):
                parts.append(f"--- {log.relative_to(self.workdir)} ---\n{log.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)


@pytest.fixture
def run_snakemake(tmp_path: Path) -> SnakemakeRunner:
    """A SnakemakeRunner working in a fresh tmp folder (its path is `run_snakemake.workdir`)."""
    return SnakemakeRunner(tmp_path / "workflow")


@pytest.fixture(scope="session")
def snakemake_factory():
    """SnakemakeRunner for a given working directory, for module- or session-scoped runs."""
    return SnakemakeRunner


def parse_job_counts(output: str) -> dict[str, int]:
    """Rule -> job count from the first "Job stats" table of a Snakemake run or dry run."""
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}


@pytest.fixture(scope="session")
def job_counts():
    """parse_job_counts, for tests (conftest modules are not importable by name)."""
    return parse_job_counts
