#pragma once
/* SPDX-License-Identifier: MIT */
/* aws-call.h: one signed AWS API call on the event loop — sign, send, classify, retry. */

#include <stdbool.h>
#include <stdint.h>

#include "common/aws-error.h"
#include "common/credentials.h"
#include "common/http.h"
#include "common/util.h"

typedef struct AwsCall AwsCall;

typedef struct AwsCallOptions {
        const char *endpoint;        /* "https://sts.us-east-1.amazonaws.com"; no path, no query */
        const char *region;          /* signing region */
        const char *service;         /* signing name: "sts", "monitoring", "logs" */
        AwsProtocol protocol;        /* query: form POST; json10/json11: X-Amz-Target POST */
        const char *target;          /* X-Amz-Target for the JSON protocols, NULL for query */
        bool query_mode;             /* add "x-amzn-query-mode: true" (CloudWatch JSON 1.0) */
        const void *body;            /* form-encoded or JSON; copied */
        size_t body_size;
        usec_t timeout;              /* per attempt; 0: the HTTP client's default */
        unsigned max_attempts;       /* 0: 3. Only transient failures are retried */
        usec_t deadline;             /* CLOCK_MONOTONIC µs after which no retry starts; 0: none */
        int64_t clock_offset_sec;    /* added to the local clock for the signing time */
        bool fresh_connect;          /* do not reuse a keep-alive connection */
} AwsCallOptions;

/* What an operator needs to compare an attempt with CloudTrail or AWS support. No secrets. */
typedef struct AwsCallDebug {
        char *method;
        char *url;
        char *signed_headers;
        char *canonical_request;     /* with the session token redacted */
        char *string_to_sign;
        long status;
        char **response_headers;     /* "Name: value" lines of the final response */
} AwsCallDebug;

/* A connection an attempt opened and got an HTTP answer over: what a fresh DNS/TCP/TLS check
 * of the endpoint would have measured, so a round can take it instead of making one. */
typedef struct AwsCallConnection {
        bool made;                   /* false: every attempt went over a warm connection, or
                                      * none got an answer */
        HttpTiming timing;           /* offsets from the start of that attempt */
        char *remote_ip;
        usec_t at;                   /* realtime µs of the answer */
} AwsCallConnection;

typedef struct AwsCallOutcome {
        AwsResult result;            /* class ok, or the classified failure of the last attempt */
        unsigned attempts;
        usec_t latency;              /* of the last attempt */
        HttpTiming timing;           /* of the last attempt */
        bool reused;                 /* the last attempt went over a warm connection */
        char *remote_ip;
        usec_t server_time;          /* realtime µs of the last response's Date header, 0: none */
        usec_t local_time;           /* realtime µs when that response arrived */
        char *body;                  /* success body (NUL-terminated), NULL on failure */
        size_t body_size;
        AwsCallDebug debug;          /* of the last attempt */
        AwsCallConnection fresh;     /* the newest attempt that opened a connection, if any */
        char *content_type;          /* of the last response, if printable ASCII (≤ 128 bytes) */
} AwsCallOutcome;

/**
 * aws_call_debug_done() - free what @d owns and reset it (idempotent).
 */
void aws_call_debug_done(AwsCallDebug *d);

/**
 * aws_call_debug_copy() - a deep copy of @d.
 * @d: the record.
 * @ret: the copy (aws_call_debug_done()); untouched on failure.
 *
 * Return: 0 or -ENOMEM.
 */
int aws_call_debug_copy(const AwsCallDebug *d, AwsCallDebug *ret);

/**
 * aws_call_debug_append() - move @d to the end of the vector @v of @n records.
 * @v: the vector (realloc'ed).
 * @n: its length.
 * @d: the record; reset once moved, left as it is on failure.
 *
 * Return: 0 or -ENOMEM.
 */
int aws_call_debug_append(AwsCallDebug **v, size_t *n, AwsCallDebug *d);

/**
 * aws_call_outcome_done() - free what @o owns and reset it (idempotent).
 */
void aws_call_outcome_done(AwsCallOutcome *o);

/*
 * Called once when the call is finished (after the last attempt). @outcome is owned by the call
 * and valid during the callback only; fields may be stolen with TAKE_PTR. The call is freed right
 * after the callback returns.
 */
typedef void (*AwsCallCallback)(AwsCall *call, AwsCallOutcome *outcome, void *userdata);

/**
 * aws_call_start() - sign and send an AWS API request; never blocks.
 * @http: the client (its event loop runs the retries' timers too).
 * @creds: the credentials to sign with; copied (and wiped when the call ends).
 * @opts: the request; strings and body are copied.
 * @callback: called once from the event loop when the call is finished.
 * @userdata: for @callback.
 * @ret: optional handle, valid until @callback runs, for aws_call_cancel().
 *
 * Transient failures (throttling, 5xx, timeouts, resets) are retried with "full jitter"
 * exponential backoff (base 200 ms, cap 5 s, honouring Retry-After), at most
 * @opts->max_attempts attempts and never starting after @opts->deadline. Every attempt is signed
 * afresh, so a clock offset learned in between is not applied mid-call, but the signing time is
 * always current.
 *
 * Return: 0, -EINVAL for bad options (no endpoint, non-https endpoint, …), -ENOMEM.
 */
int aws_call_start(HttpClient *http, const AwsCredentials *creds, const AwsCallOptions *opts,
                   AwsCallCallback callback, void *userdata, AwsCall **ret);

/**
 * aws_call_cancel() - abort a call; its callback is not called.
 *
 * Return: NULL.
 */
AwsCall *aws_call_cancel(AwsCall *call);

/**
 * aws_backoff_delay() - the delay before retry number @retry (1-based): a uniformly random
 * value in [0, min(cap, base * 2^(retry-1))], at least @retry_after when that is set.
 * @random: a value in [0, 1) supplied by the caller (tests pass fixed values).
 */
usec_t aws_backoff_delay(unsigned retry, usec_t base, usec_t cap, usec_t retry_after,
                         double random) _const_;

/**
 * aws_region_is_valid() - whether @region looks like a region name: 1 to 32 of [a-z0-9-].
 */
bool aws_region_is_valid(const char *region) _pure_;

/**
 * aws_endpoint_url_default() - the regional endpoint of a service: https://<service>.<region>.
 * amazonaws.com (".amazonaws.com.cn" for cn-* regions).
 * @service: the endpoint prefix: "monitoring", "logs", "sts".
 * @region: the region.
 * @ret: the URL, to free().
 *
 * Return: 0; -EINVAL for a missing service or an invalid region; -ENOMEM.
 */
int aws_endpoint_url_default(const char *service, const char *region, char **ret);

/**
 * aws_form_escape() - append @s to *@p percent-encoded for an x-www-form-urlencoded body
 * (RFC 3986 unreserved characters kept, everything else %XX), as botocore's query serializer.
 *
 * Return: 0 or -ENOMEM.
 */
int aws_form_escape(char **p, const char *s);
