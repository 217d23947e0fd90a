"""One rego-cpp interpreter holding the compiled policy: everything that touches regopy.

The policy is compiled once into a bundle with one entrypoint, `airlock/decision`; each
evaluation sets the input and runs that plan, about twice as fast as an ad-hoc query.
What rego-cpp 1.5.2 does that shapes this code:
- It builds a bundle whatever functions the policy calls: an unknown builtin makes a rule
  silently undefined (`net.cidr_contains`) or every evaluation an error. So calls are
  read from the source (`calls.py`) and unknown builtins refused before building.
- Input goes in as a node built call by call (`regoInput*`), which takes 0.09 ms where
  parsing the same input as JSON text (`set_input_term`) takes 0.22 ms. rego-cpp keeps
  strings in their JSON-escaped form, so each string is handed over escaped (regopy's
  `Input` does not, and then `a"b` no longer equals the same string in the policy); and it
  keeps about six decimals of a float given as a number, so a value with more, or too
  large to build, sends the whole input as JSON text instead.
- Evaluation cannot be interrupted; rego-cpp stops by itself only at its statement
  limit ("Maximum statement count reached"), which can take seconds.
- It writes compile errors to stdout (which may be the audit log) unless told not to.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Mapping

import orjson
from regopy import Bundle, Interpreter, LogLevel, NodeKind, RegoError
from regopy import rego_shared as _c

from gateway.errors import ConfigError, MissingBuiltinError, PolicyError
from gateway.models import Decision, JSONValue
from gateway.policy.base import DECISION_PACKAGE, DECISION_REF, DECISION_RULE, parse_decision
from gateway.policy.calls import scan_calls
from gateway.policy.files import PolicyFiles

ENTRYPOINT = f"{DECISION_PACKAGE}/{DECISION_RULE}"
_ERRORMSG = re.compile(r"\(errormsg \d+:([^\n]*)\)")


class _Unbuildable(Exception):
    """An input rego-cpp would not keep exactly as a built node (or refused to build)."""


def _refused(code: int, *_: object) -> int:
    if code:
        raise _Unbuildable
    return code


# The input builders hold the GIL: each call takes a microsecond, and ~60 of them
# releasing and retaking it would queue behind the event loop's thread every time.
_lib = ctypes.PyDLL(_c.rego._name)
_lib.regoNewInput.argtypes = []
_lib.regoNewInput.restype = ctypes.c_void_p
_lib.regoFreeInput.argtypes = [ctypes.c_void_p]
_lib.regoFreeInput.restype = None
for _name, _value in {
    "regoInputString": ctypes.c_char_p,
    "regoInputInt": ctypes.c_int64,
    "regoInputFloat": ctypes.c_double,
    "regoInputBoolean": ctypes.c_bool,
    "regoInputObject": ctypes.c_uint32,  # the item count
    "regoInputArray": ctypes.c_uint32,
    "regoInputNull": None,
    "regoInputObjectItem": None,
}.items():
    _builder = getattr(_lib, _name)
    _builder.argtypes = [ctypes.c_void_p] + ([_value] if _value else [])
    _builder.restype = ctypes.c_uint32
    _builder.errcheck = _refused
_INT64 = range(-(2**63), 2**63)
_FLOAT_LIMIT = 1e9  # rego-cpp gives back every float below this with six decimals unchanged


def refuse_unknown_functions(modules: Mapping[str, str]) -> None:
    """`MissingBuiltinError` for builtins rego-cpp lacks; `ConfigError` for undefined calls."""
    calls = scan_calls(modules)
    interpreter = Interpreter()
    missing = sorted(name for name in calls.builtins if not interpreter.is_builtin(name))
    if missing:
        raise MissingBuiltinError("embedded", missing)
    if calls.undefined:
        names = ", ".join(sorted(calls.undefined))
        raise ConfigError(f"policy calls functions no module defines: {names}")


class RegoWorker:
    """An interpreter with the compiled policy. Not thread-safe: one caller at a time."""

    def __init__(self, files: PolicyFiles) -> None:
        """Compile `files`; `ConfigError` if rego-cpp refuses them."""
        self._interpreter = Interpreter()
        self._interpreter.log_level = LogLevel.NONE
        try:
            for name, text in files.modules.items():
                self._interpreter.add_module(name, text)
            self._interpreter.add_data_json(orjson.dumps(files.data).decode())
            self._bundle: Bundle = self._interpreter.build(None, [ENTRYPOINT])
        except RegoError as exc:
            raise ConfigError(
                f"embedded engine cannot compile the policy: {_summary(exc)}"
            ) from exc
        if not self._bundle.ok():
            raise ConfigError("embedded engine cannot compile the policy (rego-cpp gave no reason)")

    def decide(self, value: JSONValue) -> Decision:
        """Evaluate the decision for one input (parsed JSON); `PolicyError` on failure."""
        try:
            self._set_input(value)
            text = self._query()
        except RegoError as exc:
            raise PolicyError(f"embedded evaluation failed: {_summary(exc)}") from exc
        return parse_decision(_expression(text), "embedded")

    def _set_input(self, value: JSONValue) -> None:
        node = _lib.regoNewInput()
        try:
            _build(node, value)
        except _Unbuildable:
            self._interpreter.set_input_term(orjson.dumps(value).decode())
        else:
            _c.rego_set_input(self._interpreter._impl, node)
        finally:
            _lib.regoFreeInput(node)

    def _query(self) -> str:
        # regopy's `Output` parses the result with json.loads in its constructor: it
        # raises on an error result (leaking the C object) and parses every result twice.
        # So this one call uses regopy's C layer directly.
        output = _c.rego_bundle_query_entrypoint(
            self._interpreter._impl, self._bundle._impl, ENTRYPOINT
        )
        try:
            if not _c.rego_output_ok(output):
                reason = _node_errors(_c.rego_output_node(output))
                raise PolicyError(f"embedded evaluation failed: {reason}")
            return str(_c.rego_output_string(output))
        finally:
            _c.rego_free_output(output)


def _build(node: int, value: JSONValue) -> None:
    # the input as a node, value by value on the builder's stack (see the module docstring)
    kind = type(value)
    if kind is str:
        _lib.regoInputString(node, orjson.dumps(value)[1:-1])
    elif kind is dict:
        for key, item in value.items():
            _lib.regoInputString(node, orjson.dumps(key)[1:-1])
            _build(node, item)
            _lib.regoInputObjectItem(node)
        _lib.regoInputObject(node, len(value))
    elif kind is list:
        for item in value:
            _build(node, item)
        _lib.regoInputArray(node, len(value))
    elif value is None:
        _lib.regoInputNull(node)
    elif kind is bool:
        _lib.regoInputBoolean(node, value)
    elif kind is int and value in _INT64:
        _lib.regoInputInt(node, value)
    elif kind is float and abs(value) < _FLOAT_LIMIT and round(value, 6) == value:
        _lib.regoInputFloat(node, value)
    else:
        raise _Unbuildable


def _expression(text: str) -> object:
    if text == "undefined":
        raise PolicyError(f"embedded: {DECISION_REF} is undefined")
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise PolicyError(f"embedded evaluation failed: {_error_text(text)}") from None
    expressions = document.get("expressions") if isinstance(document, dict) else None
    if not isinstance(expressions, list) or len(expressions) != 1:
        raise PolicyError("embedded: rego-cpp returned an unexpected result shape")
    return expressions[0]


def _error_text(text: str) -> str:
    # The raw text can echo the input (which may hold secrets): only messages leave here.
    messages = _ERRORMSG.findall(text)
    if messages:
        return "; ".join(dict.fromkeys(messages))
    return "rego-cpp returned a result that is not valid JSON (a string built by a builtin?)"


def _summary(exc: RegoError) -> str:
    text = str(exc)
    messages = _ERRORMSG.findall(text)
    if messages:
        return "; ".join(dict.fromkeys(messages))
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else "rego-cpp gave no reason"


def _node_errors(node: object) -> str:
    messages: dict[str, None] = {}  # ordered and without repeats
    for i in range(_c.rego_node_size(node)):
        error = _c.rego_node_get(node, i)
        parts = {
            _c.rego_node_type(part): _c.rego_node_value(part)
            for j in range(_c.rego_node_size(error))
            if (part := _c.rego_node_get(error, j)) is not None
            and _c.rego_node_type(part) in (NodeKind.ErrorMessage, NodeKind.ErrorCode)
        }
        message = parts.get(NodeKind.ErrorMessage, "unknown error")
        code = parts.get(NodeKind.ErrorCode)
        messages[f"{message} ({code})" if code else message] = None
    return "; ".join(messages) or "rego-cpp reported an error without a message"
