"""The closing failure list (Snakefile `onerror:` -> sesame.workflow.failure_summary), without SLURM.

Runs everywhere: a real local snakemake run of tests/slurm/Snakefile's always-failing probe with one
retry. The same list on the real cluster is checked in test_slurm_workflow.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_failed_job_is_listed_with_rule_wildcards_attempts_and_log(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({
        "languages": ["en"],
        "datasets": {"tiny": {"path": str(ROOT / "tests/fixtures/tiny_squad.json"), "format": "squad",
                              "language": "en"}},
    }))
    cmd = [sys.executable, "-m", "snakemake", "probe/fail_local.txt", "probe/flaky_local.txt",
           "--snakefile", str(ROOT / "tests/slurm/Snakefile"), "--directory", str(tmp_path),
           "--profile", str(ROOT / "profiles/local"), "--cores", "1", "--retries", "1", "--keep-going",
           "--configfile", str(config)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert ("sesame: 1 job(s) failed:\n"
            "  rule probe_fail (wildcards: name=local) failed after 2 attempt(s); "
            "log: logs/probe/fail_local.log") in text, text[-3000:]
    # the flaky probe failed once and was rescued by the retry, so it is not listed
    assert (tmp_path / "probe/flaky_local.txt").read_text() == "flaky done\n"
    assert "simulated permanent failure" in (tmp_path / "logs/probe/fail_local.log").read_text()
