"""The `explain` step of the DAG (see cifarlab.steps.explain); run by Snakemake and DVC alike."""

import sys

from cifarlab.cli import run_step

sys.exit(run_step("explain"))
