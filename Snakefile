# cifarlab: download -> split -> train -> evaluate -> aggregate -> figures -> report.
# The same commands and paths as dvc.yaml (tests/test_frontends.py keeps them equal).
from snakemake.utils import min_version, validate

min_version("9.0")

import cifarlab.cli as _cli

# One line and exit 2, never a traceback: duplicate keys before Snakemake's loader
# merges them, then names, schema and cross-references of the merged config.
_cli.guard_params_file("params.yaml")


configfile: "params.yaml"


_cli.guard_config(config)
validate(config, "workflow/schemas/params.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        dag.REPORT_HTML,
    default_target: True
