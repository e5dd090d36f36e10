"""Readers for files exported by third-party tools (web analytics, …).

The cooperative does not control how its tools write their exports, so these readers
accept the files as the tools write them and map them to the canonical tables of
``docs/tables.md``, instead of asking a volunteer to retype the figures.
"""
