rule aggregate:
    threads: rule_threads("aggregate")
    input:
        expand(dag.eval_outputs("{exp}"), exp=EXPERIMENTS),
        expand(dag.train_outputs("{exp}"), exp=EXPERIMENTS),
        expand(dag.ensemble_outputs("{ens}"), ens=ENSEMBLES),
    output:
        directory(dag.TABLES_DIR),
    params:
        values=step_params("aggregate"),
        profile=PROFILE + ONLY_ARG,
    log:
        "logs/aggregate.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/aggregate.py --profile {params.profile} 2>&1 | tee {log}"


rule figures:
    threads: rule_threads("figures")
    input:
        dag.table_outputs(),
        expand(dag.eval_outputs("{exp}"), exp=EXPERIMENTS),
        expand(dag.train_outputs("{exp}"), exp=EXPERIMENTS),
    output:
        directory(dag.SUMMARY_DIR),
    params:
        values=step_params("figures"),
        profile=PROFILE + ONLY_ARG,
    log:
        "logs/figures.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/figures.py --profile {params.profile} 2>&1 | tee {log}"


rule report:
    threads: rule_threads("report")
    input:
        dag.table_outputs(),
        dag.SUMMARY_DIR,
        dag.PREVIEW_DIR,
        dag.EXPLAIN_DIR,
    output:
        directory(dag.REPORT_DIR),
    params:
        values=step_params("report"),
        profile=PROFILE + ONLY_ARG,
    log:
        "logs/report.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/report.py --profile {params.profile} 2>&1 | tee {log}"
