# Two entry points for a fresh clone: `make run` (the quick profile, end to end, report
# included) and `make test`. Each installs what is missing first.
SHELL := /bin/bash
CORES ?= $(shell nproc)
# uv on PATH, else the copy pip installs for python3 (pip may put its script off PATH).
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
FMNIST := /usr/share/datasets/fashion-mnist
export UV_COMPILE_BYTECODE := 1

.PHONY: run record test env data-offline schema clean
# make run SUMMARY_ARGS=--write-reference: this run becomes models/run_reference.json.
SUMMARY_ARGS ?=

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
	@# This machine's speed against the cost table's, and the duration to expect.
	@$(UV) run python -m cifarlab.speed || echo "cifarlab: speed check failed; running anyway" >&2
	@start=$$(date +%s); \
	$(UV) run snakemake --cores $(CORES) --resources gpu=0 && \
	$(MAKE) --no-print-directory record && \
	$(UV) run python -m cifarlab.report.run_summary --cores $(CORES) --seconds $$(( $$(date +%s) - start )) $(SUMMARY_ARGS)

# Record Snakemake's outputs in dvc.lock. `dvc commit` relinks files into its cache, which
# renews their mtimes; `snakemake --touch` then restores the order Snakemake expects.
record: env
	$(UV) run dvc commit -f -q
	$(UV) run snakemake --touch --cores 1 --quiet all

# Share results through a DVC remote (README "Share results"). push uploads what dvc.lock
# records, so it refuses while the workspace differs from dvc.lock.
.PHONY: push pull exps
push: env
	@$(UV) run dvc status -q || { echo "make push: outputs differ from dvc.lock (see 'uv run dvc status'); run 'make record' first" >&2; exit 2; }
	$(UV) run dvc push
# dvc pull restores files with new mtimes in no set order; touching every job in DAG order
# (one at a time, --forceall so Snakemake records its metadata too) stops it rerunning them.
# Only when DVC confirms they match params and code: touching would hide a needed rerun.
pull: env
	$(UV) run dvc pull
	@$(UV) run dvc status -q || { echo "make pull: params or code differ from dvc.lock (see 'uv run dvc status'); not touching, run 'make run'" >&2; exit 2; }
	$(UV) run snakemake --touch --forceall --cores 1 --quiet all
# The last EXPS_N commits (and their DVC experiments): key metrics, and only the params
# that differ between them. Regexes match DVC's column names (`path:metric` when the same
# metric comes from several files).
EXPS_N ?= 5
EXPS_KEEP ?= ^(Experiment|Created)$$|(^|:)(top1|top5|macro_f1|train_seconds)(_mean|_std|_ci_low|_ci_high)?$$
EXPS_DROP ?= (?!profile$$|(profiles|recipes|experiments|split|datasets|studies)\.)
exps: env
	$(UV) run dvc exp show --no-pager -n $(EXPS_N) --only-changed --keep '$(EXPS_KEEP)' --drop '$(EXPS_DROP)'

test: env
	$(UV) run pytest

# The predicted cost of a profile before running it (README "Know the cost first"), e.g.
# make plan PLAN_ARGS="--profile full --gpus 8"; writes results/plan/<profile>.csv.
PLAN_ARGS ?=
.PHONY: plan
plan: env
	$(UV) run cifarlab plan $(PLAN_ARGS)

# The CUDA paths in one script (bench/gpu_check.py, at most ~8 min on one GPU): CUDA tests,
# data path share, AMP vs fp32, channels_last, planner vs a real epoch, Grad-CAM, slots.
# Without a GPU it says so, runs its CPU parts and exits 0. Writes bench/results/gpu_check.json.
.PHONY: gpu-check
gpu-check: env
	$(UV) run python bench/gpu_check.py

# The rehearsal (README "Rehearse the full profile"): every experiment at the full profile's
# shapes for 2 epochs of 2 batches on the CPU, through the real DAG on stand-in data, with
# each peak memory beside the planner's prediction; everything under results/rehearsal/.
# make rehearsal REHEARSAL_ARGS="--ci --cores 2" runs CI's part.
REHEARSAL_ARGS ?=
.PHONY: rehearsal
rehearsal: env
	nice $(UV) run python -m cifarlab.rehearsal $(REHEARSAL_ARGS)

# Regenerate the schema's list of model names from the registry.
schema: env
	$(UV) run python -m cifarlab.config --write-model-enum

clean:
	rm -rf data results report/index.html logs .snakemake
