-- libgwroute - SPDX-License-Identifier: MIT
--
-- How an nginx/OpenResty access phase drives libgwroute (LuaJIT FFI):
--
--   init_worker_by_lua_block { require("access_phase").load({"/etc/gw/all.yaml"}, "infra/edge") }
--   access_by_lua_block      { require("access_phase").access() }
--   header_filter_by_lua_block { require("access_phase").header_filter() }
--   location / { proxy_pass http://$gw_upstream; }     # set $gw_upstream "";
--
-- load() runs once per worker (and again on reload: the router swaps the
-- table, requests in flight keep the old one); access() matches each
-- request and rewrites it, redirects or answers; header_filter() applies
-- the response header edits of the decision.
local gwroute = require "gwroute"

local M = { router = nil }

function M.load(files, gateway)
    local cfg = gwroute.config()
    for _, f in ipairs(files) do
        cfg:add_file(f)
    end
    for _, d in ipairs(cfg:diagnostics()) do
        ngx.log(d.severity == "error" and ngx.ERR or ngx.WARN, tostring(d))
    end
    local tab = cfg:compile({ gateway = gateway })
    cfg:close()                                -- the table is a snapshot
    if M.router then M.router:swap(tab) else M.router = gwroute.router(tab) end
    tab:close()                                -- the router holds a reference
end

function M.access()
    local var = ngx.var
    local d = M.router:match({
        method = ngx.req.get_method(),
        host = var.http_host or "",
        path = var.request_uri,
        headers = ngx.req.get_headers(),
        port = tonumber(var.server_port),
        scheme = var.scheme,
        sni = var.ssl_server_name,             -- TLS: 421 when misdirected
        id = var.request_id,                   -- stable weighted choice
    })
    ngx.ctx.gwroute = d
    if d.result == "redirect" then
        return ngx.redirect(d.location, d.status)
    elseif d.result ~= "forward" then
        -- 404, 400, 421, 500, or 204 for a CORS preflight (its fields
        -- are response edits: header_filter() adds them)
        return ngx.exit(d.status)
    end
    local up = d.upstream
    -- The decision lists every upstream header: drop the others, set these.
    local keep = {}
    for _, h in ipairs(up.headers) do
        local name = h[1]:lower()
        local cur = keep[name]
        if cur == nil then keep[name] = h[2]
        elseif type(cur) == "table" then cur[#cur + 1] = h[2]
        else keep[name] = { cur, h[2] } end
    end
    for name in pairs(ngx.req.get_headers()) do
        if keep[name:lower()] == nil then ngx.req.clear_header(name) end
    end
    for name, v in pairs(keep) do ngx.req.set_header(name, v) end
    ngx.req.set_header("Host", up.host)
    local path, query = up.path:match("^([^?]*)%??(.*)$")
    ngx.req.set_uri(path)
    ngx.req.set_uri_args(query)
    local b, ep = d.backend, d.backend.endpoints[1]
    var.gw_upstream = ep and (ep.address .. ":" .. ep.port) or
        string.format("%s.%s.svc:%d", b.name, b.namespace, b.port)
end

function M.header_filter()
    local d = ngx.ctx.gwroute
    if not d then return end
    local rh = d.response_headers
    for _, h in ipairs(rh.set) do ngx.header[h[1]] = h[2] end
    for _, h in ipairs(rh.add) do
        local cur = ngx.header[h[1]]
        if cur == nil then ngx.header[h[1]] = h[2]
        elseif type(cur) == "table" then cur[#cur + 1] = h[2]; ngx.header[h[1]] = cur
        else ngx.header[h[1]] = { cur, h[2] } end
    end
    for _, name in ipairs(rh.remove) do ngx.header[name] = nil end
end

return M
