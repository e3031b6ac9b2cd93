"""Every binding has an id (so users can remap it) and is listed in docs/keys.md."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode
from waiting import until

import staging_tui.ui

DOCS = Path(__file__).resolve().parents[1] / "docs" / "keys.md"


def _our_bindings() -> list[tuple[str, Binding]]:
    found: list[tuple[str, Binding]] = []
    for info in pkgutil.walk_packages(staging_tui.ui.__path__, "staging_tui.ui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or not cls.__module__.startswith("staging_tui."):
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    found.append((cls.__name__, binding))
    return found


def test_every_binding_has_an_id() -> None:
    missing = [f"{owner}: {b.key} -> {b.action}" for owner, b in _our_bindings() if not b.id]
    assert not missing, missing


def test_every_binding_id_is_documented() -> None:
    text = DOCS.read_text()
    undocumented = sorted({b.id for _, b in _our_bindings() if b.id and f"`{b.id}`" not in text})
    assert not undocumented, f"add to docs/keys.md: {undocumented}"


async def test_profile_keys_remap_a_binding(sandbox: object) -> None:
    from ui_app import make_app, sandbox_profile

    from staging_tui.ui.widgets.services_table import ServicesTable

    settings = sandbox_profile(sandbox, keys={"services.group": "G"})  # type: ignore[arg-type]
    app = make_app(sandbox, settings)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ServicesTable)
        await until(lambda: table.row_count, pilot)
        await pilot.press("g")
        assert not any(k.startswith("group:") for k in table.row_keys)
        await pilot.press("G")
        assert any(k.startswith("group:") for k in table.row_keys)


def test_the_registry_of_binding_ids_is_exactly_the_bindings() -> None:
    """config.py checks [keys] against staging_tui/binding_ids.py: keep it in step."""
    from staging_tui.binding_ids import BINDING_IDS

    ours = {b.id for _, b in _our_bindings() if b.id}
    assert sorted(ours - BINDING_IDS) == [], "add these to staging_tui/binding_ids.py"
    assert sorted(BINDING_IDS - ours) == [], "remove these from staging_tui/binding_ids.py"
