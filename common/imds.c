/* SPDX-License-Identifier: MIT */
/*
 * imds.c: the IMDSv2 client. An ImdsClient owns the session token (a secret: wiped whenever it is
 * dropped) and the operations in flight; every exchange goes through the shared HttpClient, direct
 * (IMDS is link-local, never proxied) with a short timeout, on the caller's sd-event loop. One
 * token PUT serves every operation until shortly before the token expires; a 401 on a GET drops
 * it and the GET is retried once with a fresh one. Outcomes are data: each operation ends with an
 * ImdsResult whose class names the remedy (unreachable, token timeout = hop limit, token refused,
 * no role, credentials error, bad response). Completion callbacks are queued and dispatched one
 * per loop iteration from a defer source, so a callback may free the client. The document
 * parsers it calls are pure and live in imds-parse.c. No logging, no blocking, no threads.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/imds.h"

#define IMDS_TOKEN_PATH "/latest/api/token"
#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define IMDS_INFO_PATH "/latest/meta-data/iam/info"
#define IMDS_IDENTITY_PATH "/latest/dynamic/instance-identity/document"
#define IMDS_TAG_PATH "/latest/meta-data/tags/instance/"
#define IMDS_HOSTNAME_PATH "/latest/meta-data/hostname"

/* A session token is refused beyond this (real ones: 56 bytes); result messages are cut here. */
#define SESSION_TOKEN_MAX 4096U
#define RESULT_MESSAGE_MAX 1024U

/* While IMDS refuses tokens and allow_v1 is set, retry the PUT at most this often. */
#define V1_FALLBACK_PERIOD (5 * USEC_PER_MINUTE)

typedef enum ImdsOpKind {
        IMDS_OP_CREDENTIALS,
        IMDS_OP_IDENTITY,
        IMDS_OP_INFO,
        IMDS_OP_CHECK,
        IMDS_OP_TAG,
        IMDS_OP_HOSTNAME,
} ImdsOpKind;

typedef enum ImdsStep {
        IMDS_STEP_ROLE,         /* iam/security-credentials/ */
        IMDS_STEP_CREDENTIALS,  /* iam/security-credentials/<role> */
        IMDS_STEP_IDENTITY,
        IMDS_STEP_INFO,
        IMDS_STEP_TAG,          /* meta-data/tags/instance/<key> */
        IMDS_STEP_HOSTNAME,     /* meta-data/hostname */
} ImdsStep;

typedef enum TokenState {
        TOKEN_NONE,
        TOKEN_VALID,  /* c->token is usable until c->token_renew_at */
        TOKEN_V1,     /* tokens refused and allow_v1: GET without one until c->token_renew_at */
} TokenState;

struct ImdsOperation {
        ImdsClient *client;            /* NULL while its callback runs */
        ImdsOperation *prev, *next;    /* in client->ops, or client->done once queued */
        bool queued;
        ImdsOpKind kind;
        ImdsStep step;
        bool waiting_token;
        bool fresh_token;              /* imds_check(): do not settle for the cached token */
        bool retried;                  /* this step already re-tokened once after a 401 */
        uint64_t token_generation;     /* of the token (or v1 state) the current GET used */
        HttpRequest *req;
        usec_t started;                /* CLOCK_MONOTONIC */

        ImdsResult result;
        ImdsCredentials creds;
        ImdsIdentity identity;
        ImdsInfo info;
        ImdsHealth health;
        char *tag_key;
        char *tag_value;

        union {
                ImdsCredentialsCallback credentials;
                ImdsIdentityCallback identity;
                ImdsInfoCallback info;
                ImdsHealthCallback health;
                ImdsTagCallback tag;
        } callback;
        void *userdata;
};

struct ImdsClient {
        sd_event *event;
        sd_event_source *defer;        /* dispatches client->done, one operation per iteration */
        HttpClient *http;
        char *endpoint;                /* without trailing slash */
        usec_t timeout;
        unsigned token_ttl_sec;
        bool allow_v1;

        TokenState token_state;
        char *token;                   /* secret */
        usec_t token_renew_at;         /* CLOCK_BOOTTIME */
        uint64_t token_generation;
        HttpRequest *token_req;
        usec_t token_started;          /* CLOCK_BOOTTIME */

        ImdsOperation *ops;            /* in flight */
        ImdsOperation *done, *done_tail;
};

/* ---------------------------------------------------------------------------------------------
 * Results
 */

void imds_result_done(ImdsResult *r)
{
        if (!r)
                return;
        free(r->message);
        free(r->code);
        *r = (ImdsResult) {};
}

static void result_set(ImdsResult *r, ResultClass class, const char *fmt, ...) _printf_(3, 4);
static void result_set(ImdsResult *r, ResultClass class, const char *fmt, ...)
{
        char *m = NULL;
        va_list ap;

        r->class = class;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL; /* the class alone still tells what happened */
        va_end(ap);
        if (m)
                string_one_line(m, RESULT_MESSAGE_MAX);
        free(r->message);
        r->message = m;
}

static int result_copy(const ImdsResult *src, ImdsResult *dst)
{
        _cleanup_free_ char *m = NULL, *code = NULL;

        if (src->message) {
                m = strdup(src->message);
                if (!m)
                        return -ENOMEM;
        }
        if (src->code) {
                code = strdup(src->code);
                if (!code)
                        return -ENOMEM;
        }
        imds_result_done(dst);
        *dst = *src;
        dst->message = TAKE_PTR(m);
        dst->code = TAKE_PTR(code);
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The client
 */

static double seconds(usec_t t)
{
        return (double) t / USEC_PER_SEC;
}

static void op_list_remove(ImdsOperation **head, ImdsOperation **tail, ImdsOperation *op)
{
        if (op->prev)
                op->prev->next = op->next;
        else
                *head = op->next;
        if (op->next)
                op->next->prev = op->prev;
        else if (tail)
                *tail = op->prev;
        op->prev = op->next = NULL;
}

static ImdsOperation *op_free(ImdsOperation *op)
{
        if (!op)
                return NULL;
        if (op->client) {
                if (op->queued)
                        op_list_remove(&op->client->done, &op->client->done_tail, op);
                else
                        op_list_remove(&op->client->ops, NULL, op);
        }
        http_request_cancel(op->req);
        imds_result_done(&op->result);
        imds_credentials_done(&op->creds);
        imds_identity_done(&op->identity);
        imds_info_done(&op->info);
        free(op->tag_key);
        free(op->tag_value);
        free(op);
        return NULL;
}

static void op_finish(ImdsOperation *op)
{
        ImdsClient *c = op->client;

        op->result.latency = now_usec(CLOCK_MONOTONIC) - op->started;
        op_list_remove(&c->ops, NULL, op);
        op->queued = true;
        op->prev = c->done_tail;
        if (c->done_tail)
                c->done_tail->next = op;
        else
                c->done = op;
        c->done_tail = op;
        (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

static void op_fail_errno(ImdsOperation *op, int error, const char *what)
{
        /* Local failures (OOM, curl refusing a handle) are not IMDS outcomes; they are reported
         * as bad-response with the errno spelt out, since the callback has no errno channel. */
        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE, "Failed to %s: %s", what,
                   strerror(-error));
        op_finish(op);
}

static const char *step_path(ImdsStep step)
{
        switch (step) {
        case IMDS_STEP_ROLE:
        case IMDS_STEP_CREDENTIALS:
                return IMDS_ROLE_PATH;
        case IMDS_STEP_IDENTITY:
                return IMDS_IDENTITY_PATH;
        case IMDS_STEP_TAG:
                return IMDS_TAG_PATH;
        case IMDS_STEP_HOSTNAME:
                return IMDS_HOSTNAME_PATH;
        case IMDS_STEP_INFO:
        default:
                return IMDS_INFO_PATH;
        }
}

/* The role completes the path of the credentials step, the key that of the tag step. */
static const char *step_role(const ImdsOperation *op)
{
        if (op->step == IMDS_STEP_TAG)
                return strempty(op->tag_key);
        return op->step == IMDS_STEP_CREDENTIALS ? strempty(op->creds.role) : "";
}

static void token_drop(ImdsClient *c)
{
        c->token = erase_and_free(c->token);
        c->token_state = TOKEN_NONE;
        c->token_renew_at = 0;
}

static void op_on_done(HttpRequest *req, HttpResponse *resp, void *userdata);

static int op_send(ImdsOperation *op)
{
        ImdsClient *c = op->client;
        _cleanup_free_ char *url = NULL;
        _cleanup_erase_free_ char *header = NULL;
        char *headers[2] = {};
        int r;

        r = asprintf(&url, "%s%s%s", c->endpoint, step_path(op->step), step_role(op));
        if (r < 0) {
                url = NULL;
                return -ENOMEM;
        }

        op->result.token_used = c->token_state == TOKEN_VALID;
        if (op->result.token_used) {
                if (asprintf(&header, "X-aws-ec2-metadata-token: %s", c->token) < 0) {
                        header = NULL;
                        return -ENOMEM;
                }
                headers[0] = header;
        }
        op->token_generation = c->token_generation;

        r = http_request_start(c->http,
                               &(HttpRequestOptions) {
                                       .method = "GET",
                                       .url = url,
                                       .headers = headers,
                                       .timeout = c->timeout,
                                       .max_body = IMDS_DOCUMENT_MAX,
                                       .direct = true,
                               },
                               op_on_done, op, &op->req);
        if (r < 0) {
                op->req = NULL;
                return r;
        }
        return 0;
}

static void token_on_done(HttpRequest *req, HttpResponse *resp, void *userdata);

static int token_start(ImdsClient *c)
{
        _cleanup_free_ char *url = NULL, *header = NULL;
        char *headers[2] = {};
        int r;

        if (asprintf(&url, "%s%s", c->endpoint, IMDS_TOKEN_PATH) < 0) {
                url = NULL;
                return -ENOMEM;
        }
        if (asprintf(&header, "X-aws-ec2-metadata-token-ttl-seconds: %u", c->token_ttl_sec) < 0) {
                header = NULL;
                return -ENOMEM;
        }
        headers[0] = header;

        c->token_started = now_usec(CLOCK_BOOTTIME);
        r = http_request_start(c->http,
                               &(HttpRequestOptions) {
                                       .method = "PUT",
                                       .url = url,
                                       .headers = headers,
                                       .timeout = c->timeout,
                                       .max_body = SESSION_TOKEN_MAX,
                                       .direct = true,
                               },
                               token_on_done, c, &c->token_req);
        if (r < 0)
                c->token_req = NULL;
        return r;
}

bool imds_client_has_token(const ImdsClient *c)
{
        return c && c->token_state == TOKEN_VALID &&
               now_usec(CLOCK_BOOTTIME) < c->token_renew_at;
}

void imds_client_drop_token(ImdsClient *c)
{
        if (c)
                token_drop(c);
}

/* Send the operation's next GET once a token (or the v1 fallback) is at hand. Return: 0, or a
 * negative errno if no request could be started (the operation is left as it was). */
static int op_need_token(ImdsOperation *op)
{
        ImdsClient *c = op->client;
        int r;

        if (!op->fresh_token && c->token_state != TOKEN_NONE &&
            now_usec(CLOCK_BOOTTIME) < c->token_renew_at)
                return op_send(op);

        if (!c->token_req) {
                r = token_start(c);
                if (r < 0)
                        return r;
        } /* else: join the PUT in flight */
        op->fresh_token = false;
        op->waiting_token = true;
        return 0;
}

static void op_advance(ImdsOperation *op)
{
        int r;

        r = op_need_token(op);
        if (r < 0)
                op_fail_errno(op, r, "start an IMDS request");
}

static void token_classify_transport(ImdsClient *c, const HttpResponse *resp, ImdsResult *ret)
{
        const char *detail = resp->error ?: http_transport_to_string(resp->transport);

        switch (resp->transport) {
        case HTTP_TRANSPORT_TIMEOUT:
                if (resp->connected)
                        /* IMDS docs: "In a container environment, if the hop limit is 1, the
                         * IMDSv2 response does not return because going to the container is
                         * considered an additional network hop." */
                        return result_set(
                                ret, RESULT_CLASS_IMDS_TOKEN_TIMEOUT,
                                "IMDS at %s accepted the connection but did not answer the token "
                                "request within %.1f s; in a container the response is dropped "
                                "when the PUT response hop limit is 1: set the instance metadata "
                                "hop limit to 2 (aws ec2 modify-instance-metadata-options "
                                "--instance-id <id> --http-put-response-hop-limit 2)",
                                c->endpoint, seconds(c->timeout));
                return result_set(ret, RESULT_CLASS_IMDS_UNREACHABLE,
                                  "IMDS at %s did not accept a connection within %.1f s "
                                  "(not on EC2, or the metadata endpoint is disabled or filtered)",
                                  c->endpoint, seconds(c->timeout));
        case HTTP_TRANSPORT_TOO_LARGE:
        case HTTP_TRANSPORT_BAD_RESPONSE:
                return result_set(ret, RESULT_CLASS_BAD_RESPONSE,
                                  "IMDS at %s sent an invalid answer to the token request: %s",
                                  c->endpoint, detail);
        default:
                return result_set(ret, RESULT_CLASS_IMDS_UNREACHABLE,
                                  "IMDS at %s is unreachable: %s", c->endpoint, detail);
        }
}

static void status_classify(ImdsClient *c, long status, const char *what, ImdsResult *ret)
{
        /* Throttling is per instance; SDKs retry 429/503 with backoff. */
        if (status == 429 || status == 503)
                result_set(ret, RESULT_CLASS_THROTTLED, "IMDS at %s throttled the %s (HTTP %ld)",
                           c->endpoint, what, status);
        else if (status >= 500)
                result_set(ret, RESULT_CLASS_SERVER_ERROR, "IMDS at %s failed the %s (HTTP %ld)",
                           c->endpoint, what, status);
        else
                result_set(ret, RESULT_CLASS_BAD_RESPONSE,
                           "IMDS at %s answered the %s with unexpected HTTP %ld", c->endpoint,
                           what, status);
}

static int token_accept(ImdsClient *c, HttpResponse *resp)
{
        _cleanup_erase_free_ char *token = NULL;
        const char *h;
        unsigned ttl = c->token_ttl_sec;
        usec_t ttl_usec;

        /* The caller wipes resp->body, whatever happens here. */
        if (!resp->body || resp->body_size == 0 || resp->body_size > SESSION_TOKEN_MAX ||
            strlen(resp->body) != resp->body_size || string_has_cc(resp->body, NULL) ||
            strchr(resp->body, ' '))
                return -EBADMSG;
        token = strdup(resp->body);
        if (!token)
                return -ENOMEM;

        /* The PUT response echoes the TTL granted; honour it if it is shorter than asked. */
        h = http_response_header(resp, "X-aws-ec2-metadata-token-ttl-seconds");
        if (h) {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(h, &end, 10);
                if (errno == 0 && end != h && *end == 0 && v >= 1 && v < ttl)
                        ttl = (unsigned) v;
        }

        /* Renew a little before expiry so a GET never carries a token that dies in flight. */
        ttl_usec = ttl * USEC_PER_SEC;
        erase_and_free(c->token);
        c->token = TAKE_PTR(token);
        c->token_state = TOKEN_VALID;
        c->token_renew_at = c->token_started + ttl_usec - MIN(60 * USEC_PER_SEC, ttl_usec / 4);
        c->token_generation++;
        return 0;
}

static void token_on_done(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        ImdsClient *c = userdata;
        _cleanup_(imds_result_done) ImdsResult failure = {};
        usec_t now = now_usec(CLOCK_BOOTTIME);
        usec_t latency = resp->timing.total ?: now - c->token_started;
        bool issued = false;
        int r;

        c->token_req = NULL;
        failure.http_status = resp->status;
        failure.transport = resp->transport;

        if (resp->transport != HTTP_TRANSPORT_OK)
                token_classify_transport(c, resp, &failure);
        else if (resp->status == 200) {
                if (token_accept(c, resp) < 0)
                        result_set(&failure, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS at %s answered the token request with an invalid token",
                                   c->endpoint);
                else
                        issued = true;
        } else if (resp->status == 403 || resp->status == 404 || resp->status == 405) {
                /* "403 - Forbidden – The request is not allowed or the IMDS is turned off";
                 * SDKs treat 403/404/405 on the PUT as "no IMDSv2" and may fall back to v1. */
                if (c->allow_v1) {
                        token_drop(c);
                        c->token_state = TOKEN_V1;
                        c->token_renew_at = now + MIN(V1_FALLBACK_PERIOD,
                                                      c->token_ttl_sec * USEC_PER_SEC);
                        c->token_generation++;
                } else
                        result_set(&failure, RESULT_CLASS_IMDS_TOKEN_REFUSED,
                                   "IMDS at %s refused to issue a session token (HTTP %ld): IMDS "
                                   "or IMDSv2 is disabled on this instance",
                                   c->endpoint, resp->status);
        } else if (resp->status == 400)
                result_set(&failure, RESULT_CLASS_BAD_RESPONSE,
                           "IMDS at %s rejected the token request as invalid (HTTP 400, TTL %u s)",
                           c->endpoint, c->token_ttl_sec);
        else
                status_classify(c, resp->status, "token request", &failure);

        if (resp->body) /* whatever it was, it may hold a token */
                OPENSSL_cleanse(resp->body, resp->body_size);
        resp->body = erase_and_free(resp->body);

        for (ImdsOperation *op = c->ops, *next; op; op = next) {
                next = op->next;
                if (!op->waiting_token)
                        continue;
                op->waiting_token = false;

                op->health.reachable = resp->connected;
                op->health.token_ok = issued;
                op->health.v1_fallback = c->token_state == TOKEN_V1;
                if (resp->transport == HTTP_TRANSPORT_OK)
                        op->health.token_latency = latency;

                if (failure.class != RESULT_CLASS_OK) {
                        if (result_copy(&failure, &op->result) < 0)
                                op->result.class = failure.class;
                        op_finish(op);
                        continue;
                }
                r = op_send(op);
                if (r < 0)
                        op_fail_errno(op, r, "start an IMDS request");
        }
}

static void op_get_failed_transport(ImdsOperation *op, const HttpResponse *resp)
{
        ImdsClient *c = op->client;
        const char *detail = resp->error ?: http_transport_to_string(resp->transport);

        if (resp->transport == HTTP_TRANSPORT_TOO_LARGE ||
            resp->transport == HTTP_TRANSPORT_BAD_RESPONSE)
                result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                           "IMDS at %s sent an invalid answer to GET %s%s: %s", c->endpoint,
                           step_path(op->step), step_role(op), detail);
        else if (resp->transport == HTTP_TRANSPORT_TIMEOUT && resp->connected)
                result_set(&op->result, RESULT_CLASS_IMDS_UNREACHABLE,
                           "IMDS at %s did not answer GET %s%s within %.1f s", c->endpoint,
                           step_path(op->step), step_role(op), seconds(c->timeout));
        else
                result_set(&op->result, RESULT_CLASS_IMDS_UNREACHABLE,
                           "IMDS at %s is unreachable: %s", c->endpoint, detail);
        op_finish(op);
}

static void op_got_401(ImdsOperation *op)
{
        ImdsClient *c = op->client;

        if (op->retried) {
                if (op->result.token_used)
                        result_set(&op->result, RESULT_CLASS_IMDS_TOKEN_REFUSED,
                                   "IMDS at %s rejected a freshly issued session token (HTTP 401)",
                                   c->endpoint);
                else
                        result_set(&op->result, RESULT_CLASS_IMDS_TOKEN_REFUSED,
                                   "IMDS at %s requires a session token (HTTP 401) but refuses to "
                                   "issue one", c->endpoint);
                return op_finish(op);
        }

        /* "requests without a valid token or with an expired token receive a 401": drop the
         * token this GET carried (unless another operation already replaced it), retry once. */
        op->retried = true;
        if (c->token_generation == op->token_generation)
                token_drop(c);
        op_advance(op);
}

static void op_got_body(ImdsOperation *op, HttpResponse *resp)
{
        int r;

        switch (op->step) {
        case IMDS_STEP_ROLE:
                r = imds_parse_role_listing(resp->body, resp->body_size, &op->creds.role);
                if (r == -ENODATA) {
                        result_set(&op->result, RESULT_CLASS_IMDS_NO_ROLE,
                                   "IMDS lists no IAM role for this instance: attach an instance "
                                   "profile with a role");
                        break;
                }
                if (r < 0) {
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS role listing is not a valid IAM role name");
                        break;
                }
                op->step = IMDS_STEP_CREDENTIALS;
                op->retried = false;
                return op_advance(op);

        case IMDS_STEP_CREDENTIALS: {
                _cleanup_free_ char *role = TAKE_PTR(op->creds.role);
                ImdsCredentials parsed = {};

                r = imds_parse_credentials(resp->body, resp->body_size, &parsed);
                /* The body holds the secret: wipe it now rather than when the client frees it. */
                OPENSSL_cleanse(resp->body, resp->body_size);
                if (r < 0) {
                        op->creds.role = TAKE_PTR(role);
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS credentials document for role '%s' is malformed "
                                   "(not JSON, a missing or invalid field, or a bad Expiration)",
                                   op->creds.role);
                        break;
                }
                op->creds = parsed;
                op->creds.role = TAKE_PTR(role);
                if (r == IMDS_DOCUMENT_ERROR) {
                        /* IMDS troubleshooting: AssumeRoleUnauthorizedAccess means the role's
                         * trust policy does not allow ec2.amazonaws.com to assume it. */
                        bool trust = streq(op->creds.code, "AssumeRoleUnauthorizedAccess");

                        (void) free_and_strdup(&op->result.code, op->creds.code);
                        result_set(&op->result, RESULT_CLASS_IMDS_CREDENTIALS_ERROR,
                                   "IMDS could not provide credentials for role '%s': %s%s%s%s",
                                   op->creds.role, op->creds.code,
                                   op->creds.message ? ": " : "", strempty(op->creds.message),
                                   trust ? " (the role's trust policy does not allow "
                                           "ec2.amazonaws.com to assume it)"
                                         : "");
                }
                break;
        }

        case IMDS_STEP_IDENTITY:
                r = imds_parse_identity(resp->body, resp->body_size, &op->identity);
                if (r < 0)
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS instance identity document is malformed");
                else if (op->kind == IMDS_OP_CHECK)
                        op->health.get_ok = true;
                break;

        case IMDS_STEP_TAG:
        case IMDS_STEP_HOSTNAME:
                r = imds_parse_tag_value(resp->body, resp->body_size, &op->tag_value);
                if (r < 0 && op->step == IMDS_STEP_TAG)
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS instance tag '%s' has a value that is not a single line "
                                   "of printable text of at most %u bytes", op->tag_key,
                                   IMDS_TAG_VALUE_MAX);
                else if (r < 0)
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS %s is not a single line of printable text of at most "
                                   "%u bytes", IMDS_HOSTNAME_PATH, IMDS_TAG_VALUE_MAX);
                break;

        case IMDS_STEP_INFO:
                r = imds_parse_info(resp->body, resp->body_size, &op->info);
                if (r < 0)
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS iam/info document is malformed");
                else if (r == IMDS_DOCUMENT_ERROR) {
                        (void) free_and_strdup(&op->result.code, op->info.code);
                        result_set(&op->result, RESULT_CLASS_IMDS_NO_ROLE,
                                   "IMDS reports no usable instance profile: %s%s%s",
                                   op->info.code, op->info.message ? ": " : "",
                                   strempty(op->info.message));
                }
                break;
        }
        op_finish(op);
}

static void op_on_done(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        ImdsOperation *op = userdata;
        ImdsClient *c = op->client;

        op->req = NULL;
        op->result.http_status = resp->status;
        op->result.transport = resp->transport;
        if (op->kind == IMDS_OP_CHECK && resp->transport == HTTP_TRANSPORT_OK) {
                op->health.reachable = true;
                op->health.get_latency = resp->timing.total;
        }

        if (resp->transport != HTTP_TRANSPORT_OK)
                return op_get_failed_transport(op, resp);

        switch (resp->status) {
        case 200:
                return op_got_body(op, resp);
        case 401:
                return op_got_401(op);
        case 403:
                result_set(&op->result, RESULT_CLASS_IMDS_TOKEN_REFUSED,
                           "IMDS at %s refused GET %s%s (HTTP 403): the request is not allowed "
                           "or IMDS is turned off", c->endpoint, step_path(op->step),
                           step_role(op));
                break;
        case 404:
                if (op->step == IMDS_STEP_ROLE)
                        result_set(&op->result, RESULT_CLASS_IMDS_NO_ROLE,
                                   "No IAM role is attached to this instance (IMDS %s: 404): "
                                   "attach an instance profile with a role", IMDS_ROLE_PATH);
                else if (op->step == IMDS_STEP_CREDENTIALS)
                        result_set(&op->result, RESULT_CLASS_IMDS_NO_ROLE,
                                   "IMDS has no credentials for role '%s' (404): the instance "
                                   "profile changed", op->creds.role);
                else if (op->step == IMDS_STEP_TAG || op->step == IMDS_STEP_HOSTNAME)
                        ; /* No such tag, or instance tags are not exposed in IMDS: no value. */
                else if (op->step == IMDS_STEP_INFO)
                        result_set(&op->result, RESULT_CLASS_IMDS_NO_ROLE,
                                   "No instance profile is attached to this instance (IMDS %s: "
                                   "404)", IMDS_INFO_PATH);
                else
                        result_set(&op->result, RESULT_CLASS_BAD_RESPONSE,
                                   "IMDS at %s has no %s (404)", c->endpoint, step_path(op->step));
                break;
        default:
                status_classify(c, resp->status, "metadata request", &op->result);
        }
        op_finish(op);
}

static int client_on_defer(sd_event_source *s, void *userdata)
{
        ImdsClient *c = userdata;
        ImdsOperation *op = c->done;

        if (!op)
                return 0;
        op_list_remove(&c->done, &c->done_tail, op);
        op->queued = false;
        op->client = NULL;
        if (c->done)
                (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);

        /* Last thing touching @c: the callback may free the client. */
        switch (op->kind) {
        case IMDS_OP_CREDENTIALS:
                op->callback.credentials(c, &op->result, &op->creds, op->userdata);
                break;
        case IMDS_OP_IDENTITY:
                op->callback.identity(c, &op->result, &op->identity, op->userdata);
                break;
        case IMDS_OP_INFO:
                op->callback.info(c, &op->result, &op->info, op->userdata);
                break;
        case IMDS_OP_CHECK:
                op->callback.health(c, &op->result, &op->health, &op->identity, op->userdata);
                break;
        case IMDS_OP_TAG:
        case IMDS_OP_HOSTNAME:
                op->callback.tag(c, &op->result, op->tag_value, op->userdata);
                break;
        }
        op_free(op);
        return 0;
}

static int op_start(ImdsClient *c, ImdsOpKind kind, const char *tag_key, void *callback,
                    void *userdata, ImdsOperation **ret)
{
        ImdsOperation *op;
        int r;

        if (!c || !callback)
                return -EINVAL;

        op = calloc(1, sizeof(ImdsOperation));
        if (!op)
                return -ENOMEM;
        op->client = c;
        op->kind = kind;
        op->started = now_usec(CLOCK_MONOTONIC);
        op->userdata = userdata;
        if (tag_key) {
                op->tag_key = strdup(tag_key);
                if (!op->tag_key) {
                        free(op);
                        return -ENOMEM;
                }
        }
        switch (kind) {
        case IMDS_OP_CREDENTIALS:
                op->step = IMDS_STEP_ROLE;
                op->callback.credentials = (ImdsCredentialsCallback) callback;
                break;
        case IMDS_OP_IDENTITY:
                op->step = IMDS_STEP_IDENTITY;
                op->callback.identity = (ImdsIdentityCallback) callback;
                break;
        case IMDS_OP_INFO:
                op->step = IMDS_STEP_INFO;
                op->callback.info = (ImdsInfoCallback) callback;
                break;
        case IMDS_OP_CHECK:
                op->step = IMDS_STEP_IDENTITY;
                op->fresh_token = true;
                op->callback.health = (ImdsHealthCallback) callback;
                break;
        case IMDS_OP_TAG:
                op->step = IMDS_STEP_TAG;
                op->callback.tag = (ImdsTagCallback) callback;
                break;
        case IMDS_OP_HOSTNAME:
                op->step = IMDS_STEP_HOSTNAME;
                op->callback.tag = (ImdsTagCallback) callback;
                break;
        }
        op->next = c->ops;
        if (c->ops)
                c->ops->prev = op;
        c->ops = op;

        /* Failing to start the first request is the one synchronous error: no callback then. */
        r = op_need_token(op);
        if (r < 0) {
                op_free(op);
                return r;
        }

        if (ret)
                *ret = op;
        return 0;
}

int imds_fetch_credentials(ImdsClient *c, ImdsCredentialsCallback callback, void *userdata,
                           ImdsOperation **ret)
{
        return op_start(c, IMDS_OP_CREDENTIALS, NULL, (void *) callback, userdata, ret);
}

int imds_fetch_identity(ImdsClient *c, ImdsIdentityCallback callback, void *userdata,
                        ImdsOperation **ret)
{
        return op_start(c, IMDS_OP_IDENTITY, NULL, (void *) callback, userdata, ret);
}

int imds_fetch_info(ImdsClient *c, ImdsInfoCallback callback, void *userdata, ImdsOperation **ret)
{
        return op_start(c, IMDS_OP_INFO, NULL, (void *) callback, userdata, ret);
}

const char *imds_client_get_endpoint(const ImdsClient *c)
{
        return c->endpoint;
}

int imds_check(ImdsClient *c, ImdsHealthCallback callback, void *userdata, ImdsOperation **ret)
{
        return op_start(c, IMDS_OP_CHECK, NULL, (void *) callback, userdata, ret);
}

int imds_fetch_tag(ImdsClient *c, const char *key, ImdsTagCallback callback, void *userdata,
                   ImdsOperation **ret)
{
        if (!imds_tag_key_is_valid(key))
                return -EINVAL;
        return op_start(c, IMDS_OP_TAG, key, (void *) callback, userdata, ret);
}

int imds_fetch_hostname(ImdsClient *c, ImdsTagCallback callback, void *userdata,
                        ImdsOperation **ret)
{
        return op_start(c, IMDS_OP_HOSTNAME, NULL, (void *) callback, userdata, ret);
}

ImdsOperation *imds_operation_cancel(ImdsOperation *op)
{
        /* client == NULL: the callback is running, the dispatcher frees the operation. */
        if (op && op->client)
                op_free(op);
        return NULL;
}

int imds_client_new(sd_event *event, HttpClient *http, const ImdsOptions *opts, ImdsClient **ret)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        const char *endpoint = opts && opts->endpoint ? opts->endpoint : IMDS_DEFAULT_ENDPOINT;
        size_t n;
        int r;

        if (!event || !http || !ret)
                return -EINVAL;
        if (!(strncmp(endpoint, "http://", 7) == 0 || strncmp(endpoint, "https://", 8) == 0) ||
            string_has_cc(endpoint, NULL) || strchr(endpoint, ' '))
                return -EINVAL;
        if (opts && opts->token_ttl_sec > IMDS_MAX_TOKEN_TTL_SEC)
                return -EINVAL;

        c = calloc(1, sizeof(ImdsClient));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->http = http;
        c->timeout = opts && opts->timeout ? opts->timeout : IMDS_DEFAULT_TIMEOUT;
        c->token_ttl_sec = opts && opts->token_ttl_sec ? opts->token_ttl_sec
                                                       : IMDS_DEFAULT_TOKEN_TTL_SEC;
        c->allow_v1 = opts && opts->allow_v1;

        n = strlen(endpoint);
        while (n > 0 && endpoint[n - 1] == '/')
                n--;
        c->endpoint = strndup(endpoint, n);
        if (!c->endpoint)
                return -ENOMEM;

        r = sd_event_add_defer(event, &c->defer, client_on_defer, c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->defer, "imds-dispatch");

        *ret = TAKE_PTR(c);
        return 0;
}

ImdsClient *imds_client_free(ImdsClient *c)
{
        if (!c)
                return NULL;
        while (c->ops)
                op_free(c->ops);
        while (c->done)
                op_free(c->done);
        c->token_req = http_request_cancel(c->token_req);
        token_drop(c);
        sd_event_source_disable_unref(c->defer);
        sd_event_unref(c->event);
        free(c->endpoint);
        free(c);
        return NULL;
}
