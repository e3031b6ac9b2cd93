"""Logging query language benchmark: the sandbox's filter over generated Cloud Run entries.

    uv run python bench/log_filter.py [--entries 20000]

Each query is compiled once, then evaluated on every entry parsed from its wire bytes (as
ListLogEntries and TailLogEntries do): microseconds per entry, parse included. A
ListLogEntries scan over the 200,000 retained entries costs about 200,000 x this.
"""

from __future__ import annotations

import argparse
import time

from staging_tui.sandbox.log_filter import compile_filter
from staging_tui.sandbox.log_generator import LogEntryPb, LogGenerator
from staging_tui.sandbox.scenario import load_scenario

QUERIES = (
    "",
    'resource.labels.service_name="webservice"',
    "severity>=ERROR",
    "jsonPayload.latency_ms>500",
    'httpRequest.latency>="0.5s" httpRequest.status>=500',
    "httpRequest.status>=500 OR textPayload:timeout",
    'log_id("run.googleapis.com/stderr")',
    "Traceback",
    'SEARCH("connection refused")',
    'textPayload=~"Errno \\d+"',
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20_000)
    args = parser.parse_args()
    generator = LogGenerator(load_scenario(), 0)
    wires = [generator.wire(i)[1] for i in range(args.entries)]
    parse = LogEntryPb.FromString
    print(f"{args.entries:,} generated entries (default scenario)")
    print(f"{'query':55} {'matched':>8} {'us/entry':>9}")
    for query in QUERIES:
        flt = compile_filter(query)
        started = time.perf_counter()
        matched = sum(1 for w in wires if flt(parse(w)))
        per = (time.perf_counter() - started) * 1e6 / len(wires)
        print(f"{query or '(empty: parse only)':55} {matched:8,} {per:9.1f}")


if __name__ == "__main__":
    main()
