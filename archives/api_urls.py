"""/api/v1/ of the paper archive and the semester audit (学籍核查)."""

from rest_framework.routers import SimpleRouter

from archives.paper.api import ArchiveChecklistViewSet
from archives.rollcall.api import RollCallEntryViewSet, RollCallViewSet

app_name = "archives_api"
router = SimpleRouter()
router.register("archive-checklists", ArchiveChecklistViewSet, basename="api-archive-checklist")
router.register("rollcalls", RollCallViewSet, basename="api-rollcall")
router.register("rollcall-entries", RollCallEntryViewSet, basename="api-rollcall-entry")
urlpatterns = router.urls
