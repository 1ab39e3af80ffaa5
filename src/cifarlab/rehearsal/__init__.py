"""The rehearsal: every experiment of the full profile at its real shapes, cut short, on
the CPU, through the real DAG on stand-in data (``make rehearsal``; see ``run``)."""
