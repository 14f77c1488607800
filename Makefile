# Everything installs into a project-local venv; `make run` and `make test` set it up on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: system-deps setup run test lint bench screenshots clean

# Debian packages the sandboxes use: slirp4netns gives network-on sandboxes internet access from
# a network namespace of their own; iproute2 makes the test hosts of the network tests; gcc
# builds the attack libraries of tests/security; chromium is the browser the sidebar's tests drive
# (Playwright's own browser download fails here). Needs root (sudo make system-deps).
SYSTEM_PACKAGES := slirp4netns iproute2 gcc chromium

system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES)

# The sidebar: TypeScript in labextension/, built into ol_notebook/labextension (needs node and npm).
LABEXTENSION := ol_notebook/labextension/static/style.js
LABEXTENSION_SOURCES := $(wildcard labextension/package.json labextension/yarn.lock labextension/tsconfig.json \
	labextension/src/*.ts labextension/src/*.tsx labextension/src/*/*.ts labextension/src/*/*.tsx labextension/style/* labextension/schema/*)
LABEXTENSIONS_DIR := $(VENV)/share/jupyter/labextensions

setup: $(VENV)/.installed $(LABEXTENSION)

# The install's build hook builds the sidebar when ol_notebook/labextension is missing; the venv's
# copy of it is then replaced by a link, so a rebuild shows in JupyterLab without reinstalling.
# A reinstall drops that link first: pip's uninstall of the previous install would follow it and
# delete the built sidebar's files from ol_notebook/labextension.
SIDEBAR_LINK := $(LABEXTENSIONS_DIR)/ol-notebook
UNLINK_SIDEBAR := if [ -L $(SIDEBAR_LINK) ]; then rm $(SIDEBAR_LINK); fi
LINK_SIDEBAR := rm -rf $(SIDEBAR_LINK) && ln -s $(abspath ol_notebook/labextension) $(SIDEBAR_LINK)

$(VENV)/.installed: pyproject.toml jupyter-config/server-config/ol_notebook.json
	$(PYTHON) -m venv $(VENV)
	$(UNLINK_SIDEBAR)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(LINK_SIDEBAR)
	touch $@

# The sidebar again when its sources changed since it was built.
$(LABEXTENSION): $(LABEXTENSION_SOURCES) | $(VENV)/.installed
	cd labextension && PATH="$(abspath $(BIN)):$$PATH" jlpm install && PATH="$(abspath $(BIN)):$$PATH" jlpm build:prod
	touch $@

# JupyterLab with the ol-notebook server extension, opening the quickstart (root needs --allow-root).
run: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/quickstart.ipynb

test: setup
	$(BIN)/ruff check --no-cache ol_notebook tests bench
	$(BIN)/pytest

# The README's pictures of the sidebar (light and dark), taken by its theme test.
screenshots: setup
	OL_SIDEBAR_SCREENSHOTS=docs $(BIN)/pytest tests/sidebar/test_shells.py -k theme

# bench/export.py compares with aws-lambda-builders (the [bench] extra) and downloads from PyPI.
bench: setup
	$(UNLINK_SIDEBAR)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(LINK_SIDEBAR)
	$(BIN)/python bench/pull.py
	$(BIN)/python bench/invoke.py
	$(BIN)/python bench/http_invoke.py
	$(BIN)/python bench/network.py
	$(BIN)/python bench/export.py

clean:
	rm -rf $(VENV) .pytest_cache ol_notebook/labextension labextension/lib labextension/node_modules
