from django.urls import path, register_converter

from oncall.views import feeds


class TokenConverter:
    regex = r"[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenConverter, "feedtoken")

app_name = "oncall"
urlpatterns = [
    path("calendar/user/<feedtoken:token>.ics", feeds.user_calendar_feed, name="calendar_user"),
    path("calendar/rotation/<feedtoken:token>.ics", feeds.rotation_calendar_feed, name="calendar_rotation"),
]
