"""Cloud Run Admin API v2 adapter for jobs and their executions -> domain objects.

Like services, jobs live per region (ListJobs refuses the `locations/-` wildcard); a
failing region is reported while the others' jobs are listed. Executions of one job
come newest first (by creation time, not name).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from google.cloud import run_v2
from google.cloud.run_v2.services.executions.transports.grpc_asyncio import (
    ExecutionsGrpcAsyncIOTransport,
)
from google.cloud.run_v2.services.jobs.transports.grpc_asyncio import JobsGrpcAsyncIOTransport

from staging_tui import errors
from staging_tui.domain import (
    Execution,
    ExecutionStatus,
    Job,
    JobListing,
    RegionFailure,
)
from staging_tui.gcp.api_errors import mapped
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.run import READ_RETRY, _conditions, _containers, _time

PAGE_SIZE = 500
_REF = run_v2.ExecutionReference.CompletionStatus
_BY_COMPLETION = {
    int(_REF.EXECUTION_SUCCEEDED): ExecutionStatus.SUCCEEDED,
    int(_REF.EXECUTION_FAILED): ExecutionStatus.FAILED,
    int(_REF.EXECUTION_RUNNING): ExecutionStatus.RUNNING,
    int(_REF.EXECUTION_PENDING): ExecutionStatus.RUNNING,
    int(_REF.EXECUTION_CANCELLED): ExecutionStatus.CANCELLED,
}
_SUCCEEDED, _FAILED = 4, 3  # Condition.State


def execution_status(pb: Any) -> ExecutionStatus:
    """From the counts and the Completed condition, as `gcloud run jobs executions list`."""
    done = next((c for c in pb.conditions if c.type_ == "Completed"), None)
    if pb.cancelled_count and not pb.running_count:
        return ExecutionStatus.CANCELLED
    if done is not None and done.state == _FAILED:
        return ExecutionStatus.FAILED
    if done is not None and done.state == _SUCCEEDED:
        return ExecutionStatus.SUCCEEDED
    if pb.running_count or pb.reconciling or not pb.completion_time.seconds:
        return ExecutionStatus.RUNNING
    return ExecutionStatus.FAILED if pb.failed_count else ExecutionStatus.UNKNOWN


def execution_from_pb(pb: Any) -> Execution:
    _, _, _, region, _, job, _, name = pb.name.split("/")
    return Execution(
        name=name, job=job, region=region, status=execution_status(pb),
        task_count=pb.task_count, succeeded=pb.succeeded_count, failed=pb.failed_count,
        running=pb.running_count, cancelled=pb.cancelled_count, retried=pb.retried_count,
        create_time=_time(pb.create_time), start_time=_time(pb.start_time),
        completion_time=_time(pb.completion_time), conditions=_conditions(pb.conditions),
        log_uri=pb.log_uri,
    )


def job_from_pb(pb: Any) -> Job:
    _, project, _, region, _, name = pb.name.split("/")
    latest = pb.latest_created_execution
    task = pb.template.template
    return Job(
        name=name, project=project, region=region, containers=_containers(task.containers),
        task_count=pb.template.task_count, parallelism=pb.template.parallelism,
        max_retries=task.max_retries, execution_count=pb.execution_count,
        latest_execution=latest.name.rsplit("/", 1)[-1],
        latest_status=_BY_COMPLETION.get(latest.completion_status, ExecutionStatus.UNKNOWN)
        if latest.name else ExecutionStatus.UNKNOWN,
        latest_completed=_time(latest.completion_time),
        create_time=_time(pb.create_time), update_time=_time(pb.update_time),
        last_modifier=pb.last_modifier, service_account=task.service_account,
        labels=dict(pb.labels),
    )


class JobsAdapter:
    """List Cloud Run jobs and their executions in the profile's regions."""

    def __init__(self, endpoints: Endpoints, project: str,
                 regions: Callable[[], Awaitable[tuple[str, ...]]]) -> None:
        self.project = project
        self._regions = regions
        if endpoints.sandbox:
            channel = endpoints.grpc_channel()
            self._jobs = run_v2.JobsAsyncClient(transport=JobsGrpcAsyncIOTransport(channel=channel))
            self._executions = run_v2.ExecutionsAsyncClient(
                transport=ExecutionsGrpcAsyncIOTransport(channel=channel))
        else:
            creds = endpoints.credentials()
            self._jobs = run_v2.JobsAsyncClient(credentials=creds)
            self._executions = run_v2.ExecutionsAsyncClient(credentials=creds)

    async def list_jobs(self) -> JobListing:
        regions = await self._regions()
        results = await asyncio.gather(*(self._list_region(r) for r in regions),
                                       return_exceptions=True)
        jobs: list[Job] = []
        failures: list[RegionFailure] = []
        for region, result in zip(regions, results, strict=True):
            if isinstance(result, errors.StagingError):
                failures.append(RegionFailure(region, getattr(result, "code", ""),
                                              result.message, result.fix))
            elif isinstance(result, BaseException):
                raise result
            else:
                jobs.extend(result)
        if failures and len(failures) == len(regions):
            first = results[0]
            assert isinstance(first, errors.StagingError)
            raise first
        jobs.sort(key=lambda j: (j.name, j.region))
        return JobListing(tuple(jobs), tuple(failures))

    async def _list_region(self, region: str) -> list[Job]:
        parent = f"projects/{self.project}/locations/{region}"
        out: list[Job] = []
        async with mapped(parent):
            pager = await self._jobs.list_jobs(
                request=run_v2.ListJobsRequest(parent=parent, page_size=PAGE_SIZE),
                retry=READ_RETRY)
            async for response in pager.pages:
                out.extend(job_from_pb(pb) for pb in type(response).pb(response).jobs)
        return out

    async def list_executions(self, job: str, region: str) -> list[Execution]:
        """Executions of one job, newest first."""
        parent = f"projects/{self.project}/locations/{region}/jobs/{job}"
        out: list[Execution] = []
        async with mapped(parent):
            pager = await self._executions.list_executions(
                request=run_v2.ListExecutionsRequest(parent=parent, page_size=PAGE_SIZE),
                retry=READ_RETRY)
            async for response in pager.pages:
                out.extend(execution_from_pb(pb)
                           for pb in type(response).pb(response).executions)
        return sorted(out, key=lambda e: (e.create_time or datetime.min.replace(tzinfo=UTC),
                                          e.name), reverse=True)

    async def close(self) -> None:
        await self._jobs.transport.close()  # type: ignore[no-untyped-call]
