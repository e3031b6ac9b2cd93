"""staging-tui: a keyboard-driven console for a Google Cloud staging environment."""

__version__ = "0.1.0"
