"""JSON Schema validation shared by register records and credential claims (jsonschema-rs)."""

import pytest

from registry_core.schemas import SchemaInvalidError, SchemaValidator, validator_for

TRADE = {
    "type": "object",
    "required": ["business_name", "founded"],
    "properties": {
        "business_name": {"type": "string", "maxLength": 20},
        "founded": {"type": "string", "format": "date"},
        "owners": {
            "type": "array",
            "items": {"type": "object", "properties": {"a/b~c": {"type": "integer"}}},
        },
    },
}


def test_valid_instances_have_no_violations() -> None:
    assert (
        SchemaValidator(TRADE).violations(
            [{"business_name": "Müller GmbH", "founded": "2020-02-29"}]
        )
        == []
    )


def test_violations_name_instance_position_and_pointer() -> None:
    found = SchemaValidator(TRADE).violations(
        [
            {"business_name": "ok", "founded": "2020-01-01"},
            {"business_name": 5, "founded": "2021-02-30", "owners": [{"a/b~c": "x"}]},
            {},
        ]
    )
    by_place = {(v.index, v.path): v.message for v in found}
    assert set(by_place) == {
        (1, "/business_name"),
        (1, "/founded"),  # formats are checked: February has no 30th
        (1, "/owners/0/a~1b~0c"),  # RFC 6901 escaping
        (2, ""),
    }
    assert "string" in by_place[(1, "/business_name")]
    assert "required" in by_place[(2, "")]


def test_violations_stop_at_the_limit() -> None:
    found = SchemaValidator(TRADE).violations([{}] * 50, limit=7)
    assert len(found) == 7


@pytest.mark.parametrize(
    ("schema", "needle"),
    [
        ({"type": 5}, "anyOf"),
        ({"$ref": "https://example.com/schema.json"}, "https://example.com/schema.json"),
        ({"properties": {"x": {"pattern": "("}}}, "regex"),
    ],
)
def test_invalid_or_remote_schemas_are_refused(schema: dict, needle: str) -> None:
    with pytest.raises(SchemaInvalidError) as refused:
        SchemaValidator(schema)
    assert needle in refused.value.message
    assert "\n" not in refused.value.message


def test_validators_are_compiled_once_per_schema() -> None:
    assert validator_for(TRADE) is validator_for(dict(TRADE))
    assert validator_for(TRADE, cache_key="k1") is validator_for({}, cache_key="k1")
