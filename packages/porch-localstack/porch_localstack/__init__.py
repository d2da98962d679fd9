"""porch-parallel on one machine: the local GitHub, Redis, web and workers as real processes."""
