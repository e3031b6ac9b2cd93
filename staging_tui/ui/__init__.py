"""Textual UI. Sees only the Backend (gcp/backend.py), domain objects, render/ and audit/."""
