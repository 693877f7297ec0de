"""Open Contracting Data Standard 1.1: validate a release package offline against the official schema."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "ocds_schema"
OCDS_VERSION = "1.1"
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


@cache
def _validator() -> Draft4Validator:
    package = json.loads((SCHEMA_DIR / "release-package-schema.json").read_text())
    release = json.loads((SCHEMA_DIR / "release-schema.json").read_text())
    registry = Registry().with_resource(
        RELEASE_SCHEMA_URL, Resource.from_contents(release, default_specification=DRAFT4)
    )
    return Draft4Validator(package, registry=registry)


def validation_errors(package: dict) -> list[str]:
    """Every way `package` breaks the OCDS 1.1 release package schema (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(package)'}: {error.message}"
        for error in sorted(_validator().iter_errors(package), key=lambda e: list(map(str, e.absolute_path)))
    ]


def codelist(name: str) -> set[str]:
    """The codes of one OCDS codelist (for example 'method.csv')."""
    import csv

    with (SCHEMA_DIR / "codelists" / name).open(newline="") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}
