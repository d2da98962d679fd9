"""RQ job functions: orchestration events, builders, merges, consultations."""
