rule evaluate:
    threads: rule_threads("evaluate")
    priority: job_priority
    input:
        dag.SPLIT_DIR,
        dag.train_dir("{exp}"),
    output:
        directory(dag.eval_dir("{exp}")),
        dag.metrics_file("{exp}"),
    params:
        values=lambda wc: step_params("evaluate", wc.exp),
        profile=PROFILE,
    resources:
        gpu=GPUS_PER_TRAIN_JOB,  # evaluation stays one process on one GPU
        **slurm_resources("evaluate"),
    log:
        "logs/evaluate/{exp}.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/evaluate.py --experiment {wildcards.exp} --profile {params.profile} 2>&1 | tee {log}"
