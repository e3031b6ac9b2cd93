"""Emulated Cloud Run `Jobs/RunJob`: a long-running operation (metadata and response: the
new Execution, run_v2 jobs.proto `RunJob` -> `google.longrunning.Operation`
{response_type: "Execution", metadata_type: "Execution"}), polled with the
`google.longrunning.Operations` service of run_operations.py.

- The execution exists at once (Completed RECONCILING, running_count = tasks); the job's
  `execution_count` and `latest_created_execution` (EXECUTION_RUNNING) move with it.
- After the job's `run_time` (default "1s") it succeeds, or fails with the job's
  `next_failure` message (Completed FAILED, execution_reason NON_ZERO_EXIT_CODE); a failed
  execution ends the operation with an error carrying that message.
- An `etag` sent that is not the job's current one is refused with ABORTED (AIP-154);
  an unknown job is NOT_FOUND.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import grpc
from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.rpc import code_pb2, status_pb2

from staging_tui.sandbox.jobs_api import _COMPLETION, JOBS, RAW, JobsState, execution_id
from staging_tui.sandbox.rpc import service_handler, unary
from staging_tui.sandbox.run_api import COND, condition_pb, timestamp_pb
from staging_tui.sandbox.run_operations import Operations
from staging_tui.sandbox.scenario import parse_duration
from staging_tui.sandbox.server_context import SandboxContext


class JobRunner:
    def __init__(self, state: JobsState, operations: Operations) -> None:
        self.state = state
        self.operations = operations
        self.run_time: dict[str, float] = {}
        self.next_failure: dict[str, str] = {}
        for spec in state.scenario.tables.get("jobs", []):
            name = str(spec["name"])
            self.run_time[name] = parse_duration(spec.get("run_time", "1s"),
                                                 where=f"jobs.{name}.run_time")
            if spec.get("next_failure"):
                self.next_failure[name] = str(spec["next_failure"])

    async def run(self, req: Any, context: grpc.aio.ServicerContext) -> Any:
        job = self.state.jobs.get(req.name)
        if job is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{req.name}' was not found")
            raise AssertionError  # abort raises
        if req.etag and req.etag != job.etag:
            await context.abort(
                grpc.StatusCode.ABORTED,
                f"The job '{req.name.rsplit('/', 1)[-1]}' was modified concurrently "
                f"(etag {req.etag} is not the current one): read it again and retry.")
        short = req.name.rsplit("/", 1)[-1]
        region = req.name.split("/")[3]
        executions = self.state.executions.setdefault(req.name, [])
        number = len(executions) + 1
        ex_name = execution_id(short, number)
        now = datetime.now(UTC)
        tasks = job.template.task_count or 1
        execution = RAW["Execution"](
            name=f"{req.name}/executions/{ex_name}",
            uid=hashlib.md5(f"{req.name}/{number}".encode()).hexdigest(),
            job=short, generation=1, create_time=timestamp_pb(now), start_time=timestamp_pb(now),
            task_count=tasks, template=job.template.template, observed_generation=1,
            running_count=tasks, reconciling=True,
            log_uri=f"https://console.cloud.google.com/logs/viewer?project={self.state.scenario.project}",
            etag=f'"{hashlib.sha1(ex_name.encode()).hexdigest()[:16]}"',
        )
        execution.conditions.extend([condition_pb("Completed", None, when=now),
                                     condition_pb("ResourcesAvailable", True, when=now),
                                     condition_pb("Started", True, when=now)])
        executions.append(execution)
        job.execution_count = len(executions)
        ref = job.latest_created_execution
        ref.Clear()
        ref.name = execution.name
        ref.create_time.CopyFrom(execution.create_time)
        ref.completion_status = int(_COMPLETION["running"])
        op = self.operations.start(f"projects/{self.state.scenario.project}/locations/{region}",
                                   execution)
        task = asyncio.get_running_loop().create_task(self._finish(op.name, job, execution))
        self.operations.tasks.add(task)
        task.add_done_callback(self.operations.tasks.discard)
        return op

    async def _finish(self, op: str, job: Any, execution: Any) -> None:
        short = execution.job
        await asyncio.sleep(self.run_time.get(short, 1.0))
        failure = self.next_failure.pop(short, "")
        done = datetime.now(UTC)
        tasks = execution.task_count
        execution.running_count = 0
        execution.reconciling = False
        execution.completion_time.CopyFrom(timestamp_pb(done))
        completed = condition_pb("Completed", not failure, failure, when=done)
        if failure:
            completed.execution_reason = int(COND.ExecutionReason.NON_ZERO_EXIT_CODE)
            execution.failed_count = tasks
        else:
            execution.succeeded_count = tasks
        execution.conditions[0].CopyFrom(completed)
        ref = job.latest_created_execution
        if ref.name == execution.name:
            ref.completion_time.CopyFrom(execution.completion_time)
            ref.completion_status = int(_COMPLETION["failed" if failure else "succeeded"])
        error = status_pb2.Status(code=code_pb2.FAILED_PRECONDITION,
                                  message=failure) if failure else None
        self.operations.finish(op, execution, error)


def install(ctx: SandboxContext) -> None:
    state: JobsState = ctx.shared["jobs_state"]
    runner = JobRunner(state, ctx.shared["run_operations"])
    faults = ctx.scenario.faults

    async def run_job(req: Any, context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "RunJob", req.name, context)
        return await runner.run(req, context)

    ctx.add_grpc(service_handler(JOBS, [
        unary(JOBS, "RunJob", run_v2.RunJobRequest, operations_pb2.Operation, run_job),
    ]))
