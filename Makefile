# Every target creates .venv on first use; nothing else needs to be installed by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INKJS := .cache/inkjs
INKJS_PINS := tests/perf/inkjs/package.json tests/perf/inkjs/package-lock.json

.PHONY: play test lint bench fuzz clean inkjs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

play: $(STAMP)
	$(BIN)/handler-one --save-dir saves

test: $(STAMP) inkjs
	@{ command -v tmux && command -v dot; } >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		(apt-get install -y -qq tmux graphviz >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq tmux graphviz >/dev/null 2>&1)) || \
		echo "tmux/graphviz unavailable: the real-terminal and DOT tests will say why they skip"; }
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null 2>&1 && \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)); } || \
		echo "chromium unavailable: the browser test of handler-one serve will say why it skips"
	@test -d .cache/mermaid/node_modules/mermaid || { command -v npm >/dev/null 2>&1 && \
		npm install --silent --no-audit --no-fund --prefix .cache/mermaid mermaid@11 jsdom@29 >/dev/null 2>&1; } || \
		echo "mermaid unavailable: the Mermaid parser test will say why it skips"
	$(BIN)/ruff check game tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP) inkjs
	$(BIN)/python tests/perf/bench.py

# inkjs, the peer `make bench` plays the generated story on (and tests/test_perf_inkjs.py checks),
# at the version its lockfile pins, into a gitignored cache; installed again when the lockfile
# changes. Without npm (or the registry) the test and the bench's inkjs figure say why they skip.
inkjs:
	@{ cmp -s tests/perf/inkjs/package-lock.json $(INKJS)/package-lock.json && \
		test -d $(INKJS)/node_modules/inkjs; } || { command -v npm >/dev/null 2>&1 && \
		mkdir -p $(INKJS) && cp $(INKJS_PINS) $(INKJS)/ && \
		npm ci --silent --no-audit --no-fund --prefix $(INKJS) >/dev/null 2>&1; } || \
		echo "inkjs unavailable: its test and make bench's inkjs figure will say why they skip"

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider -k fuzz tests

lint: $(STAMP)
	$(BIN)/ruff check game tests
	$(BIN)/ruff format --check game tests || true

clean:
	rm -rf $(VENV) build dist *.egg-info
