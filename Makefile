# Every target bootstraps what it needs: a .venv with cnikit and its dev extras, and the npm
# installs (one per lockfile), each redone only when its inputs change (stamp files).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cnikit-installed

NPM_DIRS := tests/fixtures emulator/node examples/todo-sync vscode-client
NPM_STAMPS := $(foreach d,$(NPM_DIRS),$(if $(wildcard $(d)/package-lock.json),$(d)/node_modules/.cnikit-stamp))

.PHONY: demo test e2e bench lint setup clean install

setup: $(STAMP) $(NPM_STAMPS)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

%/node_modules/.cnikit-stamp: %/package-lock.json %/package.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# `cnikit` on PATH for use anywhere, isolated from this checkout (like `pipx install .`): uv or pipx when there,
# else a venv in $(PREFIX)/share/cnikit with a link in $(PREFIX)/bin. Its Node side installs on first use.
PREFIX ?= $(HOME)/.local
TOOL_VENV := $(PREFIX)/share/cnikit/venv

install:
	@if command -v uv >/dev/null; then uv tool install --force --reinstall .; \
	elif command -v pipx >/dev/null; then pipx install --force .; \
	else \
		$(PYTHON) -m venv --clear $(TOOL_VENV) && \
		$(TOOL_VENV)/bin/python -m pip install --quiet --upgrade pip && \
		$(TOOL_VENV)/bin/python -m pip install --quiet . && \
		mkdir -p $(PREFIX)/bin && ln -sf $(TOOL_VENV)/bin/cnikit $(PREFIX)/bin/cnikit && \
		echo "installed $(PREFIX)/bin/cnikit"; \
	fi; rm -rf build
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "add $(PREFIX)/bin to PATH to run cnikit";; esac

demo: setup
	$(BIN)/cnikit check examples/todo-sync
	$(BIN)/cnikit run examples/todo-sync --flow "Todo Events" --payload todo-created
	$(BIN)/cnikit run examples/todo-sync --flow "Sync Report" --payload report

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider
	@if [ -f vscode-client/package.json ]; then cd vscode-client && npm test --silent; fi
	cd emulator/node && node --test --test-reporter=dot && npm run --silent lint

# The packaged extension in a real VS Code workbench (code-server + headless chromium; vscode-client/e2e/setup.sh
# caches them in vscode-client/e2e/.cache/ once per version). Screenshots: vscode-client/e2e/shots/. The timeout
# stops a hung run; run.mjs stops code-server and its children by PID whatever happens.
e2e: setup
	vscode-client/e2e/setup.sh
	cd vscode-client && npm run --silent package >/dev/null
	timeout --kill-after=10 540 node vscode-client/e2e/run.mjs

bench: setup
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(foreach d,$(NPM_DIRS),$(d)/node_modules) vscode-client/e2e/.cache
