# cifarlab: download -> split -> train -> evaluate -> ensemble -> aggregate -> figures -> report.
# The same commands and paths as dvc.yaml (tests/test_frontends.py keeps them equal).
from snakemake.utils import min_version, validate

min_version("9.0")

import cifarlab.cli as _cli

# One line and exit 2, never a traceback: duplicate keys before Snakemake's loader
# merges them, then names, schema and cross-references of the merged config.
_cli.guard_params_file("params.yaml")


configfile: "params.yaml"


# `--config only=s002,cnn4` runs a subset (studies, experiment names or patterns); it is a
# command-line choice, not a parameter, so it leaves the config before validation.
ONLY = config.pop("only", None)
_cli.guard_config(config)
validate(config, "workflow/schemas/params.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/ensemble.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/explain.smk"


rule all:
    input:
        dag.REPORT_DIR,
    default_target: True
