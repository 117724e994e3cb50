from pathlib import Path

from foundation_eval.schemas import TABLE_ORDER, data_dictionary, load_schemas

ROOT = Path(__file__).resolve().parents[1]


def test_every_table_has_a_schema_with_described_fields():
    schemas = load_schemas()
    assert tuple(schemas) == TABLE_ORDER
    for s in schemas.values():
        assert s.description
        assert s.primary_key, s.name
        for f in s.fields:
            assert f.description, (s.name, f.name)
            assert f.name == f.name.lower() and " " not in f.name
        # foreign keys point to tables defined earlier
        for _, ref, _ in s.foreign_keys:
            assert TABLE_ORDER.index(ref) < TABLE_ORDER.index(s.name)


def test_identifiers_are_opaque_pseudonyms():
    schemas = load_schemas()
    assert schemas["people"].field("person_id").pattern == "^P([0-9A-F]{8}|[0-9A-F]{16})$"
    assert schemas["offences"].field("victim_id").pattern == "^V([0-9A-F]{8}|[0-9A-F]{16})$"


def test_committed_data_dictionary_is_current():
    committed = (ROOT / "data_schemas" / "README.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "run: foundation-eval dictionary --out data_schemas/README.md"
