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


def rule_threads(name):
    """Compute threads of one job. One machine: 1, so `--cores N` runs N jobs side by side
    and never more compute threads than cores (two one-thread fits on two cores beat two
    two-thread fits: bench/threads.py). A SLURM job owns the CPUs it asks for
    (params.yaml slurm.<rule>.cpus); Snakemake exports the threads as OMP_NUM_THREADS and
    each step holds torch to them (cifarlab.threads)."""
    if (workflow.non_local_exec or workflow.remote_exec) and name in CFG.slurm:
        return CFG.slurm[name].cpus
    return 1


def job_priority(wc):
    """Longest job first, so that no long run starts last and leaves cores idle at the
    end (LPT scheduling): a budgeted profile knows each experiment's share of its study
    (study_seconds x its seeds / the study's runs), cnn4's being the largest. Evaluate
    takes its train job's priority, which puts it right after that job on the critical
    path. Unbudgeted profiles (GPU) leave the order to Snakemake."""
    budget = CFG.profile.budget
    if budget is None:
        return 0
    exp = CFG.experiment(wc.exp)
    return round(budget.study_seconds * len(exp.seeds) / CFG.runs_in_study(exp.study))
