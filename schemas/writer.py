"""Avro binary straight from a validated model, by a writer compiled once per event schema.

fastavro writes dicts: the producer SDK used to dump each model (``model_dump``) and fastavro then
turned every UUID, timestamp and date of the dump back into Avro values while writing, about
18 µs an event. A writer compiled from the event's schema reads the model's attributes and writes
the bytes itself, with each field's conversion chosen once from the schema (about 9 µs).

The compiled writer only takes the values a validated model holds (``uuid.UUID``, aware
``datetime``, symbols of the enum, …) and raises on anything else; ``Codec.encode_model`` then
lets fastavro write the event from its dump, so the bytes, and the errors, stay fastavro's. A
schema that uses a construct the compiler does not know (a map, a float, a union of two
non-null types, …) gets no compiled writer: its events go through fastavro. The tests check the
bytes against fastavro's for every event type of the catalogue.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
import uuid
from collections.abc import Callable
from typing import Any

Writer = Callable[[bytes, Any], bytes]
"""``writer(prefix, model)``: ``prefix`` (the Confluent frame) followed by the model's Avro."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_MICROSECOND = dt.timedelta(microseconds=1)
_MILLISECOND = dt.timedelta(milliseconds=1)
_LONG = (-(2**63), 2**63 - 1)
_INT = (-(2**31), 2**31 - 1)


# Text of recent UUIDs: a case's id, its subjects' and the event each event answers recur from
# event to event, and ``str(uuid)`` is Python code (~0.5 µs).
_UUID_ASCII: dict[int, bytes] = {}
_UUID_ASCII_SIZE = 4096


def uuid_ascii(value: uuid.UUID) -> bytes:
    """``str(value).encode()``, remembered for the next events."""
    text = _UUID_ASCII.get(value.int)
    if text is None:
        if len(_UUID_ASCII) >= _UUID_ASCII_SIZE:
            _UUID_ASCII.clear()
        text = _UUID_ASCII[value.int] = str(value).encode()
    return text


class Unsupported(Exception):
    """The schema uses something the compiler does not write; fastavro will."""


def write_long(out: bytearray, n: int, low: int = _LONG[0], high: int = _LONG[1]) -> None:
    """Avro's zig-zag varint; out of range raises, and fastavro gets to say why."""
    if not low <= n <= high:
        raise OverflowError(f"{n} is out of range")
    n = (n << 1) ^ (n >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def compile_writer(schema: dict[str, Any]) -> Writer | None:
    """A writer for models of the record ``schema`` (its self-contained JSON form), or None."""
    try:
        return _Compiler().record_writer(schema)
    except Unsupported:
        return None


class _Compiler:
    """Generates the source of one function that writes a record, field by field, in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.named: dict[str, tuple[dict[str, Any], str | None]] = {}
        self.constants: dict[str, Any] = {
            "write_long": write_long,
            "UUID": uuid.UUID,
            "UUID_ASCII": _UUID_ASCII,
            "uuid_ascii": uuid_ascii,
            "DATE": dt.date,
            "EPOCH": _EPOCH,
            "EPOCH_ORDINAL": _EPOCH_ORDINAL,
            "MICROSECOND": _MICROSECOND,
            "MILLISECOND": _MILLISECOND,
            "INT_LOW": _INT[0],
            "INT_HIGH": _INT[1],
        }
        self.counter = 0

    def record_writer(self, schema: dict[str, Any]) -> Writer:
        if schema.get("type") != "record":
            raise Unsupported("not a record")
        self.emit(0, "def write(prefix, model):")
        self.emit(1, "out = bytearray(prefix)")
        self.emit(1, "append = out.append")
        self.emit(1, "extend = out.extend")
        self.value(schema, None, "model", 1)
        self.emit(1, "return bytes(out)")
        namespace = dict(self.constants)
        code = compile("\n".join(self.lines), f"<avro writer of {schema.get('name')}>", "exec")
        exec(code, namespace)  # the source above, from names that matched _NAME
        writer: Writer = namespace["write"]
        return writer

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def value(self, schema: Any, namespace: str | None, var: str, indent: int) -> None:
        """Lines writing the value held in ``var`` as ``schema``."""
        if isinstance(schema, list):
            self.union(schema, namespace, var, indent)
            return
        if isinstance(schema, str):
            if schema in self.named or _full(schema, namespace) in self.named:
                found, namespace = self.named.get(schema) or self.named[_full(schema, namespace)]
                self.value(found, namespace, var, indent)
                return
            self.primitive(schema, None, var, indent)
            return
        kind = schema.get("type")
        if isinstance(kind, (list, dict)):
            self.value(kind, namespace, var, indent)
        elif kind in {"record", "enum"}:
            namespace = self.define(schema, namespace)
            if kind == "record":
                self.fields(schema, namespace, var, indent)
            else:
                self.enum(schema, var, indent)
        elif kind == "array":
            self.array(schema, namespace, var, indent)
        elif isinstance(kind, str):
            self.primitive(kind, schema.get("logicalType"), var, indent)
        else:
            raise Unsupported(f"type {kind!r}")

    def define(self, schema: dict[str, Any], namespace: str | None) -> str | None:
        name = schema.get("name", "")
        if not isinstance(name, str) or not all(_NAME.match(p) for p in name.split(".")):
            raise Unsupported(f"name {name!r}")
        namespace = (
            schema.get("namespace", namespace) if "." not in name else name.rsplit(".", 1)[0]
        )
        self.named[_full(name, namespace)] = (schema, namespace)
        return namespace

    def fields(self, schema: dict[str, Any], namespace: str | None, var: str, indent: int) -> None:
        for field in schema["fields"]:
            name = field["name"]
            if not _NAME.match(name):
                raise Unsupported(f"field name {name!r}")
            value = self.fresh("v")
            read = f"getattr({var}, {name!r})" if keyword.iskeyword(name) else f"{var}.{name}"
            self.emit(indent, f"{value} = {read}")
            self.value(field["type"], namespace, value, indent)

    def enum(self, schema: dict[str, Any], var: str, indent: int) -> None:
        symbols = self.fresh("SYMBOLS")
        self.constants[symbols] = {symbol: n for n, symbol in enumerate(schema["symbols"])}
        if len(schema["symbols"]) <= 64:  # every index is one byte
            self.emit(indent, f"append({symbols}[{var}] << 1)")
        else:
            self.emit(indent, f"write_long(out, {symbols}[{var}])")

    def array(self, schema: dict[str, Any], namespace: str | None, var: str, indent: int) -> None:
        item = self.fresh("item")
        self.emit(indent, f"if {var}.__class__ is not list: raise TypeError")
        self.emit(indent, f"if {var}:")  # one block of every item, then the empty block
        self.emit(indent + 1, f"write_long(out, len({var}))")
        self.emit(indent + 1, f"for {item} in {var}:")
        self.value(schema["items"], namespace, item, indent + 2)
        self.emit(indent, "append(0)")

    def union(self, branches: list[Any], namespace: str | None, var: str, indent: int) -> None:
        if len(branches) != 2 or "null" not in branches:
            raise Unsupported("a union other than null or one type")
        null = branches.index("null")
        self.emit(indent, f"if {var} is None: append({null << 1})")
        self.emit(indent, "else:")
        self.emit(indent + 1, f"append({(1 - null) << 1})")
        self.value(branches[1 - null], namespace, var, indent + 1)

    def primitive(self, kind: str, logical: str | None, var: str, indent: int) -> None:
        emit = self.emit
        if (kind, logical) == ("string", "uuid"):
            text = self.fresh("text")
            emit(indent, f"if {var}.__class__ is not UUID: raise TypeError")
            emit(indent, f"{text} = UUID_ASCII.get({var}.int) or uuid_ascii({var})")
            emit(indent, "append(72)")  # 36 characters
            emit(indent, f"extend({text})")
        elif (kind, logical) == ("long", "timestamp-micros"):
            emit(indent, f"write_long(out, ({var} - EPOCH) // MICROSECOND)")
        elif (kind, logical) == ("long", "timestamp-millis"):
            emit(indent, f"write_long(out, ({var} - EPOCH) // MILLISECOND)")
        elif (kind, logical) == ("int", "date"):
            emit(indent, f"if {var}.__class__ is not DATE: raise TypeError")
            emit(indent, f"write_long(out, {var}.toordinal() - EPOCH_ORDINAL, INT_LOW, INT_HIGH)")
        elif logical is not None:
            raise Unsupported(f"logical type {logical!r}")
        elif kind == "string":
            data = self.fresh("data")
            emit(indent, f"{data} = {var}.encode()")
            emit(indent, f"if len({data}) < 64: append(len({data}) << 1)")
            emit(indent, f"else: write_long(out, len({data}))")
            emit(indent, f"extend({data})")
        elif kind == "bytes":
            emit(indent, f"if {var}.__class__ is not bytes: raise TypeError")
            emit(indent, f"write_long(out, len({var}))")
            emit(indent, f"extend({var})")
        elif kind in {"long", "int"}:
            emit(indent, f"if {var}.__class__ is not int: raise TypeError")
            bounds = ", INT_LOW, INT_HIGH" if kind == "int" else ""
            emit(indent, f"write_long(out, {var}{bounds})")
        elif kind == "boolean":
            emit(indent, f"if {var} is True: append(1)")
            emit(indent, f"elif {var} is False: append(0)")
            emit(indent, "else: raise TypeError")
        elif kind == "null":
            emit(indent, f"if {var} is not None: raise TypeError")
        else:
            raise Unsupported(f"type {kind!r}")


def _full(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"
