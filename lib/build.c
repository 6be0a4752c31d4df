/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Field-walking toolkit of the object-model builders (lib/build.h).
 */
#include <stdio.h>
#include <string.h>

#include "build.h"

/* ---- path ---------------------------------------------------------------- */

static void
path_append(gwr_build *b, const char *s, size_t n)
{
    /* Cut rather than overflow: such paths only come from hostile input
     * nested far deeper than any Gateway API object. */
    if (b->plen + n >= sizeof(b->path))
        n = sizeof(b->path) - 1 - b->plen;
    memcpy(b->path + b->plen, s, n);
    b->plen += n;
    b->path[b->plen] = '\0';
}

/* Same spelling as the parser's paths (lib/node_tree.c): plain words
 * after a dot, anything else (label keys such as example.com/x) as
 * ["key"], cut after 64 bytes. */
static int
plain_key(const char *k, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

size_t
gwr_build__push(gwr_build *b, const char *key)
{
    size_t mark = b->plen;
    size_t n = strlen(key);
    if (plain_key(key, n)) {
        if (b->plen > 0)
            path_append(b, ".", 1);
        path_append(b, key, n);
        return mark;
    }
    size_t shown = n;
    if (shown > 64) {
        shown = 64;
        while (shown > 0 && ((unsigned char)key[shown] & 0xC0) == 0x80)
            shown--;
    }
    path_append(b, "[\"", 2);
    path_append(b, key, shown);
    path_append(b, shown < n ? "...\"]" : "\"]", shown < n ? 5 : 2);
    return mark;
}

size_t
gwr_build__push_index(gwr_build *b, size_t i)
{
    size_t mark = b->plen;
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "[%zu]", i);
    path_append(b, tmp, (size_t)n);
    return mark;
}

void
gwr_build__pop(gwr_build *b, size_t mark)
{
    b->plen = mark;
    b->path[mark] = '\0';
}

/* ---- diagnostics --------------------------------------------------------- */

static void
vdiag(gwr_build *b, uint32_t sev, const gwr_node *at, const char *fmt,
      va_list ap) GWR_PRINTF(4, 0);

static void
vdiag(gwr_build *b, uint32_t sev, const gwr_node *at, const char *fmt,
      va_list ap)
{
    gwr_diag_loc loc;
    memset(&loc, 0, sizeof(loc));
    loc.source = b->source;
    if (at != NULL) {
        loc.line = at->line;
        loc.col = at->col;
    }
    loc.kind = b->kind_name;
    loc.ns = b->ns;
    loc.name = b->name;
    loc.field.ptr = b->path;
    loc.field.len = b->plen;
    if (gwr_diag__vadd(b->diags, sev, &loc, fmt, ap) != GWR_OK)
        b->nomem = 1;
    if (sev == GWR_DIAG_ERROR)
        b->errors++;
}

void
gwr_build__error(gwr_build *b, const gwr_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(b, GWR_DIAG_ERROR, at, fmt, ap);
    va_end(ap);
}

void
gwr_build__warn(gwr_build *b, const gwr_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(b, GWR_DIAG_WARNING, at, fmt, ap);
    va_end(ap);
}

void
gwr_build__note(gwr_build *b, const gwr_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(b, GWR_DIAG_NOTE, at, fmt, ap);
    va_end(ap);
}

static const gwr_node *
key_pos(const gwr_node *map, const char *key)
{
    const gwr_node *v = gwr_node__get(map, key);
    return v != NULL ? v : map;
}

void
gwr_build__error_key(gwr_build *b, const gwr_node *map, const char *key,
                     const char *fmt, ...)
{
    size_t mk = gwr_build__push(b, key);
    va_list ap;
    va_start(ap, fmt);
    vdiag(b, GWR_DIAG_ERROR, key_pos(map, key), fmt, ap);
    va_end(ap);
    gwr_build__pop(b, mk);
}

void
gwr_build__warn_key(gwr_build *b, const gwr_node *map, const char *key,
                    const char *fmt, ...)
{
    size_t mk = gwr_build__push(b, key);
    va_list ap;
    va_start(ap, fmt);
    vdiag(b, GWR_DIAG_WARNING, key_pos(map, key), fmt, ap);
    va_end(ap);
    gwr_build__pop(b, mk);
}

/* ---- memory -------------------------------------------------------------- */

void *
gwr_build__alloc(gwr_build *b, size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return NULL;
    void *p = gwr_arena__calloc(b->arena, n, size);
    if (p == NULL)
        b->nomem = 1;
    return p;
}

gwr_str
gwr_build__copy(gwr_build *b, gwr_str s)
{
    gwr_str out = { "", 0 };
    if (gwr_arena__str(b->arena, s, &out) != GWR_OK) {
        b->nomem = 1;
        out.ptr = "";
        out.len = 0;
    }
    return out;
}

gwr_str
gwr_build__lit(const char *s)
{
    return gwr_str__from_cstr(s);
}

gwr_pos
gwr_build__pos(const gwr_build *b, const gwr_node *n)
{
    gwr_pos p;
    p.source = b->source;
    p.line = n != NULL ? n->line : 0;
    p.col = n != NULL ? n->col : 0;
    return p;
}

/* ---- typed fields -------------------------------------------------------- */

int
gwr_build__is(gwr_build *b, const gwr_node *n, uint32_t want)
{
    if (n != NULL && n->type == want)
        return 1;
    /* An integer where a number is wanted never happens here: the schema
     * has no floating-point fields that the library reads. */
    gwr_build__error(b, n, "must be %s %s, got %s",
                     want == GWR_NODE_INT ? "an" : "a",
                     gwr_node__type_name(want),
                     n != NULL ? gwr_node__type_name(n->type) : "nothing");
    return 0;
}

const gwr_node *
gwr_build__get(gwr_build *b, const gwr_node *map, const char *key,
               uint32_t want, int required)
{
    const gwr_node *v = gwr_node__get(map, key);
    size_t mk = gwr_build__push(b, key);
    const gwr_node *r = NULL;
    if (v == NULL || v->type == GWR_NODE_NULL) {
        if (required)
            gwr_build__error(b, v != NULL ? v : map, "is required");
    } else if (gwr_build__is(b, v, want)) {
        r = v;
    }
    gwr_build__pop(b, mk);
    return r;
}

static int
check_len(gwr_build *b, const gwr_node *v, size_t min, size_t max)
{
    size_t n = v->text.len;
    if ((max != 0 && n > max) || n < min) {
        if (max == 0)
            gwr_build__error(b, v, "must be at least %zu characters, got %zu",
                             min, n);
        else if (min == 0)
            gwr_build__error(b, v, "must be at most %zu characters, got %zu",
                             max, n);
        else
            gwr_build__error(b, v, "must be %zu to %zu characters, got %zu",
                             min, max, n);
        return 0;
    }
    return 1;
}

int
gwr_build__str(gwr_build *b, const gwr_node *map, const char *key,
               int required, size_t min, size_t max, gwr_str *out)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_STRING,
                                       required);
    if (v == NULL)
        return 0;
    size_t mk = gwr_build__push(b, key);
    int ok = check_len(b, v, min, max);
    gwr_build__pop(b, mk);
    if (!ok)
        return 0;
    *out = gwr_build__copy(b, v->text);
    return 1;
}

int
gwr_build__str_check(gwr_build *b, const gwr_node *map, const char *key,
                     int required, gwr_build_check_fn check, gwr_str *out)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_STRING,
                                       required);
    if (v == NULL)
        return 0;
    const char *msg = check(v->text);
    if (msg != NULL) {
        gwr_build__error_key(b, map, key, "%s", msg);
        return 0;
    }
    *out = gwr_build__copy(b, v->text);
    return 1;
}

int
gwr_build__int(gwr_build *b, const gwr_node *map, const char *key,
               int required, int64_t min, int64_t max, int64_t *out)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_INT, required);
    if (v == NULL)
        return 0;
    if (v->ival < min || v->ival > max) {
        if (max == INT64_MAX)
            gwr_build__error_key(b, map, key,
                                 "must be at least %lld, got %lld",
                                 (long long)min, (long long)v->ival);
        else
            gwr_build__error_key(b, map, key,
                                 "must be between %lld and %lld, got %lld",
                                 (long long)min, (long long)max,
                                 (long long)v->ival);
        return 0;
    }
    *out = v->ival;
    return 1;
}

int
gwr_build__bool(gwr_build *b, const gwr_node *map, const char *key,
                int required, int *out)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_BOOL, required);
    if (v == NULL)
        return 0;
    *out = v->bval;
    return 1;
}

int
gwr_build__find(const char *const *vals, gwr_str s)
{
    for (int i = 0; vals[i] != NULL; i++)
        if (gwr_str__eq_cstr(s, vals[i]))
            return i;
    return -1;
}

const char *
gwr_build__join(const char *const *vals, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; vals[i] != NULL; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         vals[i]);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

int
gwr_build__enum(gwr_build *b, const gwr_node *map, const char *key,
                int required, const char *const *vals, gwr_str *out,
                size_t *idx)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_STRING,
                                       required);
    if (v == NULL)
        return 0;
    int i = gwr_build__find(vals, v->text);
    if (i < 0) {
        char buf[512];
        gwr_build__error_key(b, map, key,
                             "unsupported value \"%s\"; allowed values: %s",
                             v->text.ptr, gwr_build__join(vals, buf,
                                                          sizeof(buf)));
        return 0;
    }
    if (out != NULL)
        *out = gwr_build__lit(vals[i]);
    if (idx != NULL)
        *idx = (size_t)i;
    return 1;
}

const gwr_node *
gwr_build__list(gwr_build *b, const gwr_node *map, const char *key,
                int required, size_t min, size_t max)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_SEQ, required);
    if (v == NULL)
        return NULL;
    if (v->n < min || (max != 0 && v->n > max)) {
        if (max == 0)
            gwr_build__error_key(b, map, key,
                                 "must have at least %zu item%s, got %zu",
                                 min, min == 1 ? "" : "s", v->n);
        else if (min == 0)
            gwr_build__error_key(b, map, key,
                                 "must have at most %zu items, got %zu", max,
                                 v->n);
        else
            gwr_build__error_key(b, map, key,
                                 "must have %zu to %zu items, got %zu", min,
                                 max, v->n);
    }
    return v;
}

int
gwr_build__strmap(gwr_build *b, const gwr_node *map, const char *key,
                  size_t max, gwr_kvs *out)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_MAP, 0);
    if (v == NULL)
        return 0;
    if (max != 0 && v->n > max)
        gwr_build__error_key(b, map, key,
                             "must have at most %zu entries, got %zu", max,
                             v->n);
    gwr_kv *items = gwr_build__alloc(b, v->n, sizeof(*items));
    size_t n = 0;
    int ok = 1;
    for (size_t i = 0; i < v->n; i++) {
        const gwr_node_pair *p = &v->pairs[i];
        if (p->value == NULL || p->value->type != GWR_NODE_STRING) {
            size_t mk = gwr_build__push(b, key);
            size_t mk2 = gwr_build__push(b, p->key.ptr);
            gwr_build__is(b, p->value, GWR_NODE_STRING);
            gwr_build__pop(b, mk2);
            gwr_build__pop(b, mk);
            ok = 0;
            continue;
        }
        if (items != NULL) {
            items[n].key = gwr_build__copy(b, p->key);
            items[n].value = gwr_build__copy(b, p->value->text);
            n++;
        }
    }
    out->items = items;
    out->n = n;
    return ok;
}

int
gwr_build__strs(gwr_build *b, const gwr_node *map, const char *key,
                size_t max_items, size_t min, size_t max, gwr_strs *out)
{
    const gwr_node *l = gwr_build__list(b, map, key, 0, 0, max_items);
    if (l == NULL)
        return 0;
    size_t mk = gwr_build__push(b, key);
    gwr_str *items = gwr_build__alloc(b, l->n, sizeof(*items));
    size_t n = 0;
    int ok = 1;
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        if (!gwr_build__is(b, it, GWR_NODE_STRING) ||
            !check_len(b, it, min, max)) {
            ok = 0;
        } else if (items != NULL) {
            items[n++] = gwr_build__copy(b, it->text);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
    out->items = items;
    out->n = n;
    return ok;
}

void
gwr_build__fields(gwr_build *b, const gwr_node *map, const char *const *known)
{
    if (map == NULL || map->type != GWR_NODE_MAP)
        return;
    for (size_t i = 0; i < map->n; i++) {
        const gwr_node_pair *p = &map->pairs[i];
        if (gwr_build__find(known, p->key) >= 0)
            continue;
        size_t mk = gwr_build__push(b, p->key.ptr);
        gwr_node at;
        memset(&at, 0, sizeof(at));
        at.line = p->key_line;
        at.col = p->key_col;
        gwr_build__warn(b, &at,
                        "unknown field \"%s\" (a real API server would "
                        "prune or reject it)", p->key.ptr);
        gwr_build__pop(b, mk);
    }
}

/* ---- metadata ------------------------------------------------------------ */

static int
is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static int
dns_label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !is_alnum_lower(s[0]) ||
        !is_alnum_lower(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum_lower(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

const char *
gwr_build__check_dns_label(gwr_str s)
{
    if (s.len < 1 || s.len > 63)
        return "must be 1 to 63 characters";
    if (!dns_label_ok(s.ptr, s.len))
        return "must be a DNS label: lowercase letters, digits and '-', "
               "starting and ending with a letter or digit";
    return NULL;
}

const char *
gwr_build__check_dns_subdomain(gwr_str s)
{
    if (s.len < 1 || s.len > 253)
        return "must be 1 to 253 characters";
    size_t start = 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || s.ptr[i] == '.') {
            if (!dns_label_ok(s.ptr + start, i - start))
                return "must be a DNS subdomain: lowercase letters, digits, "
                       "'-' and '.', each part starting and ending with a "
                       "letter or digit";
            start = i + 1;
        }
    }
    return NULL;
}

static int
digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int
gwr_build__rfc3339(gwr_str str, int64_t *ms)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    const char *s = str.ptr;
    size_t n = str.len;
    int y, mo, d, h, mi, se;
    if (n < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return GWR_E_INVAL;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 60)
        return GWR_E_INVAL;
    size_t i = 19;
    int64_t frac_ms = 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        int64_t scale = 100;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return GWR_E_INVAL;
    }
    int64_t off_min = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (!digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return GWR_E_INVAL;
        off_min = (int64_t)oh * 60 + om;
        if (s[i] == '-')
            off_min = -off_min;
        i += 6;
    } else {
        return GWR_E_INVAL;
    }
    if (i != n)
        return GWR_E_INVAL;
    /* A leap second (:60) reads as the next second, as Go's parser would
     * reject it; accepting it is harmless for ordering. */
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se -
                   off_min * 60;
    *ms = secs * 1000 + frac_ms;
    return GWR_OK;
}

int
gwr_build__meta(gwr_build *b, const gwr_node *obj, int namespaced,
                gwr_meta *meta)
{
    static const char *const known[] = {
        "name", "generateName", "namespace", "selfLink", "uid",
        "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields",
        NULL
    };
    const gwr_node *m = gwr_build__get(b, obj, "metadata", GWR_NODE_MAP, 1);
    meta->pos = gwr_build__pos(b, obj);
    if (m == NULL)
        return 0;
    size_t mk = gwr_build__push(b, "metadata");
    /* The name is read before anything else so every later diagnostic of
     * this object can name it. Namespaces and Services need DNS labels
     * (the API server's rules); everything else a DNS subdomain. */
    gwr_build_check_fn name_check =
        (meta->kind == GWR_KIND_NAMESPACE || meta->kind == GWR_KIND_SERVICE)
            ? gwr_build__check_dns_label
            : gwr_build__check_dns_subdomain;
    const gwr_node *nn = gwr_node__get(m, "name");
    if (nn != NULL && nn->type == GWR_NODE_STRING && nn->text.len > 0)
        b->name = nn->text;
    const gwr_node *nsn = gwr_node__get(m, "namespace");
    if (namespaced && nsn != NULL && nsn->type == GWR_NODE_STRING &&
        nsn->text.len > 0)
        b->ns = nsn->text;
    int have_name = gwr_build__str_check(b, m, "name", 1, name_check,
                                         &meta->name);
    if (namespaced) {
        if (!gwr_build__str_check(b, m, "namespace", 0,
                                  gwr_build__check_dns_label, &meta->ns)) {
            if (nsn == NULL || nsn->type == GWR_NODE_NULL) {
                meta->ns = gwr_build__lit("default");
                b->ns = meta->ns;
            }
        }
    } else if (nsn != NULL && nsn->type != GWR_NODE_NULL) {
        gwr_build__warn_key(b, m, "namespace",
                            "is ignored: %s is cluster-scoped",
                            b->kind_name.ptr);
    }
    const gwr_node *ts = gwr_build__get(b, m, "creationTimestamp",
                                        GWR_NODE_STRING, 0);
    if (ts != NULL) {
        if (gwr_build__rfc3339(ts->text, &meta->creation_ms) == GWR_OK)
            meta->has_creation = 1;
        else
            gwr_build__error_key(b, m, "creationTimestamp",
                                 "must be an RFC 3339 date-time such as "
                                 "2024-01-02T03:04:05Z, got \"%s\"",
                                 ts->text.ptr);
    }
    gwr_build__int(b, m, "generation", 0, 0, INT64_MAX, &meta->generation);
    gwr_build__strmap(b, m, "labels", 0, &meta->labels);
    gwr_build__strmap(b, m, "annotations", 0, &meta->annotations);
    gwr_build__fields(b, m, known);
    gwr_build__pop(b, mk);
    return have_name;
}

int
gwr_build__has(const gwr_node *map, const char *key)
{
    const gwr_node *v = gwr_node__get(map, key);
    return v != NULL && v->type != GWR_NODE_NULL;
}

void
gwr_build__rule_invalid(gwr_build *b, gwr_rule *rule, const gwr_node *at,
                        const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gwr_build__warn(b, at, "%s; the rule is invalid (UnsupportedValue) and "
                    "is not programmed", msg);
    if (rule == NULL || rule->invalid)
        return;
    rule->invalid = 1;
    rule->invalid_reason = "UnsupportedValue";
    /* "field: what", as status messages quote it. */
    char full[1024];
    int n = snprintf(full, sizeof(full), "%s: %s", b->path, msg);
    if (n < 0)
        n = 0;
    gwr_str s = { full, (size_t)n < sizeof(full) ? (size_t)n
                                                 : sizeof(full) - 1 };
    rule->invalid_message = gwr_build__copy(b, s);
}
