"""Fetch a public dataset file (e.g. an MRQA dev set) with a checksum, atomically.

Why a stage of its own: the paper's datasets are public downloads, but some (SQuAD-v1.1-pt-br) must be
fetched by hand. Either way a user gets one line that names the dataset and what to do.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import shutil
import urllib.request
from pathlib import Path

from sesame.errors import SesameInputError
from sesame.io import atomic_path

log = logging.getLogger(__name__)


def download_dataset(name: str, url: str | None, out_path: str | Path, sha256: str | None = None,
                     manual: str | None = None, timeout: float = 120.0) -> str:
    """Download `url` to `out_path` (gunzipping *.gz), verify sha256 of the download, return the digest."""
    if not url:
        raise SesameInputError(f"dataset {name!r} needs a manual download to {out_path}",
                               source="config", record=f"datasets.{name}",
                               fix=manual or "download it by hand and place it at that path")
    out_path = Path(out_path)
    digest = hashlib.sha256()
    with atomic_path(out_path) as tmp:
        raw = tmp.with_suffix(".download")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(raw, "wb") as fh:
                for block in iter(lambda: resp.read(1 << 20), b""):
                    digest.update(block)
                    fh.write(block)
        except OSError as e:
            raw.unlink(missing_ok=True)
            raise SesameInputError(f"could not download dataset {name!r} from {url}: {e}", source="config",
                                   record=f"datasets.{name}.url",
                                   fix=f"check the network, or download it by hand to {out_path}") from None
        got = digest.hexdigest()
        if sha256 and got != sha256:
            raw.unlink(missing_ok=True)
            raise SesameInputError(f"checksum mismatch for {name!r}: expected {sha256}, got {got}",
                                   source=url, fix="re-download, or update datasets.<name>.sha256")
        if url.endswith(".gz"):
            with gzip.open(raw, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            raw.unlink()
        else:
            raw.replace(tmp)
    log.info("downloaded %s (%s) sha256=%s", name, url, got)
    return got
