/* SPDX-License-Identifier: MIT */
/*
 * aws-call.c: one AWS API call as the probes and the heartbeat make it. It owns a copy of the
 * credentials (wiped when it ends), signs each attempt with SigV4 at the current (offset-
 * corrected) time, sends it through the shared HttpClient, classifies the reply into an AwsResult
 * and retries transient failures with jittered exponential backoff on an sd-event timer, as the
 * AWS SDKs' "standard" retry mode does. Everything runs on the HttpClient's event loop; nothing
 * blocks. The outcome (class, request id, timing, the last attempt's debug record without
 * secrets) is data handed to one callback.
 */

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/aws-call.h"
#include "common/sigv4.h"

#define BACKOFF_BASE (200 * USEC_PER_MSEC)
#define BACKOFF_CAP (5 * USEC_PER_SEC)
#define DEFAULT_ATTEMPTS 3U

struct AwsCall {
        HttpClient *http;
        AwsCredentials *creds;

        char *endpoint;
        char *host;                  /* the Host header value: "host" or "host:port" */
        char *region;
        char *service;
        char *target;
        AwsProtocol protocol;
        bool query_mode;
        bool fresh_connect;
        void *body;
        size_t body_size;
        usec_t timeout;
        unsigned max_attempts;
        usec_t deadline;
        int64_t clock_offset_sec;

        HttpRequest *request;
        sd_event_source *retry_timer;
        usec_t attempt_start;
        usec_t signing_time;         /* local realtime the attempt was signed at */
        AwsCallOutcome outcome;

        AwsCallCallback callback;
        void *userdata;
};

void aws_call_outcome_done(AwsCallOutcome *o)
{
        if (!o)
                return;
        aws_result_done(&o->result);
        free(o->remote_ip);
        free(o->body);
        aws_call_debug_done(&o->debug);
        free(o->fresh.remote_ip);
        free(o->content_type);
        *o = (AwsCallOutcome) {};
}

void aws_call_debug_done(AwsCallDebug *d)
{
        if (!d)
                return;
        free(d->method);
        free(d->url);
        free(d->signed_headers);
        free(d->canonical_request);
        free(d->string_to_sign);
        strv_free(d->response_headers);
        *d = (AwsCallDebug) {};
}

static int strdup_ptr(const char *s, char **ret)
{
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int aws_call_debug_copy(const AwsCallDebug *d, AwsCallDebug *ret)
{
        _cleanup_(aws_call_debug_done) AwsCallDebug c = { .status = d->status };

        if (strdup_ptr(d->method, &c.method) < 0 || strdup_ptr(d->url, &c.url) < 0 ||
            strdup_ptr(d->signed_headers, &c.signed_headers) < 0 ||
            strdup_ptr(d->canonical_request, &c.canonical_request) < 0 ||
            strdup_ptr(d->string_to_sign, &c.string_to_sign) < 0)
                return -ENOMEM;
        if (d->response_headers && strv_copy(d->response_headers, &c.response_headers) < 0)
                return -ENOMEM;
        *ret = c;
        c = (AwsCallDebug) {};
        return 0;
}

int aws_call_debug_append(AwsCallDebug **v, size_t *n, AwsCallDebug *d)
{
        AwsCallDebug *t = reallocarray(*v, *n + 1, sizeof(AwsCallDebug));

        if (!t)
                return -ENOMEM;
        *v = t;
        t[(*n)++] = *d;
        *d = (AwsCallDebug) {};
        return 0;
}

static AwsCall *aws_call_free(AwsCall *c)
{
        if (!c)
                return NULL;
        if (c->request)
                http_request_cancel(c->request);
        sd_event_source_disable_unref(c->retry_timer);
        aws_credentials_free(c->creds);
        free(c->endpoint);
        free(c->host);
        free(c->region);
        free(c->service);
        free(c->target);
        free(c->body);
        aws_call_outcome_done(&c->outcome);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(AwsCall *, aws_call_free);

AwsCall *aws_call_cancel(AwsCall *call)
{
        return aws_call_free(call);
}

usec_t aws_backoff_delay(unsigned retry, usec_t base, usec_t cap, usec_t retry_after,
                         double random)
{
        usec_t ceiling = base;

        for (unsigned i = 1; i < retry && ceiling < cap; i++)
                ceiling *= 2;
        ceiling = MIN(ceiling, cap);
        if (random < 0 || random >= 1)
                random = 0;
        return MAX((usec_t) ((double) ceiling * random), retry_after);
}

bool aws_region_is_valid(const char *region)
{
        size_t n;

        if (!region)
                return false;
        n = strlen(region);
        return n >= 1 && n <= 32 && strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int aws_endpoint_url_default(const char *service, const char *region, char **ret)
{
        char *url;

        if (!service || !aws_region_is_valid(region))
                return -EINVAL;
        /* The China partition's DNS suffix is amazonaws.com.cn; every other commercial region's
         * is amazonaws.com. STS is regional (botocore's default since 1.40). */
        if (asprintf(&url, "https://%s.%s.amazonaws.com%s", service, region,
                     strncmp(region, "cn-", 3) == 0 ? ".cn" : "") < 0)
                return -ENOMEM;
        *ret = url;
        return 0;
}

int aws_form_escape(char **p, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t old = *p ? strlen(*p) : 0, n = strlen(s);
        char *t, *q;

        t = realloc(*p, old + 3 * n + 1);
        if (!t)
                return -ENOMEM;
        q = t + old;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                    (*c >= '0' && *c <= '9') || strchr("-_.~", *c))
                        *q++ = (char) *c;
                else {
                        *q++ = '%';
                        *q++ = hex[*c >> 4];
                        *q++ = hex[*c & 15];
                }
        }
        *q = 0;
        *p = t;
        return 0;
}

/* The Host header value for an endpoint URL: what curl sends and what we must sign. */
static int endpoint_host(const char *endpoint, char **ret)
{
        _cleanup_free_ char *scheme = NULL, *path = NULL, *query = NULL;
        char *host = NULL, *port = NULL;
        CURLU *u;
        int r = -EINVAL;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                goto finish;
        /* AWS endpoints are https only: credentials never travel in clear text. */
        if (!streq(scheme, "https"))
                goto finish;
        if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && !streq(path, "/"))
                goto finish;
        if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
                goto finish;
        (void) curl_url_get(u, CURLUPART_PORT, &port, 0);

        if (port && !streq(port, "443"))
                r = asprintf(ret, "%s:%s", host, port) < 0 ? -ENOMEM : 0;
        else
                r = (*ret = strdup(host)) ? 0 : -ENOMEM;
finish:
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return r;
}

static void aws_call_finish(AwsCall *c)
{
        c->callback(c, &c->outcome, c->userdata);
        aws_call_free(c);
}

static int aws_call_attempt(AwsCall *c);

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        AwsCall *c = userdata;
        int r;

        c->retry_timer = sd_event_source_disable_unref(c->retry_timer);
        r = aws_call_attempt(c);
        if (r < 0) {
                /* Could not even start (OOM): report the previous attempt's failure. */
                aws_call_finish(c);
        }
        return 0;
}

static void debug_record(AwsCall *c, const HttpResponse *resp)
{
        _cleanup_strv_free_ char **lines = NULL;

        c->outcome.debug.status = resp->status;
        for (size_t i = 0; i < resp->n_headers; i++) {
                _cleanup_free_ char *l = NULL;

                if (asprintf(&l, "%s: %s", resp->headers[i].name, resp->headers[i].value) < 0)
                        return;
                if (strv_extend(&lines, l) < 0)
                        return;
        }
        strv_free(c->outcome.debug.response_headers);
        c->outcome.debug.response_headers = TAKE_PTR(lines);
}

/* Whether @s is set, at most @max bytes, and only printable ASCII (safe to quote anywhere). */
static bool printable_ascii(const char *s, size_t max)
{
        size_t n = 0;

        if (!s)
                return false;
        for (; *s; s++, n++)
                if (n >= max || *s < 0x20 || *s > 0x7e)
                        return false;
        return true;
}

static void on_http_done(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        AwsCall *c = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC), delay;
        int r;

        c->request = NULL;
        c->outcome.attempts++;
        c->outcome.latency = now - c->attempt_start;
        c->outcome.timing = resp->timing;
        c->outcome.reused = resp->reused;
        c->outcome.local_time = now_usec(CLOCK_REALTIME);
        if (!resp->date || http_date_parse(resp->date, &c->outcome.server_time) < 0)
                c->outcome.server_time = 0;
        free_and_strdup(&c->outcome.remote_ip, resp->remote_ip);
        c->outcome.content_type = mfree(c->outcome.content_type);
        if (printable_ascii(resp->content_type, 128))
                c->outcome.content_type = strdup(resp->content_type);
        if (resp->status > 0 && !resp->reused) {
                c->outcome.fresh.made = true;
                c->outcome.fresh.timing = resp->timing;
                c->outcome.fresh.at = c->outcome.local_time;
                free_and_strdup(&c->outcome.fresh.remote_ip, resp->remote_ip);
        }
        debug_record(c, resp);

        aws_result_done(&c->outcome.result);
        r = aws_result_from_response_at(resp, c->protocol, c->signing_time, &c->outcome.result);
        if (r < 0) {
                /* Only OOM gets here; report it as a response we could not digest. */
                c->outcome.result.class = RESULT_CLASS_BAD_RESPONSE;
                c->outcome.result.http_status = resp->status;
        }

        if (c->outcome.result.class == RESULT_CLASS_OK) {
                c->outcome.body = TAKE_PTR(resp->body);
                c->outcome.body_size = resp->body_size;
                return aws_call_finish(c);
        }

        if (!c->outcome.result.transient || c->outcome.attempts >= c->max_attempts)
                return aws_call_finish(c);

        delay = aws_backoff_delay(c->outcome.attempts, BACKOFF_BASE, BACKOFF_CAP,
                                  c->outcome.result.retry_after, random_unit());
        /* A round never outlasts its interval: no retry that would start after the deadline. */
        if (c->deadline > 0 && now + delay >= c->deadline)
                return aws_call_finish(c);

        r = sd_event_add_time_relative(http_client_get_event(c->http), &c->retry_timer,
                                       CLOCK_MONOTONIC, delay, 10 * USEC_PER_MSEC,
                                       on_retry_timer, c);
        if (r < 0)
                return aws_call_finish(c);
}

static int aws_call_attempt(AwsCall *c)
{
        _cleanup_(sigv4_signature_done) Sigv4Signature sig = {};
        _cleanup_strv_free_ char **headers = NULL, **all = NULL;
        _cleanup_free_ char *host_header = NULL, *target_header = NULL;
        const char *content_type;
        int64_t now_sec;
        usec_t now;
        int r;

        if (asprintf(&host_header, "Host: %s", c->host) < 0)
                return -ENOMEM;
        switch (c->protocol) {
        case AWS_PROTOCOL_QUERY:
                content_type = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
                break;
        case AWS_PROTOCOL_JSON10:
                content_type = "Content-Type: application/x-amz-json-1.0";
                break;
        default:
                content_type = "Content-Type: application/x-amz-json-1.1";
                break;
        }
        if (strv_extend(&headers, host_header) < 0 || strv_extend(&headers, content_type) < 0)
                return -ENOMEM;
        if (c->target) {
                if (asprintf(&target_header, "X-Amz-Target: %s", c->target) < 0)
                        return -ENOMEM;
                if (strv_extend(&headers, target_header) < 0)
                        return -ENOMEM;
        }
        if (c->query_mode && strv_extend(&headers, "x-amzn-query-mode: true") < 0)
                return -ENOMEM;

        /* Sign at the local clock corrected by the offset measured from AWS's Date header. */
        now = now_usec(CLOCK_REALTIME);
        c->signing_time = now;
        now_sec = (int64_t) (now / USEC_PER_SEC) + c->clock_offset_sec;
        if (now_sec < 0)
                now_sec = 0;
        r = sigv4_sign(&(Sigv4Request) {
                               .method = "POST",
                               .path = "/",
                               .headers = headers,
                               .body = c->body,
                               .body_size = c->body_size,
                       },
                       &(Sigv4Params) {
                               .region = c->region,
                               .service = c->service,
                               .time = (usec_t) now_sec * USEC_PER_SEC,
                       },
                       c->creds->access_key_id, c->creds->secret_access_key,
                       c->creds->session_token, &sig);
        if (r < 0)
                return r;

        r = strv_copy(headers, &all);
        if (r < 0)
                return r;
        STRV_FOREACH(h, sig.headers) {
                r = strv_extend(&all, *h);
                if (r < 0)
                        return r;
        }

        /* The debug record keeps the redacted canonical request only: no token, no signature
         * key. The signature itself is in the Authorization header, which is not recorded. */
        if (free_and_strdup(&c->outcome.debug.method, "POST") < 0 ||
            free_and_strdup(&c->outcome.debug.url, c->endpoint) < 0 ||
            free_and_strdup(&c->outcome.debug.signed_headers, sig.signed_headers) < 0 ||
            free_and_strdup(&c->outcome.debug.canonical_request,
                            sig.canonical_request_redacted) < 0 ||
            free_and_strdup(&c->outcome.debug.string_to_sign, sig.string_to_sign) < 0)
                return -ENOMEM;

        c->attempt_start = now_usec(CLOCK_MONOTONIC);
        r = http_request_start(c->http,
                               &(HttpRequestOptions) {
                                       .method = "POST",
                                       .url = c->endpoint,
                                       .headers = all,
                                       .body = c->body,
                                       .body_size = c->body_size,
                                       .timeout = c->timeout,
                                       .fresh_connect = c->fresh_connect && c->outcome.attempts == 0,
                               },
                               on_http_done, c, &c->request);
        /* The header vector holds the Authorization and token lines: wipe before freeing. */
        STRV_FOREACH(h, all)
                OPENSSL_cleanse(*h, strlen(*h));
        return r;
}

int aws_call_start(HttpClient *http, const AwsCredentials *creds, const AwsCallOptions *opts,
                   AwsCallCallback callback, void *userdata, AwsCall **ret)
{
        _cleanup_(aws_call_freep) AwsCall *c = NULL;
        int r;

        if (!http || !creds || !opts || !callback || !opts->endpoint || !opts->region ||
            !opts->service || opts->protocol < 0 || opts->protocol >= _AWS_PROTOCOL_MAX ||
            (opts->protocol != AWS_PROTOCOL_QUERY && !opts->target) ||
            !creds->access_key_id || !creds->secret_access_key)
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->http = http;
        c->protocol = opts->protocol;
        c->query_mode = opts->query_mode;
        c->fresh_connect = opts->fresh_connect;
        c->timeout = opts->timeout;
        c->max_attempts = opts->max_attempts ?: DEFAULT_ATTEMPTS;
        c->deadline = opts->deadline;
        c->clock_offset_sec = opts->clock_offset_sec;
        c->callback = callback;
        c->userdata = userdata;

        r = endpoint_host(opts->endpoint, &c->host);
        if (r < 0)
                return r;
        if (free_and_strdup(&c->endpoint, opts->endpoint) < 0 ||
            free_and_strdup(&c->region, opts->region) < 0 ||
            free_and_strdup(&c->service, opts->service) < 0 ||
            free_and_strdup(&c->target, opts->target) < 0)
                return -ENOMEM;
        if (opts->body_size > 0) {
                c->body = malloc(opts->body_size);
                if (!c->body)
                        return -ENOMEM;
                memcpy(c->body, opts->body, opts->body_size);
                c->body_size = opts->body_size;
        }
        r = aws_credentials_copy(creds, &c->creds);
        if (r < 0)
                return r;

        r = aws_call_attempt(c);
        if (r < 0)
                return r;

        if (ret)
                *ret = c;
        TAKE_PTR(c);
        return 0;
}
