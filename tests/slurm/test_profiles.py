"""The SLURM profiles place the rules as the README says (runs everywhere, no cluster needed).

profiles/slurm (real clusters) and profiles/slurm-ci (the CI cluster of ci/slurm/) cannot include
one another, so these checks keep their placement identical; test_slurm_workflow.py then runs the
CI one against a real SLURM.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GPU_RULES = {"synthesize", "index_dense", "train_reader", "predict", "pretrain_t5", "pretrain_embedding"}
CPU_RULES = {"collection", "index_bm25", "retrieve"}


def _profile(name: str) -> dict:
    return yaml.safe_load((ROOT / "profiles" / name / "config.yaml").read_text())


@pytest.mark.parametrize("name", ["slurm", "slurm-ci"])
def test_gpu_rules_get_a_gpu_and_cpu_rules_stay_on_cpu(name):
    p = _profile(name)
    assert p["executor"] == "slurm"
    placed = p["set-resources"]
    assert set(placed) == GPU_RULES, "only the GPU rules are placed; CPU rules use default-resources"
    for rule in GPU_RULES:
        assert placed[rule]["slurm_partition"] == "gpu" and placed[rule]["gpu"] == 1, rule
        assert placed[rule]["cpus_per_gpu"] >= 1, rule
    defaults = p["default-resources"]
    assert defaults["slurm_partition"] == "cpu" and defaults["slurm_account"]
    # cpus_per_task in default-resources would override cpus_per_gpu of every GPU rule
    assert "cpus_per_task" not in defaults
    assert p["retries"] >= 1 and p["rerun-incomplete"] is True and p["keep-going"] is True


def test_ci_profile_suits_a_cluster_without_slurmdbd():
    ci = _profile("slurm-ci")
    assert ci["slurm-status-command"] == "squeue"  # sacct fails without slurmdbd
    init = ci["slurm-init-seconds-before-status-checks"]
    min_job_age = int(re.search(r"^MinJobAge=(\d+)$", (ROOT / "ci/slurm/start-cluster.sh").read_text(), re.M)[1])
    assert min_job_age >= 3 * init  # else finished jobs vanish from squeue before the plugin sees them
    assert ci["retries"] == _profile("slurm")["retries"]


def test_placed_rules_exist_in_the_workflow():
    """A renamed rule would silently lose its GPU: every placed rule must be a workflow rule."""
    out = subprocess.run([sys.executable, "-m", "snakemake", "--list-rules"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    rules = set(out.stdout.split())
    assert GPU_RULES | CPU_RULES <= rules, f"not in the workflow: {sorted((GPU_RULES | CPU_RULES) - rules)}"
