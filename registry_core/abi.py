"""ABI encoding and decoding for one contract: calls, results, custom errors and events.

Selectors are computed once per contract, so hot paths only pay for ``eth_abi`` encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

AbiEntry = dict[str, Any]

# Solidity's built-in revert payloads: Error(string) and Panic(uint256).
_ERROR_STRING = keccak(text="Error(string)")[:4]
_PANIC = keccak(text="Panic(uint256)")[:4]


def _type_of(param: AbiEntry) -> str:
    """Canonical ABI type of a parameter, expanding tuples (structs)."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_type_of(component) for component in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _checksummed(kind: str, value: Any) -> Any:
    """eth_abi decodes addresses in lower case; the project shows EIP-55 checksummed ones."""
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("address[") and isinstance(value, tuple | list):
        return [to_checksum_address(item) for item in value]
    return value


def _decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    return tuple(
        _checksummed(kind, value) for kind, value in zip(types, decode(types, data), strict=True)
    )


def signature(entry: AbiEntry) -> str:
    """``name(type1,type2)`` as used for selectors and event topics."""
    return f"{entry['name']}({','.join(_type_of(p) for p in entry.get('inputs', []))})"


@dataclass(frozen=True)
class DecodedError:
    """A revert reason decoded from a contract's custom errors (or Error/Panic)."""

    name: str
    args: dict[str, Any]

    def __str__(self) -> str:
        rendered = ", ".join(f"{key}={_render(value)}" for key, value in self.args.items())
        return f"{self.name}({rendered})"


@dataclass(frozen=True)
class DecodedEvent:
    name: str
    args: dict[str, Any]
    log: dict[str, Any]


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


class ContractABI:
    """Encodes calls and decodes results, errors and logs for one ABI."""

    def __init__(self, abi: Sequence[AbiEntry]) -> None:
        self.abi = list(abi)
        self._functions: dict[str, AbiEntry] = {}
        self._errors: dict[bytes, AbiEntry] = {}
        self._events: dict[bytes, AbiEntry] = {}
        self._selectors: dict[str, bytes] = {}
        self._by_selector: dict[bytes, AbiEntry] = {}
        for entry in self.abi:
            kind = entry.get("type")
            if kind == "function":
                # Overloads are not used in this project's contracts; the first one wins.
                self._functions.setdefault(entry["name"], entry)
                selector = keccak(text=signature(entry))[:4]
                self._selectors.setdefault(entry["name"], selector)
                self._by_selector.setdefault(selector, entry)
            elif kind == "error":
                self._errors[keccak(text=signature(entry))[:4]] = entry
            elif kind == "event":
                self._events[keccak(text=signature(entry))] = entry

    def function(self, name: str) -> AbiEntry:
        try:
            return self._functions[name]
        except KeyError:
            raise KeyError(f"the ABI has no function {name!r}") from None

    def selector(self, name: str) -> bytes:
        """The function's 4-byte selector."""
        self.function(name)
        return self._selectors[name]

    def encode_call(self, name: str, *args: Any) -> bytes:
        entry = self.function(name)
        types = [_type_of(p) for p in entry["inputs"]]
        return self._selectors[name] + encode(types, list(args))

    def decode_call(self, data: bytes) -> tuple[str, tuple[Any, ...]]:
        """The function a calldata calls and its arguments (ValueError if it calls none)."""
        entry = self._by_selector.get(data[:4])
        if entry is None:
            raise ValueError(f"no function has selector 0x{data[:4].hex()}")
        try:
            return entry["name"], _decode([_type_of(p) for p in entry["inputs"]], data[4:])
        except DecodingError as exc:
            raise ValueError(f"the arguments of {entry['name']} cannot be decoded: {exc}") from exc

    def encode_deploy(self, bytecode: bytes, *args: Any) -> bytes:
        """Creation code followed by the ABI-encoded constructor arguments."""
        constructor = next((e for e in self.abi if e.get("type") == "constructor"), None)
        types = [_type_of(p) for p in constructor["inputs"]] if constructor else []
        return bytecode + encode(types, list(args))

    def decode_output(self, name: str, data: bytes) -> Any:
        """Decode a call's return data: one value as itself, several as a tuple."""
        types = [_type_of(p) for p in self.function(name)["outputs"]]
        values = _decode(types, data)
        return values[0] if len(values) == 1 else values

    def decode_error(self, data: bytes) -> DecodedError | None:
        """Decode revert data into the custom error (with named arguments) that produced it."""
        selector, body = data[:4], data[4:]
        if selector == _ERROR_STRING:
            return DecodedError("Error", {"message": decode(["string"], body)[0]})
        if selector == _PANIC:
            return DecodedError("Panic", {"code": decode(["uint256"], body)[0]})
        entry = self._errors.get(selector)
        if entry is None:
            return None
        params = entry.get("inputs", [])
        values = _decode([_type_of(p) for p in params], body)
        return DecodedError(
            entry["name"], {p["name"]: v for p, v in zip(params, values, strict=True)}
        )

    def decode_log(self, log: dict[str, Any]) -> DecodedEvent | None:
        """Decode one ``eth_getLogs`` entry of this contract (None if not one of its events)."""
        topics = [bytes.fromhex(t[2:]) for t in log.get("topics", [])]
        if not topics or topics[0] not in self._events:
            return None
        entry = self._events[topics[0]]
        indexed = [p for p in entry["inputs"] if p.get("indexed")]
        plain = [p for p in entry["inputs"] if not p.get("indexed")]
        args: dict[str, Any] = {}
        for param, topic in zip(indexed, topics[1:], strict=False):
            kind = _type_of(param)
            # Dynamic indexed values are stored as their hash only.
            dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
            args[param["name"]] = topic if dynamic else _decode([kind], topic)[0]
        data = bytes.fromhex(log.get("data", "0x")[2:])
        values = _decode([_type_of(p) for p in plain], data)
        args.update({p["name"]: v for p, v in zip(plain, values, strict=True)})
        ordered = {p["name"]: args[p["name"]] for p in entry["inputs"]}
        return DecodedEvent(entry["name"], ordered, log)
