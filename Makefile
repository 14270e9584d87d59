# Every target creates .venv on first use; nothing else needs to be installed by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: play test lint bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

play: $(STAMP)
	$(BIN)/handler-one --save-dir saves

test: $(STAMP)
	@command -v tmux >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		(apt-get install -y -qq tmux >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq tmux >/dev/null 2>&1)) || \
		echo "tmux unavailable: the real-terminal tests will say why they skip"; }
	$(BIN)/ruff check game tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider -k fuzz tests

lint: $(STAMP)
	$(BIN)/ruff check game tests
	$(BIN)/ruff format --check game tests || true

clean:
	rm -rf $(VENV) build dist *.egg-info
