"""API routes of the reporting app (gathered under /api/v1/ by config/api_urls.py)."""

urlpatterns: list = []
