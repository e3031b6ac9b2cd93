"""`staging-tui secrets list [--json]` and `staging-tui secrets audit [--json]`.

Never prints a value. `secrets` alone lists. `audit` exits 3 when a required or
referenced secret is missing or unusable (an ERROR finding), 1 on warnings only, so CI
can gate a deploy on it (staging_tui/exit_codes.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from staging_tui.audit.checks.registry import exit_code
from staging_tui.audit.secrets_audit import (
    audit_input,
    audit_profile,
    failed,
    needed_secrets,
    own_projects,
    secret_users,
)
from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.commands.output import print_json, print_table, to_jsonable
from staging_tui.domain import Secret, Workload
from staging_tui.exit_codes import OK
from staging_tui.render.secrets import COLUMNS, audit_summary, checklist, secret_row


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("secrets", parents=parents, help="list or audit Secret Manager secrets",
                       description="Secret Manager secrets (values are never printed).")
    cmds = p.add_subparsers(dest="secrets_command", metavar="SUBCOMMAND")
    p.set_defaults(run=run_list, json=False, filter="")  # `secrets` alone lists
    ls = cmds.add_parser("list", parents=parents, help="secrets, versions and who uses them",
                         description="List secrets with their versions and the Cloud Run "
                         "services referencing them.")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.add_argument("--filter", default="", help="Secret Manager filter, e.g. 'name:redis'")
    ls.set_defaults(run=run_list)
    au = cmds.add_parser("audit", parents=parents, help="check required and referenced secrets",
                         description="Check the profile's required secrets and every secret a "
                         "Cloud Run service references. Exit 3 if one is missing or unusable, 1 on "
                         "warnings only.")
    au.add_argument("--json", action="store_true", help="print JSON instead of a checklist")
    au.add_argument("--problems", action="store_true", help="hide the ✓ lines")
    au.set_defaults(run=run_audit)


async def _gather(backend: Backend, filter: str = "") -> tuple[list[Secret], list[Workload]]:
    """The secrets, and the services and jobs that may use them."""
    secrets_api = await backend.secrets()
    secrets, workloads = await asyncio.gather(secrets_api.list_secrets(filter),
                                              backend.workloads())
    return secrets, workloads


async def run_list(args: argparse.Namespace, backend: Backend) -> int:
    secrets, services = await _gather(backend, args.filter)
    users = secret_users(services, own_projects(backend.settings.project, secrets))
    if args.json:
        print_json([{**to_jsonable(s), "used_by": users.get(s.name, [])} for s in secrets])
    else:
        print_table(COLUMNS, [secret_row(s, users.get(s.name, ())) for s in secrets])
    return OK


async def run_audit(args: argparse.Namespace, backend: Backend) -> int:
    """The audit reads versions only of the secrets it checks (one read call each), not
    of every secret of the project: Secret Manager allows 600 reads a minute, shared."""
    s = backend.settings
    secrets_api = await backend.secrets()
    services = await backend.services()
    names = await secrets_api.list_secrets(with_versions=False)  # one call
    data = audit_input(s.project, s.secret_suffix, s.required_secrets, services,
                       [i.password_secret for i in s.sql_instances if i.password_secret], names)
    needed = set(needed_secrets(data))
    filled = iter(await secrets_api.fill_versions([x for x in names if x.name in needed]))
    secrets = [next(filled) if x.name in needed else x for x in names]
    findings = audit_profile(backend.settings, services, secrets)
    bad = failed(findings)
    code = exit_code(findings)  # 3 a secret missing or unusable, 1 warnings only
    if args.problems:
        findings = [f for f in findings if f.level.value != "ok"]
    if args.json:
        print_json({"failed": bad, "findings": findings})
    else:
        out = sys.stdout
        for line in checklist(findings):
            out.write(line + "\n")
        out.write(f"\n{audit_summary(findings)}\n")
    return code
