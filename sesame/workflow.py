"""Helpers for the thin Snakemake adapter scripts in workflow_scripts/.

Why: every rule should log to its own file, and a user error should end the job with one clear
line in that log (and on stderr), not a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Iterator

from sesame.errors import SesameInputError

# Where a job ran: the SLURM tests (and anyone debugging a cluster run) read these from the rule log.
JOB_ENV_VARS = ("SLURM_JOB_ID", "SLURM_JOB_PARTITION", "CUDA_VISIBLE_DEVICES")


def job_environment() -> str:
    """One log line naming the host and, where set, the SLURM job, partition and visible GPUs."""
    parts = [f"host={socket.gethostname()}"]
    parts += [f"{k}={os.environ[k]}" for k in JOB_ENV_VARS if k in os.environ]
    return "job environment: " + " ".join(parts)


@contextlib.contextmanager
def rule_logging(log_path: str | None) -> Iterator[logging.Logger]:
    """Send Python logging, stdout and stderr of the rule to its log file; turn user errors into exit 2."""
    log = logging.getLogger("sesame")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    fh = None
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        fh = open(log_path, "a", encoding="utf-8")
        handlers = [logging.StreamHandler(fh)]
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    old_out, old_err = sys.stdout, sys.stderr
    if fh:
        sys.stdout = sys.stderr = fh
    try:
        log.info(job_environment())
        yield log
    except SesameInputError as e:
        msg = f"error: {e}"
        print(msg, file=fh or old_err)
        print(msg, file=old_err)
        if fh:
            fh.flush()
        raise SystemExit(2) from None
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        if fh:
            fh.close()


def failure_summary(jobs) -> str:
    """One line per job that failed for good (retries used up): rule, wildcards, attempts, logs.

    Why: Snakemake's own error blocks omit the wildcards and are scattered through the output of a
    long `--keep-going` run (on SLURM, interleaved with the jobs' own logs); this is the list a user
    needs to find the failing dataset/seed, read its log, fix and rerun. `jobs` are Snakemake job
    objects (the Snakefile's `onerror:` passes the scheduler's failed set); group jobs are expanded.
    """
    lines = []
    for job in jobs:
        for j in getattr(job, "jobs", None) or [job]:
            wildcards = ", ".join(f"{k}={v}" for k, v in dict(j.wildcards_dict).items()) or "none"
            logs = ", ".join(str(p) for p in j.log) or "(no log: declare one)"
            lines.append(f"  rule {j.rule.name} (wildcards: {wildcards}) failed after "
                         f"{j.attempt} attempt(s); log: {logs}")
    if not lines:
        return ""
    return f"sesame: {len(lines)} job(s) failed:\n" + "\n".join(sorted(lines))
