"""Widgets display and emit messages; they never call the Backend."""
