"""The command line: `porch-parallel plan|serve|worker|demo`."""
