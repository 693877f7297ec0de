"""Pages of the providers app."""

app_name = "providers"

urlpatterns: list = []
