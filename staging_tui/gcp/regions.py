"""List a per-region resource in every region at once (Cloud Run services and jobs:
their List calls refuse the `locations/-` wildcard). A failing region becomes a
`RegionFailure` while the others' items are listed; only when every region failed does
the first region's error rise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from staging_tui.domain import RegionFailure
from staging_tui.errors import StagingError

T = TypeVar("T")


async def gather_regions(regions: Sequence[str],
                         list_region: Callable[[str], Awaitable[list[T]]]
                         ) -> tuple[list[T], tuple[RegionFailure, ...]]:
    """The items of every region (in region order) and the regions that failed. An error
    that is not a StagingError (a bug) is raised as it is."""
    results = await asyncio.gather(*(list_region(r) for r in regions), return_exceptions=True)
    items: list[T] = []
    failures: list[RegionFailure] = []
    for region, result in zip(regions, results, strict=True):
        if isinstance(result, StagingError):
            failures.append(RegionFailure(region, getattr(result, "code", ""),
                                          result.message, result.fix))
        elif isinstance(result, BaseException):
            raise result
        else:
            items.extend(result)
    if failures and len(failures) == len(regions):
        first = results[0]
        assert isinstance(first, StagingError)
        raise first
    return items, tuple(failures)
