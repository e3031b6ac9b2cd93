"""Moved to staging_tui/ports.py (a layer below gcp/ and audit/, so that the doctor uses
the same ports). Kept for imports written before the move; new code imports
staging_tui.ports."""

from staging_tui.ports import *  # noqa: F403
