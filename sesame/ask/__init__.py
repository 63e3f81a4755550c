"""Ask the adapted system: `sesame ask` (CLI), `sesame serve` (HTTP service + page) over a finished run."""

from sesame.ask.calibrate import Calibration, best_threshold, calibrate_run
from sesame.ask.engine import NO_ANSWER, AskEngine, AskPaths

__all__ = ["AskEngine", "AskPaths", "Calibration", "NO_ANSWER", "best_threshold", "calibrate_run"]
