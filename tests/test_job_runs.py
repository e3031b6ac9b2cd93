"""RunJob: the sandbox's long-running operation through the real google-cloud-run client,
the adapter's progress, the pure plan, headless `run-job`, and `x` in the Jobs view."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures_audit import AuditEntries
from fixtures_job_runs import JOB_FAILURE, JOBS_PROJECT
from google.api_core import exceptions as gexc
from google.cloud import run_v2
from google.cloud.run_v2.services.jobs.transports.grpc_asyncio import JobsGrpcAsyncIOTransport
from headless_cli import run_command
from textual.widgets import DataTable, Input, Static
from ui_app import make_app, sandbox_profile
from waiting import until

from staging_tui import errors
from staging_tui.domain import ActionProgress, ActionStage, ExecutionStatus, Job
from staging_tui.errors import StagingError
from staging_tui.gcp.endpoints import Endpoints
from staging_tui.gcp.jobs import JobsAdapter
from staging_tui.render.job_plans import job_audit_fields, job_preview_plain, plan_run_job
from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.action_dialogs import ActionPreview
from staging_tui.ui.screens.jobs import JobsScreen
from staging_tui.ui.widgets.status_line import StatusLine

NIGHTLY = f"projects/{JOBS_PROJECT}/locations/us-central1/jobs/nightly-report"


def adapter(sandbox: RunningSandbox) -> JobsAdapter:
    async def regions() -> tuple[str, ...]:
        return ("us-central1",)

    return JobsAdapter(Endpoints.for_sandbox(sandbox.endpoints), JOBS_PROJECT, regions)


def jobs_client(sandbox: RunningSandbox) -> run_v2.JobsAsyncClient:
    channel = Endpoints.for_sandbox(sandbox.endpoints).grpc_channel()
    return run_v2.JobsAsyncClient(transport=JobsGrpcAsyncIOTransport(channel=channel))


def test_plan_preview_names_the_gcloud_command() -> None:
    job = Job(name="db-migrate", project="p", region="europe-west1", task_count=2,
              latest_execution="db-migrate-ab123", latest_status=ExecutionStatus.FAILED,
              etag='"e1"')
    plan = plan_run_job(job)
    text = job_preview_plain(plan, environment="staging")
    assert text.startswith("Re-run db-migrate: a new execution of 2 tasks")
    assert "latest execution: db-migrate-ab123 (failed)" in text
    assert "gcloud run jobs execute db-migrate --region europe-west1 --project p" in text
    assert plan.etag == '"e1"'
    fields = job_audit_fields(plan)
    assert fields["action"] == "run-job" and fields["job"] == "db-migrate"


async def test_run_job_lro_result_is_the_execution(jobs_sandbox: RunningSandbox) -> None:
    """The library's own AsyncOperation (GetOperation polling) ends with the Execution."""
    client = jobs_client(jobs_sandbox)
    before = await client.get_job(name=NIGHTLY)
    op = await client.run_job(name=NIGHTLY)
    assert isinstance(op.metadata, run_v2.Execution)
    assert op.metadata.running_count == 1
    result = await op.result(timeout=30)
    assert isinstance(result, run_v2.Execution)
    assert result.succeeded_count == 1 and result.completion_time
    completed = next(c for c in result.conditions if c.type_ == "Completed")
    assert completed.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    after = await client.get_job(name=NIGHTLY)
    assert after.execution_count == before.execution_count + 1
    assert after.latest_created_execution.name == result.name
    assert (after.latest_created_execution.completion_status
            == run_v2.ExecutionReference.CompletionStatus.EXECUTION_SUCCEEDED)
    await client.transport.close()  # type: ignore[no-untyped-call]


async def test_run_job_stale_etag_and_unknown_job(jobs_sandbox: RunningSandbox) -> None:
    client = jobs_client(jobs_sandbox)
    with pytest.raises(gexc.Aborted, match="modified concurrently"):
        await client.run_job(request=run_v2.RunJobRequest(name=NIGHTLY, etag='"stale"'))
    with pytest.raises(gexc.NotFound):
        await client.run_job(name=NIGHTLY.replace("nightly-report", "nope"))
    await client.transport.close()  # type: ignore[no-untyped-call]


async def test_adapter_reports_progress_and_googles_reason(jobs_sandbox: RunningSandbox) -> None:
    jobs = adapter(jobs_sandbox)
    listing = await jobs.list_jobs()
    by_name = {j.name: j for j in listing.jobs}
    seen: list[ActionProgress] = []
    done = await jobs.run_job(plan_run_job(by_name["nightly-report"]), seen.append)
    assert [p.stage for p in seen] == [ActionStage.SENT, ActionStage.RUNNING, ActionStage.DONE]
    assert seen[1].revision == done.name and done.status is ExecutionStatus.SUCCEEDED
    assert seen[0].operation.startswith(f"projects/{JOBS_PROJECT}/locations/us-central1/operations/")
    executions = await jobs.list_executions("nightly-report", "us-central1")
    assert executions[0].name == done.name and len(executions) == 2

    seen.clear()
    with pytest.raises(errors.OperationFailed) as info:
        await jobs.run_job(plan_run_job(by_name["db-migrate"]), seen.append)
    assert JOB_FAILURE in info.value.message
    assert seen[-1].stage is ActionStage.FAILED and seen[-1].message == JOB_FAILURE
    failed = (await jobs.list_executions("db-migrate", "us-central1"))[0]
    assert failed.status is ExecutionStatus.FAILED
    await jobs.close()


# ------------------------------------------------------------------------------ headless


async def test_headless_preview_refusal_confirm_and_audit(
        jobs_sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str], trail: AuditEntries) -> None:
    assert await run_command(jobs_sandbox, ["run-job", "nightly-report"]) == 3
    out = capsys.readouterr()
    assert "Re-run nightly-report" in out.out
    assert "gcloud run jobs execute nightly-report --region us-central1" in out.out
    assert "add --yes" in out.err and "--profile sandbox-actions" in out.err
    with pytest.raises(StagingError, match="read-only: nothing was run"):
        await run_command(jobs_sandbox, ["run-job", "nightly-report", "--yes"])
    with pytest.raises(StagingError, match="protected") as info:
        await run_command(jobs_sandbox, ["run-job", "nightly-report", "--yes"],
                          read_only=False, protected=True)
    assert "--confirm nightly-report" in info.value.fix
    with pytest.raises(StagingError, match="not found"):
        await run_command(jobs_sandbox, ["run-job", "nightly", "--yes"], read_only=False)
    assert trail() == []
    assert await run_command(jobs_sandbox, ["run-job", "nightly-report", "--yes", "--confirm",
                                            "nightly-report"],
                             read_only=False, protected=True) == 0
    out = capsys.readouterr()
    assert "done: nightly-report execution nightly-report-" in out.out and "succeeded" in out.out
    assert "operation projects/" in out.err and "running" in out.err
    [entry] = trail()
    assert entry["action"] == "run-job" and entry["job"] == "nightly-report"
    assert entry["outcome"] == "ok" and "/operations/" in entry["operation"]
    assert entry["who"]["account"] == "sandbox" and entry["profile"] == "sandbox"


async def test_headless_failed_execution_exits_1(
        jobs_sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str], trail: AuditEntries) -> None:
    assert await run_command(jobs_sandbox, ["run-job", "db-migrate", "--region", "us-central1",
                                            "--yes"], read_only=False) == 1
    err = capsys.readouterr().err
    assert "failed: " in err and JOB_FAILURE in err
    [entry] = trail()
    assert entry["outcome"].startswith("failed: ")


# ------------------------------------------------------------------------------ console


def status_of(screen: Any) -> str:
    return str(screen.query_one(StatusLine).render())


async def open_jobs(app: Any, pilot: Any) -> Any:
    await pilot.press("J")
    await until(lambda: isinstance(app.screen, JobsScreen)
                and app.screen.query_one("#jobs-table", DataTable).row_count == 2, pilot)
    return app.screen


async def test_console_read_only_refuses_with_the_reason(jobs_sandbox: RunningSandbox,
        trail: AuditEntries) -> None:
    app = make_app(jobs_sandbox)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_jobs(app, pilot)
        await pilot.press("x")
        await until(lambda: "read-only: running a job is off" in status_of(screen), pilot)
        assert "--profile sandbox-actions" in status_of(screen)
        assert not screen.query(ActionPreview)
    assert trail() == []


async def test_console_preview_run_progress_end_audit(jobs_sandbox: RunningSandbox,
        trail: AuditEntries) -> None:
    app = make_app(jobs_sandbox, sandbox_profile(jobs_sandbox, read_only=False))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_jobs(app, pilot)
        jobs = screen.query_one("#jobs-table", DataTable)
        assert [str(k.value) for k in jobs.rows] == ["us-central1/db-migrate",
                                                     "us-central1/nightly-report"]
        await pilot.press("down", "x")
        await until(lambda: screen.query(ActionPreview), pilot)
        text = str(screen.query_one("#preview-text", Static).render())
        assert "Re-run nightly-report" in text
        assert "gcloud run jobs execute nightly-report --region us-central1" in text
        await pilot.press("y")
        await until(lambda: "✓ Re-run nightly-report" in status_of(screen), pilot)
        end = status_of(screen)
        assert "operation started → execution nightly-report-" in end
        assert "running → execution nightly-report-" in end and "succeeded" in end
        executions = screen.query_one("#executions-table", DataTable)
        await until(lambda: executions.row_count == 2, pilot)
        assert "Succeeded" in str(executions.get_row_at(0)[1])
        newest = str(executions.get_row_at(0)[0])
        await until(lambda: str(jobs.get_row("us-central1/nightly-report")[2]) == newest, pilot)
        # db-migrate's next execution fails: Google's reason in the status line.
        jobs.focus()
        await pilot.press("up", "x")
        await until(lambda: screen.query(ActionPreview), pilot)
        await pilot.press("y")
        await until(lambda: JOB_FAILURE[:40] in status_of(screen), pilot)
    first, second = trail()
    assert first["action"] == "run-job" and first["job"] == "nightly-report"
    assert first["outcome"] == "ok" and "/operations/" in first["operation"]
    assert second["job"] == "db-migrate" and second["outcome"].startswith("failed: ")


async def test_console_protected_needs_the_typed_name(jobs_sandbox: RunningSandbox,
        trail: AuditEntries) -> None:
    app = make_app(jobs_sandbox, sandbox_profile(jobs_sandbox, read_only=False, protected=True))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_jobs(app, pilot)
        await pilot.press("down", "x")
        await until(lambda: screen.query("#preview-confirm"), pilot)
        await pilot.press("y", "enter")
        await until(lambda: "is not 'nightly-report'" in str(
            screen.query_one("#preview-error", Static).render()), pilot)
        screen.query_one("#preview-confirm", Input).value = "nightly-report"
        await pilot.press("enter")
        await until(lambda: "✓ Re-run nightly-report" in status_of(screen), pilot)
    [entry] = trail()
    assert entry["outcome"] == "ok"
