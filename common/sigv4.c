/* SPDX-License-Identifier: MIT */
/*
 * sigv4.c: AWS Signature Version 4, Authorization-header form. It turns a description of one
 * request (method, path, query, headers, body), a set of credentials and a signing time into the
 * canonical request, the string to sign, the signature and the few headers the caller must add.
 * Nothing outlives the call: no I/O, no clock reads, no globals, no logging, so it runs on any
 * loop and the caller chooses the time (with a measured clock offset applied). The secret key only
 * ever lives in the derived HMAC keys, which are wiped with OPENSSL_cleanse() before returning.
 * Deliberate limits: no presigned (query) signing, no chunked payloads, no SigV4a, no S3 rules
 * (S3 signs the path without the second encoding and never normalizes it).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/sigv4.h"
#include "common/util.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_REDACTED "<redacted>"
#define SHA256_SIZE 32
#define SHA256_HEX_SIZE (2 * SHA256_SIZE + 1)
#define AMZ_DATE_SIZE STRLEN("20150830T123600Z")
/* 9999-12-31T23:59:59Z: X-Amz-Date has room for four year digits only. */
#define AMZ_DATE_MAX_SEC UINT64_C(253402300799)

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MAC *, EVP_MAC_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MAC_CTX *, EVP_MAC_CTX_free);

/* A growing NUL-terminated string: the canonical forms are built a few bytes at a time. */
typedef struct Buf {
        char *data;
        size_t size;
        size_t alloc;
} Buf;

static void buf_done(Buf *b)
{
        free(b->data);
        *b = (Buf) {};
}

static int buf_put(Buf *b, const void *p, size_t n)
{
        if (b->size + n + 1 > b->alloc) {
                size_t want = MAX(MAX(b->alloc * 2, b->size + n + 1), (size_t) 64);
                char *t;

                t = realloc(b->data, want);
                if (!t)
                        return -ENOMEM;
                b->data = t;
                b->alloc = want;
        }
        if (n > 0)
                memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = 0;
        return 0;
}

static int buf_puts(Buf *b, const char *s)
{
        return buf_put(b, s, strlen(s));
}

static int buf_putc(Buf *b, char c)
{
        return buf_put(b, &c, 1);
}

static int buf_steal(Buf *b, char **ret)
{
        if (!b->data) {
                int r;

                r = buf_put(b, "", 0);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(b->data);
        *b = (Buf) {};
        return 0;
}

static bool char_is_unreserved(unsigned char c)
{
        /* RFC 3986 section 2.3, which SigV4 uses for both the path and the query. */
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

static bool char_is_tchar(char c)
{
        /* RFC 9110 section 5.6.2: the characters of a method or a header name. */
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static bool char_is_ctl(unsigned char c)
{
        return c < ' ' || c == 127;
}

static bool char_is_ws(char c)
{
        return c == ' ' || c == '\t';
}

static char ascii_tolower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static int unhexchar(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* "Use uppercase hexadecimal digits" (AWS SigV4 "URI-encode each byte"); @keep_slash for paths. */
static int buf_put_encoded(Buf *b, const char *p, size_t n, bool keep_slash)
{
        static const char hex[] = "0123456789ABCDEF";

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) p[i];
                int r;

                if (char_is_unreserved(c) || (keep_slash && c == '/'))
                        r = buf_putc(b, (char) c);
                else
                        r = buf_put(b, (char[]) { '%', hex[c >> 4], hex[c & 15] }, 3);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool string_is_token(const char *s)
{
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!char_is_tchar(*s))
                        return false;
        return true;
}

/* Region, service and access key id end up in "Credential=AKID/date/region/service/aws4_request,"
 * of the Authorization header: no '/', ',', '=', whitespace or control characters. */
static bool credential_part_is_valid(const char *s)
{
        if (isempty(s))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || (unsigned char) *s >= 127 || strchr("/,=", *s))
                        return false;
        return true;
}

/* The path is signed as given, so it must be exactly what goes on the wire: a '?' or '#' means
 * the caller forgot to split off the query (or fragment), and control bytes cannot be sent. */
static bool path_is_valid(const char *s)
{
        if (!s || s[0] != '/')
                return false;
        for (; *s; s++)
                if (char_is_ctl((unsigned char) *s) || *s == '?' || *s == '#')
                        return false;
        return true;
}

static bool query_is_valid(const char *s)
{
        for (; s && *s; s++)
                if (char_is_ctl((unsigned char) *s) || *s == '#')
                        return false;
        return true;
}

/* The session token is sent as a header value: CR or LF in it would inject headers. */
static bool string_is_printable(const char *s)
{
        for (; *s; s++)
                if (char_is_ctl((unsigned char) *s))
                        return false;
        return true;
}

/*
 * The canonical URI: "Normalize URI paths according to RFC 3986. Remove redundant and relative
 * path components. Each path segment must be URI-encoded twice" — the path we get is already
 * encoded once, as it goes on the wire, so encoding it here is the second time ("/a%20b" signs as
 * "/a%2520b"). Empty segments ("//") are dropped too; a trailing '/' stays.
 */
static int canonical_uri(const char *path, bool normalize, char **ret)
{
        _cleanup_(buf_done) Buf b = {};
        _cleanup_free_ const char **seg = NULL;
        _cleanup_free_ size_t *seg_len = NULL;
        size_t n_seg = 0;
        bool trailing = false;
        int r;

        if (!normalize) {
                r = buf_put_encoded(&b, path, strlen(path), /* keep_slash= */ true);
                if (r < 0)
                        return r;
                return buf_steal(&b, ret);
        }

        seg = calloc(strlen(path) + 1, sizeof(char *));
        seg_len = calloc(strlen(path) + 1, sizeof(size_t));
        if (!seg || !seg_len)
                return -ENOMEM;

        /* RFC 3986 section 5.2.4 (remove_dot_segments), with "//" treated like "/./". */
        for (const char *s = path + 1;;) {
                const char *e = strchrnul(s, '/');
                size_t n = (size_t) (e - s);

                if (n == 0 || (n == 1 && s[0] == '.'))
                        trailing = true;
                else if (n == 2 && s[0] == '.' && s[1] == '.') {
                        if (n_seg > 0)
                                n_seg--;
                        trailing = true;
                } else {
                        seg[n_seg] = s;
                        seg_len[n_seg++] = n;
                        trailing = false;
                }
                if (*e == 0)
                        break;
                s = e + 1;
        }

        r = buf_putc(&b, '/');
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_seg; i++) {
                if (i > 0) {
                        r = buf_putc(&b, '/');
                        if (r < 0)
                                return r;
                }
                r = buf_put_encoded(&b, seg[i], seg_len[i], /* keep_slash= */ false);
                if (r < 0)
                        return r;
        }
        if (trailing && n_seg > 0) {
                r = buf_putc(&b, '/');
                if (r < 0)
                        return r;
        }
        return buf_steal(&b, ret);
}

typedef struct QueryParam {
        char *key;
        char *value;
} QueryParam;

typedef struct QueryParams {
        QueryParam *items;
        size_t n;
} QueryParams;

static void query_params_done(QueryParams *q)
{
        for (size_t i = 0; i < q->n; i++) {
                free(q->items[i].key);
                free(q->items[i].value);
        }
        free(q->items);
        *q = (QueryParams) {};
}

static int query_param_compare(const void *a, const void *b)
{
        const QueryParam *x = a, *y = b;
        int c;

        c = strcmp(x->key, y->key);
        return c != 0 ? c : strcmp(x->value, y->value);
}

/* A query name or value as the server sees it: percent-decoded, then encoded again with the
 * unreserved set, so "a/b", "a%2fb" and "a%2Fb" all sign as "a%2Fb". A '%' not followed by two
 * hex digits stands for itself. '+' is a literal plus, as in SigV4 (not a form-encoded space). */
static int query_component(const char *p, size_t n, char **ret)
{
        _cleanup_(buf_done) Buf b = {};
        int r;

        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                int hi, lo;

                if (c == '%' && i + 2 < n && (hi = unhexchar(p[i + 1])) >= 0 &&
                    (lo = unhexchar(p[i + 2])) >= 0) {
                        c = (char) (hi << 4 | lo);
                        i += 2;
                }
                r = buf_put_encoded(&b, &c, 1, /* keep_slash= */ false);
                if (r < 0)
                        return r;
        }
        return buf_steal(&b, ret);
}

/* "Sort the parameter names by character code point in ascending order. Parameters with
 * duplicate names should be sorted by value." A name without '=' has an empty value. */
static int canonical_query(const char *query, char **ret)
{
        _cleanup_(query_params_done) QueryParams q = {};
        _cleanup_(buf_done) Buf b = {};
        size_t max = 1;
        int r;

        for (const char *s = strempty(query); *s; s++)
                max += *s == '&';
        q.items = calloc(max, sizeof(QueryParam));
        if (!q.items)
                return -ENOMEM;

        for (const char *s = strempty(query); *s;) {
                const char *e = strchrnul(s, '&');

                if (e > s) {
                        const char *eq = memchr(s, '=', (size_t) (e - s));
                        QueryParam *qp = q.items + q.n++;

                        r = query_component(s, (size_t) ((eq ?: e) - s), &qp->key);
                        if (r < 0)
                                return r;
                        r = query_component(eq ? eq + 1 : e, eq ? (size_t) (e - eq - 1) : 0,
                                            &qp->value);
                        if (r < 0)
                                return r;
                }
                if (*e == 0)
                        break;
                s = e + 1;
        }

        qsort(q.items, q.n, sizeof(QueryParam), query_param_compare);

        r = buf_put(&b, "", 0);
        if (r < 0)
                return r;
        for (size_t i = 0; i < q.n; i++) {
                if ((i > 0 && (r = buf_putc(&b, '&')) < 0) ||
                    (r = buf_puts(&b, q.items[i].key)) < 0 || (r = buf_putc(&b, '=')) < 0 ||
                    (r = buf_puts(&b, q.items[i].value)) < 0)
                        return r;
        }
        return buf_steal(&b, ret);
}

typedef struct Header {
        char *name;     /* lower-case */
        char *value;    /* trimmed, inner runs of whitespace collapsed to one space */
        size_t index;   /* position as given: repeated names keep their order */
        bool secret;    /* shown as "<redacted>" in the redacted canonical request */
} Header;

typedef struct HeaderList {
        Header *items;
        size_t n;
        size_t alloc;
} HeaderList;

static void header_list_done(HeaderList *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].value);
        }
        free(l->items);
        *l = (HeaderList) {};
}

static int header_list_add(HeaderList *l, const char *name, const char *value, bool secret)
{
        Header *h;

        if (l->n >= l->alloc)
                return -ENOMEM; /* sized up front by header_list_parse(); never happens */
        h = l->items + l->n;
        *h = (Header) {
                .name = strdup(name),
                .value = strdup(value),
                .index = l->n,
                .secret = secret,
        };
        l->n++;
        if (!h->name || !h->value)
                return -ENOMEM;
        return 0;
}

/* "Lowercase(<HeaderName>) + ':' + Trim(<value>)", where Trim removes leading and trailing
 * spaces and "converts sequential spaces to a single space". Tabs count as spaces (botocore does
 * the same); CR, LF and other control characters are refused: they would split the header. */
static int header_parse(const char *line, size_t index, Header *ret)
{
        _cleanup_(buf_done) Buf value = {};
        _cleanup_free_ char *name = NULL;
        const char *colon;
        char *v;
        bool space = false;
        int r;

        colon = strchr(line, ':');
        if (!colon || colon == line)
                return -EINVAL;
        for (const char *p = line; p < colon; p++)
                if (!char_is_tchar(*p))
                        return -EINVAL;

        name = strndup(line, (size_t) (colon - line));
        if (!name)
                return -ENOMEM;
        for (char *p = name; *p; p++)
                *p = ascii_tolower(*p);

        r = buf_put(&value, "", 0);
        if (r < 0)
                return r;
        for (const char *p = colon + 1; *p; p++) {
                if (char_is_ws(*p)) {
                        space = true;
                        continue;
                }
                if (char_is_ctl((unsigned char) *p))
                        return -EINVAL;
                if (space && value.size > 0) {
                        r = buf_putc(&value, ' ');
                        if (r < 0)
                                return r;
                }
                space = false;
                r = buf_putc(&value, *p);
                if (r < 0)
                        return r;
        }

        r = buf_steal(&value, &v);
        if (r < 0)
                return r;
        *ret = (Header) { .name = TAKE_PTR(name), .value = v, .index = index };
        return 0;
}

static int header_list_parse(char *const *headers, HeaderList *ret)
{
        /* The signer sets these itself; a second copy from the caller would be signed twice. */
        static const char *const owned[] = {
                "authorization", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token",
        };
        _cleanup_(header_list_done) HeaderList l = {};
        size_t n_host = 0;
        int r;

        l.alloc = strv_length(headers) + 3;
        l.items = calloc(l.alloc, sizeof(Header));
        if (!l.items)
                return -ENOMEM;

        STRV_FOREACH(line, (char **) headers) {
                Header *h = l.items + l.n;

                r = header_parse(*line, l.n, h);
                if (r < 0)
                        return r;
                l.n++;

                for (size_t i = 0; i < ELEMENTSOF(owned); i++)
                        if (streq(h->name, owned[i]))
                                return -EINVAL;
                if (streq(h->name, "host")) {
                        if (isempty(h->value))
                                return -EINVAL;
                        n_host++;
                }
        }
        /* "The HTTP host header is required." Two of them cannot be meant. */
        if (n_host != 1)
                return -EINVAL;

        *ret = l;
        l = (HeaderList) {};
        return 0;
}

/* By name, then by position: qsort() is not stable, and repeated names must keep their order. */
static int header_compare(const void *a, const void *b)
{
        const Header *x = a, *y = b;
        int c;

        c = strcmp(x->name, y->name);
        if (c != 0)
                return c;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* The sorted "name:value\n" block, repeated names joined with ',' in the order given
 * ("value4,value1,value3,value2"), and the "name;name" list of signed headers. */
static int canonical_headers(const HeaderList *l, bool redact, char **ret_headers,
                             char **ret_signed)
{
        _cleanup_(buf_done) Buf h = {}, s = {};
        int r;

        r = buf_put(&h, "", 0);
        if (r < 0)
                return r;
        r = buf_put(&s, "", 0);
        if (r < 0)
                return r;

        for (size_t i = 0; i < l->n; i++) {
                const Header *x = l->items + i;
                bool same = i > 0 && streq(x->name, l->items[i - 1].name);

                if (same)
                        r = buf_putc(&h, ',');
                else {
                        if ((i > 0 && (r = buf_putc(&h, '\n')) < 0) ||
                            (r = buf_puts(&h, x->name)) < 0)
                                return r;
                        r = buf_putc(&h, ':');
                        if (r < 0)
                                return r;
                        if ((i > 0 && (r = buf_putc(&s, ';')) < 0) ||
                            (r = buf_puts(&s, x->name)) < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = buf_puts(&h, redact && x->secret ? SIGV4_REDACTED : x->value);
                if (r < 0)
                        return r;
        }
        if (l->n > 0) {
                r = buf_putc(&h, '\n');
                if (r < 0)
                        return r;
        }

        r = buf_steal(&h, ret_headers);
        if (r < 0)
                return r;
        if (ret_signed)
                return buf_steal(&s, ret_signed);
        return 0;
}

static int sha256_hex(const void *p, size_t n, char ret[static SHA256_HEX_SIZE])
{
        uint8_t md[SHA256_SIZE];
        unsigned md_size = 0;

        if (EVP_Digest(p ?: "", n, md, &md_size, EVP_sha256(), /* impl= */ NULL) != 1 ||
            md_size != SHA256_SIZE)
                return -EIO;
        hexlify(md, sizeof(md), ret);
        return 0;
}

static int hmac_sha256(EVP_MAC *mac, const void *key, size_t key_size, const void *data,
                       size_t size, uint8_t ret[static SHA256_SIZE])
{
        _cleanup_(EVP_MAC_CTX_freep) EVP_MAC_CTX *ctx = NULL;
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end(),
        };
        size_t n = 0;

        /* The context keeps its own copy of the key and wipes it when freed. */
        ctx = EVP_MAC_CTX_new(mac);
        if (!ctx)
                return -ENOMEM;
        if (EVP_MAC_init(ctx, key, key_size, params) != 1 ||
            EVP_MAC_update(ctx, data, size) != 1 ||
            EVP_MAC_final(ctx, ret, &n, SHA256_SIZE) != 1 || n != SHA256_SIZE)
                return -EIO;
        return 0;
}

typedef struct SigningKeys {
        uint8_t date[SHA256_SIZE];
        uint8_t region[SHA256_SIZE];
        uint8_t service[SHA256_SIZE];
        uint8_t signing[SHA256_SIZE];
} SigningKeys;

static void signing_keys_cleanse(SigningKeys *k)
{
        OPENSSL_cleanse(k, sizeof(*k));
}

/* kDate = HMAC("AWS4" + secret, date), kRegion = HMAC(kDate, region),
 * kService = HMAC(kRegion, service), kSigning = HMAC(kService, "aws4_request"),
 * signature = hex(HMAC(kSigning, string to sign)). */
static int compute_signature(const char *secret, const char *date, const char *region,
                             const char *service, const char *string_to_sign,
                             char ret[static SHA256_HEX_SIZE])
{
        _cleanup_(EVP_MAC_freep) EVP_MAC *mac = NULL;
        _cleanup_erase_free_ char *k_secret = NULL;
        _cleanup_(signing_keys_cleanse) SigningKeys k = {};
        uint8_t sig[SHA256_SIZE];
        size_t n = strlen(secret);
        int r;

        mac = EVP_MAC_fetch(/* libctx= */ NULL, "HMAC", /* properties= */ NULL);
        if (!mac)
                return -EIO;

        /* Built by hand, not with asprintf(): no stray copy of the secret in a scratch buffer. */
        k_secret = malloc(STRLEN("AWS4") + n + 1);
        if (!k_secret)
                return -ENOMEM;
        memcpy(k_secret, "AWS4", STRLEN("AWS4"));
        memcpy(k_secret + STRLEN("AWS4"), secret, n + 1);

        r = hmac_sha256(mac, k_secret, strlen(k_secret), date, strlen(date), k.date);
        if (r < 0)
                return r;
        r = hmac_sha256(mac, k.date, sizeof(k.date), region, strlen(region), k.region);
        if (r < 0)
                return r;
        r = hmac_sha256(mac, k.region, sizeof(k.region), service, strlen(service), k.service);
        if (r < 0)
                return r;
        r = hmac_sha256(mac, k.service, sizeof(k.service), SIGV4_TERMINATOR,
                        STRLEN(SIGV4_TERMINATOR), k.signing);
        if (r < 0)
                return r;
        r = hmac_sha256(mac, k.signing, sizeof(k.signing), string_to_sign, strlen(string_to_sign),
                        sig);
        if (r < 0)
                return r;

        hexlify(sig, sizeof(sig), ret);
        return 0;
}

/* X-Amz-Date is "the ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z')", always UTC; its first eight
 * characters are the date of the credential scope and of kDate. */
static int format_amz_date(usec_t t, char ret[static AMZ_DATE_SIZE + 1])
{
        time_t sec;
        struct tm tm;

        if (t / USEC_PER_SEC > AMZ_DATE_MAX_SEC)
                return -EINVAL;
        sec = (time_t) (t / USEC_PER_SEC);
        if (!gmtime_r(&sec, &tm))
                return -EINVAL;
        if (strftime(ret, AMZ_DATE_SIZE + 1, "%Y%m%dT%H%M%SZ", &tm) != AMZ_DATE_SIZE)
                return -EINVAL;
        return 0;
}

/* One "Name: value" line in the format the HTTP layer takes (HttpRequestOptions.headers). */
static int strv_extend_header(char ***l, const char *name, const char *value)
{
        _cleanup_free_ char *line = NULL;
        int r;

        r = strextend_printf(&line, "%s: %s", name, value);
        if (r < 0)
                return r;
        return strv_extend(l, line);
}

int sigv4_sign(const Sigv4Request *req,
               const Sigv4Params *p,
               const char *access_key_id,
               const char *secret_access_key,
               const char *session_token,
               Sigv4Signature *ret)
{
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {};
        _cleanup_(header_list_done) HeaderList headers = {};
        _cleanup_free_ char *uri = NULL, *query = NULL, *ch = NULL, *ch_redacted = NULL;
        char amz_date[AMZ_DATE_SIZE + 1], date[9], payload_hash[SHA256_HEX_SIZE],
                request_hash[SHA256_HEX_SIZE], signature[SHA256_HEX_SIZE];
        bool token, sign_token;
        int r;

        /* Refuse anything that would make the signature or the added headers ambiguous: better
         * -EINVAL here than a SignatureDoesNotMatch from AWS that nobody can explain. */
        if (!req || !p || !ret)
                return -EINVAL;
        if (!string_is_token(req->method) || !path_is_valid(req->path) ||
            !query_is_valid(req->query) || (!req->body && req->body_size > 0))
                return -EINVAL;
        if (!credential_part_is_valid(p->region) || !credential_part_is_valid(p->service) ||
            !credential_part_is_valid(access_key_id) || isempty(secret_access_key))
                return -EINVAL;
        token = !isempty(session_token);
        if (token && !string_is_printable(session_token))
                return -EINVAL;
        sign_token = token && !p->omit_session_token;

        r = format_amz_date(p->time, amz_date);
        if (r < 0)
                return r;
        memcpy(date, amz_date, 8);
        date[8] = 0;

        /* Even unsigned-body requests hash the payload into the last line of the canonical
         * request; sign_body only adds the same hash as a signed header. */
        r = sha256_hex(req->body, req->body_size, payload_hash);
        if (r < 0)
                return r;
        r = canonical_uri(req->path, !p->no_path_normalization, &uri);
        if (r < 0)
                return r;
        r = canonical_query(req->query, &query);
        if (r < 0)
                return r;

        r = header_list_parse(req->headers, &headers);
        if (r < 0)
                return r;
        r = header_list_add(&headers, "x-amz-date", amz_date, false);
        if (r < 0)
                return r;
        if (sign_token) {
                r = header_list_add(&headers, "x-amz-security-token", session_token, true);
                if (r < 0)
                        return r;
        }
        if (p->sign_body) {
                r = header_list_add(&headers, "x-amz-content-sha256", payload_hash, false);
                if (r < 0)
                        return r;
        }
        qsort(headers.items, headers.n, sizeof(Header), header_compare);
        r = canonical_headers(&headers, /* redact= */ false, &ch, &s.signed_headers);
        if (r < 0)
                return r;
        r = canonical_headers(&headers, /* redact= */ true, &ch_redacted, /* ret_signed= */ NULL);
        if (r < 0)
                return r;

        /* Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders (each line ending in \n)
         * \n SignedHeaders \n HexEncode(Hash(payload)). */
        r = strextend_printf(&s.canonical_request, "%s\n%s\n%s\n%s\n%s\n%s", req->method, uri,
                             query, ch, s.signed_headers, payload_hash);
        if (r < 0)
                return r;
        r = strextend_printf(&s.canonical_request_redacted, "%s\n%s\n%s\n%s\n%s\n%s",
                             req->method, uri, query, ch_redacted, s.signed_headers,
                             payload_hash);
        if (r < 0)
                return r;

        r = strextend_printf(&s.amz_date, "%s", amz_date);
        if (r < 0)
                return r;
        r = strextend_printf(&s.credential_scope, "%s/%s/%s/" SIGV4_TERMINATOR, date, p->region,
                             p->service);
        if (r < 0)
                return r;

        /* "AWS4-HMAC-SHA256" \n RequestDateTime \n CredentialScope \n HexEncode(Hash(
         * CanonicalRequest)) */
        r = sha256_hex(s.canonical_request, strlen(s.canonical_request), request_hash);
        if (r < 0)
                return r;
        r = strextend_printf(&s.string_to_sign, SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date,
                             s.credential_scope, request_hash);
        if (r < 0)
                return r;

        r = compute_signature(secret_access_key, date, p->region, p->service, s.string_to_sign,
                              signature);
        if (r < 0)
                return r;
        r = strextend_printf(&s.signature, "%s", signature);
        if (r < 0)
                return r;
        r = strextend_printf(&s.authorization,
                             SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                             access_key_id, s.credential_scope, s.signed_headers, signature);
        if (r < 0)
                return r;

        r = strv_extend_header(&s.headers, "X-Amz-Date", amz_date);
        if (r < 0)
                return r;
        /* With omit_session_token the token still goes on the wire, just outside the signature
         * (some services, e.g. IoT, want it that way). */
        if (token) {
                r = strv_extend_header(&s.headers, "X-Amz-Security-Token", session_token);
                if (r < 0)
                        return r;
        }
        if (p->sign_body) {
                r = strv_extend_header(&s.headers, "x-amz-content-sha256", payload_hash);
                if (r < 0)
                        return r;
        }
        r = strv_extend_header(&s.headers, "Authorization", s.authorization);
        if (r < 0)
                return r;

        *ret = s;
        s = (Sigv4Signature) {};
        return 0;
}

void sigv4_signature_done(Sigv4Signature *s)
{
        if (!s)
                return;
        free(s->amz_date);
        free(s->credential_scope);
        free(s->signed_headers);
        free(s->canonical_request);
        free(s->canonical_request_redacted);
        free(s->string_to_sign);
        free(s->signature);
        free(s->authorization);
        strv_free(s->headers);
        *s = (Sigv4Signature) {};
}
