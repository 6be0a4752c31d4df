-- libgwroute - SPDX-License-Identifier: MIT
--
-- LuaJIT FFI binding for libgwroute (OpenResty/Kong-style hosts).
--
--   local gwroute = require "gwroute"
--   local cfg = gwroute.config()
--   cfg:add_file("gateway.yaml")               -- or cfg:add_text(str, "src")
--   for _, d in ipairs(cfg:diagnostics()) do print(tostring(d)) end
--   local tab = cfg:compile{ gateway = "infra/edge" }
--   cfg:close()
--   local router = gwroute.router(tab)        -- hot-swappable
--   local d = router:match{ method = "GET", host = "shop.example.com",
--                           path = "/cart?id=7", headers = { ["x-a"] = "1" },
--                           id = "req-1" }
--   if d.result == "forward" then ... d.backend.name, d.upstream.path ... end
--
-- The library is found through GWROUTE_LIB (a path), else the system
-- linker ("gwroute", then "libgwroute.so.1"), else build/lib/ beside the
-- source tree. Objects owning C resources (config, table, router) have
-- :close() (safe twice) and an ffi.gc finalizer as a safety net. Decisions
-- and status are plain Lua tables: they stay valid forever.
--
-- The exchange engine (gwroute/engine.h) is gwroute.engine(host): host
-- callbacks are methods of a Lua table, see "the exchange engine" below
-- and docs/EMBEDDING.md "From Python and LuaJIT".
--
-- ABI: gwr_request and gwr_compile_opts are declared with their v1 fields,
-- gwr_io with its engine members, and passed with size = ffi.sizeof(our
-- declaration), the "older caller" case a newer library accepts
-- (docs/ABI.md). Opaque handles are never dereferenced.

local ffi = require "ffi"
local bit = require "bit"

ffi.cdef [[
typedef struct gwr_str { const char *ptr; size_t len; } gwr_str;
typedef struct gwr_header { gwr_str name; gwr_str value; } gwr_header;
typedef struct gwr_ctx gwr_ctx;
typedef struct gwr_config gwr_config;
typedef struct gwr_diag gwr_diag;
typedef struct gwr_gateway gwr_gateway;
typedef struct gwr_table gwr_table;
typedef struct gwr_decision gwr_decision;
typedef struct gwr_backend gwr_backend;
typedef struct gwr_route_status gwr_route_status;
typedef struct gwr_parent_status gwr_parent_status;
typedef struct gwr_gateway_status gwr_gateway_status;
typedef struct gwr_listener_status gwr_listener_status;
typedef struct gwr_condition gwr_condition;

typedef struct gwr_allocator {
    size_t size;
    void *(*alloc)(size_t n, void *ud);
    void *(*realloc)(void *p, size_t n, void *ud);
    void (*free)(void *p, void *ud);
    void *ud;
} gwr_allocator;
typedef struct gwr_upstream gwr_upstream;
typedef struct gwr_engine gwr_engine;
/* gwr_io with its engine members. Every callback takes scalars and
 * pointers only (no struct by value), so LuaJIT can create them all. */
typedef int (*gwr_io_set_timer_fn)(uint64_t deadline_ms, void *ud);
typedef int (*gwr_io_connect_fn)(const gwr_backend *be, uint32_t proto,
                                 uint64_t conn_id, void *ud);
typedef int (*gwr_io_send_request_fn)(uint64_t conn_id, uint64_t xid,
                                      const gwr_upstream *req, void *ud);
typedef int (*gwr_io_send_mirror_fn)(const gwr_backend *be,
                                     const gwr_upstream *req, void *ud);
typedef int (*gwr_io_respond_fn)(uint64_t exchange_id, int status,
                                 const gwr_header *headers, size_t n,
                                 const char *body_ptr, size_t body_len,
                                 void *ud);
typedef void (*gwr_io_cancel_fn)(uint64_t id, void *ud);
typedef uint64_t (*gwr_io_now_ms_fn)(void *ud);
typedef struct gwr_io {
    size_t size;
    gwr_io_now_ms_fn now_ms;
    void (*random)(uint8_t *buf, size_t len, void *ud);
    void (*log)(uint32_t level, const char *msg, size_t len, void *ud);
    gwr_io_set_timer_fn set_timer;
    gwr_io_connect_fn connect;
    gwr_io_send_request_fn send_request;
    gwr_io_send_mirror_fn send_mirror;
    gwr_io_respond_fn respond;
    gwr_io_cancel_fn cancel;
} gwr_io;
typedef int (*gwr_header_fn)(size_t index, gwr_header *out, void *ud);
typedef struct gwr_request {
    size_t size;
    gwr_str method, scheme, host, path;
    const gwr_header *headers;
    size_t n_headers;
    gwr_header_fn header_fn;
    void *header_ud;
    uint32_t port;
    uint32_t flags;
    uint64_t seed;
    gwr_str sni;
} gwr_request;
typedef struct gwr_compile_opts {
    size_t size;
    gwr_str gateway_ns;
    gwr_str gateway_name;
    uint32_t flags;
    uint32_t path_flags;
    char *errbuf;
    size_t errbuf_size;
} gwr_compile_opts;

const char *gwr_strerror(int status);
uint32_t gwr_version_num(void);
const char *gwr_version_str(void);

int gwr_ctx_new(gwr_ctx **out, const gwr_allocator *mem, const gwr_io *io,
                void *io_ud);
void gwr_ctx_free(gwr_ctx *ctx);

int gwr_config_new(gwr_config **out, gwr_ctx *ctx);
void gwr_config_free(gwr_config *cfg);
int gwr_config_add_text(gwr_config *cfg, uint32_t format, gwr_str text,
                        gwr_str source);
size_t gwr_config_diag_count(const gwr_config *cfg);
size_t gwr_config_error_count(const gwr_config *cfg);
const gwr_diag *gwr_config_diag(const gwr_config *cfg, size_t i);
uint32_t gwr_diag_severity(const gwr_diag *d);
gwr_str gwr_diag_source(const gwr_diag *d);
uint32_t gwr_diag_line(const gwr_diag *d);
uint32_t gwr_diag_column(const gwr_diag *d);
gwr_str gwr_diag_kind(const gwr_diag *d);
gwr_str gwr_diag_namespace(const gwr_diag *d);
gwr_str gwr_diag_name(const gwr_diag *d);
gwr_str gwr_diag_field(const gwr_diag *d);
gwr_str gwr_diag_message(const gwr_diag *d);
int gwr_diag_format(const gwr_diag *d, char *buf, size_t size);
size_t gwr_config_gateway_count(const gwr_config *cfg);
const gwr_gateway *gwr_config_gateway(const gwr_config *cfg, size_t i);
gwr_str gwr_gateway_namespace(const gwr_gateway *g);
gwr_str gwr_gateway_name(const gwr_gateway *g);
gwr_str gwr_gateway_class_name(const gwr_gateway *g);

int gwr_config_status_update(gwr_config *cfg);
int gwr_config_status_route_count(gwr_config *cfg, size_t *out);
const gwr_route_status *gwr_config_status_route(gwr_config *cfg, size_t i);
int gwr_config_status_gateway_count(gwr_config *cfg, size_t *out);
const gwr_gateway_status *gwr_config_status_gateway(gwr_config *cfg, size_t i);
int gwr_config_status_diag_count(gwr_config *cfg, size_t *out);
const gwr_diag *gwr_config_status_diag(gwr_config *cfg, size_t i);
const char *gwr_config_supported_features(size_t i);
gwr_str gwr_route_status_kind(const gwr_route_status *rs);
gwr_str gwr_route_status_namespace(const gwr_route_status *rs);
gwr_str gwr_route_status_name(const gwr_route_status *rs);
size_t gwr_route_status_parent_count(const gwr_route_status *rs);
const gwr_parent_status *gwr_route_status_parent(const gwr_route_status *rs,
                                                 size_t i);
gwr_str gwr_parent_status_group(const gwr_parent_status *ps);
gwr_str gwr_parent_status_kind(const gwr_parent_status *ps);
gwr_str gwr_parent_status_namespace(const gwr_parent_status *ps);
int gwr_parent_status_namespace_set(const gwr_parent_status *ps);
gwr_str gwr_parent_status_name(const gwr_parent_status *ps);
gwr_str gwr_parent_status_section_name(const gwr_parent_status *ps);
uint32_t gwr_parent_status_port(const gwr_parent_status *ps);
int gwr_parent_status_accepted(const gwr_parent_status *ps);
size_t gwr_parent_status_condition_count(const gwr_parent_status *ps);
const gwr_condition *gwr_parent_status_condition(const gwr_parent_status *ps,
                                                 size_t i);
gwr_str gwr_gateway_status_namespace(const gwr_gateway_status *gs);
gwr_str gwr_gateway_status_name(const gwr_gateway_status *gs);
int gwr_gateway_status_ours(const gwr_gateway_status *gs);
size_t gwr_gateway_status_condition_count(const gwr_gateway_status *gs);
const gwr_condition *gwr_gateway_status_condition(
    const gwr_gateway_status *gs, size_t i);
size_t gwr_gateway_status_listener_count(const gwr_gateway_status *gs);
const gwr_listener_status *gwr_gateway_status_listener(
    const gwr_gateway_status *gs, size_t i);
gwr_str gwr_listener_status_name(const gwr_listener_status *ls);
uint32_t gwr_listener_status_attached_routes(const gwr_listener_status *ls);
size_t gwr_listener_status_supported_kind_count(const gwr_listener_status *ls);
gwr_str gwr_listener_status_supported_kind_group(
    const gwr_listener_status *ls, size_t i);
gwr_str gwr_listener_status_supported_kind(const gwr_listener_status *ls,
                                           size_t i);
size_t gwr_listener_status_condition_count(const gwr_listener_status *ls);
const gwr_condition *gwr_listener_status_condition(
    const gwr_listener_status *ls, size_t i);
gwr_str gwr_condition_type(const gwr_condition *c);
uint32_t gwr_condition_status(const gwr_condition *c);
gwr_str gwr_condition_reason(const gwr_condition *c);
gwr_str gwr_condition_message(const gwr_condition *c);

int gwr_table_compile(gwr_table **out, const gwr_config *cfg,
                      const gwr_compile_opts *opts);
gwr_table *gwr_table_ref(gwr_table *table);
void gwr_table_unref(gwr_table *table);
size_t gwr_table_entry_count(const gwr_table *table);
int gwr_sample_fraction(uint64_t seed, uint64_t salt, uint32_t num,
                        uint32_t den);

int gwr_decision_new(gwr_decision **out, gwr_ctx *ctx);
void gwr_decision_free(gwr_decision *d);
int gwr_table_match(const gwr_table *table, const gwr_request *req,
                    gwr_decision *d);
uint32_t gwr_decision_result(const gwr_decision *d);
int gwr_decision_status(const gwr_decision *d);
int gwr_decision_grpc(const gwr_decision *d);
int gwr_decision_grpc_status(const gwr_decision *d);
uint64_t gwr_decision_seed(const gwr_decision *d);
gwr_str gwr_decision_route_kind(const gwr_decision *d);
gwr_str gwr_decision_route_namespace(const gwr_decision *d);
gwr_str gwr_decision_route_name(const gwr_decision *d);
int gwr_decision_rule_index(const gwr_decision *d);
gwr_str gwr_decision_rule_name(const gwr_decision *d);
const gwr_backend *gwr_decision_backend(const gwr_decision *d);
gwr_str gwr_backend_kind(const gwr_backend *b);
gwr_str gwr_backend_group(const gwr_backend *b);
gwr_str gwr_backend_namespace(const gwr_backend *b);
gwr_str gwr_backend_name(const gwr_backend *b);
uint32_t gwr_backend_port(const gwr_backend *b);
uint32_t gwr_backend_protocol(const gwr_backend *b);
size_t gwr_backend_endpoint_count(const gwr_backend *b);
int gwr_backend_endpoint(const gwr_backend *b, size_t i, gwr_str *address,
                         uint32_t *port);
int gwr_backend_tls(const gwr_backend *b);
gwr_str gwr_backend_tls_hostname(const gwr_backend *b);
gwr_str gwr_backend_tls_well_known(const gwr_backend *b);
size_t gwr_backend_tls_san_count(const gwr_backend *b);
int gwr_backend_tls_san(const gwr_backend *b, size_t i, gwr_str *type,
                        gwr_str *value);
size_t gwr_backend_tls_ca_ref_count(const gwr_backend *b);
int gwr_backend_tls_ca_ref(const gwr_backend *b, size_t i, gwr_str *group,
                           gwr_str *kind, gwr_str *name);
gwr_str gwr_decision_upstream_method(const gwr_decision *d);
gwr_str gwr_decision_upstream_scheme(const gwr_decision *d);
gwr_str gwr_decision_upstream_host(const gwr_decision *d);
gwr_str gwr_decision_upstream_path(const gwr_decision *d);
size_t gwr_decision_upstream_header_count(const gwr_decision *d);
const gwr_header *gwr_decision_upstream_header(const gwr_decision *d,
                                               size_t i);
gwr_str gwr_decision_location(const gwr_decision *d);
size_t gwr_decision_response_header_count(const gwr_decision *d,
                                          uint32_t list);
const gwr_header *gwr_decision_response_header(const gwr_decision *d,
                                               uint32_t list, size_t i);
size_t gwr_decision_mirror_count(const gwr_decision *d);
const gwr_backend *gwr_decision_mirror(const gwr_decision *d, size_t i,
                                       int *sampled);
int64_t gwr_decision_timeout_ms(const gwr_decision *d);
int64_t gwr_decision_backend_timeout_ms(const gwr_decision *d);
int gwr_decision_has_retry(const gwr_decision *d);
int64_t gwr_decision_retry_attempts(const gwr_decision *d);
int64_t gwr_decision_retry_backoff_ms(const gwr_decision *d);
size_t gwr_decision_retry_codes(const gwr_decision *d, const uint16_t **codes);
size_t gwr_decision_extension_count(const gwr_decision *d);
int gwr_decision_extension(const gwr_decision *d, size_t i, gwr_str *group,
                           gwr_str *kind, gwr_str *name);

int gwr_engine_new(gwr_engine **out, gwr_ctx *ctx);
void gwr_engine_free(gwr_engine *e);
int gwr_engine_set_option(gwr_engine *e, uint32_t option, int64_t value);
int gwr_engine_submit(gwr_engine *e, const gwr_decision *d,
                      uint64_t *exchange_id_out);
int gwr_engine_on_connected(gwr_engine *e, uint64_t conn_id, int status);
int gwr_engine_on_response_head(gwr_engine *e, uint64_t xid, int http_status,
                                const gwr_header *headers, size_t n);
int gwr_engine_on_body_done(gwr_engine *e, uint64_t xid);
int gwr_engine_on_error(gwr_engine *e, uint64_t id, int err);
int gwr_engine_on_timer(gwr_engine *e);
int gwr_engine_cancel(gwr_engine *e, uint64_t exchange_id);
uint64_t gwr_engine_next_deadline(const gwr_engine *e);
size_t gwr_engine_exchange_count(const gwr_engine *e);
uint64_t gwr_engine_response_source(const gwr_engine *e,
                                    uint64_t exchange_id);
uint64_t gwr_engine_exchange_of(const gwr_engine *e, uint64_t id);
uint64_t gwr_upstream_exchange_id(const gwr_upstream *u);
uint32_t gwr_upstream_attempt(const gwr_upstream *u);
int gwr_upstream_is_mirror(const gwr_upstream *u);
const gwr_backend *gwr_upstream_backend(const gwr_upstream *u);
uint32_t gwr_upstream_protocol(const gwr_upstream *u);
gwr_str gwr_upstream_method(const gwr_upstream *u);
gwr_str gwr_upstream_scheme(const gwr_upstream *u);
gwr_str gwr_upstream_host(const gwr_upstream *u);
gwr_str gwr_upstream_path(const gwr_upstream *u);
size_t gwr_upstream_header_count(const gwr_upstream *u);
const gwr_header *gwr_upstream_header(const gwr_upstream *u, size_t i);
uint64_t gwr_upstream_deadline(const gwr_upstream *u);
]]

local M = {}

M.OK, M.E_NOMEM, M.E_INVAL, M.E_PARSE, M.E_CONFIG = 0, -1, -2, -3, -4
M.E_ABI, M.E_CALLBACK, M.E_STATE, M.E_LIMIT = -5, -6, -7, -8
M.E_NOT_FOUND, M.E_RANGE = -9, -10
M.FORMAT_AUTO, M.FORMAT_YAML, M.FORMAT_JSON = 0, 1, 2
M.PATH_DECODE_UNRESERVED = 0x01
M.PATH_UPPERCASE_ESCAPES = 0x02
M.PATH_REMOVE_DOT_SEGMENTS = 0x04
M.PATH_MERGE_SLASHES = 0x08
M.PATH_REJECT_ENCODED_SLASH = 0x10
M.PATH_DECODE_ENCODED_SLASH = 0x20
M.PATH_REJECT_INVALID_ENCODING = 0x40
M.PATH_DEFAULT = 0x5f
local COMPILE_PATH_FLAGS, COMPILE_NO_NORMALIZATION = 0x01, 0x02
local REQ_SEEDED = 0x01

local SEVERITIES = { [0] = "error", "warning", "note" }
local RESULTS = { [0] = "no_route", "forward", "redirect", "respond" }
local PROTOCOLS = { [0] = "http", "h2c", "ws", "wss" }
local CONDITION_VALUES = { [0] = "True", "False", "Unknown" }

-- ---- loading the library ------------------------------------------------------

local function script_dir()
    local src = debug.getinfo(1, "S").source
    if src:sub(1, 1) == "@" then
        return (src:sub(2):match("^(.*)/[^/]*$")) or "."
    end
    return "."
end

local function load_library()
    local env = os.getenv("GWROUTE_LIB")
    if env and env ~= "" then
        return ffi.load(env), env
    end
    local errs = {}
    local here = script_dir()
    for _, cand in ipairs({ "gwroute", "libgwroute.so.1",
                            here .. "/../../build/lib/libgwroute.so.1" }) do
        local ok, lib = pcall(ffi.load, cand)
        if ok then return lib, cand end
        errs[#errs + 1] = tostring(lib)
    end
    error("libgwroute not found (set GWROUTE_LIB): " .. table.concat(errs, "; "))
end

local C, libpath = load_library()
M.library_path = libpath

-- ---- helpers ---------------------------------------------------------------------

local function s(v)               -- gwr_str -> Lua string
    if v.ptr == nil or v.len == 0 then return "" end
    return ffi.string(v.ptr, v.len)
end

local function view(dst, str)     -- fill a gwr_str; caller anchors str
    dst.ptr = str
    dst.len = #str
end

function M.strerror(code)
    return ffi.string(C.gwr_strerror(code))
end

M.error_mt = { __tostring = function(e) return e.message end }

local function check(rc, what, detail)
    if rc < 0 then
        local msg = string.format("%s: %s (%d)", what, M.strerror(rc), rc)
        if detail and detail ~= "" then msg = msg .. ": " .. detail end
        error(setmetatable({ code = rc, message = msg }, M.error_mt), 2)
    end
    return rc
end

function M.version() return ffi.string(C.gwr_version_str()) end
function M.version_num() return tonumber(C.gwr_version_num()) end

function M.supported_features()
    local out, i = {}, 0
    while true do
        local p = C.gwr_config_supported_features(i)
        if p == nil then return out end
        out[#out + 1] = ffi.string(p)
        i = i + 1
    end
end

function M.sample_fraction(seed, salt, num, den)
    return C.gwr_sample_fraction(seed, salt, num, den) == 1
end

-- 64-bit FNV-1a: how `gwroute match` turns a request id into a seed.
function M.fnv1a(str)
    local h = ffi.new("uint64_t", 0xcbf29ce484222325ULL)
    for i = 1, #str do
        h = bit.bxor(h, str:byte(i)) * 0x100000001b3ULL
    end
    return ffi.cast("uint64_t", h)
end

-- A context with the default allocator and every I/O default, passed with
-- the size convention. Objects keep their own C reference on it, so it is
-- released right away by the callers below.
local function new_ctx()
    local io = ffi.new("gwr_io")
    io.size = ffi.sizeof("gwr_io")
    local out = ffi.new("gwr_ctx *[1]")
    check(C.gwr_ctx_new(out, nil, io, nil), "gwr_ctx_new")
    return out[0]
end

local function new_decision()
    local ctx = new_ctx()
    local out = ffi.new("gwr_decision *[1]")
    local rc = C.gwr_decision_new(out, ctx)
    C.gwr_ctx_free(ctx)          -- the decision holds its own reference
    check(rc, "gwr_decision_new")
    return ffi.gc(out[0], C.gwr_decision_free)
end

-- ---- diagnostics -------------------------------------------------------------------

local diag_mt = { __tostring = function(d) return d.text end }

local function read_diag(p)
    local n = C.gwr_diag_format(p, nil, 0)
    local text = ""
    if n >= 0 then
        local buf = ffi.new("char[?]", n + 1)
        C.gwr_diag_format(p, buf, n + 1)
        text = ffi.string(buf, n)
    end
    return setmetatable({
        severity = SEVERITIES[tonumber(C.gwr_diag_severity(p))] or "error",
        source = s(C.gwr_diag_source(p)),
        line = tonumber(C.gwr_diag_line(p)),
        col = tonumber(C.gwr_diag_column(p)),
        kind = s(C.gwr_diag_kind(p)),
        namespace = s(C.gwr_diag_namespace(p)),
        name = s(C.gwr_diag_name(p)),
        field = s(C.gwr_diag_field(p)),
        message = s(C.gwr_diag_message(p)),
        text = text,
    }, diag_mt)
end

-- ---- config ------------------------------------------------------------------------

local Config = {}
Config.__index = Config

function M.config()
    local ctx = new_ctx()
    local out = ffi.new("gwr_config *[1]")
    local rc = C.gwr_config_new(out, ctx)
    C.gwr_ctx_free(ctx)
    check(rc, "gwr_config_new")
    return setmetatable({ ptr = ffi.gc(out[0], C.gwr_config_free) }, Config)
end

local function live(obj, what)
    if obj.ptr == nil then
        error(setmetatable({ code = M.E_STATE,
                             message = what .. ": object is closed" },
                           M.error_mt), 3)
    end
    return obj.ptr
end

function Config:close()
    local p = self.ptr
    if p ~= nil then
        self.ptr = nil
        ffi.gc(p, nil)
        C.gwr_config_free(p)
    end
end

-- Returns the gwr_status (0, E_CONFIG, E_PARSE, E_LIMIT); raises on
-- E_INVAL / E_NOMEM.
function Config:add_text(text, source, format)
    local p = live(self, "config")
    source = source or "-"
    local t, src = ffi.new("gwr_str"), ffi.new("gwr_str")
    view(t, text)
    view(src, source)
    local rc = C.gwr_config_add_text(p, format or 0, t, src)
    if rc == M.E_INVAL or rc == M.E_NOMEM then
        check(rc, "gwr_config_add_text", source)
    end
    return rc
end

function Config:add_file(path)
    local f, err = io.open(path, "rb")
    if not f then error(err, 2) end
    local text = f:read("*a")
    f:close()
    return self:add_text(text, path)
end

function Config:error_count()
    return tonumber(C.gwr_config_error_count(live(self, "config")))
end

function Config:diagnostics()
    local p, out = live(self, "config"), {}
    for i = 0, tonumber(C.gwr_config_diag_count(p)) - 1 do
        out[#out + 1] = read_diag(C.gwr_config_diag(p, i))
    end
    return out
end

function Config:gateways()
    local p, out = live(self, "config"), {}
    for i = 0, tonumber(C.gwr_config_gateway_count(p)) - 1 do
        local g = C.gwr_config_gateway(p, i)
        out[#out + 1] = { namespace = s(C.gwr_gateway_namespace(g)),
                          name = s(C.gwr_gateway_name(g)),
                          class_name = s(C.gwr_gateway_class_name(g)) }
    end
    return out
end

local function conditions(count, get, obj)
    local out = {}
    for i = 0, tonumber(count(obj)) - 1 do
        local c = get(obj, i)
        out[#out + 1] = {
            type = s(C.gwr_condition_type(c)),
            status = CONDITION_VALUES[tonumber(C.gwr_condition_status(c))]
                     or "Unknown",
            reason = s(C.gwr_condition_reason(c)),
            message = s(C.gwr_condition_message(c)),
        }
        out[out[#out].type] = out[#out]      -- also by type
    end
    return out
end

-- The status a conformant controller would write, as Lua tables:
-- { routes = {...}, gateways = {...}, diagnostics = {...} }.
function Config:status()
    local p = live(self, "config")
    check(C.gwr_config_status_update(p), "gwr_config_status_update")
    local n = ffi.new("size_t[1]")
    local st = { routes = {}, gateways = {}, diagnostics = {} }
    check(C.gwr_config_status_route_count(p, n), "status_route_count")
    for i = 0, tonumber(n[0]) - 1 do
        local rs = C.gwr_config_status_route(p, i)
        local r = { kind = s(C.gwr_route_status_kind(rs)),
                    namespace = s(C.gwr_route_status_namespace(rs)),
                    name = s(C.gwr_route_status_name(rs)), parents = {} }
        for j = 0, tonumber(C.gwr_route_status_parent_count(rs)) - 1 do
            local ps = C.gwr_route_status_parent(rs, j)
            r.parents[#r.parents + 1] = {
                group = s(C.gwr_parent_status_group(ps)),
                kind = s(C.gwr_parent_status_kind(ps)),
                namespace = s(C.gwr_parent_status_namespace(ps)),
                namespace_set = C.gwr_parent_status_namespace_set(ps) == 1,
                name = s(C.gwr_parent_status_name(ps)),
                section_name = s(C.gwr_parent_status_section_name(ps)),
                port = tonumber(C.gwr_parent_status_port(ps)),
                accepted = C.gwr_parent_status_accepted(ps) == 1,
                conditions = conditions(C.gwr_parent_status_condition_count,
                                        C.gwr_parent_status_condition, ps),
            }
        end
        st.routes[#st.routes + 1] = r
    end
    check(C.gwr_config_status_gateway_count(p, n), "status_gateway_count")
    for i = 0, tonumber(n[0]) - 1 do
        local gs = C.gwr_config_status_gateway(p, i)
        local g = { namespace = s(C.gwr_gateway_status_namespace(gs)),
                    name = s(C.gwr_gateway_status_name(gs)),
                    ours = C.gwr_gateway_status_ours(gs) == 1,
                    conditions = conditions(
                        C.gwr_gateway_status_condition_count,
                        C.gwr_gateway_status_condition, gs),
                    listeners = {} }
        for j = 0, tonumber(C.gwr_gateway_status_listener_count(gs)) - 1 do
            local ls = C.gwr_gateway_status_listener(gs, j)
            local kinds = {}
            for k = 0, tonumber(
                    C.gwr_listener_status_supported_kind_count(ls)) - 1 do
                kinds[#kinds + 1] = {
                    group = s(C.gwr_listener_status_supported_kind_group(ls, k)),
                    kind = s(C.gwr_listener_status_supported_kind(ls, k)) }
            end
            local l = {
                name = s(C.gwr_listener_status_name(ls)),
                attached_routes =
                    tonumber(C.gwr_listener_status_attached_routes(ls)),
                supported_kinds = kinds,
                conditions = conditions(C.gwr_listener_status_condition_count,
                                        C.gwr_listener_status_condition, ls),
            }
            g.listeners[#g.listeners + 1] = l
            g.listeners[l.name] = l
        end
        st.gateways[#st.gateways + 1] = g
    end
    check(C.gwr_config_status_diag_count(p, n), "status_diag_count")
    for i = 0, tonumber(n[0]) - 1 do
        st.diagnostics[#st.diagnostics + 1] =
            read_diag(C.gwr_config_status_diag(p, i))
    end
    return st
end

-- ---- tables and matching -------------------------------------------------------------

local Table = {}
Table.__index = Table

-- opts: gateway = "NS/NAME" (default: the only Gateway loaded),
-- path_flags = PATH_* bits, normalize = false for no path normalization.
function Config:compile(opts)
    local p = live(self, "config")
    opts = opts or {}
    local co = ffi.new("gwr_compile_opts")
    co.size = ffi.sizeof("gwr_compile_opts")
    local ns, name
    if opts.gateway then
        ns, name = opts.gateway:match("^([^/]+)/([^/]+)$")
        if not ns then error("gateway must be NAMESPACE/NAME", 2) end
        view(co.gateway_ns, ns)
        view(co.gateway_name, name)
    end
    if opts.path_flags then
        co.flags = bit.bor(co.flags, COMPILE_PATH_FLAGS)
        co.path_flags = opts.path_flags
    end
    if opts.normalize == false then
        co.flags = bit.bor(co.flags, COMPILE_NO_NORMALIZATION)
    end
    local err = ffi.new("char[512]")
    co.errbuf, co.errbuf_size = err, 512
    local out = ffi.new("gwr_table *[1]")
    check(C.gwr_table_compile(out, p, co), "gwr_table_compile",
          ffi.string(err))
    local t = ffi.gc(out[0], C.gwr_table_unref)
    return setmetatable({ ptr = t, dec = new_decision() }, Table)
end

function Table:close()
    local p = self.ptr
    if p ~= nil then
        self.ptr = nil
        ffi.gc(p, nil)
        C.gwr_table_unref(p)
        local d = self.dec
        self.dec = nil
        ffi.gc(d, nil)
        C.gwr_decision_free(d)
    end
end

function Table:entry_count()
    return tonumber(C.gwr_table_entry_count(live(self, "table")))
end

local function read_backend(b)
    local be = {
        kind = s(C.gwr_backend_kind(b)), group = s(C.gwr_backend_group(b)),
        namespace = s(C.gwr_backend_namespace(b)),
        name = s(C.gwr_backend_name(b)),
        port = tonumber(C.gwr_backend_port(b)),
        protocol = PROTOCOLS[tonumber(C.gwr_backend_protocol(b))] or "http",
        endpoints = {},
    }
    local a, port = ffi.new("gwr_str"), ffi.new("uint32_t[1]")
    for i = 0, tonumber(C.gwr_backend_endpoint_count(b)) - 1 do
        if C.gwr_backend_endpoint(b, i, a, port) == 0 then
            be.endpoints[#be.endpoints + 1] = { address = s(a),
                                                port = tonumber(port[0]) }
        end
    end
    if C.gwr_backend_tls(b) == 1 then
        local tls = { hostname = s(C.gwr_backend_tls_hostname(b)),
                      well_known = s(C.gwr_backend_tls_well_known(b)),
                      subject_alt_names = {}, ca_refs = {} }
        local x, y, z = ffi.new("gwr_str"), ffi.new("gwr_str"),
                        ffi.new("gwr_str")
        for i = 0, tonumber(C.gwr_backend_tls_san_count(b)) - 1 do
            if C.gwr_backend_tls_san(b, i, x, y) == 0 then
                tls.subject_alt_names[#tls.subject_alt_names + 1] =
                    { type = s(x), value = s(y) }
            end
        end
        for i = 0, tonumber(C.gwr_backend_tls_ca_ref_count(b)) - 1 do
            if C.gwr_backend_tls_ca_ref(b, i, x, y, z) == 0 then
                tls.ca_refs[#tls.ca_refs + 1] =
                    { group = s(x), kind = s(y), name = s(z) }
            end
        end
        be.tls = tls
    end
    return be
end

local function opt_ms(v)
    if v < 0 then return nil end
    return tonumber(v)
end

local function header_list(d, which, names_only)
    local out = {}
    for i = 0, tonumber(C.gwr_decision_response_header_count(d, which)) - 1 do
        local h = C.gwr_decision_response_header(d, which, i)
        if names_only then
            out[#out + 1] = s(h.name)
        else
            out[#out + 1] = { s(h.name), s(h.value) }
        end
    end
    return out
end

-- The decision as Lua tables (nil fields are absent).
local function read_decision(d, id)
    local res = RESULTS[tonumber(C.gwr_decision_result(d))] or "no_route"
    local dec = { result = res, status = C.gwr_decision_status(d),
                  seed = C.gwr_decision_seed(d), id = id,
                  grpc = C.gwr_decision_grpc(d) ~= 0,
                  grpc_status = C.gwr_decision_grpc_status(d) }
    local idx = C.gwr_decision_rule_index(d)
    if idx >= 0 then
        dec.route = { kind = s(C.gwr_decision_route_kind(d)),
                      namespace = s(C.gwr_decision_route_namespace(d)),
                      name = s(C.gwr_decision_route_name(d)) }
        local rn = s(C.gwr_decision_rule_name(d))
        dec.rule = { index = idx, name = rn ~= "" and rn or nil }
    end
    local b = C.gwr_decision_backend(d)
    if b ~= nil then dec.backend = read_backend(b) end
    if res == "forward" then
        local hs = {}
        for i = 0, tonumber(C.gwr_decision_upstream_header_count(d)) - 1 do
            local h = C.gwr_decision_upstream_header(d, i)
            hs[#hs + 1] = { s(h.name), s(h.value) }
        end
        dec.upstream = { method = s(C.gwr_decision_upstream_method(d)),
                         scheme = s(C.gwr_decision_upstream_scheme(d)),
                         host = s(C.gwr_decision_upstream_host(d)),
                         path = s(C.gwr_decision_upstream_path(d)),
                         headers = hs }
    elseif res == "redirect" then
        dec.location = s(C.gwr_decision_location(d))
    end
    dec.response_headers = { set = header_list(d, 0), add = header_list(d, 1),
                             remove = header_list(d, 2, true) }
    dec.mirrors = {}
    local sampled = ffi.new("int[1]")
    for i = 0, tonumber(C.gwr_decision_mirror_count(d)) - 1 do
        local mb = C.gwr_decision_mirror(d, i, sampled)
        dec.mirrors[#dec.mirrors + 1] = { backend = read_backend(mb),
                                          sampled = sampled[0] == 1 }
    end
    dec.timeouts = { request_ms = opt_ms(C.gwr_decision_timeout_ms(d)),
                     backend_request_ms =
                         opt_ms(C.gwr_decision_backend_timeout_ms(d)) }
    if C.gwr_decision_has_retry(d) == 1 then
        local codes = ffi.new("const uint16_t *[1]")
        local n = tonumber(C.gwr_decision_retry_codes(d, codes))
        local list = {}
        for i = 0, n - 1 do list[#list + 1] = codes[0][i] end
        dec.retry = { attempts = opt_ms(C.gwr_decision_retry_attempts(d)),
                      codes = list,
                      backoff_ms = opt_ms(C.gwr_decision_retry_backoff_ms(d)) }
    end
    dec.extensions = {}
    local g, k, n = ffi.new("gwr_str"), ffi.new("gwr_str"), ffi.new("gwr_str")
    for i = 0, tonumber(C.gwr_decision_extension_count(d)) - 1 do
        if C.gwr_decision_extension(d, i, g, k, n) == 0 then
            dec.extensions[#dec.extensions + 1] =
                { group = s(g), kind = s(k), name = s(n) }
        end
    end
    return dec
end

-- req: { method, host, path, scheme, port, headers, seed, id, sni }.
-- sni: the TLS server name of an https request (nil = none); the Host must
-- then agree with the listener it selects, else the decision is a 421.
-- headers: an array of {name, value} pairs, or a map name -> value (a value
-- may be an array for a repeated header, as ngx.req.get_headers() gives).
-- Seeding: seed (number or uint64 cdata), else fnv1a(id) as `gwroute match
-- --id` does, else the library draws one.
local function do_match(tptr, dec, req)
    local anchor = {}
    local r = ffi.new("gwr_request")
    r.size = ffi.sizeof("gwr_request")
    local function str(dst, v)
        v = v ~= nil and tostring(v) or ""
        anchor[#anchor + 1] = v
        view(dst, v)
    end
    str(r.method, req.method or "GET")
    str(r.scheme, req.scheme or "http")
    str(r.host, req.host)
    str(r.path, req.path or "/")
    if req.sni ~= nil then str(r.sni, req.sni) end
    local pairs_list = {}
    local h = req.headers
    if h then
        if #h > 0 or next(h) == nil then
            for _, kv in ipairs(h) do pairs_list[#pairs_list + 1] = kv end
        else
            local names = {}
            for name in pairs(h) do names[#names + 1] = name end
            table.sort(names)
            for _, name in ipairs(names) do
                local v = h[name]
                if type(v) == "table" then
                    for _, one in ipairs(v) do
                        pairs_list[#pairs_list + 1] = { name, one }
                    end
                else
                    pairs_list[#pairs_list + 1] = { name, v }
                end
            end
        end
    end
    local arr
    if #pairs_list > 0 then
        arr = ffi.new("gwr_header[?]", #pairs_list)
        for i, kv in ipairs(pairs_list) do
            str(arr[i - 1].name, kv[1])
            str(arr[i - 1].value, kv[2])
        end
        r.headers = arr
        r.n_headers = #pairs_list
    end
    r.port = req.port or 80
    if req.seed ~= nil then
        r.flags = REQ_SEEDED
        r.seed = req.seed
    elseif req.id ~= nil then
        r.flags = REQ_SEEDED
        r.seed = M.fnv1a(tostring(req.id))
    end
    check(C.gwr_table_match(tptr, r, dec), "gwr_table_match")
    local out = read_decision(dec, req.id)
    anchor = nil
    return out
end

function Table:match(req)
    return do_match(live(self, "table"), self.dec, req)
end

-- ---- router: hot swap ------------------------------------------------------------------

local Router = {}
Router.__index = Router

-- The router takes its own reference on the table; the caller may close
-- its Table object. Decisions are plain tables and stay valid after swaps.
function M.router(tab)
    local t = C.gwr_table_ref(live(tab, "table"))
    return setmetatable({ ptr = ffi.gc(t, C.gwr_table_unref),
                          dec = new_decision(), generation = 0 }, Router)
end

function Router:swap(tab)
    local old = live(self, "router")
    local new = C.gwr_table_ref(live(tab, "table"))
    self.ptr = ffi.gc(new, C.gwr_table_unref)
    ffi.gc(old, nil)
    C.gwr_table_unref(old)
    self.generation = self.generation + 1
end

function Router:match(req)
    return do_match(live(self, "router"), self.dec, req)
end

function Router:entry_count()
    return tonumber(C.gwr_table_entry_count(live(self, "router")))
end

Router.close = Table.close

-- ---- the `gwroute match` JSON line of a decision ---------------------------------------

local function jstr(v)
    return '"' .. v:gsub('[%c"\\]', function(c)
        if c == '"' or c == "\\" then return "\\" .. c end
        if c == "\n" then return "\\n" end
        if c == "\r" then return "\\r" end
        if c == "\t" then return "\\t" end
        return string.format("\\u%04x", c:byte())
    end) .. '"'
end

local function jnum(v)
    if v == nil then return "null" end
    return string.format("%d", v)
end

local function jbackend(b)
    return string.format('{"kind":%s,"namespace":%s,"name":%s,"port":%d,'
                         .. '"protocol":"%s"}', jstr(b.kind),
                         jstr(b.namespace), jstr(b.name), b.port, b.protocol)
end

local function jpairs(list)
    local parts = {}
    for i, kv in ipairs(list) do
        parts[i] = type(kv) == "table" and
            ("[" .. jstr(kv[1]) .. "," .. jstr(kv[2]) .. "]") or jstr(kv)
    end
    return "[" .. table.concat(parts, ",") .. "]"
end

-- Exactly the object `gwroute match` prints for the same decision.
function M.decision_json(d)
    local o = { "{" }
    local function add(x) o[#o + 1] = x end
    if d.id ~= nil then add('"id":' .. jstr(tostring(d.id)) .. ",") end
    add(string.format('"result":"%s","status":%d,', d.result, d.status))
    if d.grpc_status and d.grpc_status ~= 0 then
        add(string.format('"grpc_status":%d,', d.grpc_status))
    end
    if d.route then
        add('"route":{"kind":' .. jstr(d.route.kind) .. ',"namespace":'
            .. jstr(d.route.namespace) .. ',"name":' .. jstr(d.route.name)
            .. '},"rule":{"index":' .. d.rule.index .. ',"name":'
            .. (d.rule.name and jstr(d.rule.name) or "null") .. "},")
    else
        add('"route":null,"rule":null,')
    end
    add('"backend":' .. (d.backend and jbackend(d.backend) or "null"))
    if d.upstream then
        local u = d.upstream
        add(',"upstream":{"method":' .. jstr(u.method) .. ',"scheme":'
            .. jstr(u.scheme) .. ',"host":' .. jstr(u.host) .. ',"path":'
            .. jstr(u.path) .. ',"headers":' .. jpairs(u.headers) .. "}")
    else
        add(',"upstream":null')
    end
    if d.result == "redirect" then add(',"location":' .. jstr(d.location)) end
    local rh = d.response_headers
    add(',"response_headers":{"set":' .. jpairs(rh.set) .. ',"add":'
        .. jpairs(rh.add) .. ',"remove":' .. jpairs(rh.remove) .. "}")
    local ms = {}
    for i, m in ipairs(d.mirrors) do
        ms[i] = '{"backend":' .. jbackend(m.backend) .. ',"sampled":'
                .. tostring(m.sampled) .. "}"
    end
    add(',"mirrors":[' .. table.concat(ms, ",") .. "]")
    add(',"timeouts":{"request_ms":' .. jnum(d.timeouts.request_ms)
        .. ',"backend_request_ms":' .. jnum(d.timeouts.backend_request_ms)
        .. "}")
    if d.retry then
        local codes = {}
        for i, c in ipairs(d.retry.codes) do codes[i] = tostring(c) end
        add(',"retry":{"attempts":' .. jnum(d.retry.attempts) .. ',"codes":['
            .. table.concat(codes, ",") .. '],"backoff_ms":'
            .. jnum(d.retry.backoff_ms) .. "}}")
    else
        add(',"retry":null}')
    end
    return table.concat(o)
end

-- ---- the exchange engine -----------------------------------------------------------------
--
--   local eng = gwroute.engine(host, { options = { default_attempts = 2 } })
--   local d = eng:match(router, { host = "svc", path = "/x" })
--   local id = eng:submit(d)             -- callbacks run inside
--   ... eng:on_connected(conn_id) / eng:on_response_head(xid, 200, hdrs)
--   ... eng:on_body_done(xid) / eng:on_error(id) / eng:on_timer()
--   eng:close()
--
-- host: a table whose methods (called as host:name(...)) are the gwr_io
-- engine members; a missing one leaves the member NULL (library default):
--   now_ms() -> number                    monotonic ms
--   set_timer(deadline_or_nil)            nil disarms; call eng:on_timer()
--   connect(backend, protocol, conn_id) -> true when usable right now
--   send_request(conn_id, xid, upstream)
--   send_mirror(backend, upstream)
--   respond(exchange_id, status, headers, body)
--   cancel(id)
-- backend/upstream/headers are plain Lua tables copied from the C views
-- (which are valid only during the callback). Ids and deadlines are Lua
-- numbers (the engine's ids come from a counter, exact below 2^53);
-- "no deadline" (UINT64_MAX) is nil. Returning nil/false/0 is success, a
-- negative number a failure. A Lua error in a callback never unwinds
-- through C: it is caught, the callback returns -1 (the engine call gives
-- GWR_E_CALLBACK) and the engine method raises an error table
-- { code = E_CALLBACK, errors = {...}, exchange_id = ... }; errors of
-- callbacks whose failure the engine ignores (cancel, send_mirror,
-- now_ms) go to eng.unreported_errors. Engine calls made from inside a
-- callback raise E_STATE (the read-only ones work). One engine per thread
-- (per OpenResty worker); it owns its context.

local NO_DEADLINE = 0xffffffffffffffffULL   -- UINT64_MAX
M.NO_DEADLINE = NO_DEADLINE
M.ENGINE_OPTIONS = { default_attempts = 0, default_backoff_ms = 1,
                     backoff_cap_factor = 2, jitter = 3,
                     default_request_timeout_ms = 4,
                     retry_other_backend = 5 }

-- gwr_io's callbacks take no struct by value, so the engine binding works
-- on every ABI LuaJIT supports (kept for callers that tested it).
M.ENGINE_ABI_OK = true

local HOST_MEMBERS = { "now_ms", "set_timer", "connect", "send_request",
                       "send_mirror", "respond", "cancel" }

local function id_num(v) return tonumber(v) end

local function read_upstream(u)
    local hs = {}
    for i = 0, tonumber(C.gwr_upstream_header_count(u)) - 1 do
        local h = C.gwr_upstream_header(u, i)
        if h ~= nil then hs[#hs + 1] = { s(h.name), s(h.value) } end
    end
    local be = C.gwr_upstream_backend(u)
    local dl = C.gwr_upstream_deadline(u)
    return {
        exchange_id = id_num(C.gwr_upstream_exchange_id(u)),
        attempt = tonumber(C.gwr_upstream_attempt(u)),
        is_mirror = C.gwr_upstream_is_mirror(u) == 1,
        backend = be ~= nil and read_backend(be) or nil,
        protocol = PROTOCOLS[tonumber(C.gwr_upstream_protocol(u))] or "http",
        method = s(C.gwr_upstream_method(u)),
        scheme = s(C.gwr_upstream_scheme(u)),
        host = s(C.gwr_upstream_host(u)),
        path = s(C.gwr_upstream_path(u)),
        headers = hs,
        deadline = dl ~= NO_DEADLINE and tonumber(dl) or nil,
    }
end

-- A host callback's return value as the C int.
local function status_of(v, connect)
    if v == nil or v == false then return 0 end
    if v == true then return connect and 1 or 0 end
    if type(v) ~= "number" then
        error("host callback returned " .. tostring(v)
              .. " (want nil, a boolean or a number)", 0)
    end
    if v < 0 then return -1 end
    if connect and v >= 1 then return 1 end
    return 0
end

-- The callbacks, as Lua functions over a state table `st` (never over the
-- engine object, so an unclosed engine can still be collected).
local function make_callbacks(st)
    local host = st.host
    local function guarded(fail, body)
        return function(...)
            local ok, rc = pcall(body, ...)
            if ok then return rc end
            st.caught[#st.caught + 1] = rc
            return fail
        end
    end
    local fns = {}
    if host.now_ms then
        fns.now_ms = function()
            local ok, v = pcall(host.now_ms, host)
            if ok and type(v) == "number" then
                st.last_now = v
            elseif ok then
                st.caught[#st.caught + 1] = "now_ms returned " .. tostring(v)
            else
                st.caught[#st.caught + 1] = v
            end
            return st.last_now
        end
    end
    if host.set_timer then
        fns.set_timer = guarded(-1, function(deadline)
            return status_of(host:set_timer(deadline ~= NO_DEADLINE
                                            and tonumber(deadline) or nil))
        end)
    end
    if host.connect then
        fns.connect = guarded(-1, function(be, proto, conn_id)
            return status_of(host:connect(read_backend(be),
                PROTOCOLS[tonumber(proto)] or "http", id_num(conn_id)), true)
        end)
    end
    if host.send_request then
        fns.send_request = guarded(-1, function(conn_id, xid, u)
            return status_of(host:send_request(id_num(conn_id), id_num(xid),
                                               read_upstream(u)))
        end)
    end
    if host.send_mirror then
        fns.send_mirror = guarded(-1, function(be, u)
            return status_of(host:send_mirror(read_backend(be),
                                              read_upstream(u)))
        end)
    end
    if host.respond then
        fns.respond = guarded(-1, function(id, status, hs, n, bptr, blen)
            local headers = {}
            for i = 0, tonumber(n) - 1 do
                headers[#headers + 1] = { s(hs[i].name), s(hs[i].value) }
            end
            local body = ""
            if bptr ~= nil and blen > 0 then
                body = ffi.string(bptr, blen)
            end
            return status_of(host:respond(id_num(id), tonumber(status),
                                          headers, body))
        end)
    end
    if host.cancel then
        fns.cancel = guarded(nil, function(id)
            host:cancel(id_num(id))
        end)
    end
    return fns
end

local CB_TYPES = { now_ms = "gwr_io_now_ms_fn",
                   set_timer = "gwr_io_set_timer_fn",
                   connect = "gwr_io_connect_fn",
                   send_request = "gwr_io_send_request_fn",
                   send_mirror = "gwr_io_send_mirror_fn",
                   respond = "gwr_io_respond_fn",
                   cancel = "gwr_io_cancel_fn" }

-- Frees everything but the engine itself (already freed): the decision,
-- the context and the ffi callbacks. Captures no engine object.
local function release(res)
    if res.dec ~= nil then
        C.gwr_decision_free(res.dec)
        res.dec = nil
    end
    if res.ctx ~= nil then
        C.gwr_ctx_free(res.ctx)
        res.ctx = nil
    end
    for _, name in ipairs(HOST_MEMBERS) do
        local cb = res.cbs[name]
        if cb ~= nil then
            res.cbs[name] = nil
            cb:free()
        end
    end
end
-- Also runs from a finalizer (inside a GC step): keep it interpreted.
-- Compiled, freeing the callbacks there hung LuaJIT 2.1.0-beta3.
jit.off(release)

local Engine = {}
Engine.__index = Engine

-- opts: options = { name_or_number = value } (M.ENGINE_OPTIONS).
function M.engine(host, opts)
    opts = opts or {}
    if type(host) ~= "table" then error("engine: host must be a table", 2) end
    local st = { host = host, caught = {}, last_now = 0 }
    local res = { cbs = {} }
    local io = ffi.new("gwr_io")
    io.size = ffi.sizeof("gwr_io")
    for name, fn in pairs(make_callbacks(st)) do
        local cb = ffi.cast(CB_TYPES[name], fn)
        res.cbs[name] = cb
        io[name] = cb
    end
    local engine
    local ok, err = pcall(function()
        local ctx = ffi.new("gwr_ctx *[1]")
        check(C.gwr_ctx_new(ctx, nil, io, nil), "gwr_ctx_new")
        res.ctx = ctx[0]
        local d = ffi.new("gwr_decision *[1]")
        check(C.gwr_decision_new(d, res.ctx), "gwr_decision_new")
        res.dec = d[0]
        local e = ffi.new("gwr_engine *[1]")
        check(C.gwr_engine_new(e, res.ctx), "gwr_engine_new")
        engine = e[0]
    end)
    if not ok then
        release(res)
        error(err, 2)
    end
    -- Safety net: an engine never closed is freed when collected (the
    -- finalizer must not reach the pointer cdata: res does not).
    local function finalize(p)
        C.gwr_engine_free(p)
        release(res)
    end
    jit.off(finalize)
    local self = setmetatable({
        st = st, res = res, unreported_errors = {},
        ptr = ffi.gc(engine, finalize),
    }, Engine)
    for k, v in pairs(opts.options or {}) do self:set_option(k, v) end
    return self
end

-- Run a mutating engine call: E_NOT_FOUND is returned, other negative
-- statuses raise; GWR_E_CALLBACK carries the Lua errors caught inside.
local function engine_call(self, what, fn, ...)
    local p = live(self, "engine")
    local st = self.st
    if st.in_call then
        -- From inside a callback: the engine refuses (GWR_E_STATE).
        return check(fn(p, ...), what)
    end
    st.in_call = true
    st.caught = {}
    local ok, rc = pcall(fn, p, ...)
    st.in_call = false
    local caught = st.caught
    st.caught = {}
    if st.close_pending then
        st.close_pending = false
        release(self.res)
    end
    if not ok then error(rc, 2) end
    if rc == M.E_CALLBACK then
        local parts = {}
        for i, e in ipairs(caught) do parts[i] = tostring(e) end
        error(setmetatable({
            code = rc, errors = caught, exchange_id = st.exchange_id,
            message = string.format("%s: %s (%d)%s", what, M.strerror(rc), rc,
                #parts > 0 and (": " .. table.concat(parts, "; ")) or ""),
        }, M.error_mt), 2)
    end
    for _, e in ipairs(caught) do
        self.unreported_errors[#self.unreported_errors + 1] = e
    end
    if rc < 0 and rc ~= M.E_NOT_FOUND then
        error(setmetatable({ code = rc, message = string.format(
            "%s: %s (%d)", what, M.strerror(rc), rc) }, M.error_mt), 2)
    end
    return rc
end

-- Match req (as Table:match) into the engine's decision; returns the
-- decision table to give to submit().
function Engine:match(src, req)
    live(self, "engine")
    if self.st.in_call then
        error(setmetatable({ code = M.E_STATE,
            message = "engine:match: inside a callback" }, M.error_mt), 2)
    end
    local d = do_match(live(src, "table"), self.res.dec, req)
    self.matched = d
    return d
end

-- Start an exchange for the decision the last match() returned; returns
-- its id (REDIRECT/RESPOND/NO_ROUTE are answered before this returns).
function Engine:submit(d)
    if d == nil or d ~= self.matched then
        error(setmetatable({ code = M.E_INVAL, message =
            "engine:submit: give the decision of this engine's last match()" },
            M.error_mt), 2)
    end
    local out = ffi.new("uint64_t[1]")
    self.st.exchange_id = nil
    local ok, err = pcall(engine_call, self, "gwr_engine_submit",
                          C.gwr_engine_submit, self.res.dec, out)
    if not ok then
        if type(err) == "table" and err.code == M.E_CALLBACK
                and out[0] ~= 0 then
            err.exchange_id = id_num(out[0])
        end
        error(err, 2)
    end
    return id_num(out[0])
end

-- true: handled; false: unknown or cancelled id (safe to ignore).
function Engine:on_connected(conn_id, status)
    return engine_call(self, "gwr_engine_on_connected",
                       C.gwr_engine_on_connected, conn_id, status or 0)
        ~= M.E_NOT_FOUND
end

-- true: relayed (respond was called); false: retrying (drop the body);
-- nil: unknown id. headers: {{name, value}, ...} or a name -> value map.
function Engine:on_response_head(xid, status, headers)
    local list = {}
    if headers then
        if #headers > 0 or next(headers) == nil then
            list = headers
        else
            for k, v in pairs(headers) do list[#list + 1] = { k, v } end
        end
    end
    local arr = ffi.new("gwr_header[?]", math.max(#list, 1))
    local anchor = {}
    for i, kv in ipairs(list) do
        local n, v = tostring(kv[1]), tostring(kv[2])
        anchor[#anchor + 1] = n
        anchor[#anchor + 1] = v
        view(arr[i - 1].name, n)
        view(arr[i - 1].value, v)
    end
    local rc = engine_call(self, "gwr_engine_on_response_head",
                           C.gwr_engine_on_response_head, xid, status, arr,
                           #list)
    anchor = nil
    if rc == M.E_NOT_FOUND then return nil end
    return rc == 1
end

function Engine:on_body_done(xid)
    return engine_call(self, "gwr_engine_on_body_done",
                       C.gwr_engine_on_body_done, xid) ~= M.E_NOT_FOUND
end

function Engine:on_error(id, err)
    return engine_call(self, "gwr_engine_on_error", C.gwr_engine_on_error,
                       id, err or -1) ~= M.E_NOT_FOUND
end

function Engine:on_timer()
    engine_call(self, "gwr_engine_on_timer", C.gwr_engine_on_timer)
end

function Engine:cancel(exchange_id)
    return engine_call(self, "gwr_engine_cancel", C.gwr_engine_cancel,
                       exchange_id) ~= M.E_NOT_FOUND
end

-- option: a key of M.ENGINE_OPTIONS or its number.
function Engine:set_option(option, value)
    local key = M.ENGINE_OPTIONS[option] or option
    if type(key) ~= "number" then
        error("engine: unknown option " .. tostring(option), 2)
    end
    engine_call(self, "gwr_engine_set_option", C.gwr_engine_set_option, key,
                value)
end

-- Read-only calls (allowed inside callbacks).
function Engine:next_deadline()
    local v = C.gwr_engine_next_deadline(live(self, "engine"))
    if v == NO_DEADLINE then return nil end
    return tonumber(v)
end

function Engine:exchange_count()
    return tonumber(C.gwr_engine_exchange_count(live(self, "engine")))
end

-- The attempt whose response the client of exchange_id gets; nil when the
-- engine generated it (or none yet). Use it inside respond.
function Engine:response_source(exchange_id)
    local v = C.gwr_engine_response_source(live(self, "engine"), exchange_id)
    if v == 0 then return nil end
    return id_num(v)
end

-- The exchange a connection id (connect) or attempt id (send_request)
-- belongs to, or an exchange id's own; nil when unknown. Allowed inside
-- callbacks: in connect it names the client request that asked for it.
function Engine:exchange_of(id)
    local v = C.gwr_engine_exchange_of(live(self, "engine"), id)
    if v == 0 then return nil end
    return id_num(v)
end

-- gwr_engine_free(): exchanges in flight are dropped without a callback.
-- From inside a callback the library defers the free, and the callbacks
-- are freed (cb:free()) once the engine call returns.
function Engine:close()
    local p = self.ptr
    if p == nil then return end
    self.ptr = nil
    self.matched = nil
    ffi.gc(p, nil)
    C.gwr_engine_free(p)
    if self.st.in_call then
        self.st.close_pending = true
    else
        release(self.res)
    end
end

-- Engine calls may run Lua callbacks: keep them out of JIT traces (LuaJIT
-- "bad callback" when a compiled C call calls back only rarely).
for _, name in ipairs({ "submit", "on_connected", "on_response_head",
                        "on_body_done", "on_error", "on_timer", "cancel",
                        "set_option", "close", "match" }) do
    jit.off(Engine[name])
end
jit.off(engine_call)

return M
