-- libgwroute - SPDX-License-Identifier: MIT
-- Tests of the LuaJIT FFI binding and of access_phase.lua (with a fake ngx).
-- Run by `meson test --suite bindings`; by hand:
--   GWROUTE_LIB=build/lib/libgwroute.so.1 LUA_PATH='examples/lua/?.lua;;' \
--   GWR_EXAMPLES=examples luajit examples/lua/test_gwroute.lua
local gwroute = require "gwroute"

local EXAMPLES = os.getenv("GWR_EXAMPLES") or "examples"
local QUICKSTART = EXAMPLES .. "/config/quickstart.yaml"
local MATCH_CASES = EXAMPLES .. "/../tests/data/match"

local passed, failed = 0, 0
local function test(name, fn)
    local ok, err = xpcall(fn, debug.traceback)
    if ok then
        passed = passed + 1
        print("ok - " .. name)
    else
        failed = failed + 1
        print("not ok - " .. name .. "\n" .. tostring(err))
    end
end

local function eq(got, want, what)
    if got ~= want then
        error(string.format("%s: got %s, want %s", what or "value",
                            tostring(got), tostring(want)), 2)
    end
end

local function truthy(v, what)
    if not v then error((what or "condition") .. " is false", 2) end
end

local function raises(fn, code)
    local ok, err = pcall(fn)
    if ok then error("no error raised", 2) end
    if code and (type(err) ~= "table" or err.code ~= code) then
        error("wrong error: " .. tostring(err), 2)
    end
    return err
end

local function read(path)
    local f = assert(io.open(path, "rb"))
    local t = f:read("*a")
    f:close()
    return t
end

-- A minimal JSON decoder for the request lines of tests/data/match.
local function json_decode(str)
    local pos = 1
    local function ws() pos = str:find("[^ \t\r\n]", pos) or #str + 1 end
    local value
    local function string_()
        local out = {}
        pos = pos + 1
        while true do
            local c = str:sub(pos, pos)
            if c == '"' then pos = pos + 1; return table.concat(out) end
            if c == "\\" then
                local e = str:sub(pos + 1, pos + 1)
                local map = { n = "\n", r = "\r", t = "\t", b = "\b",
                              f = "\f", ["/"] = "/", ["\\"] = "\\",
                              ['"'] = '"' }
                if e == "u" then
                    local cp = tonumber(str:sub(pos + 2, pos + 5), 16)
                    assert(cp < 0x80, "non-ASCII \\u escape")
                    out[#out + 1] = string.char(cp)
                    pos = pos + 6
                else
                    out[#out + 1] = assert(map[e])
                    pos = pos + 2
                end
            else
                out[#out + 1] = c
                pos = pos + 1
            end
        end
    end
    function value()
        ws()
        local c = str:sub(pos, pos)
        if c == "{" then
            local obj = {}
            pos = pos + 1
            ws()
            if str:sub(pos, pos) == "}" then pos = pos + 1; return obj end
            while true do
                ws()
                local k = string_()
                ws(); assert(str:sub(pos, pos) == ":"); pos = pos + 1
                obj[k] = value()
                ws()
                local d = str:sub(pos, pos); pos = pos + 1
                if d == "}" then return obj end
                assert(d == ",")
            end
        elseif c == "[" then
            local arr = {}
            pos = pos + 1
            ws()
            if str:sub(pos, pos) == "]" then pos = pos + 1; return arr end
            while true do
                arr[#arr + 1] = value()
                ws()
                local d = str:sub(pos, pos); pos = pos + 1
                if d == "]" then return arr end
                assert(d == ",")
            end
        elseif c == '"' then
            return string_()
        elseif str:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
        elseif str:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
        elseif str:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil
        end
        local num = str:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
        pos = pos + #num
        return tonumber(num)
    end
    return value()
end

local FEATURES = [[
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gwroute
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: app}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [www.example.com]
  rules:
  - name: split
    matches: [{path: {type: PathPrefix, value: /split}}]
    backendRefs:
    - {name: blue, port: 8080, weight: 50}
    - {name: green, port: 8080, weight: 50}
  - name: edit
    matches: [{path: {type: PathPrefix, value: /edit}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-set, value: s}]
        remove: [x-drop]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-r-set, value: rs}]
        add: [{name: x-r-add, value: ra}]
        remove: [server]
    - type: URLRewrite
      urlRewrite:
        hostname: internal.example.com
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}
    backendRefs: [{name: editor, port: 9090}]
    timeouts: {request: 5s}
  - name: move
    matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        path: {type: ReplaceFullPath, replaceFullPath: /new}
        statusCode: 302
]]

local BROKEN = [[
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: app}
spec:
  rules:
  - matches:
    - path: {type: PathPrefix, value: "no-slash"}
    backendRefs: [{name: x, port: 80}]
]]

local ROUTE_ONLY = [[
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: only, namespace: default}
spec:
  rules:
  - backendRefs: [{name: %s, port: 80}]
]]

local function table_for(text, opts)
    local cfg = gwroute.config()
    eq(cfg:add_text(text, "t.yaml"), gwroute.OK, "add_text")
    local t = cfg:compile(opts)
    cfg:close()
    return t
end

test("version and features", function()
    truthy(gwroute.version():match("^%d+%.%d+%.%d+$"), "version format")
    truthy(gwroute.version_num() > 0, "version_num")
    local feats = gwroute.supported_features()
    local has = false
    for _, f in ipairs(feats) do if f == "HTTPRoute" then has = true end end
    truthy(has, "HTTPRoute feature")
    eq(gwroute.strerror(-12345), "unknown error")
    eq(gwroute.fnv1a(""), 0xcbf29ce484222325ULL, "fnv1a empty")
    eq(gwroute.fnv1a("a"), 0xaf63dc4c8601ec8cULL, "fnv1a a")
    eq(gwroute.sample_fraction(1, 2, 3, 0), false, "den 0")
    eq(gwroute.sample_fraction(1, 2, 3, 3), true, "num == den")
end)

test("load file, gateways, no errors", function()
    local cfg = gwroute.config()
    eq(cfg:add_file(QUICKSTART), gwroute.OK, "add_file")
    eq(cfg:error_count(), 0, "errors")
    local gws = cfg:gateways()
    eq(#gws, 1)
    eq(gws[1].namespace .. "/" .. gws[1].name, "infra/edge")
    eq(gws[1].class_name, "gwroute")
    cfg:close()
end)

test("diagnostics", function()
    local cfg = gwroute.config()
    eq(cfg:add_text("kind: [unclosed\n", "broken.yaml"), gwroute.E_PARSE)
    local d = cfg:diagnostics()[1]
    eq(d.severity, "error")
    eq(d.source, "broken.yaml")
    truthy(tostring(d):find("^broken.yaml:"), "formatted line")
    eq(cfg:add_text(BROKEN, "routes.yaml"), gwroute.E_CONFIG)
    local found
    for _, x in ipairs(cfg:diagnostics()) do
        if x.name == "bad" then found = x end
    end
    truthy(found, "diagnostic for the rejected route")
    eq(found.kind, "HTTPRoute")
    eq(found.namespace, "app")
    eq(found.line, 7, "line")
    truthy(found.col > 0, "column")
    truthy(found.field:find("spec.rules[0].matches[0].path", 1, true), "field")
    truthy(tostring(found):find("routes.yaml:7:" .. found.col ..
           ": HTTPRoute app/bad: " .. found.field, 1, true), "CLI format")
    raises(function() cfg:add_text("{}", "x", 99) end, gwroute.E_INVAL)
    cfg:close()
end)

test("status", function()
    local cfg = gwroute.config()
    cfg:add_file(QUICKSTART)
    local st = cfg:status()
    eq(#st.routes, 2)
    local r = st.routes[1]
    eq(r.kind .. " " .. r.namespace .. "/" .. r.name, "HTTPRoute shop/shop")
    local p = r.parents[1]
    eq(p.name, "edge")
    eq(p.accepted, true)
    eq(p.namespace_set, true)
    eq(p.conditions.Accepted.status, "True")
    eq(p.conditions.ResolvedRefs.status, "True")
    local g = st.gateways[1]
    eq(g.ours, true)
    eq(g.conditions.Accepted.status, "True")
    eq(g.listeners.http.attached_routes, 2)
    eq(g.listeners.http.supported_kinds[1].kind, "HTTPRoute")
    eq(#st.diagnostics, 0)
    cfg:close()
end)

test("match: forward, rewrite, header edits, timeouts", function()
    local t = table_for(FEATURES, { gateway = "infra/gw" })
    truthy(t:entry_count() >= 3, "entries")
    local d = t:match({ method = "POST", host = "www.example.com",
                        path = "/edit/doc?x=1",
                        headers = { { "x-drop", "1" }, { "x-keep", "k" } },
                        seed = 1 })
    eq(d.result, "forward")
    eq(d.status, 0)
    eq(d.route.name, "web")
    eq(d.rule.index, 1)
    eq(d.rule.name, "edit")
    eq(d.backend.name, "editor")
    eq(d.backend.port, 9090)
    eq(d.backend.protocol, "http")
    eq(d.upstream.method, "POST")
    eq(d.upstream.host, "internal.example.com")
    eq(d.upstream.path, "/v2/doc?x=1")
    local hs = {}
    for _, h in ipairs(d.upstream.headers) do hs[h[1]] = h[2] end
    eq(hs["x-drop"], nil, "removed header")
    eq(hs["x-keep"], "k")
    eq(hs["x-set"], "s")
    eq(d.response_headers.set[1][1], "x-r-set")
    eq(d.response_headers.add[1][2], "ra")
    eq(d.response_headers.remove[1], "server")
    eq(d.timeouts.request_ms, 5000)
    eq(d.timeouts.backend_request_ms, nil)
    eq(d.retry, nil)
    -- headers as a map (ngx.req.get_headers() style, repeated as arrays)
    d = t:match({ host = "www.example.com", path = "/edit",
                  headers = { ["x-keep"] = { "a", "b" } } })
    local vals = {}
    for _, h in ipairs(d.upstream.headers) do
        if h[1] == "x-keep" then vals[#vals + 1] = h[2] end
    end
    eq(table.concat(vals, ","), "a,b", "repeated header values")
    t:close()
end)

test("match: redirect, no route, bad path", function()
    local t = table_for(FEATURES)
    local d = t:match({ host = "www.example.com", path = "/old/x?q=1" })
    eq(d.result, "redirect")
    eq(d.status, 302)
    eq(d.location, "https://www.example.com/new?q=1")
    eq(d.upstream, nil)
    d = t:match({ host = "www.example.com", path = "/nope" })
    eq(d.result, "no_route")
    eq(d.status, 404)
    eq(d.route, nil)
    d = t:match({ host = "www.example.com", path = "/edit/%zz" })
    eq(d.result, "respond")
    eq(d.status, 400)
    t:close()
end)

test("weights are deterministic by seed and id", function()
    local t = table_for(FEATURES)
    local counts, first = { blue = 0, green = 0 }, {}
    for s = 1, 200 do
        local d = t:match({ host = "www.example.com", path = "/split", seed = s })
        counts[d.backend.name] = counts[d.backend.name] + 1
        first[s] = d.backend.name
    end
    for s = 1, 200 do
        local d = t:match({ host = "www.example.com", path = "/split", seed = s })
        eq(d.backend.name, first[s], "same seed, same backend")
    end
    truthy(counts.blue > 60 and counts.green > 60, "both backends chosen")
    local d = t:match({ host = "www.example.com", path = "/split", id = "u-7" })
    eq(d.seed, gwroute.fnv1a("u-7"), "id seeds with fnv1a")
    eq(d.id, "u-7")
    t:close()
end)

test("decisions print exactly as gwroute match (tests/data/match)", function()
    local p = io.popen('ls "' .. MATCH_CASES .. '" 2>/dev/null')
    local names = {}
    for line in p:lines() do names[line] = true end
    p:close()
    local ran = 0
    for name in pairs(names) do
        local stem = name:match("^(.*)%.jsonl$")
        if stem and not stem:match("%.expected$") and names[stem .. ".yaml"]
           and names[stem .. ".expected.jsonl"] and not names[stem .. ".exit"] then
            local args = {}
            if names[stem .. ".args"] then
                local a = {}
                for l in read(MATCH_CASES .. "/" .. stem .. ".args"):gmatch("[^\n]+") do
                    a[#a + 1] = l
                end
                for i = 1, #a - 1, 2 do args[a[i]] = a[i + 1] end
            end
            local cfg = gwroute.config()
            cfg:add_file(MATCH_CASES .. "/" .. stem .. ".yaml")
            local t = cfg:compile({ gateway = args["--gateway"] })
            cfg:close()
            local want = {}
            for l in read(MATCH_CASES .. "/" .. stem .. ".expected.jsonl"):gmatch("[^\n]+") do
                want[#want + 1] = l
            end
            local seq = 0
            for l in read(MATCH_CASES .. "/" .. stem .. ".jsonl"):gmatch("[^\n]+") do
                local r = json_decode(l)
                local hs = {}
                for _, h in ipairs(r.headers or {}) do hs[#hs + 1] = h end
                local d = t:match({
                    method = r.method, host = r.host, path = r.path,
                    headers = hs,
                    port = r.port or tonumber(args["--port"] or 80),
                    scheme = r.scheme or args["--scheme"] or "http",
                    id = r.id, sni = r.sni or args["--sni"],
                    seed = r.id == nil and gwroute.fnv1a("#" .. seq) or nil,
                })
                seq = seq + 1
                eq(gwroute.decision_json(d), want[seq], stem .. " line " .. seq)
            end
            eq(seq, #want, stem .. " line count")
            t:close()
            ran = ran + 1
        end
    end
    truthy(ran > 0 or next(names) == nil, "ran match cases")
    print("# " .. ran .. " match cases compared")
end)

test("hot swap keeps old decisions", function()
    local t1 = table_for(ROUTE_ONLY:format("one"))
    local t2 = table_for(ROUTE_ONLY:format("two"))
    local router = gwroute.router(t1)
    t1:close()                                    -- the router keeps its own
    local d1 = router:match({ path = "/a", seed = 1 })
    eq(d1.backend.name, "one")
    router:swap(t2)
    t2:close()
    collectgarbage()
    collectgarbage()
    local d2 = router:match({ path = "/a", seed = 1 })
    eq(d2.backend.name, "two")
    eq(d1.backend.name, "one", "old decision intact")
    eq(router.generation, 1)
    truthy(router:entry_count() > 0, "entries")
    router:close()
end)

test("close twice, use after close, gc", function()
    local cfg = gwroute.config()
    cfg:add_file(QUICKSTART)
    local t = cfg:compile()
    local r = gwroute.router(t)
    for _, o in ipairs({ r, t, cfg }) do
        o:close()
        o:close()
    end
    raises(function() t:match({ path = "/" }) end, gwroute.E_STATE)
    raises(function() r:match({ path = "/" }) end, gwroute.E_STATE)
    raises(function() cfg:status() end, gwroute.E_STATE)
    raises(function() cfg:compile({ gateway = "bad" }) end)
    -- Objects never closed are released by their ffi.gc finalizers.
    for i = 1, 50 do
        local c = gwroute.config()
        c:add_text(ROUTE_ONLY:format("gc" .. i))
        local tt = c:compile()
        gwroute.router(tt):match({ path = "/" })
    end
    collectgarbage()
    collectgarbage()
end)

test("compile errors", function()
    local cfg = gwroute.config()
    cfg:add_text(FEATURES)
    local err = raises(function() cfg:compile({ gateway = "infra/none" }) end,
                       gwroute.E_NOT_FOUND)
    truthy(tostring(err):find("gwr_table_compile", 1, true), "message")
    local raw = cfg:compile({ normalize = false })
    eq(raw:match({ host = "www.example.com", path = "/split/../edit" }).rule.name,
       "split")
    local norm = cfg:compile({ path_flags = gwroute.PATH_DEFAULT })
    eq(norm:match({ host = "www.example.com", path = "/split/../edit" }).rule.name,
       "edit")
    raw:close()
    norm:close()
    cfg:close()
end)

-- ---- access_phase.lua under a fake ngx ------------------------------------------

local function fake_ngx(req)
    local state = { headers = {}, cleared = {}, logs = {} }
    for k, v in pairs(req.headers) do state.headers[k] = v end
    _G.ngx = {
        ERR = 4, WARN = 5,
        var = { http_host = req.host, request_uri = req.uri,
                server_port = "80", scheme = "http", request_id = req.id },
        ctx = {},
        header = {},
        log = function(level, msg) state.logs[#state.logs + 1] = msg end,
        req = {
            get_method = function() return req.method end,
            get_headers = function()
                local c = {}
                for k, v in pairs(req.headers) do c[k] = v end
                return c
            end,
            set_header = function(k, v) state.headers[k:lower()] = v end,
            clear_header = function(k)
                state.headers[k:lower()] = nil
                state.cleared[#state.cleared + 1] = k
            end,
            set_uri = function(u) state.uri = u end,
            set_uri_args = function(a) state.args = a end,
        },
        redirect = function(loc, status)
            state.redirect, state.status = loc, status
        end,
        exit = function(status) state.status = status end,
    }
    return state
end

test("access phase example", function()
    fake_ngx({ headers = {} })
    local phase = require "access_phase"
    phase.load({ QUICKSTART }, "infra/edge")

    local st = fake_ngx({ method = "GET", host = "shop.example.com",
                          uri = "/api/v1/items?page=2", id = "abc",
                          headers = { host = "shop.example.com",
                                      accept = "*/*" } })
    phase.access()
    eq(st.status, nil, "no early answer")
    eq(st.uri, "/v1/items")
    eq(st.args, "page=2")
    eq(st.headers.host, "shop.example.com")
    eq(st.headers.accept, "*/*")
    eq(ngx.var.gw_upstream, "api.shop.svc:8080")
    phase.header_filter()

    st = fake_ngx({ method = "GET", host = "shop.example.com",
                    uri = "/catalog-old/x", headers = {} })
    phase.access()
    eq(st.redirect, "http://shop.example.com/catalog/x")
    eq(st.status, 301)

    st = fake_ngx({ method = "GET", host = "shop.example.com",
                    uri = "/nothing", headers = {} })
    phase.access()
    eq(st.status, 404)

    -- Reload: the router swaps to a new table.
    fake_ngx({ headers = {} })
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write(ROUTE_ONLY:format("fresh"))
    f:close()
    local router = phase.router
    phase.load({ tmp }, nil)
    os.remove(tmp)
    eq(phase.router, router, "same router")
    eq(router.generation, 1)
    st = fake_ngx({ method = "GET", host = "any", uri = "/x", headers = {} })
    phase.access()
    eq(ngx.var.gw_upstream, "fresh.default.svc:80")
    phase.router:close()
end)

test("access phase response header edits", function()
    local phase = require "access_phase"
    fake_ngx({ headers = {} })
    ngx.ctx.gwroute = { response_headers = {
        set = { { "x-s", "1" } }, add = { { "x-a", "2" } }, remove = { "server" } } }
    ngx.header.server = "nginx"
    ngx.header["x-a"] = "0"
    phase.header_filter()
    eq(ngx.header["x-s"], "1")
    eq(ngx.header.server, nil)
    eq(table.concat(ngx.header["x-a"], ","), "0,2")
end)

-- ---- the exchange engine against a simulated host -----------------------------

-- The routes of tests/engine-sim.c (no Gateway: the implicit listener).
local ENGINE_CONFIG = [[
apiVersion: v1
kind: Service
metadata: {name: a, namespace: t}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: shadow1, namespace: t}
spec: {ports: [{port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: t}
spec:
  hostnames: [svc.test]
  rules:
  - matches: [{path: {type: Exact, value: /plain}}]
    backendRefs: [{name: a, port: 8080}]
  - matches: [{path: {type: Exact, value: /timeouts}}]
    backendRefs: [{name: a, port: 8080}]
    timeouts: {request: 1000ms, backendRequest: 300ms}
  - matches: [{path: {type: Exact, value: /retry}}]
    backendRefs: [{name: a, port: 8080}]
    retry: {codes: [502, 503], attempts: 3, backoff: 100ms}
    timeouts: {request: 10s}
  - matches: [{path: {type: Exact, value: /mirror}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow1, port: 8080}}
    backendRefs: [{name: a, port: 8080}]
  - matches: [{path: {type: Exact, value: /redirect}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: other.test, statusCode: 301}
]]

-- Fake clock, one fake timer, every callback recorded; the test plays
-- the backends by feeding events.
local Sim = {}
Sim.__index = Sim

local function sim_new()
    return setmetatable({ now = 1000, timer = nil, recs = {} }, Sim)
end

function Sim:rec(kind, r)
    r.kind, r.at = kind, self.now
    self.recs[#self.recs + 1] = r
    if self.raise_in == kind then error("host failure in " .. kind) end
end
function Sim:now_ms() return self.now end
function Sim:set_timer(deadline)
    self:rec("set_timer", { deadline = deadline })
    self.timer = deadline
end
function Sim:connect(be, proto, conn_id)
    self:rec("connect", { backend = be, proto = proto, id = conn_id,
                          exchange = self.engine:exchange_of(conn_id) })
    return self.connect_now
end
function Sim:send_request(conn_id, xid, u)
    self:rec("send_request", { conn = conn_id, id = xid, up = u })
end
function Sim:send_mirror(be, u)
    self:rec("send_mirror", { backend = be, up = u })
end
function Sim:respond(id, status, headers, body)
    self:rec("respond", { id = id, status = status, headers = headers,
                          body = body,
                          source = self.engine:response_source(id) })
end
function Sim:cancel(id) self:rec("cancel", { id = id }) end

function Sim:all(kind)
    local out = {}
    for _, r in ipairs(self.recs) do
        if r.kind == kind then out[#out + 1] = r end
    end
    return out
end
function Sim:last(kind)
    local all = self:all(kind)
    return all[#all]
end
function Sim:cancelled(id)
    for _, r in ipairs(self:all("cancel")) do
        if r.id == id then return true end
    end
    return false
end
-- Move the clock to t, firing the timer whenever it is due.
function Sim:run_until(t)
    while self.timer ~= nil and self.timer <= t do
        if self.timer > self.now then self.now = self.timer end
        local before = self.timer
        self.engine:on_timer()
        if self.timer == before then break end
    end
    if t > self.now then self.now = t end
end

local engine_table = table_for(ENGINE_CONFIG)

local function sim_engine()
    local sim = sim_new()
    local eng = gwroute.engine(sim)
    sim.engine = eng
    return sim, eng
end

local function submit(eng, path)
    return eng:submit(eng:match(engine_table, {
        host = "svc.test", path = path, seed = 42,
        headers = { { "user-agent", "sim" } } }))
end

local function connect_last(sim, eng)
    local c = sim:last("connect")
    eq(eng:on_connected(c.id), true, "on_connected")
    local sr = sim:last("send_request")
    eq(sr.conn, c.id, "request on the connection")
    return sr.id
end

if not gwroute.ENGINE_ABI_OK then
    print("ok - engine # SKIP respond cannot be bound on this ABI")
else

test("engine: forward, upstream view, unknown ids", function()
    local sim, eng = sim_engine()
    local id = submit(eng, "/plain")
    local c = sim:last("connect")
    eq(c.backend.name, "a")
    eq(c.proto, "http")
    eq(c.exchange, id, "exchange_of inside connect")
    eq(eng:exchange_of(c.id), id, "exchange_of")
    eq(eng:exchange_of(12345678), nil, "unknown id")
    eq(eng:exchange_count(), 1)
    eq(eng:next_deadline(), nil)
    local xid = connect_last(sim, eng)
    local u = sim:last("send_request").up
    eq(u.exchange_id, id)
    eq(u.attempt, 0)
    eq(u.is_mirror, false)
    eq(u.method .. " " .. u.host .. u.path, "GET svc.test/plain")
    eq(u.backend.name, "a")
    eq(u.headers[1][1] .. "=" .. u.headers[1][2], "user-agent=sim")
    eq(u.deadline, nil)
    raises(function() eng:on_body_done(xid) end, gwroute.E_STATE)
    eq(eng:on_response_head(xid, 200, { server = "up" }), true)
    local r = sim:last("respond")
    eq(r.id, id)
    eq(r.status, 200)
    eq(r.source, xid)
    eq(r.body, "")
    eq(r.headers[1][1] .. ": " .. r.headers[1][2], "server: up")
    eq(eng:on_body_done(xid), true)
    eq(eng:exchange_count(), 0)
    eq(eng:on_body_done(xid), false, "unknown id")
    eq(eng:cancel(id), false)
    eq(eng:on_response_head(xid, 200), nil)
    eng:close()
end)

test("engine: retry succeeds on the third attempt (fake clock)", function()
    local sim, eng = sim_engine()
    local id = submit(eng, "/retry")
    eq(sim.timer, 11000, "request timeout armed")
    local at, codes, xids = { 1000, 1100, 1300 }, { 503, 502, 200 }, {}
    for i = 1, 3 do
        sim:run_until(at[i])
        eq(#sim:all("connect"), i, "connects")
        eq(sim:last("connect").at, at[i], "connect time")
        local conn = sim:last("connect").id
        local xid = connect_last(sim, eng)
        xids[i] = xid
        local u = sim:last("send_request").up
        eq(u.attempt, i - 1, "attempt")
        eq(u.deadline, 11000, "deadline")
        local relayed = eng:on_response_head(xid, codes[i], { { "server", "up" } })
        if i < 3 then
            eq(relayed, false, "retrying")
            truthy(sim:cancelled(xid) and sim:cancelled(conn), "cancelled")
            eq(#sim:all("respond"), 0)
            eq(eng:next_deadline(), at[i + 1], "backoff deadline")
        else
            eq(relayed, true, "relayed")
        end
    end
    local r = sim:last("respond")
    eq(r.id, id)
    eq(r.status, 200)
    eq(r.source, xids[3])
    eq(r.at, 1300)
    eq(eng:on_body_done(xids[3]), true)
    eq(sim.timer, nil, "disarmed")
    eq(eng:exchange_count(), 0)
    eng:close()
end)

test("engine: request timeout gives 504 at the exact fake time", function()
    local sim, eng = sim_engine()
    local id = submit(eng, "/timeouts")
    eq(sim.timer, 1300)
    eq(eng:next_deadline(), 1300)
    local conn = sim:last("connect").id
    sim:run_until(1299)
    eq(#sim:all("respond"), 0, "nothing before the deadline")
    sim:run_until(1300)
    local r = sim:last("respond")
    eq(r.id, id)
    eq(r.status, 504)
    eq(r.at, 1300)
    eq(r.source, nil)
    truthy(sim:cancelled(conn), "connection cancelled")
    eq(eng:exchange_count(), 0)
    eq(eng:on_connected(conn), false)
    eng:close()
end)

test("engine: redirect answered at once, mirror sent", function()
    local sim, eng = sim_engine()
    local d = eng:match(engine_table, { host = "svc.test", path = "/redirect" })
    eq(d.result, "redirect")
    local id = eng:submit(d)
    truthy(id > 0, "exchange id")
    local r = sim:last("respond")
    eq(r.id, id)
    eq(r.status, 301)
    eq(r.headers[1][1] .. ": " .. r.headers[1][2],
       "location: http://other.test/redirect")
    eq(#sim:all("connect"), 0)
    eq(eng:exchange_count(), 0)
    id = submit(eng, "/mirror")
    local m = sim:all("send_mirror")
    eq(#m, 1)
    eq(m[1].backend.name, "shadow1")
    eq(m[1].up.is_mirror, true)
    eq(m[1].up.exchange_id, id)
    eq(m[1].up.path, "/mirror")
    -- submit() wants the engine's last decision.
    raises(function() eng:submit(d) end, gwroute.E_INVAL)
    eng:close()
end)

test("engine: callback errors become E_CALLBACK", function()
    local sim, eng = sim_engine()
    sim.raise_in = "connect"
    local err = raises(function() submit(eng, "/plain") end,
                       gwroute.E_CALLBACK)
    eq(#err.errors, 1)
    truthy(tostring(err.errors[1]):find("host failure in connect"), "cause")
    truthy(err.exchange_id and err.exchange_id > 0, "exchange id")
    eq(sim:last("respond").status, 502)
    eq(sim:last("respond").id, err.exchange_id)
    eq(eng:exchange_count(), 0)
    -- Ignored failures are collected, the exchange goes on.
    sim.raise_in = "send_mirror"
    submit(eng, "/mirror")
    eq(#eng.unreported_errors, 1)
    eq(eng:exchange_count(), 1)
    -- Re-entrant calls are refused; read-only ones work; connect may say
    -- "connected now".
    sim.raise_in = nil
    local seen = {}
    function sim:connect(be, proto, conn_id)
        local ok, e = pcall(eng.on_timer, eng)
        seen[1] = not ok and e.code
        seen[2] = eng:exchange_count()
        return true
    end
    local n = #sim:all("send_request")
    submit(eng, "/plain")
    eq(seen[1], gwroute.E_STATE)
    eq(seen[2], 2)
    eq(#sim:all("send_request"), n + 1, "sent at once")
    eng:close()
end)

test("engine: teardown with exchanges in flight", function()
    local sim, eng = sim_engine()
    local router = gwroute.router(engine_table)
    for _, path in ipairs({ "/retry", "/timeouts", "/mirror", "/plain" }) do
        eng:submit(eng:match(router, { host = "svc.test", path = path }))
    end
    router:close()
    connect_last(sim, eng)
    eq(eng:exchange_count(), 4)
    local cbs = eng.res.cbs
    truthy(next(cbs) ~= nil, "callbacks anchored")
    local n = #sim.recs
    eng:close()
    eq(#sim.recs, n, "no callback at teardown")
    eq(next(cbs), nil, "callbacks freed")
    eng:close()
    raises(function() eng:exchange_count() end, gwroute.E_STATE)
    raises(function() submit(eng, "/plain") end, gwroute.E_STATE)
    -- Closing from inside a callback: deferred until the call returns.
    local sim2, eng2 = sim_engine()
    function sim2:connect() eng2:close() end
    submit(eng2, "/plain")
    eq(eng2.ptr, nil)
    eq(next(eng2.res.cbs), nil, "freed after the call")
    eq(#sim2:all("send_request"), 0)
    -- An engine never closed is released by the garbage collector.
    local eng3 = gwroute.engine(sim_new())
    local cbs3 = eng3.res.cbs
    eng3 = nil
    collectgarbage()
    collectgarbage()
    eq(next(cbs3), nil, "collected engine freed its callbacks")
end)

end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
