# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test browser fonts serve demo clean

# Two installs, two stamps: serving the demo needs the package and its dependencies only;
# the tests add their extras (pytest, Playwright, schemathesis…) on top.
$(VENV)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test

## Set up, migrate, load the demo city (and 500 demo cases the first time), serve on :8000
## with one background worker beside the server (Ctrl+C stops both)
run: install fonts
	$(BIN)/qinqing migrate --noinput -v 0
	$(BIN)/qinqing collectstatic --noinput -v 0
	$(BIN)/qinqing demo --cases 500 --if-empty
	$(BIN)/qinqing serve --with-worker

## The import layers (pyproject.toml), then the whole test suite (SQLite, or the database
## DATABASE_URL names)
test: install-test browser fonts
	$(BIN)/lint-imports --no-cache
	QINQING_DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest $(PYTEST_ARGS)

## Debian's chromium and a Chinese font for the browser tests (tests/e2e). As root they are
## installed; otherwise this says how, and the browser tests skip (under CI they fail).
browser:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; \
	else \
	  echo "make: the browser tests need Debian's chromium and a CJK font:" \
	       "sudo apt-get install chromium fonts-noto-cjk"; \
	fi

## A Chinese font and the pango library, which PDF documents (letters, bulletins) need. As root
## they are installed; otherwise this says how, and making a PDF says what is missing.
fonts:
	@if fc-list :lang=zh 2>/dev/null | grep -q . && ldconfig -p 2>/dev/null | grep -q libpangoft2; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && apt-get install -y -q fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0; \
	else \
	  echo "make: PDF documents need a CJK font and pango:" \
	       "sudo apt-get install fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0"; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache
