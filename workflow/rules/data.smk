rule download:
    threads: rule_threads("download")
    output:
        directory(dag.RAW_DIR),
    params:
        values=step_params("download"),
        profile=PROFILE,
    log:
        "logs/download.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/download.py --profile {params.profile} 2>&1 | tee {log}"


rule split:
    threads: rule_threads("split")
    input:
        dag.RAW_DIR,
    output:
        directory(dag.SPLIT_DIR),
    params:
        values=step_params("split"),
        profile=PROFILE,
    log:
        "logs/split.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/split.py --profile {params.profile} 2>&1 | tee {log}"


rule preview:
    threads: rule_threads("preview")
    input:
        dag.SPLIT_DIR,
    output:
        directory(dag.PREVIEW_DIR),
    params:
        values=step_params("preview"),
        profile=PROFILE,
    log:
        "logs/preview.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/preview.py --profile {params.profile} 2>&1 | tee {log}"
