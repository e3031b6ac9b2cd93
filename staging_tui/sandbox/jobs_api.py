"""Emulated Cloud Run Admin API v2 `Jobs` and `Executions` (read side), with each
execution's logs written into the emulated Logging (resource.type "cloud_run_job").

Scenario:

    [[jobs]]
    name = "db-migrate"
    region = "us-central1"        # default: the project's first region
    tasks = 1
    max_retries = 0
    env = { DATABASE_URL = { secret = "db-url-staging" } }
    [[jobs.executions]]           # oldest first
    status = "failed"             # succeeded | failed | running | cancelled
    started = "40m"               # ago
    duration = "2m"
    failed_tasks = 1              # default: every task for "failed"
    message = "..."               # the Completed condition's message when failed
    logs = ["Running upgrade a1 -> b2", "ERROR ..."]   # default: a start / end line

RunJob (job_runs.py) reads, per job: `run_time` (default "1s": how long a new execution
runs) and `next_failure` (the next execution fails with this message).

Conditions as Cloud Run reports them on an execution: `Completed` (SUCCEEDED, FAILED
with execution_reason NON_ZERO_EXIT_CODE, or RECONCILING while running), and
`ResourcesAvailable` / `Started` (run_v2/types/execution.py, condition.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import grpc
from google.cloud import run_v2

from staging_tui.sandbox.log_generator import STDERR_LOG, STDOUT_LOG, LogEntryPb
from staging_tui.sandbox.logging_api import SHARED_KEY as LOGS_KEY
from staging_tui.sandbox.rpc import page, service_handler, unary
from staging_tui.sandbox.run_api import COND, PB, condition_pb, env_pb, timestamp_pb
from staging_tui.sandbox.scenario import Scenario, parse_duration
from staging_tui.sandbox.server_context import SandboxContext

JOBS = "google.cloud.run.v2.Jobs"
EXECUTIONS = "google.cloud.run.v2.Executions"
RAW = {name: getattr(run_v2, name).pb() for name in (
    "Job", "Execution", "ExecutionTemplate", "TaskTemplate", "ExecutionReference",
    "ListJobsResponse", "ListExecutionsResponse")}
_REF = run_v2.ExecutionReference.CompletionStatus
_COMPLETION = {"succeeded": _REF.EXECUTION_SUCCEEDED, "failed": _REF.EXECUTION_FAILED,
               "running": _REF.EXECUTION_RUNNING, "cancelled": _REF.EXECUTION_CANCELLED}


def execution_id(job: str, number: int) -> str:
    """Google names executions JOB-xxxxx (five lowercase letters / digits)."""
    digest = hashlib.sha1(f"{job}/{number}".encode()).hexdigest()
    return f"{job}-{''.join(c for c in digest if c.isalpha())[:2]}{digest[:3]}"


class JobsState:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.jobs: dict[str, Any] = {}
        self.executions: dict[str, list[Any]] = {}
        self.log_lines: list[tuple[Any, str, str, str, int, str]] = []
        for spec in scenario.tables.get("jobs", []):
            self._add(spec)

    def _add(self, spec: Mapping[str, Any]) -> None:
        sc = self.scenario
        name = str(spec["name"])
        region = str(spec.get("region", sc.region))
        full = f"projects/{sc.project}/locations/{region}/jobs/{name}"
        tasks = int(spec.get("tasks", 1))
        task = RAW["TaskTemplate"](
            containers=[PB["Container"](
                name=name,
                image=str(spec.get("image", f"{region}-docker.pkg.dev/{sc.project}/jobs/{name}")),
                env=env_pb(spec.get("env", {})),
                resources=PB["ResourceRequirements"](limits={
                    "cpu": str(spec.get("cpu", "1")), "memory": str(spec.get("memory", "512Mi"))}),
            )],
            max_retries=int(spec.get("max_retries", 0)),
            service_account=str(spec.get("service_account",
                                         f"{name}@{sc.project}.iam.gserviceaccount.com")),
        )
        created = sc.ago(spec.get("created", "30d"), key=f"jobs.{name}.created")
        executions = []
        for number, run in enumerate(spec.get("executions", []), 1):
            executions.append(self._execution(full, name, region, number, run, task, tasks))
        self.executions[full] = executions
        latest = executions[-1] if executions else None
        reference = RAW["ExecutionReference"]()
        if latest is not None:
            reference.name = latest.name
            reference.create_time.CopyFrom(latest.create_time)
            if latest.HasField("completion_time"):
                reference.completion_time.CopyFrom(latest.completion_time)
            status = str(spec["executions"][-1].get("status", "succeeded"))
            reference.completion_status = int(_COMPLETION.get(status, _REF.EXECUTION_SUCCEEDED))
        updated = sc.ago(spec.get("updated", "2d"), key=f"jobs.{name}.updated")
        self.jobs[full] = RAW["Job"](
            name=full,
            uid=hashlib.md5(full.encode()).hexdigest(),
            generation=1,
            labels=dict(spec.get("labels", {})),
            create_time=timestamp_pb(created),
            update_time=timestamp_pb(updated),
            creator=str(spec.get("creator", "deployer@example.com")),
            last_modifier=str(spec.get("last_modifier", "deployer@example.com")),
            template=RAW["ExecutionTemplate"](task_count=tasks,
                                              parallelism=int(spec.get("parallelism", 0)),
                                              template=task),
            observed_generation=1,
            terminal_condition=condition_pb("Ready", True, when=updated),
            execution_count=len(executions),
            latest_created_execution=reference,
            etag=f'"{hashlib.sha1(full.encode()).hexdigest()[:16]}"',
        )

    def _execution(self, job_full: str, job: str, region: str, number: int,
                   run: Mapping[str, Any], task: Any, tasks: int) -> Any:
        sc = self.scenario
        ex_name = execution_id(job, number)
        status = str(run.get("status", "succeeded"))
        started: datetime = sc.ago(run.get("started", f"{number}d"),
                                   key=f"jobs.{job}.executions[{number}].started")
        duration = timedelta(seconds=parse_duration(run.get("duration", "1m"),
                                                     where=f"jobs.{job}.duration"))
        done = started + duration
        failed = int(run.get("failed_tasks", tasks if status == "failed" else 0))
        message = str(run.get("message", f"Task {ex_name}-task0 failed with message: The "
                                         "container exited with an exit code of 1."))
        execution = RAW["Execution"](
            name=f"projects/{sc.project}/locations/{region}/jobs/{job}/executions/{ex_name}",
            uid=hashlib.md5(ex_name.encode()).hexdigest(),
            job=job,
            generation=1,
            create_time=timestamp_pb(started - timedelta(seconds=5)),
            start_time=timestamp_pb(started),
            task_count=tasks,
            template=task,
            observed_generation=1,
            running_count=tasks if status == "running" else 0,
            succeeded_count=tasks - failed if status in ("succeeded", "failed") else 0,
            failed_count=failed,
            cancelled_count=tasks if status == "cancelled" else 0,
            retried_count=int(run.get("retried", 0)),
            reconciling=status == "running",
            log_uri=f"https://console.cloud.google.com/logs/viewer?project={sc.project}",
            etag=f'"{hashlib.sha1(ex_name.encode()).hexdigest()[:16]}"',
        )
        if status != "running":
            execution.completion_time.CopyFrom(timestamp_pb(done))
        completed = condition_pb("Completed", {"succeeded": True, "running": None}.get(status, False),
                               message if status == "failed" else "", when=done)
        if status == "failed":
            completed.execution_reason = int(COND.ExecutionReason.NON_ZERO_EXIT_CODE)
        elif status == "cancelled":
            completed.execution_reason = int(COND.ExecutionReason.CANCELLED)
        execution.conditions.extend([
            completed,
            condition_pb("ResourcesAvailable", True, when=started),
            condition_pb("Started", True, when=started),
        ])
        lines = run.get("logs") or [f"Starting {job} ({ex_name})"] + (
            [message] if status == "failed" else [f"{job} finished"])
        for i, line in enumerate(lines):
            severity = "ERROR" if status == "failed" and i == len(lines) - 1 else "INFO"
            when = started + duration * (i + 1) / (len(lines) + 1)
            self.log_lines.append((when, job, region, ex_name, 0, f"{severity}\t{line}"))
        return execution

    def write_logs(self, store: Any) -> None:
        """The executions' log lines as cloud_run_job entries in the Logging store."""
        sc = self.scenario
        for n, (when, job, region, ex_name, task_index, text) in enumerate(self.log_lines):
            severity, _, line = text.partition("\t")
            e = LogEntryPb()
            e.resource.type = "cloud_run_job"
            labels = e.resource.labels
            labels["project_id"], labels["job_name"], labels["location"] = sc.project, job, region
            e.labels["run.googleapis.com/execution_name"] = ex_name
            e.labels["run.googleapis.com/task_index"] = str(task_index)
            e.labels["run.googleapis.com/task_attempt"] = "0"
            e.log_name = (f"projects/{sc.project}/logs/"
                          f"{STDERR_LOG if severity == 'ERROR' else STDOUT_LOG}")
            e.severity = 500 if severity == "ERROR" else 200
            e.text_payload = line
            e.timestamp.CopyFrom(timestamp_pb(when))
            e.receive_timestamp.CopyFrom(timestamp_pb(when))
            e.insert_id = f"job{n:08d}"
            store.write(e)


def install(ctx: SandboxContext) -> None:
    state = JobsState(ctx.scenario)
    logs = ctx.shared.get(LOGS_KEY)
    if logs is not None:
        state.write_logs(logs.store)
    faults = ctx.scenario.faults
    ordered = sorted(state.jobs)

    async def list_jobs(req: Any, context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "ListJobs", req.parent, context)
        if req.parent.endswith("/locations/-"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"Invalid parent '{req.parent}': the location must be a "
                                "Google Cloud region; the '-' wildcard is not supported.")
        prefix = req.parent.rstrip("/") + "/jobs/"
        chunk, token = page([n for n in ordered if n.startswith(prefix)], req.page_size,
                            req.page_token)
        return RAW["ListJobsResponse"](jobs=[state.jobs[n] for n in chunk], next_page_token=token)

    async def get_job(req: Any, context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "GetJob", req.name, context)
        if req.name not in state.jobs:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{req.name}' was not found")
        return state.jobs[req.name]

    async def list_executions(req: Any, context: grpc.aio.ServicerContext) -> Any:
        await faults.apply("run", "ListExecutions", req.parent, context)
        if req.parent.endswith("/jobs/-"):  # execution.proto: "-" lists across jobs
            prefix = req.parent[: -len("-")]
            found = [e for n in ordered if n.startswith(prefix) for e in state.executions[n]]
        elif req.parent in state.executions:
            found = state.executions[req.parent]
        else:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"Resource '{req.parent}' was not found")
            raise AssertionError  # abort raises
        chunk, token = page(sorted(found, key=lambda e: e.name), req.page_size, req.page_token)
        return RAW["ListExecutionsResponse"](executions=chunk, next_page_token=token)

    ctx.shared["jobs_state"] = state
    ctx.add_grpc(service_handler(JOBS, [
        unary(JOBS, "ListJobs", run_v2.ListJobsRequest, run_v2.ListJobsResponse, list_jobs),
        unary(JOBS, "GetJob", run_v2.GetJobRequest, run_v2.Job, get_job),
    ]))
    ctx.add_grpc(service_handler(EXECUTIONS, [
        unary(EXECUTIONS, "ListExecutions", run_v2.ListExecutionsRequest,
              run_v2.ListExecutionsResponse, list_executions),
    ]))
