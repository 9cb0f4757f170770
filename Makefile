# aiosagemaker-runtime: the project's menu. `make help` lists the targets.
# Every target creates and uses .venv/ by itself.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL := service-model/sagemaker-runtime-2017-05-13.json
PACKAGE_OUT := src/aiosagemaker_runtime/_generated
# The bidirectional-stream operation's own model (HTTP/2); its errors shared with the
# first model are that model's classes (or extend them), so one `except` catches both.
HTTP2_MODEL := service-model/sagemaker-runtime-http2-2025-10-01.json
HTTP2_OUT := src/aiosagemaker_runtime/_generated_http2
GENERATED := $(PACKAGE_OUT) $(HTTP2_OUT)

.DEFAULT_GOAL := help
.PHONY: help install generate check-generated update-model check lint format test test-fast bench bench-quick demo soak clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[aiohttp,ray]' -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with test and lint tools

generate: $(STAMP) ## Regenerate src/aiosagemaker_runtime/_generated{,_http2} from service-model/
	$(PY) -m codegen --model $(MODEL) --out $(PACKAGE_OUT)
	$(PY) -m codegen --model $(HTTP2_MODEL) --out $(HTTP2_OUT) --reuse-errors aiosagemaker_runtime._generated.errors

check-generated: generate ## Fail when committed generated code differs from a fresh generation
	git diff --exit-code -- $(GENERATED)
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { git status --porcelain -- $(GENERATED); echo "untracked generated files"; exit 1; }

update-model: $(STAMP) ## Refresh service-model/ from the installed botocore, then regenerate
	$(PY) -m codegen.update_model service-model
	$(MAKE) generate

lint: $(STAMP) ## ruff lint and format check
	$(PY) -m ruff check src codegen tests bench
	$(PY) -m ruff format --check src codegen tests bench

format: $(STAMP) ## Apply ruff format and autofixes
	$(PY) -m ruff check --fix src codegen tests bench
	$(PY) -m ruff format src codegen tests bench

check: lint ## Lint, format check and mypy --strict on src/, codegen/ and bench/
	$(PY) -m mypy src codegen bench

test: $(STAMP) ## Run the test suite (asyncio and trio)
	$(PY) -m pytest -q -p no:randomly

test-fast: $(STAMP) ## Tests without the slow integration ones
	$(PY) -m pytest -q -m "not slow"

bench: $(STAMP) ## Benchmarks against aiobotocore, boto3, raw httpx2 and raw aiohttp (writes bench/RESULTS.md)
	$(PY) -m bench

bench-quick: $(STAMP) ## A short benchmark run (a few minutes)
	$(PY) -m bench --quick

soak: $(STAMP) ## The long soak test
	SOAK_LONG=1 $(PY) -m pytest -q tests/reliability -k soak

demo: $(STAMP) ## Start a local endpoint, invoke it through the client and the CLI, stop it
	$(PY) -m aiosagemaker_runtime.demo

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
