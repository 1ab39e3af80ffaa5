rule evaluate:
    input:
        dag.SPLIT_DIR,
        dag.train_outputs("{exp}"),
    output:
        dag.eval_outputs("{exp}"),
    params:
        values=lambda wc: step_params("evaluate", wc.exp),
        profile=PROFILE,
    resources:
        gpu=GPUS_PER_TRAIN_JOB,
    log:
        "logs/evaluate/{exp}.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/evaluate.py --experiment {wildcards.exp} --profile {params.profile} 2>&1 | tee {log}"
