/* Unit tests for artifact path checks (the traversal table) and the local backend,
 * including a symlink planted inside the root that must not be followed. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts/art.h"
#include "artifacts/local.h"
#include "t.h"

static void test_path_table(void)
{
    /* Paths as they arrive after the server's single percent-decoding. */
    static const char *const bad[] = {
        "..", "../x", "a/../b", "a/..", "/etc/passwd", "//etc/passwd", "C:/x", "c:x",
        "\\\\server\\share", "a\\..\\b", "a\\b", "file:///etc/passwd", "file:x",
        "%2e%2e/x", "%2E%2E%2Fx", "a/%2e%2e", "a%2fb", "a%5cb", "%252e%252e/x", "a%00b",
        "a\x01" "b", "a#b", "..%2f", "x/%2e%2e/y",
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

int main(void)
{
    snprintf(root, sizeof root, "/tmp/mltrack-art-XXXXXX");
    if (!mkdtemp(root))
        return 1;
    T_RUN(test_path_table);
    T_RUN(test_local_roundtrip);
    T_RUN(test_local_symlink_escape);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
    T_DONE();
}
