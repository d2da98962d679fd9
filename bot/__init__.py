"""porch-parallel: run the independent phases of an implementation plan in parallel."""
