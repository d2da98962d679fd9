"""Plan parsing and the phase dependency graph. Pure: no I/O (see README.md beside this file)."""
