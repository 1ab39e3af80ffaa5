"""The planner: know the cost of a selection of experiments before running it.

``cifarlab plan`` times a few warm training and evaluation steps of every selected
experiment on the profile's device (the real model, optimizer and device-resident data
path, at the recipe's batch and input size), turns them into seconds per epoch and
device-hours with the profile's epochs and the experiment's seeds, and schedules the jobs
longest-first onto N devices.

Modules: ``workload`` (dataset sizes and the arithmetic, torch-free), ``schedule``
(longest-processing-time-first and its bounds, torch-free), ``measure`` (the timed steps,
torch), ``table`` (the table, CSV and provenance sidecar, torch-free), ``cli`` (the
command). Importing this package imports no torch.
"""
