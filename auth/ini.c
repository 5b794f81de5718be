/* configparser-compatible ini parsing (see ini.h). */
#include "ini.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ini_release(struct ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].key);
        free(ini->v[i].value);
        free(ini->v[i].section);
    }
    free(ini->v);
    ini->v = NULL;
    ini->n = 0;
}

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void strip(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static struct ini_entry *find(const struct ini *ini, const char *section, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->v[i].section, section) == 0 && strcmp(ini->v[i].key, key) == 0)
            return &ini->v[i];
    return NULL;
}

static bool section_seen(const struct ini *ini, const char *sec, size_t nsec_marks,
                         char **marks)
{
    (void)ini;
    for (size_t i = 0; i < nsec_marks; i++)
        if (strcmp(marks[i], sec) == 0)
            return true;
    return false;
}

#define FAIL(...)                                   \
    do {                                            \
        snprintf(err, errlen, __VA_ARGS__);         \
        goto fail;                                  \
    } while (0)

int ini_parse(struct ini *ini, const char *text, size_t len, char *err, size_t errlen)
{
    ini->v = NULL;
    ini->n = 0;
    char *section = NULL;
    char *marks[64];
    size_t nmarks = 0;
    struct ini_entry *last = NULL; /* the value an indented line continues */
    if (len > INI_MAX_BYTES)
        FAIL("the file is larger than %d bytes", INI_MAX_BYTES);
    if (memchr(text, '\0', len))
        FAIL("the file contains a NUL byte");
    size_t lineno = 0;
    const char *p = text, *end = text + len;
    /* A UTF-8 byte-order mark, as configparser reads with encoding utf-8-sig elsewhere. */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        size_t n = (size_t)(le - p);
        p = nl ? nl + 1 : end;
        bool indented = n && (s[0] == ' ' || s[0] == '\t');
        strip(&s, &n);
        if (n == 0) {
            last = NULL; /* configparser keeps empty lines inside values; we end the value */
            continue;
        }
        if (s[0] == '#' || s[0] == ';')
            continue;
        if (indented && last) {
            size_t ol = strlen(last->value);
            char *v = realloc(last->value, ol + 1 + n + 1);
            if (!v)
                FAIL("out of memory");
            v[ol] = '\n';
            memcpy(v + ol + 1, s, n);
            v[ol + 1 + n] = '\0';
            last->value = v;
            continue;
        }
        if (s[0] == '[') {
            const char *close = memchr(s, ']', n);
            if (!close || close == s + 1)
                FAIL("line %zu: a section header needs a name in brackets", lineno);
            char *name = dup_range(s + 1, (size_t)(close - s - 1));
            if (!name)
                FAIL("out of memory");
            if (section_seen(ini, name, nmarks, marks)) {
                snprintf(err, errlen, "line %zu: section '%s' already exists", lineno, name);
                free(name);
                goto fail;
            }
            if (nmarks >= sizeof marks / sizeof *marks) {
                free(name);
                FAIL("line %zu: too many sections", lineno);
            }
            marks[nmarks++] = name;
            section = name;
            last = NULL;
            continue;
        }
        if (!section)
            FAIL("line %zu: a key before any [section] header", lineno);
        /* The text need not end in NUL: look for the delimiter within the line only. */
        size_t d = 0;
        while (d < n && s[d] != '=' && s[d] != ':')
            d++;
        if (d >= n)
            FAIL("line %zu: expected 'key = value'", lineno);
        const char *k = s, *v = s + d + 1;
        size_t kn = d, vn = n - d - 1;
        strip(&k, &kn);
        strip(&v, &vn);
        if (kn == 0)
            FAIL("line %zu: an empty key", lineno);
        if (ini->n >= INI_MAX_ENTRIES)
            FAIL("line %zu: more than %d keys", lineno, INI_MAX_ENTRIES);
        char *key = dup_range(k, kn);
        if (!key)
            FAIL("out of memory");
        for (char *q = key; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (find(ini, section, key)) {
            snprintf(err, errlen, "line %zu: option '%s' in section '%s' already exists",
                     lineno, key, section);
            free(key);
            goto fail;
        }
        struct ini_entry *nv = realloc(ini->v, (ini->n + 1) * sizeof *nv);
        if (!nv) {
            free(key);
            FAIL("out of memory");
        }
        ini->v = nv;
        struct ini_entry *e = &ini->v[ini->n];
        e->key = key;
        e->value = dup_range(v, vn);
        e->section = strdup(section);
        ini->n++;
        if (!e->value || !e->section)
            FAIL("out of memory");
        last = e;
    }
    for (size_t i = 0; i < nmarks; i++)
        free(marks[i]);
    return 0;
fail:
    for (size_t i = 0; i < nmarks; i++)
        free(marks[i]);
    ini_release(ini);
    return -1;
}

const char *ini_get(const struct ini *ini, const char *section, const char *key)
{
    /* Keys are stored lowercased (configparser's optionxform); any length is looked up. */
    const struct ini_entry *e = NULL;
    for (int pass = 0; pass < 2 && !e; pass++) {
        const char *sec = pass == 0 ? section : "DEFAULT";
        for (size_t i = 0; i < ini->n && !e; i++)
            if (strcmp(ini->v[i].section, sec) == 0 && strcasecmp(ini->v[i].key, key) == 0)
                e = &ini->v[i];
    }
    return e ? e->value : NULL;
}
