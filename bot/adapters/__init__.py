"""Adapters: one per outside system (GitHub, git, Redis, queues, the builder process)."""
