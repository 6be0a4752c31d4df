/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The config object: transactional loading of texts into the object model
 * (docs/CONFIG.md) and the diagnostic accessors of gwroute/config.h.
 */
#include <string.h>

#include "build.h"
#include "config_int.h"

/* ---- kinds and API versions ------------------------------------------- */

typedef struct kind_info {
    const char *name;
    uint32_t id;
    int namespaced;
    const char *versions[3];  /* accepted apiVersions, NULL-terminated */
    const char *removed;      /* apiVersion removed in v1.2, or NULL */
    const char *use;          /* what to use instead of `removed` */
} kind_info;

#define GW_V1 GWR_GROUP_GATEWAY "/v1"
#define GW_V1B1 GWR_GROUP_GATEWAY "/v1beta1"

/* Spec "API versions to accept": everything served from v1.2 to today. */
static const kind_info kinds[] = {
    { "GatewayClass", GWR_KIND_GATEWAY_CLASS, 0, { GW_V1, GW_V1B1, NULL },
      NULL, NULL },
    { "Gateway", GWR_KIND_GATEWAY, 1, { GW_V1, GW_V1B1, NULL }, NULL, NULL },
    { "HTTPRoute", GWR_KIND_HTTP_ROUTE, 1, { GW_V1, GW_V1B1, NULL }, NULL,
      NULL },
    { "GRPCRoute", GWR_KIND_GRPC_ROUTE, 1, { GW_V1, NULL, NULL },
      GWR_GROUP_GATEWAY "/v1alpha2", GW_V1 },
    { "ReferenceGrant", GWR_KIND_REFERENCE_GRANT, 1, { GW_V1B1, GW_V1, NULL },
      GWR_GROUP_GATEWAY "/v1alpha2", GW_V1B1 },
    { "Service", GWR_KIND_SERVICE, 1, { "v1", NULL, NULL }, NULL, NULL },
    { "EndpointSlice", GWR_KIND_ENDPOINT_SLICE, 1,
      { "discovery.k8s.io/v1", NULL, NULL }, NULL, NULL },
    { "Namespace", GWR_KIND_NAMESPACE, 0, { "v1", NULL, NULL }, NULL, NULL },
    { "BackendTLSPolicy", GWR_KIND_BACKEND_TLS_POLICY, 1,
      { GWR_GROUP_GATEWAY "/v1alpha3", GW_V1, NULL }, NULL, NULL },
};

const char *
gwr_kind__name(uint32_t kind)
{
    for (size_t i = 0; i < GWR_ARRAY_LEN(kinds); i++)
        if (kinds[i].id == kind)
            return kinds[i].name;
    return "Unknown";
}

/* ---- model arrays ------------------------------------------------------ */

static void ***
model_array(gwr_model *m, uint32_t kind, size_t **n)
{
    switch (kind) {
    case GWR_KIND_GATEWAY_CLASS:
        *n = &m->n_classes;
        return (void ***)&m->classes;
    case GWR_KIND_GATEWAY:
        *n = &m->n_gateways;
        return (void ***)&m->gateways;
    case GWR_KIND_HTTP_ROUTE:
    case GWR_KIND_GRPC_ROUTE:
        *n = &m->n_routes;
        return (void ***)&m->routes;
    case GWR_KIND_REFERENCE_GRANT:
        *n = &m->n_grants;
        return (void ***)&m->grants;
    case GWR_KIND_SERVICE:
        *n = &m->n_services;
        return (void ***)&m->services;
    case GWR_KIND_ENDPOINT_SLICE:
        *n = &m->n_slices;
        return (void ***)&m->slices;
    case GWR_KIND_NAMESPACE:
        *n = &m->n_namespaces;
        return (void ***)&m->namespaces;
    default:
        *n = &m->n_policies;
        return (void ***)&m->policies;
    }
}

static void
model_free(gwr_ctx *ctx, gwr_model *m)
{
    for (uint32_t k = 0; k < GWR_KIND__COUNT; k++) {
        if (k == GWR_KIND_GRPC_ROUTE)
            continue;
        size_t *n;
        void ***arr = model_array(m, k, &n);
        gwr__free(ctx, *arr);
        *arr = NULL;
        *n = 0;
    }
}

/* ---- lifecycle ----------------------------------------------------------- */

int
gwr_config_new(gwr_config **out, gwr_ctx *ctx)
{
    if (out == NULL)
        return GWR_E_INVAL;
    *out = NULL;
    if (ctx == NULL)
        return GWR_E_INVAL;
    gwr_config *cfg = gwr__calloc(ctx, 1, sizeof(*cfg));
    if (cfg == NULL)
        return GWR_E_NOMEM;
    cfg->ctx = gwr_ctx__ref(ctx);
    gwr_diag__list_init(&cfg->diags, ctx);
    gwr_diag__list_init(&cfg->view_diags, ctx);
    *out = cfg;
    return GWR_OK;
}

/* Drop the cached resolution: the model changed (or dies). */
static void
invalidate_view(gwr_config *cfg)
{
    if (cfg->view != NULL) {
        gwr_resolve__free(cfg->view);
        cfg->view = NULL;
    }
    gwr_diag__list_free(&cfg->view_diags);
    gwr_diag__list_init(&cfg->view_diags, cfg->ctx);
}

void
gwr_config_free(gwr_config *cfg)
{
    if (cfg == NULL)
        return;
    gwr_ctx *ctx = cfg->ctx;
    invalidate_view(cfg);
    model_free(ctx, &cfg->model);
    while (cfg->texts != NULL) {
        gwr_text *t = cfg->texts;
        cfg->texts = t->next;
        gwr_arena__free(&t->arena);
        gwr__free(ctx, t);
    }
    gwr_diag__list_free(&cfg->diags);
    gwr__free(ctx, cfg);
    gwr_ctx__unref(ctx);
}

/* ---- loading one text -------------------------------------------------- */

typedef struct staged {
    uint32_t kind;
    gwr_meta *meta;           /* first member of every object struct */
    int dropped;              /* replaced by a later object of this text */
    size_t replaces;          /* index in the model array, or SIZE_MAX */
} staged;

typedef struct loader {
    gwr_config *cfg;
    gwr_ctx *ctx;
    gwr_arena *arena;         /* the text's arena */
    gwr_diag_list diags;      /* this text's diagnostics */
    gwr_str source;
    staged *objs;
    size_t n_objs, cap_objs;
    size_t rejected;
    int nomem;
} loader;

static const kind_info *
find_kind(gwr_str kind)
{
    for (size_t i = 0; i < GWR_ARRAY_LEN(kinds); i++)
        if (gwr_str__eq_cstr(kind, kinds[i].name))
            return &kinds[i];
    return NULL;
}

static void
build_init(loader *ld, gwr_build *b)
{
    memset(b, 0, sizeof(*b));
    b->ctx = ld->ctx;
    b->arena = ld->arena;
    b->diags = &ld->diags;
    b->source = ld->source;
}

static const gwr_node *
scalar_of(const gwr_node *map, const char *key)
{
    const gwr_node *v = gwr_node__get(map, key);
    return (v != NULL && v->type == GWR_NODE_STRING && v->text.len > 0) ? v
                                                                         : NULL;
}

static void *
build_kind(gwr_build *b, const kind_info *ki, const gwr_node *obj,
           const gwr_meta *meta)
{
    switch (ki->id) {
    case GWR_KIND_GATEWAY_CLASS:
        return gwr_build__gateway_class(b, obj, meta);
    case GWR_KIND_GATEWAY:
        return gwr_build__gateway(b, obj, meta);
    case GWR_KIND_HTTP_ROUTE:
    case GWR_KIND_GRPC_ROUTE:
        return gwr_build__route(b, obj, meta);
    case GWR_KIND_REFERENCE_GRANT:
        return gwr_build__reference_grant(b, obj, meta);
    case GWR_KIND_SERVICE:
        return gwr_build__service(b, obj, meta);
    case GWR_KIND_ENDPOINT_SLICE:
        return gwr_build__endpoint_slice(b, obj, meta);
    case GWR_KIND_NAMESPACE:
        return gwr_build__namespace(b, obj, meta);
    default:
        return gwr_build__backend_tls_policy(b, obj, meta);
    }
}

static void load_node(loader *ld, const gwr_node *doc, int in_list);

/* `kind: List` (and typed lists such as HTTPRouteList) as kubectl prints
 * them: every item is an object. */
static void
load_list(loader *ld, const gwr_node *doc, gwr_build *b)
{
    const gwr_node *items = gwr_build__get(b, doc, "items", GWR_NODE_SEQ, 0);
    if (items == NULL)
        return;
    for (size_t i = 0; i < items->n; i++)
        load_node(ld, items->items[i], 1);
}

static void
load_object(loader *ld, const kind_info *ki, const gwr_node *doc,
            gwr_build *b)
{
    static const char *const top[] = {
        "apiVersion", "kind", "metadata", "spec", "status", NULL
    };
    /* EndpointSlice keeps its fields at the top level. */
    static const char *const top_slice[] = {
        "apiVersion", "kind", "metadata", "addressType", "endpoints",
        "ports", NULL
    };
    gwr_meta meta;
    memset(&meta, 0, sizeof(meta));
    meta.kind = ki->id;
    b->kind = ki->id;
    meta.api_version = gwr_build__copy(b, b->api_version);
    gwr_build__meta(b, doc, ki->namespaced, &meta);
    /* Spec fields are only worth checking for a usable apiVersion: a
     * removed or unknown version has another schema. */
    int version_ok = gwr_build__find(ki->versions, b->api_version) >= 0;
    if (!version_ok) {
        const gwr_node *av = gwr_node__get(doc, "apiVersion");
        size_t mk = gwr_build__push(b, "apiVersion");
        if (ki->removed != NULL && gwr_str__eq_cstr(b->api_version,
                                                    ki->removed)) {
            gwr_build__error(b, av,
                             "%s %s was removed in Gateway API v1.2; use "
                             "apiVersion %s", ki->name, ki->removed,
                             ki->use);
        } else {
            char buf[256];
            gwr_build__error(b, av,
                             "unsupported apiVersion \"%s\" for %s; "
                             "supported: %s", b->api_version.ptr, ki->name,
                             gwr_build__join(ki->versions, buf, sizeof(buf)));
        }
        gwr_build__pop(b, mk);
    }
    gwr_build__fields(b, doc,
                      ki->id == GWR_KIND_ENDPOINT_SLICE ? top_slice : top);
    void *obj = NULL;
    /* An invalid name still gets the rest of the object checked, so that
     * every problem is reported at once. */
    if (version_ok && (meta.name.len > 0 || b->name.len > 0))
        obj = build_kind(b, ki, doc, &meta);
    if (b->nomem) {
        ld->nomem = 1;
        return;
    }
    if (b->errors > 0 || obj == NULL) {
        ld->rejected++;
        return;
    }
    if (gwr__grow(ld->ctx, (void **)&ld->objs, &ld->cap_objs, ld->n_objs + 1,
                  sizeof(*ld->objs)) != GWR_OK) {
        ld->nomem = 1;
        return;
    }
    staged *s = &ld->objs[ld->n_objs++];
    s->kind = ki->id;
    s->meta = obj;
    s->dropped = 0;
    s->replaces = SIZE_MAX;
}

static void
load_node(loader *ld, const gwr_node *doc, int in_list)
{
    if (ld->nomem || doc == NULL || (doc->type == GWR_NODE_NULL && !in_list))
        return;
    gwr_build b;
    build_init(ld, &b);
    if (doc->type != GWR_NODE_MAP) {
        gwr_build__error(&b, doc, "%s must be a map (an object), got %s",
                         in_list ? "a List item" : "a document",
                         gwr_node__type_name(doc->type));
        ld->rejected++;
        ld->nomem |= b.nomem;
        return;
    }
    /* Name the object in every diagnostic, also before it is validated. */
    const gwr_node *kn = scalar_of(doc, "kind");
    const gwr_node *md = gwr_node__get(doc, "metadata");
    const gwr_node *nm = scalar_of(md, "name");
    if (kn != NULL)
        b.kind_name = kn->text;
    if (nm != NULL)
        b.name = nm->text;
    const kind_info *ki = kn != NULL ? find_kind(kn->text) : NULL;
    if (ki != NULL && ki->namespaced) {
        const gwr_node *ns = scalar_of(md, "namespace");
        b.ns = ns != NULL ? ns->text : gwr_build__lit("default");
    }
    gwr_str av = { "", 0 };
    gwr_str kind = { "", 0 };
    int ok = gwr_build__str(&b, doc, "apiVersion", 1, 1, 0, &av);
    ok &= gwr_build__str(&b, doc, "kind", 1, 1, 0, &kind);
    b.api_version = av;
    if (ok && ki == NULL && gwr_str__ends_with(kind, gwr_build__lit("List")) &&
        gwr_node__get(doc, "items") != NULL) {
        load_list(ld, doc, &b);
    } else if (ok && ki == NULL) {
        const gwr_node *at = gwr_node__get(doc, "kind");
        size_t mk = gwr_build__push(&b, "kind");
        gwr_build__note(&b, at,
                        "kind %s (apiVersion %s) is not read by libgwroute; "
                        "skipped", kind.ptr, av.ptr);
        gwr_build__pop(&b, mk);
    } else if (ok) {
        load_object(ld, ki, doc, &b);
    } else {
        ld->rejected++;
    }
    ld->nomem |= b.nomem;
}

/* ---- replacement --------------------------------------------------------- */

/* Open-addressing table of the objects by (kind, namespace, name), so that
 * finding replacements stays linear in the number of objects. */
typedef struct slot {
    const gwr_meta *meta;     /* NULL = empty */
    int staged;               /* index below is into ld->objs */
    size_t idx;               /* model array index or staged index */
} slot;

static uint64_t
key_hash(const gwr_meta *m)
{
    uint64_t h = UINT64_C(1469598103934665603);
    h = (h ^ m->kind) * UINT64_C(1099511628211);
    for (size_t i = 0; i < m->ns.len; i++)
        h = (h ^ (unsigned char)m->ns.ptr[i]) * UINT64_C(1099511628211);
    h = (h ^ 0xff) * UINT64_C(1099511628211);
    for (size_t i = 0; i < m->name.len; i++)
        h = (h ^ (unsigned char)m->name.ptr[i]) * UINT64_C(1099511628211);
    return h;
}

static int
same_key(const gwr_meta *a, const gwr_meta *b)
{
    return a->kind == b->kind && gwr_str__eq(a->ns, b->ns) &&
           gwr_str__eq(a->name, b->name);
}

static slot *
slot_find(slot *t, size_t mask, const gwr_meta *m)
{
    size_t i = (size_t)key_hash(m) & mask;
    while (t[i].meta != NULL && !same_key(t[i].meta, m))
        i = (i + 1) & mask;
    return &t[i];
}

static void
warn_replaced(loader *ld, const staged *s, const gwr_meta *old)
{
    gwr_diag_loc loc;
    memset(&loc, 0, sizeof(loc));
    loc.source = ld->source;
    loc.line = s->meta->pos.line;
    loc.col = s->meta->pos.col;
    loc.kind = gwr_str__from_cstr(gwr_kind__name(s->kind));
    loc.ns = s->meta->ns;
    loc.name = s->meta->name;
    loc.field = gwr_str__from_cstr("metadata.name");
    if (gwr_diag__add(&ld->diags, GWR_DIAG_WARNING, &loc,
                      "replaces the %s of the same name loaded earlier "
                      "from %s:%u:%u", gwr_kind__name(s->kind),
                      old->pos.source.ptr, (unsigned)old->pos.line,
                      (unsigned)old->pos.col) != GWR_OK)
        ld->nomem = 1;
}

/* Later objects with the same kind, namespace and name replace earlier
 * ones, whether earlier in this text or already in the model. */
static void
find_replacements(loader *ld)
{
    gwr_model *m = &ld->cfg->model;
    if (ld->n_objs == 0)
        return;
    size_t total = ld->n_objs;
    for (uint32_t k = 0; k < GWR_KIND__COUNT; k++) {
        size_t *n;
        if (k != GWR_KIND_GRPC_ROUTE) {
            model_array(m, k, &n);
            total += *n;
        }
    }
    size_t cap = 16;
    while (cap < 2 * total)
        cap *= 2;
    slot *t = gwr__calloc(ld->ctx, cap, sizeof(*t));
    if (t == NULL) {
        ld->nomem = 1;
        return;
    }
    for (uint32_t k = 0; k < GWR_KIND__COUNT; k++) {
        if (k == GWR_KIND_GRPC_ROUTE)
            continue;
        size_t *n;
        void ***arr = model_array(m, k, &n);
        for (size_t j = 0; j < *n; j++) {
            slot *e = slot_find(t, cap - 1, (*arr)[j]);
            e->meta = (*arr)[j];
            e->staged = 0;
            e->idx = j;
        }
    }
    for (size_t i = 0; i < ld->n_objs && !ld->nomem; i++) {
        staged *s = &ld->objs[i];
        slot *e = slot_find(t, cap - 1, s->meta);
        if (e->meta != NULL) {
            if (e->staged) {
                ld->objs[e->idx].dropped = 1;
                s->replaces = ld->objs[e->idx].replaces;
            } else {
                s->replaces = e->idx;
            }
            warn_replaced(ld, s, e->meta);
        }
        e->meta = s->meta;
        e->staged = 1;
        e->idx = i;
    }
    gwr__free(ld->ctx, t);
}

/* Grow every model array and the diagnostic list so that commit() cannot
 * fail; growing alone changes nothing visible. */
static int
reserve(loader *ld)
{
    gwr_config *cfg = ld->cfg;
    size_t add[GWR_KIND__COUNT] = { 0 };
    for (size_t i = 0; i < ld->n_objs; i++) {
        uint32_t k = ld->objs[i].kind == GWR_KIND_GRPC_ROUTE
                         ? GWR_KIND_HTTP_ROUTE
                         : ld->objs[i].kind;
        add[k]++;
    }
    for (uint32_t k = 0; k < GWR_KIND__COUNT; k++) {
        if (add[k] == 0)
            continue;
        size_t *n;
        void ***arr = model_array(&cfg->model, k, &n);
        void **p = gwr__realloc(cfg->ctx, *arr,
                                (*n + add[k]) * sizeof(void *));
        if (p == NULL)
            return GWR_E_NOMEM;
        *arr = p;
    }
    return gwr__grow(cfg->ctx, (void **)&cfg->diags.items, &cfg->diags.cap,
                     cfg->diags.n + ld->diags.n, sizeof(*cfg->diags.items));
}

static size_t
commit(loader *ld)
{
    gwr_model *m = &ld->cfg->model;
    /* Replaced objects leave their arrays first (indices refer to the
     * arrays as they were), then the new ones go to the end: "in load
     * order". */
    for (size_t i = 0; i < ld->n_objs; i++) {
        staged *s = &ld->objs[i];
        if (!s->dropped && s->replaces != SIZE_MAX) {
            size_t *n;
            void ***arr = model_array(m, s->kind, &n);
            (*arr)[s->replaces] = NULL;
        }
    }
    for (uint32_t k = 0; k < GWR_KIND__COUNT; k++) {
        if (k == GWR_KIND_GRPC_ROUTE)
            continue;
        size_t *n;
        void ***arr = model_array(m, k, &n);
        size_t w = 0;
        for (size_t j = 0; j < *n; j++)
            if ((*arr)[j] != NULL)
                (*arr)[w++] = (*arr)[j];
        *n = w;
    }
    size_t added = 0;
    for (size_t i = 0; i < ld->n_objs; i++) {
        staged *s = &ld->objs[i];
        if (s->dropped)
            continue;
        size_t *n;
        void ***arr = model_array(m, s->kind, &n);
        s->meta->load_seq = m->next_seq++;
        (*arr)[(*n)++] = s->meta;
        added++;
    }
    return added;
}

int
gwr_config_add_text(gwr_config *cfg, uint32_t format, gwr_str text,
                    gwr_str source)
{
    if (cfg == NULL || format > GWR_FORMAT_JSON ||
        (text.ptr == NULL && text.len > 0) ||
        (source.ptr == NULL && source.len > 0))
        return GWR_E_INVAL;
    gwr_ctx *ctx = cfg->ctx;
    gwr_text *t = gwr__calloc(ctx, 1, sizeof(*t));
    if (t == NULL)
        return GWR_E_NOMEM;
    gwr_arena__init(&t->arena, ctx);
    gwr_arena parse;
    gwr_arena__init(&parse, ctx);
    loader ld;
    memset(&ld, 0, sizeof(ld));
    ld.cfg = cfg;
    ld.ctx = ctx;
    ld.arena = &t->arena;
    gwr_diag__list_init(&ld.diags, ctx);

    int rc = GWR_OK;
    gwr_docs docs = { NULL, 0 };
    /* The source name outlives the call in every gwr_pos of the model. */
    if (gwr_arena__str(&t->arena, source, &ld.source) != GWR_OK) {
        rc = GWR_E_NOMEM;
        goto out;
    }
    gwr_str empty = { "", 0 };
    if (text.ptr == NULL)
        text = empty;
    rc = gwr_node__parse(&parse, &ld.diags, ld.source, text, format, &docs);
    if (rc != GWR_OK) {
        /* Keep the parser's diagnostics (best effort) but nothing else. */
        if (rc != GWR_E_NOMEM)
            gwr_diag__list_splice(&cfg->diags, &ld.diags);
        goto out;
    }
    for (size_t i = 0; i < docs.n && !ld.nomem; i++)
        load_node(&ld, docs.docs[i], 0);
    if (!ld.nomem)
        find_replacements(&ld);
    if (ld.nomem || reserve(&ld) != GWR_OK) {
        rc = GWR_E_NOMEM;
        goto out;
    }
    /* From here on nothing can fail. */
    gwr_diag__list_splice(&cfg->diags, &ld.diags);
    if (commit(&ld) > 0) {
        t->next = cfg->texts;
        cfg->texts = t;
        t = NULL;
        cfg->generation++;
        invalidate_view(cfg);
    }
    rc = ld.rejected > 0 ? GWR_E_CONFIG : GWR_OK;
out:
    gwr_arena__free(&parse);
    gwr_diag__list_free(&ld.diags);
    gwr__free(ctx, ld.objs);
    if (t != NULL) {
        gwr_arena__free(&t->arena);
        gwr__free(ctx, t);
    }
    return rc;
}

/* ---- diagnostics --------------------------------------------------------- */

size_t
gwr_config_diag_count(const gwr_config *cfg)
{
    return cfg != NULL ? cfg->diags.n : 0;
}

size_t
gwr_config_error_count(const gwr_config *cfg)
{
    return cfg != NULL ? cfg->diags.errors : 0;
}

const gwr_diag *
gwr_config_diag(const gwr_config *cfg, size_t i)
{
    if (cfg == NULL || i >= cfg->diags.n)
        return NULL;
    return cfg->diags.items[i];
}

static const gwr_str no_str = { "", 0 };

uint32_t
gwr_diag_severity(const gwr_diag *d)
{
    return d != NULL ? d->severity : (uint32_t)GWR_SEVERITY_ERROR;
}

gwr_str
gwr_diag_source(const gwr_diag *d)
{
    return d != NULL ? d->source : no_str;
}

uint32_t
gwr_diag_line(const gwr_diag *d)
{
    return d != NULL ? d->line : 0;
}

uint32_t
gwr_diag_column(const gwr_diag *d)
{
    return d != NULL ? d->col : 0;
}

gwr_str
gwr_diag_kind(const gwr_diag *d)
{
    return d != NULL ? d->kind : no_str;
}

gwr_str
gwr_diag_namespace(const gwr_diag *d)
{
    return d != NULL ? d->ns : no_str;
}

gwr_str
gwr_diag_name(const gwr_diag *d)
{
    return d != NULL ? d->name : no_str;
}

gwr_str
gwr_diag_field(const gwr_diag *d)
{
    return d != NULL ? d->field : no_str;
}

gwr_str
gwr_diag_message(const gwr_diag *d)
{
    return d != NULL ? d->message : no_str;
}

/* snprintf-style output without allocating: count everything, copy what
 * fits. */
typedef struct out_buf {
    char *buf;
    size_t size, len;
} out_buf;

static void
out_put(out_buf *o, const char *s, size_t n)
{
    if (o->len + 1 < o->size) {
        size_t room = o->size - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void
out_part(out_buf *o, gwr_str s)
{
    if (s.len > 0)
        out_put(o, s.ptr, s.len);
    else
        out_put(o, "-", 1);
}

static void
out_uint(out_buf *o, uint32_t v)
{
    char tmp[16];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out_put(o, tmp + sizeof(tmp) - n, n);
}

int
gwr_diag_format(const gwr_diag *d, char *buf, size_t size)
{
    if (d == NULL || (buf == NULL && size > 0))
        return GWR_E_INVAL;
    /* Same layout as gwr_diag__format (lib/diag.c), which needs a ctx. */
    out_buf o = { buf, size, 0 };
    out_part(&o, d->source);
    out_put(&o, ":", 1);
    out_uint(&o, d->line);
    out_put(&o, ":", 1);
    out_uint(&o, d->col);
    out_put(&o, ": ", 2);
    out_part(&o, d->kind);
    out_put(&o, " ", 1);
    out_part(&o, d->ns);
    out_put(&o, "/", 1);
    out_part(&o, d->name);
    out_put(&o, ": ", 2);
    out_part(&o, d->field);
    out_put(&o, ": ", 2);
    out_put(&o, d->message.ptr, d->message.len);
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    if (o.len > INT32_MAX)
        return GWR_E_RANGE;
    return (int)o.len;
}
