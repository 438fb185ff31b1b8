# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install serve demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Set up, migrate, load the demo city (and 300 demo cases the first time), serve on :8000
run: install
	$(BIN)/qinqing migrate --noinput -v 0
	$(BIN)/qinqing collectstatic --noinput -v 0
	$(BIN)/qinqing demo --cases 300 --if-empty
	$(BIN)/qinqing serve

## The whole test suite (SQLite, or the database DATABASE_URL names)
test: install
	QINQING_DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
