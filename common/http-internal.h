#pragma once
/* SPDX-License-Identifier: MIT */
/* http-internal.h: what the HTTP client's files (http.c, http-glue.c, http-response.c) share;
 * private to libcwg-common and its tests, not part of http.h. */

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "common/http.h"

/* Far above anything AWS or IMDS send; a peer that streams more is not an AWS endpoint. */
#define HTTP_MAX_HEADER_BYTES ((size_t) 64 * 1024)
/* Header fields kept per response. AWS and IMDS send a dozen or two; the byte cap alone would
 * still allow some 16k tiny fields, each one a lookup step for every http_response_header(). */
#define HTTP_MAX_HEADERS 256

/* One io source per socket libcurl wants watched; defined in http-glue.c. */
typedef struct SocketWatch SocketWatch;

typedef enum RequestState {
        REQUEST_RUNNING,     /* attached to the multi handle, on client->running */
        REQUEST_DONE,        /* detached from curl, on client->done, callback pending */
        REQUEST_DISPATCHING, /* on no list, its callback is running */
} RequestState;

typedef enum RequestAbort {
        REQUEST_ABORT_NONE,
        REQUEST_ABORT_BODY_TOO_LARGE,
        REQUEST_ABORT_HEADERS_TOO_LARGE,
        REQUEST_ABORT_TOO_MANY_HEADERS,
        REQUEST_ABORT_OOM,
} RequestAbort;

struct HttpClient {
        sd_event *event;
        CURLM *multi;              /* owned by the glue (http-glue.c) */
        sd_event_source *timer;    /* curl's single timeout */
        sd_event_source *dispatch; /* delivers queued completions, one per loop iteration */

        char *ca_bundle;
        char *proxy;
        char *no_proxy;
        char *user_agent;
        usec_t default_timeout;
        size_t default_max_body;
        usec_t max_idle;

        HttpRequest *running;
        HttpRequest *done, *done_tail; /* FIFO, so callbacks come in completion order */
        SocketWatch *watches;
        unsigned n_active;
        HttpClientStats stats;
};

struct HttpRequest {
        HttpClient *client; /* NULL once its callback is being dispatched */
        RequestState state;
        HttpRequest *prev, *next;

        CURL *easy;
        struct curl_slist *headers;
        char *body;
        size_t body_size;
        size_t max_body;
        size_t body_allocated;
        size_t header_bytes; /* raw header bytes of the whole exchange, interim responses too */
        bool via_proxy;      /* a proxy applies to this URL (to attribute connect failures) */
        bool via_tunnel;     /* ...and it is reached by CONNECT (https) */
        RequestAbort abort;

        HttpCallback callback;
        void *userdata;
        HttpResponse response;
        char error[CURL_ERROR_SIZE];
};

/* ---- request lists (a client's running and done lists) --------------------------------------- */

static inline void http_request_list_unlink(HttpRequest **head, HttpRequest **tail,
                                            HttpRequest *req)
{
        if (req->prev)
                req->prev->next = req->next;
        else
                *head = req->next;
        if (req->next)
                req->next->prev = req->prev;
        else if (tail)
                *tail = req->prev;
        req->prev = req->next = NULL;
}

static inline void http_request_list_append(HttpRequest **head, HttpRequest **tail,
                                            HttpRequest *req)
{
        req->next = NULL;
        req->prev = *tail;
        if (*tail)
                (*tail)->next = req;
        else
                *head = req;
        *tail = req;
}

static inline void http_request_list_prepend(HttpRequest **head, HttpRequest *req)
{
        req->prev = NULL;
        req->next = *head;
        if (*head)
                (*head)->prev = req;
        *head = req;
}

/* ---- http.c ---------------------------------------------------------------------------------- */

/**
 * http_request_free() - free a request wherever it is in its life; never calls its callback.
 * @req: the request, may be NULL. Detached from its client's multi handle and lists first.
 *
 * Does not touch the client's active count: http_request_cancel() and the dispatcher do.
 *
 * Return: NULL.
 */
HttpRequest *http_request_free(HttpRequest *req);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpRequest *, http_request_free);

/* ---- http-glue.c ----------------------------------------------------------------------------- */

/**
 * http_glue_init() - create the multi handle of @c and tie it to @c's event loop.
 * @c: a client with its event set; ->multi, ->timer and ->dispatch are filled in.
 *
 * The timer and dispatch sources are created disabled and only toggled later, so nothing in
 * curl's callbacks allocates. On failure the half-built state is released by http_glue_done().
 *
 * Return: 0 or a negative errno.
 */
int http_glue_init(HttpClient *c);

/**
 * http_glue_done() - drop the multi handle and every event source of @c.
 * @c: the client; its requests must already be freed. Safe on a half-initialized client.
 */
void http_glue_done(HttpClient *c);

/* ---- http-response.c ------------------------------------------------------------------------- */

/**
 * http_erase_and_free() - wipe @n bytes at @p, then free it.
 * @p: the buffer, may be NULL.
 * @n: its size.
 *
 * Bodies and headers carry IMDS credentials and session tokens: our copies are wiped.
 *
 * Return: NULL.
 */
void *http_erase_and_free(void *p, size_t n);

/**
 * http_response_add_header_line() - take one raw header line as libcurl delivers it.
 * @r: the response being received.
 * @line: the line, usually with its CR LF; not NUL-terminated, may contain any byte.
 * @size: its length.
 * @header_bytes: raw header bytes of the exchange so far (all responses), updated.
 *
 * A status line ("HTTP/...") starts a new response and drops the fields of an interim (1xx)
 * one. "Name: value" becomes a field with name and value trimmed of blanks; a line starting
 * with a blank continues the previous value (obs-fold). Lines without a name or colon, and names
 * with control bytes, are ignored. CR, LF and NUL inside a value become spaces (RFC 9110 §5.5).
 * Stored strings are NUL-terminated. The convenience fields (date, request_id, ...) are filled
 * in by http_response_capture_fields() once the response is complete.
 *
 * Return: 0 (stored, folded or ignored), -EMSGSIZE if the exchange's headers now exceed
 * HTTP_MAX_HEADER_BYTES, -E2BIG if the response would have more than HTTP_MAX_HEADERS
 * fields, -ENOMEM. After an error @r stays consistent but the exchange should be aborted.
 */
int http_response_add_header_line(HttpResponse *r, const char *line, size_t size,
                                  size_t *header_bytes);

/**
 * http_response_capture_fields() - fill date, request_id, query_error and content_type.
 * @r: a response whose header fields are complete.
 *
 * Each is a copy of the first field of that name (x-amzn-RequestId, else x-amz-request-id);
 * fields that are absent leave theirs untouched.
 *
 * Return: 0 or -ENOMEM.
 */
int http_response_capture_fields(HttpResponse *r);

/**
 * http_request_on_header() - CURLOPT_HEADERFUNCTION: feed http_response_add_header_line().
 *
 * Return: @size * @n, or 0 (with req->abort set) to make libcurl fail the transfer.
 */
size_t http_request_on_header(char *buf, size_t size, size_t n, void *userdata);

/**
 * http_request_on_write() - CURLOPT_WRITEFUNCTION: append to the body, up to req->max_body.
 *
 * Return: @size * @n, or 0 (with req->abort set) to make libcurl fail the transfer.
 */
size_t http_request_on_write(char *buf, size_t size, size_t n, void *userdata);

/**
 * http_request_finish() - describe how @req's transfer ended in req->response.
 * @req: a request libcurl reported done, still attached to its client (whose stats it counts).
 * @cc: libcurl's result.
 *
 * Status, timing, peer, transport class and the convenience fields; the body is dropped unless
 * the transport is OK. Running out of memory meanwhile is itself reported as the outcome.
 */
void http_request_finish(HttpRequest *req, CURLcode cc);
