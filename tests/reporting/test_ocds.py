"""The OCDS 1.1 schema is vendored and validates offline."""

from reporting.ocds import codelist, validation_errors


def minimal_package(**release_changes):
    release = {
        "ocid": "ocds-xxxxxx-KCC-1",
        "id": "KCC-1-2024-04-01",
        "date": "2024-04-01T00:00:00Z",
        "tag": ["contract"],
        "initiationType": "tender",
        **release_changes,
    }
    return {
        "uri": "https://example.gov.uk/ocds/package.json",
        "publisher": {"name": "Kent County Council"},
        "publishedDate": "2024-04-01T00:00:00Z",
        "version": "1.1",
        "releases": [release],
    }


def test_a_minimal_package_is_valid():
    assert validation_errors(minimal_package()) == []


def test_errors_name_where_the_package_is_wrong():
    errors = validation_errors(minimal_package(tag=["not-a-tag"]))
    assert errors and errors[0].startswith("releases/0/tag/0")


def test_codelists_are_read_from_the_vendored_files():
    assert {"open", "selective", "limited", "direct"} <= codelist("method.csv")
