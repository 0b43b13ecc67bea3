"""Identities, key files and backups through ``city-wallet`` in-process (Typer's test runner):
round trips, and every refusal with its exit code and nothing overwritten. Keys use the cheap
scrypt of tests/wallet/conftest.py (test fixtures)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import typer
from eth_account import Account
from typer.testing import CliRunner, Result

from registry_core.vc import issue_credential, status_entry
from wallet.cli import app, identity
from wallet.core import Wallet
from wallet.errors import ExitCode
from wallet.identities import TEST_FIXTURE_MARK, KeyCost, new_mnemonic

PASSPHRASE = "test-wallet-passphrase"  # throw-away test wallets
BACKUP_PASSPHRASE = "test-backup-passphrase"
ENV = {"CITY_WALLET_PASSPHRASE": PASSPHRASE, "CITY_WALLET_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE}
runner = CliRunner()


def cli(home: Path, *args: str, input: str | None = None, **env: str) -> Result:
    return runner.invoke(app, ["--home", str(home), *args], input=input, env={**ENV, **env})


@pytest.fixture
def words(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Randomness overridden: the next mnemonic, and the check asks for words 2 and 5."""
    mnemonic = new_mnemonic()
    monkeypatch.setattr(identity, "new_mnemonic", lambda count: mnemonic)
    monkeypatch.setattr(identity, "confirmation_positions", lambda count: [2, 5])
    return mnemonic.split()


def json_out(result: Result) -> dict:
    """The JSON on stdout (Typer's test runner echoes typed answers there, a terminal does not)."""
    return dict(json.loads(result.stdout[result.stdout.index("{") :]))


def answers(words: list[str]) -> str:
    return f"{words[1]}\n{words[4]}\n"


def make_wallet(home: Path, words: list[str], *args: str) -> dict[str, object]:
    result = cli(home, "init", *args, "--json", input=answers(words))
    assert result.exit_code == 0, result.output
    return dict(json_out(result))


def test_init_shows_the_words_once_and_stores_only_after_the_check(
    tmp_path: Path, words: list[str]
) -> None:
    home = tmp_path / "w"
    wrong = cli(home, "init", input="nope\nnope\n" * 3)
    assert wrong.exit_code == ExitCode.USAGE and "nothing was stored" in wrong.stderr
    assert not home.exists() or not any(home.iterdir())
    made = cli(home, "init", input="no\nno\n" + answers(words))  # one miss, then right
    assert made.exit_code == 0, made.output
    assert made.stdout.count(words[0]) == 1 and "shown only now" in made.stdout
    assert "did:ethr:0xcb5e:0x" in made.stdout
    assert cli(home, "init", input=answers(words)).exit_code == ExitCode.USAGE  # exists already
    key_file = json.loads((home / "keys" / "personal.json").read_text())
    assert key_file["crypto"]["kdf"] == "scrypt" and TEST_FIXTURE_MARK in key_file
    assert " ".join(words) not in (home / "wallet.json").read_text()
    # The same words restore the same DID elsewhere.
    again = cli(tmp_path / "r", "restore", "--json", input=" ".join(words) + "\n")
    assert again.exit_code == 0 and json_out(again)["did"] == Wallet(home).did


def test_real_wallets_use_standard_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITY_WALLET_TEST_FIXTURE_KEYS")
    cost = KeyCost.from_environment()
    assert cost.scrypt_n is None and not cost.test_fixture  # eth-account's n = 2**18
    assert cost.mark({}) == {}


def test_several_identities_default_and_selection(tmp_path: Path, words: list[str]) -> None:
    home = tmp_path / "w"
    personal = make_wallet(home, words)
    company = cli(home, "identity", "create", "firma", "--json", input=answers(words))
    assert company.exit_code == ExitCode.USAGE  # same words twice: the fixture's mnemonic
    # ... so give the company its own words.
    other = new_mnemonic().split()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(identity, "new_mnemonic", lambda count: " ".join(other))
        made = cli(home, "identity", "create", "firma", "--json", input=answers(other))
    assert made.exit_code == 0, made.output
    firma = json_out(made)
    assert firma["default"] is False and firma["did"] != personal["did"]
    listed = json_out(cli(home, "identity", "list", "--json"))["identities"]
    assert [(i["identity"], i["default"]) for i in listed] == [("firma", False), ("personal", True)]
    assert json_out(cli(home, "did", "--identity", "firma", "--json"))["did"] == firma["did"]
    assert cli(home, "identity", "default", "firma").exit_code == 0
    assert cli(home, "did").stdout.strip() == firma["did"]
    unknown = cli(home, "did", "--identity", "nobody")
    assert unknown.exit_code == ExitCode.CORRUPT_OR_UNKNOWN
    assert (
        "keine Identität namens 'nobody'" in unknown.stderr and "firma, personal" in unknown.stderr
    )
    assert cli(home, "list", "-i", "nobody").exit_code == ExitCode.CORRUPT_OR_UNKNOWN
    assert cli(home, "did", "--identity", "Bad Name").exit_code == ExitCode.USAGE


def _credential_for(did: str) -> str:
    issuer = Account.create()  # a throw-away issuer: the wallet stores, it does not verify here
    return issue_credential(
        issuer_did=f"did:ethr:0xcb5e:{issuer.address.lower()}",
        subject_did=did,
        vc_type="ResidenceCertificate",
        claims={"givenName": "Erika"},
        status=status_entry(chain_id=52062, registry="0x" + "00" * 20, type_code="RESIDENCE_CERT"),
        private_key=bytes(issuer.key),
        valid_until=int(time.time()) + 3600,
    )


def test_wrong_passphrase_and_damaged_key_file(tmp_path: Path, words: list[str]) -> None:
    home = tmp_path / "w"
    made = make_wallet(home, words)
    stored = json_out(cli(home, "add", _credential_for(str(made["did"])), "--json"))
    ok = cli(home, "present", stored["id"][:10], "--aud", "landlord", "--nonce", "n-1")
    assert ok.exit_code == 0 and ok.stdout.count(".") == 2
    wrong = cli(
        home, "present", stored["id"], "--aud", "a", "--nonce", "n", CITY_WALLET_PASSPHRASE="x"
    )
    assert wrong.exit_code == ExitCode.WRONG_PASSPHRASE
    assert "falsche Passphrase" in wrong.stderr and "wrong passphrase" in wrong.stderr
    assert cli(home, "present", "0xdead", "--aud", "a", "--nonce", "n").exit_code == 5
    (home / "keys" / "personal.json").write_text('{"version": 3, "crypto": {"kdf": "sc')
    damaged = cli(home, "present", stored["id"], "--aud", "a", "--nonce", "n")
    assert damaged.exit_code == ExitCode.CORRUPT_OR_UNKNOWN and "damaged" in damaged.stderr
    (home / "wallet.json").write_text("{not json")
    assert cli(home, "did").exit_code == ExitCode.CORRUPT_OR_UNKNOWN


def test_export_and_import_one_identity(tmp_path: Path, words: list[str]) -> None:
    home = tmp_path / "w"
    made = make_wallet(home, words)
    exported = tmp_path / "personal-key.json"
    assert cli(home, "identity", "export", "--out", str(exported)).exit_code == 0
    document = json.loads(exported.read_text())
    assert document["version"] == 3 and document["address"].lower() in str(made["address"]).lower()
    again = cli(home, "identity", "export", "--out", str(exported))
    assert again.exit_code == ExitCode.USAGE and "nothing was overwritten" in again.stderr

    other = tmp_path / "other"
    importing = {"CITY_WALLET_IMPORT_PASSPHRASE": PASSPHRASE, "CITY_WALLET_PASSPHRASE": "new-pass"}
    wrong = cli(
        other,
        "identity",
        "import",
        str(exported),
        "--name",
        "erika",
        CITY_WALLET_IMPORT_PASSPHRASE="wrong",
    )
    assert wrong.exit_code == ExitCode.WRONG_PASSPHRASE and not (other / "wallet.json").exists()
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(json.dumps({**document, "crypto": {**document["crypto"], "mac": "zz"}}))
    bad = cli(other, "identity", "import", str(corrupt), "--name", "erika", **importing)
    assert bad.exit_code == ExitCode.CORRUPT_OR_UNKNOWN and not (other / "wallet.json").exists()
    missing = cli(other, "identity", "import", str(tmp_path / "nope.json"), "--name", "e")
    assert missing.exit_code == ExitCode.CORRUPT_OR_UNKNOWN
    imported = cli(
        other, "identity", "import", str(exported), "--name", "erika", "--json", **importing
    )
    assert imported.exit_code == 0, imported.output
    assert json_out(imported)["did"] == made["did"]
    assert Wallet(other, identity="erika").unlock("new-pass").address == made["address"]
    twice = cli(other, "identity", "import", str(exported), "--name", "erika", **importing)
    assert twice.exit_code == ExitCode.USAGE  # the name is taken; the key file stays as it was


def _tree(home: Path) -> dict[str, bytes]:
    return {p.relative_to(home).as_posix(): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def test_backup_round_trip_and_refusals(tmp_path: Path, words: list[str]) -> None:
    home = tmp_path / "w"
    made = make_wallet(home, words)
    assert cli(home, "add", _credential_for(str(made["did"]))).exit_code == 0
    signer = Account.create().address
    assert cli(home, "trust", "pin", signer).exit_code == 0
    backup = tmp_path / "wallet.backup"
    assert cli(home, "backup", "create", str(backup)).exit_code == 0
    sealed = json.loads(backup.read_text())
    assert sealed["format"] == "city-wallet-backup/1" and TEST_FIXTURE_MARK in sealed
    assert " ".join(words) not in backup.read_text() and PASSPHRASE not in backup.read_text()
    assert cli(home, "backup", "create", str(backup)).exit_code == ExitCode.USAGE  # exists

    target = tmp_path / "restored"
    wrong = cli(target, "backup", "restore", str(backup), CITY_WALLET_BACKUP_PASSPHRASE="wrong")
    assert wrong.exit_code == ExitCode.WRONG_PASSPHRASE and "falsche Passphrase" in wrong.stderr
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if "restore" in p.name] == []
    tampered = tmp_path / "tampered.backup"
    flipped = (
        sealed["ciphertext"][:-8]
        + ("A" if sealed["ciphertext"][-8] != "A" else "B")
        + sealed["ciphertext"][-7:]
    )
    tampered.write_text(json.dumps({**sealed, "ciphertext": flipped}))
    assert cli(target, "backup", "restore", str(tampered)).exit_code == ExitCode.CORRUPT_OR_UNKNOWN
    header_changed = tmp_path / "header.backup"
    header_changed.write_text(json.dumps({**sealed, "created_at": 1}))
    assert cli(target, "backup", "restore", str(header_changed)).exit_code == 5
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(backup.read_bytes()[:200])
    assert cli(target, "backup", "restore", str(truncated)).exit_code == 5
    assert cli(target, "backup", "restore", str(tmp_path / "none")).exit_code == 5
    assert not target.exists()

    before = _tree(home)
    over = cli(home, "backup", "restore", str(backup))
    assert over.exit_code == ExitCode.USAGE and "nothing was changed" in over.stderr
    assert _tree(home) == before

    restored = cli(target, "backup", "restore", str(backup), "--json")
    assert restored.exit_code == 0, restored.output
    assert json_out(restored)["identities"] == ["personal"]
    assert _tree(target) == {k: v for k, v in before.items() if not k.startswith("qr-cache")}
    assert Wallet(target).unlock(PASSPHRASE).address == made["address"]
    assert Wallet(target).config()["trusted_bundle_signers"] == [signer.lower()]


def test_backup_content_is_checked_before_anything_is_written(
    tmp_path: Path, words: list[str]
) -> None:
    from wallet import backup as backup_module

    home = tmp_path / "w"
    make_wallet(home, words)
    (home / "keys" / "personal.json").write_text(
        json.dumps(
            {**json.loads((home / "keys" / "personal.json").read_text()), "address": "00" * 20}
        )
    )
    data = backup_module.create_backup(home, BACKUP_PASSPHRASE)
    target = tmp_path / "restored"
    path = tmp_path / "mismatch.backup"
    path.write_bytes(data)
    mismatch = cli(target, "backup", "restore", str(path))
    assert mismatch.exit_code == ExitCode.CORRUPT_OR_UNKNOWN and not target.exists()
    assert "key of 'personal' does not match" in mismatch.stderr


def test_a_wallet_of_the_first_layout_reads_as_one_identity(tmp_path: Path) -> None:
    home = tmp_path / "old"
    account = Account.create()
    (home / "keys").mkdir(parents=True)
    (home / "keys" / "holder.json").write_text(
        json.dumps(Account.encrypt(account.key, PASSPHRASE, kdf="scrypt", iterations=16))
    )
    did = f"did:ethr:0xcb5e:{account.address.lower()}"
    (home / "wallet.json").write_text(
        json.dumps(
            {
                "chain_id": 52062,
                "address": account.address,
                "did": did,
                "trusted_bundle_signers": [],
            }
        )
    )
    assert cli(home, "did").stdout.strip() == did
    assert Wallet(home).unlock(PASSPHRASE).address == account.address
    assert (
        json_out(cli(home, "identity", "list", "--json"))["identities"][0]["identity"] == "holder"
    )


def _commands(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, typer.core.TyperGroup):
            found.extend(_commands(command, (*prefix, name)))
    return found


def test_every_command_has_help_with_the_exit_codes() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    commands = _commands(root)
    assert {("init",), ("identity", "export"), ("backup", "restore"), ("verify",)} <= set(commands)
    for path in [(), *commands]:
        result = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        assert "4 wrong passphrase" in result.stdout and "5 corrupt file" in result.stdout, path


def test_no_secret_in_clear_in_the_wallet_folder_or_the_output(
    tmp_path: Path, words: list[str]
) -> None:
    from tests.secrets_scan import Secrets, all_files, leaks

    home = tmp_path / "w"
    outputs = [cli(home, "init", input=answers(words))]
    shown_once = outputs[0].stdout
    account = Wallet(home).unlock(PASSPHRASE)
    outputs.append(cli(home, "add", _credential_for(Wallet(home).did)))
    outputs.append(cli(home, "list", "--json"))
    outputs.append(cli(home, "identity", "export", "--out", str(tmp_path / "key.json")))
    outputs.append(cli(home, "backup", "create", str(tmp_path / "all.backup")))
    outputs.append(cli(tmp_path / "restored", "backup", "restore", str(tmp_path / "all.backup")))
    assert all(o.exit_code == 0 for o in outputs), [o.output for o in outputs]
    secrets = Secrets([bytes(account.key)], [" ".join(words)], [PASSPHRASE, BACKUP_PASSPHRASE])
    files = [
        *all_files(home, tmp_path / "restored"),
        tmp_path / "key.json",
        tmp_path / "all.backup",
    ]
    assert leaks(secrets, files=files, texts=[o.output for o in outputs[1:]]) == []
    # The words were shown once, in the init command's own output, and nowhere else.
    assert leaks(secrets, texts=[shown_once]) == ["mnemonic in output #0"] * 9


def test_a_rotated_key_keeps_the_did_and_restores_with_it(tmp_path: Path, words: list[str]) -> None:
    home = tmp_path / "w"
    made = make_wallet(home, words)
    wallet = Wallet(home)
    successor = new_mnemonic()
    account = Account.from_mnemonic(successor)
    assert wallet.book.next_key(PASSPHRASE, "personal") is None
    wallet.book.store_next_key(account, PASSPHRASE, "personal")
    waiting = wallet.book.next_key(PASSPHRASE, "personal")
    assert waiting is not None and waiting.address == account.address
    rotated = wallet.book.complete_rotation("personal", account.address)
    assert rotated.did == made["did"] and rotated.address == account.address
    assert wallet.unlock(PASSPHRASE).address == account.address
    assert not (home / "keys" / "next" / "personal.json").exists()
    # The new words restore the identity only together with its DID.
    plain = cli(tmp_path / "a", "restore", "--json", input=successor + "\n")
    assert json_out(plain)["did"] != made["did"]
    with_did = cli(
        tmp_path / "b", "restore", "--did", str(made["did"]), "--json", input=successor + "\n"
    )
    assert json_out(with_did)["did"] == made["did"]
    other_chain = cli(
        tmp_path / "c",
        "restore",
        "--did",
        "did:ethr:0x1:" + "0x" + "ab" * 20,
        input=successor + "\n",
    )
    assert other_chain.exit_code == ExitCode.USAGE


def test_city_commands_refuse_clearly_without_a_session_or_a_city(
    tmp_path: Path, words: list[str]
) -> None:
    home = tmp_path / "w"
    make_wallet(home, words)
    for command in (["requests"], ["request", "RESIDENT_PARKING"], ["rotate"], ["logout"]):
        refused = cli(home, *command)
        assert refused.exit_code == ExitCode.USAGE, (command, refused.output)
        assert (
            "city-wallet login" in refused.stderr and "nicht (mehr) bei der Stadt" in refused.stderr
        )
    garbage = cli(home, "receive", "openid-credential-offer://?credential_offer=%7B%7D")
    assert (
        garbage.exit_code == ExitCode.CORRUPT_OR_UNKNOWN
        and "kein gültiges Angebot" in garbage.stderr
    )
    unreachable = cli(home, "login", "--api", "http://127.0.0.1:9")  # nothing listens there
    assert unreachable.exit_code == ExitCode.USAGE and "nicht erreichbar" in unreachable.stderr
    assert not (home / "sessions").exists()
