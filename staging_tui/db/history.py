"""Per-profile query history, persisted as JSON lines in the XDG state directory.

Statements that carry a password (`ALTER ROLE x PASSWORD '...'`, `CREATE USER x
WITH ENCRYPTED PASSWORD '...'`, a `password=` inside a connection string) are stored
redacted: the history file never holds a password.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from staging_tui.db.sql_lexer import Kind, Token, tokenize

REDACTED = "'********'"
MAX_STATEMENT = 100_000      # longer statements are not kept in the history
# password= in a conninfo inside a literal: ''quoted'' (quotes doubled by SQL, \\ escapes),
# 'quoted' (inside a dollar-quoted literal) or bare up to the next space
_CONNINFO_PASSWORD = re.compile(
    r"(password\s*=\s*)(''(?:\\(?:''|.)|[^'\\])*''|'(?:\\.|[^'\\])*'|[^\s']+)",
    re.IGNORECASE)
# user:password@host in a URL: the password runs to the LAST @ before the host
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^\s']*)(@[^@\s']*)")


def redact(sql: str) -> str:
    """`sql` with every password literal replaced: a string after PASSWORD, a string
    aliased `AS password`, and passwords inside connection strings."""
    tokens = tokenize(sql, strict=False)
    significant = [i for i, t in enumerate(tokens) if t.kind not in (Kind.SPACE, Kind.COMMENT)]
    masked: set[int] = set()
    for n, i in enumerate(significant):
        if tokens[i].kind is not Kind.STRING:
            continue
        before = _word(tokens, significant, n - 1)
        after = [_word(tokens, significant, n + k) for k in (1, 2)]
        if before == "password" or after[0] == "password" or after == ["as", "password"]:
            masked.add(i)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if i in masked:
            out.append(REDACTED)
        elif tok.kind is Kind.STRING:
            text = _CONNINFO_PASSWORD.sub(r"\1********", tok.text)
            out.append(_URL_PASSWORD.sub(r"\1********\3", text))
        else:
            out.append(tok.text)
    return "".join(out)


def _word(tokens: list[Token], significant: list[int], n: int) -> str:
    if n < 0 or n >= len(significant):
        return ""
    tok = tokens[significant[n]]
    return tok.norm if tok.kind is Kind.WORD else ""


def history_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "staging-tui" / "history"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    sql: str
    at: str


class History:
    """Newest last. `add` appends (redacted) to memory and to the profile's file."""

    def __init__(self, profile: str, directory: Path | None = None, limit: int = 2000) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile) or "default"
        self.path = (directory or history_dir()) / f"{safe}.jsonl"
        self.limit = limit
        self.entries: list[HistoryEntry] = self._load()

    def _load(self) -> list[HistoryEntry]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines[-self.limit:]:
            try:
                raw = json.loads(line)
                out.append(HistoryEntry(str(raw["sql"]), str(raw.get("at", ""))))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def add(self, sql: str) -> HistoryEntry | None:
        if len(sql) > MAX_STATEMENT:
            return None             # redacting 10 MB would take seconds; nobody recalls it
        text = redact(sql.strip())
        if not text or (self.entries and self.entries[-1].sql == text):
            return None
        entry = HistoryEntry(text, datetime.now(UTC).isoformat(timespec="seconds"))
        self.entries.append(entry)
        del self.entries[:-self.limit]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            os.chmod(self.path, 0o600)
            fh.write(json.dumps({"sql": entry.sql, "at": entry.at}) + "\n")
        return entry

    def search(self, text: str) -> list[HistoryEntry]:
        """Entries containing `text` (case-insensitive), newest first."""
        low = text.lower()
        return [e for e in reversed(self.entries) if low in e.sql.lower()]
