rule train:
    threads: rule_threads("train")
    priority: job_priority
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
