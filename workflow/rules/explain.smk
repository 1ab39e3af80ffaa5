# Figures that need a trained model (Grad-CAM, feature maps) and the most confident
# errors: one job over the experiments cifarlab.dag.EXPLAIN names, checkpoints as inputs.
rule explain:
    input:
        dag.SPLIT_DIR,
        dag.explain_inputs(EXPERIMENTS),
    output:
        directory(dag.EXPLAIN_DIR),
    params:
        values=step_params("explain"),
        profile=PROFILE + ONLY_ARG,
    resources:
        gpu=GPUS_PER_TRAIN_JOB,
    log:
        "logs/explain.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/explain.py --profile {params.profile} 2>&1 | tee {log}"
