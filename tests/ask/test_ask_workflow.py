"""The workflow hook: `snakemake serve_<dataset>` starts the service on a finished run, rebuilding nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from _ask_fixtures import FRAC, REPO, SEED

pytestmark = pytest.mark.slow
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(demo_root: Path, port: int) -> dict:
    """The fixture run's own config (as stored in its metrics.json), pointed at the fixture data, plus ask:."""
    from sesame.io import read_json

    from _ask_fixtures import run_dir

    cfg = read_json(run_dir(demo_root, "hybrid") / "metrics.json")["config"]
    cfg["datasets"]["demo_en"]["path"] = str(demo_root / "handbook_slice.json")
    cfg["ask"] = {"retriever": "hybrid", "reader": "extractive", "frac": FRAC, "seed": SEED, "port": port}
    return cfg


def test_serve_target_serves_the_finished_run(demo_root, tmp_path):
    port = _free_port()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_config(demo_root, port)))
    args = [*SNAKEMAKE, "-d", str(demo_root), "--configfile", str(config), "--cores", "2"]
    dry = subprocess.run([*args, "-n", "serve_demo_en"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert dry.returncode == 0, dry.stderr
    jobs = [ln.split()[0] for ln in dry.stdout.split("Job stats:")[1].splitlines()[3:] if ln.strip()]
    assert jobs[:2] == ["serve_demo_en", "total"], f"the finished run would be rebuilt:\n{dry.stdout}"

    log = tmp_path / "snakemake.out"
    with open(log, "w") as out:
        proc = subprocess.Popen([*args, "serve_demo_en"], stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 420
        while True:
            assert proc.poll() is None, f"snakemake serve_demo_en ended early:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no service after 7 minutes:\n{log.read_text()[-3000:]}"
            time.sleep(1)
        res = httpx.post(f"http://127.0.0.1:{port}/ask", json={"question": "Who founded the institute?"}, timeout=120)
        assert res.status_code == 200 and res.json()["retriever"] == "hybrid" and res.json()["passages"]
        info = httpx.get(f"http://127.0.0.1:{port}/info", timeout=10).json()
        assert Path(info["run"]).resolve() == (demo_root / "results/en/demo_en/runs/hybrid/extractive"
                                               / f"frac{FRAC}" / f"seed{SEED}").resolve()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "serving" in (demo_root / "logs" / "en" / "demo_en" / "serve.log").read_text()
