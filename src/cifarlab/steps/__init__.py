"""One module per DAG step: ``run(cfg, experiment, command)`` does the I/O around src."""
