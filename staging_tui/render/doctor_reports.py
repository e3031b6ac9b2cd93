"""The doctor's findings for CI systems: JUnit XML (each check a test case, so a
pipeline lists them; errors are failures) and a Markdown summary (a job summary or a
merge-request comment). Pure; used by `staging-tui doctor --format junit|markdown`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from staging_tui.domain import Finding, Level
from staging_tui.render.doctor import SYMBOL, by_area, summary_line

_LEVEL_WORD = {Level.OK: "passed", Level.INFO: "note", Level.WARNING: "warning",
               Level.ERROR: "error"}


def _body(f: Finding) -> str:
    lines = [f.evidence] if f.evidence else []
    if f.fix:
        lines.append(f"fix: {f.fix}")
    if f.target:
        lines.append(f"target: {f.target}")
    return "\n".join(lines)


def junit_xml(findings: Sequence[Finding], project: str, duration_s: float = 0.0) -> str:
    """<testsuites> with one <testsuite> per area and one <testcase> per finding
    (classname `doctor.AREA`, name = the finding's title). ERROR -> <failure>; WARNING and
    notes pass but carry their text in <system-out> ("WARNING: ...") and a `level`
    property, so a warning never fails a pipeline that gates on failures (gate on the
    exit code 1 for that)."""
    root = ET.Element("testsuites", name=f"staging-tui doctor {project}",
                      tests=str(len(findings)),
                      failures=str(sum(f.level is Level.ERROR for f in findings)),
                      errors="0", time=f"{duration_s:.3f}")
    for area, items in by_area(findings):
        suite = ET.SubElement(root, "testsuite", name=f"doctor.{area}", tests=str(len(items)),
                              failures=str(sum(f.level is Level.ERROR for f in items)),
                              errors="0", skipped="0")
        for f in items:
            case = ET.SubElement(suite, "testcase", classname=f"doctor.{area}", name=f.title)
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="check", value=f.check_id)
            ET.SubElement(props, "property", name="level", value=_LEVEL_WORD[f.level])
            if f.level is Level.ERROR:
                failure = ET.SubElement(case, "failure", message=f.title, type=f.check_id)
                failure.text = _body(f)
            elif f.level in (Level.WARNING, Level.INFO):
                out = ET.SubElement(case, "system-out")
                out.text = f"{_LEVEL_WORD[f.level].upper()}: {f.title}\n{_body(f)}".rstrip()
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _cell(text: str) -> str:
    """One Markdown table cell: pipes escaped, lines joined with <br>."""
    return text.replace("|", "\\|").replace("\n", "<br>") or " "


def markdown_summary(findings: Sequence[Finding], header: str) -> str:
    """A heading with the verdict, a table of the problems (errors, then warnings and
    notes) with evidence and fix, and the passes folded in a <details> block."""
    lines = [f"## {header}", "", f"**{summary_line(findings)}**", ""]
    problems = [f for _, items in by_area(findings) for f in items if f.level is not Level.OK]
    if problems:
        lines += ["| | area | finding | evidence | fix |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {SYMBOL[f.level]} | {f.area} | {_cell(f.title)} | {_cell(f.evidence)} | "
                  f"{_cell(f'`{f.fix}`' if f.fix else '')} |" for f in problems]
        lines.append("")
    passes = [f for f in findings if f.level is Level.OK]
    if passes:
        lines += [f"<details><summary>{len(passes)} passed</summary>", ""]
        lines += [f"- ✓ {f.area}: {f.title}" + (f" — {f.evidence}" if f.evidence else "")
                  for f in passes]
        lines += ["", "</details>", ""]
    return "\n".join(lines)
