"""Cloud Run Admin API v2 adapter for jobs and their executions -> domain objects.

Like services, jobs live per region (ListJobs refuses the `locations/-` wildcard); a
failing region is reported while the others' jobs are listed. Executions of one job
come newest first (by creation time, not name).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from google.cloud import run_v2
from google.cloud.run_v2.services.executions.transports.grpc_asyncio import (
    ExecutionsGrpcAsyncIOTransport,
)
from google.cloud.run_v2.services.jobs.transports.grpc_asyncio import JobsGrpcAsyncIOTransport
from google.rpc import code_pb2

from staging_tui.domain import (
    ActionProgress,
    ActionStage,
    Execution,
    ExecutionStatus,
    Job,
    JobListing,
    JobRunPlan,
)
from staging_tui.errors import OperationFailed
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.regions import gather_regions
from staging_tui.gcp.run_actions import MAX_OPERATION_S, start_operation, wait_operation
from staging_tui.gcp.run_fields import (
    conditions_from_pb,
    containers_from_pb,
    list_all,
    timestamp,
)

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
        create_time=timestamp(pb.create_time), start_time=timestamp(pb.start_time),
        completion_time=timestamp(pb.completion_time), conditions=conditions_from_pb(pb.conditions),
        log_uri=pb.log_uri,
    )


def job_from_pb(pb: Any) -> Job:
    _, project, _, region, _, name = pb.name.split("/")
    latest = pb.latest_created_execution
    task = pb.template.template
    return Job(
        name=name, project=project, region=region, containers=containers_from_pb(task.containers),
        task_count=pb.template.task_count, parallelism=pb.template.parallelism,
        max_retries=task.max_retries, execution_count=pb.execution_count,
        latest_execution=latest.name.rsplit("/", 1)[-1],
        latest_status=_BY_COMPLETION.get(latest.completion_status, ExecutionStatus.UNKNOWN)
        if latest.name else ExecutionStatus.UNKNOWN,
        latest_completed=timestamp(latest.completion_time),
        create_time=timestamp(pb.create_time), update_time=timestamp(pb.update_time),
        last_modifier=pb.last_modifier, service_account=task.service_account,
        labels=dict(pb.labels), etag=pb.etag,
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
        jobs, failures = await gather_regions(regions, self._list_region)
        jobs.sort(key=lambda j: (j.name, j.region))
        return JobListing(tuple(jobs), failures)

    async def _list_region(self, region: str) -> list[Job]:
        return await list_all(self._jobs.list_jobs, run_v2.ListJobsRequest,
                              f"projects/{self.project}/locations/{region}", "jobs", job_from_pb)

    async def list_executions(self, job: str, region: str) -> list[Execution]:
        """Executions of one job, newest first."""
        out = await list_all(self._executions.list_executions, run_v2.ListExecutionsRequest,
                             f"projects/{self.project}/locations/{region}/jobs/{job}",
                             "executions", execution_from_pb)
        return sorted(out, key=lambda e: (e.create_time or datetime.min.replace(tzinfo=UTC),
                                          e.name), reverse=True)

    async def run_job(self, plan: JobRunPlan,
                      on_progress: Callable[[ActionProgress], None] | None = None) -> Execution:
        """RunJob and watch its operation to the execution's end: SENT, RUNNING (the new
        execution's name), then DONE, or FAILED with Google's message (OperationFailed)."""
        report = on_progress or (lambda _p: None)
        full = f"projects/{plan.project}/locations/{plan.region}/jobs/{plan.job}"
        raw = await start_operation(
            lambda: self._jobs.run_job(request=run_v2.RunJobRequest(name=full, etag=plan.etag)),
            target=plan.job, nothing="nothing was run", reload="the jobs", resource=full)
        name = raw.name
        report(ActionProgress(ActionStage.SENT, name))
        execution = run_v2.Execution.pb()()
        raw.metadata.Unpack(execution)
        short = execution.name.rsplit("/", 1)[-1]
        report(ActionProgress(ActionStage.RUNNING, name, short))
        deadline = time.monotonic() + MAX_OPERATION_S
        while not raw.done:
            raw = await wait_operation(self._jobs, name, deadline)
        if raw.HasField("error"):
            report(ActionProgress(ActionStage.FAILED, name, short, raw.error.message))
            raise OperationFailed(
                f"{plan.job}: execution {short} failed: {raw.error.message}",
                f"see its logs: staging-tui logs --job {plan.job} --execution {short}", resource=full,
                operation=name, code=code_pb2.Code.Name(raw.error.code))
        result = run_v2.Execution.pb()()
        raw.response.Unpack(result)
        report(ActionProgress(ActionStage.DONE, name, short))
        return execution_from_pb(result)

    async def close(self) -> None:
        await self._jobs.transport.close()  # type: ignore[no-untyped-call]
