"""Textual UI. Sees only the Backend (backend.py), domain objects, render/ and audit/."""
