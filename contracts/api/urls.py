"""API routes of the contracts app (gathered under /api/v1/ by config/api_urls.py)."""

urlpatterns: list = []
