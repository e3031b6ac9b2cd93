"""Pure pieces of the Secrets pane: payload previews, filters, the audit trail file."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from staging_tui.audit_trail import AuditTrail, default_trail_path
from staging_tui.domain import Secret, SecretPayload
from staging_tui.render.secrets import filter_secrets, is_text, masked, payload_text


def test_text_payload_is_shown_as_is() -> None:
    assert payload_text(SecretPayload("s", "1", b"line one\nline two")) == "line one\nline two"


def test_binary_payload_is_size_hex_and_base64() -> None:
    data = bytes(range(40))
    text = payload_text(SecretPayload("s", "1", data))
    lines = text.splitlines()
    assert lines[0] == "binary, 40 bytes"
    assert lines[1].startswith("hex:    00 01 02 03") and lines[1].endswith("1f …")
    assert lines[2] == "base64: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw=="
    assert not is_text(b"\xff\xfe") and not is_text(b"a\x00b") and is_text("é\t".encode())


def test_payload_repr_and_str_hide_the_data() -> None:
    payload = SecretPayload("s", "2", b"hunter2")
    assert "hunter2" not in repr(payload) and "hunter2" not in str(payload)
    assert masked(7).startswith("••••") and "7 bytes" in masked(7)


def test_filter_matches_name_labels_and_users() -> None:
    secrets = [Secret("a-staging", "p", labels={"team": "core"}), Secret("b-staging", "p")]
    assert [s.name for s in filter_secrets(secrets, "CORE")] == ["a-staging"]
    assert [s.name for s in filter_secrets(secrets, "api", {"b-staging": ["api"]})] == [
        "b-staging"]
    assert len(filter_secrets(secrets, "  ")) == 2


def test_audit_trail_appends_json_lines_private_to_the_user(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_trail_path() == tmp_path / "staging-tui" / "audit.jsonl"
    when = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    trail = AuditTrail(clock=lambda: when)
    trail.record("reveal", "db-password-staging", "3", profile="staging", project="p",
                 environment="staging")
    trail.record("copy", "db-password-staging", "3", outcome="FAILED_PRECONDITION")
    lines = trail.path.read_text().splitlines()
    assert json.loads(lines[0]) == {
        "time": "2026-11-23T09:00:00+00:00", "action": "reveal",
        "secret": "db-password-staging", "version": "3", "profile": "staging",
        "project": "p", "environment": "staging", "outcome": "ok"}
    assert [e["action"] for e in trail.entries()] == ["reveal", "copy"]
    assert stat.S_IMODE(trail.path.stat().st_mode) == 0o600
    with pytest.raises(ValueError):
        trail.record("peek", "x")


def test_audit_trail_write_failure_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    trail = AuditTrail(blocker / "audit.jsonl")
    trail.record("reveal", "s", "1")
    assert trail.last_error.startswith(f"audit trail {blocker / 'audit.jsonl'}")
