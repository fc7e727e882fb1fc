/* SPDX-License-Identifier: MIT */
/*
 * http-response.c: how an HttpResponse is filled. libcurl hands us the response a piece at a time
 * (one header line, one body chunk per callback) and a CURLcode at the end; this file turns those
 * into data: header fields split and trimmed, the Date/request-id/query-error/Content-Type fields
 * captured, the body capped, and the CURLcode classified into an HttpTransport. The header-line
 * parser is a pure function (no curl, no loop) so the fuzzer and the unit tests drive it directly.
 * It runs on the loop's thread, from inside libcurl's callbacks, and must never block or log.
 *
 * Deliberate limits: headers are capped at HTTP_MAX_HEADER_BYTES per exchange and HTTP_MAX_HEADERS
 * fields per response, bodies at the request's max_body; exceeding either aborts the transfer
 * as HTTP_TRANSPORT_TOO_LARGE rather than truncating what a caller might act on.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/http-internal.h"
#include "common/http.h"

static const char *const http_transport_table[_HTTP_TRANSPORT_MAX] = {
        [HTTP_TRANSPORT_OK] = "ok",
        [HTTP_TRANSPORT_DNS] = "dns",
        [HTTP_TRANSPORT_CONNECT] = "connect",
        [HTTP_TRANSPORT_RESET] = "reset",
        [HTTP_TRANSPORT_TIMEOUT] = "timeout",
        [HTTP_TRANSPORT_TLS] = "tls",
        [HTTP_TRANSPORT_PROXY] = "proxy",
        [HTTP_TRANSPORT_TOO_LARGE] = "too-large",
        [HTTP_TRANSPORT_BAD_RESPONSE] = "bad-response",
        [HTTP_TRANSPORT_OTHER] = "other",
};

DEFINE_STRING_TABLE_LOOKUP(http_transport, HttpTransport, _HTTP_TRANSPORT_MAX);

void *http_erase_and_free(void *p, size_t n)
{
        if (p) {
                explicit_bzero(p, n);
                free(p);
        }
        return NULL;
}

static void response_drop_headers(HttpResponse *resp)
{
        for (size_t i = 0; i < resp->n_headers; i++) {
                free(resp->headers[i].name);
                free(resp->headers[i].value);
        }
        free(resp->headers);
        resp->headers = NULL;
        resp->n_headers = 0;
}

void http_response_done(HttpResponse *resp)
{
        if (!resp)
                return;
        response_drop_headers(resp);
        free(resp->error);
        free(resp->date);
        free(resp->request_id);
        free(resp->query_error);
        free(resp->content_type);
        http_erase_and_free(resp->body, resp->body_size);
        free(resp->remote_ip);
        *resp = (HttpResponse) {};
}

const char *http_response_header(const HttpResponse *resp, const char *name)
{
        if (!resp || !name)
                return NULL;
        for (size_t i = 0; i < resp->n_headers; i++)
                if (strcasecmp(resp->headers[i].name, name) == 0)
                        return resp->headers[i].value;
        return NULL;
}

/* ---- header lines ---------------------------------------------------------------------------- */

/* "A recipient of CR, LF, or NUL within a field value MUST either reject the message or replace
 * each of those characters with SP before further processing" (RFC 9110 §5.5). */
static bool is_value_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* A NUL-terminated copy of p[0..n) without surrounding blanks; CR, LF and NUL become spaces. */
static char *value_dup(const char *p, size_t n)
{
        char *v;

        while (n > 0 && is_value_blank(*p)) {
                p++;
                n--;
        }
        while (n > 0 && is_value_blank(p[n - 1]))
                n--;

        v = malloc(n + 1);
        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                v[i] = p[i] == '\r' || p[i] == '\n' || p[i] == '\0' ? ' ' : p[i];
        v[n] = 0;
        return v;
}

/* A field name is a token (RFC 9110 §5.1). We tolerate blanks around it, as we always did, but
 * one with a CR, LF or NUL inside is no name at all: NULL, and the line is ignored. */
static int name_dup(const char *p, size_t n, char **ret)
{
        while (n > 0 && (*p == ' ' || *p == '\t')) {
                p++;
                n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;

        if (n == 0 || memchr(p, '\r', n) || memchr(p, '\n', n) || memchr(p, '\0', n)) {
                *ret = NULL;
                return 0;
        }
        /* Not strndup(): @p is not NUL-terminated, and strndup() may look for the NUL past @n
         * (ASan's strict_string_checks says so). */
        *ret = malloc(n + 1);
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, p, n);
        (*ret)[n] = 0;
        return 0;
}

/* obs-fold (RFC 7230 §3.2.4): a continuation line extends the previous value by one space. */
static int response_fold_header(HttpResponse *resp, const char *line, size_t n)
{
        _cleanup_free_ char *more = NULL;
        HttpHeader *h;
        size_t a, b;
        char *joined;

        if (resp->n_headers == 0)
                return 0;
        more = value_dup(line, n);
        if (!more)
                return -ENOMEM;
        if (isempty(more))
                return 0;

        h = &resp->headers[resp->n_headers - 1];
        if (isempty(h->value)) {
                /* The fold's space is leading whitespace of the value then, trimmed as such. */
                free(h->value);
                h->value = TAKE_PTR(more);
                return 0;
        }
        a = strlen(h->value);
        b = strlen(more);
        joined = realloc(h->value, a + 1 + b + 1);
        if (!joined)
                return -ENOMEM;
        joined[a] = ' ';
        memcpy(joined + a + 1, more, b + 1);
        h->value = joined;
        return 0;
}

int http_response_add_header_line(HttpResponse *resp, const char *line, size_t size,
                                  size_t *header_bytes)
{
        _cleanup_free_ char *name = NULL, *value = NULL;
        const char *colon;
        size_t n = size;
        HttpHeader *h;
        int r;

        /* Every byte counts, status lines and those of interim responses too: a peer that
         * sends endless 1xx responses must hit the cap as well. */
        *header_bytes = size > SIZE_MAX - *header_bytes ? SIZE_MAX : *header_bytes + size;
        if (*header_bytes > HTTP_MAX_HEADER_BYTES)
                return -EMSGSIZE;

        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
        if (n == 0)
                return 0; /* the blank line that ends a response's headers */

        /* A status line starts a new response: forget the headers of an interim 1xx one. */
        if (n >= STRLEN("HTTP/") && memcmp(line, "HTTP/", STRLEN("HTTP/")) == 0) {
                response_drop_headers(resp);
                return 0;
        }

        if (line[0] == ' ' || line[0] == '\t')
                return response_fold_header(resp, line, n);

        colon = memchr(line, ':', n);
        if (!colon)
                return 0; /* not a header; tolerate rather than fail the exchange */

        r = name_dup(line, colon - line, &name);
        if (r < 0)
                return r;
        if (!name)
                return 0;
        value = value_dup(colon + 1, n - (colon + 1 - line));
        if (!value)
                return -ENOMEM;

        if (resp->n_headers >= HTTP_MAX_HEADERS)
                return -E2BIG;
        h = reallocarray(resp->headers, resp->n_headers + 1, sizeof(HttpHeader));
        if (!h)
                return -ENOMEM;
        resp->headers = h;
        resp->headers[resp->n_headers++] = (HttpHeader) {
                .name = TAKE_PTR(name),
                .value = TAKE_PTR(value),
        };
        return 0;
}

static int response_strdup_header(HttpResponse *resp, const char *name, char **ret)
{
        const char *v = http_response_header(resp, name);

        if (!v)
                return 0;
        return free_and_strdup(ret, v);
}

int http_response_capture_fields(HttpResponse *resp)
{
        int r;

        r = response_strdup_header(resp, "Date", &resp->date);
        if (r < 0)
                return r;
        /* Query and JSON services send x-amzn-RequestId, S3 and a few others x-amz-request-id. */
        r = response_strdup_header(resp, "x-amzn-RequestId", &resp->request_id);
        if (r < 0)
                return r;
        if (!resp->request_id) {
                r = response_strdup_header(resp, "x-amz-request-id", &resp->request_id);
                if (r < 0)
                        return r;
        }
        r = response_strdup_header(resp, "x-amzn-query-error", &resp->query_error);
        if (r < 0)
                return r;
        return response_strdup_header(resp, "Content-Type", &resp->content_type);
}

/* ---- libcurl data callbacks ------------------------------------------------------------------ */

/* Returning anything but size*n makes curl fail the transfer with CURLE_WRITE_ERROR. */
size_t http_request_on_header(char *buf, size_t size, size_t n, void *userdata)
{
        HttpRequest *req = userdata;
        int r;

        r = http_response_add_header_line(&req->response, buf, size * n, &req->header_bytes);
        if (r >= 0)
                return size * n;
        req->abort = r == -EMSGSIZE ? REQUEST_ABORT_HEADERS_TOO_LARGE :
                     r == -E2BIG    ? REQUEST_ABORT_TOO_MANY_HEADERS :
                                      REQUEST_ABORT_OOM;
        return 0;
}

size_t http_request_on_write(char *buf, size_t size, size_t n, void *userdata)
{
        HttpRequest *req = userdata;
        HttpResponse *resp = &req->response;
        size_t len = size * n, need;

        /* body_size never exceeds max_body, so this cannot underflow. */
        if (len > req->max_body - resp->body_size) {
                req->abort = REQUEST_ABORT_BODY_TOO_LARGE;
                return 0;
        }

        /* Grow by doubling, but never past the cap (+1 for the NUL): an oversized response
         * costs at most max_body. Not realloc(): the old buffer may hold credentials and is
         * wiped before it is freed. */
        need = resp->body_size + len + 1;
        if (need > req->body_allocated) {
                size_t a = MAX(need, MIN(req->body_allocated * 2, req->max_body + 1));
                char *p;

                a = MAX(a, (size_t) 1024);
                p = malloc(a);
                if (!p) {
                        req->abort = REQUEST_ABORT_OOM;
                        return 0;
                }
                if (resp->body)
                        memcpy(p, resp->body, resp->body_size);
                http_erase_and_free(resp->body, req->body_allocated);
                resp->body = p;
                req->body_allocated = a;
        }

        memcpy(resp->body + resp->body_size, buf, len);
        resp->body_size += len;
        resp->body[resp->body_size] = 0;
        return len;
}

/* ---- classification -------------------------------------------------------------------------- */

static HttpTransport transport_classify(const HttpRequest *req, CURLcode cc, long connect_code)
{
        if (cc == CURLE_OK)
                return HTTP_TRANSPORT_OK;

        /* The proxy answered CONNECT with something else than 2xx: it refused the tunnel. */
        if (connect_code != 0 && (connect_code < 200 || connect_code >= 300))
                return HTTP_TRANSPORT_PROXY;

        switch (cc) {
        case CURLE_COULDNT_RESOLVE_HOST:
                return HTTP_TRANSPORT_DNS;

        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_PROXY:
                return HTTP_TRANSPORT_PROXY;

        case CURLE_COULDNT_CONNECT:
                /* Through a proxy, the only TCP connection curl makes is the one to the proxy. */
                return req->via_proxy ? HTTP_TRANSPORT_PROXY : HTTP_TRANSPORT_CONNECT;

        case CURLE_OPERATION_TIMEDOUT:
                return HTTP_TRANSPORT_TIMEOUT;

        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
        case CURLE_SSL_CLIENTCERT:
#endif
                return HTTP_TRANSPORT_TLS;

        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
                /* No tunnel yet: it was the proxy that hung up on us. */
                if (req->via_tunnel && connect_code == 0)
                        return HTTP_TRANSPORT_PROXY;
                return HTTP_TRANSPORT_RESET;

        /* The scheme was checked before the start, so at this point this is libcurl refusing a
         * reply that is not HTTP/1.x ("Received HTTP/0.9 when not allowed"). */
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_PARTIAL_FILE:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_RANGE_ERROR:
                return HTTP_TRANSPORT_BAD_RESPONSE;

        case CURLE_FILESIZE_EXCEEDED:
                return HTTP_TRANSPORT_TOO_LARGE;

        case CURLE_WRITE_ERROR:
                if (req->abort == REQUEST_ABORT_BODY_TOO_LARGE ||
                    req->abort == REQUEST_ABORT_HEADERS_TOO_LARGE ||
                    req->abort == REQUEST_ABORT_TOO_MANY_HEADERS)
                        return HTTP_TRANSPORT_TOO_LARGE;
                return HTTP_TRANSPORT_OTHER;

        default:
                return HTTP_TRANSPORT_OTHER;
        }
}

/* ---- completion ------------------------------------------------------------------------------ */

static usec_t info_usec(CURL *e, CURLINFO what)
{
        curl_off_t t = 0;

        if (curl_easy_getinfo(e, what, &t) != CURLE_OK || t < 0)
                return 0;
        return (usec_t) t;
}

static int request_collect_response(HttpRequest *req, CURLcode cc)
{
        HttpResponse *resp = &req->response;
        HttpClient *c = req->client;
        long status = 0, connect_code = 0, n_connects = 0;
        char *ip = NULL;
        int r;

        (void) curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(req->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
        (void) curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &n_connects);
        (void) curl_easy_getinfo(req->easy, CURLINFO_PRIMARY_IP, &ip);

        resp->status = status;
        resp->timing = (HttpTiming) {
                .dns = info_usec(req->easy, CURLINFO_NAMELOOKUP_TIME_T),
                .connect = info_usec(req->easy, CURLINFO_CONNECT_TIME_T),
                .tls = info_usec(req->easy, CURLINFO_APPCONNECT_TIME_T),
                .first_byte = info_usec(req->easy, CURLINFO_STARTTRANSFER_TIME_T),
                .total = info_usec(req->easy, CURLINFO_TOTAL_TIME_T),
        };

        /* libcurl records the peer address once TCP is up (also for a reused connection), and
         * counts only new connections; so a peer without a new connect means reuse. */
        resp->connected = n_connects > 0 || !isempty(ip);
        resp->reused = resp->connected && n_connects == 0;
        c->stats.n_requests++;
        c->stats.n_connects += n_connects > 0 ? (uint64_t) n_connects : 0;

        resp->transport = transport_classify(req, cc, connect_code);

        if (!isempty(ip)) {
                r = free_and_strdup(&resp->remote_ip, ip);
                if (r < 0)
                        return r;
        }

        if (resp->transport != HTTP_TRANSPORT_OK) {
                /* A partial body is not data anyone should act on. */
                resp->body = http_erase_and_free(resp->body, resp->body_size);
                resp->body_size = 0;

                switch (req->abort) {
                case REQUEST_ABORT_BODY_TOO_LARGE:
                        r = asprintf(&resp->error, "Response body exceeds %zu bytes",
                                     req->max_body);
                        break;
                case REQUEST_ABORT_HEADERS_TOO_LARGE:
                        r = asprintf(&resp->error, "Response headers exceed %zu bytes",
                                     HTTP_MAX_HEADER_BYTES);
                        break;
                case REQUEST_ABORT_TOO_MANY_HEADERS:
                        r = asprintf(&resp->error, "Response has more than %d header fields",
                                     HTTP_MAX_HEADERS);
                        break;
                case REQUEST_ABORT_OOM:
                        return -ENOMEM;
                default:
                        r = asprintf(&resp->error, "%s",
                                     req->error[0] ? req->error : curl_easy_strerror(cc));
                }
                if (r < 0) {
                        resp->error = NULL;
                        return -ENOMEM;
                }
        } else if (!resp->body) {
                resp->body = strdup("");
                if (!resp->body)
                        return -ENOMEM;
        }

        return http_response_capture_fields(resp);
}

void http_request_finish(HttpRequest *req, CURLcode cc)
{
        HttpResponse *resp = &req->response;

        if (request_collect_response(req, cc) >= 0)
                return;

        /* Out of memory while describing the outcome: report it as such. */
        resp->transport = HTTP_TRANSPORT_OTHER;
        resp->body = http_erase_and_free(resp->body, resp->body_size);
        resp->body_size = 0;
        (void) free_and_strdup(&resp->error, "Out of memory");
}
