"""The orchestration core: run state, events, effects, the reducer, and progress rendering.

Pure: no I/O (see README.md beside this file).
"""
