"""Snakemake adapter: serve_<dataset>. All logic lives in sesame.ask.

Unlike the batch rules, the log is *also* shown on the terminal: the user needs the address, and the
service runs until interrupted.
"""
import logging
import sys

from sesame.ask.engine import AskEngine
from sesame.ask.server import serve
from sesame.errors import SesameInputError

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True,
                    handlers=[logging.StreamHandler(sys.stderr), logging.FileHandler(snakemake.log[0])])
p = snakemake.params
try:
    engine = AskEngine.from_run(p.run, threshold=p.threshold, threads=snakemake.threads)
except SesameInputError as e:
    logging.getLogger("sesame").error("error: %s", e)
    sys.exit(2)
serve(engine, host="127.0.0.1", port=p.port)
