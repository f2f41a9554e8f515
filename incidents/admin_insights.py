"""The managers' insights dashboard in the admin (/admin/insights/): the same metrics, charts and tables as
the insights page, for the teams the manager manages (superusers: every team). Hooked into the default
admin site: one extra URL, and an index page with a link to it."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from incidents.metrics import insight_teams
from incidents.views.insights import insights_context


def insights_dashboard(request):
    context = {
        **admin.site.each_context(request),
        **insights_context(request, teams=insight_teams(request.user, managed=True), managed=True),
        "title": "Insights",
    }
    return TemplateResponse(request, "admin/insights.html", context)


def _with_dashboard(get_urls):
    def get_urls_with_dashboard():
        # Before the site's own URLs: its catch-all would otherwise take "insights/" for an app label.
        return [path("insights/", admin.site.admin_view(insights_dashboard), name="insights"), *get_urls()]

    return get_urls_with_dashboard


if not getattr(admin.site, "insights_installed", False):
    admin.site.get_urls = _with_dashboard(admin.site.get_urls)
    admin.site.index_template = "admin/insights_index.html"
    admin.site.insights_installed = True
