"""Calendar feeds at unguessable token URLs: no login (calendar apps cannot log in), 404 on a bad token."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from oncall.calendars import rotation_calendar, user_calendar
from oncall.models import OnCallProfile, Rotation


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def user_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    profile = get_object_or_404(OnCallProfile.objects.select_related("user"), calendar_token=token)
    if not profile.user.is_active:
        return HttpResponse(status=404)
    return _ics(user_calendar(profile.user), "my-oncall-shifts.ics")


@require_safe
def rotation_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    rotation = get_object_or_404(Rotation.objects.select_related("team"), calendar_token=token)
    return _ics(rotation_calendar(rotation), f"oncall-{rotation.team.slug}-{rotation.kind}.ics")
