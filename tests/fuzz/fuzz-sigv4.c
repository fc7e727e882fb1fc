/* SPDX-License-Identifier: MIT */
/*
 * fuzz-sigv4.c: sigv4_sign() on arbitrary requests. The signer sees every request cwguard sends,
 * and whatever it is handed it must either refuse it (-EINVAL) or produce a well-formed signature
 * that leaks neither the secret key nor, in the redacted canonical request meant for debug logs,
 * the session token. Input: byte 0 holds flags (see the FLAG_* below), byte 1 picks the signing
 * time, then NUL-separated fields: region, service, method, path, query, header lines ("Name:
 * value"), an empty field, and the body (the remaining bytes, NULs allowed). Missing fields are
 * empty. Every string is an exact-size heap copy so ASan sees reads past the end.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sigv4.h"

/* Fixed and distinctive: '/', '+' and '=' are percent-encoded in the canonical path and query and
 * upper case is folded in header names, so only a header value or the method can carry them into
 * a canonical request, and then the raw input contains them too (that case is skipped). */
#define ACCESS_KEY_ID "AKIDFUZZEXAMPLE"
#define SECRET_KEY "cwgFuzzSecret/DoNotLeak+K7MDENG/bPxRfiCY="
#define SESSION_TOKEN "cwgFuzzSessionToken/DoNotLog+AQoDYXdzEPT//wEXAMPLE=="

enum {
        FLAG_NO_PATH_NORMALIZATION = 1 << 0,
        FLAG_SIGN_BODY = 1 << 1,
        FLAG_OMIT_SESSION_TOKEN = 1 << 2,
        FLAG_SESSION_TOKEN = 1 << 3,    /* pass SESSION_TOKEN... */
        FLAG_EMPTY_TOKEN = 1 << 4,      /* ...else "" rather than NULL */
        FLAG_NULL_QUERY = 1 << 5,       /* an empty query field is passed as NULL, not "" */
        FLAG_NULL_BODY = 1 << 6,        /* an empty body is passed as NULL */
};

#define CHECK(expr)                                                                       \
        do {                                                                              \
                if (!(expr)) {                                                            \
                        fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__,      \
                                __LINE__, #expr);                                         \
                        abort();                                                          \
                }                                                                         \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_lower_hex64(const char *s)
{
        if (!s || strlen(s) != 64)
                return false;
        return strspn(s, "0123456789abcdef") == 64;
}

static bool has(const char *haystack, const char *needle)
{
        return haystack && strstr(haystack, needle);
}

static bool signature_is_empty(const Sigv4Signature *s)
{
        return !s->amz_date && !s->credential_scope && !s->signed_headers &&
               !s->canonical_request && !s->canonical_request_redacted && !s->string_to_sign &&
               !s->signature && !s->authorization && !s->headers;
}

static void check_no_secret(const Sigv4Signature *s)
{
        CHECK(!has(s->amz_date, SECRET_KEY));
        CHECK(!has(s->credential_scope, SECRET_KEY));
        CHECK(!has(s->signed_headers, SECRET_KEY));
        CHECK(!has(s->canonical_request, SECRET_KEY));
        CHECK(!has(s->canonical_request_redacted, SECRET_KEY));
        CHECK(!has(s->string_to_sign, SECRET_KEY));
        CHECK(!has(s->signature, SECRET_KEY));
        CHECK(!has(s->authorization, SECRET_KEY));
        STRV_FOREACH(h, s->headers)
                CHECK(!has(*h, SECRET_KEY));
}

static void check_signature(const Sigv4Signature *s, bool input_has_secret, bool input_has_token)
{
        const char *auth_prefix = "Authorization: ";
        size_t n_headers, n_sig, n_auth;

        CHECK(is_lower_hex64(s->signature));
        CHECK(s->amz_date && s->credential_scope && s->signed_headers && s->canonical_request &&
              s->canonical_request_redacted && s->string_to_sign && s->authorization &&
              s->headers);

        /* The Authorization value ends in the signature, and is the last header to add. */
        n_sig = strlen(s->signature);
        n_auth = strlen(s->authorization);
        CHECK(n_auth > n_sig && streq(s->authorization + n_auth - n_sig, s->signature));
        n_headers = strv_length(s->headers);
        CHECK(n_headers >= 2);
        CHECK(strncmp(s->headers[n_headers - 1], auth_prefix, strlen(auth_prefix)) == 0);
        CHECK(streq(s->headers[n_headers - 1] + strlen(auth_prefix), s->authorization));

        if (!input_has_secret)
                check_no_secret(s);
        if (!input_has_token)
                CHECK(!has(s->canonical_request_redacted, SESSION_TOKEN));
}

/* Cut the next NUL-terminated field off [*p, end); past the end every field is "". */
static const char *next_field(const char **p, const char *end)
{
        const char *f = *p;

        if (f >= end)
                return end; /* the terminating NUL of the copy */
        *p = f + strlen(f) + 1;
        return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const usec_t times[8] = {
                1440938160 * USEC_PER_SEC,                /* 2015-08-30T12:36:00Z (the suite's) */
                0,                                        /* 1970-01-01T00:00:00Z */
                951868799 * USEC_PER_SEC,                 /* 2000-02-29T23:59:59Z */
                2147483648 * USEC_PER_SEC,                /* 2038-01-19T03:14:08Z */
                253402300799 * USEC_PER_SEC + 999999,     /* the last signable microsecond */
                253402300800 * USEC_PER_SEC,              /* year 10000: refused */
                USEC_INFINITY,
                1785585600 * USEC_PER_SEC,                /* 2026-08-01T12:00:00Z */
        };
        _cleanup_(sigv4_signature_done) Sigv4Signature sig = {}, again = {};
        _cleanup_free_ char *text = NULL, *body = NULL;
        _cleanup_free_ char **headers = NULL;
        const char *p, *end, *region, *service, *session_token = NULL;
        bool input_has_secret, input_has_token;
        Sigv4Request req = {};
        Sigv4Params params = {};
        size_t n, n_headers = 0;
        uint8_t flags;
        int r;

        if (size < 2)
                return 0;
        flags = data[0];
        params = (Sigv4Params) {
                .time = times[data[1] & 7],
                .no_path_normalization = flags & FLAG_NO_PATH_NORMALIZATION,
                .sign_body = flags & FLAG_SIGN_BODY,
                .omit_session_token = flags & FLAG_OMIT_SESSION_TOKEN,
        };
        if (flags & FLAG_SESSION_TOKEN)
                session_token = SESSION_TOKEN;
        else if (flags & FLAG_EMPTY_TOKEN)
                session_token = "";
        data += 2, size -= 2;

        input_has_secret = memmem(data, size, SECRET_KEY, strlen(SECRET_KEY));
        input_has_token = memmem(data, size, SESSION_TOKEN, strlen(SESSION_TOKEN));

        text = malloc(size + 1);
        /* At most one header per byte, plus the NULL. */
        headers = calloc(size + 1, sizeof(char *));
        if (!text || !headers)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        p = text;
        end = text + size;

        region = next_field(&p, end);
        service = next_field(&p, end);
        req.method = next_field(&p, end);
        req.path = next_field(&p, end);
        req.query = next_field(&p, end);
        if (isempty(req.query) && (flags & FLAG_NULL_QUERY))
                req.query = NULL;
        while (p < end && *p)
                headers[n_headers++] = (char *) next_field(&p, end);
        req.headers = headers;
        if (p < end) {
                /* The empty field ending the headers; what follows is the body. */
                p++;
                n = (size_t) (end - p);
                body = malloc(n ?: 1);
                if (!body)
                        return 0;
                memcpy(body, p, n);
                req.body = body;
                req.body_size = n;
        }
        if (req.body_size == 0 && (flags & FLAG_NULL_BODY))
                req.body = NULL;
        params.region = region;
        params.service = service;

        r = sigv4_sign(&req, &params, ACCESS_KEY_ID, SECRET_KEY, session_token, &sig);
        if (r < 0) {
                CHECK(r == -EINVAL || r == -ENOMEM);
                CHECK(signature_is_empty(&sig)); /* "left untouched on failure" */
                return 0;
        }
        check_signature(&sig, input_has_secret, input_has_token);

        /* Pure: the same input signs the same way. */
        r = sigv4_sign(&req, &params, ACCESS_KEY_ID, SECRET_KEY, session_token, &again);
        CHECK(r == 0);
        CHECK(streq(sig.canonical_request, again.canonical_request));
        CHECK(streq(sig.signature, again.signature));
        return 0;
}
