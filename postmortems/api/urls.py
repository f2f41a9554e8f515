from rest_framework.routers import SimpleRouter

from postmortems.api import views

router = SimpleRouter()
router.register("postmortems", views.PostMortemViewSet, basename="postmortem")
router.register("action-items", views.ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
