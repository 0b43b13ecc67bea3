"""What a council decision is: an :class:`Intent` (one kind of decision, its parameters in plain
terms and its German and English text) and a :class:`Decision` (an intent with its arguments),
built into a call from the deployment manifest. The catalogue of intents is
:mod:`registry_core.council.intents`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from eth_utils.address import is_address, to_checksum_address

from registry_core.codes import bytes32_to_code, code_to_bytes32
from registry_core.council.plain import Language, parse_time, plain_value
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest

ParamKind = Literal["code", "address", "text", "count", "time", "hash"]

# A read of the chain that an intent's "already in effect" check may ask:
# view(contract name, function, *arguments) -> the decoded answer.
View = Callable[..., Any]


class CouncilIntentError(RegistryCoreError):
    """Arguments that do not fit an intent, or calldata that is no known council decision."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    help: str = ""
    # What a zero time means here, German and English ("sofort" / "now", "offen" / "open").
    zero: tuple[str, str] = ("0", "0")
    # On a command line: an option of this name (default 0) instead of a positional argument.
    flag: str = ""
    # Whether plain text may add the department's name to this code (not for one being created).
    named: bool = True


def _to_abi(kind: ParamKind, value: Any) -> Any:
    if kind == "code":
        return code_to_bytes32(str(value))
    if kind == "address":
        if not isinstance(value, str) or not is_address(value):
            raise ValueError(f"{value!r} is not an address")
        return to_checksum_address(value)
    if kind == "hash":
        raw = value if isinstance(value, bytes) else bytes.fromhex(str(value).removeprefix("0x"))
        if len(raw) != 32:
            raise ValueError(f"{value!r} is not a 32-byte hash")
        return raw
    if kind == "time" and isinstance(value, str) and not value.strip().isdigit():
        return parse_time(value)
    if kind in ("count", "time"):
        number = int(value)
        if number < 0:
            raise ValueError(f"{value!r} is negative")
        return number
    return str(value)


def _from_abi(kind: ParamKind, value: Any) -> Any:
    if kind == "code":
        return bytes32_to_code(bytes(value))
    if kind == "hash":
        return "0x" + bytes(value).hex()
    if kind in ("count", "time"):
        return int(value)
    return value if kind == "address" else str(value)


@dataclass(frozen=True)
class CallShape:
    """How an intent's flat argument list (its params, then its fixed values) becomes the
    function's arguments (e.g. a struct, or a leading constant) and back."""

    pack: Callable[[list[Any]], list[Any]]
    # The flat list back from the decoded arguments; None when they are not of this shape.
    unpack: Callable[[tuple[Any, ...]], tuple[Any, ...] | None]


@dataclass(frozen=True)
class Intent:
    """One kind of council decision: ``contract.function(*params, *fixed)``, or that flat list
    in the function's own ``shape``."""

    name: str
    contract: str  # the contract's name in the deployment manifest
    function: str
    params: tuple[Param, ...]
    text_de: str  # str.format template over the parameter names
    text_en: str
    fixed: tuple[Any, ...] = ()  # trailing arguments the intent sets itself
    in_effect: Callable[[View, Mapping[str, Any]], bool] | None = field(default=None, repr=False)
    shape: CallShape | None = field(default=None, repr=False)

    def decide(self, **args: Any) -> Decision:
        """The decision with these arguments (values as people write them: codes, addresses)."""
        names = [p.name for p in self.params]
        if sorted(args) != sorted(names):
            raise CouncilIntentError(
                f"{self.name} takes {', '.join(names) or 'no arguments'}; got {', '.join(args)}"
            )
        values: dict[str, Any] = {}
        for param in self.params:
            try:
                _to_abi(param.kind, args[param.name])
            except (ValueError, TypeError) as exc:
                raise CouncilIntentError(f"{self.name}: {param.name}: {exc}") from exc
            values[param.name] = _normalised(param.kind, args[param.name])
        return Decision(self, values)

    def parse(self, texts: Sequence[str]) -> Decision:
        """The decision from positional strings (a command line's arguments), in param order."""
        if len(texts) != len(self.params):
            usage = " ".join(f"<{p.name}>" for p in self.params)
            raise CouncilIntentError(f"usage: {self.name} {usage}".rstrip())
        return self.decide(**{p.name: text for p, text in zip(self.params, texts, strict=True)})


def _normalised(kind: ParamKind, value: Any) -> Any:
    return _from_abi(kind, _to_abi(kind, value))


@dataclass(frozen=True)
class Decision:
    """An intent with its arguments: what one council proposal does."""

    intent: Intent
    args: dict[str, Any]

    def abi_args(self) -> list[Any]:
        values = [_to_abi(p.kind, self.args[p.name]) for p in self.intent.params]
        flat = [*values, *self.intent.fixed]
        return self.intent.shape.pack(flat) if self.intent.shape else flat

    def call(self, manifest: DeploymentManifest) -> tuple[str, bytes]:
        """Target address and calldata of the call the council makes."""
        contract = manifest.contract(self.intent.contract)
        return contract.address, contract.interface.encode_call(
            self.intent.function, *self.abi_args()
        )

    def describe(self, language: Language = "en", names: Mapping[str, str] | None = None) -> str:
        """The decision in plain words: times as dates, zero times as what they mean, and (with
        ``names``: department code -> name) the names of the departments it concerns."""
        template = self.intent.text_de if language == "de" else self.intent.text_en
        values = {
            p.name: plain_value(
                p.kind, self.args[p.name], language, zero=p.zero, names=names if p.named else None
            )
            for p in self.intent.params
        }
        return template.format(**values)

    def description(self) -> str:
        """German and English, as the proposal's on-chain description (auditors read it)."""
        return f"{self.describe('de')} / {self.describe('en')}"

    def in_effect(self, view: View) -> bool:
        """Whether the chain shows this decision in effect already (False if it cannot tell)."""
        check = self.intent.in_effect
        return check is not None and bool(check(view, self.args))
