# The two commands (see README): `make demo` runs the demo city, `make test` runs every test.
# Both set everything up themselves; each step re-runs only when its inputs change.

PYTHON ?= python3.11
VENV := .venv
TOOLS_VENV := .venv-brownie
FUZZ_VENV := .venv-fuzz
SLITHER_VENV := .venv-slither
STAMP := build/.stamps
# Several checkouts on one machine (git worktrees) each need their own brownie network and port.
BROWNIE_NETWORK ?= city-anvil
BROWNIE_PORT ?= 8555
export SOLCX_BINARY_PATH := $(CURDIR)/toolchain/solcx
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup demo test test-contracts test-python lint fuzz slither bench soak clean

setup: $(STAMP)/app $(STAMP)/brownie $(STAMP)/npm $(STAMP)/brownie-network-$(BROWNIE_NETWORK)-$(BROWNIE_PORT)

$(STAMP)/npm: package.json package-lock.json
	npm ci --no-audit --no-fund
	@mkdir -p $(@D) && touch $@

$(STAMP)/app: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@mkdir -p $(@D) && touch $@

# brownie pins its whole dependency tree; it lives in its own environment (README, "Toolchain notes").
$(STAMP)/brownie: requirements/brownie.txt
	test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --upgrade pip
	$(TOOLS_VENV)/bin/pip install --quiet -r requirements/brownie.txt
	@mkdir -p $(@D) && touch $@

# schemathesis needs a recent hypothesis (brownie pins an old one): its own environment too.
$(STAMP)/fuzz: requirements/fuzz.txt
	test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --upgrade pip
	$(FUZZ_VENV)/bin/pip install --quiet -r requirements/fuzz.txt
	@mkdir -p $(@D) && touch $@

$(STAMP)/slither: requirements/slither.txt
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet --upgrade pip
	$(SLITHER_VENV)/bin/pip install --quiet -r requirements/slither.txt
	@mkdir -p $(@D) && touch $@

# brownie keeps network definitions in ~/.brownie; (re)define ours on every fresh machine.
$(STAMP)/brownie-network-$(BROWNIE_NETWORK)-$(BROWNIE_PORT): $(STAMP)/brownie toolchain/brownie-network.sh
	toolchain/brownie-network.sh $(TOOLS_VENV)/bin/brownie $(BROWNIE_NETWORK) $(BROWNIE_PORT)
	@mkdir -p $(@D) && touch $@

# The pages' browser tests (tests/e2e) drive Debian's chromium with Playwright (`playwright
# install` cannot download browsers here), so the tests need the Debian package.
$(STAMP)/chromium:
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y --no-install-recommends chromium)
	@mkdir -p $(@D) && touch $@

demo: setup
	$(VENV)/bin/registry demo

test: setup $(STAMP)/chromium lint test-contracts test-python

test-contracts: setup
	$(TOOLS_VENV)/bin/brownie test tests/contracts --network $(BROWNIE_NETWORK)

test-python: setup $(STAMP)/chromium
	$(VENV)/bin/pytest

lint: $(STAMP)/app
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy registry_core registry_api gateway scripts wallet explorer

# schemathesis against a throw-away demo city's API, every check (scripts/fuzz_api.py,
# schemathesis.toml): fails on any server error, schema violation or undocumented answer.
fuzz: setup $(STAMP)/fuzz
	$(VENV)/bin/python -m scripts.fuzz_api

# slither on brownie's build artifacts (those the contract tests built; compiled again only if
# brownie dropped some, see toolchain/slither_brownie.py): fails on a high or medium finding not
# explained in contracts/slither-triage.txt.
slither: setup $(STAMP)/slither
	$(SLITHER_VENV)/bin/python toolchain/slither_brownie.py --check || $(TOOLS_VENV)/bin/brownie compile --all >/dev/null
	@rm -f build/slither.json
	$(SLITHER_VENV)/bin/python toolchain/slither_brownie.py . --filter-paths "node_modules|contracts/test" \
		--fail-none --json build/slither.json >build/slither.txt 2>&1 || (cat build/slither.txt; exit 1)
	$(SLITHER_VENV)/bin/python toolchain/slither_gate.py build/slither.json contracts/slither-triage.txt

bench: setup
	$(VENV)/bin/python -m scripts.bench_gateway
	$(VENV)/bin/python -m scripts.bench_credentials
	$(VENV)/bin/python -m scripts.bench_registers
	$(VENV)/bin/python -m scripts.bench_scale
	$(VENV)/bin/python -m scripts.bench_payments
	$(VENV)/bin/python -m scripts.bench_explorer
	$(VENV)/bin/python -m scripts.bench_public_limits

# A steady mixed load on two API replicas with a replica restart every 10 minutes (scripts/soak.py):
# `make soak SOAK_ARGS="--minutes 180 --database-url postgresql+psycopg://…"` for other runs.
SOAK_ARGS ?= --minutes 60 --restart-every 10
soak: setup
	$(VENV)/bin/python -m scripts.soak $(SOAK_ARGS)

clean:
	rm -rf build $(VENV) $(TOOLS_VENV) $(FUZZ_VENV) $(SLITHER_VENV) node_modules
