# Ensembles of trained experiments: their saved predictions combined, no retraining.
# One job per ensemble, whose params are its own entry under `ensembles:`, so editing one
# ensemble's members reruns that ensemble alone (dvc.yaml: the same, per stage).
ENSEMBLES = list(CFG.ensembles)  # those whose members are all selected (`only`)


rule ensemble:
    threads: rule_threads("ensemble")
    input:
        lambda wc: dag.ensemble_inputs(CFG.ensemble(wc.ens).members),
    output:
        directory(dag.ensemble_eval_dir("{ens}")),
        dag.ensemble_metrics_file("{ens}"),
    params:
        values=lambda wc: step_params("ensemble", wc.ens),
        profile=PROFILE,
    wildcard_constraints:
        ens="|".join(ENSEMBLES) or "(?!)",
    log:
        "logs/ensemble/{ens}.log",
    conda:
        "../envs/cifarlab.yaml"
    shell:
        "python workflow/scripts/ensemble.py --ensemble {wildcards.ens} --profile {params.profile} 2>&1 | tee {log}"
