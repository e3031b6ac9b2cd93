"""Logs: per-service error rate over the last minutes, with repeated errors grouped so a
ConnectionRefusedError storm is one line with its count."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from staging_tui.audit.checks.registry import check
from staging_tui.domain import Finding, Level, LogEntry, Severity

ERROR_RATE = check(
    "logs.error-rate", "logs", "Error rate under the threshold",
    "The share of ERROR-or-worse entries of a service over the last minutes is above the "
    "threshold; the most repeated error messages are listed with their counts.",
    "staging-tui logs SERVICE --severity ERROR --since 15m   (then fix the top error)")

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class ErrorRateRule:
    window_min: float = 15.0
    threshold: float = 0.2
    error_threshold: float = 0.5
    min_errors: int = 5
    top: int = 3
    max_examples: int = 10  # flagged services whose messages are read (in one list call)


def error_signature(entry: LogEntry) -> str:
    """What an error 'is', for grouping: a traceback's last line, an HTTP status, else the
    first line; numbers do not split groups."""
    text = entry.text
    if text.startswith("Traceback") or "\nTraceback" in text:
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else "Traceback"
    if not text and entry.http_request is not None:
        return f"HTTP {entry.http_request.status} {entry.http_request.method}"
    return entry.message or "(empty message)"


def top_errors(entries: Iterable[LogEntry], top: int = 3) -> list[tuple[str, int]]:
    """The most repeated error messages with counts (numbers ignored when grouping)."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for e in entries:
        sig = error_signature(e)
        key = _DIGITS.sub("#", sig)
        counts[key] += 1
        example.setdefault(key, sig)
    return [(example[k], n) for k, n in counts.most_common(top)]


def over_threshold(counts: Mapping[str, tuple[int, int]], rule: ErrorRateRule) -> list[str]:
    """Services whose (errors, total) break the rule, most errors first."""
    bad = [s for s, (errors, total) in counts.items()
           if total and errors >= rule.min_errors and errors / total > rule.threshold]
    return sorted(bad, key=lambda s: (-counts[s][0], s))


def check_error_counts(counts: Mapping[str, tuple[int, int]],
                       examples: Mapping[str, Sequence[LogEntry]], rule: ErrorRateRule
                       ) -> list[Finding]:
    """The rule over counts from Cloud Monitoring (log_entry_count), keyed by Service.key
    (region/name); the top messages of a flagged service come from its newest error
    entries (`examples`, same keys). The title names the region when the counts span
    several; the evidence and the fix always do."""
    out = []
    several = len({key.partition("/")[0] for key in counts}) > 1
    for key in over_threshold(counts, rule):
        region, _, service = key.rpartition("/")
        bad, total = counts[key]
        rate = bad / total
        top = top_errors(examples.get(key, ()), rule.top)
        lines = [f"{n}× {msg}" for msg, n in top]
        sample = f" (top messages of the newest {len(examples.get(key, ()))} errors)" \
            if top else ""
        where = f" in {region}" if region else ""
        evidence = (f"{bad} of {total} entries ({rate:.0%}) at ERROR or worse{where} in the "
                    f"last {rule.window_min:g} min (Cloud Monitoring){sample}; threshold "
                    f"{rule.threshold:.0%}\n" + "\n".join(lines))
        headline = f" — top: {top[0][0]}" if top else ""
        name = f"{service} ({region})" if several and region else service
        fix = ERROR_RATE.fix.replace("SERVICE", service).replace(
            "15m", f"{rule.window_min:g}m")
        if region:
            fix = fix.replace("   (then", f" --region {region}   (then")
        out.append(ERROR_RATE.found(
            Level.ERROR if rate >= rule.error_threshold else Level.WARNING, evidence, service,
            title=f"{name}: error rate above {rule.threshold:.0%}{headline}", fix=fix))
    return out


def check_error_rates(entries: Iterable[LogEntry], rule: ErrorRateRule,
                      sampled: bool = False) -> list[Finding]:
    totals: Counter[str] = Counter()
    errors: dict[str, list[LogEntry]] = defaultdict(list)
    for e in entries:
        if not e.service:
            continue
        totals[e.service] += 1
        if e.severity >= Severity.ERROR:
            errors[e.service].append(e)
    out = []
    for service in sorted(errors):
        bad, total = len(errors[service]), totals[service]
        rate = bad / total
        if bad < rule.min_errors or rate <= rule.threshold:
            continue
        lines = [f"{n}× {msg}" for msg, n in top_errors(errors[service], rule.top)]
        scope = " (newest entries only)" if sampled else ""
        evidence = (f"{bad} of {total} entries ({rate:.0%}) at ERROR or worse in the last "
                    f"{rule.window_min:g} min{scope}; threshold {rule.threshold:.0%}\n"
                    + "\n".join(lines))
        out.append(ERROR_RATE.found(
            Level.ERROR if rate >= rule.error_threshold else Level.WARNING, evidence, service,
            title=f"{service}: error rate above {rule.threshold:.0%} — top: "
                  f"{top_errors(errors[service], 1)[0][0]}",
            fix=ERROR_RATE.fix.replace("SERVICE", service).replace(
                "15m", f"{rule.window_min:g}m")))
    return out
