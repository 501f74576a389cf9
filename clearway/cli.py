"""The ``clearway`` command: demo, serve, notify-server, createuser, stats, backup, restore,
validate, inbox, and Django's own commands."""

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clearway.services.models import Service

BASE_DIR = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    """Read the local ``.env`` (written by ``make install``; absent in production), then Django."""
    from dotenv import load_dotenv

    load_dotenv(BASE_DIR / ".env", override=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearway.config.settings")
    import django

    django.setup()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def cmd_demo(args: argparse.Namespace) -> int:
    from clearway.demo.service import DemoAlreadyLoaded, load_demo
    from clearway.demo.staff import sign_in_help

    _migrate()
    try:
        print(load_demo(seed=args.seed, today=args.today, reset=args.reset))
    except DemoAlreadyLoaded as error:
        print(error)
    except ValueError as error:
        print(f"clearway demo: {error}", file=sys.stderr)
        return 2
    if args.validate:
        from clearway.demo.validation import DemoNotLoaded, play_validation

        try:
            print(play_validation(args.today))
        except DemoNotLoaded as error:
            print(f"clearway demo: {error}", file=sys.stderr)
            return 2
    print(sign_in_help())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from waitress import serve

    from clearway.config.wsgi import application

    if not settings.LOCAL:
        call_command("collectstatic", interactive=False, verbosity=0)
    helpers = None
    if settings.ENVIRONMENT == "local":
        # Locally: the background worker, and the Notify stand-in (docs/messages.md).
        # Production runs `clearway manage db_worker` as a service of its own.
        from clearway.contact.tasks import start_local_helpers

        helpers = start_local_helpers(lambda line: print(line, flush=True))
    # The shared inbox's background fetches, if a mailbox is enabled (docs/inbox.md).
    from clearway.inbox.tasks import start_fetching

    if fetching := start_fetching():
        print(fetching, flush=True)
    print(f"Clearway is serving at http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    try:
        serve(application, host=args.host, port=args.port, threads=args.threads, ident="Clearway")
    except KeyboardInterrupt:
        pass
    finally:
        if helpers is not None:
            helpers.stop()
    return 0


def cmd_notify_server(args: argparse.Namespace) -> int:
    import threading

    from clearway.contact.notify_server import start_notify_server

    try:
        server, url = start_notify_server(
            args.host, args.port, sending_after=args.sending_after, final_after=args.final_after
        )
    except OSError as error:
        print(f"clearway notify-server: cannot listen on {args.host}:{args.port}: {error}")
        return 2
    print(f"A local GOV.UK Notify stand-in is answering at {url} (Ctrl+C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from clearway.accounts.services import create_user

    password = args.password or os.environ.get("CLEARWAY_PASSWORD")
    if not password:
        password = getpass.getpass(f"Password for {args.username}: ")
    try:
        services = [_service_for(slug) for slug in args.service or [None]]
        user = create_user(
            args.username,
            password,
            args.role,
            first_name=args.first_name,
            last_name=args.last_name,
            email=args.email,
        )
    except (ValueError, ValidationError, LookupError) as error:
        print(f"clearway createuser: {error}", file=sys.stderr)
        return 2
    user.services.set(services)
    names = ", ".join(str(s) for s in services)
    print(f"Created {user.username} ({user.get_role_display()}, {names}).")
    return 0


def _service_for(slug: str | None) -> "Service":
    """The service named by ``slug``; without one, the only service, else SCD's."""
    from clearway.services.models import DEFAULT_SERVICE_SLUG, Service

    services = {service.slug: service for service in Service.objects.all()}
    if slug is None:
        if len(services) == 1:
            return next(iter(services.values()))
        slug = DEFAULT_SERVICE_SLUG
    if slug not in services:
        known = ", ".join(sorted(services)) or "none"
        raise LookupError(f"there is no service {slug!r}: choose --service from {known}")
    return services[slug]


def cmd_stats(args: argparse.Namespace) -> int:
    from clearway.pathways.history import list_figures

    try:
        service = _service_for(args.service)
    except LookupError as error:
        print(f"clearway stats: {error}", file=sys.stderr)
        return 2
    figures = list_figures(service, args.as_of, as_recorded=args.as_recorded).as_dict()
    if args.json:
        print(json.dumps(figures))
        return 0
    view = "as recorded then" if args.as_recorded else "as now known"
    print(f"The list of {service} on {figures['as_of']} ({view})")
    for key, value in figures.items():
        if key not in {"as_of", "as_recorded"}:
            print(f"  {key.replace('_', ' '):<20} {'—' if value is None else value}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from clearway.core.backup import BackupError, backup

    try:
        print(backup(args.out))
    except BackupError as error:
        print(f"clearway backup: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from clearway.core.backup import BackupError, check_backup, confirmation, restore

    try:
        info = check_backup(args.path)
        if not args.yes:
            if not sys.stdin.isatty():
                raise BackupError("not at a terminal to confirm: add --yes to restore.")
            answer = input(confirmation(info))
            if answer.strip().lower() != "yes":
                print("Nothing was restored.")
                return 1
        print(restore(args.path))
    except BackupError as error:
        print(f"clearway restore: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_inbox_fetch(args: argparse.Namespace) -> int:
    from clearway.inbox.fetch import InboxError, fetch_mailbox
    from clearway.inbox.models import Mailbox

    mailboxes = Mailbox.objects.filter(enabled=True).order_by("service", "name")
    if args.mailbox:
        mailboxes = Mailbox.objects.filter(name=args.mailbox)
        if not mailboxes:
            print(
                f"clearway inbox fetch: there is no mailbox called {args.mailbox!r}",
                file=sys.stderr,
            )
            return 2
    elif not mailboxes:
        print("No mailbox is set up and enabled: add one in the admin (see docs/inbox.md).")
        return 0
    status = 0
    for mailbox in mailboxes:
        try:
            result = fetch_mailbox(mailbox)
        except InboxError as error:
            print(f"clearway inbox fetch: {mailbox.name}: {error}", file=sys.stderr)
            status = 2
            if error.result is None or not error.result.count:
                continue
            result = error.result  # what was kept before it failed
        print(result.summary())
        for notice in result.notices:
            print(f"  {notice}")
    return status


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clearway manage", *args.rest])
    return 0


def parser(roles: list[str] | None = None) -> argparse.ArgumentParser:
    """The command's arguments; ``roles`` are the staff roles (Django is set up to know them)."""
    from clearway.validation import command as validation_command

    if roles is None:
        from clearway.accounts.models import Role

        roles = list(Role.values)

    top = argparse.ArgumentParser(prog="clearway", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", help="load the synthetic demo service (migrates first; does not serve)"
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed (default 1): the same seed, the same service",
    )
    demo.add_argument(
        "--today", type=_date, default=None, help="the day the demo stands on (default: today)"
    )
    demo.add_argument(
        "--reset",
        action="store_true",
        help="delete every child, their history and the audit trail, then load the demo again "
        "(demo data only: never on a real service)",
    )
    demo.add_argument(
        "--validate",
        action="store_true",
        help="then validate the list against its PAS extract and confirm the removals, as the "
        "demo coordinator (1,109 children to about 566)",
    )
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve Clearway over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=8)
    serve.set_defaults(func=cmd_serve)

    notify_server = sub.add_parser(
        "notify-server",
        help="run a local GOV.UK Notify stand-in (for local use and tests; sends nothing)",
    )
    notify_server.add_argument("--host", default="127.0.0.1")
    notify_server.add_argument("--port", type=int, default=6011)
    notify_server.add_argument(
        "--sending-after", type=float, default=1.0, help="seconds until a message is 'sending'"
    )
    notify_server.add_argument(
        "--final-after",
        type=float,
        default=3.0,
        help="seconds until it is delivered (or fails, for Notify's test numbers)",
    )
    notify_server.set_defaults(func=cmd_notify_server)

    create = sub.add_parser("createuser", help="add a member of staff")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=roles)
    create.add_argument("--password", help="(or set CLEARWAY_PASSWORD, or be asked)")
    create.add_argument("--first-name", default="")
    create.add_argument("--last-name", default="")
    create.add_argument("--email", default="")
    create.add_argument(
        "--service",
        action="append",
        metavar="SLUG",
        help="a service they work in; repeat for more (default: the only one, or else scd)",
    )
    create.set_defaults(func=cmd_createuser)

    stats = sub.add_parser("stats", help="a service's list's figures on a day")
    stats.add_argument(
        "--service",
        default=None,
        metavar="SLUG",
        help="the service (default: the only one, or else scd)",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.add_argument("--as-of", type=_date, default=None, help="the day (default: today)")
    stats.add_argument(
        "--as-recorded",
        action="store_true",
        help="the list as it was recorded on that day, not as now known",
    )
    stats.set_defaults(func=cmd_stats)

    back_up = sub.add_parser("backup", help="back up the database, with a manifest beside it")
    back_up.add_argument(
        "--out", type=Path, default=None, help="file or folder (default: var/backups/)"
    )
    back_up.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("path", type=Path, help="a file made by clearway backup")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(func=cmd_restore)

    validate = sub.add_parser(
        "validate",
        help="validate a legacy list against a PAS extract (no database needed)",
        description="Validate every row of a legacy waiting list against a PAS extract; "
        "write validation.csv and summary.json.",
    )
    validation_command.add_arguments(validate)
    validate.set_defaults(func=validation_command.run)

    inbox = sub.add_parser("inbox", help="the shared inbox (docs/inbox.md)")
    inbox_sub = inbox.add_subparsers(dest="inbox_command", required=True)
    inbox_fetch = inbox_sub.add_parser(
        "fetch", help="fetch new messages from every enabled mailbox now, once"
    )
    inbox_fetch.add_argument(
        "--mailbox", default=None, metavar="NAME", help="only this mailbox (even if not enabled)"
    )
    inbox_fetch.set_defaults(func=cmd_inbox_fetch)

    manage = sub.add_parser("manage", help="run a Django management command (migrate, shell, …)")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return top


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["validate"]:  # validation is pure: no Django, no database
        args = parser(roles=[]).parse_args(arguments)
    else:
        setup_django()
        args = parser().parse_args(arguments)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
