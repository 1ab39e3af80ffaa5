"""The `figures` step of the DAG (see cifarlab.steps.figures); run by Snakemake and DVC alike."""

import sys

from cifarlab.cli import run_step

sys.exit(run_step("figures"))
