# GreenKube: `make demo` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := prometheus jq curl
TEST_APT_PACKAGES := $(APT_PACKAGES) chromium prometheus-alertmanager openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench install tools test-tools clean

# Install the Debian packages in $(1) that are missing (and python3-venv when venv cannot work).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v python3 >/dev/null && python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3 python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

tools:  ## Debian packages the demo needs
	$(call apt_install,$(APT_PACKAGES))

test-tools:  ## Debian packages the tests need (real Prometheus, Alertmanager, headless Chromium)
	$(call apt_install,$(TEST_APT_PACKAGES))

# The package alone (what the demo runs), then the test extra on top (what tests and bench need).
$(VENV)/.installed: pyproject.toml
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "python3 >= 3.11 is needed"; exit 1; }
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: tools $(VENV)/.installed

demo: install  ## run the whole pipeline on the built-in demo cluster
	$(VENV)/bin/greenkube demo

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check exporter queryapi tests rules dashboards

test: test-tools $(VENV)/.installed-test lint  ## ruff, then every test (real Prometheus included)
	$(PY) -m pytest -q

bench: tools $(VENV)/.installed-test  ## exporter and query API speed and memory
	$(PY) -m tests.bench.exporter_bench && $(PY) -m tests.bench.api_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
