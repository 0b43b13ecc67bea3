"""The explorer in-process over a history the API never saw: what each view says, the integrity
check (single and batch anchors, matching and not), exports, and a rebuild that shows the same."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from explorer.chain import Explorer
from tests.explorer.explorer_seed import REGISTER, Seeded


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def test_home_names_the_city_actions_and_the_lag(explorer_client: TestClient) -> None:
    page = explorer_client.get("/?lang=en")
    assert page.status_code == 200, page.text
    assert "Latest blocks" in page.text and 'id="lag">0<' in page.text
    assert "Every contract of the manifest has the expected code on chain." in page.text
    assert "FB33 (Bürgerservice / Citizen Services)" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    german = explorer_client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Neueste Blöcke" in german.text and '<html lang="de">' in german.text


def test_record_history_shows_versions_amendment_and_erasure(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    first = explorer_history.record_a[0]
    page = explorer_client.get(f"/records/{_hex(first.record_id)}?lang=en&format=json")
    assert page.status_code == 200, page.text
    rows = page.json()["data"]
    assert [(r["version"], r["status"]) for r in rows] == [(0, "erased"), (1, "active")]
    assert (
        rows[0]["content_hash"] == _hex(first.hash) and "data-subject-request" in rows[0]["erasure"]
    )
    assert rows[1]["previous_hash"] == _hex(first.hash) and rows[1]["signer"] == "FB02"
    html = explorer_client.get(f"/records/{_hex(first.record_id)}?lang=de").text
    assert "gelöscht" in html and REGISTER in html


def test_register_lists_records_and_batches(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    page = explorer_client.get(f"/registers/{REGISTER}?lang=en")
    assert page.status_code == 200
    assert _hex(explorer_history.record_a[0].record_id) in page.text
    assert _hex(explorer_history.batch_root) in page.text
    csv = explorer_client.get(f"/registers/{REGISTER}?format=csv").text.splitlines()
    assert len(csv) == 2 and csv[1].startswith(_hex(explorer_history.record_a[0].record_id))


def test_integrity_check_finds_the_anchored_version(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    second = explorer_history.record_a[1]
    page = explorer_client.post(
        "/integrity?lang=en",
        data={"document": json.dumps(second.content), "salt": _hex(second.salt)},
    )
    assert page.status_code == 200, page.text
    assert "Authentic" in page.text and _hex(second.hash) in page.text
    assert 'class="version">1<' in page.text and 'class="status-now">active<' in page.text


def test_integrity_check_refuses_altered_content(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    second = explorer_history.record_a[1]
    altered = {**second.content, "legal_form": "GmbH"}
    page = explorer_client.post(
        "/integrity?lang=de", data={"document": json.dumps(altered), "salt": _hex(second.salt)}
    )
    assert page.status_code == 200 and "Nicht gefunden" in page.text


def test_integrity_check_verifies_batch_proofs(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    version = explorer_history.batch[1]
    good = explorer_client.post("/integrity?lang=en", files={
        "file": ("version.json", json.dumps(version.export()), "application/json")})  # fmt: skip
    assert "Merkle proof valid" in good.text and _hex(explorer_history.batch_root) in good.text
    forged = {**version.export(), "content": {"parcel": "P-1", "area": 999}}
    bad = explorer_client.post("/integrity?lang=en", data={"document": json.dumps(forged)})
    assert "Merkle proof invalid" in bad.text and "Not found" in bad.text


def test_integrity_check_reads_the_register_export_file(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    second, batched = explorer_history.record_a[1], explorer_history.batch[0]
    export = {
        "format": "city-registry-export/1",
        "register": {"id": REGISTER, "name": "Explorer-Testregister"},
        "records": [
            {"id": _hex(second.record_id), "versions": [second.export()]},
            {"id": _hex(batched.record_id), "versions": [batched.export()]},
        ],
    }
    page = explorer_client.post("/integrity?lang=en", files={
        "file": ("export.json", json.dumps(export), "application/json")})  # fmt: skip
    assert page.status_code == 200, page.text
    assert page.text.count("Authentic") == 2 and "Merkle proof valid" in page.text


def test_council_log_shows_decisions_and_the_cancellation(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    rows = explorer_client.get("/council?lang=en&format=json").json()["data"]
    canceled = next(r for r in rows if r["id"] == str(explorer_history.canceled_proposal))
    assert canceled["state"] == "canceled" and "FB99" in canceled["text"]
    assert any(r["state"] == "executed" and "RESIDENCE_CERT" in r["text"] for r in rows)
    page = explorer_client.get("/council?lang=en").text
    assert "Threshold: 2" in page and "became a council member" in page


def test_credential_status_history(explorer_client: TestClient, explorer_history: Seeded) -> None:
    url = f"/credentials/{_hex(explorer_history.credential)}?lang=en"
    page = explorer_client.get(url)
    assert 'id="credential-state">revoked<' in page.text
    events = [r["event"] for r in explorer_client.get(url + "&format=json").json()["data"]]
    assert events == ["CredentialAnchored", "CredentialSuspended", "CredentialResumed",
                      "CredentialRevoked"]  # fmt: skip
    assert "certificate hold" in page.text and "superseded" in page.text


def test_payments_reconcile(explorer_client: TestClient, explorer_history: Seeded) -> None:
    page = explorer_client.get("/payments?lang=en")
    assert page.status_code == 200, page.text
    assert "differs" not in page.text and "reconciles" in page.text
    fees = explorer_client.get("/payments?format=json").json()
    assert fees["count"] >= 2


def test_search_finds_each_kind(explorer_client: TestClient, explorer_history: Seeded) -> None:
    record = _hex(explorer_history.record_a[0].record_id)
    for query, target in (
        (record, f"/records/{record}"),
        (_hex(explorer_history.credential), f"/credentials/{_hex(explorer_history.credential)}"),
        ("1", "/block/1"),
        (REGISTER, f"/registers/{REGISTER}"),
        (
            f"did:ethr:0x1:{explorer_history.fb33_payee.lower()}",
            f"/account/{explorer_history.fb33_payee}",
        ),
    ):
        answer = explorer_client.get("/search", params={"q": query}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == target, (
            query,
            answer.text,
        )


def test_tx_and_account_pages_name_signer_and_call(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    record = _hex(explorer_history.record_a[0].record_id)
    history = explorer_client.get(f"/records/{record}?lang=en").text
    tx_hash = history.split('href="/tx/')[1].split("?")[0]
    page = explorer_client.get(f"/tx/{tx_hash}?lang=en").text
    assert "RegisterHub.createRecord" in page and "FB02" in page and "anchored version 0" in page
    account = explorer_client.get(f"/account/{explorer_history.fb33_payee}?lang=en").text
    assert "account of FB33" in account


def test_rebuild_from_block_zero_shows_the_same(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    explorer: Explorer = explorer_client.app.state.explorer  # type: ignore[attr-defined]
    urls = [f"/records/{_hex(explorer_history.record_a[0].record_id)}?format=json",
            "/council?format=json", f"/registers/{REGISTER}?format=json", "/payments?format=json",
            f"/credentials/{_hex(explorer_history.credential)}?format=json"]  # fmt: skip
    before = [explorer_client.get(url).json()["data"] for url in urls]
    progress = explorer.indexer.rebuild()
    assert progress.events > 0 and progress.indexed_to == progress.head
    assert [explorer_client.get(url).json()["data"] for url in urls] == before


def test_pages_carry_the_strict_policy_and_no_inline_code(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    record = _hex(explorer_history.record_a[0].record_id)
    for path in ("/", "/registers", f"/registers/{REGISTER}", f"/records/{record}", "/council",
                 "/departments", "/credentials", "/payments", "/integrity", "/block/1", "/report"):  # fmt: skip
        page = explorer_client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert page.headers["content-security-policy"].startswith("default-src 'self'"), path
        assert "<script" not in page.text and "style=" not in page.text, path
        assert "server-timing" in page.headers
