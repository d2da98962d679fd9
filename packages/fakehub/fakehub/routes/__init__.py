"""Flask blueprints, one per API area."""
