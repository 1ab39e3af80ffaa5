"""Importing this package registers every model family."""

from cifarlab.models.families import simple_cnns  # noqa: F401
