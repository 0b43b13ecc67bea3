"""Bad input to the explorer: a clear message in German and English, the right status, never a
500 (in-process, over the session's seeded history)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.explorer.explorer_seed import Seeded

UNKNOWN = "0x" + "ab" * 32


@pytest.mark.parametrize(
    ("path", "status", "german", "english"),
    [
        (f"/tx/{UNKNOWN}", 404, "ist der Kette unbekannt", "does not know transaction"),
        ("/tx/0x1234", 400, "kein 32-Byte-Hash", "not a 32-byte hash"),
        ("/account/0xnot-an-address", 400, "keine gültige Adresse", "not a valid address"),
        ("/account/0x" + "1" * 39, 400, "keine gültige Adresse", "not a valid address"),
        (f"/records/{UNKNOWN}", 404, "nicht verankert", "No record"),
        (f"/credentials/{UNKNOWN}", 404, "nicht verankert", "No credential"),
        ("/block/99999999", 404, "hinter dem Kettenkopf", "beyond the chain head"),
        ("/block/-1", 400, "keine Blocknummer", "not a block number"),
        ("/registers/NOPE", 404, "kein Register", "no register"),
        ("/search?q=%3Cscript%3E", 400, "weder Blocknummer", "no block number"),
        (f"/search?q={UNKNOWN}", 404, "kennt die Kette nichts", "knows nothing"),
        ("/council?page=0", 400, "Ungültige Eingabe", "Invalid input"),
        ("/payments?format=xml", 400, "Unbekanntes Exportformat", "Unknown export format"),
        ("/no/such/page", 404, "gibt es nicht", "no such page"),
    ],
)
def test_bad_input_is_explained_in_both_languages(
    explorer_client: TestClient, path: str, status: int, german: str, english: str
) -> None:
    for lang, words in (("de", german), ("en", english)):
        page = explorer_client.get(path, headers={"Accept-Language": lang})
        assert page.status_code == status, (path, page.status_code, page.text[:300])
        assert words in page.text, (path, lang, page.text[:500])
        assert page.headers["content-type"].startswith("text/html")
    problem = explorer_client.get(path, headers={"Accept": "application/json"})
    assert problem.status_code == status
    assert german in problem.json()["detail"]["de"] and english in problem.json()["detail"]["en"]


def test_huge_upload_is_refused_before_parsing(explorer_client: TestClient) -> None:
    huge = json.dumps({"blob": "x" * 200_000})
    for lang, words in (("de", "zu groß"), ("en", "too large")):
        page = explorer_client.post(
            f"/integrity?lang={lang}", files={"file": ("big.json", huge, "application/json")}
        )
        assert page.status_code == 413 and words in page.text, page.text[:300]


@pytest.mark.parametrize(
    ("form", "english"),
    [
        ({"document": "{not json", "salt": "0x" + "00" * 32}, "not valid JSON"),
        ({"document": '{"a": 1}', "salt": "0x1234"}, "salt is missing"),
        ({"document": '{"a": 1}'}, "salt is missing"),
        ({"document": ""}, "not valid JSON"),
        ({"document": json.dumps({"content": {}, "salt": "0x" + "00" * 32, "proof": ["x"]})},
         "Merkle proof is incomplete"),
        ({"document": json.dumps({"content": {}, "salt": "0x" + "00" * 32, "proof": []})},
         "Merkle proof is incomplete"),
        ({"document": json.dumps({"n": 2**60}), "salt": "0x" + "00" * 32}, "Invalid input"),
    ],
)  # fmt: skip
def test_bad_integrity_input_is_explained(
    explorer_client: TestClient, explorer_history: Seeded, form: dict[str, str], english: str
) -> None:
    page = explorer_client.post("/integrity?lang=en", data=form)
    assert page.status_code == 400 and english in page.text, page.text[:400]
