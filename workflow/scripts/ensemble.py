"""The `ensemble` step of the DAG (see cifarlab.steps.ensemble); run by Snakemake and DVC alike."""

import sys

from cifarlab.cli import run_step

sys.exit(run_step("ensemble"))
