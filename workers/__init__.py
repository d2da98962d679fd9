"""RQ job functions: deliveries (intake), and the effects declared in workers/registry.py."""
