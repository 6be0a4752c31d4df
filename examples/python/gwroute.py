# libgwroute - SPDX-License-Identifier: MIT
"""Python binding for libgwroute over its stable C ABI (ctypes, stdlib only).

    import gwroute
    with gwroute.Config.from_files("gateway.yaml") as cfg:
        for d in cfg.diagnostics:
            print(d)                        # FILE:LINE:COL: KIND NS/NAME: FIELD: msg
        table = cfg.compile(gateway="infra/edge")
    with gwroute.Router(table) as router:   # hot-swappable table
        table.close()                       # the router holds its own reference
        dec = router.match(method="GET", host="shop.example.com",
                           path="/cart?id=7", headers={"x-a": "1"}, id="r-1")
        if dec.result is gwroute.Result.FORWARD:
            print(dec.backend.name, dec.upstream.path)

The library is found through the GWROUTE_LIB environment variable (a path),
else ctypes.util.find_library("gwroute"), else the meson build directory
next to this file (build/lib/libgwroute.so.1).

Every object returned to Python (Diagnostic, Status, Decision...) is a plain
snapshot: it stays valid whatever happens to the C objects afterwards. The
objects that own C resources (Context, Config, Table, Router) have close(),
work as context managers, tolerate close() twice, and free themselves in
__del__ as a safety net.

The exchange engine (gwroute/engine.h) is Engine: host callbacks are
Python callables (or methods of a host object), see Engine and
docs/EMBEDDING.md "From Python and LuaJIT".

ABI: the size-versioned structs (gwr_allocator, gwr_io, gwr_request,
gwr_compile_opts) are declared here with the fields this binding knows
(gwr_io with its engine members, the rest with their v1 fields) and passed
with size = ctypes.sizeof(our struct): a newer library that appended fields
accepts them as an "older caller" (docs/ABI.md). Opaque handles are only
ever c_void_p.
"""

import ctypes
import ctypes.util
import enum
import os
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "GwrError", "ConfigError", "Context", "Config", "Table", "Router",
    "Request", "Decision", "Diagnostic", "Severity", "Result", "Format",
    "Status", "RouteStatus", "ParentStatus", "GatewayStatus", "ListenerStatus",
    "Condition", "Gateway", "ObjectRef", "RouteRef", "RuleRef", "Backend",
    "BackendTLS", "UpstreamRequest", "ResponseHeaders", "Mirror", "Timeouts",
    "Retry", "ExtensionRef", "load_library", "version", "version_num",
    "strerror", "supported_features", "sample_fraction", "fnv1a",
    "TrackingAllocator", "Engine", "EngineOption", "Upstream",
    "CallbackError", "NO_DEADLINE",
]

# ---- status codes and enums (values from include/gwroute/*.h) -------------

OK = 0
E_NOMEM = -1
E_INVAL = -2
E_PARSE = -3
E_CONFIG = -4
E_ABI = -5
E_CALLBACK = -6
E_STATE = -7
E_LIMIT = -8
E_NOT_FOUND = -9
E_RANGE = -10

_ERROR_NAMES = {
    OK: "GWR_OK", E_NOMEM: "GWR_E_NOMEM", E_INVAL: "GWR_E_INVAL",
    E_PARSE: "GWR_E_PARSE", E_CONFIG: "GWR_E_CONFIG", E_ABI: "GWR_E_ABI",
    E_CALLBACK: "GWR_E_CALLBACK", E_STATE: "GWR_E_STATE",
    E_LIMIT: "GWR_E_LIMIT", E_NOT_FOUND: "GWR_E_NOT_FOUND",
    E_RANGE: "GWR_E_RANGE",
}

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3

PATH_DECODE_UNRESERVED = 0x01
PATH_UPPERCASE_ESCAPES = 0x02
PATH_REMOVE_DOT_SEGMENTS = 0x04
PATH_MERGE_SLASHES = 0x08
PATH_REJECT_ENCODED_SLASH = 0x10
PATH_DECODE_ENCODED_SLASH = 0x20
PATH_REJECT_INVALID_ENCODING = 0x40
PATH_DEFAULT = (PATH_DECODE_UNRESERVED | PATH_UPPERCASE_ESCAPES |
                PATH_REMOVE_DOT_SEGMENTS | PATH_MERGE_SLASHES |
                PATH_REJECT_ENCODED_SLASH | PATH_REJECT_INVALID_ENCODING)

COMPILE_PATH_FLAGS = 0x01
COMPILE_NO_NORMALIZATION = 0x02
REQ_SEEDED = 0x01

HEADERS_SET, HEADERS_ADD, HEADERS_REMOVE = 0, 1, 2

CONTROLLER_NAME = "gwroute.dev/libgwroute"


class Format(enum.IntEnum):
    AUTO = 0
    YAML = 1
    JSON = 2


class Severity(enum.IntEnum):
    ERROR = 0
    WARNING = 1
    NOTE = 2


class Result(enum.IntEnum):
    NO_ROUTE = 0
    FORWARD = 1
    REDIRECT = 2
    RESPOND = 3

    @property
    def label(self) -> str:
        """The name used by `gwroute match` ("forward", "no_route"...)."""
        return self.name.lower()


_PROTOCOLS = {0: "http", 1: "h2c", 2: "ws", 3: "wss"}
_CONDITION_VALUES = {0: "True", 1: "False", 2: "Unknown"}


class GwrError(Exception):
    """A libgwroute call failed; .code is the negative gwr_status."""

    def __init__(self, code: int, what: str = "", detail: str = ""):
        self.code = code
        self.name = _ERROR_NAMES.get(code, str(code))
        msg = strerror(code) if _lib is not None else self.name
        text = "%s: %s (%s)" % (what, msg, self.name) if what else \
            "%s (%s)" % (msg, self.name)
        if detail:
            text += ": " + detail
        super().__init__(text)


class ConfigError(GwrError):
    """Loading rejected objects (check=True); .diagnostics lists why."""

    def __init__(self, code: int, what: str, diagnostics):
        self.diagnostics = list(diagnostics)
        errs = [str(d) for d in self.diagnostics
                if d.severity == Severity.ERROR]
        super().__init__(code, what, "; ".join(errs[:5]))


# ---- C declarations ---------------------------------------------------------

class _Str(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Header(ctypes.Structure):
    _fields_ = [("name", _Str), ("value", _Str)]


_ALLOC_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
_REALLOC_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p,
                               ctypes.c_size_t, ctypes.c_void_p)
_FREE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_NOW_FN = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)
_RANDOM_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_uint8),
                              ctypes.c_size_t, ctypes.c_void_p)
_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_void_p,
                           ctypes.c_size_t, ctypes.c_void_p)
_HEADER_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_size_t,
                              ctypes.POINTER(_Header), ctypes.c_void_p)


class _Allocator(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("alloc", _ALLOC_FN),
                ("realloc", _REALLOC_FN), ("free", _FREE_FN),
                ("ud", ctypes.c_void_p)]


# Engine members of gwr_io (appended after the v1 layout).
_SET_TIMER_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64,
                                 ctypes.c_void_p)
_CONNECT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                               ctypes.c_uint32, ctypes.c_uint64,
                               ctypes.c_void_p)
_SEND_REQUEST_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64,
                                    ctypes.c_uint64, ctypes.c_void_p,
                                    ctypes.c_void_p)
_SEND_MIRROR_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                                   ctypes.c_void_p, ctypes.c_void_p)
_RESPOND_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64, ctypes.c_int,
                               ctypes.POINTER(_Header), ctypes.c_size_t,
                               ctypes.c_void_p, ctypes.c_size_t,
                               ctypes.c_void_p)
_CANCEL_FN = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_void_p)


class _IO(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("now_ms", _NOW_FN),
                ("random", _RANDOM_FN), ("log", _LOG_FN),
                ("set_timer", _SET_TIMER_FN), ("connect", _CONNECT_FN),
                ("send_request", _SEND_REQUEST_FN),
                ("send_mirror", _SEND_MIRROR_FN), ("respond", _RESPOND_FN),
                ("cancel", _CANCEL_FN)]


class _Request(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("method", _Str),
                ("scheme", _Str), ("host", _Str), ("path", _Str),
                ("headers", ctypes.POINTER(_Header)),
                ("n_headers", ctypes.c_size_t), ("header_fn", _HEADER_FN),
                ("header_ud", ctypes.c_void_p), ("port", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("seed", ctypes.c_uint64),
                ("sni", _Str)]


class _CompileOpts(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("gateway_ns", _Str),
                ("gateway_name", _Str), ("flags", ctypes.c_uint32),
                ("path_flags", ctypes.c_uint32),
                ("errbuf", ctypes.c_void_p),
                ("errbuf_size", ctypes.c_size_t)]


_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_I = ctypes.c_int
_U32 = ctypes.c_uint32
_U64 = ctypes.c_uint64
_I64 = ctypes.c_int64
_SZ = ctypes.c_size_t
_PSTR = ctypes.POINTER(_Str)

# name: (restype, argtypes)
_PROTOTYPES = {
    "gwr_strerror": (ctypes.c_char_p, [_I]),
    "gwr_version_num": (_U32, []),
    "gwr_version_str": (ctypes.c_char_p, []),
    # context
    "gwr_ctx_new": (_I, [_PP, ctypes.POINTER(_Allocator),
                         ctypes.POINTER(_IO), _P]),
    "gwr_ctx_free": (None, [_P]),
    "gwr_ctx_set_log_level": (_I, [_P, _U32]),
    "gwr_ctx_log_level": (_U32, [_P]),
    # config + diagnostics
    "gwr_config_new": (_I, [_PP, _P]),
    "gwr_config_free": (None, [_P]),
    "gwr_config_add_text": (_I, [_P, _U32, _Str, _Str]),
    "gwr_config_diag_count": (_SZ, [_P]),
    "gwr_config_error_count": (_SZ, [_P]),
    "gwr_config_diag": (_P, [_P, _SZ]),
    "gwr_diag_severity": (_U32, [_P]),
    "gwr_diag_source": (_Str, [_P]),
    "gwr_diag_line": (_U32, [_P]),
    "gwr_diag_column": (_U32, [_P]),
    "gwr_diag_kind": (_Str, [_P]),
    "gwr_diag_namespace": (_Str, [_P]),
    "gwr_diag_name": (_Str, [_P]),
    "gwr_diag_field": (_Str, [_P]),
    "gwr_diag_message": (_Str, [_P]),
    "gwr_diag_format": (_I, [_P, ctypes.c_char_p, _SZ]),
    "gwr_config_gateway_count": (_SZ, [_P]),
    "gwr_config_gateway": (_P, [_P, _SZ]),
    "gwr_gateway_namespace": (_Str, [_P]),
    "gwr_gateway_name": (_Str, [_P]),
    "gwr_gateway_class_name": (_Str, [_P]),
    "gwr_gateway_infra_label_count": (_SZ, [_P]),
    "gwr_gateway_infra_label": (_I, [_P, _SZ, _PSTR, _PSTR]),
    "gwr_gateway_infra_annotation_count": (_SZ, [_P]),
    "gwr_gateway_infra_annotation": (_I, [_P, _SZ, _PSTR, _PSTR]),
    "gwr_gateway_infra_params": (_I, [_P, _PSTR, _PSTR, _PSTR]),
    "gwr_gateway_backend_client_cert": (_I, [_P, _PSTR, _PSTR, _PSTR,
                                             _PSTR]),
    # status
    "gwr_config_status_update": (_I, [_P]),
    "gwr_config_status_route_count": (_I, [_P, ctypes.POINTER(_SZ)]),
    "gwr_config_status_route": (_P, [_P, _SZ]),
    "gwr_config_status_gateway_count": (_I, [_P, ctypes.POINTER(_SZ)]),
    "gwr_config_status_gateway": (_P, [_P, _SZ]),
    "gwr_config_status_diag_count": (_I, [_P, ctypes.POINTER(_SZ)]),
    "gwr_config_status_diag": (_P, [_P, _SZ]),
    "gwr_config_supported_features": (ctypes.c_char_p, [_SZ]),
    "gwr_route_status_kind": (_Str, [_P]),
    "gwr_route_status_namespace": (_Str, [_P]),
    "gwr_route_status_name": (_Str, [_P]),
    "gwr_route_status_parent_count": (_SZ, [_P]),
    "gwr_route_status_parent": (_P, [_P, _SZ]),
    "gwr_parent_status_group": (_Str, [_P]),
    "gwr_parent_status_kind": (_Str, [_P]),
    "gwr_parent_status_namespace": (_Str, [_P]),
    "gwr_parent_status_namespace_set": (_I, [_P]),
    "gwr_parent_status_name": (_Str, [_P]),
    "gwr_parent_status_section_name": (_Str, [_P]),
    "gwr_parent_status_port": (_U32, [_P]),
    "gwr_parent_status_accepted": (_I, [_P]),
    "gwr_parent_status_condition_count": (_SZ, [_P]),
    "gwr_parent_status_condition": (_P, [_P, _SZ]),
    "gwr_gateway_status_namespace": (_Str, [_P]),
    "gwr_gateway_status_name": (_Str, [_P]),
    "gwr_gateway_status_ours": (_I, [_P]),
    "gwr_gateway_status_condition_count": (_SZ, [_P]),
    "gwr_gateway_status_condition": (_P, [_P, _SZ]),
    "gwr_gateway_status_listener_count": (_SZ, [_P]),
    "gwr_gateway_status_listener": (_P, [_P, _SZ]),
    "gwr_listener_status_name": (_Str, [_P]),
    "gwr_listener_status_attached_routes": (_U32, [_P]),
    "gwr_listener_status_supported_kind_count": (_SZ, [_P]),
    "gwr_listener_status_supported_kind_group": (_Str, [_P, _SZ]),
    "gwr_listener_status_supported_kind": (_Str, [_P, _SZ]),
    "gwr_listener_status_condition_count": (_SZ, [_P]),
    "gwr_listener_status_condition": (_P, [_P, _SZ]),
    "gwr_condition_type": (_Str, [_P]),
    "gwr_condition_status": (_U32, [_P]),
    "gwr_condition_reason": (_Str, [_P]),
    "gwr_condition_message": (_Str, [_P]),
    # table
    "gwr_table_compile": (_I, [_PP, _P, ctypes.POINTER(_CompileOpts)]),
    "gwr_table_ref": (_P, [_P]),
    "gwr_table_unref": (None, [_P]),
    "gwr_table_entry_count": (_SZ, [_P]),
    "gwr_sample_fraction": (_I, [_U64, _U64, _U32, _U32]),
    # decision
    "gwr_decision_new": (_I, [_PP, _P]),
    "gwr_decision_free": (None, [_P]),
    "gwr_table_match": (_I, [_P, ctypes.POINTER(_Request), _P]),
    "gwr_decision_result": (_U32, [_P]),
    "gwr_decision_status": (_I, [_P]),
    "gwr_decision_grpc": (_I, [_P]),
    "gwr_decision_grpc_status": (_I, [_P]),
    "gwr_decision_seed": (_U64, [_P]),
    "gwr_decision_route_kind": (_Str, [_P]),
    "gwr_decision_route_namespace": (_Str, [_P]),
    "gwr_decision_route_name": (_Str, [_P]),
    "gwr_decision_rule_index": (_I, [_P]),
    "gwr_decision_rule_name": (_Str, [_P]),
    "gwr_decision_backend": (_P, [_P]),
    "gwr_backend_kind": (_Str, [_P]),
    "gwr_backend_group": (_Str, [_P]),
    "gwr_backend_namespace": (_Str, [_P]),
    "gwr_backend_name": (_Str, [_P]),
    "gwr_backend_port": (_U32, [_P]),
    "gwr_backend_protocol": (_U32, [_P]),
    "gwr_backend_endpoint_count": (_SZ, [_P]),
    "gwr_backend_endpoint": (_I, [_P, _SZ, _PSTR,
                                  ctypes.POINTER(ctypes.c_uint32)]),
    "gwr_backend_tls": (_I, [_P]),
    "gwr_backend_tls_hostname": (_Str, [_P]),
    "gwr_backend_tls_well_known": (_Str, [_P]),
    "gwr_backend_tls_san_count": (_SZ, [_P]),
    "gwr_backend_tls_san": (_I, [_P, _SZ, _PSTR, _PSTR]),
    "gwr_backend_tls_ca_ref_count": (_SZ, [_P]),
    "gwr_backend_tls_ca_ref": (_I, [_P, _SZ, _PSTR, _PSTR, _PSTR]),
    "gwr_decision_upstream_method": (_Str, [_P]),
    "gwr_decision_upstream_scheme": (_Str, [_P]),
    "gwr_decision_upstream_host": (_Str, [_P]),
    "gwr_decision_upstream_path": (_Str, [_P]),
    "gwr_decision_upstream_header_count": (_SZ, [_P]),
    "gwr_decision_upstream_header": (ctypes.POINTER(_Header), [_P, _SZ]),
    "gwr_decision_location": (_Str, [_P]),
    "gwr_decision_response_header_count": (_SZ, [_P, _U32]),
    "gwr_decision_response_header": (ctypes.POINTER(_Header),
                                     [_P, _U32, _SZ]),
    "gwr_decision_mirror_count": (_SZ, [_P]),
    "gwr_decision_mirror": (_P, [_P, _SZ, ctypes.POINTER(_I)]),
    "gwr_decision_timeout_ms": (_I64, [_P]),
    "gwr_decision_backend_timeout_ms": (_I64, [_P]),
    "gwr_decision_has_retry": (_I, [_P]),
    "gwr_decision_retry_attempts": (_I64, [_P]),
    "gwr_decision_retry_backoff_ms": (_I64, [_P]),
    "gwr_decision_retry_codes": (_SZ, [_P, ctypes.POINTER(
        ctypes.POINTER(ctypes.c_uint16))]),
    "gwr_decision_extension_count": (_SZ, [_P]),
    "gwr_decision_extension": (_I, [_P, _SZ, _PSTR, _PSTR, _PSTR]),
    # exchange engine
    "gwr_engine_new": (_I, [_PP, _P]),
    "gwr_engine_free": (None, [_P]),
    "gwr_engine_set_option": (_I, [_P, _U32, _I64]),
    "gwr_engine_submit": (_I, [_P, _P, ctypes.POINTER(_U64)]),
    "gwr_engine_on_connected": (_I, [_P, _U64, _I]),
    "gwr_engine_on_response_head": (_I, [_P, _U64, _I,
                                         ctypes.POINTER(_Header), _SZ]),
    "gwr_engine_on_body_done": (_I, [_P, _U64]),
    "gwr_engine_on_error": (_I, [_P, _U64, _I]),
    "gwr_engine_on_timer": (_I, [_P]),
    "gwr_engine_cancel": (_I, [_P, _U64]),
    "gwr_engine_next_deadline": (_U64, [_P]),
    "gwr_engine_exchange_count": (_SZ, [_P]),
    "gwr_engine_response_source": (_U64, [_P, _U64]),
    "gwr_engine_exchange_of": (_U64, [_P, _U64]),
    "gwr_upstream_exchange_id": (_U64, [_P]),
    "gwr_upstream_attempt": (_U32, [_P]),
    "gwr_upstream_is_mirror": (_I, [_P]),
    "gwr_upstream_backend": (_P, [_P]),
    "gwr_upstream_protocol": (_U32, [_P]),
    "gwr_upstream_method": (_Str, [_P]),
    "gwr_upstream_scheme": (_Str, [_P]),
    "gwr_upstream_host": (_Str, [_P]),
    "gwr_upstream_path": (_Str, [_P]),
    "gwr_upstream_header_count": (_SZ, [_P]),
    "gwr_upstream_header": (ctypes.POINTER(_Header), [_P, _SZ]),
    "gwr_upstream_deadline": (_U64, [_P]),
}


class _Lib:
    """The loaded library with typed functions as attributes."""

    def __init__(self, path: str):
        self.path = path
        self.dll = ctypes.CDLL(path)
        for name, (res, args) in _PROTOTYPES.items():
            fn = getattr(self.dll, name)
            fn.restype = res
            fn.argtypes = args
            setattr(self, name[4:], fn)


_lib: Optional[_Lib] = None
_lib_lock = threading.Lock()


def _candidates() -> List[str]:
    env = os.environ.get("GWROUTE_LIB")
    if env:
        return [env]
    out = []
    found = ctypes.util.find_library("gwroute")
    if found:
        out.append(found)
    here = Path(__file__).resolve().parent
    for root in (here.parent.parent, here.parent, here):
        for name in ("libgwroute.so.1", "libgwroute.so", "libgwroute.dylib"):
            p = root / "build" / "lib" / name
            if p.exists():
                out.append(str(p))
    return out


def load_library(path: Optional[str] = None) -> _Lib:
    """Load (once) and return the library; `path` overrides the search."""
    global _lib
    with _lib_lock:
        if _lib is not None and (path is None or path == _lib.path):
            return _lib
        tried = [path] if path else _candidates()
        errors = []
        for cand in tried:
            try:
                _lib = _Lib(cand)
                return _lib
            except (OSError, AttributeError) as e:
                errors.append("%s: %s" % (cand, e))
        raise OSError("libgwroute not found (set GWROUTE_LIB): " +
                      ("; ".join(errors) or "no candidate"))


def _L() -> _Lib:
    return _lib if _lib is not None else load_library()


# ---- string helpers -----------------------------------------------------------

def _b(v: Union[str, bytes, None]) -> bytes:
    if v is None:
        return b""
    if isinstance(v, bytes):
        return v
    return str(v).encode("utf-8", "surrogateescape")


def _view(b: bytes) -> _Str:
    """A gwr_str over `b` (the caller keeps `b` alive for the call)."""
    if not b:
        return _Str(None, 0)
    return _Str(ctypes.cast(ctypes.c_char_p(b), ctypes.c_void_p), len(b))


def _s(v: _Str) -> str:
    if not v.ptr or not v.len:
        return ""
    return ctypes.string_at(v.ptr, v.len).decode("utf-8", "surrogateescape")


def _ref_out(n: int) -> List[_Str]:
    return [_Str() for _ in range(n)]


def fnv1a(data: Union[str, bytes]) -> int:
    """64-bit FNV-1a of `data`: how `gwroute match` turns an id into a seed."""
    h = 0xcbf29ce484222325
    for c in _b(data):
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def strerror(code: int) -> str:
    """gwr_strerror(): the static description of a status code."""
    return _L().strerror(code).decode()


def version() -> str:
    """The runtime library version, "MAJOR.MINOR.PATCH"."""
    return _L().version_str().decode()


def version_num() -> int:
    """The runtime library version as 0x00MMmmpp."""
    return _L().version_num()


def supported_features() -> List[str]:
    """The Gateway API feature names libgwroute implements."""
    lib, out, i = _L(), [], 0
    while True:
        p = lib.config_supported_features(i)
        if p is None:
            return out
        out.append(p.decode())
        i += 1


def sample_fraction(seed: int, salt: int, num: int, den: int) -> bool:
    """The table's mirror sampling draw: (hash of seed, salt) mod den < num."""
    return bool(_L().sample_fraction(seed & 0xFFFFFFFFFFFFFFFF,
                                     salt & 0xFFFFFFFFFFFFFFFF, num, den))


def _check(rc: int, what: str, detail: str = "") -> int:
    if rc < 0:
        raise GwrError(rc, what, detail)
    return rc


# ---- plain snapshot objects ----------------------------------------------------

@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic; str() gives the CLI line
    "SOURCE:LINE:COL: KIND NAMESPACE/NAME: FIELD.PATH: message"."""
    severity: Severity
    source: str
    line: int
    col: int
    kind: str
    namespace: str
    name: str
    field: str
    message: str
    text: str = field(repr=False, default="")

    def __str__(self) -> str:
        if self.text:
            return self.text
        dash = lambda s: s or "-"
        obj = "%s/%s" % (self.namespace, self.name) if self.namespace \
            else dash(self.name)
        return "%s:%s:%s: %s %s: %s: %s" % (
            dash(self.source), self.line or "-", self.col or "-",
            dash(self.kind), obj, dash(self.field), self.message)


def _diag(lib: _Lib, p: int) -> Diagnostic:
    n = lib.diag_format(p, None, 0)
    text = ""
    if n >= 0:
        buf = ctypes.create_string_buffer(n + 1)
        lib.diag_format(p, buf, n + 1)
        text = buf.raw[:n].decode("utf-8", "surrogateescape")
    return Diagnostic(
        severity=Severity(lib.diag_severity(p)),
        source=_s(lib.diag_source(p)), line=lib.diag_line(p),
        col=lib.diag_column(p), kind=_s(lib.diag_kind(p)),
        namespace=_s(lib.diag_namespace(p)), name=_s(lib.diag_name(p)),
        field=_s(lib.diag_field(p)), message=_s(lib.diag_message(p)),
        text=text)


@dataclass(frozen=True)
class Condition:
    type: str
    status: str          # "True", "False" or "Unknown"
    reason: str
    message: str


@dataclass(frozen=True)
class ParentStatus:
    group: str
    kind: str
    namespace: str
    namespace_set: bool
    name: str
    section_name: str
    port: int
    accepted: bool
    conditions: List[Condition]

    def condition(self, type_: str) -> Optional[Condition]:
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(frozen=True)
class RouteStatus:
    kind: str
    namespace: str
    name: str
    parents: List[ParentStatus]


@dataclass(frozen=True)
class ListenerStatus:
    name: str
    attached_routes: int
    supported_kinds: List[Tuple[str, str]]   # (group, kind)
    conditions: List[Condition]

    def condition(self, type_: str) -> Optional[Condition]:
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(frozen=True)
class GatewayStatus:
    namespace: str
    name: str
    ours: bool
    conditions: List[Condition]
    listeners: List[ListenerStatus]

    def condition(self, type_: str) -> Optional[Condition]:
        return next((c for c in self.conditions if c.type == type_), None)

    def listener(self, name: str) -> Optional[ListenerStatus]:
        return next((l for l in self.listeners if l.name == name), None)


@dataclass(frozen=True)
class Status:
    routes: List[RouteStatus]
    gateways: List[GatewayStatus]
    diagnostics: List[Diagnostic]

    def route(self, namespace: str, name: str) -> Optional[RouteStatus]:
        return next((r for r in self.routes
                     if r.namespace == namespace and r.name == name), None)

    def gateway(self, namespace: str, name: str) -> Optional[GatewayStatus]:
        return next((g for g in self.gateways
                     if g.namespace == namespace and g.name == name), None)


@dataclass(frozen=True)
class ObjectRef:
    group: str
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True)
class Gateway:
    namespace: str
    name: str
    class_name: str
    infra_labels: List[Tuple[str, str]]
    infra_annotations: List[Tuple[str, str]]
    infra_params: Optional[ObjectRef]           # namespace is ""
    backend_client_cert: Optional[ObjectRef]


@dataclass(frozen=True)
class RouteRef:
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True)
class RuleRef:
    index: int
    name: Optional[str]


@dataclass(frozen=True)
class BackendTLS:
    hostname: str
    well_known: str
    subject_alt_names: List[Tuple[str, str]]        # (type, value)
    ca_refs: List[Tuple[str, str, str]]             # (group, kind, name)


@dataclass(frozen=True)
class Backend:
    kind: str
    group: str
    namespace: str
    name: str
    port: int
    protocol: str                                   # http, h2c, ws, wss
    endpoints: List[Tuple[str, int]]                # (address, port)
    tls: Optional[BackendTLS]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "namespace": self.namespace,
                "name": self.name, "port": self.port,
                "protocol": self.protocol}


@dataclass(frozen=True)
class UpstreamRequest:
    method: str
    scheme: str
    host: str
    path: str
    headers: List[Tuple[str, str]]

    def header(self, name: str) -> Optional[str]:
        """First value of a header (case-insensitive), or None."""
        low = name.lower()
        return next((v for n, v in self.headers if n.lower() == low), None)


@dataclass(frozen=True)
class ResponseHeaders:
    set: List[Tuple[str, str]]
    add: List[Tuple[str, str]]
    remove: List[str]


@dataclass(frozen=True)
class Mirror:
    backend: Backend
    sampled: bool


@dataclass(frozen=True)
class Timeouts:
    request_ms: Optional[int]
    backend_request_ms: Optional[int]


@dataclass(frozen=True)
class Retry:
    attempts: Optional[int]
    codes: List[int]
    backoff_ms: Optional[int]


@dataclass(frozen=True)
class ExtensionRef:
    group: str
    kind: str
    name: str


@dataclass(frozen=True)
class Decision:
    """What the gateway does with one request (a snapshot)."""
    result: Result
    status: int
    seed: int
    route: Optional[RouteRef]
    rule: Optional[RuleRef]
    backend: Optional[Backend]
    upstream: Optional[UpstreamRequest]
    location: Optional[str]
    response_headers: ResponseHeaders
    mirrors: List[Mirror]
    timeouts: Timeouts
    retry: Optional[Retry]
    extensions: List[ExtensionRef]
    id: Optional[str] = None
    grpc: bool = False
    grpc_status: int = 0

    def to_dict(self) -> dict:
        """The object `gwroute match` prints for this decision."""
        d = {}
        if self.id is not None:
            d["id"] = self.id
        d["result"] = self.result.label
        d["status"] = self.status
        if self.grpc_status:
            d["grpc_status"] = self.grpc_status
        d["route"] = None if self.route is None else {
            "kind": self.route.kind, "namespace": self.route.namespace,
            "name": self.route.name}
        d["rule"] = None if self.rule is None else {
            "index": self.rule.index, "name": self.rule.name}
        d["backend"] = self.backend.to_dict() if self.backend else None
        u = self.upstream
        d["upstream"] = None if u is None else {
            "method": u.method, "scheme": u.scheme, "host": u.host,
            "path": u.path, "headers": [list(h) for h in u.headers]}
        if self.result == Result.REDIRECT:
            d["location"] = self.location
        rh = self.response_headers
        d["response_headers"] = {"set": [list(h) for h in rh.set],
                                 "add": [list(h) for h in rh.add],
                                 "remove": list(rh.remove)}
        d["mirrors"] = [{"backend": m.backend.to_dict(),
                         "sampled": m.sampled} for m in self.mirrors]
        d["timeouts"] = {"request_ms": self.timeouts.request_ms,
                         "backend_request_ms":
                             self.timeouts.backend_request_ms}
        d["retry"] = None if self.retry is None else {
            "attempts": self.retry.attempts, "codes": list(self.retry.codes),
            "backoff_ms": self.retry.backoff_ms}
        return d


def _opt_ms(v: int) -> Optional[int]:
    return None if v < 0 else v


def _backend(lib: _Lib, b: int) -> Backend:
    eps = []
    for i in range(lib.backend_endpoint_count(b)):
        addr, port = _Str(), ctypes.c_uint32()
        if lib.backend_endpoint(b, i, ctypes.byref(addr),
                                ctypes.byref(port)) == OK:
            eps.append((_s(addr), port.value))
    tls = None
    if lib.backend_tls(b):
        sans, cas = [], []
        for i in range(lib.backend_tls_san_count(b)):
            t, v = _ref_out(2)
            if lib.backend_tls_san(b, i, ctypes.byref(t),
                                   ctypes.byref(v)) == OK:
                sans.append((_s(t), _s(v)))
        for i in range(lib.backend_tls_ca_ref_count(b)):
            g, k, n = _ref_out(3)
            if lib.backend_tls_ca_ref(b, i, ctypes.byref(g), ctypes.byref(k),
                                      ctypes.byref(n)) == OK:
                cas.append((_s(g), _s(k), _s(n)))
        tls = BackendTLS(hostname=_s(lib.backend_tls_hostname(b)),
                         well_known=_s(lib.backend_tls_well_known(b)),
                         subject_alt_names=sans, ca_refs=cas)
    return Backend(kind=_s(lib.backend_kind(b)),
                   group=_s(lib.backend_group(b)),
                   namespace=_s(lib.backend_namespace(b)),
                   name=_s(lib.backend_name(b)), port=lib.backend_port(b),
                   protocol=_PROTOCOLS.get(lib.backend_protocol(b), "http"),
                   endpoints=eps, tls=tls)


def _read_decision(lib: _Lib, d: int, rid: Optional[str]) -> Decision:
    res = Result(lib.decision_result(d))
    route = rule = None
    idx = lib.decision_rule_index(d)
    if idx >= 0:
        route = RouteRef(kind=_s(lib.decision_route_kind(d)),
                         namespace=_s(lib.decision_route_namespace(d)),
                         name=_s(lib.decision_route_name(d)))
        rule = RuleRef(index=idx, name=_s(lib.decision_rule_name(d)) or None)
    bp = lib.decision_backend(d)
    backend = _backend(lib, bp) if bp else None
    upstream = None
    if res == Result.FORWARD:
        hdrs = []
        for i in range(lib.decision_upstream_header_count(d)):
            h = lib.decision_upstream_header(d, i)
            if h:
                hdrs.append((_s(h.contents.name), _s(h.contents.value)))
        upstream = UpstreamRequest(
            method=_s(lib.decision_upstream_method(d)),
            scheme=_s(lib.decision_upstream_scheme(d)),
            host=_s(lib.decision_upstream_host(d)),
            path=_s(lib.decision_upstream_path(d)), headers=hdrs)
    location = _s(lib.decision_location(d)) if res == Result.REDIRECT \
        else None
    lists = []
    for which in (HEADERS_SET, HEADERS_ADD, HEADERS_REMOVE):
        items = []
        for i in range(lib.decision_response_header_count(d, which)):
            h = lib.decision_response_header(d, which, i)
            if not h:
                continue
            if which == HEADERS_REMOVE:
                items.append(_s(h.contents.name))
            else:
                items.append((_s(h.contents.name), _s(h.contents.value)))
        lists.append(items)
    mirrors = []
    for i in range(lib.decision_mirror_count(d)):
        sampled = ctypes.c_int(0)
        mp = lib.decision_mirror(d, i, ctypes.byref(sampled))
        if mp:
            mirrors.append(Mirror(_backend(lib, mp), bool(sampled.value)))
    retry = None
    if lib.decision_has_retry(d):
        codes_p = ctypes.POINTER(ctypes.c_uint16)()
        nc = lib.decision_retry_codes(d, ctypes.byref(codes_p))
        retry = Retry(attempts=_opt_ms(lib.decision_retry_attempts(d)),
                      codes=[codes_p[i] for i in range(nc)],
                      backoff_ms=_opt_ms(lib.decision_retry_backoff_ms(d)))
    exts = []
    for i in range(lib.decision_extension_count(d)):
        g, k, n = _ref_out(3)
        if lib.decision_extension(d, i, ctypes.byref(g), ctypes.byref(k),
                                  ctypes.byref(n)) == OK:
            exts.append(ExtensionRef(_s(g), _s(k), _s(n)))
    return Decision(
        result=res, status=lib.decision_status(d),
        seed=lib.decision_seed(d), route=route, rule=rule, backend=backend,
        upstream=upstream, location=location,
        response_headers=ResponseHeaders(*lists), mirrors=mirrors,
        timeouts=Timeouts(_opt_ms(lib.decision_timeout_ms(d)),
                          _opt_ms(lib.decision_backend_timeout_ms(d))),
        retry=retry, extensions=exts, id=rid,
        grpc=bool(lib.decision_grpc(d)),
        grpc_status=lib.decision_grpc_status(d))


# ---- requests --------------------------------------------------------------------

HeadersLike = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]


@dataclass
class Request:
    """A request as ordinary Python values.

    headers: a dict or a list of (name, value) pairs (repeats allowed).
    sni: the TLS server name of an https request ("" = none); with it the
    Host must agree with the listener it selects, else 421.
    Seeding: `seed` (int) is used as is; else `id` is hashed with FNV-1a
    exactly as `gwroute match --id` does; else a random seed is drawn in
    Python (os.urandom), so no shared C state is touched by concurrent
    matches.
    """
    path: str = "/"
    method: str = "GET"
    host: str = ""
    headers: HeadersLike = None
    port: int = 80
    scheme: str = "http"
    seed: Optional[int] = None
    id: Optional[str] = None
    sni: str = ""

    def header_pairs(self) -> List[Tuple[Union[str, bytes],
                                         Union[str, bytes]]]:
        h = self.headers
        if h is None:
            return []
        if isinstance(h, Mapping):
            return list(h.items())
        return [(n, v) for n, v in h]

    def effective_seed(self) -> int:
        if self.seed is not None:
            return self.seed & 0xFFFFFFFFFFFFFFFF
        if self.id is not None:
            return fnv1a(self.id)
        return int.from_bytes(os.urandom(8), "little")


def _as_request(request, kwargs) -> Request:
    if request is None:
        return Request(**kwargs)
    if kwargs:
        raise TypeError("give a Request or keyword arguments, not both")
    if isinstance(request, Request):
        return request
    if isinstance(request, Mapping):
        return Request(**dict(request))
    raise TypeError("request must be a Request or a dict")


class _DecisionPool:
    """Reusable gwr_decision scratch objects (one per concurrent match)."""

    def __init__(self, ctx: "Context"):
        self._ctx = ctx._acquire()
        self._free: List[int] = []
        self._all: List[int] = []
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            if self._ctx is None:
                raise GwrError(E_STATE, "match", "closed")
            if self._free:
                return self._free.pop()
            out = ctypes.c_void_p()
            _check(_L().decision_new(ctypes.byref(out), self._ctx._ptr),
                   "gwr_decision_new")
            self._all.append(out.value)
            return out.value

    def give(self, d: int) -> None:
        with self._lock:
            if self._ctx is None:
                _L().decision_free(d)
            else:
                self._free.append(d)

    def close(self) -> None:
        with self._lock:
            if self._ctx is None:
                return
            busy = set(self._all) - set(self._free)
            for d in self._free:
                _L().decision_free(d)
            self._free, self._all = [], list(busy)
            ctx, self._ctx = self._ctx, None
        ctx._release()


def _match(table_ptr: int, pool: _DecisionPool, request, kwargs) -> Decision:
    lib = _L()
    r = _as_request(request, kwargs)
    keep = []

    def v(x):
        b = _b(x)
        keep.append(b)
        return _view(b)

    pairs = r.header_pairs()
    arr = (_Header * max(len(pairs), 1))()
    for i, (n, val) in enumerate(pairs):
        arr[i].name = v(n)
        arr[i].value = v(val)
    req = _Request()
    req.size = ctypes.sizeof(_Request)
    req.method = v(r.method or "GET")
    req.scheme = v(r.scheme or "http")
    req.host = v(r.host)
    req.path = v(r.path)
    req.headers = ctypes.cast(arr, ctypes.POINTER(_Header))
    req.n_headers = len(pairs)
    req.port = int(r.port)
    req.flags = REQ_SEEDED
    req.seed = r.effective_seed()
    req.sni = v(r.sni or "")
    d = pool.take()
    try:
        _check(lib.table_match(table_ptr, ctypes.byref(req), d),
               "gwr_table_match")
        return _read_decision(lib, d, r.id)
    finally:
        pool.give(d)


class _OneDecision:
    """A pool of exactly one gwr_decision (the engine's scratch)."""

    def __init__(self, d: int):
        self._d = d

    def take(self) -> int:
        return self._d

    def give(self, d: int) -> None:
        pass


# ---- owners of C resources -------------------------------------------------------

class _Owner:
    _ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def _live(self) -> int:
        if self._ptr is None:
            raise GwrError(E_STATE, type(self).__name__, "closed")
        return self._ptr


class TrackingAllocator:
    """gwr_allocator hooks over libc malloc that count live allocations
    (tests and leak hunting). Pass to Context(allocator=...)."""

    def __init__(self):
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        self._malloc = libc.malloc
        self._malloc.restype, self._malloc.argtypes = \
            ctypes.c_void_p, [ctypes.c_size_t]
        self._realloc = libc.realloc
        self._realloc.restype = ctypes.c_void_p
        self._realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        self._free = libc.free
        self._free.restype, self._free.argtypes = None, [ctypes.c_void_p]
        self._lock = threading.Lock()
        self.live = 0
        self.total = 0
        self.fail_after: Optional[int] = None   # fail the Nth next alloc

        def alloc(n, ud):
            with self._lock:
                if self.fail_after is not None:
                    if self.fail_after == 0:
                        return None
                    self.fail_after -= 1
                p = self._malloc(n)
                if p:
                    self.live += 1
                    self.total += 1
                return p

        def realloc(p, n, ud):
            q = self._realloc(p, n)
            if q and not p:
                with self._lock:
                    self.live += 1
                    self.total += 1
            return q

        def free(p, ud):
            if p:
                with self._lock:
                    self.live -= 1
                self._free(p)

        self._fns = (_ALLOC_FN(alloc), _REALLOC_FN(realloc), _FREE_FN(free))
        self.struct = _Allocator(ctypes.sizeof(_Allocator), *self._fns, None)


class Context(_Owner):
    """A gwr_ctx: allocator and host I/O (a Python log callback).

    log: callable(level: int, message: str), called by the library for
    messages at log_level or more severe (LOG_ERROR .. LOG_DEBUG).
    Objects created from the context keep it (and the callbacks) alive;
    close() only drops the caller's share.
    """

    def __init__(self, log=None, log_level: Optional[int] = None,
                 allocator: Optional[TrackingAllocator] = None,
                 _io_members: Optional[Mapping[str, object]] = None):
        lib = _L()
        self._shares = 0
        self._lock = threading.Lock()
        io = _IO()
        io.size = ctypes.sizeof(_IO)
        self._keep = [allocator]
        # Engine (and now_ms) members: ctypes function objects owned by
        # the caller (Engine), referenced here too for as long as the
        # context lives.
        for name, fn in (_io_members or {}).items():
            self._keep.append(fn)
            setattr(io, name, fn)
        if log is not None:
            def _log(level, msg, length, ud):
                try:
                    text = ctypes.string_at(msg, length) if msg and length \
                        else b""
                    log(int(level), text.decode("utf-8", "replace"))
                except Exception:        # never unwind into C
                    pass
            cb = _LOG_FN(_log)
            self._keep.append(cb)
            io.log = cb
        out = ctypes.c_void_p()
        mem = ctypes.byref(allocator.struct) if allocator else None
        _check(lib.ctx_new(ctypes.byref(out), mem, ctypes.byref(io), None),
               "gwr_ctx_new")
        self._ptr = out.value
        self._shares = 1
        if log_level is not None:
            self.log_level = log_level

    @property
    def log_level(self) -> int:
        return _L().ctx_log_level(self._live())

    @log_level.setter
    def log_level(self, level: int) -> None:
        _check(_L().ctx_set_log_level(self._live(), level),
               "gwr_ctx_set_log_level")

    def _acquire(self, new_user: bool = False) -> "Context":
        """Take a share for a dependent object. new_user: a new object
        the caller is making with this context (refused once closed)."""
        with self._lock:
            if new_user and getattr(self, "_user_closed", False):
                raise GwrError(E_STATE, "Context", "closed")
            self._live()
            self._shares += 1
            return self

    def _release(self) -> None:
        with self._lock:
            self._shares -= 1
            if self._shares > 0 or self._ptr is None:
                return
            p, self._ptr = self._ptr, None
        _L().ctx_free(p)

    def close(self) -> None:
        """Drop the caller's share; the gwr_ctx is freed once no Config,
        Table or Router made from it is open."""
        if getattr(self, "_user_closed", False) or self._shares == 0:
            return
        self._user_closed = True
        self._release()

    @property
    def closed(self) -> bool:
        return getattr(self, "_user_closed", False) or self._ptr is None


class Config(_Owner):
    """A gwr_config: objects loaded from YAML/JSON texts, with diagnostics
    and status. Not thread-safe (one thread at a time)."""

    def __init__(self, ctx: Optional[Context] = None):
        lib = _L()
        own = ctx is None
        ctx = Context() if own else ctx
        try:
            self._ctx = ctx._acquire(new_user=True)
        finally:
            if own:
                ctx.close()
        out = ctypes.c_void_p()
        rc = lib.config_new(ctypes.byref(out), self._ctx._ptr)
        if rc < 0:
            self._ctx._release()
            self._ctx = None
            raise GwrError(rc, "gwr_config_new")
        self._ptr = out.value

    @classmethod
    def from_text(cls, text: Union[str, bytes], source: str = "-",
                  format: int = Format.AUTO, ctx: Optional[Context] = None,
                  check: bool = False) -> "Config":
        cfg = cls(ctx)
        try:
            cfg.add_text(text, source, format, check=check)
        except BaseException:
            cfg.close()
            raise
        return cfg

    @classmethod
    def from_files(cls, *paths: Union[str, os.PathLike],
                   ctx: Optional[Context] = None,
                   check: bool = False) -> "Config":
        cfg = cls(ctx)
        try:
            for p in paths:
                cfg.add_file(p, check=check)
        except BaseException:
            cfg.close()
            raise
        return cfg

    def add_text(self, text: Union[str, bytes], source: str = "-",
                 format: int = Format.AUTO, check: bool = False) -> int:
        """Load every document of `text`.

        Returns OK, E_CONFIG (some objects rejected, the rest loaded),
        E_PARSE or E_LIMIT (nothing from this text loaded); see
        .diagnostics. With check=True any of those but OK raises
        ConfigError carrying the new diagnostics. E_INVAL and E_NOMEM
        always raise GwrError.
        """
        lib = _L()
        before = lib.config_diag_count(self._live())
        tb, sb = _b(text), _b(source)
        rc = lib.config_add_text(self._ptr, int(format), _view(tb), _view(sb))
        if rc in (E_INVAL, E_NOMEM):
            raise GwrError(rc, "gwr_config_add_text", source)
        if rc != OK and check:
            raise ConfigError(rc, source, self.diagnostics[before:])
        return rc

    def add_file(self, path: Union[str, os.PathLike],
                 check: bool = False) -> int:
        """add_text() of a file's bytes, with the path as source."""
        with open(path, "rb") as f:
            data = f.read()
        return self.add_text(data, os.fspath(path), Format.AUTO, check)

    @property
    def diagnostics(self) -> List[Diagnostic]:
        lib, p = _L(), self._live()
        return [_diag(lib, lib.config_diag(p, i))
                for i in range(lib.config_diag_count(p))]

    @property
    def error_count(self) -> int:
        return _L().config_error_count(self._live())

    @property
    def gateways(self) -> List[Gateway]:
        lib, p = _L(), self._live()
        out = []
        for i in range(lib.config_gateway_count(p)):
            g = lib.config_gateway(p, i)
            if not g:
                continue
            labels, annos = [], []
            for count, get, dest in (
                    (lib.gateway_infra_label_count, lib.gateway_infra_label,
                     labels),
                    (lib.gateway_infra_annotation_count,
                     lib.gateway_infra_annotation, annos)):
                for j in range(count(g)):
                    k, v = _ref_out(2)
                    if get(g, j, ctypes.byref(k), ctypes.byref(v)) == OK:
                        dest.append((_s(k), _s(v)))
            gr, kd, nm, ns = _ref_out(4)
            params = None
            if lib.gateway_infra_params(g, ctypes.byref(gr), ctypes.byref(kd),
                                        ctypes.byref(nm)) == 1:
                params = ObjectRef(_s(gr), _s(kd), "", _s(nm))
            gr, kd, nm, ns = _ref_out(4)
            cert = None
            if lib.gateway_backend_client_cert(
                    g, ctypes.byref(gr), ctypes.byref(kd), ctypes.byref(ns),
                    ctypes.byref(nm)) == 1:
                cert = ObjectRef(_s(gr), _s(kd), _s(ns), _s(nm))
            out.append(Gateway(
                namespace=_s(lib.gateway_namespace(g)),
                name=_s(lib.gateway_name(g)),
                class_name=_s(lib.gateway_class_name(g)),
                infra_labels=labels, infra_annotations=annos,
                infra_params=params, backend_client_cert=cert))
        return out

    def status(self) -> Status:
        """The status a conformant controller would write (a snapshot)."""
        lib, p = _L(), self._live()
        _check(lib.config_status_update(p), "gwr_config_status_update")

        def count(fn, what):
            n = ctypes.c_size_t()
            _check(fn(p, ctypes.byref(n)), what)
            return n.value

        def conds(cnt, get, obj):
            out = []
            for i in range(cnt(obj)):
                c = get(obj, i)
                if c:
                    out.append(Condition(
                        type=_s(lib.condition_type(c)),
                        status=_CONDITION_VALUES.get(
                            lib.condition_status(c), "Unknown"),
                        reason=_s(lib.condition_reason(c)),
                        message=_s(lib.condition_message(c))))
            return out

        routes = []
        for i in range(count(lib.config_status_route_count,
                             "gwr_config_status_route_count")):
            rs = lib.config_status_route(p, i)
            if not rs:
                raise GwrError(E_NOMEM, "gwr_config_status_route")
            parents = []
            for j in range(lib.route_status_parent_count(rs)):
                ps = lib.route_status_parent(rs, j)
                parents.append(ParentStatus(
                    group=_s(lib.parent_status_group(ps)),
                    kind=_s(lib.parent_status_kind(ps)),
                    namespace=_s(lib.parent_status_namespace(ps)),
                    namespace_set=bool(lib.parent_status_namespace_set(ps)),
                    name=_s(lib.parent_status_name(ps)),
                    section_name=_s(lib.parent_status_section_name(ps)),
                    port=lib.parent_status_port(ps),
                    accepted=bool(lib.parent_status_accepted(ps)),
                    conditions=conds(lib.parent_status_condition_count,
                                     lib.parent_status_condition, ps)))
            routes.append(RouteStatus(
                kind=_s(lib.route_status_kind(rs)),
                namespace=_s(lib.route_status_namespace(rs)),
                name=_s(lib.route_status_name(rs)), parents=parents))
        gateways = []
        for i in range(count(lib.config_status_gateway_count,
                             "gwr_config_status_gateway_count")):
            gs = lib.config_status_gateway(p, i)
            if not gs:
                raise GwrError(E_NOMEM, "gwr_config_status_gateway")
            listeners = []
            for j in range(lib.gateway_status_listener_count(gs)):
                ls = lib.gateway_status_listener(gs, j)
                kinds = [(_s(lib.listener_status_supported_kind_group(ls, k)),
                          _s(lib.listener_status_supported_kind(ls, k)))
                         for k in range(
                             lib.listener_status_supported_kind_count(ls))]
                listeners.append(ListenerStatus(
                    name=_s(lib.listener_status_name(ls)),
                    attached_routes=lib.listener_status_attached_routes(ls),
                    supported_kinds=kinds,
                    conditions=conds(lib.listener_status_condition_count,
                                     lib.listener_status_condition, ls)))
            gateways.append(GatewayStatus(
                namespace=_s(lib.gateway_status_namespace(gs)),
                name=_s(lib.gateway_status_name(gs)),
                ours=bool(lib.gateway_status_ours(gs)),
                conditions=conds(lib.gateway_status_condition_count,
                                 lib.gateway_status_condition, gs),
                listeners=listeners))
        diags = [_diag(lib, lib.config_status_diag(p, i))
                 for i in range(count(lib.config_status_diag_count,
                                      "gwr_config_status_diag_count"))]
        return Status(routes=routes, gateways=gateways, diagnostics=diags)

    def compile(self, gateway: Union[str, Tuple[str, str], None] = None,
                path_flags: Optional[int] = None,
                normalize: bool = True) -> "Table":
        """Compile the routes of one Gateway into a Table.

        gateway: "NAMESPACE/NAME", a (namespace, name) pair, or None for
        the only Gateway loaded (or the implicit listener when none is).
        path_flags: PATH_* bits instead of PATH_DEFAULT.
        normalize=False: match the path exactly as received
        (COMPILE_NO_NORMALIZATION; see docs/MATCHING.md before using it).
        """
        lib, p = _L(), self._live()
        opts = _CompileOpts()
        opts.size = ctypes.sizeof(_CompileOpts)
        keep = []
        if gateway is not None:
            if isinstance(gateway, str):
                ns, sep, name = gateway.partition("/")
                if not sep or not ns or not name:
                    raise ValueError("gateway must be NAMESPACE/NAME")
            else:
                ns, name = gateway
            keep += [_b(ns), _b(name)]
            opts.gateway_ns, opts.gateway_name = _view(keep[0]), \
                _view(keep[1])
        if path_flags is not None:
            opts.flags |= COMPILE_PATH_FLAGS
            opts.path_flags = path_flags
        if not normalize:
            opts.flags |= COMPILE_NO_NORMALIZATION
        err = ctypes.create_string_buffer(512)
        opts.errbuf = ctypes.cast(err, ctypes.c_void_p)
        opts.errbuf_size = len(err)
        out = ctypes.c_void_p()
        rc = lib.table_compile(ctypes.byref(out), p, ctypes.byref(opts))
        if rc < 0:
            raise GwrError(rc, "gwr_table_compile",
                           err.value.decode("utf-8", "replace"))
        return Table._adopt(out.value, self._ctx)

    def close(self) -> None:
        p, self._ptr = self._ptr, None
        if p is not None:
            _L().config_free(p)
            ctx, self._ctx = self._ctx, None
            if ctx is not None:
                ctx._release()


class Table(_Owner):
    """One reference on an immutable, shareable gwr_table.

    match() may be called from any number of threads at once. close()
    drops this object's reference; Routers and in-flight matches hold
    their own.
    """

    @classmethod
    def _adopt(cls, ptr: int, ctx: Context) -> "Table":
        t = cls.__new__(cls)
        t._ptr = ptr
        try:
            t._pool = _DecisionPool(ctx)
        except BaseException:
            _L().table_unref(ptr)
            t._ptr = None
            raise
        t._ctx = ctx
        return t

    @property
    def entry_count(self) -> int:
        return _L().table_entry_count(self._live())

    def match(self, request: Union[Request, Mapping, None] = None,
              **kwargs) -> Decision:
        """Route one request (a Request, a dict, or Request's keywords)."""
        return _match(self._live(), self._pool, request, kwargs)

    def close(self) -> None:
        p, self._ptr = self._ptr, None
        if p is not None:
            _L().table_unref(p)
            self._pool.close()


class Router(_Owner):
    """A current table that can be swapped while requests are matched.

    match() takes a reference on the current table for the duration of the
    call (gwr_table_ref/unref), so swap() may publish a new table from any
    thread while other threads still match against the old one; Decision
    objects are snapshots and stay valid across swaps.
    """

    def __init__(self, table: Table):
        self._lock = threading.Lock()
        self._pool = _DecisionPool(table._ctx)
        self._ptr = _L().table_ref(table._live())
        self.generation = 0

    def swap(self, table: Table) -> None:
        """Publish `table` (the router takes its own reference) and drop
        the router's reference on the previous one."""
        new = _L().table_ref(table._live())
        with self._lock:
            old = self._ptr
            if old is not None:
                self._ptr = new
                self.generation += 1
        if old is None:
            _L().table_unref(new)
            raise GwrError(E_STATE, "Router.swap", "closed")
        _L().table_unref(old)

    @property
    def entry_count(self) -> int:
        t = self._acquire()
        try:
            return _L().table_entry_count(t)
        finally:
            _L().table_unref(t)

    def _acquire(self) -> int:
        with self._lock:
            return _L().table_ref(self._live())

    def match(self, request: Union[Request, Mapping, None] = None,
              **kwargs) -> Decision:
        t = self._acquire()
        try:
            return _match(t, self._pool, request, kwargs)
        finally:
            _L().table_unref(t)

    def close(self) -> None:
        with self._lock:
            p, self._ptr = self._ptr, None
        if p is not None:
            _L().table_unref(p)
            self._pool.close()


# ---- the exchange engine ----------------------------------------------------------

NO_DEADLINE = 0xFFFFFFFFFFFFFFFF      # UINT64_MAX: "no deadline" in C


class EngineOption(enum.IntEnum):
    """gwr_engine_set_option() keys (include/gwroute/engine.h)."""
    DEFAULT_ATTEMPTS = 0
    DEFAULT_BACKOFF_MS = 1
    BACKOFF_CAP_FACTOR = 2
    JITTER = 3
    DEFAULT_REQUEST_TIMEOUT_MS = 4
    RETRY_OTHER_BACKEND = 5


class CallbackError(GwrError):
    """An engine call returned GWR_E_CALLBACK: a host callback raised (or
    returned a negative value). The engine already ended the exchange as
    docs/EMBEDDING.md "Host callback failures" says.

    .errors: the exceptions the binding caught in callbacks during the
    call (empty when a callback only returned a failure code); the first
    is also __cause__. .exchange_id: the exchange submit() created (the
    engine has ended it), else None.
    """

    def __init__(self, code: int, what: str, errors: Sequence[BaseException],
                 exchange_id: Optional[int] = None):
        self.errors = list(errors)
        self.exchange_id = exchange_id
        detail = "; ".join("%s: %s" % (type(e).__name__, e)
                           for e in self.errors[:3])
        super().__init__(code, what, detail)


@dataclass(frozen=True)
class Upstream:
    """A copy of the gwr_upstream view handed to send_request/send_mirror
    (the C view is only valid during the callback; this copy is not)."""
    exchange_id: int
    attempt: int                       # 0 first try, n for the n-th retry
    is_mirror: bool
    backend: Optional[Backend]
    protocol: str                      # http, h2c, ws, wss
    method: str
    scheme: str
    host: str
    path: str
    headers: List[Tuple[str, str]]
    deadline: Optional[int]            # now_ms clock; None = none

    def header(self, name: str) -> Optional[str]:
        """First value of a header (case-insensitive), or None."""
        low = name.lower()
        return next((v for n, v in self.headers if n.lower() == low), None)


def _read_upstream(lib: _Lib, u: int) -> Upstream:
    hdrs = []
    for i in range(lib.upstream_header_count(u)):
        h = lib.upstream_header(u, i)
        if h:
            hdrs.append((_s(h.contents.name), _s(h.contents.value)))
    be = lib.upstream_backend(u)
    dl = lib.upstream_deadline(u)
    return Upstream(
        exchange_id=lib.upstream_exchange_id(u),
        attempt=lib.upstream_attempt(u),
        is_mirror=bool(lib.upstream_is_mirror(u)),
        backend=_backend(lib, be) if be else None,
        protocol=_PROTOCOLS.get(lib.upstream_protocol(u), "http"),
        method=_s(lib.upstream_method(u)), scheme=_s(lib.upstream_scheme(u)),
        host=_s(lib.upstream_host(u)), path=_s(lib.upstream_path(u)),
        headers=hdrs, deadline=None if dl == NO_DEADLINE else dl)


def _status_of(v, connect: bool = False) -> int:
    """A host callback's return value as the C int: None/False/0 = OK,
    a negative int = failure, True/1 from connect = "connected now"."""
    if v is None:
        return 0
    if not isinstance(v, int):
        raise TypeError("host callback returned %r (want None, a bool or "
                        "an int)" % (v,))
    if v < 0:
        return -1
    return 1 if connect and v >= 1 else 0


_HOST_MEMBERS = ("now_ms", "set_timer", "connect", "send_request",
                 "send_mirror", "respond", "cancel")


class Engine(_Owner):
    """A gwr_engine: the exchange engine driven by Python host callbacks.

    Host callbacks come from `host` (an object with methods of these
    names) and/or keywords of the same names (a keyword wins); a missing
    one leaves the gwr_io member NULL, i.e. the library default:

      now_ms() -> int                       monotonic ms (default: the
                                            library's CLOCK_MONOTONIC)
      set_timer(deadline: int | None)       arm the single timer (None:
                                            disarm); call on_timer() then
      connect(backend: Backend, protocol: str, conn_id: int) -> bool
                                            True: usable now; else call
                                            on_connected(conn_id) later
      send_request(conn_id: int, xid: int, upstream: Upstream)
      send_mirror(backend: Backend, upstream: Upstream)
      respond(exchange_id: int, status: int, headers: [(str, str)],
              body: bytes)                  response_source() tells a
                                            relayed head from a generated one
      cancel(id: int)

    Returning None (or False/0) is success; a negative int is a failure.
    An exception raised in a callback never crosses into C: it is caught,
    the callback returns -1 (the engine call gives GWR_E_CALLBACK) and the
    engine method raises CallbackError from it. Exceptions of callbacks
    whose failure the engine does not report (cancel, send_mirror, now_ms)
    are appended to .unreported_errors instead; KeyboardInterrupt and
    SystemExit are re-raised once the engine call is back in Python.

    The engine owns its Context (one engine per context, docs/EMBEDDING.md)
    made with `allocator`, `log` and `log_level`; tables may come from any
    context. Requests are matched into the engine's one gwr_decision with
    match(table_or_router, ...) and handed over with submit(decision).
    Like the C engine, it belongs to one thread; engine calls made from
    inside a callback raise GwrError(E_STATE) (read-only ones work).
    """

    def __init__(self, host=None, *, allocator: Optional[TrackingAllocator]
                 = None, log=None, log_level: Optional[int] = None,
                 options: Optional[Mapping[int, int]] = None, **callbacks):
        unknown = set(callbacks) - set(_HOST_MEMBERS)
        if unknown:
            raise TypeError("unknown host callback(s): " +
                            ", ".join(sorted(unknown)))
        fns = {}
        for name in _HOST_MEMBERS:
            fn = callbacks.get(name)
            if fn is None and host is not None:
                fn = getattr(host, name, None)
            if fn is not None and not callable(fn):
                raise TypeError("host member %s is not callable" % name)
            if fn is not None:
                fns[name] = fn
        self._host_fns = fns
        self._caught: List[BaseException] = []
        self._in_call = False
        self._close_pending = False
        self._matched: Optional[Decision] = None
        self._last_now = 0
        self.unreported_errors: List[BaseException] = []
        self._thunks = self._make_thunks()
        lib = _L()
        self._ctx = Context(log=log, log_level=log_level, allocator=allocator,
                            _io_members=self._thunks)
        try:
            d = ctypes.c_void_p()
            _check(lib.decision_new(ctypes.byref(d), self._ctx._ptr),
                   "gwr_decision_new")
            self._decision = d.value
            out = ctypes.c_void_p()
            rc = lib.engine_new(ctypes.byref(out), self._ctx._ptr)
            if rc < 0:
                lib.decision_free(self._decision)
                raise GwrError(rc, "gwr_engine_new")
        except BaseException:
            self._ctx.close()
            self._ctx = None
            raise
        self._ptr = out.value
        self._one = _OneDecision(self._decision)
        for opt, value in (options or {}).items():
            self.set_option(opt, value)

    # -- the C-facing callbacks (run inside engine calls) ------------------

    def _make_thunks(self) -> Dict[str, object]:
        me = weakref.ref(self)
        lib = _L()

        def guard(fail, body):
            def run(*args):
                eng = me()
                if eng is None:
                    return fail
                try:
                    return body(eng, *args)
                except BaseException as e:   # never unwind into C
                    eng._caught.append(e)
                    return fail
            return run

        def now_ms(eng, ud):
            v = int(eng._host_fns["now_ms"]()) & NO_DEADLINE
            eng._last_now = v
            return v

        def now_ms_safe(ud):
            eng = me()
            if eng is None:
                return 0
            try:
                return now_ms(eng, ud)
            except BaseException as e:
                eng._caught.append(e)
                return eng._last_now

        def set_timer(eng, deadline, ud):
            return _status_of(eng._host_fns["set_timer"](
                None if deadline == NO_DEADLINE else deadline))

        def connect(eng, be, proto, conn_id, ud):
            return _status_of(eng._host_fns["connect"](
                _backend(lib, be), _PROTOCOLS.get(proto, "http"), conn_id),
                connect=True)

        def send_request(eng, conn_id, xid, u, ud):
            return _status_of(eng._host_fns["send_request"](
                conn_id, xid, _read_upstream(lib, u)))

        def send_mirror(eng, be, u, ud):
            return _status_of(eng._host_fns["send_mirror"](
                _backend(lib, be), _read_upstream(lib, u)))

        def respond(eng, xid, status, hs, n, body, body_len, ud):
            headers = [(_s(hs[i].name), _s(hs[i].value)) for i in range(n)]
            data = ctypes.string_at(body, body_len) \
                if body and body_len else b""
            return _status_of(eng._host_fns["respond"](
                xid, status, headers, data))

        def cancel(eng, id_, ud):
            eng._host_fns["cancel"](id_)

        makers = {
            "now_ms": lambda: _NOW_FN(now_ms_safe),
            "set_timer": lambda: _SET_TIMER_FN(guard(-1, set_timer)),
            "connect": lambda: _CONNECT_FN(guard(-1, connect)),
            "send_request": lambda: _SEND_REQUEST_FN(guard(-1, send_request)),
            "send_mirror": lambda: _SEND_MIRROR_FN(guard(-1, send_mirror)),
            "respond": lambda: _RESPOND_FN(guard(-1, respond)),
            "cancel": lambda: _CANCEL_FN(guard(None, cancel)),
        }
        return {name: makers[name]() for name in self._host_fns}

    def _call(self, what: str, fn, *args, exchange_id=None) -> int:
        """Run a mutating engine call; turn caught callback exceptions and
        negative statuses (but E_NOT_FOUND, returned) into exceptions."""
        p = self._live()
        if self._in_call:
            # From inside a callback: the engine refuses (GWR_E_STATE).
            return _check(fn(p, *args), what)
        self._in_call = True
        self._caught = []
        try:
            rc = fn(p, *args)
        finally:
            self._in_call = False
            caught, self._caught = self._caught, []
            if self._close_pending:
                self._release()
        fatal = [e for e in caught if not isinstance(e, Exception)]
        if fatal:
            raise fatal[0]
        if rc == E_CALLBACK:
            xid = exchange_id() if callable(exchange_id) else exchange_id
            raise CallbackError(rc, what, caught, xid or None) from \
                (caught[0] if caught else None)
        self.unreported_errors.extend(caught)
        if rc < 0 and rc != E_NOT_FOUND:
            raise GwrError(rc, what)
        return rc

    # -- matching and submitting -------------------------------------------

    def match(self, source: Union[Table, Router],
              request: Union[Request, Mapping, None] = None,
              **kwargs) -> Decision:
        """Match a request (as Table.match) into the engine's decision and
        return its snapshot; pass that snapshot to submit()."""
        self._live()
        if self._in_call:
            raise GwrError(E_STATE, "Engine.match", "inside a callback")
        lib = _L()
        if isinstance(source, Router):
            t = source._acquire()
            try:
                dec = _match(t, self._one, request, kwargs)
            finally:
                lib.table_unref(t)
        elif isinstance(source, Table):
            dec = _match(source._live(), self._one, request, kwargs)
        else:
            raise TypeError("source must be a Table or a Router")
        self._matched = dec
        return dec

    def submit(self, decision: Decision) -> int:
        """gwr_engine_submit(): start an exchange; returns its id.
        REDIRECT/RESPOND/NO_ROUTE decisions are answered (respond) before
        this returns. `decision` must be the last one match() returned."""
        if decision is None or decision is not self._matched:
            raise GwrError(E_INVAL, "Engine.submit",
                           "submit the Decision returned by this engine's "
                           "last match()")
        out = ctypes.c_uint64(0)
        self._call("gwr_engine_submit", _L().engine_submit, self._decision,
                   ctypes.byref(out), exchange_id=lambda: out.value)
        return out.value

    # -- events ------------------------------------------------------------

    def on_connected(self, conn_id: int, status: int = 0) -> bool:
        """The connection is ready (0) or failed (<0). False: unknown or
        cancelled id (GWR_E_NOT_FOUND, safe to ignore)."""
        return self._call("gwr_engine_on_connected", _L().engine_on_connected,
                          conn_id, status) != E_NOT_FOUND

    def on_response_head(self, xid: int, status: int,
                         headers: HeadersLike = None) -> Optional[bool]:
        """True: relayed to the client (respond was called; stream the
        body, then on_body_done). False: the engine retries (it cancelled
        the attempt: drop its body). None: unknown id (GWR_E_NOT_FOUND)."""
        if headers is None:
            pairs = []
        elif isinstance(headers, Mapping):
            pairs = list(headers.items())
        else:
            pairs = [(n, v) for n, v in headers]
        keep = []
        arr = (_Header * max(len(pairs), 1))()
        for i, (n, v) in enumerate(pairs):
            bn, bv = _b(n), _b(v)
            keep += [bn, bv]
            arr[i].name, arr[i].value = _view(bn), _view(bv)
        rc = self._call("gwr_engine_on_response_head",
                        _L().engine_on_response_head, xid, status,
                        ctypes.cast(arr, ctypes.POINTER(_Header)), len(pairs))
        return None if rc == E_NOT_FOUND else rc == 1

    def on_body_done(self, xid: int) -> bool:
        """The upstream response is complete. False: unknown id."""
        return self._call("gwr_engine_on_body_done", _L().engine_on_body_done,
                          xid) != E_NOT_FOUND

    def on_error(self, id: int, err: int = -1) -> bool:
        """A connection or attempt broke (`err` is only logged). False:
        unknown id."""
        return self._call("gwr_engine_on_error", _L().engine_on_error, id,
                          err) != E_NOT_FOUND

    def on_timer(self) -> None:
        """The set_timer deadline passed (calling early is harmless)."""
        self._call("gwr_engine_on_timer", _L().engine_on_timer)

    def cancel(self, exchange_id: int) -> bool:
        """The client went away. False: unknown or finished exchange."""
        return self._call("gwr_engine_cancel", _L().engine_cancel,
                          exchange_id) != E_NOT_FOUND

    def set_option(self, option: int, value: int) -> None:
        """gwr_engine_set_option() (EngineOption); applies to exchanges
        submitted afterwards."""
        self._call("gwr_engine_set_option", _L().engine_set_option,
                   int(option), int(value))

    # -- read-only (allowed inside callbacks) ------------------------------

    def next_deadline(self) -> Optional[int]:
        """The earliest deadline on the now_ms clock; None when none."""
        v = _L().engine_next_deadline(self._live())
        return None if v == NO_DEADLINE else v

    def exchange_count(self) -> int:
        """Exchanges not yet ended."""
        return _L().engine_exchange_count(self._live())

    def response_source(self, exchange_id: int) -> Optional[int]:
        """The attempt (xid) whose response the client of `exchange_id` is
        getting; None when the engine generated it (or none yet). Use it
        inside respond."""
        v = _L().engine_response_source(self._live(), exchange_id)
        return v or None

    def exchange_of(self, id: int) -> Optional[int]:
        """The exchange a connection id (connect) or attempt id
        (send_request) belongs to, or an exchange id's own; None when the
        engine does not know the id. Allowed inside callbacks: in connect
        it names the client request that asked for the connection."""
        v = _L().engine_exchange_of(self._live(), id)
        return v or None

    @property
    def context(self) -> Context:
        """The engine's context (its allocator and log), e.g. for
        Config(engine.context)."""
        if self._ctx is None:
            raise GwrError(E_STATE, "Engine", "closed")
        return self._ctx

    # -- teardown ----------------------------------------------------------

    def close(self) -> None:
        """gwr_engine_free(): exchanges in flight are dropped without any
        callback. Inside a callback the C free is deferred by the library
        and the Python side (context, callbacks) is released when the
        engine call returns."""
        p, self._ptr = self._ptr, None
        if p is None:
            return
        _L().engine_free(p)
        self._matched = None
        if self._in_call:
            self._close_pending = True
        else:
            self._release()

    def _release(self) -> None:
        self._close_pending = False
        d, self._decision = getattr(self, "_decision", None), None
        if d is not None:
            _L().decision_free(d)
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            ctx.close()
