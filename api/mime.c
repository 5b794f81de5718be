/* Content types of artifact downloads, picked as MLflow picks them
 * (mlflow/utils/mime_type_utils.py _guess_mime_type): MLflow's text extensions and
 * extension-less names are text/plain, anything else is Python's mimetypes.guess_type()
 * answer, or application/octet-stream. Python's table is its built-in one (CPython 3.11,
 * the interpreter of the pinned MLflow) overridden by the system's mime.types files, read
 * once at start-up in Python's order, so on one machine both servers answer alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/util.h"
#include "api.h"

struct mime_ext {
    const char *ext; /* without the dot, as written in mime.types (Python lowers the query) */
    const char *type;
};

/* mimetypes._types_map_default of CPython 3.11. */
static const struct mime_ext py_defaults[] = {
    {"3g2", "audio/3gpp2"}, {"3gp", "audio/3gpp"}, {"3gpp", "audio/3gpp"},
    {"3gpp2", "audio/3gpp2"}, {"a", "application/octet-stream"}, {"aac", "audio/aac"},
    {"adts", "audio/aac"}, {"ai", "application/postscript"}, {"aif", "audio/x-aiff"},
    {"aifc", "audio/x-aiff"}, {"aiff", "audio/x-aiff"}, {"ass", "audio/aac"},
    {"au", "audio/basic"}, {"avi", "video/x-msvideo"}, {"avif", "image/avif"},
    {"bat", "text/plain"}, {"bcpio", "application/x-bcpio"},
    {"bin", "application/octet-stream"}, {"bmp", "image/bmp"}, {"c", "text/plain"},
    {"cdf", "application/x-netcdf"}, {"cpio", "application/x-cpio"},
    {"csh", "application/x-csh"}, {"css", "text/css"}, {"csv", "text/csv"},
    {"dll", "application/octet-stream"}, {"doc", "application/msword"},
    {"dot", "application/msword"}, {"dvi", "application/x-dvi"}, {"eml", "message/rfc822"},
    {"eps", "application/postscript"}, {"etx", "text/x-setext"},
    {"exe", "application/octet-stream"}, {"gif", "image/gif"}, {"gtar", "application/x-gtar"},
    {"h", "text/plain"}, {"h5", "application/x-hdf5"}, {"hdf", "application/x-hdf"},
    {"heic", "image/heic"}, {"heif", "image/heif"}, {"htm", "text/html"}, {"html", "text/html"},
    {"ico", "image/vnd.microsoft.icon"}, {"ief", "image/ief"}, {"jpe", "image/jpeg"},
    {"jpeg", "image/jpeg"}, {"jpg", "image/jpeg"}, {"js", "application/javascript"},
    {"json", "application/json"}, {"ksh", "text/plain"}, {"latex", "application/x-latex"},
    {"loas", "audio/aac"}, {"m1v", "video/mpeg"}, {"m3u", "application/vnd.apple.mpegurl"},
    {"m3u8", "application/vnd.apple.mpegurl"}, {"man", "application/x-troff-man"},
    {"me", "application/x-troff-me"}, {"mht", "message/rfc822"}, {"mhtml", "message/rfc822"},
    {"mif", "application/x-mif"}, {"mjs", "application/javascript"}, {"mov", "video/quicktime"},
    {"movie", "video/x-sgi-movie"}, {"mp2", "audio/mpeg"}, {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"}, {"mpa", "video/mpeg"}, {"mpe", "video/mpeg"}, {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"}, {"ms", "application/x-troff-ms"}, {"n3", "text/n3"},
    {"nc", "application/x-netcdf"}, {"nq", "application/n-quads"},
    {"nt", "application/n-triples"}, {"nws", "message/rfc822"},
    {"o", "application/octet-stream"}, {"obj", "application/octet-stream"},
    {"oda", "application/oda"}, {"opus", "audio/opus"}, {"p12", "application/x-pkcs12"},
    {"p7c", "application/pkcs7-mime"}, {"pbm", "image/x-portable-bitmap"},
    {"pdf", "application/pdf"}, {"pfx", "application/x-pkcs12"},
    {"pgm", "image/x-portable-graymap"}, {"pl", "text/plain"}, {"png", "image/png"},
    {"pnm", "image/x-portable-anymap"}, {"pot", "application/vnd.ms-powerpoint"},
    {"ppa", "application/vnd.ms-powerpoint"}, {"ppm", "image/x-portable-pixmap"},
    {"pps", "application/vnd.ms-powerpoint"}, {"ppt", "application/vnd.ms-powerpoint"},
    {"ps", "application/postscript"}, {"pwz", "application/vnd.ms-powerpoint"},
    {"py", "text/x-python"}, {"pyc", "application/x-python-code"},
    {"pyo", "application/x-python-code"}, {"qt", "video/quicktime"},
    {"ra", "audio/x-pn-realaudio"}, {"ram", "application/x-pn-realaudio"},
    {"ras", "image/x-cmu-raster"}, {"rdf", "application/xml"}, {"rgb", "image/x-rgb"},
    {"roff", "application/x-troff"}, {"rtx", "text/richtext"}, {"sgm", "text/x-sgml"},
    {"sgml", "text/x-sgml"}, {"sh", "application/x-sh"}, {"shar", "application/x-shar"},
    {"snd", "audio/basic"}, {"so", "application/octet-stream"},
    {"src", "application/x-wais-source"}, {"srt", "text/plain"},
    {"sv4cpio", "application/x-sv4cpio"}, {"sv4crc", "application/x-sv4crc"},
    {"svg", "image/svg+xml"}, {"swf", "application/x-shockwave-flash"},
    {"t", "application/x-troff"}, {"tar", "application/x-tar"}, {"tcl", "application/x-tcl"},
    {"tex", "application/x-tex"}, {"texi", "application/x-texinfo"},
    {"texinfo", "application/x-texinfo"}, {"tif", "image/tiff"}, {"tiff", "image/tiff"},
    {"tr", "application/x-troff"}, {"trig", "application/trig"},
    {"tsv", "text/tab-separated-values"}, {"txt", "text/plain"},
    {"ustar", "application/x-ustar"}, {"vcf", "text/x-vcard"}, {"vtt", "text/vtt"},
    {"wasm", "application/wasm"}, {"wav", "audio/x-wav"}, {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"}, {"wiz", "application/msword"},
    {"wsdl", "application/xml"}, {"xbm", "image/x-xbitmap"},
    {"xlb", "application/vnd.ms-excel"}, {"xls", "application/vnd.ms-excel"},
    {"xml", "text/xml"}, {"xpdl", "application/xml"}, {"xpm", "image/x-xpixmap"},
    {"xsl", "application/xml"}, {"xwd", "image/x-xwindowdump"}, {"zip", "application/zip"},
};

/* mimetypes.knownfiles: each one that exists is read in turn, later ones winning. */
static const char *const known_files[] = {
    "/etc/mime.types",
    "/etc/httpd/mime.types",
    "/etc/httpd/conf/mime.types",
    "/etc/apache/mime.types",
    "/etc/apache2/mime.types",
    "/usr/local/etc/httpd/conf/mime.types",
    "/usr/local/lib/netscape/mime.types",
    "/usr/local/etc/httpd/conf/mime.types",
    "/usr/local/etc/mime.types",
};

/* The merged table, sorted by ext, one entry per ext; built once by mime_init and read-only
 * afterwards, so threads share it without locks. The strings live in one block. */
static struct mime_ext *table;
static size_t table_n;
static char *strings;

/* An entry being collected: its order breaks ties, so the last definition of an ext wins. */
struct pending {
    struct mime_ext e;
    size_t order;
};

static int by_ext_then_order(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    int c = strcmp(x->e.ext, y->e.ext);
    return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

static int by_ext(const void *key, const void *elem)
{
    return strcmp(key, ((const struct mime_ext *)elem)->ext);
}

/* str.split()'s ASCII whitespace. */
static bool py_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Appends "type\0ext\0ext\0...\0\0" for each line of a mime.types file to b, as
 * MimeTypes.readfp reads it: words split on whitespace, a word starting with '#' ends the
 * line, the first word is the type, the others its extensions. */
static void read_mime_file(FILE *f, struct buf *b)
{
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        /* Python's universal newlines: a lone CR ends a line too. */
        for (char *seg = line; seg;) {
            char *cr = strchr(seg, '\r');
            if (cr)
                *cr = '\0';
            size_t words = 0;
            for (char *p = seg; *p;) {
                while (*p && py_space(*p))
                    p++;
                if (!*p || *p == '#')
                    break;
                char *w = p;
                while (*p && !py_space(*p))
                    p++;
                buf_append(b, w, (size_t)(p - w));
                buf_putc(b, '\0');
                words++;
            }
            if (words)
                buf_putc(b, '\0');
            seg = cr ? cr + 1 : NULL;
        }
    }
}

void mime_init(void)
{
    mime_shutdown();
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    for (size_t i = 0; i < sizeof known_files / sizeof *known_files; i++) {
        FILE *f = fopen(known_files[i], "re");
        if (!f)
            continue;
        read_mime_file(f, &b);
        fclose(f);
    }
    size_t npy = sizeof py_defaults / sizeof *py_defaults, cap = npy, n = 0;
    for (size_t i = 0; i < b.len; i++)
        cap += b.ptr[i] == '\0';
    struct pending *v = calloc(cap, sizeof *v);
    if (!v || !buf_ok(&b)) {
        log_warn("cannot read the system's mime.types; using Python's built-in types only");
        b.len = 0;
    }
    for (size_t i = 0; v && i < npy; i++, n++)
        v[n] = (struct pending){py_defaults[i], n};
    /* The file entries point into b's block, which is kept. */
    strings = b.len ? buf_detach(&b, NULL) : NULL;
    buf_release(&b);
    for (const char *p = strings; v && p && *p;) {
        const char *type = p;
        p += strlen(p) + 1;
        for (; *p; p += strlen(p) + 1, n++)
            v[n] = (struct pending){{p, type}, n};
        p++;
    }
    if (!v) {
        table = NULL;
        table_n = 0;
        return;
    }
    qsort(v, n, sizeof *v, by_ext_then_order);
    table = calloc(n ? n : 1, sizeof *table);
    size_t k = 0;
    for (size_t i = 0; table && i < n; i++) {
        if (i + 1 < n && strcmp(v[i].e.ext, v[i + 1].e.ext) == 0)
            continue; /* a later definition of the same ext follows */
        table[k++] = v[i].e;
    }
    table_n = table ? k : 0;
    free(v);
}

void mime_shutdown(void)
{
    free(table);
    free(strings);
    table = NULL;
    strings = NULL;
    table_n = 0;
}

/* posixpath.splitext for a name without '/': the offset of the extension's dot, or len
 * when there is none (leading dots do not start an extension). */
static size_t py_splitext(const char *s, size_t len)
{
    const char *dot = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.')
            dot = s + i;
    if (!dot)
        return len;
    for (const char *p = s; p < dot; p++)
        if (*p != '.')
            return (size_t)(dot - s);
    return len;
}

static bool ext_is(const char *ext, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(ext, lit, n) == 0;
}

/* mimetypes.guess_type(name)[0] of a file name, NULL when it has no type. */
static const char *py_guess_type(const char *name)
{
    /* urllib.parse._splittype: "scheme:rest". A data: "URL" has a type only with a comma,
     * and then (no '/' can be in a name) it is text/plain. */
    size_t pre = strcspn(name, ":/");
    if (pre > 0 && name[pre] == ':') {
        bool data = pre == 4 && strncasecmp(name, "data", 4) == 0;
        name += pre + 1;
        if (data)
            return strchr(name, ',') ? "text/plain" : NULL;
    }
    /* suffix_map (.tgz -> .tar.gz, ...) then encodings_map (case-sensitive). */
    static const struct {
        const char *from, *to;
    } suffixes[] = {{"svgz", ".svg.gz"}, {"tgz", ".tar.gz"}, {"taz", ".tar.gz"},
                    {"tz", ".tar.gz"},   {"tbz2", ".tar.bz2"}, {"txz", ".tar.xz"}};
    static const char *const encodings[] = {".gz", ".Z", ".bz2", ".xz", ".br"};
    char work[1024];
    size_t len = strlen(name);
    if (len >= sizeof work - 16)
        return NULL; /* longer than any file name a file system allows */
    memcpy(work, name, len + 1);
    size_t dot = py_splitext(work, len);
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes && dot < len; i++) {
            if (ext_is(work + dot + 1, len - dot - 1, suffixes[i].from)) {
                size_t m = strlen(suffixes[i].to);
                memcpy(work + dot, suffixes[i].to, m + 1);
                len = dot + m;
                dot = py_splitext(work, len);
                again = true;
                break;
            }
        }
    }
    for (size_t i = 0; i < sizeof encodings / sizeof *encodings; i++) {
        if (dot < len && strcmp(work + dot, encodings[i]) == 0) {
            len = dot;
            work[len] = '\0';
            dot = py_splitext(work, len);
            break;
        }
    }
    if (dot >= len)
        return NULL;
    char ext[sizeof work];
    size_t m = len - dot - 1;
    for (size_t i = 0; i < m; i++) {
        char ch = work[dot + 1 + i];
        ext[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    ext[m] = '\0';
    const struct mime_ext *hit = table ? bsearch(ext, table, table_n, sizeof *table, by_ext)
                                       : NULL;
    return hit ? hit->type : NULL;
}

const char *mime_type(const char *path)
{
    static const char *const text[] = {
        "txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon",
        "toml", "yaml", "yml", "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst",
        "ipynb", "MLmodel", "mlproject"};
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    /* MLflow: splitext's extension without its dot, or the whole name when there is none;
     * compared case-sensitively. */
    size_t len = strlen(name), dot = py_splitext(name, len);
    const char *ext = dot < len ? name + dot + 1 : name;
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (strcmp(ext, text[i]) == 0)
            return "text/plain";
    const char *t = py_guess_type(name);
    return t ? t : "application/octet-stream";
}
