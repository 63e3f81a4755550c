"""The workflow on a REAL SLURM cluster, through profiles/slurm-ci and the SLURM executor plugin.

Runs when SESAME_SLURM=1, which tests/slurm/run_with_cluster.sh sets after starting the single-node
cluster of ci/slurm/ (`make test` as root on Debian); skips elsewhere. ONE snakemake run (a module
fixture, 2-4 minutes) covers everything, so that the slow parts overlap:
  - the documented subset of the real workflow for a tiny dataset: collection -> index_bm25 ->
    retrieve (bm25), and collection -> index_dense (a GPU rule; its index is the target, so the
    run does not load the encoder a second time for dense retrieval);
  - the fault probes of tests/slurm/Snakefile: probe_flaky (a GPU job that fails once),
    probe_fail (a GPU job that always fails), probe_timeout (a CPU job that sleeps past its 1-minute
    time limit; SLURM checks limits every 30 s, so it dies 60-90 s in).
The probes are placed on the GPU partition by a profile overlay that copies index_dense's entry.
Each test then checks one property against SLURM's own record of the jobs (jobcomp.txt: state and
partition per job id), the rule logs (sesame.workflow.rule_logging records SLURM_JOB_ID,
SLURM_JOB_PARTITION and CUDA_VISIBLE_DEVICES) and snakemake's output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "tiny_squad.json"
CI_PROFILE = ROOT / "profiles" / "slurm-ci"
GPU_PROBES = ("probe_flaky", "probe_fail")
REAL_TARGETS = ["results/en/tiny/retrieval/bm25.parquet", "results/en/tiny/index/dense"]
PROBE_TARGETS = ["probe/flaky_gpu.txt", "probe/fail_gpu.txt", "probe/timeout_cpu.txt"]
RUN_TIMEOUT = 420  # seconds; the run takes 2-4 minutes (4 on a 2-core machine under other load)

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        os.environ.get("SESAME_SLURM") != "1",
        reason="needs the real SLURM cluster: `make test` as root on Debian "
        "(tests/slurm/run_with_cluster.sh starts it and sets SESAME_SLURM=1)",
    ),
]


@dataclass
class SlurmRun:
    rc: int
    out: str
    workdir: Path
    seconds: float
    jobs: dict[str, list[tuple[str, str, str]]]  # rule -> [(slurm job id, final state, partition)], in order

    def states(self, rule: str) -> list[str]:
        return [state for _, state, _ in self.jobs.get(rule, [])]

    def partitions(self, rule: str) -> set[str]:
        return {part for _, _, part in self.jobs.get(rule, [])}


def _jobcomp() -> dict[str, tuple[str, str]]:
    """SLURM's completion record: job id -> (state, partition)."""
    path = Path(os.environ.get("SLURM_LAB", "/tmp/sesame-slurm")) / "log" / "jobcomp.txt"
    rows = re.findall(r"JobId=(\d+) .*?JobState=(\w+) Partition=(\S+)", path.read_text())
    return {jid: (state, part) for jid, state, part in rows}


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory) -> SlurmRun:
    work = tmp_path_factory.mktemp("slurm-run")
    config = work / "tiny.yaml"
    config.write_text(yaml.safe_dump({
        "languages": ["en"],
        "datasets": {"tiny": {"path": str(FIXTURE), "format": "squad", "language": "en"}},
        "retrieval": {"retrievers": ["bm25"]},
    }))
    profile = yaml.safe_load((CI_PROFILE / "config.yaml").read_text())
    overlay = work / "overlay"
    overlay.mkdir()
    placement = dict(profile["set-resources"])
    placement.update({rule: dict(profile["set-resources"]["index_dense"]) for rule in GPU_PROBES})
    (overlay / "config.yaml").write_text(yaml.safe_dump({"set-resources": placement}))

    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    # Targets first: --configfile takes several values. `timeout -k`: snakemake ignores a plain
    # SIGTERM while it waits on SLURM jobs.
    cmd = ["timeout", "-k", "10", str(RUN_TIMEOUT), sys.executable, "-m", "snakemake",
           *REAL_TARGETS, *PROBE_TARGETS,
           "--snakefile", str(ROOT / "tests" / "slurm" / "Snakefile"), "--directory", str(work),
           "--profile", str(CI_PROFILE), "--profile", str(overlay), "--configfile", str(config)]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT + 30)
    seconds = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    (work / "snakemake.out").write_text(out)
    assert proc.returncode not in (124, 137), f"snakemake hung; output in {work / 'snakemake.out'}"

    # "Job 3 has been submitted with SLURM jobid 7 (log: <workdir>/logs/slurm/rule_<rule>/<wc>/7.log)."
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/", out)
    record = _jobcomp()
    jobs: dict[str, list[tuple[str, str, str]]] = {}
    for jid, rule in submitted:
        state, part = record.get(jid, ("MISSING", "?"))
        jobs.setdefault(rule, []).append((jid, state, part))
    print(f"\nSLURM run: {seconds:.0f} s, rc={proc.returncode}, jobs={jobs}")
    return SlurmRun(proc.returncode, out, work, seconds, jobs)


def _log(run: SlurmRun, rel: str) -> str:
    return (run.workdir / rel).read_text()


def test_workflow_subset_runs_as_slurm_jobs(slurm_run):
    """collection, index_bm25, index_dense and retrieve ran, each rule as its own SLURM job."""
    run = slurm_run
    for target in REAL_TARGETS:
        assert (run.workdir / target).exists(), f"{target} missing; see {run.workdir / 'snakemake.out'}"
    expected = {"collection": 1, "index_bm25": 1, "index_dense": 1, "retrieve": 1}
    for rule, n in expected.items():
        assert run.states(rule) == ["COMPLETED"] * n, (rule, run.jobs.get(rule))
    for rule, log in [("collection", "logs/en/tiny/collection.log"), ("index_bm25", "logs/en/tiny/index_bm25.log"),
                      ("index_dense", "logs/en/tiny/index_dense.log"), ("retrieve", "logs/en/tiny/retrieve_bm25.log")]:
        jid = run.jobs[rule][0][0]
        assert f"SLURM_JOB_ID={jid} " in _log(run, log), f"{rule} did not run inside SLURM job {jid}"


def test_rules_land_on_their_partitions_and_gpu_rules_get_a_gpu(slurm_run):
    """The profile's mapping is real: CPU rules on `cpu`, index_dense on `gpu` with a GPU allocated."""
    run = slurm_run
    for rule in ("collection", "index_bm25", "retrieve", "probe_timeout"):
        assert run.partitions(rule) == {"cpu"}, (rule, run.jobs.get(rule))
    for rule in ("index_dense", *GPU_PROBES):
        assert run.partitions(rule) == {"gpu"}, (rule, run.jobs.get(rule))
    dense_log = _log(run, "logs/en/tiny/index_dense.log")
    assert re.search(r"SLURM_JOB_PARTITION=gpu CUDA_VISIBLE_DEVICES=\d", dense_log), dense_log
    assert "CUDA_VISIBLE_DEVICES" not in _log(run, "logs/en/tiny/collection.log")


def test_transient_gpu_failure_is_retried(slurm_run):
    """A GPU job failing once is resubmitted by the profile's `retries` and then succeeds."""
    run = slurm_run
    assert run.states("probe_flaky") == ["FAILED", "COMPLETED"], run.jobs.get("probe_flaky")
    assert (run.workdir / "probe/flaky_gpu.txt").read_text() == "flaky done\n"
    second = run.jobs["probe_flaky"][1][0]
    log = _log(run, "logs/probe/flaky_gpu.log")  # the log of the last attempt
    assert re.search(rf"SLURM_JOB_ID={second} SLURM_JOB_PARTITION=gpu CUDA_VISIBLE_DEVICES=\d", log), log
    assert "Trying to restart job" in run.out


def test_permanent_failure_is_reported_with_rule_wildcards_and_log(slurm_run):
    """A GPU job failing every time uses up 1 + retries attempts, then is named with its log."""
    run = slurm_run
    retries = yaml.safe_load((CI_PROFILE / "config.yaml").read_text())["retries"]
    assert run.states("probe_fail") == ["FAILED"] * (1 + retries), run.jobs.get("probe_fail")
    assert run.rc != 0
    assert not (run.workdir / "probe/fail_gpu.txt").exists()
    last = run.jobs["probe_fail"][-1][0]
    assert f"SLURM-job '{last}' failed, SLURM status is: 'FAILED'" in run.out
    assert (f"rule probe_fail (wildcards: name=gpu) failed after {1 + retries} attempt(s); "
            "log: logs/probe/fail_gpu.log") in run.out, run.out[-3000:]
    assert "simulated permanent failure" in run.out  # show-failed-logs prints the rule's log


def test_time_limit_kill_is_reported_as_timeout(slurm_run):
    """A job over its SLURM time limit is killed by the scheduler and reported as TIMEOUT."""
    run = slurm_run
    assert run.states("probe_timeout") == ["TIMEOUT"], run.jobs.get("probe_timeout")
    jid = run.jobs["probe_timeout"][0][0]
    assert f"SLURM-job '{jid}' failed, SLURM status is: 'TIMEOUT'" in run.out
    assert ("rule probe_timeout (wildcards: name=cpu) failed after 1 attempt(s); "
            "log: logs/probe/timeout_cpu.log") in run.out
