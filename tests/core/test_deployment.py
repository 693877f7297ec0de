"""The production shape: compose file, settings that refuse to start unsafely."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_web_worker_beat_postgres_and_redis_from_one_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    assert {services[name]["image"] for name in ("web", "worker", "beat")} == {"sen-therapies:latest"}
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "pgdata" in compose["volumes"]
    assert "gunicorn" in services["web"]["command"]


def _run_settings(env: dict, module: str) -> subprocess.CompletedProcess:
    code = f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='{module}'; django.setup()"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _run_settings({}, "config.settings.production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_manage_py_commands_run_on_a_fresh_checkout_with_nothing_set():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_production_settings_refuse_debug():
    result = _run_settings({"DJANGO_SECRET_KEY": "x" * 60, "DJANGO_DEBUG": "1"}, "config.settings.production")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_debug_is_off_by_default():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local'; "
        "django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x" * 60},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_static_files_collect_with_the_production_storage(tmp_path, settings):
    """The image build runs collectstatic with hashed, compressed names: every file a stylesheet names must exist."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)  # the settings change resets the storage
    assert (tmp_path / "staticfiles.json").exists()
    assert any(tmp_path.glob("govuk/application.*.css"))
