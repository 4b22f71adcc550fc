# The one task runner of the course. Every recipe runs inside the project's
# virtual environment, whose bin/ is first on PATH: nbgrader calls the
# `alembic` executable by name when it creates a gradebook.

PYTHON ?= python3
VENV   := $(CURDIR)/.venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
# uv installs a course environment in seconds where pip takes minutes: use the
# one on PATH, or put uv (a wheel from PyPI) into .venv first; pip if neither works.
UV     := $(or $(shell command -v uv 2>/dev/null),$(BIN)/uv)
install = if [ -x $(UV) ]; then $(UV) pip install --quiet --python $(BIN)/python $(1); \
          else $(BIN)/python -m pip install --quiet --disable-pip-version-check $(1); fi
export PATH := $(BIN):$(PATH)
# axe-core, the accessibility engine the browser tests inject into pages.
AXE_VERSION := 4.11.4
AXE    := build/axe/node_modules/axe-core/axe.min.js
SECTION ?= 00_start_here

.PHONY: help env env-test lab student test lint execute app lite bench clean

help:
	@echo "make lab      set up (first time only) and open the course in JupyterLab"
	@echo "make test     set up (first time only) and run every test"
	@echo "make student  create the student copies that are missing (never overwrites)"
	@echo "make execute  re-run the instructor notebooks and store their outputs (NB=one.ipynb)"
	@echo "make lint     ruff over the helper module and tests"
	@echo "make app SECTION=02_state_of_play   a section's self-checks as a web page (Voila)"
	@echo "make lite     build a zero-install JupyterLite site into build/lite"
	@echo "make bench    measure notebook time, kernel memory and grading speed"
	@echo "make hub      (root) the course on a local JupyterHub with sample users"
	@echo "make clean    remove generated course folders (release/, autograded/, ...)"

# Two layers: what a learner needs (make lab), and on top of it the test and
# publishing tools (pytest, nbval, Playwright, Voila, JupyterLite) for make test.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	    || echo "uv could not be installed; pip installs the course instead (slower)"
	$(call install,-e .)
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(call install,-e ".[test]")
	@touch $(TEST_STAMP)

env: $(STAMP)

env-test: $(TEST_STAMP)

student: env
	$(BIN)/python -m trilateral.publishing.workspace --course-root $(CURDIR) --into student

# Self-study: JupyterLab on student/ only, without nbgrader's instructor
# interface, news toasts or the JupyterLite kernel; widget state is saved.
lab: student
	$(BIN)/python -m trilateral.publishing.selfstudy --course-root $(CURDIR)

$(AXE):
	npm install --no-save --no-audit --no-fund --prefix build/axe axe-core@$(AXE_VERSION)

# As root, make test also builds the hub environment, so the class-on-a-hub
# test runs (it creates unix accounts, so it needs root and skips without it).
HUB_FOR_TESTS := $(if $(filter 0,$(shell id -u)),hub-env,)

test: env-test $(AXE) $(HUB_FOR_TESTS)
	$(BIN)/ruff check --no-cache src tests benchmarks conftest.py
	$(BIN)/python -m pytest

lint: env-test
	$(BIN)/ruff check --no-cache src tests benchmarks conftest.py

# The graded-widget test cells check saved answers: run with the answer key
# (read from the notebooks' hidden tests) in a scratch folder, never in notebooks/.
NB ?= notebooks/*/*.ipynb
execute: env
	@key=$$(mktemp -d) && \
	$(BIN)/python -m trilateral.answers notebooks/*/*.ipynb --into $$key >/dev/null && \
	TRILATERAL_ANSWERS_DIR=$$key $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 $(NB); rc=$$?; rm -rf $$key; exit $$rc

app: env-test
	$(BIN)/python -m trilateral.publishing.app $(SECTION) --course-root $(CURDIR)

lite: env-test
	$(BIN)/python -m trilateral.publishing.lite --course-root $(CURDIR) --out build/lite

bench: env-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf release submitted autograded feedback gradebook.db grades.csv build/app build/lite

# A class on JupyterHub (make hub; tests/test_hub.py). The hub switches to each
# unix account, so their servers run from an environment every account can
# read (.venv may sit in a private home), with the course installed (not
# editable); configurable-http-proxy comes from npm. Both need root.
.PHONY: hub hub-env
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV   ?= /opt/trilateral-hub/venv
CHP_VERSION := 5.3.0
CHP    := build/chp/node_modules/.bin/configurable-http-proxy

$(CHP):
	npm install --no-save --no-audit --no-fund --prefix build/chp configurable-http-proxy@$(CHP_VERSION)

hub-env: $(CHP)
	@test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check ".[hub]"
	mkdir -p $(HUB_VENV)/share/jupyter/lab/settings
	cp hub/overrides.json $(HUB_VENV)/share/jupyter/lab/settings/overrides.json
	mkdir -p $(HUB_VENV)/etc/trilateral-student
	cp -R hub/student-config/. $(HUB_VENV)/etc/trilateral-student/

# The real course on a hub on 127.0.0.1 with an instructor and three sample
# students (accounts removed on Ctrl+C); prints the URL and the logins.
hub: hub-env
	TRILATERAL_HUB_VENV=$(HUB_VENV) $(HUB_PYTHON) hub/local_class.py
