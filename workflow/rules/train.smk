def train_gpus(wc):
    """GPUs one training job takes: the experiment's `gpus` (DDP) on CUDA profiles."""
    return CFG.experiment(wc.exp).gpus if GPUS_PER_TRAIN_JOB else 0


def slurm_resources(rule):
    """cpus_per_task, mem_mb, runtime for a SLURM job of ``rule`` (params.yaml: slurm)."""
    return CFG.slurm[rule].resources() if rule in CFG.slurm else {}


rule train:
    input:
        dag.SPLIT_DIR,
    output:
        directory(dag.train_dir("{exp}")),
    message:
        "train {wildcards.exp}, seeds {params.seeds}: {output}"
    params:
        values=lambda wc: step_params("train", wc.exp),
        profile=PROFILE,
        seeds=lambda wc: ",".join(map(str, CFG.experiment(wc.exp).seeds)),
    resources:
        gpu=train_gpus,
        **slurm_resources("train"),
    log:
        "logs/train/{exp}.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/train.py --experiment {wildcards.exp} --profile {params.profile} 2>&1 | tee {log}"
