/* An ini reader with Python configparser's rules, the ones MLflow's basic_auth.ini is read
 * with: [section] headers, "key = value" or "key: value", keys lowercased, keys and values
 * stripped, '#' and ';' comment lines, indented lines continuing the previous value (joined
 * with '\n'), [DEFAULT] values seen in every section. Like configparser (strict), a
 * duplicate section or key, a key outside any section or a line without a delimiter is an
 * error. Bounded: at most INI_MAX_BYTES of input and INI_MAX_ENTRIES keys. */
#ifndef MLT_AUTH_INI_H
#define MLT_AUTH_INI_H

#include <stddef.h>

enum { INI_MAX_BYTES = 1 << 20, INI_MAX_ENTRIES = 1024 };

struct ini_entry {
    char *section, *key, *value;
};

struct ini {
    struct ini_entry *v;
    size_t n;
};

/* Parses text[0..len). 0, or -1 with a message naming the line in err (and ini empty).
 * Release with ini_release either way. */
int ini_parse(struct ini *ini, const char *text, size_t len, char *err, size_t errlen);
void ini_release(struct ini *ini);

/* The value of key in section (falling back to [DEFAULT]); NULL when absent. Borrowed until
 * ini_release. key is matched lowercased, section exactly (configparser's rules). */
const char *ini_get(const struct ini *ini, const char *section, const char *key);

#endif
