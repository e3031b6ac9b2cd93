"""Check specs: id, area, title, what it means and the usual fix. Every check module
declares its specs here so docs, the checklist and `--only` share one list."""

from __future__ import annotations

from dataclasses import dataclass

from staging_tui.domain import Finding, Level
from staging_tui.exit_codes import ERRORS_FOUND, FINDINGS, OK

AREAS: tuple[str, ...] = ("credentials", "services", "secrets", "database", "health", "logs")
LEVEL_RANK = {Level.OK: 0, Level.INFO: 1, Level.WARNING: 2, Level.ERROR: 3}


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    area: str
    title: str
    meaning: str
    fix: str

    def found(self, level: Level, evidence: str, target: str = "", fix: str = "",
              title: str = "") -> Finding:
        """A problem (or note) this check found."""
        return Finding(self.id, self.area, level, title or self.title, evidence,
                       fix or self.fix, target)

    def passed(self, evidence: str = "", target: str = "", title: str = "") -> Finding:
        return Finding(self.id, self.area, Level.OK, title or self.title, evidence, "", target)


CHECKS: dict[str, Check] = {}


def check(id: str, area: str, title: str, meaning: str, fix: str) -> Check:
    """Declare a check (module level, once)."""
    if area not in AREAS:
        raise ValueError(f"unknown doctor area {area!r}")
    spec = Check(id, area, title, meaning, fix)
    CHECKS[id] = spec
    return spec


def checks_of(area: str) -> list[Check]:
    return [c for c in CHECKS.values() if c.area == area]


def security_level(protected: bool) -> Level:
    """Lax security settings: a warning in staging, an error in a protected profile."""
    return Level.ERROR if protected else Level.WARNING


def is_problem(finding: Finding) -> bool:
    return finding.level in (Level.WARNING, Level.ERROR)


def worst(findings: list[Finding] | tuple[Finding, ...]) -> Level:
    return max((f.level for f in findings), key=LEVEL_RANK.__getitem__, default=Level.OK)


def exit_code(findings: list[Finding] | tuple[Finding, ...]) -> int:
    """For CI (staging_tui/exit_codes.py): 0 all pass (notes allowed), 1 warnings only,
    3 any error (2 is a usage error, as for every command)."""
    level = worst(findings)
    return ERRORS_FOUND if level is Level.ERROR else FINDINGS if level is Level.WARNING else OK
