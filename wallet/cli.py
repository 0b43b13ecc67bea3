"""``city-wallet``: the citizen's wallet on the command line.

    city-wallet init                      new key from a BIP-39 mnemonic (shown once)
    city-wallet restore                   restore the key from the mnemonic (read from stdin)
    city-wallet did                       the holder's did:ethr
    city-wallet add FILE|-                store a received credential (JWT, envelope or CRV1: payload)
    city-wallet list                      stored credentials
    city-wallet qr ID --out FILE.png|svg  the credential as QR code (prints version and modules)
    city-wallet present ID --aud A --nonce N   a presentation (VP-JWT) for a verifier
    city-wallet trust pin 0xSIGNER        trust bundles signed by this key (the city publishes it)
    city-wallet trust import FILE         import a trust bundle for offline verification
    city-wallet verify PAYLOAD|@FILE|--image FILE   verify offline against the trust bundle

The passphrase comes from ``CITY_WALLET_PASSPHRASE`` or is asked for; the wallet lives in
``--home`` (default ``$CITY_WALLET_HOME`` or ``~/.city-wallet``). ``verify`` exits 0 if the
credential is valid, 1 if not, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from wallet.core import Wallet, WalletError, describe_age


def _passphrase(confirm: bool = False) -> str:
    value = os.environ.get("CITY_WALLET_PASSPHRASE")
    if value:
        return value
    first = getpass.getpass("Passphrase: ")
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise WalletError("the passphrases differ")
    return first


def _read(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        return Path(argument[1:]).read_text(encoding="utf-8")
    path = Path(argument)
    if len(argument) < 256 and path.exists():
        return path.read_text(encoding="utf-8")
    return argument


def _decode_image(path: Path) -> str:
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        image.load()
    except (OSError, UnidentifiedImageError):
        raise WalletError(f"{path} is not an image") from None
    results = zxingcpp.read_barcodes(image)
    if not results:
        raise WalletError(f"no QR code found in {path}")
    return str(results[0].text)


def _print_result(result_json: dict[str, object], age: tuple[str, str] | None) -> None:
    verdict = "GÜLTIG / VALID" if result_json["valid"] else "UNGÜLTIG / INVALID"
    print(verdict)
    for check in result_json["checks"]:  # type: ignore[attr-defined]
        mark = {"passed": "✔", "failed": "✘", "skipped": "-", "unavailable": "?"}[check["status"]]
        print(f"  {mark} {check['name']:<13} {check['reason_de']} / {check['reason_en']}")
    if age is not None:
        print(
            f"  Stand des Vertrauenspakets: vor {age[0]} / trust bundle knowledge is {age[1]} old"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="city-wallet", description="The city's citizen wallet.")
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(os.environ.get("CITY_WALLET_HOME", Path.home() / ".city-wallet")),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a key from a new BIP-39 mnemonic")
    init.add_argument("--words", type=int, choices=(12, 24), default=12)
    init.add_argument("--chain-id", type=int, default=52062)
    restore = commands.add_parser("restore", help="restore the key from a mnemonic on stdin")
    restore.add_argument("--chain-id", type=int, default=52062)
    commands.add_parser("did", help="print the holder's DID")
    add = commands.add_parser("add", help="store a credential")
    add.add_argument("source", help="file, '-' for stdin, or the text itself")
    commands.add_parser("list", help="list stored credentials")
    qr = commands.add_parser("qr", help="render a credential as QR code")
    qr.add_argument("id")
    qr.add_argument("--out", type=Path, required=True)
    present = commands.add_parser("present", help="make a presentation for a verifier")
    present.add_argument("id")
    present.add_argument("--aud", required=True)
    present.add_argument("--nonce", required=True)
    trust = commands.add_parser("trust", help="trust bundles for offline verification")
    trust_commands = trust.add_subparsers(dest="trust_command", required=True)
    pin = trust_commands.add_parser("pin")
    pin.add_argument("signer")
    imp = trust_commands.add_parser("import")
    imp.add_argument("file", type=Path)
    check = commands.add_parser("verify", help="verify a credential offline")
    check.add_argument("payload", nargs="?", help="CRV1: payload, JWT, @FILE or '-'")
    check.add_argument("--image", type=Path, help="a photo or screenshot of the QR code")
    check.add_argument("--presentation", help="VP-JWT (or @FILE) for the holder check")
    check.add_argument("--aud")
    check.add_argument("--nonce")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    wallet = Wallet(args.home)
    if args.command == "init":
        mnemonic = wallet.create(
            _passphrase(confirm=True), chain_id=args.chain_id, words=args.words
        )
        print("Write these words down; they restore your wallet (shown only now):")
        print(f"  {mnemonic}")
        print(wallet.did)
    elif args.command == "restore":
        wallet.restore(sys.stdin.readline(), _passphrase(confirm=True), chain_id=args.chain_id)
        print(wallet.did)
    elif args.command == "did":
        print(wallet.did)
    elif args.command == "add":
        stored = wallet.add_credential(_read(args.source))
        print(f"{stored.id} {stored.type} from {stored.issuer}")
    elif args.command == "list":
        for c in wallet.credentials():
            print(f"{c.id[:18]}  {c.type:<32} valid until {c.valid_until}  {c.issuer}")
    elif args.command == "qr":
        image = wallet.qr_image(args.id, "svg" if args.out.suffix == ".svg" else "png")
        args.out.write_bytes(image)
        info = wallet.qr_info(args.id)
        print(
            f"{args.out}: QR version {info['version']}, {info['modules']}x{info['modules']} modules, EC M"
        )
    elif args.command == "present":
        print(
            wallet.present(args.id, passphrase=_passphrase(), audience=args.aud, nonce=args.nonce)
        )
    elif args.command == "trust":
        if args.trust_command == "pin":
            wallet.pin_bundle_signer(args.signer)
            print(f"trusting trust bundles signed by {args.signer}")
        else:
            bundle = wallet.import_bundle(json.loads(args.file.read_text(encoding="utf-8")))
            print(
                f"trust bundle of chain {bundle.chain_id} as of block {bundle.as_of_block} imported"
            )
    elif args.command == "verify":
        if args.image is not None:
            text = _decode_image(args.image)
        elif args.payload:
            text = _read(args.payload)
        else:
            raise WalletError("give a payload, @FILE, '-' or --image")
        presentation = _read(args.presentation).strip() if args.presentation else None
        result, bundle = wallet.verify_offline(
            text.strip(), presentation=presentation, audience=args.aud, nonce=args.nonce
        )
        body = result.to_json()
        age_seconds = bundle.age_seconds()
        body["trust_bundle_age_seconds"] = age_seconds
        if args.json:
            print(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            _print_result(body, describe_age(age_seconds))
        return 0 if result.valid else 1
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except WalletError as exc:
        print(f"city-wallet: {exc.detail}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"city-wallet: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
