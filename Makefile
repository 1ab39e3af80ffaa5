# Two entry points for a fresh clone: `make run` (the quick profile, end to end, report
# included) and `make test`. Each installs what is missing first.
SHELL := /bin/bash
CORES ?= $(shell nproc)
# uv on PATH, else the copy pip installs for python3 (pip may put its script off PATH).
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
FMNIST := /usr/share/datasets/fashion-mnist
export UV_COMPILE_BYTECODE := 1

.PHONY: run record test env data-offline schema clean

# uv, then the locked environment (bytecode compiled: every rule is a fresh process).
env: .venv/.synced
.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv
	$(UV) sync --frozen --compile-bytecode
	touch $@

# Fashion-MNIST for the offline quick profile (Debian's package), when apt is at hand.
data-offline:
	@if [ ! -d $(FMNIST) ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; fi

run: env data-offline
	@# A killed run leaves a lock: removed when no Snakemake runs here, else who holds it.
	@$(UV) run python -m cifarlab.snakelock
	@start=$$(date +%s); \
	$(UV) run snakemake --cores $(CORES) --resources gpu=0 && \
	$(MAKE) --no-print-directory record && \
	echo "cifarlab: done in $$(( $$(date +%s) - start )) s; report: $(CURDIR)/report/index.html"

# Record Snakemake's outputs in dvc.lock. `dvc commit` relinks files into its cache, which
# renews their mtimes; `snakemake --touch` then restores the order Snakemake expects.
record: env
	$(UV) run dvc commit -f -q
	$(UV) run snakemake --touch --cores 1 --quiet all

test: env
	$(UV) run pytest

# The predicted cost of a profile before running it (README "Know the cost first"), e.g.
# make plan PLAN_ARGS="--profile full --gpus 8"; writes results/plan/<profile>.csv.
PLAN_ARGS ?=
.PHONY: plan
plan: env
	$(UV) run cifarlab plan $(PLAN_ARGS)

# Regenerate the schema's list of model names from the registry.
schema: env
	$(UV) run python -m cifarlab.config --write-model-enum

clean:
	rm -rf data results report/index.html logs .snakemake
