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
                        id=r.get("id"),
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
