/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Data-driven validation tests. Every .yaml file of tests/data/validate holds one
 * or more objects and expectation comments:
 *
 *   # expect: LINE:COL: KIND NS/NAME: FIELD: message
 *   # expect-ok
 *
 * The file is loaded into a fresh config and the full multiset of
 * diagnostics (errors, warnings and notes, formatted by gwr_diag_format
 * without the leading "SOURCE:") must equal the expectations. expect-ok
 * means "no diagnostic at all". Set GWR_VALIDATE_PRINT=1 to print what a
 * file produces.
 *
 * The second test loads every conformance manifest (tests/data/conformance,
 * a copy of the upstream suite's YAML) and requires that no object is
 * rejected.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const char *
data_dir(void)
{
    const char *d = getenv("GWR_TEST_DATA");
    return d != NULL ? d : "tests/data";
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct list {
    char **items;
    size_t n, cap;
} list;

static void
list_add(list *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * sizeof(char *));
        assert_non_null(l->items);
    }
    char *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, s, n);
    c[n] = '\0';
    l->items[l->n++] = c;
}

static void
list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* Sorted names of dir's entries ending in suffix. */
static list
dir_files(const char *dir, const char *suffix)
{
    list l = { NULL, 0, 0 };
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    struct dirent *e;
    size_t sl = strlen(suffix);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > sl && strcmp(e->d_name + n - sl, suffix) == 0)
            list_add(&l, e->d_name, n);
    }
    closedir(d);
    if (l.n > 0)
        qsort(l.items, l.n, sizeof(char *), cmp_str);
    return l;
}

static gwr_config *
load(const char *path, const char *source, int *rc_out)
{
    size_t len;
    char *text = test_read_file(path, &len);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_config *cfg = NULL;
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    gwr_ctx_free(ctx);  /* the config holds its own reference */
    gwr_str t = { text, len };
    gwr_str s = { source, strlen(source) };
    *rc_out = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, t, s);
    free(text);
    return cfg;
}

static int
check_file(const char *dir, const char *name, int print)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    size_t len;
    char *text = test_read_file(path, &len);
    list want = { NULL, 0, 0 };
    int expect_ok = 0;
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
        static const char pre[] = "# expect: ";
        if (n >= sizeof(pre) - 1 && memcmp(line, pre, sizeof(pre) - 1) == 0)
            list_add(&want, line + sizeof(pre) - 1, n - (sizeof(pre) - 1));
        else if (n >= 11 && memcmp(line, "# expect-ok", 11) == 0)
            expect_ok = 1;
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
    if (!expect_ok && want.n == 0 && !print)
        fail_msg("%s: no '# expect:' or '# expect-ok' line", name);

    int rc;
    gwr_config *cfg = load(path, name, &rc);
    list got = { NULL, 0, 0 };
    size_t prefix = strlen(name) + 1;
    for (size_t i = 0; i < gwr_config_diag_count(cfg); i++) {
        char buf[2048];
        const gwr_diag *d = gwr_config_diag(cfg, i);
        int n = gwr_diag_format(d, buf, sizeof(buf));
        assert_true(n > 0 && (size_t)n < sizeof(buf));
        assert_memory_equal(buf, name, prefix - 1);
        list_add(&got, buf + prefix, (size_t)n - prefix);
        if (print)
            printf("# %s: # expect: %s\n", name, buf + prefix);
    }
    /* rc agrees with the errors: rejected objects <=> GWR_E_CONFIG. */
    if ((rc == GWR_E_CONFIG) != (gwr_config_error_count(cfg) > 0))
        fail_msg("%s: add_text returned %d with %zu errors", name, rc,
                 gwr_config_error_count(cfg));
    gwr_config_free(cfg);

    if (want.n > 0)
        qsort(want.items, want.n, sizeof(char *), cmp_str);
    if (got.n > 0)
        qsort(got.items, got.n, sizeof(char *), cmp_str);
    int ok = 1;
    size_t i = 0, j = 0;
    while (i < want.n || j < got.n) {
        int c = i == want.n ? 1 : j == got.n ? -1
                                             : strcmp(want.items[i],
                                                      got.items[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            printf("# %s: missing: %s\n", name, want.items[i++]);
            ok = 0;
        } else {
            printf("# %s: unexpected: %s\n", name, got.items[j++]);
            ok = 0;
        }
    }
    list_free(&want);
    list_free(&got);
    return ok;
}

static void
test_validate_data_files(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/validate", data_dir());
    const char *p = getenv("GWR_VALIDATE_PRINT");
    int print = p != NULL && *p == '1';
    list files = dir_files(dir, ".yaml");
    assert_true(files.n > 0);
    size_t bad = 0;
    for (size_t i = 0; i < files.n; i++)
        bad += !check_file(dir, files.items[i], print);
    printf("# %zu validation files, %zu failed\n", files.n, bad);
    list_free(&files);
    assert_int_equal(bad, 0);
}

static size_t
load_conformance(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int rc;
    gwr_config *cfg = load(path, name, &rc);
    size_t errors = gwr_config_error_count(cfg);
    for (size_t i = 0; i < gwr_config_diag_count(cfg); i++) {
        const gwr_diag *d = gwr_config_diag(cfg, i);
        if (gwr_diag_severity(d) == GWR_SEVERITY_NOTE)
            continue;
        char buf[2048];
        gwr_diag_format(d, buf, sizeof(buf));
        printf("# %s\n", buf);
    }
    if (errors == 0)
        assert_int_equal(rc, GWR_OK);
    gwr_config_free(cfg);
    return errors;
}

static void
test_validate_conformance_manifests(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/conformance/base", data_dir());
    size_t errors = load_conformance(dir, "manifests.yaml");
    snprintf(dir, sizeof(dir), "%s/conformance/tests", data_dir());
    list files = dir_files(dir, ".yaml");
    assert_true(files.n >= 60);
    for (size_t i = 0; i < files.n; i++)
        errors += load_conformance(dir, files.items[i]);
    list_free(&files);
    assert_int_equal(errors, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_data_files),
        cmocka_unit_test(test_validate_conformance_manifests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
