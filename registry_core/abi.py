"""ABI encoding and decoding for one contract: calls, results, custom errors and events.

Selectors are computed once per contract, so hot paths only pay for ``eth_abi`` encoding. Events
whose values are all one-word static types (``bytes32``, ``uintN``, ``address``, ``bool``, ...)
are decoded by slicing words, 10-30x faster than ``eth_abi`` (indexers decode every log of the
chain); others go through ``eth_abi``. A test checks that both give the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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


@lru_cache(maxsize=65536)
def _address_of_word(word: bytes) -> str:
    """EIP-55 address of a 32-byte ABI word (cached: the same accounts recur in every log)."""
    return str(to_checksum_address(word[12:]))


def _word_decoder(kind: str) -> Callable[[bytes], Any] | None:
    """A decoder of one 32-byte ABI word of ``kind``, or None if ``kind`` is not a one-word type."""
    if kind == "address":
        return _address_of_word
    if kind == "bool":
        return lambda word: word[31] != 0
    if kind.startswith("uint") and kind[4:].isdigit():
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("int") and kind[3:].isdigit():
        return lambda word: int.from_bytes(word, "big", signed=True)
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        return lambda word: word[:size]
    return None


@dataclass(frozen=True)
class _EventPlan:
    """How to decode one event: per input, its name, whether indexed, and its word decoder."""

    entry: AbiEntry
    names: tuple[str, ...]
    indexed: tuple[bool, ...]
    kinds: tuple[str, ...]
    words: tuple[Callable[[bytes], Any] | None, ...]
    data_is_static: bool  # every non-indexed input is one word: decode data by slicing
    data_words: int  # number of non-indexed inputs

    @classmethod
    def of(cls, entry: AbiEntry) -> _EventPlan:
        inputs = entry.get("inputs", [])
        kinds = tuple(_type_of(p) for p in inputs)
        indexed = tuple(bool(p.get("indexed")) for p in inputs)
        words = tuple(_word_decoder(kind) for kind in kinds)
        static = all(word is not None for word, ix in zip(words, indexed, strict=True) if not ix)
        names = tuple(p["name"] for p in inputs)
        return cls(entry, names, indexed, kinds, words, static, indexed.count(False))


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
class DecodedCall:
    """A transaction's calldata decoded into the function it calls and its named arguments."""

    name: str
    args: dict[str, Any]


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
        self._events: dict[str, _EventPlan] = {}
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
                topic = "0x" + keccak(text=signature(entry)).hex()
                self._events[topic] = _EventPlan.of(entry)

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

    def encode_deploy(self, bytecode: bytes, *args: Any) -> bytes:
        """Creation code followed by the ABI-encoded constructor arguments."""
        constructor = next((e for e in self.abi if e.get("type") == "constructor"), None)
        types = [_type_of(p) for p in constructor["inputs"]] if constructor else []
        return bytecode + encode(types, list(args))

    def decode_call(self, data: bytes) -> DecodedCall | None:
        """Decode calldata into the function it calls (None if no function of this ABI fits it)."""
        entry = self._by_selector.get(data[:4])
        if entry is None:
            return None
        params = entry.get("inputs", [])
        try:
            values = _decode([_type_of(p) for p in params], data[4:])
        except DecodingError:
            return None  # the selector matches but the arguments are not this function's
        return DecodedCall(
            entry["name"], {p["name"]: v for p, v in zip(params, values, strict=True)}
        )

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

    def event_topics(self) -> dict[str, str]:
        """Event name -> topic 0 (``0x``-hex keccak of its signature), e.g. for log filters."""
        return {plan.entry["name"]: topic for topic, plan in self._events.items()}

    def decode_log(self, log: dict[str, Any]) -> DecodedEvent | None:
        """Decode one ``eth_getLogs`` entry of this contract (None if not one of its events)."""
        topics: list[str] = log.get("topics") or []
        if not topics:
            return None
        plan = self._events.get(topics[0].lower())
        if plan is None:
            return None
        data = bytes.fromhex(log.get("data", "0x")[2:])
        sliced = plan.data_is_static and len(data) >= 32 * plan.data_words
        if sliced:
            plain_values: Sequence[Any] = ()
        else:  # dynamic values, or data too short (eth_abi then says what is wrong)
            plain = [kind for kind, ix in zip(plan.kinds, plan.indexed, strict=True) if not ix]
            plain_values = _decode(plain, data)
        args: dict[str, Any] = {}
        topic_at, word_at, plain_at = 1, 0, 0
        for name, indexed, word in zip(plan.names, plan.indexed, plan.words, strict=True):
            if indexed:
                if topic_at >= len(topics):
                    return None  # fewer topics than the ABI has indexed inputs: not this event
                topic = bytes.fromhex(topics[topic_at][2:])
                topic_at += 1
                # Dynamic indexed values (string, bytes, arrays, structs) are stored as their hash.
                args[name] = word(topic) if word is not None else topic
            elif sliced:
                assert word is not None  # data_is_static: every non-indexed input has one
                args[name] = word(data[word_at : word_at + 32])
                word_at += 32
            else:
                args[name] = plain_values[plain_at]
                plain_at += 1
        return DecodedEvent(plan.entry["name"], args, log)
