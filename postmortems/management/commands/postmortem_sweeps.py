"""`manage.py postmortem_sweeps`: run the post-mortem beat sweeps once, now (e.g. without a beat process).

Safe to run at any time and alongside beat: every sweep writes each reminder once per day (the digest
once per week) however often it runs."""

from django.core.management.base import BaseCommand, CommandError

from postmortems import services

SWEEPS = {
    "drafts": ("Drafted missing post-mortems", services.postmortems_draft_missing),
    "reviews": ("Reminded owners of overdue reviews", services.postmortems_remind_review_overdue),
    "action-items": ("Reminded owners of overdue action items", services.action_items_remind_overdue),
    "digest": ("Weekly digests written or already sent", services.action_items_send_weekly_digest),
}


class Command(BaseCommand):
    help = "Run the post-mortem sweeps once: missing drafts, review and action-item reminders, weekly digest."

    def add_arguments(self, parser):
        parser.add_argument("sweeps", nargs="*", help=f"Which of {', '.join(SWEEPS)} (default: all).")

    def handle(self, *args, sweeps: list[str], **options):
        unknown = set(sweeps) - set(SWEEPS)
        if unknown:
            raise CommandError(f"Unknown sweep {', '.join(sorted(unknown))}; choose from {', '.join(SWEEPS)}.")
        for name in sweeps or SWEEPS:
            label, sweep = SWEEPS[name]
            self.stdout.write(f"{label}: {sweep()}")
