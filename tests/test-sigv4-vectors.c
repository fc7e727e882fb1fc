/* SPDX-License-Identifier: MIT */
/*
 * test-sigv4-vectors DIR: signs every AWS SigV4 test-suite vector found below DIR with
 * sigv4_sign() and compares the canonical request, the string to sign and the signature (and,
 * where header-signed-request.txt has one, the Authorization value) byte for byte. A vector is a
 * directory holding context.json + request.txt; those without header-signature.txt (query-only
 * vectors) are skipped. Prints one line per failing vector, then "N passed, M failed"; exits 0
 * only if nothing failed and something passed. Works on any directory of that layout.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "common/sigv4.h"
#include "common/util.h"

#define VECTOR_FILE_MAX (4U * 1024U * 1024U)
#define DIR_DEPTH_MAX 16

typedef struct Vector {
        /* context.json */
        char *access_key_id;
        char *secret_access_key;
        char *token;
        char *region;
        char *service;
        usec_t time;
        bool normalize;
        bool sign_body;
        bool omit_session_token;

        /* request.txt */
        char *method;
        char *path;
        char *query;
        char **headers;
        char *body;
        size_t body_size;
} Vector;

static void vector_done(Vector *v)
{
        free(v->access_key_id);
        free(v->secret_access_key);
        free(v->token);
        free(v->region);
        free(v->service);
        free(v->method);
        free(v->path);
        free(v->query);
        strv_free(v->headers);
        free(v->body);
        *v = (Vector) {};
}

static void json_object_putp(json_object **j)
{
        if (*j)
                json_object_put(*j);
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static bool file_exists(const char *dir, const char *name)
{
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (strextend_printf(&p, "%s/%s", dir, name) < 0)
                return false;
        return stat(p, &st) >= 0 && S_ISREG(st.st_mode);
}

static int find_vectors(const char *dir, unsigned depth, char ***l)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        if (depth > DIR_DEPTH_MAX)
                return 0;
        d = opendir(dir);
        if (!d)
                return -errno;

        if (file_exists(dir, "context.json") && file_exists(dir, "request.txt")) {
                r = strv_extend(l, dir);
                if (r < 0)
                        return r;
        }

        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = strextend_printf(&sub, "%s/%s", dir, de->d_name);
                if (r < 0)
                        return r;
                if (stat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                r = find_vectors(sub, depth + 1, l);
                if (r < 0)
                        return r;
        }
        return errno > 0 ? -errno : 0;
}

static int string_compare(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int read_vector_file(const char *dir, const char *name, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *p = NULL;
        int r;

        r = strextend_printf(&p, "%s/%s", dir, name);
        if (r < 0)
                return r;
        return read_file_capped(p, VECTOR_FILE_MAX, ret, ret_size);
}

static int json_get_string(json_object *o, const char *key, bool required, char **ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return required ? -ENOENT : 0;
        if (!json_object_is_type(v, json_type_string))
                return -EINVAL;
        return free_and_strdup(ret, json_object_get_string(v));
}

static int json_get_bool(json_object *o, const char *key, bool def, bool *ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = def;
                return 0;
        }
        if (!json_object_is_type(v, json_type_boolean))
                return -EINVAL;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int parse_context(const char *dir, Vector *v, char **reterr)
{
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *text = NULL, *timestamp = NULL;
        enum json_tokener_error jerr = json_tokener_success;
        json_object *creds;
        int r;

        r = read_vector_file(dir, "context.json", &text, NULL);
        if (r < 0)
                return strextend_printf(reterr, "cannot read context.json: %s", strerror(-r)), r;
        root = json_tokener_parse_verbose(text, &jerr);
        if (!root || !json_object_is_type(root, json_type_object))
                return strextend_printf(reterr, "context.json: %s",
                                        root ? "not an object" : json_tokener_error_desc(jerr)),
                       -EINVAL;
        if (!json_object_object_get_ex(root, "credentials", &creds) ||
            !json_object_is_type(creds, json_type_object))
                return strextend_printf(reterr, "context.json: no credentials object"), -EINVAL;

        if (json_get_string(creds, "access_key_id", true, &v->access_key_id) < 0 ||
            json_get_string(creds, "secret_access_key", true, &v->secret_access_key) < 0 ||
            json_get_string(creds, "token", false, &v->token) < 0 ||
            json_get_string(root, "region", true, &v->region) < 0 ||
            json_get_string(root, "service", true, &v->service) < 0 ||
            json_get_string(root, "timestamp", true, &timestamp) < 0)
                return strextend_printf(reterr, "context.json: missing or mistyped string field"),
                       -EINVAL;
        if (json_get_bool(root, "normalize", true, &v->normalize) < 0 ||
            json_get_bool(root, "sign_body", false, &v->sign_body) < 0 ||
            json_get_bool(root, "omit_session_token", false, &v->omit_session_token) < 0)
                return strextend_printf(reterr, "context.json: mistyped boolean field"), -EINVAL;
        if (iso8601_parse(timestamp, &v->time) < 0)
                return strextend_printf(reterr, "context.json: bad timestamp '%s'", timestamp),
                       -EINVAL;
        return 0;
}

/* Headers the signer adds itself; a vector's request.txt may already carry them (the older
 * suite put X-Amz-Date there), so they are dropped here rather than passed in twice. */
static bool header_is_signer_owned(const Vector *v, const char *name, size_t n)
{
        if (n == STRLEN("x-amz-date") && strncasecmp(name, "x-amz-date", n) == 0)
                return true;
        if (n == STRLEN("authorization") && strncasecmp(name, "authorization", n) == 0)
                return true;
        if (v->token && n == STRLEN("x-amz-security-token") &&
            strncasecmp(name, "x-amz-security-token", n) == 0)
                return true;
        if (v->sign_body && n == STRLEN("x-amz-content-sha256") &&
            strncasecmp(name, "x-amz-content-sha256", n) == 0)
                return true;
        return false;
}

/*
 * request.txt: "METHOD TARGET HTTP/1.1" (the target may hold spaces: "/example space/"), then
 * "Name:value" lines, then a blank line and the body, kept byte for byte. A line starting with
 * whitespace continues the previous header; as in the original suite's multiline vector it
 * becomes another value of that header ("value1\n  value2" signs as "value1,value2").
 */
static int parse_request(const char *dir, Vector *v, char **reterr)
{
        _cleanup_free_ char *data = NULL, *name = NULL;
        size_t size = 0, pos = 0;
        bool first = true;
        int r;

        r = read_vector_file(dir, "request.txt", &data, &size);
        if (r < 0)
                return strextend_printf(reterr, "cannot read request.txt: %s", strerror(-r)), r;

        while (pos < size) {
                const char *line = data + pos, *nl = memchr(line, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - line) : size - pos;
                _cleanup_free_ char *l = NULL;
                char *colon;

                pos += n + (nl ? 1 : 0);
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                l = strndup(line, n);
                if (!l)
                        return -ENOMEM;

                if (first) {
                        char *sp1 = strchr(l, ' '), *sp2 = strrchr(l, ' '), *q;

                        first = false;
                        if (!sp1 || sp1 == sp2 || strncmp(sp2 + 1, "HTTP/", 5) != 0)
                                return strextend_printf(reterr, "bad request line '%s'", l),
                                       -EINVAL;
                        *sp1 = *sp2 = 0;
                        q = strchr(sp1 + 1, '?');
                        if (q) {
                                *q = 0;
                                r = free_and_strdup(&v->query, q + 1);
                                if (r < 0)
                                        return r;
                        }
                        if (free_and_strdup(&v->method, l) < 0 ||
                            free_and_strdup(&v->path, sp1 + 1) < 0)
                                return -ENOMEM;
                        continue;
                }

                if (n == 0)
                        break; /* the body follows */

                if (l[0] == ' ' || l[0] == '\t') {
                        _cleanup_free_ char *h = NULL;

                        if (!name)
                                return strextend_printf(reterr, "continuation line first"),
                                       -EINVAL;
                        if (header_is_signer_owned(v, name, strlen(name)))
                                continue;
                        r = strextend_printf(&h, "%s:%s", name, l + strspn(l, " \t"));
                        if (r < 0)
                                return r;
                        r = strv_extend(&v->headers, h);
                        if (r < 0)
                                return r;
                        continue;
                }

                colon = strchr(l, ':');
                if (!colon || colon == l)
                        return strextend_printf(reterr, "bad header line '%s'", l), -EINVAL;
                free(name);
                name = strndup(l, (size_t) (colon - l));
                if (!name)
                        return -ENOMEM;
                if (header_is_signer_owned(v, l, (size_t) (colon - l)))
                        continue;
                r = strv_extend(&v->headers, l);
                if (r < 0)
                        return r;
        }
        if (first)
                return strextend_printf(reterr, "request.txt is empty"), -EINVAL;

        v->body_size = size - pos;
        v->body = malloc(v->body_size + 1);
        if (!v->body)
                return -ENOMEM;
        memcpy(v->body, data + size - v->body_size, v->body_size);
        v->body[v->body_size] = 0;
        return 0;
}

/* Expected files may or may not end in a newline; none of the artefacts legitimately does. */
static int read_expected(const char *dir, const char *name, char **ret)
{
        _cleanup_free_ char *s = NULL;
        size_t n = 0;
        int r;

        r = read_vector_file(dir, name, &s, &n);
        if (r < 0)
                return r;
        if (strlen(s) != n)
                return -EBADMSG; /* embedded NUL */
        if (n > 0 && s[n - 1] == '\n')
                s[--n] = 0;
        if (n > 0 && s[n - 1] == '\r')
                s[--n] = 0;
        *ret = TAKE_PTR(s);
        return 0;
}

/* The Authorization value of header-signed-request.txt, or NULL if it has none. */
static char *expected_authorization(const char *dir)
{
        _cleanup_free_ char *s = NULL;

        if (read_vector_file(dir, "header-signed-request.txt", &s, NULL) < 0)
                return NULL;
        for (char *line = s; line && *line;) {
                char *nl = strchr(line, '\n');

                if (nl)
                        *nl = 0;
                if (nl && nl > line && nl[-1] == '\r')
                        nl[-1] = 0;
                if (*line == 0)
                        break; /* end of headers */
                if (strncasecmp(line, "Authorization:", STRLEN("Authorization:")) == 0)
                        return strdup(line + STRLEN("Authorization:") +
                                      strspn(line + STRLEN("Authorization:"), " \t"));
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

/* Append "<what> differs at line L, column C: expected '...', got '...'" for the first difference,
 * quoting a window of the two lines around it. */
static int describe_difference(char **why, const char *what, const char *expected,
                               const char *got)
{
        const char *e = expected, *g = got;
        unsigned line = 1;

        for (;;) {
                size_t ne = strcspn(e, "\n"), ng = strcspn(g, "\n"), col = 0, from;

                if (ne == ng && strncmp(e, g, ne) == 0 && e[ne] != 0 && g[ng] != 0) {
                        e += ne + 1;
                        g += ng + 1;
                        line++;
                        continue;
                }
                while (col < ne && col < ng && e[col] == g[col])
                        col++;
                from = col > 40 ? col - 40 : 0;
                return strextend_printf(why, "%s%s differs at line %u, column %zu: expected "
                                        "'%s%.*s%s', got '%s%.*s%s'",
                                        *why ? "; " : "", what, line, col + 1,
                                        from > 0 ? "..." : "", (int) MIN(ne - from, (size_t) 80),
                                        e + from, ne - from > 80 ? "..." : "",
                                        from > 0 ? "..." : "", (int) MIN(ng - from, (size_t) 80),
                                        g + from, ng - from > 80 ? "..." : "");
        }
}

static int check(char **why, const char *dir, const char *file, const char *what, const char *got)
{
        _cleanup_free_ char *expected = NULL;
        int r;

        r = read_expected(dir, file, &expected);
        if (r < 0)
                return strextend_printf(why, "%scannot read %s: %s", *why ? "; " : "", file,
                                        strerror(-r));
        if (streq(expected, got))
                return 0;
        return describe_difference(why, what, expected, got);
}

/* Returns 0 and leaves *why NULL if the vector passed; *why says what went wrong otherwise. */
static int run_vector(const char *dir, char **why)
{
        _cleanup_(vector_done) Vector v = {};
        _cleanup_(sigv4_signature_done) Sigv4Signature sig = {};
        _cleanup_free_ char *authorization = NULL;
        Sigv4Request req;
        Sigv4Params params;
        int r;

        r = parse_context(dir, &v, why);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = parse_request(dir, &v, why);
        if (r < 0)
                return r == -ENOMEM ? r : 0;

        req = (Sigv4Request) {
                .method = v.method,
                .path = v.path,
                .query = v.query,
                .headers = v.headers,
                .body = v.body,
                .body_size = v.body_size,
        };
        params = (Sigv4Params) {
                .region = v.region,
                .service = v.service,
                .time = v.time,
                .no_path_normalization = !v.normalize,
                .sign_body = v.sign_body,
                .omit_session_token = v.omit_session_token,
        };
        r = sigv4_sign(&req, &params, v.access_key_id, v.secret_access_key, v.token, &sig);
        if (r < 0)
                return strextend_printf(why, "sigv4_sign() failed: %s", strerror(-r));

        if ((r = check(why, dir, "header-canonical-request.txt", "canonical request",
                       sig.canonical_request)) < 0 ||
            (r = check(why, dir, "header-string-to-sign.txt", "string to sign",
                       sig.string_to_sign)) < 0 ||
            (r = check(why, dir, "header-signature.txt", "signature", sig.signature)) < 0)
                return r;

        authorization = expected_authorization(dir);
        if (authorization && !streq(authorization, sig.authorization))
                return describe_difference(why, "Authorization", authorization,
                                           sig.authorization);
        return 0;
}

int main(int argc, char *argv[])
{
        _cleanup_strv_free_ char **dirs = NULL;
        unsigned passed = 0, failed = 0, skipped = 0;
        size_t prefix;
        int r;

        if (argc != 2) {
                fprintf(stderr, "Usage: %s DIR\n", argv[0]);
                return EXIT_FAILURE;
        }
        prefix = strlen(argv[1]);

        r = find_vectors(argv[1], 0, &dirs);
        if (r < 0) {
                fprintf(stderr, "Failed to scan '%s': %s\n", argv[1], strerror(-r));
                return EXIT_FAILURE;
        }
        qsort(dirs, strv_length(dirs), sizeof(char *), string_compare);

        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *why = NULL;
                const char *name = *d + prefix;

                name += strspn(name, "/");
                if (isempty(name))
                        name = ".";

                if (!file_exists(*d, "header-signature.txt")) {
                        fprintf(stderr, "skipped %s: no header-signature.txt\n", name);
                        skipped++;
                        continue;
                }

                r = run_vector(*d, &why);
                if (r < 0) {
                        fprintf(stderr, "Out of memory.\n");
                        return EXIT_FAILURE;
                }
                if (why) {
                        printf("FAIL %s: %s\n", name, why);
                        failed++;
                } else
                        passed++;
        }

        if (skipped > 0)
                fprintf(stderr, "%u vector(s) skipped\n", skipped);
        printf("%u passed, %u failed\n", passed, failed);
        return failed == 0 && passed > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
