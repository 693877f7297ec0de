"""Pages of the placements app."""

app_name = "placements"

urlpatterns: list = []
