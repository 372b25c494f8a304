# leadops developer commands. Everything installs itself into .venv on first use, so on a fresh
# machine with only Python 3.11+ `make run` and `make test` are the whole set-up.
# The repository root, wherever make runs from (sam build runs it from a scratch copy of the
# layer's ContentUri, with --makefile pointing here).
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 3000
# The local stack's webhook secret (in AWS it is generated into Secrets Manager).
WEBHOOK_SECRET ?= local-webhook-secret
# The local PostHog webhook destination's X-Leadops-Secret (issue 15).
POSTHOG_WEBHOOK_SECRET ?= local-posthog-secret
# Vendors are never reached from a local run unless you point them somewhere: by default at a
# loopback port where nothing listens, so tickets fail, are retried and land in the local DLQ.
ZENDESK_URL ?= http://127.0.0.1:8025
# Enrichment (issue 13) locally: a stand-in provider on 127.0.0.1 serving events/enrichment/
# (canned Clearbit, Apollo and People Data Labs answers); no key, nothing leaves the machine.
ENRICHMENT_STUB ?= events/enrichment

.DEFAULT_GOAL := help
.PHONY: help install run test lint bench invoke openapi pr clean build-LeadopsLayer

help:
	@echo "make run     install, then serve the HTTP API on http://127.0.0.1:$(PORT) (moto-backed, no Docker)"
	@echo "make test    install, then run every test"
	@echo "make lint    ruff (lint + format check) and mypy"
	@echo "make bench   performance figures, each against a baseline from the same run"
	@echo "make invoke FN=ScoreFunction EVENT=events/score.json   one function, like sam local invoke"
	@echo "make openapi write docs/openapi.json from the functions' resolvers (a test fails while it is stale)"
	@echo "make pr      lint + test: the gate before a pull request"
	@echo "make build-LeadopsLayer ARTIFACTS_DIR=DIR   the layer as sam build builds it (needs python3.12)"

$(INSTALLED): pyproject.toml layers/leadops/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	LEADOPS_LOCAL_SECRET_WebhookSecret=$(WEBHOOK_SECRET) \
		LEADOPS_LOCAL_SECRET_PostHogWebhookSecret=$(POSTHOG_WEBHOOK_SECRET) \
		$(BIN)/python -m leadops_local --parameter-overrides "ZendeskBaseUrl=$(ZENDESK_URL)" \
		start-api --host 127.0.0.1 --port $(PORT) --enrichment-stub $(ENRICHMENT_STUB)

test: $(INSTALLED)
	$(BIN)/python -m pytest -n auto

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/leadops/leadops tools/leadops_local tools/leadops_cli
	@# every function is a module named app: checked one at a time
	for app in functions/*/app.py; do $(BIN)/mypy $$app || exit 1; done

bench: $(INSTALLED)
	$(BIN)/python bench/run.py

invoke: $(INSTALLED)
	LEADOPS_LOCAL_SECRET_WebhookSecret=$(WEBHOOK_SECRET) \
		LEADOPS_LOCAL_SECRET_PostHogWebhookSecret=$(POSTHOG_WEBHOOK_SECRET) \
		$(BIN)/python -m leadops_local --parameter-overrides "ZendeskBaseUrl=$(ZENDESK_URL)" \
		invoke $(FN) -e $(EVENT) --moto

openapi: $(INSTALLED)
	$(BIN)/python -m leadops_local openapi --output docs/openapi.json

pr: lint test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .aws-sam

# ---- sam build: the layer -------------------------------------------------------------------
# template.yaml's LeadopsLayer has `Metadata: BuildMethod: makefile`. The SAM contract (developer
# guide, "Building Lambda layers"): "If you specify makefile, provide the custom makefile, where
# you declare a build target of the form build-layer-logical-id that contains the build commands
# for your layer. Your makefile is responsible for compiling the layer if necessary, and copying
# the build artifacts into the proper location required for subsequent steps in your workflow.
# The location of the makefile is specified by the ContentUri property of the layer resource, and
# must be named Makefile." and "for Python, you can place your code in the python/ subdirectory"
# (Lambda puts /opt/python on sys.path). The layer's `ContextPath: .` (SAM CLI 1.63+) points SAM
# at this Makefile instead of one in the ContentUri; SAM copies the ContentUri to a scratch
# folder and runs `make --makefile <this file> build-LeadopsLayer` there with ARTIFACTS_DIR set
# (.aws-sam/build/LeadopsLayer), so the recipe finds its inputs through ROOT, not the cwd.
#
# Why not BuildMethod python3.12: it extracts the wheels and copies our source as they are, and
# /opt is read-only in Lambda, so every cold start compiled pydantic, Powertools, pycountry and
# leadops from source again. Here everything ships as bytecode.
#
# The runtime's Python: a .pyc is only read by the version that wrote it, and pydantic_core's
# binary is per version too. LAYER_PYTHON_VERSION must match CompatibleRuntimes
# (tests/test_template.py checks); a variant for another version (a local measurement, say):
#   make build-LeadopsLayer ARTIFACTS_DIR=/tmp/layer LAYER_PYTHON_VERSION=3.11 LAYER_PYTHON=python3.11
LAYER_PYTHON_VERSION ?= 3.12
LAYER_PYTHON ?= python$(LAYER_PYTHON_VERSION)
LAYER_PLATFORM ?= manylinux2014_x86_64
LAYER_SOURCE := $(ROOT)/layers/leadops
LAYER_TARGET = $(ARTIFACTS_DIR)/python

build-LeadopsLayer:
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-LeadopsLayer: ARTIFACTS_DIR is not set (sam build sets it; by hand: make build-LeadopsLayer ARTIFACTS_DIR=DIR)" >&2; exit 2; }
	@$(LAYER_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(LAYER_PYTHON_VERSION)".split("."))))' 2>/dev/null \
		|| { echo "build-LeadopsLayer: needs a Python $(LAYER_PYTHON_VERSION) interpreter (the Lambda runtime's) to compile the layer's bytecode; '$(LAYER_PYTHON)' is missing or another version. Install it, or point LAYER_PYTHON at one." >&2; exit 2; }
	rm -rf "$(LAYER_TARGET)"
	@# Lambda's wheels, whatever the build machine is: binary only, no bytecode yet (compiled
	@# below, once, for the runtime). boto3 stays out: the runtime ships it (requirements.txt).
	$(LAYER_PYTHON) -m pip install --quiet --disable-pip-version-check --target "$(LAYER_TARGET)" \
		--platform $(LAYER_PLATFORM) --implementation cp --python-version $(LAYER_PYTHON_VERSION) \
		--only-binary=:all: --no-compile -r "$(LAYER_SOURCE)/requirements.txt"
	@# Console scripts pip put in bin/ (their shebang is this machine's Python); Lambda never runs them.
	rm -rf "$(LAYER_TARGET)/bin"
	@# The package as it is in git (rulebook.toml, static/, py.typed included), without local bytecode.
	cp -R "$(LAYER_SOURCE)/leadops" "$(LAYER_TARGET)/leadops"
	find "$(LAYER_TARGET)/leadops" -name __pycache__ -type d -prune -exec rm -rf {} +
	find "$(LAYER_TARGET)/leadops" -name '*.py[co]' -type f -delete
	@# Bytecode for every module, sources kept (tracebacks show their lines). unchecked-hash: the
	@# import system uses the .pyc without looking at the .py. A default (timestamp) .pyc records
	@# its source's mtime, and zipping keeps mtimes only to 2 seconds (and deploy tooling may reset
	@# them), so in Lambda the check could fail; Lambda cannot write a fresh .pyc to its read-only
	@# /opt, so a failed check means compiling in memory on every cold start, which is exactly what
	@# this build is for avoiding. A layer version never changes, so its bytecode cannot go stale.
	@# -s/-p record /opt/python paths, so the bytes do not depend on where the build ran.
	$(LAYER_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash \
		-s "$(LAYER_TARGET)" -p /opt/python "$(LAYER_TARGET)"
