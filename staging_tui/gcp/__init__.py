"""Adapters over the google-cloud client libraries: the only package importing google.*.

Modules here import google.* at their top; `backend.py` imports them lazily so
that the TUI's first frame never waits for those imports.
"""
