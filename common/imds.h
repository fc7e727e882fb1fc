#pragma once
/* SPDX-License-Identifier: MIT */
/* imds.h: the IMDSv2 client: session token, role credentials, identity document, iam/info. */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "common/http.h"
#include "common/result-class.h"
#include "common/util.h"

typedef struct ImdsClient ImdsClient;
typedef struct ImdsOperation ImdsOperation;

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_TIMEOUT (1 * USEC_PER_SEC)
#define IMDS_DEFAULT_TOKEN_TTL_SEC 21600U
#define IMDS_MAX_TOKEN_TTL_SEC 21600U

/* Documents larger than this are refused by the parsers (and by the client as bad-response). */
#define IMDS_DOCUMENT_MAX (64U * 1024U)

typedef struct ImdsOptions {
        const char *endpoint;    /* NULL: IMDS_DEFAULT_ENDPOINT ("http://169.254.169.254") */
        usec_t timeout;          /* per request, connect included; 0: 1 s */
        unsigned token_ttl_sec;  /* 1..21600; 0: 21600 */
        bool allow_v1;           /* token PUT refused (403/404/405): GET without a token */
} ImdsOptions;

/*
 * The outcome of one IMDS operation. A failure is data: @class says which remedy applies and
 * @message explains it in one line. Neither ever holds the session token or a credential.
 */
typedef struct ImdsResult {
        ResultClass class;
        char *message;            /* one line, no secrets; NULL when class is ok */
        char *code;               /* IMDS "Code" of a 200-with-error document, else NULL */
        long http_status;         /* status of the exchange that decided the outcome, 0: none */
        HttpTransport transport;  /* transport outcome of that exchange */
        bool token_used;          /* the GETs carried an IMDSv2 token (false: IMDSv1 fallback) */
        usec_t latency;           /* the whole operation, token included */
} ImdsResult;

/**
 * imds_result_done() - free what an #ImdsResult owns and reset it.
 * @r: the result, may be NULL.
 */
void imds_result_done(ImdsResult *r);

/* iam/security-credentials/<role>. secret_access_key and token are secrets: wiped when freed. */
typedef struct ImdsCredentials {
        char *role;               /* set by the client, not by the parser */
        char *code;               /* "Success", or the error Code of an error document */
        char *message;            /* the error document's Message (sanitised), else NULL */
        char *type;               /* "AWS-HMAC", may be NULL */
        char *access_key_id;
        char *secret_access_key;
        char *token;
        usec_t expiration;        /* realtime µs */
        usec_t last_updated;      /* realtime µs, 0 if absent */
} ImdsCredentials;

/**
 * imds_credentials_done() - wipe the secrets of @c, free everything it owns and reset it.
 * @c: the credentials, may be NULL.
 */
void imds_credentials_done(ImdsCredentials *c);

/* dynamic/instance-identity/document. account_id, instance_id and region are always set. */
typedef struct ImdsIdentity {
        char *account_id;
        char *instance_id;
        char *region;
        char *availability_zone;
        char *instance_type;
        char *image_id;
        char *private_ip;
        char *architecture;
} ImdsIdentity;

/**
 * imds_identity_done() - free what an #ImdsIdentity owns and reset it.
 * @i: the identity, may be NULL.
 */
void imds_identity_done(ImdsIdentity *i);

/* meta-data/iam/info. */
typedef struct ImdsInfo {
        char *code;                  /* "Success" or e.g. "InstanceProfileNotFound" */
        char *message;               /* e.g. "Instance Profile does not contain a role..." */
        char *instance_profile_arn;  /* set when code is "Success" */
        char *instance_profile_id;
        usec_t last_updated;         /* realtime µs, 0 if absent */
} ImdsInfo;

/**
 * imds_info_done() - free what an #ImdsInfo owns and reset it.
 * @i: the info, may be NULL.
 */
void imds_info_done(ImdsInfo *i);

/* What the `imds` probe reports: can we reach IMDS, does it issue tokens, how fast. */
typedef struct ImdsHealth {
        bool reachable;          /* a TCP connection to the endpoint was established */
        bool token_ok;           /* a session token was issued */
        bool v1_fallback;        /* tokens refused, allow_v1 set: GETs went without a token */
        bool get_ok;             /* the identity document was served and parsed */
        usec_t token_latency;    /* token PUT round trip, 0 if none completed */
        usec_t get_latency;      /* identity GET round trip, 0 if none completed */
} ImdsHealth;

/* An instance tag value: EC2 allows 256 Unicode characters. */
#define IMDS_TAG_VALUE_MAX 1024U

/* The tag the Auto Scaling group puts on each instance it launches. */
#define IMDS_TAG_AUTO_SCALING_GROUP "aws:autoscaling:groupName"

/*
 * The parsers return IMDS_DOCUMENT_ERROR (a positive success value) when the document is a
 * well-formed IMDS error ("Code" other than "Success"): then only the code and message fields
 * are set.
 */
#define IMDS_DOCUMENT_ERROR 1

/**
 * imds_parse_credentials() - parse a role's credentials document.
 * @data: the body, not necessarily NUL-terminated.
 * @size: its length.
 * @ret: filled on success; on failure untouched.
 *
 * "Code" other than "Success" is an error document (IMDS answers those with 200, e.g.
 * AssumeRoleUnauthorizedAccess). Without "Code" the credential fields alone decide.
 *
 * Return: 0; IMDS_DOCUMENT_ERROR; -EBADMSG if the document is not JSON, lacks a field, has a
 * field of the wrong type, a bad Expiration, an oversized value or control characters; -ENOMEM.
 */
int imds_parse_credentials(const char *data, size_t size, ImdsCredentials *ret);

/**
 * imds_parse_identity() - parse the instance identity document.
 * @data: the body, not necessarily NUL-terminated.
 * @size: its length.
 * @ret: filled on success; on failure untouched.
 *
 * Return: 0; -EBADMSG if it is not JSON, lacks accountId/instanceId/region, or a field is of the
 * wrong type or oversized; -ENOMEM.
 */
int imds_parse_identity(const char *data, size_t size, ImdsIdentity *ret);

/**
 * imds_parse_info() - parse the iam/info document.
 * @data: the body, not necessarily NUL-terminated.
 * @size: its length.
 * @ret: filled on success; on failure untouched.
 *
 * Return: 0; IMDS_DOCUMENT_ERROR (e.g. InstanceProfileNotFound); -EBADMSG; -ENOMEM.
 */
int imds_parse_info(const char *data, size_t size, ImdsInfo *ret);

/**
 * imds_parse_role_listing() - the role name from an iam/security-credentials/ listing.
 * @data: the body, not necessarily NUL-terminated.
 * @size: its length.
 * @ret: the first line, validated as an IAM role name.
 *
 * Return: 0; -ENODATA if the listing is empty; -EBADMSG if the first line is not a valid role
 * name (it becomes part of a URL path); -ENOMEM.
 */
int imds_parse_role_listing(const char *data, size_t size, char **ret);

/**
 * imds_parse_tag_value() - the value of a meta-data/tags/instance/<key> document.
 * @data: the body, not necessarily NUL-terminated.
 * @size: its length.
 * @ret: the value, one trailing newline removed.
 *
 * Return: 0; -EBADMSG if it is empty, longer than IMDS_TAG_VALUE_MAX bytes, not UTF-8 or holds
 * a control character (it becomes a metric dimension, a journal field and JSON); -ENOMEM.
 */
int imds_parse_tag_value(const char *data, size_t size, char **ret);

/**
 * imds_tag_key_is_valid() - whether @key can be asked for (1-128 of [A-Za-z0-9+-=._:@]).
 */
bool imds_tag_key_is_valid(const char *key) _pure_;

/**
 * imds_client_new() - create an IMDS client.
 * @event: the loop callbacks are dispatched from; the client takes a reference.
 * @http: the HTTP client; must outlive the IMDS client.
 * @opts: options, may be NULL for defaults. Strings are copied.
 * @ret: the client.
 *
 * Return: 0, -EINVAL for an endpoint that is not http(s)://... or a TTL above 21600, -ENOMEM.
 */
int imds_client_new(sd_event *event, HttpClient *http, const ImdsOptions *opts, ImdsClient **ret);

/**
 * imds_client_free() - cancel every operation (their callbacks are not called), wipe the
 * session token and free.
 * @c: the client, may be NULL.
 *
 * Return: NULL.
 */
ImdsClient *imds_client_free(ImdsClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImdsClient *, imds_client_free);

/**
 * imds_client_has_token() - whether a session token is cached and not about to expire.
 */
bool imds_client_has_token(const ImdsClient *c);

/**
 * imds_client_get_endpoint() - the endpoint the client talks to ("http://169.254.169.254").
 */
const char *imds_client_get_endpoint(const ImdsClient *c) _pure_;

/**
 * imds_client_drop_token() - wipe the cached session token; the next operation fetches one.
 */
void imds_client_drop_token(ImdsClient *c);

/*
 * Completion callbacks. They run from the event loop, never from inside the function that
 * started the operation. @result and the payload are valid during the call only; the callback
 * may steal payload fields (TAKE_PTR). The payload is filled only when result->class is ok,
 * except that an IMDS error document leaves its code and message there (imds-credentials-error
 * in @creds, imds-no-role from iam/info in @info). The callback may free the client.
 */
typedef void (*ImdsCredentialsCallback)(ImdsClient *c, ImdsResult *result, ImdsCredentials *creds,
                                        void *userdata);
typedef void (*ImdsIdentityCallback)(ImdsClient *c, ImdsResult *result, ImdsIdentity *identity,
                                     void *userdata);
typedef void (*ImdsInfoCallback)(ImdsClient *c, ImdsResult *result, ImdsInfo *info,
                                 void *userdata);
typedef void (*ImdsHealthCallback)(ImdsClient *c, ImdsResult *result, const ImdsHealth *health,
                                   ImdsIdentity *identity, void *userdata);
typedef void (*ImdsTagCallback)(ImdsClient *c, ImdsResult *result, const char *value,
                                void *userdata);

/**
 * imds_fetch_credentials() - fetch the instance role's credentials.
 * @c: the client.
 * @callback: called once with the outcome.
 * @userdata: passed to @callback.
 * @ret: optional handle for imds_operation_cancel(), valid until @callback runs.
 *
 * Lists iam/security-credentials/ (404: imds-no-role), then fetches the first role's document
 * (Code other than Success: imds-credentials-error with the code).
 *
 * Return: 0, or a negative errno if the operation could not be started (no callback then).
 */
int imds_fetch_credentials(ImdsClient *c, ImdsCredentialsCallback callback, void *userdata,
                           ImdsOperation **ret);

/**
 * imds_fetch_identity() - fetch the instance identity document.
 * @c: the client.
 * @callback: called once with the outcome.
 * @userdata: passed to @callback.
 * @ret: optional handle, valid until @callback runs.
 *
 * Return: 0 or a negative errno (no callback then).
 */
int imds_fetch_identity(ImdsClient *c, ImdsIdentityCallback callback, void *userdata,
                        ImdsOperation **ret);

/**
 * imds_fetch_info() - fetch iam/info (the instance profile).
 * @c: the client.
 * @callback: called once with the outcome; a Code other than Success (e.g.
 *            InstanceProfileNotFound) or a 404 is imds-no-role.
 * @userdata: passed to @callback.
 * @ret: optional handle, valid until @callback runs.
 *
 * Return: 0 or a negative errno (no callback then).
 */
int imds_fetch_info(ImdsClient *c, ImdsInfoCallback callback, void *userdata, ImdsOperation **ret);

/**
 * imds_check() - measure IMDS health: a fresh token PUT, then the identity document.
 * @c: the client.
 * @callback: called once with the class of the first failure, the #ImdsHealth and, when
 *            health->get_ok, the identity document it fetched (fields may be stolen).
 * @userdata: passed to @callback.
 * @ret: optional handle, valid until @callback runs.
 *
 * The token fetched replaces the cached one, so the check also renews the cache.
 *
 * Return: 0 or a negative errno (no callback then).
 */
int imds_check(ImdsClient *c, ImdsHealthCallback callback, void *userdata, ImdsOperation **ret);

/**
 * imds_fetch_tag() - fetch one instance tag (meta-data/tags/instance/<key>).
 * @c: the client.
 * @key: the tag key, e.g. IMDS_TAG_AUTO_SCALING_GROUP.
 * @callback: called once; @value is NULL with class ok when IMDS has no such tag (404: the tag
 *            is absent or instance tags are not exposed in metadata), the value otherwise.
 * @userdata: passed to @callback.
 * @ret: optional handle, valid until @callback runs.
 *
 * Return: 0, -EINVAL for a key IMDS cannot serve, or another negative errno (no callback then).
 */
int imds_fetch_tag(ImdsClient *c, const char *key, ImdsTagCallback callback, void *userdata,
                   ImdsOperation **ret);

/**
 * imds_fetch_hostname() - fetch the instance's EC2 host name (meta-data/hostname), what the
 * CloudWatch agent puts for {hostname} in its log group and stream names.
 * @c: the client.
 * @callback: called once; @value is the name, or NULL with class ok on a 404.
 * @userdata: passed to @callback.
 * @ret: optional handle, valid until @callback runs.
 *
 * Return: 0 or a negative errno (no callback then).
 */
int imds_fetch_hostname(ImdsClient *c, ImdsTagCallback callback, void *userdata,
                        ImdsOperation **ret);

/**
 * imds_operation_cancel() - abort an operation; its callback is not called.
 * @op: the handle, may be NULL.
 *
 * Return: NULL.
 */
ImdsOperation *imds_operation_cancel(ImdsOperation *op);
