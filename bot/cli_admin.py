"""`rehabbot admin add|list|remove|passwd`: the accounts of the web dashboard.

The password is asked twice at a terminal (never echoed); when standard input is not a
terminal, one line is read from it, so scripts and containers can create accounts
(`printf '%s\\n' "$PASSWORD" | rehabbot admin add anna`). It is kept only as an argon2 hash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Sequence

from bot.cli_store import Handler, _open

ROLES = ("editor", "viewer")  # bot.store.admin.ROLES; not imported here: `rehabbot ask` must not load the store


def _password() -> str:
    from bot.store.admin import AccountError
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise AccountError("inget lösenord på standard in (en rad väntades)")
        return line.rstrip("\r\n")
    first = getpass.getpass("Lösenord (minst 12 tecken): ")
    if getpass.getpass("Samma lösenord igen: ") != first:
        raise AccountError("lösenorden var inte lika; inget har ändrats")
    return first


def cmd_admin(args: argparse.Namespace) -> int:
    from bot.store.admin import AccountError
    try:
        with _open(args) as store:
            accounts = store.admin
            if args.admin_action == "add":
                accounts.add(args.name, _password(), args.role)
                print(f"kontot {args.name.strip()} ({args.role}) är skapat")
            elif args.admin_action == "passwd":
                accounts.passwd(args.name, _password())
                print(f"lösenordet för {args.name} är bytt")
            elif args.admin_action == "remove":
                accounts.remove(args.name)
                print(f"kontot {args.name} är borttaget")
            else:
                for account in accounts.accounts():
                    created = dt.datetime.fromtimestamp(account.created).strftime("%Y-%m-%d")
                    locked = " (låst)" if account.locked_until > dt.datetime.now().timestamp() else ""
                    print(f"{account.name}\t{account.role}\tskapat {created}{locked}")
    except AccountError as exc:
        print(f"rehabbot admin: {exc}", file=sys.stderr)
        return 1
    return 0


def add_commands(subparsers: argparse._SubParsersAction,
                 parents: Sequence[argparse.ArgumentParser] = ()) -> dict[str, Handler]:
    admin = subparsers.add_parser("admin", parents=list(parents), help="konton för webbens administration")
    sub = admin.add_subparsers(dest="admin_action", required=True, metavar="ACTION")
    add = sub.add_parser("add", parents=list(parents), help="skapa ett konto (lösenordet frågas efter)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=ROLES, default="editor", help="editor (får publicera) eller viewer")
    sub.add_parser("list", parents=list(parents), help="lista kontona")
    remove = sub.add_parser("remove", parents=list(parents), help="ta bort ett konto")
    remove.add_argument("name", metavar="NAME")
    passwd = sub.add_parser("passwd", parents=list(parents), help="byt lösenord för ett konto")
    passwd.add_argument("name", metavar="NAME")
    return {"admin": cmd_admin}
