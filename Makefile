# leadops developer commands. Everything installs itself into .venv on first use, so on a fresh
# machine with only Python 3.11+ `make run` and `make test` are the whole set-up.
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
.PHONY: help install run test lint bench invoke openapi pr clean

help:
	@echo "make run     install, then serve the HTTP API on http://127.0.0.1:$(PORT) (moto-backed, no Docker)"
	@echo "make test    install, then run every test"
	@echo "make lint    ruff (lint + format check) and mypy"
	@echo "make bench   performance figures, each against a baseline from the same run"
	@echo "make invoke FN=ScoreFunction EVENT=events/score.json   one function, like sam local invoke"
	@echo "make openapi write docs/openapi.json from the functions' resolvers (a test fails while it is stale)"
	@echo "make pr      lint + test: the gate before a pull request"

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
