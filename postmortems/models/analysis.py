from django.db import models


class Why(models.Model):
    """One step of the 5 whys: a question and its answer. The chain, read in position order, ends in the
    root cause."""

    postmortem = models.ForeignKey("postmortems.PostMortem", on_delete=models.CASCADE, related_name="whys")
    position = models.PositiveSmallIntegerField()
    question = models.TextField(help_text="Why …?")
    answer = models.TextField(help_text="Because …")

    class Meta:
        verbose_name = "why"
        verbose_name_plural = "5 whys"
        ordering = ["postmortem", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["postmortem", "position"], name="unique_why_position")]

    def __str__(self) -> str:
        return f"Why {self.position}: {self.question[:60]}"


class FishboneCategory(models.TextChoices):
    """The guide's Ishikawa bones."""

    METHODS = "methods", "Methods"
    MACHINES = "machines", "Machines"
    MATERIALS = "materials", "Materials"
    MANPOWER = "manpower", "Manpower"
    ENVIRONMENT = "environment", "Environment"


FISHBONE_HINTS = {
    FishboneCategory.METHODS: "Processes: deployment, review, rollback, staging.",
    FishboneCategory.MACHINES: "Systems: load balancers, health checks, servers.",
    FishboneCategory.MATERIALS: "Inputs: configuration, timeouts, pool sizes, data.",
    FishboneCategory.MANPOWER: "People and knowledge: staffing, runbooks, training.",
    FishboneCategory.ENVIRONMENT: "Surroundings: traffic spikes, peak hours, third parties.",
}


class ContributingFactor(models.Model):
    postmortem = models.ForeignKey(
        "postmortems.PostMortem", on_delete=models.CASCADE, related_name="contributing_factors"
    )
    category = models.CharField(max_length=16, choices=FishboneCategory.choices)
    title = models.CharField(max_length=120, blank=True, help_text="e.g. “Configuration Change”.")
    description = models.TextField()

    class Meta:
        ordering = ["postmortem", "id"]

    def __str__(self) -> str:
        return self.title or self.description[:60]
