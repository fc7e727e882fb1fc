#pragma once
/* SPDX-License-Identifier: MIT */
/* sigv4.h: AWS Signature Version 4 header signing, as pure data in and data out. */

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

/* The request as it will go on the wire. Nothing here is copied or kept after sigv4_sign(). */
typedef struct Sigv4Request {
        const char *method;            /* "POST"; an HTTP token */
        const char *path;              /* as sent on the wire: "/" or "/a%20b"; starts with '/' */
        const char *query;             /* raw query without '?', may be NULL or "" */
        char *const *headers;          /* NULL-terminated "Name:value" / "Name: value"; must
                                        * include Host; every one is signed. Must not include
                                        * the headers the signer owns: Authorization, X-Amz-Date,
                                        * X-Amz-Security-Token, x-amz-content-sha256. */
        const void *body;              /* may be NULL when body_size is 0 */
        size_t body_size;
} Sigv4Request;

typedef struct Sigv4Params {
        const char *region;            /* "us-east-1" */
        const char *service;           /* signing name: "sts", "monitoring", "logs" */
        usec_t time;                   /* realtime µs used for X-Amz-Date and the scope; callers
                                        * apply any measured clock offset before passing it */
        bool no_path_normalization;    /* keep "." / ".." / "//" segments of the path as sent */
        bool sign_body;                /* add and sign x-amz-content-sha256 */
        bool omit_session_token;       /* add X-Amz-Security-Token after signing, unsigned */
} Sigv4Params;

/* Everything sigv4_sign() computed. All strings are owned; free with sigv4_signature_done(). */
typedef struct Sigv4Signature {
        char *amz_date;                   /* "20150830T123600Z" */
        char *credential_scope;           /* "20150830/us-east-1/service/aws4_request" */
        char *signed_headers;             /* "host;x-amz-date" */
        char *canonical_request;
        char *canonical_request_redacted; /* the X-Amz-Security-Token value replaced by
                                           * "<redacted>": the only form fit for debug output */
        char *string_to_sign;
        char *signature;                  /* 64 lower-case hex digits */
        char *authorization;              /* the full Authorization header value */
        char **headers;                   /* NULL-terminated "Name: value" lines to ADD to the
                                           * request, in this order: X-Amz-Date,
                                           * [X-Amz-Security-Token], [x-amz-content-sha256],
                                           * Authorization */
} Sigv4Signature;

/**
 * sigv4_sign() - sign an HTTP request with AWS Signature Version 4 (Authorization header form).
 * @req: the request: method, path, query, headers (with Host) and body.
 * @p: region, service, signing time and options.
 * @access_key_id: the access key id ("AKIA..." / "ASIA...").
 * @secret_access_key: the secret key; used only to derive the signing key, which is wiped
 *                     before return. It never appears in any output field.
 * @session_token: the session token of temporary credentials, or NULL (or "") for none.
 * @ret: filled on success; left untouched on failure. Free with sigv4_signature_done().
 *
 * Pure: no I/O and no clock reads. Path segments are URI-encoded once more as they appear on
 * the wire (the non-S3 rule), "." / ".." / empty segments are removed unless
 * @p->no_path_normalization, the query is decoded and re-encoded with the RFC 3986 unreserved
 * set and sorted, and header values are trimmed with inner whitespace runs collapsed; repeated
 * header names are joined with "," in the order given.
 *
 * Return: 0; -EINVAL for bad input (NULL or malformed method, path, header line, region,
 * service or key, a missing or repeated Host, a signer-owned header, a time past year 9999);
 * -ENOMEM; -EIO if OpenSSL fails.
 */
int sigv4_sign(const Sigv4Request *req,
               const Sigv4Params *p,
               const char *access_key_id,
               const char *secret_access_key,
               const char *session_token,
               Sigv4Signature *ret);

/**
 * sigv4_signature_done() - free what a signature owns and reset it to all-NULL.
 * @s: the signature; may be NULL, all-NULL or already done.
 */
void sigv4_signature_done(Sigv4Signature *s);
