"""Screens: one per pane, plus detail and modal screens. Screens own the workers."""
