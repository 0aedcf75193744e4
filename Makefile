# Every target bootstraps what it needs: a .venv with cnikit and its dev extras, and the npm
# installs (one per lockfile), each redone only when its inputs change (stamp files).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cnikit-installed

NPM_DIRS := tests/fixtures emulator/node examples/todo-sync vscode-client
NPM_STAMPS := $(foreach d,$(NPM_DIRS),$(if $(wildcard $(d)/package-lock.json),$(d)/node_modules/.cnikit-stamp))

.PHONY: demo test bench lint setup clean install

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

bench: setup
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(foreach d,$(NPM_DIRS),$(d)/node_modules)
