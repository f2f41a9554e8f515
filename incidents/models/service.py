from django.db import models

from oncall.models import Team


class Service(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    description = models.TextField(blank=True)
    runbook = models.TextField(blank=True, help_text="Markdown.")
    runbook_url = models.URLField(blank=True)
    runbook_reviewed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("declare_incident", "Can declare incidents on this service")]

    def __str__(self) -> str:
        return self.name
