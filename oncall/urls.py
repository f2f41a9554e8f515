from django.urls import path, register_converter

from oncall.views import feeds, mine, swaps, team


class TokenConverter:
    regex = r"[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenConverter, "feedtoken")

app_name = "oncall"
urlpatterns = [
    path("", mine.my_oncall, name="mine"),
    path("calendar/rotate/", mine.calendar_rotate, name="calendar_rotate"),
    path("blackouts/new/", mine.blackout_new, name="blackout_new"),
    path("rotations/<int:pk>/handoff/", mine.handoff_write, name="handoff_write"),
    path("teams/<slug:slug>/", team.team_schedule, name="team_schedule"),
    path("teams/<slug:slug>/rotations/<int:rotation_pk>/resolve/", team.conflict_resolve, name="conflict_resolve"),
    path("swaps/new/", swaps.swap_new, name="swap_new"),
    path("swaps/<int:pk>/", swaps.swap_detail, name="swap_detail"),
    path("swaps/<int:pk>/<slug:action>/", swaps.swap_act, name="swap_act"),
    path("calendar/user/<feedtoken:token>.ics", feeds.user_calendar_feed, name="calendar_user"),
    path("calendar/rotation/<feedtoken:token>.ics", feeds.rotation_calendar_feed, name="calendar_rotation"),
]
