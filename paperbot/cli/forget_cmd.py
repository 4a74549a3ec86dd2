"""`paperbot forget USER_ID`: delete everything stored about one Discord user (what /forget-me does)."""

from __future__ import annotations

import argparse

from core.errors import InputError
from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_id", metavar="USER_ID", help="the Discord user id (Developer Mode -> Copy User ID)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.user_id.isdigit():
        raise InputError(f"USER_ID must be a Discord user id (digits), not {args.user_id!r}")
    if not settings.state_db.exists():
        print(f"nothing stored: there is no state database at {settings.state_db}")
        return 0
    from storage import open_database
    from storage.privacy import forget_user

    db = open_database(settings.state_db)
    try:
        counts = forget_user(db, int(args.user_id))
    finally:
        db.close()
    deleted = ", ".join(f"{n} {table}" for table, n in counts.items() if n) or "nothing was stored"
    print(f"forgot user {args.user_id}: {deleted}")
    return 0
