#!/usr/bin/env python3
# libgwroute - SPDX-License-Identifier: MIT
"""Tests of the ctypes binding (examples/python/gwroute.py).

Run by `meson test --suite bindings` with GWROUTE_LIB set to the library
just built; by hand: GWROUTE_LIB=build/lib/libgwroute.so.1 python3
examples/python/test_gwroute.py -v
"""
import collections
import ctypes
import gc
import json
import os
import sys
import tempfile
import threading
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gwroute as g  # noqa: E402

ROOT = HERE.parent.parent
QUICKSTART = ROOT / "examples" / "config" / "quickstart.yaml"
MATCH_CASES = ROOT / "tests" / "data" / "match"

# One Gateway, one route with every decision feature the binding reads.
FEATURES = """
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
        add: [{name: x-add, value: a}]
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
    timeouts: {request: 5s, backendRequest: 1500ms}
  - name: move
    matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        hostname: new.example.com
        path: {type: ReplaceFullPath, replaceFullPath: /new}
        statusCode: 302
  - name: shadow
    matches: [{path: {type: Exact, value: /shadow}}]
    filters:
    - type: RequestMirror
      requestMirror:
        backendRef: {name: mirror, port: 8080}
        percent: 50
    backendRefs: [{name: main, port: 8080}]
"""

BROKEN_OBJECT = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: app}
spec:
  rules:
  - matches:
    - path: {type: PathPrefix, value: "no-slash"}
    backendRefs: [{name: x, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: app}
spec:
  rules:
  - backendRefs: [{name: x, port: 80}]
"""

ROUTE_ONLY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: only, namespace: default}
spec:
  rules:
  - backendRefs: [{name: %s, port: 80}]
"""


class Basics(unittest.TestCase):
    def test_library_and_version(self):
        lib = g.load_library()
        if os.environ.get("GWROUTE_LIB"):
            self.assertEqual(lib.path, os.environ["GWROUTE_LIB"])
        self.assertRegex(g.version(), r"^\d+\.\d+\.\d+$")
        major, minor, patch = map(int, g.version().split("."))
        self.assertEqual(g.version_num(), (major << 16) | (minor << 8) | patch)

    def test_strerror_and_error_object(self):
        self.assertIsInstance(g.strerror(g.E_NOMEM), str)
        self.assertEqual(g.strerror(-12345), "unknown error")
        e = g.GwrError(g.E_NOT_FOUND, "what")
        self.assertEqual(e.code, g.E_NOT_FOUND)
        self.assertEqual(e.name, "GWR_E_NOT_FOUND")

    def test_supported_features(self):
        feats = g.supported_features()
        self.assertIn("HTTPRoute", feats)
        self.assertEqual(feats, sorted(feats))

    def test_sample_fraction(self):
        self.assertFalse(g.sample_fraction(1, 2, 5, 0))
        self.assertTrue(g.sample_fraction(1, 2, 10, 10))
        hits = sum(g.sample_fraction(s, 7, 1, 4) for s in range(4000))
        self.assertTrue(800 < hits < 1200, hits)
        self.assertEqual(g.sample_fraction(42, 1, 1, 2),
                         g.sample_fraction(42, 1, 1, 2))

    def test_fnv1a_matches_cli(self):
        self.assertEqual(g.fnv1a(""), 0xcbf29ce484222325)
        self.assertEqual(g.fnv1a("a"), 0xaf63dc4c8601ec8c)

    def test_abi_struct_layouts(self):
        # GWR_C_LAYOUT (set by meson from the compiler's view of the public
        # headers): "struct.field=offset,...,struct=sizeof". Our fields must
        # sit at the C offsets; our size may be smaller than the C one (an
        # older caller, which the library accepts) but never larger.
        spec = os.environ.get("GWR_C_LAYOUT")
        if not spec:
            self.skipTest("GWR_C_LAYOUT not set (run through meson test)")
        structs = {"gwr_request": g._Request, "gwr_compile_opts":
                   g._CompileOpts, "gwr_io": g._IO,
                   "gwr_allocator": g._Allocator, "gwr_header": g._Header,
                   "gwr_str": g._Str}
        checked = 0
        for item in spec.split(","):
            key, val = item.split("=")
            sname, _, fname = key.partition(".")
            cls = structs[sname]
            if fname:
                self.assertEqual(getattr(cls, fname).offset, int(val), key)
            else:
                self.assertLessEqual(ctypes.sizeof(cls), int(val), key)
            checked += 1
        self.assertGreaterEqual(checked, 10)
        # The engine members of gwr_io (v2) are part of the check, and our
        # gwr_io is the full v2 struct.
        for member in ("set_timer", "connect", "send_request", "send_mirror",
                       "respond", "cancel"):
            self.assertIn("gwr_io.%s=" % member, spec)
        c_io = int(spec.split("gwr_io=")[1].split(",")[0])
        self.assertEqual(ctypes.sizeof(g._IO), c_io)

    def test_too_small_struct_is_rejected(self):
        lib = g.load_library()
        opts = g._CompileOpts()
        opts.size = 4
        with g.Config.from_text(ROUTE_ONLY % "a") as cfg:
            out = ctypes.c_void_p()
            rc = lib.table_compile(ctypes.byref(out), cfg._ptr,
                                   ctypes.byref(opts))
            self.assertEqual(rc, g.E_ABI)
            self.assertIsNone(out.value)


class Loading(unittest.TestCase):
    def test_load_file_ok(self):
        with g.Config.from_files(QUICKSTART) as cfg:
            self.assertEqual(cfg.error_count, 0)
            self.assertEqual(
                [d for d in cfg.diagnostics if d.severity == g.Severity.ERROR],
                [])
            gws = cfg.gateways
            self.assertEqual([(x.namespace, x.name, x.class_name)
                              for x in gws], [("infra", "edge", "gwroute")])
            self.assertIsNone(gws[0].infra_params)

    def test_parse_error(self):
        with g.Config() as cfg:
            rc = cfg.add_text("kind: [unclosed\n", "broken.yaml")
            self.assertEqual(rc, g.E_PARSE)
            diags = cfg.diagnostics
            self.assertGreaterEqual(len(diags), 1)
            d = diags[0]
            self.assertEqual(d.source, "broken.yaml")
            self.assertEqual(d.severity, g.Severity.ERROR)
            self.assertTrue(str(d).startswith("broken.yaml:"), str(d))
            self.assertGreaterEqual(cfg.error_count, 1)

    def test_rejected_object_diagnostic(self):
        with g.Config() as cfg:
            rc = cfg.add_text(BROKEN_OBJECT, "routes.yaml")
            self.assertEqual(rc, g.E_CONFIG)
            errs = [d for d in cfg.diagnostics
                    if d.severity == g.Severity.ERROR]
            self.assertGreaterEqual(len(errs), 1)
            d = errs[0]
            self.assertEqual((d.kind, d.namespace, d.name),
                             ("HTTPRoute", "app", "bad"))
            self.assertEqual(d.source, "routes.yaml")
            self.assertEqual(d.line, 7)
            self.assertGreater(d.col, 0)
            self.assertIn("spec.rules[0].matches[0].path", d.field)
            self.assertTrue(d.message)
            # The CLI line format, produced by gwr_diag_format().
            self.assertTrue(str(d).startswith(
                "routes.yaml:7:%d: HTTPRoute app/bad: %s: " % (d.col, d.field)),
                str(d))
            # The valid object of the same text loaded.
            st = cfg.status()
            self.assertIsNotNone(st.route("app", "good"))
            self.assertIsNone(st.route("app", "bad"))

    def test_check_raises_config_error(self):
        with self.assertRaises(g.ConfigError) as cm:
            g.Config.from_text(BROKEN_OBJECT, "r.yaml", check=True)
        self.assertEqual(cm.exception.code, g.E_CONFIG)
        self.assertTrue(any(d.name == "bad" for d in cm.exception.diagnostics))
        self.assertIn("r.yaml", str(cm.exception))

    def test_json_and_bytes_and_explicit_format(self):
        doc = {"apiVersion": "gateway.networking.k8s.io/v1",
               "kind": "HTTPRoute",
               "metadata": {"name": "j", "namespace": "default"},
               "spec": {"rules": [{"backendRefs": [{"name": "s",
                                                    "port": 80}]}]}}
        with g.Config() as cfg:
            self.assertEqual(cfg.add_text(json.dumps(doc).encode(), "j.json",
                                          g.Format.JSON), g.OK)
            self.assertEqual(cfg.status().routes[0].name, "j")
        with g.Config() as cfg:
            with self.assertRaises(g.GwrError) as cm:
                cfg.add_text("{}", "x", 99)
            self.assertEqual(cm.exception.code, g.E_INVAL)

    def test_add_file_missing(self):
        with g.Config() as cfg, self.assertRaises(OSError):
            cfg.add_file("/nonexistent/gw.yaml")

    def test_shared_context_and_logging(self):
        seen = []
        ctx = g.Context(log=lambda lvl, msg: seen.append((lvl, msg)),
                        log_level=g.LOG_DEBUG)
        self.assertEqual(ctx.log_level, g.LOG_DEBUG)
        with self.assertRaises(g.GwrError):
            ctx.log_level = 99
        cfg1 = g.Config(ctx)
        cfg2 = g.Config(ctx)
        ctx.close()                      # configs keep the context alive
        self.assertTrue(ctx.closed)
        with self.assertRaises(g.GwrError):
            g.Config(ctx)                # but it cannot be used anew
        cfg1.add_file(QUICKSTART)
        cfg2.add_text(ROUTE_ONLY % "x")
        t = cfg1.compile()
        cfg1.close()
        cfg2.close()
        self.assertEqual(t.match(host="shop.example.com",
                                 path="/healthz").result, g.Result.FORWARD)
        t.close()
        for lvl, msg in seen:
            self.assertIsInstance(msg, str)


class StatusTests(unittest.TestCase):
    def test_quickstart_status(self):
        with g.Config.from_files(QUICKSTART) as cfg:
            st = cfg.status()
            self.assertEqual([(r.kind, r.namespace, r.name) for r in st.routes],
                             [("HTTPRoute", "shop", "shop"),
                              ("HTTPRoute", "shop", "api")])
            p = st.route("shop", "shop").parents[0]
            self.assertEqual((p.group, p.kind, p.namespace, p.name),
                             ("gateway.networking.k8s.io", "Gateway",
                              "infra", "edge"))
            self.assertTrue(p.namespace_set)
            self.assertTrue(p.accepted)
            self.assertEqual(p.condition("Accepted").status, "True")
            self.assertEqual(p.condition("ResolvedRefs").status, "True")
            gw = st.gateway("infra", "edge")
            self.assertTrue(gw.ours)
            self.assertEqual(gw.condition("Accepted").status, "True")
            ls = gw.listener("http")
            self.assertEqual(ls.attached_routes, 2)
            self.assertIn(("gateway.networking.k8s.io", "HTTPRoute"),
                          ls.supported_kinds)
            self.assertEqual(ls.condition("Conflicted").status, "False")

    def test_not_accepted_parent(self):
        text = FEATURES + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: lost, namespace: app}
spec:
  parentRefs: [{name: nowhere, namespace: infra}]
  rules: [{backendRefs: [{name: x, port: 80}]}]
"""
        with g.Config.from_text(text) as cfg:
            p = cfg.status().route("app", "lost").parents[0]
            self.assertFalse(p.accepted)
            acc = p.condition("Accepted")
            self.assertEqual(acc.status, "False")
            self.assertTrue(acc.reason)

    def test_status_follows_changes(self):
        with g.Config() as cfg:
            self.assertEqual(cfg.status().routes, [])
            cfg.add_text(ROUTE_ONLY % "a")
            self.assertEqual(len(cfg.status().routes), 1)


class Matching(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with g.Config.from_text(FEATURES, "features.yaml", check=True) as cfg:
            cls.table = cfg.compile(gateway="infra/gw")

    @classmethod
    def tearDownClass(cls):
        cls.table.close()

    def m(self, **kw):
        kw.setdefault("host", "www.example.com")
        return self.table.match(**kw)

    def test_entry_count(self):
        self.assertGreaterEqual(self.table.entry_count, 4)

    def test_weights_are_deterministic_by_seed(self):
        a = [self.m(path="/split", seed=s).backend.name for s in range(200)]
        b = [self.m(path="/split", seed=s).backend.name for s in range(200)]
        self.assertEqual(a, b)
        counts = collections.Counter(a)
        self.assertEqual(set(counts), {"blue", "green"})
        self.assertTrue(60 < counts["blue"] < 140, counts)
        d = self.m(path="/split", id="user-7")
        self.assertEqual(d.seed, g.fnv1a("user-7"))
        self.assertEqual(d.id, "user-7")
        self.assertEqual(self.m(path="/split", id="user-7").backend, d.backend)
        self.assertEqual(self.m(path="/split", seed=d.seed).backend,
                         d.backend)

    def test_forward_with_rewrite_and_header_edits(self):
        d = self.m(method="POST", path="/edit/doc?x=1",
                   headers=[("x-drop", "1"), ("x-add", "0"), ("x-keep", "k")],
                   seed=1)
        self.assertIs(d.result, g.Result.FORWARD)
        self.assertEqual(d.status, 0)
        self.assertEqual(d.route, g.RouteRef("HTTPRoute", "app", "web"))
        self.assertEqual(d.rule, g.RuleRef(1, "edit"))
        self.assertEqual((d.backend.kind, d.backend.namespace, d.backend.name,
                          d.backend.port, d.backend.protocol),
                         ("Service", "app", "editor", 9090, "http"))
        u = d.upstream
        self.assertEqual((u.method, u.scheme, u.host, u.path),
                         ("POST", "http", "internal.example.com",
                          "/v2/doc?x=1"))
        self.assertIsNone(u.header("x-drop"))
        self.assertEqual(u.header("X-SET"), "s")
        self.assertEqual(u.header("x-keep"), "k")
        # "add" appends to the received value (joined or repeated).
        added = ",".join(v for n, v in u.headers if n.lower() == "x-add")
        self.assertEqual(added, "0,a")
        rh = d.response_headers
        self.assertEqual(rh.set, [("x-r-set", "rs")])
        self.assertEqual(rh.add, [("x-r-add", "ra")])
        self.assertEqual(rh.remove, ["server"])
        self.assertEqual(d.timeouts, g.Timeouts(5000, 1500))
        self.assertIsNone(d.retry)
        self.assertIsNone(d.location)

    def test_headers_as_dict(self):
        d = self.m(path="/edit", headers={"x-keep": "k"})
        self.assertEqual(d.upstream.header("x-keep"), "k")

    def test_redirect(self):
        d = self.m(path="/old/page?q=2")
        self.assertIs(d.result, g.Result.REDIRECT)
        self.assertEqual(d.status, 302)
        self.assertEqual(d.location, "https://new.example.com/new?q=2")
        self.assertIsNone(d.backend)
        self.assertIsNone(d.upstream)
        self.assertEqual(d.to_dict()["location"], d.location)

    def test_mirror_sampling_by_seed(self):
        seen = set()
        for s in range(64):
            d = self.m(path="/shadow", seed=s)
            self.assertEqual(d.backend.name, "main")
            self.assertEqual(len(d.mirrors), 1)
            self.assertEqual(d.mirrors[0].backend.name, "mirror")
            again = self.m(path="/shadow", seed=s)
            self.assertEqual(again.mirrors[0].sampled, d.mirrors[0].sampled)
            seen.add(d.mirrors[0].sampled)
        self.assertEqual(seen, {True, False})

    def test_no_route_and_bad_requests(self):
        d = self.m(path="/nothing-here")
        self.assertIs(d.result, g.Result.NO_ROUTE)
        self.assertEqual(d.status, 404)
        self.assertIsNone(d.route)
        self.assertIsNone(d.rule)
        d = self.m(path="/split/%zz")
        self.assertIs(d.result, g.Result.RESPOND)
        self.assertEqual(d.status, 400)
        self.assertEqual(self.m(host="other.example.com",
                                path="/split").status, 404)

    def test_request_object_and_dict(self):
        r = g.Request(path="/split", host="www.example.com", seed=3)
        self.assertEqual(self.table.match(r), self.table.match(dict(
            path="/split", host="www.example.com", seed=3)))
        with self.assertRaises(TypeError):
            self.table.match(r, path="/x")
        with self.assertRaises(TypeError):
            self.table.match(nope=1)

    def test_unseeded_requests_get_seeds(self):
        seeds = {self.m(path="/split").seed for _ in range(5)}
        self.assertEqual(len(seeds), 5)

    def test_path_normalization_options(self):
        with g.Config.from_text(FEATURES) as cfg:
            with cfg.compile(normalize=False) as raw:
                d = raw.match(host="www.example.com", path="/split/../edit")
                self.assertEqual(d.rule.name, "split")
            with cfg.compile() as norm:
                d = norm.match(host="www.example.com", path="/split/../edit")
                self.assertEqual(d.rule.name, "edit")
            with cfg.compile(path_flags=0) as none:
                d = none.match(host="www.example.com", path="/split/../edit")
                self.assertEqual(d.rule.name, "split")

    def test_compile_errors(self):
        with g.Config.from_text(FEATURES) as cfg:
            with self.assertRaises(g.GwrError) as cm:
                cfg.compile(gateway="infra/missing")
            self.assertEqual(cm.exception.code, g.E_NOT_FOUND)
            with self.assertRaises(ValueError):
                cfg.compile(gateway="no-slash")
            with cfg.compile(gateway=("infra", "gw")) as t:
                self.assertGreater(t.entry_count, 0)


class CliCases(unittest.TestCase):
    """The data-driven `gwroute match` cases, replayed through the binding:
    every decision must read exactly as the CLI prints it."""

    def test_match_cases(self):
        cases = sorted(p for p in MATCH_CASES.glob("*.jsonl")
                       if not p.name.endswith(".expected.jsonl"))
        ran = 0
        for req_file in cases:
            stem = req_file.name[:-len(".jsonl")]
            yaml = MATCH_CASES / (stem + ".yaml")
            exp = MATCH_CASES / (stem + ".expected.jsonl")
            if not yaml.exists() or not exp.exists() or \
                    (MATCH_CASES / (stem + ".exit")).exists():
                continue
            args = []
            a = MATCH_CASES / (stem + ".args")
            if a.exists():
                args = [x for x in a.read_text().splitlines() if x]
            opts = dict(zip(args[::2], args[1::2]))
            with self.subTest(case=stem), \
                    g.Config.from_files(yaml) as cfg, \
                    cfg.compile(gateway=opts.get("--gateway")) as t:
                want = [json.loads(x) for x in exp.read_text().splitlines()]
                got = []
                for seq, line in enumerate(req_file.read_text().splitlines()):
                    r = json.loads(line)
                    req = g.Request(
                        path=r["path"], method=r.get("method", "GET"),
                        host=r.get("host", ""),
                        headers=[tuple(h) for h in r.get("headers", [])],
                        port=r.get("port", int(opts.get("--port", 80))),
                        scheme=r.get("scheme", opts.get("--scheme", "http")),
                        id=r.get("id"), sni=r.get("sni", opts.get("--sni", "")),
                        seed=None if "id" in r else g.fnv1a("#%d" % seq))
                    got.append(t.match(req).to_dict())
                self.assertEqual(got, want)
                ran += 1
        if cases:
            self.assertGreater(ran, 0)


class HotSwap(unittest.TestCase):
    def tables(self):
        with g.Config.from_text(ROUTE_ONLY % "one") as c1, \
                g.Config.from_text(ROUTE_ONLY % "two") as c2:
            return c1.compile(), c2.compile()

    def test_swap_keeps_old_decisions(self):
        t1, t2 = self.tables()
        with g.Router(t1) as router:
            t1.close()                   # the router holds its own reference
            d1 = router.match(path="/a", seed=1)
            self.assertEqual(d1.backend.name, "one")
            router.swap(t2)
            t2.close()
            self.assertEqual(router.generation, 1)
            d2 = router.match(path="/a", seed=1)
            self.assertEqual(d2.backend.name, "two")
            gc.collect()
            self.assertEqual(d1.backend.name, "one")   # still valid
            self.assertEqual(d1.upstream.path, "/a")
            self.assertGreater(router.entry_count, 0)

    def test_concurrent_matches_while_swapping(self):
        t1, t2 = self.tables()
        router = g.Router(t1)
        errors, names = [], collections.Counter()
        stop = threading.Event()

        def worker():
            try:
                while not stop.is_set():
                    names[router.match(path="/w").backend.name] += 1
            except Exception as e:          # pragma: no cover
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for th in threads:
            th.start()
        for i in range(200):
            router.swap(t2 if i % 2 == 0 else t1)
        stop.set()
        for th in threads:
            th.join()
        router.close()
        t1.close()
        t2.close()
        self.assertEqual(errors, [])
        self.assertTrue(set(names) <= {"one", "two"})
        self.assertGreater(sum(names.values()), 0)


class Lifetimes(unittest.TestCase):
    def test_close_twice_is_safe(self):
        ctx = g.Context()
        cfg = g.Config.from_files(QUICKSTART, ctx=ctx)
        t = cfg.compile()
        r = g.Router(t)
        for obj in (r, t, cfg, ctx):
            obj.close()
            obj.close()
            self.assertTrue(obj.closed)
        with self.assertRaises(g.GwrError) as cm:
            t.match(path="/")
        self.assertEqual(cm.exception.code, g.E_STATE)
        with self.assertRaises(g.GwrError):
            r.match(path="/")
        with self.assertRaises(g.GwrError):
            cfg.status()
        with self.assertRaises(g.GwrError):
            r.swap(t)

    def test_swap_into_closed_router(self):
        with g.Config.from_text(ROUTE_ONLY % "a") as cfg, \
                cfg.compile() as t1, cfg.compile() as t2:
            r = g.Router(t1)
            r.close()
            with self.assertRaises(g.GwrError):
                r.swap(t2)
            self.assertEqual(t2.match(path="/").backend.name, "a")

    def test_everything_is_released(self):
        alloc = g.TrackingAllocator()
        ctx = g.Context(allocator=alloc)
        with g.Config(ctx) as cfg:
            cfg.add_file(QUICKSTART)
            cfg.status()
            table = cfg.compile()
        ctx.close()
        self.assertGreater(alloc.live, 0)      # the table keeps it all
        router = g.Router(table)
        table.close()
        for i in range(20):
            router.match(host="shop.example.com", path="/cart/%d" % i)
        router.close()
        self.assertEqual(alloc.live, 0)
        self.assertGreater(alloc.total, 0)

    def test_garbage_collection_releases(self):
        alloc = g.TrackingAllocator()
        ctx = g.Context(allocator=alloc)
        cfg = g.Config.from_files(QUICKSTART, ctx=ctx)
        t = cfg.compile()
        t.match(host="shop.example.com", path="/cart")
        del cfg, t, ctx
        gc.collect()
        self.assertEqual(alloc.live, 0)

    def test_allocation_failures_raise(self):
        text = QUICKSTART.read_bytes()
        failures = 0
        for n in range(0, 400, 7):
            alloc = g.TrackingAllocator()
            try:
                ctx = g.Context(allocator=alloc)
            except g.GwrError:
                continue
            alloc.fail_after = n
            try:
                with g.Config(ctx) as cfg:
                    cfg.add_text(text, "q.yaml")
                    with cfg.compile() as t:
                        t.match(host="shop.example.com", path="/cart")
            except g.GwrError as e:
                self.assertEqual(e.code, g.E_NOMEM)
                failures += 1
            finally:
                ctx.close()
            self.assertEqual(alloc.live, 0, "leak with fail_after=%d" % n)
        self.assertGreater(failures, 0)


# The routes of tests/engine-sim.c (no Gateway: the implicit listener).
ENGINE_CONFIG = """\
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
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-gw, value: "1"}]
        remove: [server]
    backendRefs: [{name: a, port: 8080}]
  - matches: [{path: {type: Exact, value: /redirect}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: other.test, statusCode: 301}
"""

Rec = collections.namedtuple("Rec", "kind at args")


class SimHost:
    """A simulated host: fake clock, one fake timer, recorded callbacks,
    scripted failures. The tests play the backends by feeding events."""

    def __init__(self):
        self.now = 1000
        self.timer = None           # armed deadline
        self.recs = []
        self.engine = None
        self.raise_in = None        # callback name that raises
        self.connect_now = False

    def _rec(self, kind, *args):
        self.recs.append(Rec(kind, self.now, args))
        if self.raise_in == kind:
            raise RuntimeError("host failure in " + kind)

    def now_ms(self):
        return self.now

    def set_timer(self, deadline):
        self._rec("set_timer", deadline)
        self.timer = deadline

    def connect(self, backend, protocol, conn_id):
        self._rec("connect", backend, protocol, conn_id,
                  self.engine.exchange_of(conn_id))
        return self.connect_now

    def send_request(self, conn_id, xid, upstream):
        self._rec("send_request", conn_id, xid, upstream)

    def send_mirror(self, backend, upstream):
        self._rec("send_mirror", backend, upstream)

    def respond(self, exchange_id, status, headers, body):
        source = self.engine.response_source(exchange_id)
        self._rec("respond", exchange_id, status, headers, body, source)

    def cancel(self, id_):
        self._rec("cancel", id_)

    # -- helpers -----------------------------------------------------------
    def all(self, kind):
        return [r for r in self.recs if r.kind == kind]

    def last(self, kind):
        found = self.all(kind)
        return found[-1] if found else None

    def cancelled(self, id_):
        return any(r.args[0] == id_ for r in self.all("cancel"))

    def run_until(self, t):
        """Move the clock to t, firing the timer whenever it is due."""
        while self.timer is not None and self.timer <= t:
            self.now = max(self.now, self.timer)
            before = self.timer
            self.engine.on_timer()
            if self.timer == before:
                break
        self.now = max(self.now, t)


class EngineTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with g.Config.from_text(ENGINE_CONFIG, check=True) as cfg:
            cls.table = cfg.compile()

    @classmethod
    def tearDownClass(cls):
        cls.table.close()

    def setUp(self):
        self.host = SimHost()
        self.engine = g.Engine(self.host)
        self.host.engine = self.engine

    def tearDown(self):
        self.engine.close()

    def submit(self, path, engine=None):
        e = engine or self.engine
        d = e.match(self.table, host="svc.test", path=path, seed=42,
                    headers=[("user-agent", "sim")])
        return e.submit(d)

    def connect_last(self):
        c = self.host.last("connect")
        self.assertTrue(self.engine.on_connected(c.args[2]))
        s = self.host.last("send_request")
        self.assertEqual(s.args[0], c.args[2])
        return s.args[1]

    def test_plain_forward_and_upstream_view(self):
        h, e = self.host, self.engine
        xid_ex = self.submit("/plain")
        c = h.last("connect")
        self.assertEqual(c.args[0].name, "a")
        self.assertEqual(c.args[0].port, 8080)
        self.assertEqual(c.args[1], "http")
        self.assertEqual(c.args[3], xid_ex)     # exchange_of inside connect
        self.assertEqual(e.exchange_of(c.args[2]), xid_ex)
        self.assertIsNone(e.exchange_of(12345678))
        self.assertEqual(e.exchange_count(), 1)
        self.assertIsNone(e.next_deadline())
        xid = self.connect_last()
        u = h.last("send_request").args[2]
        self.assertIsInstance(u, g.Upstream)
        self.assertEqual((u.exchange_id, u.attempt, u.is_mirror),
                         (xid_ex, 0, False))
        self.assertEqual((u.method, u.scheme, u.host, u.path, u.protocol),
                         ("GET", "http", "svc.test", "/plain", "http"))
        self.assertEqual(u.backend.name, "a")
        self.assertEqual(u.header("User-Agent"), "sim")
        self.assertIsNone(u.deadline)
        # Wrong state: GWR_E_STATE raises; unknown ids return False/None.
        with self.assertRaises(g.GwrError) as cm:
            e.on_body_done(xid)
        self.assertEqual(cm.exception.code, g.E_STATE)
        self.assertIs(e.on_response_head(xid, 200, {"server": "up"}), True)
        r = h.last("respond")
        self.assertEqual(r.args[:5], (xid_ex, 200, [("server", "up")], b"",
                                      xid))
        self.assertEqual(e.response_source(xid_ex), xid)
        self.assertTrue(e.on_body_done(xid))
        self.assertEqual(e.exchange_count(), 0)
        self.assertFalse(e.on_body_done(xid))
        self.assertFalse(e.on_error(xid))
        self.assertFalse(e.cancel(xid_ex))
        self.assertIsNone(e.on_response_head(xid, 200))
        self.assertEqual(h.all("cancel"), [])

    def test_retry_succeeds_on_third_attempt(self):
        # codes [502, 503], attempts 3, backoff 100 ms (doubling): tries at
        # 1000, 1100, 1300 on the fake clock; the third one gets a 200.
        h, e = self.host, self.engine
        xid_ex = self.submit("/retry")
        self.assertEqual(h.timer, 1000 + 10000)   # the request timeout
        at, codes, xids = [1000, 1100, 1300], [503, 502, 200], []
        for i in range(3):
            h.run_until(at[i])
            self.assertEqual(len(h.all("connect")), i + 1)
            self.assertEqual(h.last("connect").at, at[i])
            conn = h.last("connect").args[2]
            xid = self.connect_last()
            xids.append(xid)
            u = h.last("send_request").args[2]
            self.assertEqual(u.attempt, i)
            self.assertEqual(u.deadline, 11000)
            relayed = e.on_response_head(xid, codes[i], [("server", "up")])
            if i < 2:
                self.assertIs(relayed, False)
                self.assertTrue(h.cancelled(xid) and h.cancelled(conn))
                self.assertEqual(h.all("respond"), [])
                self.assertEqual(e.next_deadline(), at[i + 1])
            else:
                self.assertIs(relayed, True)
        r = h.last("respond")
        self.assertEqual((r.args[0], r.args[1], r.args[4], r.at),
                         (xid_ex, 200, xids[2], 1300))
        self.assertEqual(len(set(xids)), 3)
        self.assertTrue(e.on_body_done(xids[2]))
        self.assertEqual(h.timer, None)            # disarmed (UINT64_MAX)
        self.assertEqual(h.last("set_timer").args, (None,))
        self.assertEqual(e.exchange_count(), 0)

    def test_request_timeout_504_at_exact_time(self):
        h, e = self.host, self.engine
        xid_ex = self.submit("/timeouts")
        # request 1000 ms, backendRequest 300 ms: the attempt's budget
        # ends first, at 1300 on the fake clock.
        self.assertEqual(h.timer, 1300)
        self.assertEqual(e.next_deadline(), 1300)
        conn = h.last("connect").args[2]
        h.run_until(1299)
        self.assertEqual(h.all("respond"), [])
        h.run_until(1300)
        r = h.last("respond")
        self.assertEqual((r.args[0], r.args[1], r.at), (xid_ex, 504, 1300))
        self.assertIsNone(r.args[4])               # generated, no source
        self.assertTrue(h.cancelled(conn))
        self.assertEqual(e.exchange_count(), 0)
        self.assertFalse(e.on_connected(conn))

    def test_redirect_answered_at_once(self):
        h, e = self.host, self.engine
        d = e.match(self.table, host="svc.test", path="/redirect", seed=1)
        self.assertIs(d.result, g.Result.REDIRECT)
        xid_ex = e.submit(d)
        self.assertNotEqual(xid_ex, 0)
        r = h.last("respond")
        self.assertEqual(r.args[0], xid_ex)
        self.assertEqual(r.args[1], 301)
        self.assertIn(("location", "http://other.test/redirect"), r.args[2])
        self.assertIsNone(r.args[4])
        self.assertEqual(h.all("connect"), [])
        self.assertEqual(e.exchange_count(), 0)
        # No route: 404 without headers.
        e.submit(e.match(self.table, host="svc.test", path="/nothing"))
        self.assertEqual(h.last("respond").args[1:3], (404, []))

    def test_mirror_sent_and_headers_edited(self):
        h, e = self.host, self.engine
        xid_ex = self.submit("/mirror")
        m = h.all("send_mirror")
        self.assertEqual(len(m), 1)
        be, u = m[0].args
        self.assertEqual(be.name, "shadow1")
        self.assertTrue(u.is_mirror)
        self.assertEqual((u.exchange_id, u.path, u.attempt, u.deadline),
                         (xid_ex, "/mirror", 0, None))
        self.assertEqual(u.backend.name, "shadow1")
        xid = self.connect_last()
        self.assertTrue(e.on_response_head(
            xid, 200, [("Server", "up"), ("x-other", "k")]))
        self.assertEqual(h.last("respond").args[2],
                         [("x-other", "k"), ("x-gw", "1")])
        self.assertTrue(e.on_body_done(xid))

    def test_submit_needs_the_engines_last_decision(self):
        e = self.engine
        d1 = e.match(self.table, host="svc.test", path="/plain")
        e.match(self.table, host="svc.test", path="/plain")
        with self.assertRaises(g.GwrError) as cm:
            e.submit(d1)
        self.assertEqual(cm.exception.code, g.E_INVAL)
        with self.assertRaises(g.GwrError):
            e.submit(self.table.match(host="svc.test", path="/plain"))
        with self.assertRaises(TypeError):
            e.match(object(), path="/")

    def test_callback_raising_is_gwr_e_callback(self):
        h, e = self.host, self.engine
        h.raise_in = "connect"
        with self.assertRaises(g.CallbackError) as cm:
            self.submit("/plain")
        err = cm.exception
        self.assertEqual(err.code, g.E_CALLBACK)
        self.assertIsInstance(err.__cause__, RuntimeError)
        self.assertEqual(len(err.errors), 1)
        # The exchange ended with a 502, exactly once.
        self.assertEqual(h.last("respond").args[:2], (err.exchange_id, 502))
        self.assertEqual(e.exchange_count(), 0)
        # A failure code without an exception works too.
        h.raise_in = None
        e._host_fns["send_request"] = lambda conn, xid, u: -1
        self.submit("/plain")
        with self.assertRaises(g.CallbackError) as cm:
            self.connect_last_raw()
        self.assertEqual(cm.exception.errors, [])
        self.assertEqual(h.last("respond").args[1], 502)
        # A raising respond of a relayed head.
        e._host_fns["send_request"] = h.send_request
        self.submit("/plain")
        xid = self.connect_last()
        h.raise_in = "respond"
        with self.assertRaises(g.CallbackError):
            e.on_response_head(xid, 200)
        h.raise_in = None
        self.assertEqual(e.exchange_count(), 0)
        # Callbacks whose failure the engine ignores: collected.
        h.raise_in = "send_mirror"
        self.submit("/mirror")
        self.assertEqual(len(e.unreported_errors), 1)
        self.assertEqual(e.exchange_count(), 1)

    def connect_last_raw(self):
        c = self.host.last("connect")
        return self.engine.on_connected(c.args[2])

    def test_reentrant_calls_refused_and_connect_now(self):
        h, e = self.host, self.engine
        seen = []

        def connect(backend, protocol, conn_id):
            try:
                e.on_timer()
            except g.GwrError as err:
                seen.append(err.code)
            seen.append(e.exchange_count())
            return True                      # usable right now

        e._host_fns["connect"] = connect
        self.submit("/plain")
        self.assertEqual(seen, [g.E_STATE, 1])
        self.assertEqual(len(h.all("send_request")), 1)

    def test_close_inside_callback(self):
        h, e = self.host, self.engine
        e._host_fns["connect"] = lambda be, proto, cid: e.close()
        self.submit("/plain")
        self.assertTrue(e.closed)
        self.assertEqual(h.all("send_request"), [])
        with self.assertRaises(g.GwrError):
            e.exchange_count()

    def test_options(self):
        e = self.engine
        e.set_option(g.EngineOption.DEFAULT_REQUEST_TIMEOUT_MS, 250)
        self.submit("/plain")
        self.assertEqual(e.next_deadline(), 1250)
        with self.assertRaises(g.GwrError) as cm:
            e.set_option(g.EngineOption.JITTER, 2)
        self.assertEqual(cm.exception.code, g.E_RANGE)
        with self.assertRaises(TypeError):
            g.Engine(self.host, bogus=lambda: 0)

    def test_teardown_with_exchanges_in_flight(self):
        alloc = g.TrackingAllocator()
        host = SimHost()
        ctx = g.Context(allocator=alloc)
        with g.Config(ctx) as cfg:
            cfg.add_text(ENGINE_CONFIG)
            table = cfg.compile()
        ctx.close()
        router = g.Router(table)
        table.close()
        with g.Engine(host, allocator=alloc) as e:
            host.engine = e
            for path in ("/retry", "/timeouts", "/mirror", "/plain"):
                e.submit(e.match(router, host="svc.test", path=path))
            self.connect_last_of(host, e)
            e.on_response_head(host.last("send_request").args[1], 200)
            self.assertEqual(e.exchange_count(), 4)
            self.assertGreater(alloc.live, 0)
            n = len(host.recs)
        router.close()
        # Dropped silently: no callback at teardown, nothing left.
        self.assertEqual(len(host.recs), n)
        self.assertTrue(e.closed)
        e.close()
        gc.collect()
        self.assertEqual(alloc.live, 0)
        self.assertGreater(alloc.total, 0)

    @staticmethod
    def connect_last_of(host, e):
        e.on_connected(host.last("connect").args[2])

    def test_garbage_collected_engine_releases(self):
        alloc = g.TrackingAllocator()
        host = SimHost()
        e = g.Engine(host, allocator=alloc)
        host.engine = e
        e.submit(e.match(self.table, host="svc.test", path="/timeouts"))
        self.assertGreater(alloc.live, 0)
        del e, host
        gc.collect()
        self.assertEqual(alloc.live, 0)

    def test_callables_instead_of_host(self):
        got = []
        with g.Engine(respond=lambda *a: got.append(a[1])) as e:
            e.submit(e.match(self.table, host="svc.test", path="/redirect"))
            # FORWARD without connect/send_request: GWR_E_INVAL, nothing
            # created.
            with self.assertRaises(g.GwrError) as cm:
                e.submit(e.match(self.table, host="svc.test", path="/plain"))
            self.assertEqual(cm.exception.code, g.E_INVAL)
        self.assertEqual(got, [301])


if __name__ == "__main__":
    unittest.main(verbosity=2)
