/* Unit tests for the network-free half of the S3 backend: destinations, addressing, key and
 * URL encoding, and the XML answers (ListObjectsV2, CreateMultipartUpload, errors). */
#include <stdlib.h>
#include <string.h>

#include "../../artifacts/s3_parse.h"
#include "t.h"

static char *enc(const char *s, bool keep_slash)
{
    static char out[1024];
    struct buf b;
    buf_init(&b, sizeof out - 1);
    s3_uri_encode(&b, s, strlen(s), keep_slash);
    snprintf(out, sizeof out, "%s", b.ptr ? b.ptr : "");
    buf_release(&b);
    return out;
}

static void test_loc_parse(void)
{
    struct s3_loc l;
    struct err e;
    T_CHECK(s3_loc_parse("s3://bucket", &l, &e) == 0);
    T_STREQ(l.bucket, "bucket");
    T_STREQ(l.prefix, "");
    s3_loc_release(&l);
    T_CHECK(s3_loc_parse("s3://my.bucket-1//a/b/c//", &l, &e) == 0);
    T_STREQ(l.bucket, "my.bucket-1");
    T_STREQ(l.prefix, "a/b/c");
    s3_loc_release(&l);
    T_CHECK(s3_loc_parse("s3://b1x/", &l, &e) == 0);
    T_STREQ(l.prefix, "");
    s3_loc_release(&l);
    const char *bad[] = {"s3://", "s3://ab", "s3:///x", "s3://bu cket/x", "s3://user@host/x",
                         "s3://bucket:9000/x", "file:///x", "s3://bucket/p?x=1",
                         "s3://bucket/p\nq",
                         "s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err_clear(&e);
        T_CHECK(s3_loc_parse(bad[i], &l, &e) != 0);
        T_CHECK(e.code == ERR_INVALID_PARAMETER_VALUE);
    }
}

static void test_endpoints(void)
{
    struct s3_endpoint ep;
    struct err e;
    T_CHECK(s3_endpoint_init(&ep, NULL, "eu-west-1", NULL, "bkt", &e) == 0);
    T_STREQ(ep.bucket_url, "https://bkt.s3.eu-west-1.amazonaws.com");
    T_CHECK(!ep.path_style);
    s3_endpoint_release(&ep);
    T_CHECK(s3_endpoint_init(&ep, NULL, "us-east-1", "path", "bkt", &e) == 0);
    T_STREQ(ep.bucket_url, "https://s3.us-east-1.amazonaws.com/bkt");
    T_CHECK(ep.path_style);
    s3_endpoint_release(&ep);
    /* A dotted bucket would not match AWS's wildcard certificate. */
    T_CHECK(s3_endpoint_init(&ep, NULL, "us-east-1", NULL, "a.b.c", &e) == 0);
    T_STREQ(ep.bucket_url, "https://s3.us-east-1.amazonaws.com/a.b.c");
    s3_endpoint_release(&ep);
    T_CHECK(s3_endpoint_init(&ep, "http://127.0.0.1:9000/", "us-east-1", NULL, "bkt", &e) == 0);
    T_STREQ(ep.bucket_url, "http://127.0.0.1:9000/bkt");
    T_CHECK(ep.path_style);
    s3_endpoint_release(&ep);
    T_CHECK(s3_endpoint_init(&ep, "https://minio.local/s3", "x", NULL, "bkt", &e) == 0);
    T_STREQ(ep.bucket_url, "https://minio.local/s3/bkt");
    s3_endpoint_release(&ep);
    T_CHECK(s3_endpoint_init(&ep, "https://minio.local:9000", "x", "virtual", "bkt", &e) == 0);
    T_STREQ(ep.bucket_url, "https://bkt.minio.local:9000");
    T_CHECK(!ep.path_style);
    s3_endpoint_release(&ep);
    T_CHECK(s3_endpoint_init(&ep, "ftp://host", "x", NULL, "bkt", &e) != 0);
    T_CHECK(s3_endpoint_init(&ep, "http://u:p@host", "x", NULL, "bkt", &e) != 0);
    T_CHECK(s3_endpoint_init(&ep, "http://", "x", NULL, "bkt", &e) != 0);
    T_CHECK(s3_endpoint_init(&ep, NULL, "us-east-1.evil.com/x", NULL, "bkt", &e) != 0);
}

static void test_uri_encode(void)
{
    T_STREQ(enc("AZaz09-._~", false), "AZaz09-._~");
    T_STREQ(enc("a b+c=d&e", false), "a%20b%2Bc%3Dd%26e");
    T_STREQ(enc("dir/sub/f.txt", true), "dir/sub/f.txt");
    T_STREQ(enc("dir/sub", false), "dir%2Fsub");
    T_STREQ(enc("ü€", true), "%C3%BC%E2%82%AC");
    T_STREQ(enc("%2e%2E?#", true), "%252e%252E%3F%23");
    T_STREQ(enc("*'()!$,;:@[]", true), "%2A%27%28%29%21%24%2C%3B%3A%40%5B%5D");
}

static void test_keys_and_urls(void)
{
    struct buf b;
    buf_init(&b, 4096);
    s3_key(&b, "pre/fix", "1/run/artifacts/a b.txt");
    T_STREQ(b.ptr, "pre/fix/1/run/artifacts/a b.txt");
    buf_clear(&b);
    s3_key(&b, "", "x/y");
    T_STREQ(b.ptr, "x/y");
    buf_clear(&b);
    s3_key(&b, "pre", "");
    T_STREQ(b.ptr, "pre");
    buf_clear(&b);

    char purl[] = "http://h:9/bkt", vurl[] = "https://bkt.s3.x.com";
    struct s3_endpoint path = {purl, true}, virt = {vurl, false};
    s3_url(&b, &path, "pre/a b/ü+.txt", NULL);
    T_STREQ(b.ptr, "http://h:9/bkt/pre/a%20b/%C3%BC%2B.txt");
    buf_clear(&b);
    s3_url(&b, &path, NULL, "list-type=2&prefix=a%2F");
    T_STREQ(b.ptr, "http://h:9/bkt?list-type=2&prefix=a%2F");
    buf_clear(&b);
    s3_url(&b, &virt, "", "list-type=2");
    T_STREQ(b.ptr, "https://bkt.s3.x.com/?list-type=2");
    buf_clear(&b);
    s3_url(&b, &virt, "k", "uploads=");
    T_STREQ(b.ptr, "https://bkt.s3.x.com/k?uploads=");
    buf_release(&b);
}

static const char list_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- a comment with <tags> -->\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bkt</Name><Prefix>p/d/</Prefix><KeyCount>6</KeyCount><MaxKeys>1000</MaxKeys>"
    "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
    "<Contents><Key>p/d/</Key><Size>0</Size></Contents>"
    "<Contents><Key>p/d/a &amp; b.txt</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
    "<ETag>&quot;abc&quot;</ETag><Size>1234567890123</Size><StorageClass>STANDARD</StorageClass>"
    "</Contents>"
    "<Contents><Key>p/d/&#252;&#x20AC;.bin</Key><Size>0</Size><Owner><ID>x</ID></Owner></Contents>"
    "<Contents><Key>p/d/marker/</Key><Size>0</Size></Contents>"
    "<CommonPrefixes><Prefix>p/d/sub/</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>p/d/&lt;odd&gt;/</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>elsewhere/</Prefix></CommonPrefixes>"
    "<NextContinuationToken>1/+tok=en</NextContinuationToken>"
    "<ContinuationToken/>"
    "</ListBucketResult>";

static void test_parse_list(void)
{
    struct arena a;
    arena_init(&a);
    struct s3_list_page p;
    T_CHECK(s3_parse_list(&a, list_xml, strlen(list_xml), "p/d/", true, &p) == 0);
    T_CHECK(p.n == 4);
    if (p.n == 4) {
        T_STREQ(p.items[0].name, "a & b.txt");
        T_CHECK(!p.items[0].is_dir && p.items[0].size == 1234567890123LL);
        T_STREQ(p.items[1].name, "\xc3\xbc\xe2\x82\xac.bin");
        T_CHECK(p.items[1].size == 0);
        T_STREQ(p.items[2].name, "sub");
        T_CHECK(p.items[2].is_dir);
        T_STREQ(p.items[3].name, "<odd>");
    }
    T_CHECK(p.truncated);
    T_STREQ(p.next_token, "1/+tok=en");

    /* Recursive listings keep the slashes in names. */
    static const char rec[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                              "<Contents><Key>r/a/b/c</Key><Size>3</Size></Contents>"
                              "<NextContinuationToken>ignored</NextContinuationToken>"
                              "</ListBucketResult>";
    T_CHECK(s3_parse_list(&a, rec, strlen(rec), "r/", false, &p) == 0);
    T_CHECK(p.n == 1 && !strcmp(p.items[0].name, "a/b/c") && p.items[0].size == 3);
    T_CHECK(!p.truncated && p.next_token == NULL);
    T_CHECK(s3_parse_list(&a, rec, strlen(rec), "r/", true, &p) == 0);
    T_CHECK(p.n == 0);

    static const char empty[] = "<ListBucketResult/>";
    T_CHECK(s3_parse_list(&a, empty, strlen(empty), "", true, &p) == 0);
    T_CHECK(p.n == 0 && !p.truncated);

    const char *bad[] = {
        "",
        "<Error><Code>AccessDenied</Code></Error>",
        "<ListBucketResult><Contents><Key>a</Key>",
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>1x</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "<ListBucketResult><!-- unterminated </ListBucketResult>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (s3_parse_list(&a, bad[i], strlen(bad[i]), "", true, &p) == 0) {
            fprintf(stderr, "  accepted bad list %zu\n", i);
            t_cur_failed = 1;
        }
    }
    /* Nesting beyond the limit is refused rather than walked. */
    struct buf deep;
    buf_init(&deep, 1 << 20);
    buf_puts(&deep, "<ListBucketResult>");
    for (int i = 0; i < 100; i++)
        buf_puts(&deep, "<x>");
    for (int i = 0; i < 100; i++)
        buf_puts(&deep, "</x>");
    buf_puts(&deep, "</ListBucketResult>");
    T_CHECK(s3_parse_list(&a, deep.ptr, deep.len, "", true, &p) != 0);
    buf_release(&deep);
    arena_release(&a);
}

static void test_xml_get(void)
{
    struct arena a;
    arena_init(&a);
    static const char init[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Bucket>b</Bucket><Key>k/ü</Key>"
        "<UploadId>VXBsb2FkIElE+/=&amp;x</UploadId></InitiateMultipartUploadResult>";
    T_STREQ(s3_xml_get(&a, init, strlen(init), "InitiateMultipartUploadResult/UploadId"),
            "VXBsb2FkIElE+/=&x");
    T_STREQ(s3_xml_get(&a, init, strlen(init), "InitiateMultipartUploadResult/Key"), "k/ü");
    T_CHECK(s3_xml_get(&a, init, strlen(init), "Error/Code") == NULL);
    T_CHECK(s3_xml_get(&a, init, strlen(init), "InitiateMultipartUploadResult/Nope") == NULL);
    T_STREQ(s3_xml_root(&a, init, strlen(init)), "InitiateMultipartUploadResult");

    static const char err[] = "<Error><Code>NoSuchKey</Code><Message>The specified key does "
                              "not exist.</Message><Key a=\"x>y\">k</Key></Error>";
    T_STREQ(s3_xml_get(&a, err, strlen(err), "Error/Code"), "NoSuchKey");
    T_STREQ(s3_xml_get(&a, err, strlen(err), "Error/Message"),
            "The specified key does not exist.");
    T_STREQ(s3_xml_get(&a, err, strlen(err), "Error/Key"), "k");
    T_STREQ(s3_xml_root(&a, err, strlen(err)), "Error");
    T_CHECK(s3_xml_root(&a, "", 0) == NULL);
    T_CHECK(s3_xml_root(&a, "just text", 9) == NULL);
    T_CHECK(s3_xml_root(&a, "<a><b></a>", 10) == NULL);
    /* Only the bytes given are read: a truncated copy of a valid document is malformed. */
    T_CHECK(s3_xml_get(&a, err, 20, "Error/Code") == NULL);
    arena_release(&a);
}

static void test_xml_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    s3_xml_escape(&b, "\"etag\" <&>");
    T_STREQ(b.ptr, "&quot;etag&quot; &lt;&amp;&gt;");
    buf_release(&b);
}

int main(void)
{
    T_RUN(test_loc_parse);
    T_RUN(test_endpoints);
    T_RUN(test_uri_encode);
    T_RUN(test_keys_and_urls);
    T_RUN(test_parse_list);
    T_RUN(test_xml_get);
    T_RUN(test_xml_escape);
    T_DONE();
}
