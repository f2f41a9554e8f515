"""`manage.py seed_demo`: teams, people, on-call schedules, services, incidents and post-mortems for trying
Watchkeeper locally.

Lives in incidents because it needs every app; the parts are oncall.demo (teams, people, schedules),
incidents.demo (services, incidents) and postmortems.demo. Safe to run on every start (scripts/run.sh does):
a second run changes nothing.
"""

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from incidents.demo import (
    STALE_SEARCH_INCIDENT,
    demo_incidents_seed,
    demo_open_incidents_by_team,
    demo_services_seed,
)
from incidents.demo_alert_hygiene import (
    NOISY_INTEGRATION,
    DemoSecrets,
    demo_alert_hygiene_seed,
    demo_noisy_alerts_day,
)
from oncall.demo import (
    DEMO_PASSWORD,
    DemoPeople,
    demo_escalation_policies_seed,
    demo_oncall_notes,
    demo_people_seed,
    demo_profiles_seed,
    demo_rotations_seed,
    demo_schedule_changes_seed,
)
from oncall.models import SwapRequest, SwapState
from postmortems.demo import demo_postmortems_seed
from postmortems.models import PostMortem, PostMortemState

# What the demo parts count (singular) -> its plural, where adding an "s" is wrong.
PLURALS = {
    "escalation policy": "escalation policies",
    "service linked to its team's escalation policy": "services linked to their team's escalation policy",
}


class Command(BaseCommand):
    help = ("Create demo teams, users (every role), on-call schedules, services, incidents and post-mortems. "
            "Idempotent.")

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
        changes: Counter = Counter()
        with transaction.atomic():
            people = demo_people_seed(password=DEMO_PASSWORD)
            changes["team"], changes["user"] = people.created_teams, people.created_users
            # Schedules before incidents, so the incidents' frozen escalation policies page the on-call.
            demo_profiles_seed(people=people, changes=changes)
            policies = demo_escalation_policies_seed(people=people, changes=changes)
            rotations = demo_rotations_seed(people=people, changes=changes)
            services = demo_services_seed(people=people, policies=policies, changes=changes)
            demo_incidents_seed(people=people, services=services, changes=changes)
            demo_postmortems_seed(people=people, changes=changes)
            secrets = demo_alert_hygiene_seed(people=people, services=services, changes=changes)
            skipped = demo_schedule_changes_seed(
                rotations=rotations, open_incidents=demo_open_incidents_by_team(), changes=changes
            )

        made = [f"{count} {what if count == 1 else PLURALS.get(what, what + 's')}" for what, count in changes.items()
                if count]
        if made:
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {', '.join(made)}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        for reason in skipped:
            self.stdout.write(self.style.WARNING(f"Skipped: {reason}"))
        self._print_roster(people)
        self._print_secrets(secrets)
        self._print_where_to_look()

    def _print_roster(self, people: DemoPeople) -> None:
        duty = demo_oncall_notes(people)
        rows = [("Username", "Role", "Team", "On call", "Password")] + [
            (username, role, team, duty.get(username, "—"), DEMO_PASSWORD) for username, role, team in people.roster
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
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

    def _print_secrets(self, secrets: DemoSecrets) -> None:
        for what, value in secrets.shown:
            self.stdout.write(f"{what} (shown only now): {value}")
        self.stdout.write(
            "Heartbeat ping URLs and integration keys are stored hashed and printed only by the run that makes "
            "them; a manager gets a new one with the admin's \"Rotate the keys of the selected …\" action on "
            f"{reverse('admin:incidents_heartbeatmonitor_changelist')} or "
            f"{reverse('admin:incidents_integration_changelist')}."
        )

    def _print_where_to_look(self) -> None:
        published = PostMortem.objects.filter(state=PostMortemState.PUBLISHED).order_by("pk").first()
        draft = PostMortem.objects.filter(
            state=PostMortemState.DRAFT, incident__service__slug=STALE_SEARCH_INCIDENT[0],
            incident__title=STALE_SEARCH_INCIDENT[1],
        ).first()
        open_swap = SwapRequest.objects.filter(state=SwapState.OPEN, rotation__team__slug="payments").first()
        schedule = reverse("oncall:team_schedule", kwargs={"slug": "payments"})
        noisy_week = demo_noisy_alerts_day()
        places = [
            (reverse("incidents:list"), "Incidents: open, resolved and closed, with timelines and roles"),
            (reverse("status:index"), "Public status page (no login)"),
            (schedule, "Team schedule: who is on call, a blackout conflict to resolve, a swap override "
                       "(as payments-manager; likewise search, platform)"),
            (reverse("oncall:mine"), "My on-call: shifts, swaps, hand-off notes, blackouts, calendar feed"),
        ]
        if open_swap is not None:
            places.append((reverse("oncall:swap_detail", kwargs={"pk": open_swap.pk}),
                           f"An open swap request by {open_swap.requester.get_username()}; other members of "
                           f"{open_swap.rotation.name} can accept it"))
        places.append((reverse("postmortems:list"), "Post-mortems; action items at "
                                                    + reverse("postmortems:my_action_items")))
        if published is not None:
            places.append((reverse("postmortems:detail", kwargs={"pk": published.pk}),
                           f"A published post-mortem ({published.incident.reference}, closed; as platform-lead)"))
        if draft is not None:
            places.append((reverse("postmortems:detail", kwargs={"pk": draft.pk}),
                           f"A draft post-mortem ({draft.incident.reference} stays resolved until it is published)"))
        places += [
            (reverse("admin:oncall_oncallprofile_changelist"), "Admin: on-call eligibility; newcomers show what "
                                                               "they miss"),
            (reverse("admin:oncall_rotation_changelist"), "Admin: rotations, members, schedule preview"),
            (reverse("admin:oncall_swaprequest_changelist"), "Admin: swap requests and their history"),
            (reverse("admin:oncall_escalationpolicy_changelist"), "Admin: escalation policies (each team's "
                                                                  "default, linked from its services)"),
            (reverse("admin:postmortems_actionitem_changelist") + "?overdue=yes", "Admin: overdue action items"),
            (reverse("postmortems:hygiene") + f"?week={noisy_week:%Y-%m-%d}",
             f"Alert hygiene review of the demo alerts' week: “{NOISY_INTEGRATION[1]}” flagged noisy, incidents "
             "judged actionable, noisy, false alarm (as search-manager)"),
            (reverse("admin:incidents_maintenancewindow_changelist"), "Admin: maintenance windows (weekly on "
                                                                      "Payment Gateway, one-off on Search Indexer)"),
            (reverse("admin:incidents_heartbeatmonitor_changelist"), "Admin: heartbeat monitors (Invoicing; as "
                                                                     "payments-manager)"),
        ]
        width = max(len(path) for path, _ in places)
        self.stdout.write(f"Where to look ({settings.SITE_URL}):")
        for path, what in places:
            self.stdout.write(f"  {path.ljust(width)}  {what}")
