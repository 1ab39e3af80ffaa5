rule train:
    input:
        dag.SPLIT_DIR,
    output:
        dag.train_outputs("{exp}"),
    params:
        values=lambda wc: step_params("train", wc.exp),
        profile=PROFILE,
    resources:
        gpu=GPUS_PER_TRAIN_JOB,
    log:
        "logs/train/{exp}.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/train.py --experiment {wildcards.exp} --profile {params.profile} 2>&1 | tee {log}"
