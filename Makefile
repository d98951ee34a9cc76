# The two newcomer commands: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the newest supported Python (the venv's python3 is the oldest, 3.11): the pytest plugin's tests run on both
PYTHON_NEWEST ?= $(or $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3 \
	/root/.pyenv/versions/3.13*/bin/python3))),$(shell command -v python3.13 2>/dev/null))
VENV_NEWEST   := .venv313
NPM_CACHE := $(CURDIR)/.npm-cache

.PHONY: demo test lint unit bench eval setup clean

demo: setup
	$(BIN)/ccplugin demo

# the whole suite against the pinned CLIs (tools/package.json), then every real-client test again
# against the current ones: Claude Code from the claude-agent-sdk wheel, Codex from tools/current/
CURRENT_CLIS := CCPLUGIN_TEST_CLAUDE_BIN=$(CURDIR)/$(VENV)/sdk-bin/claude \
	CCPLUGIN_TEST_CODEX_BIN=$(CURDIR)/tools/current/node_modules/.bin/codex

test: setup lint $(VENV_NEWEST)/.installed
	CCPLUGIN_REQUIRE_CLIS=1 $(BIN)/pytest -q -n 2
	$(CURRENT_CLIS) CCPLUGIN_REQUIRE_CLIS=1 $(BIN)/pytest -q -n 2 -m "real_claude or real_codex"
	# the pytest plugin (threads, ^C, xdist) on the newest supported Python too, with the pinned claude
	CCPLUGIN_REQUIRE_CLIS=1 $(VENV_NEWEST)/bin/pytest -q -n 2 tests/test_pytest_plugin.py

# live: your Claude login reviews the bundled eval corpus (spends tokens); a rerun resumes the same file.
# `make eval EVAL_MODEL=sonnet EVAL_FLAGS="--effort high --max-cost-usd 5"`; compare runs with
# `ccplugin eval --compare eval-results/opus.json eval-results/sonnet.json` (docs/eval.md)
EVAL_MODEL ?= opus
EVAL_FLAGS ?=
eval: setup
	$(BIN)/ccplugin eval --model $(EVAL_MODEL) --out eval-results/$(EVAL_MODEL).json $(EVAL_FLAGS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q -m "not real_claude"

bench: setup
	# bytecode caching on, as on a user machine
	for b in bench/bench_*.py; do echo "== $$b"; env -u PYTHONDONTWRITEBYTECODE $(BIN)/python $$b || exit 1; done

setup: $(VENV)/.installed tools/node_modules/.installed tools/current/node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	mkdir -p $(VENV)/sdk-bin
	ln -sf "$$($(BIN)/python -c 'import ccplugin.claude.env as e; print(e.sdk_bundled_binary())')" $(VENV)/sdk-bin/claude
	touch $@

$(VENV_NEWEST)/.installed: pyproject.toml
	@test -x "$(PYTHON_NEWEST)" || { echo "no Python 3.13 under ~/.pyenv: pass PYTHON_NEWEST=/path/to/python3.13"; exit 1; }
	$(PYTHON_NEWEST) -m venv $(VENV_NEWEST)
	$(VENV_NEWEST)/bin/pip install --quiet --upgrade pip
	$(VENV_NEWEST)/bin/pip install --quiet -e '.[test]'
	touch $@

tools/node_modules/.installed: tools/package.json tools/package-lock.json
	cd tools && npm ci --cache $(NPM_CACHE) --no-audit --no-fund --loglevel=error
	touch $@

tools/current/node_modules/.installed: tools/current/package.json tools/current/package-lock.json
	cd tools/current && npm ci --cache $(NPM_CACHE) --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) $(VENV_NEWEST) tools/node_modules tools/current/node_modules $(NPM_CACHE)
