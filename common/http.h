#pragma once
/* SPDX-License-Identifier: MIT */
/* http.h: the one HTTP client of cwguard — libcurl multi driven by an sd-event loop. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "common/util.h"

typedef struct HttpClient HttpClient;
typedef struct HttpRequest HttpRequest;

/*
 * How an exchange ended at the transport level. HTTP_TRANSPORT_OK means a complete HTTP response
 * arrived, whatever its status: a 403 or a 503 is data, not a transport failure.
 */
typedef enum HttpTransport {
        HTTP_TRANSPORT_OK,
        HTTP_TRANSPORT_DNS,          /* name did not resolve */
        HTTP_TRANSPORT_CONNECT,      /* TCP connect refused or host/network unreachable */
        HTTP_TRANSPORT_RESET,        /* connection reset/closed after connecting, before a response */
        HTTP_TRANSPORT_TIMEOUT,      /* connect or response did not finish in time (see .connected) */
        HTTP_TRANSPORT_TLS,          /* handshake failed, certificate not trusted or wrong name */
        HTTP_TRANSPORT_PROXY,        /* the proxy could not be reached or refused the tunnel */
        HTTP_TRANSPORT_TOO_LARGE,    /* the body exceeded the size cap; the request was aborted */
        HTTP_TRANSPORT_BAD_RESPONSE, /* not HTTP, bad framing or content encoding */
        HTTP_TRANSPORT_OTHER,        /* anything else libcurl reports (see .error) */
        _HTTP_TRANSPORT_MAX,
        _HTTP_TRANSPORT_INVALID = -EINVAL,
} HttpTransport;

/**
 * http_transport_to_string() - stable name of a transport outcome ("ok", "dns", "connect", ...).
 */
const char *http_transport_to_string(HttpTransport t) _const_;
HttpTransport http_transport_from_string(const char *s) _pure_;

/* Offsets from the start of the transfer, as libcurl measures them (0 = phase did not happen). */
typedef struct HttpTiming {
        usec_t dns;        /* name resolved */
        usec_t connect;    /* TCP connected */
        usec_t tls;        /* TLS handshake done (0 for plain http) */
        usec_t first_byte; /* first response byte */
        usec_t total;      /* transfer done */
} HttpTiming;

typedef struct HttpHeader {
        char *name;
        char *value;
} HttpHeader;

typedef struct HttpResponse {
        HttpTransport transport;
        char *error;            /* libcurl's detail text for a transport failure, else NULL */
        long status;            /* HTTP status, 0 if no response arrived */

        HttpHeader *headers;    /* every header of the final response, in order */
        size_t n_headers;
        char *date;             /* Date */
        char *request_id;       /* x-amzn-RequestId, else x-amz-request-id */
        char *query_error;      /* x-amzn-query-error */
        char *content_type;     /* Content-Type */

        char *body;             /* NUL-terminated (embedded NULs possible: use body_size) */
        size_t body_size;

        bool connected;         /* a TCP connection was established (or reused) */
        bool reused;            /* the request went over an existing keep-alive connection */
        char *remote_ip;        /* the address connected to, if any */
        HttpTiming timing;
} HttpResponse;

/**
 * http_response_header() - look up a header of @r by name, case-insensitively.
 *
 * Return: the value of the first such header, or NULL.
 */
const char *http_response_header(const HttpResponse *r, const char *name);

typedef struct HttpClientOptions {
        const char *ca_bundle;     /* PEM file of trusted CAs; NULL: system default */
        const char *proxy;         /* e.g. "http://proxy:3128"; NULL: HTTPS_PROXY/https_proxy env */
        const char *no_proxy;      /* NULL: NO_PROXY/no_proxy env */
        const char *user_agent;    /* NULL: "cwguard/<version>" */
        usec_t default_timeout;    /* 0: 5 s */
        size_t default_max_body;   /* 0: 1 MiB */
        usec_t max_idle;           /* reuse a connection idle this long (whole seconds); 0:
                                    * libcurl's 118 s. The heartbeat's host is used once per
                                    * heartbeat: a longer idle keeps it warm (if the server
                                    * does too) instead of a TLS handshake every time */
} HttpClientOptions;

/**
 * http_client_new() - create a client whose transfers run on @event.
 * @event: the loop; the client takes a reference.
 * @opts: options, may be NULL for defaults. Strings are copied.
 * @ret: the client.
 *
 * TLS peer and host verification are always on; there is no option to turn them off.
 * Connections are kept alive and reused across requests to the same host.
 *
 * Return: 0 or a negative errno.
 */
int http_client_new(sd_event *event, const HttpClientOptions *opts, HttpClient **ret);

/**
 * http_client_free() - cancel every in-flight request (their callbacks are not called) and free.
 *
 * Return: NULL.
 */
HttpClient *http_client_free(HttpClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpClient *, http_client_free);

/**
 * http_client_get_event() - the event loop the client runs on (no reference is taken).
 */
sd_event *http_client_get_event(const HttpClient *c);

/**
 * http_client_n_active() - number of requests started and not yet completed or cancelled.
 */
unsigned http_client_n_active(const HttpClient *c);

/**
 * http_client_run_until_idle() - dispatch the loop until no request is in flight.
 * @c: the client.
 * @timeout: give up after this long (USEC_INFINITY: never).
 *
 * For one-shot programs and tests; the daemon never calls this.
 *
 * Return: 0 when idle, -ETIMEDOUT, or a negative errno from sd-event.
 */
int http_client_run_until_idle(HttpClient *c, usec_t timeout);

typedef struct HttpClientStats {
        uint64_t n_requests;     /* requests completed (any outcome) */
        uint64_t n_connects;     /* new TCP connections made */
} HttpClientStats;

void http_client_get_stats(const HttpClient *c, HttpClientStats *ret);

typedef struct HttpRequestOptions {
        const char *method;        /* "GET", "PUT", "POST", "HEAD" */
        const char *url;
        char *const *headers;      /* NULL-terminated "Name: value" strings, may be NULL */
        const void *body;          /* copied; may be NULL */
        size_t body_size;
        usec_t timeout;            /* whole transfer; 0: client default */
        usec_t connect_timeout;    /* 0: same as timeout */
        size_t max_body;           /* 0: client default; larger bodies end as TOO_LARGE */
        bool direct;               /* never use a proxy (IMDS is link-local) */
        bool fresh_connect;        /* open a new connection even if one could be reused */
        bool connect_only;         /* resolve, connect and handshake TLS, send nothing */
} HttpRequestOptions;

/*
 * Called once when the request completes (any outcome). @resp is owned by the client and valid
 * only during the call; the callback may steal its strings (e.g. TAKE_PTR(resp->body)). The
 * request is freed right after the callback returns: do not keep the HttpRequest pointer.
 */
typedef void (*HttpCallback)(HttpRequest *req, HttpResponse *resp, void *userdata);

/**
 * http_request_start() - start a request; never blocks.
 * @c: the client.
 * @opts: what to send; everything is copied.
 * @callback: called on completion from the event loop (never from inside this function).
 * @userdata: passed to @callback.
 * @ret: optional handle, valid until @callback runs, for http_request_cancel().
 *
 * Return: 0, or a negative errno if the request could not be started (no callback then).
 */
int http_request_start(HttpClient *c, const HttpRequestOptions *opts, HttpCallback callback,
                       void *userdata, HttpRequest **ret);

/**
 * http_request_cancel() - abort an in-flight request; its callback is not called.
 *
 * Return: NULL.
 */
HttpRequest *http_request_cancel(HttpRequest *r);

/**
 * http_response_done() - free what a response owns (used by the client and by tests).
 */
void http_response_done(HttpResponse *r);
