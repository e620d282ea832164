# Two entry points for a fresh machine (Python 3.11): `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
# `serve` needs only the runtime install; `test` adds the test extra (torch,
# jax, linters) and the SDK. Stamps re-run the install when a pyproject changes.
SERVE_STAMP = $(VENV)/.installed-serve
TEST_STAMP  = $(VENV)/.installed-test

.PHONY: serve test bench system-deps clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(SERVE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml clients/python/pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[test]" -e "./clients/python[grpc]"
	touch $@ $(SERVE_STAMP)

serve: $(SERVE_STAMP)
	$(VENV)/bin/gradserve-server $(ARGS)

# Two pytest passes over the same PYTEST_ARGS (a -m there applies to both): every test not marked `serial` on
# TEST_WORKERS xdist workers (--dist loadfile: a file's module-scoped servers start once, on one worker), then the
# `serial` ones alone (timing or fairness under load, fresh-venv installs; tests/conftest.py's --serial option).
# Any failure fails; pytest's exit 5 ("no tests collected") fails only when both passes collect nothing
# (PYTEST_ARGS naming files with no serial test leaves the second pass empty, rightly).
# TEST_WORKERS=0: the first pass in one process (benchmarks/SERVICE_REPORT.md, "CI wall time": A/B it on CI).
TEST_WORKERS ?= 2
test: $(TEST_STAMP) system-deps
	@rc1=0; rc2=0; \
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --serial without $(PYTEST_ARGS) || rc1=$$?; \
	$(PY) -m pytest -q --serial only $(PYTEST_ARGS) || rc2=$$?; \
	if [ $$rc1 -eq 5 ] && [ $$rc2 -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 5; fi; \
	if [ $$rc1 -ne 0 ] && [ $$rc1 -ne 5 ]; then exit $$rc1; fi; \
	if [ $$rc2 -ne 0 ] && [ $$rc2 -ne 5 ]; then exit $$rc2; fi; \
	exit 0

bench: $(TEST_STAMP)
	$(PY) -m benchmarks.run $(ARGS)

# Debian packages the test suite drives (nginx for the reverse-proxy test,
# chromium-headless-shell for the offline /docs test). Installs as root (CI runs
# as root); a no-op where they are already installed. Not root and missing: a
# note, and those tests skip (they fail under CI=true).
system-deps:
	@if { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && command -v chromium-headless-shell >/dev/null 2>&1; then \
		echo "nginx: $$(command -v nginx || echo /usr/sbin/nginx); $$(command -v chromium-headless-shell)"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "make: nginx or chromium-headless-shell is not installed and this is not root: their tests will skip" >&2; \
	else \
		apt-get update -q; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx chromium-headless-shell \
			|| [ -x /usr/sbin/nginx ]; \
	fi

clean:
	rm -rf $(VENV)
