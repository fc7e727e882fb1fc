/* SPDX-License-Identifier: MIT */
/*
 * http.c: cwguard's one HTTP client, and the life of its requests. An HttpClient holds the
 * options every request shares (CA bundle, proxy, user agent, default timeout and body cap) and
 * the lists of requests in flight; http_request_start() turns HttpRequestOptions into a fully
 * configured easy handle and attaches it, http_request_cancel() and http_client_free() take it
 * back. Driving the transfers on the sd-event loop is http-glue.c's job, filling the response
 * http-response.c's. Everything runs on the loop's thread and nothing here blocks.
 *
 * Deliberate limits: HTTP/1.1 only, no redirects, TLS always verified, bodies and headers capped.
 * The outcome of an exchange is data (HttpResponse.transport, .status), never an errno: only a
 * request that could not even be started fails with one.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "common/http-internal.h"
#include "common/http.h"
#include "cwguard-config.h"

#define HTTP_DEFAULT_TIMEOUT (5 * USEC_PER_SEC)
#define HTTP_DEFAULT_MAX_BODY ((size_t) 1024 * 1024)

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

/* ---- request teardown ------------------------------------------------------------------------ */

HttpRequest *http_request_free(HttpRequest *req)
{
        if (!req)
                return NULL;

        if (req->client) {
                HttpClient *c = req->client;

                if (req->state == REQUEST_RUNNING) {
                        (void) curl_multi_remove_handle(c->multi, req->easy);
                        http_request_list_unlink(&c->running, NULL, req);
                } else if (req->state == REQUEST_DONE)
                        http_request_list_unlink(&c->done, &c->done_tail, req);
        }

        if (req->easy)
                curl_easy_cleanup(req->easy);
        slist_erase_and_free(req->headers);
        http_erase_and_free(req->body, req->body_size);
        http_response_done(&req->response);
        free(req);
        return NULL;
}

/* ---- proxy attribution ----------------------------------------------------------------------- */

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
        c->max_idle = o.max_idle;

        r = http_glue_init(c);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

HttpClient *http_client_free(HttpClient *c)
{
        if (!c)
                return NULL;

        while (c->running)
                http_request_free(c->running);
        while (c->done)
                http_request_free(c->done);

        http_glue_done(c);
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
        /* CURLU_NON_SUPPORT_SCHEME: a scheme this libcurl was built without (ftp:// with the
         * lean build's HTTP-only one) is still parsed, and refused by the caller as
         * -EPROTONOSUPPORT, the same with every libcurl. */
        if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
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
        EASY_SETOPT(e, CURLOPT_WRITEFUNCTION, http_request_on_write);
        EASY_SETOPT(e, CURLOPT_WRITEDATA, req);
        EASY_SETOPT(e, CURLOPT_HEADERFUNCTION, http_request_on_header);
        EASY_SETOPT(e, CURLOPT_HEADERDATA, req);

        if (c->max_idle > 0)
                EASY_SETOPT(e, CURLOPT_MAXAGE_CONN,
                            (long) MIN((c->max_idle + USEC_PER_SEC - 1) / USEC_PER_SEC,
                                       (usec_t) LONG_MAX));
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
        _cleanup_(http_request_freep) HttpRequest *req = NULL;
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
        http_request_list_prepend(&c->running, req);
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
        return http_request_free(req);
}

sd_event *http_client_get_event(const HttpClient *c)
{
        return c ? c->event : NULL;
}
