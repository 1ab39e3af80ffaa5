# Shared helpers: the config is checked once more (cross-references, naming the key),
# and every rule takes its outputs and params from cifarlab.dag, as dvc.yaml does.
import sys

from cifarlab import dag
from cifarlab.config import build_config

CFG = build_config(config).select(ONLY)
PROFILE = config["profile"]
EXPERIMENTS = list(CFG.experiments)
# The subset travels to the steps that read every experiment (aggregate, figures, report).
ONLY_ARG = f" --only {','.join(EXPERIMENTS)}" if ONLY else ""
for _name in dag.unavailable_experiments(CFG):
    print(f"cifarlab: warning: {_name}: {dag.unavailable_reason(CFG, _name)}; it will fail "
          "at its first step (other experiments run on with --keep-going)", file=sys.stderr)
# An empty report/ (made by hand, a mount point) must not pass for a made one.
_cli.guard_folder_outputs(EXPERIMENTS)
# Training jobs claim one GPU each on CUDA profiles (a slot allocator picks which one).
GPUS_PER_TRAIN_JOB = 1 if CFG.profile.device in ("cuda", "auto") else 0


wildcard_constraints:
    exp="|".join(EXPERIMENTS),


def step_params(step, exp=None):
    """Hash of the params a step reads: a change reruns exactly the affected jobs."""
    return dag.params_hash(dag.param_values(step, config, exp))


def train_gpus(wc):
    """GPUs one training job takes: the experiment's `gpus` (DDP) on CUDA profiles."""
    return CFG.experiment(wc.exp).gpus if GPUS_PER_TRAIN_JOB else 0


def slurm_resources(rule):
    """cpus_per_task, mem_mb, runtime for a SLURM job of ``rule`` (params.yaml: slurm)."""
    return CFG.slurm[rule].resources() if rule in CFG.slurm else {}
