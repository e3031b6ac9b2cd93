"""The doctor's checklist as text: ✓ / ⚠ / ✗ grouped by area, with evidence and fix.
Pure; used by `staging-tui doctor` and the Doctor pane."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from staging_tui.domain import Finding, Level

SYMBOL = {Level.OK: "✓", Level.INFO: "·", Level.WARNING: "⚠", Level.ERROR: "✗"}
STYLE = {Level.OK: "green", Level.INFO: "blue", Level.WARNING: "yellow", Level.ERROR: "red"}
_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2, Level.OK: 3}


def by_area(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """Areas in first-seen order; in each, errors first, then warnings, notes, passes
    (stable within a level, so checks keep their declared order)."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.area, []).append(f)
    return [(area, sorted(items, key=lambda f: _ORDER[f.level]))
            for area, items in groups.items()]


def area_symbol(findings: Sequence[Finding]) -> str:
    levels = {f.level for f in findings}
    for level in (Level.ERROR, Level.WARNING):
        if level in levels:
            return SYMBOL[level]
    return SYMBOL[Level.OK]


def summary_line(findings: Iterable[Finding]) -> str:
    counts = Counter(f.level for f in findings)
    parts = [f"{counts[Level.ERROR]} errors", f"{counts[Level.WARNING]} warnings"]
    if counts[Level.INFO]:
        parts.append(f"{counts[Level.INFO]} notes")
    parts.append(f"{counts[Level.OK]} passed")
    return ", ".join(parts)


def finding_line(f: Finding) -> str:
    """One checklist line: symbol, title, and for passes the short evidence."""
    if f.level is Level.OK and f.evidence:
        return f"{SYMBOL[f.level]} {f.title} — {f.evidence}"
    return f"{SYMBOL[f.level]} {f.title}"


def detail_lines(f: Finding) -> list[str]:
    """Evidence (possibly several lines) and the fix, for a problem or a note."""
    out = [f"{ln}" for ln in f.evidence.splitlines() if ln.strip()]
    if f.fix:
        out.append(f"fix: {f.fix}")
    return out


def checklist_text(findings: Sequence[Finding], *, header: str = "",
                   verbose_passes: bool = True) -> str:
    lines = [header, ""] if header else []
    for area, items in by_area(findings):
        lines.append(f"{area_symbol(items)} {area}")
        for f in items:
            if f.level is Level.OK and not verbose_passes:
                continue
            lines.append(f"  {finding_line(f)}")
            if f.level is not Level.OK:
                lines.extend(f"      {ln}" for ln in detail_lines(f))
        lines.append("")
    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"


def checklist_rows(findings: Sequence[Finding], running: Iterable[str] = (),
                   areas: Sequence[str] = ()) -> list[tuple[str, Finding | None, str]]:
    """Rows for the pane: (text, finding or None for an area header, style). Areas in
    `areas` order (then any other); areas still `running` show a progress row."""
    grouped = dict(by_area(findings))
    order = list(areas) + [a for a in grouped if a not in areas]
    busy = set(running)
    rows: list[tuple[str, Finding | None, str]] = []
    for area in order:
        items = grouped.get(area, [])
        if area in busy:
            rows.append((f"⟳ {area} — checking…", None, "italic"))
            continue
        if not items:
            continue
        symbol = area_symbol(items)
        level = next(lv for lv, sym in SYMBOL.items() if sym == symbol)
        counts = Counter(f.level for f in items)
        tally = ", ".join(f"{counts[lv]} {name}" for lv, name in (
            (Level.ERROR, "errors"), (Level.WARNING, "warnings"), (Level.OK, "passed"))
            if counts[lv])
        rows.append((f"{symbol} {area}  ({tally})", None, f"bold {STYLE[level]}"))
        for f in items:
            rows.append((f"   {SYMBOL[f.level]} {f.title}", f, STYLE[f.level]))
    return rows


def finding_detail_text(f: Finding) -> str:
    """The detail view's body: title, where, evidence and fix."""
    lines = [f"{SYMBOL[f.level]} {f.title}", "",
             f"check     {f.check_id}   ({f.level.value})", f"area      {f.area}"]
    if f.target:
        lines.append(f"target    {f.target}")
    if f.evidence:
        lines += ["", "evidence", *(f"  {ln}" for ln in f.evidence.splitlines())]
    if f.fix:
        lines += ["", "fix", *(f"  {ln}" for ln in f.fix.splitlines())]
    return "\n".join(lines)
