"""F2 in a read-only profile says why write mode is off and how to get a profile that
allows it, and what read-only covers (this console, not psql through the tunnel)."""

from __future__ import annotations

from fixtures_query import open_query
from ui_app import make_app, sandbox_profile
from waiting import until

from staging_tui.config import Settings
from staging_tui.render.write_access import write_mode_refusal
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.status_line import StatusLine


def test_refusal_names_the_profile_the_key_and_the_fix() -> None:
    staging = Settings(profile="staging", project="p", source="staging-tui.toml")
    why, how = write_mode_refusal(staging)
    assert "profile 'staging' is read-only (read_only = true in staging-tui.toml)" in why
    assert "psql or a script through the tunnel can write" in why
    assert "read_only = false" in how and "--profile NAME" in how
    why, how = write_mode_refusal(Settings(profile="prod", project="p", read_only=False,
                                           protected=True))
    assert "protected" in why and "another profile" in how


async def test_f2_in_a_read_only_profile_explains(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, sandbox_profile(sandbox))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_query(pilot)  # connected: nothing overwrites the status meanwhile
        await pilot.press("f2")
        await until(lambda: "write mode is off" in str(app.screen.query_one(StatusLine).render()),
                    pilot)
        status = str(app.screen.query_one(StatusLine).render())
        assert "write mode is off: profile 'sandbox' is read-only" in status
        assert "--sandbox --config" in status and "retry" not in status
