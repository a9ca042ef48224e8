"""``manage.py deliver_webhooks [--loop [--interval S]]``: send the queued outbound webhooks.

Once (default): one attempt for each webhook that is due, then a summary line; run it from
cron or a scheduler. ``--loop``: the same every ``--interval`` seconds until interrupted, as
a long-running worker. Exit code 2 when ``HOST_OUTBOUND_WEBHOOK_URL`` is not set.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from host.conf import conf
from host.outbound import deliver_due


class Command(BaseCommand):
    help = "Send the queued outbound webhooks that are due (see host.outbound)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep delivering until stopped")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between rounds with --loop"
        )

    def handle(self, *args: object, loop: bool, interval: float, **options: object) -> None:
        receiver = conf.outbound
        if not receiver.url:
            raise CommandError(
                "HOST_OUTBOUND_WEBHOOK_URL is not set, so there is nowhere to deliver to; "
                "set it to the receiver's URL (webhooks stay queued until then)",
                returncode=2,
            )
        while True:
            report = deliver_due(receiver)
            self.stdout.write(
                f"webhooks: {report.delivered} delivered, {report.retrying} to retry, "
                f"{report.failed} failed"
            )
            if not loop:
                return
            time.sleep(interval)
