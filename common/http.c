/* SPDX-License-Identifier: MIT */
/*
 * http.c: cwguard's one HTTP client. An HttpClient owns a libcurl multi handle and glues it to an
 * sd-event loop: curl tells us which sockets to watch (one io source each) and when to wake it
 * (one CLOCK_BOOTTIME timer); we hand the events back through curl_multi_socket_action() and never
 * block. Finished transfers are queued and their callbacks run from a defer source, so a callback
 * never runs inside http_request_start() or inside a libcurl callback, and may freely start,
 * cancel or free. Everything runs on the loop's thread; libcurl's resolver thread is its own.
 *
 * Deliberate limits: HTTP/1.1 only, no redirects, TLS always verified, bodies and headers capped.
 * The outcome of an exchange is data (HttpResponse.transport, .status), never an errno: only a
 * request that could not even be started fails with one.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "common/http.h"
#include "cwguard-config.h"

#define HTTP_DEFAULT_TIMEOUT (5 * USEC_PER_SEC)
#define HTTP_DEFAULT_MAX_BODY ((size_t) 1024 * 1024)
/* Far above anything AWS or IMDS send; a peer that streams more is not an AWS endpoint. */
#define HTTP_MAX_HEADER_BYTES ((size_t) 64 * 1024)
/* curl asks for wake-ups with millisecond granularity; sd-event's default slack is 250 ms. */
#define HTTP_TIMER_ACCURACY USEC_PER_MSEC

typedef struct SocketWatch SocketWatch;

struct SocketWatch {
        HttpClient *client;
        sd_event_source *source;
        SocketWatch *prev, *next;
};

typedef enum RequestState {
        REQUEST_RUNNING,     /* attached to the multi handle, on client->running */
        REQUEST_DONE,        /* detached from curl, on client->done, callback pending */
        REQUEST_DISPATCHING, /* on no list, its callback is running */
} RequestState;

typedef enum RequestAbort {
        REQUEST_ABORT_NONE,
        REQUEST_ABORT_BODY_TOO_LARGE,
        REQUEST_ABORT_HEADERS_TOO_LARGE,
        REQUEST_ABORT_OOM,
} RequestAbort;

struct HttpClient {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;    /* curl's single timeout */
        sd_event_source *dispatch; /* delivers queued completions, one per loop iteration */

        char *ca_bundle;
        char *proxy;
        char *no_proxy;
        char *user_agent;
        usec_t default_timeout;
        size_t default_max_body;

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
        size_t header_bytes;
        bool via_proxy;  /* a proxy applies to this URL (to attribute connect failures) */
        bool via_tunnel; /* ...and it is reached by CONNECT (https) */
        RequestAbort abort;

        HttpCallback callback;
        void *userdata;
        HttpResponse response;
        char error[CURL_ERROR_SIZE];
};

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

const char *http_transport_to_string(HttpTransport t)
{
        if (t < 0 || t >= _HTTP_TRANSPORT_MAX)
                return NULL;
        return http_transport_table[t];
}

HttpTransport http_transport_from_string(const char *s)
{
        if (!s)
                return _HTTP_TRANSPORT_INVALID;
        for (int i = 0; i < _HTTP_TRANSPORT_MAX; i++)
                if (streq(http_transport_table[i], s))
                        return (HttpTransport) i;
        return _HTTP_TRANSPORT_INVALID;
}

/* Bodies and headers carry IMDS credentials and session tokens: wipe our copies before freeing. */
static void *erase_and_free_sized(void *p, size_t n)
{
        if (p) {
                explicit_bzero(p, n);
                free(p);
        }
        return NULL;
}

static void slist_erase_and_free(struct curl_slist *l)
{
        for (struct curl_slist *i = l; i; i = i->next)
                if (i->data)
                        explicit_bzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

static int curl_code_to_errno(CURLcode cc)
{
        switch (cc) {
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_UNKNOWN_OPTION:
        case CURLE_NOT_BUILT_IN:
        case CURLE_UNSUPPORTED_PROTOCOL:
                return -EOPNOTSUPP;
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_URL_MALFORMAT:
                return -EINVAL;
        default:
                return -EIO;
        }
}

/* Set an easy option or return its failure as a negative errno: string options are copied (OOM),
 * and a libcurl built without a feature refuses its options. */
#define EASY_SETOPT(e, opt, val)                                                              \
        do {                                                                                  \
                CURLcode _cc_ = curl_easy_setopt((e), (opt), (val));                          \
                if (_cc_ != CURLE_OK)                                                         \
                        return curl_code_to_errno(_cc_);                                      \
        } while (0)

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
        erase_and_free_sized(resp->body, resp->body_size);
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

/* ---- request lists --------------------------------------------------------------------------- */

static void list_unlink(HttpRequest **head, HttpRequest **tail, HttpRequest *req)
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

static void list_append(HttpRequest **head, HttpRequest **tail, HttpRequest *req)
{
        req->next = NULL;
        req->prev = *tail;
        if (*tail)
                (*tail)->next = req;
        else
                *head = req;
        *tail = req;
}

static void list_prepend(HttpRequest **head, HttpRequest *req)
{
        req->prev = NULL;
        req->next = *head;
        if (*head)
                (*head)->prev = req;
        *head = req;
}

/* Frees the request wherever it is in its life; never calls its callback. */
static HttpRequest *request_free(HttpRequest *req)
{
        if (!req)
                return NULL;

        if (req->client) {
                HttpClient *c = req->client;

                if (req->state == REQUEST_RUNNING) {
                        (void) curl_multi_remove_handle(c->multi, req->easy);
                        list_unlink(&c->running, NULL, req);
                } else if (req->state == REQUEST_DONE)
                        list_unlink(&c->done, &c->done_tail, req);
        }

        if (req->easy)
                curl_easy_cleanup(req->easy);
        slist_erase_and_free(req->headers);
        erase_and_free_sized(req->body, req->body_size);
        http_response_done(&req->response);
        free(req);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpRequest *, request_free);

/* ---- libcurl data callbacks ------------------------------------------------------------------ */

static char *strndup_trimmed(const char *p, size_t n)
{
        while (n > 0 && (*p == ' ' || *p == '\t')) {
                p++;
                n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
        return strndup(p, n);
}

static int response_add_header_line(HttpResponse *resp, const char *line, size_t n)
{
        _cleanup_free_ char *name = NULL, *value = NULL;
        const char *colon;
        HttpHeader *h;

        /* obs-fold (RFC 7230 §3.2.4): a continuation line extends the previous value. */
        if (line[0] == ' ' || line[0] == '\t') {
                _cleanup_free_ char *more = NULL;
                char *joined;

                if (resp->n_headers == 0)
                        return 0;
                more = strndup_trimmed(line, n);
                if (!more)
                        return -ENOMEM;
                h = &resp->headers[resp->n_headers - 1];
                if (asprintf(&joined, "%s %s", h->value, more) < 0)
                        return -ENOMEM;
                free(h->value);
                h->value = joined;
                return 0;
        }

        colon = memchr(line, ':', n);
        if (!colon || colon == line)
                return 0; /* not a header; tolerate rather than fail the exchange */

        name = strndup_trimmed(line, colon - line);
        value = strndup_trimmed(colon + 1, n - (colon + 1 - line));
        if (!name || !value)
                return -ENOMEM;
        if (isempty(name))
                return 0;

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

/* Returning anything but size*n makes curl fail the transfer with CURLE_WRITE_ERROR. */
static size_t on_curl_header(char *buf, size_t size, size_t n, void *userdata)
{
        HttpRequest *req = userdata;
        size_t total = size * n, len = total;

        req->header_bytes += total;
        if (req->header_bytes > HTTP_MAX_HEADER_BYTES) {
                req->abort = REQUEST_ABORT_HEADERS_TOO_LARGE;
                return 0;
        }

        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--;
        if (len == 0)
                return total;

        /* A status line starts a new response: forget the headers of an interim 1xx one. */
        if (len >= STRLEN("HTTP/") && memcmp(buf, "HTTP/", STRLEN("HTTP/")) == 0) {
                response_drop_headers(&req->response);
                return total;
        }

        if (response_add_header_line(&req->response, buf, len) < 0) {
                req->abort = REQUEST_ABORT_OOM;
                return 0;
        }
        return total;
}

static size_t on_curl_write(char *buf, size_t size, size_t n, void *userdata)
{
        HttpRequest *req = userdata;
        HttpResponse *resp = &req->response;
        size_t len = size * n, need;

        /* body_size never exceeds max_body, so this cannot underflow. */
        if (len > req->max_body - resp->body_size) {
                req->abort = REQUEST_ABORT_BODY_TOO_LARGE;
                return 0;
        }

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
                erase_and_free_sized(resp->body, req->body_allocated);
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
                    req->abort == REQUEST_ABORT_HEADERS_TOO_LARGE)
                        return HTTP_TRANSPORT_TOO_LARGE;
                return HTTP_TRANSPORT_OTHER;

        default:
                return HTTP_TRANSPORT_OTHER;
        }
}

static const char *getenv_nonempty(const char *name)
{
        const char *v = getenv(name);

        return isempty(v) ? NULL : v;
}

/*
 * The proxy libcurl will pick for @scheme when the client has none of its own: the same
 * variables in the same order as libcurl reads them (it ignores upper-case HTTP_PROXY, see
 * "httpoxy"). Only used to tell a proxy failure from an endpoint failure; libcurl itself does
 * the choosing.
 */
static const char *client_proxy_for(const HttpClient *c, const char *scheme)
{
        const char *p;

        if (c->proxy)
                return c->proxy;
        if (streq(scheme, "https"))
                p = getenv_nonempty("https_proxy") ?: getenv_nonempty("HTTPS_PROXY");
        else
                p = getenv_nonempty("http_proxy");
        return p ?: getenv_nonempty("all_proxy") ?: getenv_nonempty("ALL_PROXY");
}

static bool ip_token_matches(int family, const unsigned char *addr, const char *tok, size_t n)
{
        unsigned char want[16];
        char buf[INET6_ADDRSTRLEN + 8], *slash;
        unsigned bits = family == AF_INET ? 32 : 128;

        if (n >= sizeof(buf))
                return false;
        memcpy(buf, tok, n);
        buf[n] = 0;

        slash = strchr(buf, '/');
        if (slash) {
                char *end;
                unsigned long b;

                *slash = 0;
                errno = 0;
                b = strtoul(slash + 1, &end, 10);
                if (errno != 0 || end == slash + 1 || *end || b > bits)
                        return false;
                bits = (unsigned) b;
        }
        if (inet_pton(family, buf, want) != 1)
                return false;

        if (memcmp(addr, want, bits / 8) != 0)
                return false;
        if (bits % 8 == 0)
                return true;
        return ((addr[bits / 8] ^ want[bits / 8]) & (0xff00 >> (bits % 8))) == 0;
}

/* NO_PROXY semantics as libcurl implements them: "*", host names matching themselves and their
 * subdomains (a leading dot is optional), IP addresses and CIDR ranges for IP hosts. */
static bool no_proxy_matches(const char *list, const char *host)
{
        unsigned char addr[16];
        char hostbuf[INET6_ADDRSTRLEN];
        int family = AF_UNSPEC;
        size_t hl = strlen(host);

        if (hl > 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof(hostbuf)) {
                memcpy(hostbuf, host + 1, hl - 2);
                hostbuf[hl - 2] = 0;
                if (inet_pton(AF_INET6, hostbuf, addr) == 1)
                        family = AF_INET6;
        } else if (inet_pton(AF_INET, host, addr) == 1)
                family = AF_INET;
        while (hl > 0 && host[hl - 1] == '.')
                hl--;

        for (const char *p = list;;) {
                const char *tok;
                size_t n;

                p += strspn(p, ", \t");
                n = strcspn(p, ", \t");
                if (n == 0)
                        return false;
                tok = p;
                p += n;

                if (n == 1 && tok[0] == '*')
                        return true;
                if (family != AF_UNSPEC) {
                        if (ip_token_matches(family, addr, tok, n))
                                return true;
                        continue;
                }
                if (tok[0] == '.') {
                        tok++;
                        n--;
                }
                if (n == 0 || n > hl)
                        continue;
                if (strncasecmp(host + hl - n, tok, n) == 0 && (n == hl || host[hl - n - 1] == '.'))
                        return true;
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

static int response_strdup_header(HttpResponse *resp, const char *name, char **ret)
{
        const char *v = http_response_header(resp, name);

        if (!v)
                return 0;
        return free_and_strdup(ret, v);
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
                resp->body = erase_and_free_sized(resp->body, resp->body_size);
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

        r = response_strdup_header(resp, "Date", &resp->date);
        if (r < 0)
                return r;
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

static void client_collect_done(HttpClient *c)
{
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(c->multi, &left))) {
                HttpRequest *req;
                CURLcode cc;
                char *p = NULL;

                if (m->msg != CURLMSG_DONE)
                        continue;
                cc = m->data.result;
                if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p) != CURLE_OK || !p)
                        continue;
                req = (HttpRequest *) p;

                if (request_collect_response(req, cc) < 0) {
                        /* Out of memory while describing the outcome: report it as such. */
                        req->response.transport = HTTP_TRANSPORT_OTHER;
                        req->response.body = erase_and_free_sized(req->response.body,
                                                                req->response.body_size);
                        req->response.body_size = 0;
                        (void) free_and_strdup(&req->response.error, "Out of memory");
                }

                /* Detaching hands a kept-alive connection back to the multi handle's cache. */
                (void) curl_multi_remove_handle(c->multi, req->easy);
                list_unlink(&c->running, NULL, req);
                req->state = REQUEST_DONE;
                list_append(&c->done, &c->done_tail, req);
        }

        if (c->done)
                (void) sd_event_source_set_enabled(c->dispatch, SD_EVENT_ON);
}

static int on_dispatch(sd_event_source *s, void *userdata)
{
        HttpClient *c = userdata;
        HttpRequest *req = c->done;

        if (!req)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);

        list_unlink(&c->done, &c->done_tail, req);
        if (!c->done)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        req->state = REQUEST_DISPATCHING;
        req->client = NULL;
        c->n_active--;

        /* One completion per loop iteration: the callback may free the client, so nothing
         * touches @c after it returns. */
        req->callback(req, &req->response, req->userdata);
        request_free(req);
        return 0;
}

/* ---- curl multi <-> sd-event ----------------------------------------------------------------- */

static SocketWatch *watch_free(SocketWatch *w)
{
        if (!w)
                return NULL;
        if (w->prev)
                w->prev->next = w->next;
        else
                w->client->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        sd_event_source_disable_unref(w->source);
        free(w);
        return NULL;
}

static void client_socket_action(HttpClient *c, curl_socket_t fd, int action)
{
        int running;

        /* Fails only on OOM inside libcurl; the transfers then end by their timeouts. */
        (void) curl_multi_socket_action(c->multi, fd, action, &running);
        client_collect_done(c);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        SocketWatch *w = userdata;
        HttpClient *c = w->client; /* @w may be gone once curl has run */
        int action = 0;

        if (revents & (EPOLLIN | EPOLLPRI | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;

        client_socket_action(c, fd, action);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        client_socket_action(userdata, CURL_SOCKET_TIMEOUT, 0);
        return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch @fd for what curl waits for, until it says REMOVE. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
        HttpClient *c = userp;
        SocketWatch *w = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (w) {
                        (void) curl_multi_assign(c->multi, fd, NULL);
                        watch_free(w);
                }
                return 0;
        }

        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        if (w)
                return sd_event_source_set_io_events(w->source, events) < 0 ? -1 : 0;

        w = calloc(1, sizeof(SocketWatch));
        if (!w)
                return -1;
        r = sd_event_add_io(c->event, &w->source, fd, events, on_io, w);
        if (r < 0) {
                free(w);
                return -1;
        }
        (void) sd_event_source_set_description(w->source, "http-socket");
        w->client = c;
        w->next = c->watches;
        if (c->watches)
                c->watches->prev = w;
        c->watches = w;

        if (curl_multi_assign(c->multi, fd, w) != CURLM_OK) {
                watch_free(w);
                return -1;
        }
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle; -1 disarms it. A 0 ms timeout
 * fires on the next loop iteration, never from inside this callback. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
        HttpClient *c = userp;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        if (sd_event_source_set_time(c->timer, now_usec(CLOCK_BOOTTIME) +
                                                       (usec_t) timeout_ms * USEC_PER_MSEC) < 0 ||
            sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

/* ---- client ---------------------------------------------------------------------------------- */

int http_client_new(sd_event *event, const HttpClientOptions *opts, HttpClient **ret)
{
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        HttpClientOptions o = opts ? *opts : (HttpClientOptions) {};
        int r;

        if (!event || !ret)
                return -EINVAL;

        /* Reference-counted and thread-safe in libcurl >= 7.84; balanced in http_client_free(). */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        c = calloc(1, sizeof(HttpClient));
        if (!c) {
                curl_global_cleanup();
                return -ENOMEM;
        }
        c->event = sd_event_ref(event);

        if (free_and_strdup(&c->ca_bundle, o.ca_bundle) < 0 ||
            free_and_strdup(&c->proxy, o.proxy) < 0 ||
            free_and_strdup(&c->no_proxy, o.no_proxy) < 0 ||
            free_and_strdup(&c->user_agent, o.user_agent ?: "cwguard/" PACKAGE_VERSION) < 0)
                return -ENOMEM;
        c->default_timeout = o.default_timeout ?: HTTP_DEFAULT_TIMEOUT;
        c->default_max_body = o.default_max_body ?: HTTP_DEFAULT_MAX_BODY;

        /* Both sources exist from the start and are only toggled later: arming them from inside
         * curl's callbacks then never allocates, so it cannot fail half-way. */
        r = sd_event_add_time(event, &c->timer, CLOCK_BOOTTIME, 0, HTTP_TIMER_ACCURACY, on_timer,
                              c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->timer, "http-timer");

        r = sd_event_add_defer(event, &c->dispatch, on_dispatch, c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->dispatch, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->dispatch, "http-dispatch");

        c->multi = curl_multi_init();
        if (!c->multi)
                return -ENOMEM;
        if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK)
                return -EIO;

        *ret = TAKE_PTR(c);
        return 0;
}

HttpClient *http_client_free(HttpClient *c)
{
        if (!c)
                return NULL;

        while (c->running)
                request_free(c->running);
        while (c->done)
                request_free(c->done);

        if (c->multi) {
                /* Closing the cached connections must not call back into a half-freed client:
                 * drop our watches while their fds are still open, then let curl close them. */
                (void) curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, NULL);
                (void) curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
                while (c->watches)
                        watch_free(c->watches);
                curl_multi_cleanup(c->multi);
        }
        while (c->watches)
                watch_free(c->watches);

        sd_event_source_disable_unref(c->timer);
        sd_event_source_disable_unref(c->dispatch);
        sd_event_unref(c->event);
        free(c->ca_bundle);
        free(c->proxy);
        free(c->no_proxy);
        free(c->user_agent);
        free(c);
        curl_global_cleanup();
        return NULL;
}

unsigned http_client_n_active(const HttpClient *c)
{
        return c ? c->n_active : 0;
}

void http_client_get_stats(const HttpClient *c, HttpClientStats *ret)
{
        if (!ret)
                return;
        *ret = c ? c->stats : (HttpClientStats) {};
}

int http_client_run_until_idle(HttpClient *c, usec_t timeout)
{
        usec_t deadline = USEC_INFINITY;
        int r;

        if (!c)
                return -EINVAL;
        if (timeout != USEC_INFINITY)
                deadline = now_usec(CLOCK_MONOTONIC) + timeout;

        while (c->n_active > 0) {
                usec_t left = USEC_INFINITY;

                if (deadline != USEC_INFINITY) {
                        usec_t n = now_usec(CLOCK_MONOTONIC);

                        if (n >= deadline)
                                return -ETIMEDOUT;
                        left = deadline - n;
                }
                r = sd_event_run(c->event, left);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- requests -------------------------------------------------------------------------------- */

static inline void curl_freep(char **p)
{
        curl_free(*p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CURLU *, curl_url_cleanup);

static int url_split(const char *url, char **ret_scheme, char **ret_host)
{
        _cleanup_(curl_url_cleanupp) CURLU *u = NULL;
        _cleanup_(curl_freep) char *scheme = NULL, *host = NULL;
        _cleanup_free_ char *s = NULL, *h = NULL;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                return -EINVAL;

        s = strdup(scheme);
        h = strdup(host);
        if (!s || !h)
                return -ENOMEM;
        *ret_scheme = TAKE_PTR(s);
        *ret_host = TAKE_PTR(h);
        return 0;
}

static long usec_to_msec_ceil(usec_t u)
{
        if (u == USEC_INFINITY)
                return 0; /* libcurl: no timeout */
        u = (u + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
        return u > LONG_MAX ? LONG_MAX : (long) u;
}

static bool method_is_valid(const char *m)
{
        if (isempty(m))
                return false;
        for (const char *p = m; *p; p++)
                if (*p < 'A' || *p > 'Z')
                        return false;
        return true;
}

static int request_setup_method(HttpRequest *req, const HttpRequestOptions *o)
{
        const char *method = o->method ?: "GET";
        CURL *e = req->easy;

        if (!method_is_valid(method))
                return -EINVAL;

        if (streq(method, "HEAD")) {
                if (o->body_size > 0)
                        return -EINVAL;
                EASY_SETOPT(e, CURLOPT_NOBODY, 1L);
                return 0;
        }
        if (streq(method, "GET") && o->body_size == 0) {
                EASY_SETOPT(e, CURLOPT_HTTPGET, 1L);
                return 0;
        }

        /* Everything else sends our copy of the body (possibly empty, then with
         * "Content-Length: 0", which IMDS's token PUT expects). */
        req->body = malloc(o->body_size + 1);
        if (!req->body)
                return -ENOMEM;
        if (o->body_size > 0)
                memcpy(req->body, o->body, o->body_size);
        req->body[o->body_size] = 0;
        req->body_size = o->body_size;

        EASY_SETOPT(e, CURLOPT_POST, 1L);
        EASY_SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) o->body_size);
        EASY_SETOPT(e, CURLOPT_POSTFIELDS, req->body);
        if (!streq(method, "POST"))
                EASY_SETOPT(e, CURLOPT_CUSTOMREQUEST, method);
        return 0;
}

static int request_setup_headers(HttpRequest *req, const HttpRequestOptions *o)
{
        struct curl_slist *l;

        /* An empty "Expect:" stops curl from waiting for "100 Continue" before a body. */
        l = curl_slist_append(NULL, "Expect:");
        if (!l)
                return -ENOMEM;
        req->headers = l;

        for (char *const *h = o->headers; h && *h; h++) {
                /* Refuse CR/LF: a header must not smuggle in another one. */
                if (!strpbrk(*h, ":;") || string_has_cc(*h, "\t"))
                        return -EINVAL;
                l = curl_slist_append(req->headers, *h);
                if (!l)
                        return -ENOMEM;
                req->headers = l;
        }

        EASY_SETOPT(req->easy, CURLOPT_HTTPHEADER, req->headers);
        return 0;
}

static int request_setup_tls_and_proxy(HttpRequest *req, HttpClient *c, const HttpRequestOptions *o,
                                       const char *scheme, const char *host)
{
        CURL *e = req->easy;

        /* Verification is not configurable on purpose. */
        EASY_SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
        EASY_SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
        EASY_SETOPT(e, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
        EASY_SETOPT(e, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
        EASY_SETOPT(e, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        if (c->ca_bundle) {
                /* Like AWS_CA_BUNDLE in the AWS SDKs: the bundle replaces the system trust
                 * store (also for an https:// proxy), it does not add to it. */
                EASY_SETOPT(e, CURLOPT_CAINFO, c->ca_bundle);
                EASY_SETOPT(e, CURLOPT_CAPATH, NULL);
                EASY_SETOPT(e, CURLOPT_PROXY_CAINFO, c->ca_bundle);
                EASY_SETOPT(e, CURLOPT_PROXY_CAPATH, NULL);
        }

        if (o->direct) {
                /* IMDS is link-local: a proxy can only get in the way. */
                EASY_SETOPT(e, CURLOPT_PROXY, "");
                return 0;
        }

        if (c->proxy)
                EASY_SETOPT(e, CURLOPT_PROXY, c->proxy);
        if (c->no_proxy)
                EASY_SETOPT(e, CURLOPT_NOPROXY, c->no_proxy);
        /* The proxy's "200 Connection established" is not the response. */
        EASY_SETOPT(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);

        if (!isempty(client_proxy_for(c, scheme))) {
                const char *np = c->no_proxy ?: getenv("no_proxy") ?: getenv("NO_PROXY");

                req->via_proxy = !np || !no_proxy_matches(np, host);
                req->via_tunnel = req->via_proxy && streq(scheme, "https");
        }
        return 0;
}

static int request_setup(HttpRequest *req, HttpClient *c, const HttpRequestOptions *o,
                         const char *scheme, const char *host)
{
        usec_t timeout = o->timeout ?: c->default_timeout;
        usec_t connect_timeout = o->connect_timeout ?: timeout;
        CURL *e = req->easy;
        int r;

        EASY_SETOPT(e, CURLOPT_PRIVATE, req);
        EASY_SETOPT(e, CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
        EASY_SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        EASY_SETOPT(e, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        /* Send the path exactly as given: it is what SigV4 signed. */
        EASY_SETOPT(e, CURLOPT_PATH_AS_IS, 1L);
        EASY_SETOPT(e, CURLOPT_NOSIGNAL, 1L);
        EASY_SETOPT(e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
        EASY_SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
        EASY_SETOPT(e, CURLOPT_ERRORBUFFER, req->error);
        EASY_SETOPT(e, CURLOPT_USERAGENT, c->user_agent);

        EASY_SETOPT(e, CURLOPT_TIMEOUT_MS, usec_to_msec_ceil(timeout));
        EASY_SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, usec_to_msec_ceil(connect_timeout));

        /* The cap is enforced twice: up front from Content-Length, and while receiving for
         * chunked or lying responses. */
        EASY_SETOPT(e, CURLOPT_MAXFILESIZE_LARGE,
                    (curl_off_t) MIN(req->max_body, (size_t) INT64_MAX));
        EASY_SETOPT(e, CURLOPT_WRITEFUNCTION, on_curl_write);
        EASY_SETOPT(e, CURLOPT_WRITEDATA, req);
        EASY_SETOPT(e, CURLOPT_HEADERFUNCTION, on_curl_header);
        EASY_SETOPT(e, CURLOPT_HEADERDATA, req);

        if (o->fresh_connect || o->connect_only)
                EASY_SETOPT(e, CURLOPT_FRESH_CONNECT, 1L);
        if (o->connect_only) {
                /* A reachability probe measures a real handshake, and its connection is of no
                 * use to anyone afterwards. */
                EASY_SETOPT(e, CURLOPT_CONNECT_ONLY, 1L);
                EASY_SETOPT(e, CURLOPT_FORBID_REUSE, 1L);
        }

        r = request_setup_tls_and_proxy(req, c, o, scheme, host);
        if (r < 0)
                return r;
        r = request_setup_headers(req, o);
        if (r < 0)
                return r;
        return request_setup_method(req, o);
}

int http_request_start(HttpClient *c, const HttpRequestOptions *opts, HttpCallback callback,
                       void *userdata, HttpRequest **ret)
{
        _cleanup_(request_freep) HttpRequest *req = NULL;
        _cleanup_free_ char *scheme = NULL, *host = NULL;
        CURLMcode mc;
        int r;

        if (!c || !opts || isempty(opts->url) || !callback)
                return -EINVAL;

        r = url_split(opts->url, &scheme, &host);
        if (r < 0)
                return r;
        /* libcurl's URL parser lower-cases the scheme. */
        if (!streq(scheme, "http") && !streq(scheme, "https"))
                return -EPROTONOSUPPORT;

        req = calloc(1, sizeof(HttpRequest));
        if (!req)
                return -ENOMEM;
        req->callback = callback;
        req->userdata = userdata;
        req->max_body = opts->max_body ?: c->default_max_body;
        req->easy = curl_easy_init();
        if (!req->easy)
                return -ENOMEM;

        r = request_setup(req, c, opts, scheme, host);
        if (r < 0)
                return r;

        /* Only arms the timer (to fire on the next iteration): nothing runs from here. */
        mc = curl_multi_add_handle(c->multi, req->easy);
        if (mc != CURLM_OK)
                return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;

        req->client = c;
        req->state = REQUEST_RUNNING;
        list_prepend(&c->running, req);
        c->n_active++;

        if (ret)
                *ret = req;
        TAKE_PTR(req);
        return 0;
}

HttpRequest *http_request_cancel(HttpRequest *req)
{
        if (!req)
                return NULL;
        /* From inside its own callback: it is freed when the callback returns anyway. */
        if (req->state == REQUEST_DISPATCHING)
                return NULL;

        req->client->n_active--;
        return request_free(req);
}

sd_event *http_client_get_event(const HttpClient *c)
{
        return c ? c->event : NULL;
}
