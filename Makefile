# GreenKube: `make demo` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := prometheus jq
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench install tools clean

tools:  ## Debian packages the demo and the tests need (installed only when missing)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v python3 >/dev/null && python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3 python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 >= 3.11 is needed"; exit 1; }
	@python3 -c 'import venv, sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "python3 >= 3.11 with the venv module is needed (apt-get install python3-venv)"; exit 1; }
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: tools $(VENV)/.installed

demo: install  ## run the whole pipeline on the built-in demo cluster
	$(VENV)/bin/greenkube demo

lint: install
	$(VENV)/bin/ruff check exporter queryapi tests

test: install lint  ## every test, real Prometheus included
	$(PY) -m pytest -q

bench: install  ## exporter speed and memory at 1k/10k/100k pods
	$(PY) -m tests.bench.exporter_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
