"""`manage.py seed_demo`: teams, people, services and incidents for trying Watchkeeper locally.

Lives in incidents because it needs both apps; the oncall half (teams and people) is oncall.demo.
Safe to run on every start (scripts/run.sh does): a second run changes nothing.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents.demo import demo_incidents_seed, demo_services_seed
from oncall.demo import DEMO_PASSWORD, demo_people_seed


class Command(BaseCommand):
    help = "Create demo teams, users (one per role), services and incidents. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Run even though DEBUG is off. The demo users share a published password: never in production.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a published password and refuses to run with DEBUG off. "
                "Use --force if this really is a throwaway installation."
            )
        with transaction.atomic():
            people = demo_people_seed(password=DEMO_PASSWORD)
            services, services_created = demo_services_seed(people=people)
            incidents_created = demo_incidents_seed(people=people, services=services)

        counts = (people.created_teams, people.created_users, services_created, incidents_created)
        if any(counts):
            self.stdout.write(self.style.SUCCESS(
                "Demo data created: {} teams, {} users, {} services, {} incidents.".format(*counts)
            ))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self._print_roster(people.roster)

    def _print_roster(self, roster: list[tuple[str, str, str]]) -> None:
        rows = [("Username", "Role", "Team", "Password")] + [(*row, DEMO_PASSWORD) for row in roster]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        line = "+".join("-" * (w + 2) for w in widths)
        self.stdout.write(f"+{line}+")
        for index, row in enumerate(rows):
            self.stdout.write("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
            if index == 0:
                self.stdout.write(f"+{line}+")
        self.stdout.write(f"+{line}+")
        self.stdout.write(
            "Passwords are set only when a demo user is created; a user who changed theirs keeps it. "
            "Log in at /admin/ (superuser and managers) or /accounts/login/."
        )
