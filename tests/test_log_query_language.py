"""The Logging query language, table-driven: each query and the entries it matches over
a fixed set (tests/log_query_entries.py), after Google's reference
(https://cloud.google.com/logging/docs/view/logging-query-language)."""

from __future__ import annotations

import pytest
from log_query_entries import entries

from staging_tui.sandbox.log_filter import FilterError, compile_filter
from staging_tui.sandbox.log_query_syntax import MAX_LENGTH

ENTRIES = entries()
ALL = set(ENTRIES)
RUN = ALL - {"diag"}
HTTP = {"req1", "req2"}

CASES: list[tuple[str, set[str]]] = [
    # --- the queries ---
    ("Traceback", {"err1"}),
    ("us-central1", {"req1", "out1", "err1", "json1", "json2", "job1", "audit1"}),
    ('log_id("run.googleapis.com/stderr")', {"err1"}),
    ('SEARCH("Traceback")', {"err1"}),
    ("sample(insertId, 0)", set()),
    ("sample(insertId, 1)", ALL),
    ("jsonPayload.latency_ms>500", {"json1"}),
    ("jsonPayload.latency_ms<=120.5", {"json2"}),
    ("jsonPayload:*", {"json1", "json2", "diag"}),
    ('resource.type=("cloud_run_revision" OR "cloud_run_job")', RUN),
    ("severity=(ERROR OR WARNING)", {"req2", "err1", "json1"}),
    ('labels."run.googleapis.com/execution_name"="migrate-abc"', {"job1"}),
    ('labels."run.googleapis.com/execution_name"="x"', set()),
    ("httpRequest:*", HTTP),
    ('httpRequest.latency>="1s"', {"req2"}),
    ('httpRequest.latency<"0.2s"', {"req1"}),
    ("httpRequest.responseSize>100", {"req1"}),
    ("httpRequest.responseSize:*", {"req1"}),
    ('httpRequest.protocol="HTTP/2"', {"req2"}),
    ("httpRequest.protocol:HTTP", HTTP),
    ('spanId="000000000000004a"', {"req1"}),
    ("spanId:*", {"req1"}),
    ('trace="projects/p/traces/abc123"', {"req1"}),
    ("trace:def456", {"req2"}),
    ("trace:*", HTTP),
    ('protoPayload.methodName="google.cloud.run.v2.Services.UpdateService"', {"audit1"}),
    ('protoPayload.authenticationInfo.principalEmail:"dev@"', {"audit1"}),
    ("protoPayload:*", {"audit1"}),
    ('protoPayload.serviceName="run.googleapis.com"', {"audit1"}),
    # --- comparisons on text ---
    ('resource.type="cloud_run_job"', {"job1"}),
    ('resource.type="CLOUD_RUN_JOB"', {"job1"}),
    ('resource.type!="cloud_run_revision"', {"job1", "diag"}),
    ('resource.labels.job_name="migrate"', {"job1"}),
    ('resource.labels.service_name="backend"', {"req1", "out1", "err1", "audit1"}),
    ("resource.labels.service_name:back", {"req1", "out1", "err1", "audit1"}),
    ('resource.labels.location="europe-west1"', {"req2"}),
    ('logName="projects/p/logs/run.googleapis.com%2Frequests"', HTTP),
    ("logName:requests", HTTP),
    ('logName:"cloudaudit.googleapis.com"', {"audit1"}),
    ("textPayload:uvicorn", {"out1"}),
    ('textPayload:"Errno 111"', {"err1"}),
    ('textPayload="plain default line"', {"plain"}),
    ('textPayload="plain"', set()),
    ("textPayload:*", {"out1", "err1", "job1", "plain"}),
    ('textPayload=~"^Migration \\d+"', {"job1"}),
    ('textPayload!~"^Migration"', {"out1", "err1", "plain"}),
    ('textPayload=~"refused$"', {"err1"}),
    ('textPayload=~"(?i)UVICORN"', {"out1"}),
    ('textPayload=~"UVICORN"', set()),
    ('labels.instanceId="00c61b117c0001"', {"req1"}),
    ("labels.instanceId:00c61b117c", HTTP),
    ("labels:*", {"req1", "req2", "job1"}),
    ('insertId="json1"', {"json1"}),
    ("insertId>json", {"json1", "json2", "out1", "plain", "req1", "req2"}),
    # --- severity ---
    ("severity>=ERROR", {"req2", "err1"}),
    ("severity>=error", {"req2", "err1"}),
    ('severity="ERROR"', {"req2", "err1"}),
    ("severity=DEFAULT", {"diag", "plain"}),
    ("severity<INFO", {"diag", "plain", "json2"}),
    ("severity>=400", {"req2", "err1", "json1"}),
    ("severity!=INFO", ALL - {"req1", "out1", "job1"}),
    ("severity=NOTICE", {"audit1"}),
    ("severity>WARNING", {"req2", "err1"}),
    ("severity<=DEBUG", {"diag", "plain", "json2"}),
    ('severity=~"ERR"', {"req2", "err1"}),
    # --- numbers, booleans, lists, nested, null in jsonPayload ---
    ("jsonPayload.latency_ms=750", {"json1"}),
    ("jsonPayload.latency_ms>=100 jsonPayload.latency_ms<200", {"json2"}),
    ("jsonPayload.latency_ms>99", {"json1", "json2"}),
    ("jsonPayload.latency_ms:75", {"json1"}),
    ("jsonPayload.ok=true", {"json1"}),
    ("jsonPayload.ok=false", {"json2"}),
    ("jsonPayload.tags=blue", {"json1"}),
    ("jsonPayload.tags:blu", {"json1"}),
    ("jsonPayload.tags:*", {"json1", "json2"}),
    ('jsonPayload.ctx.user="user-3"', {"json1"}),
    ("jsonPayload.ctx.attempt>1", {"json1"}),
    ("jsonPayload.ctx:user-3", {"json1"}),
    ("jsonPayload.items:2", {"json2"}),
    ("jsonPayload.nothing:*", set()),
    ('jsonPayload.code="500"', {"json1"}),
    ("jsonPayload.code>400", {"json1"}),
    ("jsonPayload.message:job", {"json1"}),
    ('jsonPayload.message=~"^cache"', {"json2"}),
    ('jsonPayload."logging.googleapis.com/diagnostic".runtime="python"', {"diag"}),
    ('jsonPayload:"python"', {"diag"}),
    ("jsonPayload.missing=1", set()),
    ("NOT jsonPayload.missing=1", ALL),
    # --- global restrictions ---
    ("blue", {"json1"}),
    ('"Connection refused"', {"err1"}),
    ("dev@example.com", {"audit1"}),
    ("europe-west1", {"req2"}),
    ("migrate-abc", {"job1"}),
    ("curl", {"req1"}),
    ("python", {"diag"}),
    ("GoogleHC", {"req2"}),
    ("503", {"req2"}),
    ("NOTICE", {"audit1"}),
    ("cloud_run_job", {"job1"}),
    ("nothing-matches-this", set()),
    ("uvicorn 8080", {"out1"}),
    ("uvicorn 9090", set()),
    # --- booleans and precedence ---
    ("severity>=ERROR AND textPayload:*", {"err1"}),
    ("severity>=ERROR textPayload:*", {"err1"}),
    ("severity=ERROR OR severity=INFO AND textPayload:*", {"out1", "err1", "job1"}),
    # Google's example: a OR NOT b AND NOT c OR d = (a OR (NOT b)) AND ((NOT c) OR d)
    ("severity=ERROR OR NOT textPayload:* AND NOT httpRequest:* OR severity=WARNING",
     {"err1", "json1", "json2", "audit1", "diag"}),
    ("NOT severity>=INFO", {"diag", "plain", "json2"}),
    ("-severity>=INFO", {"diag", "plain", "json2"}),
    ("NOT NOT severity>=ERROR", {"req2", "err1"}),
    ("(severity=ERROR OR severity=WARNING) resource.labels.service_name=worker", {"json1"}),
    ('resource.type="cloud_run_job" OR httpRequest.status>=500', {"job1", "req2"}),
    ("httpRequest.status>=500", {"req2"}),
    ("httpRequest.status=200", {"req1"}),
    ("httpRequest.status=(200 OR 503)", HTTP),
    ('httpRequest.requestMethod="POST"', {"req2"}),
    ("httpRequest.requestUrl:/api/v1", {"req1"}),
    ("httpRequest.userAgent:curl", {"req1"}),
    ('httpRequest.remoteIp="10.1.2.3"', {"req2"}),
    ('ip_in_net(httpRequest.remoteIp, "10.0.0.0/8")', {"req2"}),
    ('ip_in_net(httpRequest.remoteIp, "203.0.113.0/24")', {"req1"}),
    ("traceSampled=true", {"req1"}),
    ('SEARCH(textPayload, "connection refused")', {"err1"}),
    ('SEARCH(textPayload, "connection")', {"err1"}),
    ('SEARCH("conn")', set()),
    ('SEARCH(textPayload, "`Errno 111`")', {"err1"}),
    ('log_id("run.googleapis.com/requests") httpRequest.status<300', {"req1"}),
    ('log_id("cloudaudit.googleapis.com/activity")', {"audit1"}),
    ('log_id("diagnostic-log")', {"diag"}),
    ('timestamp>="2026-11-30T00:50:00Z"', ALL),
    ('timestamp>="2026-11-30T01:00:00Z"', {"job1", "audit1", "diag", "plain"}),
    ("timestamp<2026-11-30T00:56:00Z", {"req1", "req2"}),
    (f'timestamp>="{"2026-11-30T"}{"01:00:00Z"}" timestamp<"2026-11-30T00:00:00Z"', set()),
    ("sourceLocation.line=12", {"plain"}),
    ('sourceLocation.file="app.py"', {"plain"}),
    ("resource.labels.service_name:(auth OR worker)", {"req2", "json1", "json2"}),
    ("severity=(ERROR WARNING)", set()),
    ("textPayload:(connection refused)", {"err1"}),
    ('resource.labels.location=("us-central1" OR "asia-east1") severity>=ERROR', {"err1"}),
    ("-resource.type=cloud_run_revision -resource.type=global", {"job1"}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q for q, _ in CASES])
def test_query_matches(query: str, expected: set[str]) -> None:
    flt = compile_filter(query)
    got = {name for name, entry in ENTRIES.items() if flt(entry)}
    assert got == expected


def test_there_are_at_least_a_hundred_queries() -> None:
    assert len({q for q, _ in CASES}) >= 100


def test_sample_is_a_stable_share() -> None:
    flt = compile_filter("sample(insertId, 0.5)")
    first = {n for n, e in ENTRIES.items() if flt(e)}
    assert first == {n for n, e in ENTRIES.items() if compile_filter("sample(insertId, 0.5)")(e)}
    assert 0 < len(first) < len(ENTRIES)


@pytest.mark.parametrize(("text", "says"), [
    ('textPayload=~"(a)\\1"', "RE2"),
    ('textPayload=~"(?<=a)b"', "RE2"),
    ("colour=red", "unknown field 'colour'"),
    ("httpRequest.nope=1", "unknown field 'httpRequest.nope'"),
    ("httpRequest.status=abc", "is a number"),
    ('httpRequest.latency>"fast"', "not a duration"),
    ("severity=LOUD", "unknown severity"),
    ("httpRequest=1", "holds fields"),
    ("sample(insertId, 2)", "between 0 and 1"),
    ('nosuch("x")', "unknown function"),
    ('ip_in_net(httpRequest.remoteIp, "nope")', "not a network"),
    ("severity=(ERROR OR WARNING AND INFO)", "mixes OR and AND"),
    ("traceSampled=maybe", "true or false"),
    ("labels.a.b=1", "unknown field 'labels.a.b'"),
])
def test_refused_like_google(text: str, says: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text)
    assert says in str(info.value)


def test_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    deep = "(" * 5000 + "severity>=ERROR" + ")" * 5000
    with pytest.raises(FilterError) as info:
        compile_filter(deep)
    assert "nested more than" in str(info.value)
    with pytest.raises(FilterError):
        compile_filter("NOT " * 3000 + "x")


def test_filter_length_limit_is_googles() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("x " * (MAX_LENGTH // 2 + 1))
    assert "20,000" in str(info.value)
    compile_filter(" OR ".join(["severity=ERROR"] * 1000))  # 17,996 characters: fine


def test_build_filter_for_a_job_and_for_a_service() -> None:
    from staging_tui.domain import Severity
    from staging_tui.gcp.log_query import build_filter

    assert build_filter(job="db-migrate", execution="db-migrate-x1", region="us-east1",
                        severity=Severity.ERROR, extra="timeout", revision="ignored") == (
        'resource.type="cloud_run_job" AND resource.labels.job_name="db-migrate" AND '
        'resource.labels.location="us-east1" AND '
        'labels."run.googleapis.com/execution_name"="db-migrate-x1" AND severity>=ERROR AND (timeout)')
    assert build_filter(service="api", revision="api-00002", region="us-east1",
                        execution="ignored") == (
        'resource.type="cloud_run_revision" AND resource.labels.service_name="api" AND '
        'resource.labels.location="us-east1" AND resource.labels.revision_name="api-00002"')
