"""Errors a user can fix (bad params, bad or missing input files).

The command-line front door turns these into a one-line message naming the key or file
and exit status 2; anything else is a bug and keeps its traceback.
"""


class CifarlabError(Exception):
    """Base of the errors whose message is the whole story for the user."""
