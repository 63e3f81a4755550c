"""Helpers for the thin Snakemake adapter scripts in workflow_scripts/.

Why: every rule should log to its own file, and a user error should end the job with one clear
line in that log (and on stderr), not a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Iterator

from sesame.errors import SesameInputError


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
