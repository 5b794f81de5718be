/* Unit tests for artifact path checks (the traversal table) and the local backend,
 * including a symlink planted inside the root that must not be followed; an attached store
 * over a directory that does not exist yet; sorted listings; the pool of shared stores. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts/art.h"
#include "artifacts/local.h"
#include "artifacts/pool.h"
#include "t.h"

static void test_path_table(void)
{
    /* Paths as they arrive after the server's single percent-decoding. */
    static const char *const bad[] = {
        "..", "../x", "a/../b", "a/..", "/etc/passwd", "//etc/passwd", "C:/x", "c:x",
        "\\\\server\\share", "a\\..\\b", "a\\b", "file:///etc/passwd", "file:x",
        "%2e%2e/x", "%2E%2E%2Fx", "a/%2e%2e", "a%2fb", "a%5cb", "%252e%252e/x", "a%00b",
        "a\001b", "a#b", "..%2f", "x/%2e%2e/y",
    };
    struct arena a;
    arena_init(&a);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct err e = {0};
        const char *out;
        int rc = art_path_check(&a, bad[i], true, &out, &e);
        if (rc == 0)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        T_CHECK(rc != 0 && e.code == ERR_INVALID_PARAMETER_VALUE);
    }
    static const char *const good[][2] = {
        {"a", "a"}, {"a/b/c.txt", "a/b/c.txt"}, {"a//b/", "a/b"}, {"./a/./b", "a/b"},
        {"x..y", "x..y"}, {"..a", "..a"}, {"a/...", "a/..."}, {"100%", "100%"},
        {"50%off", "50%off"}, {"caf\xc3\xa9 \xe2\x98\x83.txt", "caf\xc3\xa9 \xe2\x98\x83.txt"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct err e = {0};
        const char *out = NULL;
        T_CHECK(art_path_check(&a, good[i][0], true, &out, &e) == 0);
        T_STREQ(out, good[i][1]);
    }
    struct err e = {0};
    const char *out;
    T_CHECK(art_path_check(&a, "", false, &out, &e) != 0);
    arena_release(&a);
}

static char root[64];

static void put(struct art_store *s, const char *path, const char *data)
{
    struct err e = {0};
    struct art_writer *w;
    T_CHECK(art_open_write(s, path, &w, &e) == 0);
    T_CHECK(art_write(s, w, data, strlen(data), &e) == 0);
    T_CHECK(art_commit(s, w, &e) == 0);
}

static void test_local_roundtrip(void)
{
    struct err e = {0};
    struct art_store *s = art_open(root, &e);
    T_CHECK(s != NULL);
    if (!s)
        return;
    put(s, "a/b/c.txt", "hello");
    put(s, "a/top.txt", "x");
    struct art_reader *r;
    int64_t size;
    T_CHECK(art_open_read(s, "a/b/c.txt", &r, &size, &e) == 0 && size == 5);
    char buf[16] = {0};
    T_CHECK(art_read(s, r, 1, buf, sizeof buf, &e) == 4);
    T_STREQ(buf, "ello");
    art_close_read(s, r);
    struct arena a;
    arena_init(&a);
    struct art_entry *ents;
    size_t n;
    T_CHECK(art_list(s, "a", &a, &ents, &n, &e) == 0 && n == 2);
    T_CHECK(art_list(s, "missing", &a, &ents, &n, &e) == 0 && n == 0);
    T_CHECK(art_list(s, "a/top.txt", &a, &ents, &n, &e) == 0 && n == 0);
    /* An aborted upload leaves nothing behind, not even its temporary file. */
    struct art_writer *w;
    T_CHECK(art_open_write(s, "a/cut.bin", &w, &e) == 0);
    T_CHECK(art_write(s, w, "partial", 7, &e) == 0);
    art_abort(s, w);
    T_CHECK(art_open_read(s, "a/cut.bin", &r, &size, &e) != 0);
    T_CHECK(art_list(s, "a", &a, &ents, &n, &e) == 0 && n == 2);
    T_CHECK(art_remove(s, "a", &e) == 0);
    T_CHECK(art_open_read(s, "a/b/c.txt", &r, &size, &e) != 0 &&
            e.code == ERR_RESOURCE_DOES_NOT_EXIST);
    T_CHECK(art_remove(s, "never/there", &e) == 0);
    arena_release(&a);
    art_close(s);
}

static void test_local_symlink_escape(void)
{
    struct err e = {0};
    struct art_store *s = art_open(root, &e);
    T_CHECK(s != NULL);
    if (!s)
        return;
    char link[128];
    snprintf(link, sizeof link, "%s/evil", root);
    T_CHECK(symlink("/etc", link) == 0);
    struct art_reader *r;
    int64_t size;
    T_CHECK(art_open_read(s, "evil/passwd", &r, &size, &e) != 0);
    struct art_writer *w;
    T_CHECK(art_open_write(s, "evil/x", &w, &e) != 0);
    struct arena a;
    arena_init(&a);
    struct art_entry *ents;
    size_t n;
    T_CHECK(art_list(s, "evil", &a, &ents, &n, &e) == 0 && n == 0);
    T_CHECK(art_list(s, "", &a, &ents, &n, &e) == 0 && n == 0); /* links are not listed */
    T_CHECK(art_remove(s, "evil", &e) == 0);
    struct stat sb;
    T_CHECK(stat("/etc/passwd", &sb) == 0); /* the link went, its target did not */
    arena_release(&a);
    art_close(s);
}

/* An attached store reads nothing from a missing root, creates nothing by reading, and
 * creates the root on its first write; a root removed and made again is followed. */
static void test_local_attach(void)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/attached/run/artifacts", root);
    struct err e = {0};
    T_CHECK(art_attach("relative/dir", &e) == NULL && e.code == ERR_INVALID_PARAMETER_VALUE);
    struct art_store *s = art_attach(dir, &e);
    T_CHECK(s != NULL);
    if (!s)
        return;
    struct arena a;
    arena_init(&a);
    struct art_entry *ents;
    size_t n = 9;
    struct art_reader *r;
    int64_t size;
    T_CHECK(art_list(s, "", &a, &ents, &n, &e) == 0 && n == 0);
    T_CHECK(art_open_read(s, "x.txt", &r, &size, &e) != 0 &&
            e.code == ERR_RESOURCE_DOES_NOT_EXIST);
    T_CHECK(art_remove(s, "x.txt", &e) == 0);
    struct stat sb;
    T_CHECK(stat(dir, &sb) != 0);
    put(s, "b.txt", "bb");
    put(s, "A/c.txt", "c");
    put(s, "a.txt", "a");
    T_CHECK(art_list(s, "", &a, &ents, &n, &e) == 0 && n == 3);
    if (n == 3) { /* byte order, files and directories mixed */
        T_STREQ(ents[0].name, "A");
        T_STREQ(ents[1].name, "a.txt");
        T_STREQ(ents[2].name, "b.txt");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    T_CHECK(system(cmd) == 0);
    put(s, "again.txt", "new root");
    T_CHECK(art_list(s, "", &a, &ents, &n, &e) == 0 && n == 1);
    arena_release(&a);
    art_close(s);
}

/* The pool hands the same store to every user of a key, keeps at most `keep` unused
 * ones (least recently used out first), and never frees one in use. */
static void test_pool(void)
{
    struct art_pool *p = art_pool_new(1);
    T_CHECK(p != NULL);
    if (!p)
        return;
    char k1[160], k2[160];
    snprintf(k1, sizeof k1, "%s/pool/one", root);
    snprintf(k2, sizeof k2, "%s/pool/two", root);
    struct err e = {0};
    struct art_store *a = art_pool_get(p, k1, &e), *b = art_pool_get(p, k1, &e);
    T_CHECK(a != NULL && a == b);
    struct art_store *c = art_pool_get(p, k2, &e);
    T_CHECK(c != NULL && c != a);
    art_pool_put(p, a);
    art_pool_put(p, b); /* k1 idle */
    put(c, "still.txt", "usable"); /* in use: not freed, whatever keep says */
    art_pool_put(p, c);  /* two idle, keep 1: k1, the older, goes */
    struct art_store *c2 = art_pool_get(p, k2, &e);
    T_CHECK(c2 == c);
    art_pool_put(p, c2);
    T_CHECK(art_pool_get(p, "relative", &e) == NULL && e.code == ERR_INVALID_PARAMETER_VALUE);
    art_pool_free(p);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/mltrack-art-XXXXXX");
    if (!mkdtemp(root))
        return 1;
    T_RUN(test_path_table);
    T_RUN(test_local_roundtrip);
    T_RUN(test_local_symlink_escape);
    T_RUN(test_local_attach);
    T_RUN(test_pool);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
    T_DONE();
}
