"""Services pane helpers: wait until the pane shows what a test looks at (rows, the
error-rate column from Monitoring, an action's preview with its footer)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey
from waiting import settled, until

from staging_tui.ui.screens.action_dialogs import ActionPreview
from staging_tui.ui.screens.services import ServicesScreen
from staging_tui.ui.widgets.services_table import ServicesTable


async def services_shown(pilot: Pilot[Any]) -> ServicesScreen:
    """Until the Services pane shows its rows and the error rates Monitoring gave (the
    scenario's failing service has some), then until the screen has settled."""
    screen = pilot.app.screen
    assert isinstance(screen, ServicesScreen)
    table = screen.query_one(ServicesTable)
    await until(lambda: table.row_count and table.error_rates, pilot,
                what="the services and their error rates")
    await settled(pilot)
    return screen


async def preview_shown(pilot: Pilot[Any]) -> ActionPreview:
    """Until an action's preview is open and the footer no longer offers the action keys
    (greyed; hidden when the protected preview's name box has the focus)."""
    screen = pilot.app.screen
    await until(lambda: screen.query(ActionPreview), pilot, what="the action preview")
    await until(lambda: not any(k.action == "rollback" and not k.has_class("-disabled")
                                for k in screen.query(FooterKey)), pilot,
                what="the footer without an enabled action key")
    await settled(pilot)
    return screen.query_one(ActionPreview)
