/* SPDX-License-Identifier: MIT */
/*
 * test-http.c: the HTTP client (common/http*.c) against the local AWS simulator: TLS trust and
 * names, keep-alive, the CONNECT proxy, every transport fault the simulator can inject, cancel
 * and free with requests in flight. What the simulator cannot produce (interim responses, broken
 * or oversized headers, chunked bodies, a full listen backlog) comes from tiny canned servers
 * forked from this process. Only 127.0.0.0/8 is ever contacted: the DNS failure is provoked in a
 * private mount namespace whose resolv.conf points at 127.0.0.1, where nothing listens.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "common/http.h"
#include "common/util.h"
#include "cwguard-config.h"
#include "tests/sim.h"
#include "tests/test.h"

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define RUN_TIMEOUT (30 * USEC_PER_SEC)

static Sim *sim;
static sd_event *event, *parent_event;

static const char *const sts_headers[] = {
        "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
        NULL,
};
static const char sts_body[] = "Action=GetCallerIdentity&Version=2011-06-15";

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct Outcome {
        unsigned n_called;
        HttpResponse resp;
} Outcome;

static void outcome_done(Outcome *o)
{
        http_response_done(&o->resp);
        *o = (Outcome) {};
}

static void on_done(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        Outcome *o = userdata;

        o->n_called++;
        ASSERT_EQ(o->n_called, 1);
        /* The callback may steal what it wants; take everything. */
        o->resp = *resp;
        *resp = (HttpResponse) {};
}

static void on_done_forbidden(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        fprintf(stderr, "callback of a cancelled request ran (transport %s)\n",
                http_transport_to_string(resp->transport));
        abort();
}

static HttpClient *client_new_full(const char *ca, const char *proxy, const char *no_proxy)
{
        HttpClient *c = NULL;

        ASSERT_OK(http_client_new(event,
                                  &(HttpClientOptions) {
                                          .ca_bundle = ca,
                                          .proxy = proxy,
                                          .no_proxy = no_proxy,
                                  },
                                  &c));
        return c;
}

static HttpClient *client_new(void)
{
        return client_new_full(sim ? sim->ca : NULL, NULL, NULL);
}

/* Start one request, check that nothing is called back from inside start, run to completion. */
static void run(HttpClient *c, const HttpRequestOptions *o, Outcome *out)
{
        *out = (Outcome) {};
        ASSERT_OK(http_request_start(c, o, on_done, out, NULL));
        ASSERT_EQ(out->n_called, 0);
        ASSERT_EQ(http_client_n_active(c), 1);
        ASSERT_OK(http_client_run_until_idle(c, RUN_TIMEOUT));
        ASSERT_EQ(out->n_called, 1);
        ASSERT_EQ(http_client_n_active(c), 0);
}

static char *url_join(const char *base, const char *path)
{
        char *u;

        ASSERT_TRUE(asprintf(&u, "%s%s", base, path) >= 0);
        return u;
}

static HttpRequestOptions sts_post(const char *url)
{
        return (HttpRequestOptions) {
                .method = "POST",
                .url = url,
                .headers = (char *const *) sts_headers,
                .body = sts_body,
                .body_size = strlen(sts_body),
        };
}

static void run_sts(HttpClient *c, const char *base, Outcome *out)
{
        _cleanup_free_ char *url = url_join(base, "/");
        HttpRequestOptions o = sts_post(url);

        run(c, &o, out);
}

static long sim_stat(const char *key)
{
        _cleanup_free_ char *body = NULL;
        json_object *j, *v;
        long n;

        ASSERT_OK(sim_control(sim, "GET", "/stats", NULL, &body));
        j = json_tokener_parse(body);
        ASSERT_NOT_NULL(j);
        ASSERT_TRUE(json_object_object_get_ex(j, key, &v));
        n = (long) json_object_get_int64(v);
        json_object_put(j);
        return n;
}

/* The simulator counts a handshake in its own thread once it completes on its side, which may be
 * after our side has finished: give it a moment to reach @want. */
static long sim_stat_settled(const char *key, long want)
{
        long v = sim_stat(key);

        for (int i = 0; i < 40 && v != want; i++) {
                usleep(50 * 1000);
                v = sim_stat(key);
        }
        return v;
}

static void sim_fault(const char *fault_json)
{
        _cleanup_free_ char *s = NULL;

        sim_reset(sim);
        ASSERT_TRUE(asprintf(&s, "{\"faults\": [%s]}", fault_json) >= 0);
        sim_scenario(sim, s);
}

/* A loopback port with nothing listening on it. */
static int closed_port(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(a);
        int fd, port;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(bind(fd, (struct sockaddr *) &a, sizeof(a)));
        ASSERT_OK(getsockname(fd, (struct sockaddr *) &a, &l));
        port = ntohs(a.sin_port);
        close(fd);
        return port;
}

static int listen_loopback(int backlog, int *ret_port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(a);
        int fd;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(bind(fd, (struct sockaddr *) &a, sizeof(a)));
        ASSERT_OK(listen(fd, backlog));
        ASSERT_OK(getsockname(fd, (struct sockaddr *) &a, &l));
        *ret_port = ntohs(a.sin_port);
        return fd;
}

static void unset_proxy_env(void)
{
        static const char *const vars[] = { "https_proxy", "HTTPS_PROXY", "http_proxy",
                                            "HTTP_PROXY",  "all_proxy",   "ALL_PROXY",
                                            "no_proxy",    "NO_PROXY" };

        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                ASSERT_OK(unsetenv(vars[i]));
}

/*
 * A canned plain-HTTP server in a child process: for every connection it reads the request (head
 * and Content-Length body), then writes @resp, or with @echo a 200 whose body is the request as
 * received, and closes. Blocking I/O is fine there: the client under test is another process.
 */
typedef struct Canned {
        pid_t pid;
        int port;
        char *url;
} Canned;

static void write_all(int fd, const void *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k <= 0)
                        return;
                p = (const char *) p + k;
                n -= (size_t) k;
        }
}

static _noreturn_ void canned_serve(int lfd, const char *resp, size_t len, bool echo)
{
        static char buf[4 * 1024 * 1024];

        for (;;) {
                size_t n = 0, want = SIZE_MAX;
                int c = accept(lfd, NULL, NULL);

                if (c < 0)
                        _exit(0);
                while (n < sizeof(buf) - 1 && n < want) {
                        ssize_t k = read(c, buf + n, sizeof(buf) - 1 - n);
                        char *end, *cl;

                        if (k <= 0)
                                break;
                        n += (size_t) k;
                        buf[n] = 0;
                        end = strstr(buf, "\r\n\r\n");
                        if (end && want == SIZE_MAX) {
                                cl = strcasestr(buf, "\r\nContent-Length:");
                                want = (size_t) (end + 4 - buf) +
                                       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
                        }
                }
                if (echo) {
                        char head[128];
                        int h = snprintf(head, sizeof(head),
                                         "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                                         "Connection: close\r\n\r\n",
                                         n);
                        write_all(c, head, (size_t) h);
                        write_all(c, buf, n);
                } else
                        write_all(c, resp, len);
                shutdown(c, SHUT_WR);
                /* Let the client read everything before the close. */
                while (read(c, buf, sizeof(buf)) > 0)
                        ;
                close(c);
        }
}

static void canned_start(const char *resp, size_t len, bool echo, Canned *ret)
{
        int lfd, port;
        pid_t pid, parent;

        lfd = listen_loopback(16, &port);
        fflush(stderr);
        parent = getpid();
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                /* A failing assertion aborts the test: the server must not outlive it (it would
                 * keep the test's output pipe open, and meson waiting). */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                canned_serve(lfd, resp, len, echo);
        }
        close(lfd);
        *ret = (Canned) { .pid = pid, .port = port };
        ASSERT_TRUE(asprintf(&ret->url, "http://127.0.0.1:%d", port) >= 0);
}

static void canned_stop(Canned *c)
{
        kill(c->pid, SIGKILL);
        (void) waitpid(c->pid, NULL, 0);
        free(c->url);
        *c = (Canned) {};
}

static void run_canned(const char *resp, size_t len, size_t max_body, Outcome *out)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new_full(NULL, NULL, NULL);
        Canned srv;

        canned_start(resp, len, false, &srv);
        run(c, &(HttpRequestOptions) { .url = srv.url, .max_body = max_body }, out);
        canned_stop(&srv);
}

/* ---- API basics ------------------------------------------------------------------------------ */

static void test_transport_strings(void)
{
        for (int t = 0; t < _HTTP_TRANSPORT_MAX; t++) {
                ASSERT_NOT_NULL(http_transport_to_string(t));
                ASSERT_EQ(http_transport_from_string(http_transport_to_string(t)), t);
        }
        ASSERT_STREQ(http_transport_to_string(HTTP_TRANSPORT_OK), "ok");
        ASSERT_STREQ(http_transport_to_string(HTTP_TRANSPORT_TOO_LARGE), "too-large");
        ASSERT_STREQ(http_transport_to_string(HTTP_TRANSPORT_BAD_RESPONSE), "bad-response");
        ASSERT_NULL(http_transport_to_string(_HTTP_TRANSPORT_MAX));
        ASSERT_NULL(http_transport_to_string(-1));
        ASSERT_EQ(http_transport_from_string("nope"), _HTTP_TRANSPORT_INVALID);
        ASSERT_EQ(http_transport_from_string(NULL), _HTTP_TRANSPORT_INVALID);
}

static void test_start_refused(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new_full(NULL, NULL, NULL);
        static const char *const bad_header[] = { "X-A: 1\r\nX-Injected: 1", NULL };
        Outcome o = {};

        ASSERT_ERROR(http_request_start(c, &(HttpRequestOptions) {}, on_done, &o, NULL), EINVAL);
        ASSERT_ERROR(http_request_start(c, &(HttpRequestOptions) { .url = "not a url" }, on_done,
                                        &o, NULL),
                     EINVAL);
        ASSERT_ERROR(http_request_start(c, &(HttpRequestOptions) { .url = "ftp://127.0.0.1/" },
                                        on_done, &o, NULL),
                     EPROTONOSUPPORT);
        ASSERT_ERROR(http_request_start(c,
                                        &(HttpRequestOptions) { .url = "http://127.0.0.1:1/",
                                                                .method = "get" },
                                        on_done, &o, NULL),
                     EINVAL);
        ASSERT_ERROR(http_request_start(c,
                                        &(HttpRequestOptions) { .url = "http://127.0.0.1:1/",
                                                                .headers = (char *const *)
                                                                        bad_header },
                                        on_done, &o, NULL),
                     EINVAL);
        ASSERT_ERROR(http_request_start(c, &(HttpRequestOptions) { .url = "http://127.0.0.1:1/" },
                                        NULL, NULL, NULL),
                     EINVAL);
        ASSERT_EQ(http_client_n_active(c), 0);
        ASSERT_EQ(o.n_called, 0);
        ASSERT_OK(http_client_run_until_idle(c, 0));
}

/* ---- the simulator: exchanges ---------------------------------------------------------------- */

static void check_aws_response(const HttpResponse *r)
{
        usec_t date;
        const char *v;

        ASSERT_EQ(r->transport, HTTP_TRANSPORT_OK);
        ASSERT_NULL(r->error);
        ASSERT_TRUE(r->status >= 200 && r->status < 600);
        ASSERT_NOT_NULL(r->body);
        ASSERT_TRUE(r->body_size > 0);
        ASSERT_EQ(r->body[r->body_size], 0);
        ASSERT_EQ(strlen(r->body), r->body_size);

        /* Convenience fields mirror the headers, looked up case-insensitively. */
        ASSERT_NOT_NULL(r->request_id);
        ASSERT_TRUE(strlen(r->request_id) >= 16);
        v = http_response_header(r, "X-AMZN-REQUESTID");
        ASSERT_STREQ(v, r->request_id);
        ASSERT_NOT_NULL(r->date);
        ASSERT_OK(http_date_parse(r->date, &date));
        ASSERT_TRUE(date + 5 * USEC_PER_MINUTE > now_usec(CLOCK_REALTIME));
        ASSERT_TRUE(date < now_usec(CLOCK_REALTIME) + 5 * USEC_PER_MINUTE);
        ASSERT_NOT_NULL(r->content_type);
        ASSERT_STREQ(http_response_header(r, "content-type"), r->content_type);
        ASSERT_NULL(http_response_header(r, "X-Not-There"));

        ASSERT_TRUE(r->connected);
        ASSERT_NOT_NULL(r->remote_ip);
        ASSERT_TRUE(streq(r->remote_ip, "127.0.0.1") || streq(r->remote_ip, "::1"));
        ASSERT_TRUE(r->timing.total > 0);
        ASSERT_TRUE(r->timing.first_byte <= r->timing.total);
        if (!r->reused) {
                ASSERT_TRUE(r->timing.connect > 0);
                ASSERT_TRUE(r->timing.tls >= r->timing.connect);
                ASSERT_TRUE(r->timing.first_byte >= r->timing.tls);
        }
}

static void test_sim_get_post(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        _cleanup_free_ char *get_url = url_join(sim->aws_url,
                                                "/?Action=GetCallerIdentity&Version=2011-06-15");
        _cleanup_free_ char *requests = NULL;
        HttpClientStats st;
        Outcome o;
        int n0;

        sim_reset(sim);
        n0 = sim_count(sim, "sts:GetCallerIdentity");

        run(c, &(HttpRequestOptions) { .method = "GET", .url = get_url }, &o);
        check_aws_response(&o.resp);
        ASSERT_FALSE(o.resp.reused);
        /* Unsigned: the simulator answers with AWS's authentication error, which is data. */
        ASSERT_TRUE(o.resp.status >= 400 && o.resp.status < 500);
        outcome_done(&o);

        run_sts(c, sim->aws_url, &o);
        check_aws_response(&o.resp);
        ASSERT_TRUE(o.resp.status >= 400 && o.resp.status < 500);
        outcome_done(&o);

        ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), n0 + 2);
        /* The form body arrived as a POST. */
        ASSERT_OK(sim_control(sim, "GET", "/requests", NULL, &requests));
        ASSERT_NOT_NULL(strstr(requests, "\"POST\""));
        ASSERT_NOT_NULL(strstr(requests, "GetCallerIdentity"));

        http_client_get_stats(c, &st);
        ASSERT_EQ(st.n_requests, 2);
}

static void test_keep_alive(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        HttpClientStats st;
        long h0;
        Outcome o;

        h0 = sim_stat("tls_handshakes");

        run_sts(c, sim->aws_url, &o);
        check_aws_response(&o.resp);
        ASSERT_FALSE(o.resp.reused);
        outcome_done(&o);

        run_sts(c, sim->aws_url, &o);
        check_aws_response(&o.resp);
        ASSERT_TRUE(o.resp.reused);
        ASSERT_TRUE(o.resp.connected);
        outcome_done(&o);

        http_client_get_stats(c, &st);
        ASSERT_EQ(st.n_requests, 2);
        ASSERT_EQ(st.n_connects, 1);
        ASSERT_EQ(sim_stat_settled("tls_handshakes", h0 + 1), h0 + 1);

        /* fresh_connect opens a new one even though one is idle in the cache. */
        {
                _cleanup_free_ char *url = url_join(sim->aws_url, "/");
                HttpRequestOptions ro = sts_post(url);

                ro.fresh_connect = true;
                run(c, &ro, &o);
        }
        check_aws_response(&o.resp);
        ASSERT_FALSE(o.resp.reused);
        outcome_done(&o);
        http_client_get_stats(c, &st);
        ASSERT_EQ(st.n_connects, 2);
        ASSERT_EQ(sim_stat_settled("tls_handshakes", h0 + 2), h0 + 2);
}

/* max_idle: a connection idle longer is not reused (a new handshake), a shorter idle is. */
static void test_max_idle(void)
{
        HttpClient *c = NULL;
        long h0 = sim_stat("tls_handshakes");
        Outcome o;

        ASSERT_OK(http_client_new(event,
                                  &(HttpClientOptions) {
                                          .ca_bundle = sim->ca,
                                          .max_idle = 1 * USEC_PER_SEC,
                                  },
                                  &c));
        run_sts(c, sim->aws_url, &o);
        outcome_done(&o);
        run_sts(c, sim->aws_url, &o);      /* right away: reused */
        ASSERT_TRUE(o.resp.reused);
        outcome_done(&o);
        usleep(2200 * 1000);               /* idle past max_idle */
        run_sts(c, sim->aws_url, &o);
        ASSERT_FALSE(o.resp.reused);
        outcome_done(&o);
        ASSERT_EQ(sim_stat_settled("tls_handshakes", h0 + 2), h0 + 2);
        http_client_free(c);
}

/* An idle client with a cached connection must not wake the loop. */
static void test_idle_is_quiet(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        Outcome o;
        int r = 1;

        run_sts(c, sim->aws_url, &o);
        check_aws_response(&o.resp);
        outcome_done(&o);

        /* A few leftovers (curl's last timer, the dispatch source switching off) are fine;
         * then a whole 300 ms without anything to dispatch. */
        for (int i = 0; i < 5 && r > 0; i++) {
                r = sd_event_run(event, 300 * USEC_PER_MSEC);
                ASSERT_OK(r);
        }
        ASSERT_EQ(r, 0);
}

static void test_tls_untrusted(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new_full(SYSTEM_BUNDLE, NULL, NULL);
        Outcome o;

        if (access(SYSTEM_BUNDLE, R_OK) < 0) {
                fprintf(stderr, "   skipped: no %s\n", SYSTEM_BUNDLE);
                return;
        }
        run_sts(c, sim->aws_url, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TLS);
        ASSERT_NOT_NULL(o.resp.error);
        ASSERT_TRUE(o.resp.connected);
        ASSERT_EQ(o.resp.status, 0);
        ASSERT_NULL(o.resp.body);
        outcome_done(&o);
}

static void test_tls_wrong_name(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        Outcome o;

        run_sts(c, sim->aws_wrongname_url, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TLS);
        ASSERT_NOT_NULL(o.resp.error);
        ASSERT_TRUE(o.resp.connected);
        outcome_done(&o);
}

static void test_connect_refused(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        _cleanup_free_ char *url = NULL;
        Outcome o;

        ASSERT_TRUE(asprintf(&url, "https://127.0.0.1:%d/", closed_port()) >= 0);
        run(c, &(HttpRequestOptions) { .url = url }, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_CONNECT);
        ASSERT_FALSE(o.resp.connected);
        ASSERT_FALSE(o.resp.reused);
        ASSERT_NOT_NULL(o.resp.error);
        ASSERT_EQ(o.resp.status, 0);
        outcome_done(&o);
}

static void test_timeout_after_connect(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        usec_t t0 = now_usec(CLOCK_MONOTONIC), dt;
        Outcome o;

        run(c,
            &(HttpRequestOptions) { .url = sim->blackhole_url, .timeout = 300 * USEC_PER_MSEC },
            &o);
        dt = now_usec(CLOCK_MONOTONIC) - t0;
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TIMEOUT);
        /* The IMDS client reads this as "accepted but never answered" (the hop-limit case). */
        ASSERT_TRUE(o.resp.connected);
        ASSERT_TRUE(dt >= 250 * USEC_PER_MSEC);
        ASSERT_TRUE(dt < 2 * USEC_PER_SEC);
        outcome_done(&o);
}

/*
 * A listener with backlog 0 whose queue is already full: Linux drops further SYNs, so connect()
 * neither succeeds nor fails: the connect-phase timeout, without leaving the loopback.
 */
static void test_timeout_connecting(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        _cleanup_free_ char *url = NULL;
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int lfd, port, fillers[8], probe;
        struct pollfd p;
        Outcome o;

        lfd = listen_loopback(0, &port);
        a.sin_port = htons(port);
        for (size_t i = 0; i < ELEMENTSOF(fillers); i++) {
                fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                ASSERT_TRUE(fillers[i] >= 0);
                (void) connect(fillers[i], (struct sockaddr *) &a, sizeof(a));
        }
        usleep(100 * 1000);

        probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ASSERT_TRUE(probe >= 0);
        (void) connect(probe, (struct sockaddr *) &a, sizeof(a));
        p = (struct pollfd) { .fd = probe, .events = POLLOUT };
        if (poll(&p, 1, 300) != 0) {
                fprintf(stderr, "   skipped: a full listen backlog does not stall connect()\n");
                goto finish;
        }

        ASSERT_TRUE(asprintf(&url, "http://127.0.0.1:%d/", port) >= 0);
        run(c,
            &(HttpRequestOptions) {
                    .url = url,
                    .timeout = 5 * USEC_PER_SEC,
                    .connect_timeout = 300 * USEC_PER_MSEC,
            },
            &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TIMEOUT);
        ASSERT_FALSE(o.resp.connected);
        ASSERT_TRUE(o.resp.timing.total < 2 * USEC_PER_SEC);
        outcome_done(&o);

finish:
        close(probe);
        for (size_t i = 0; i < ELEMENTSOF(fillers); i++)
                close(fillers[i]);
        close(lfd);
}

static int bind_file(const char *dir, const char *name, const char *contents, const char *target)
{
        _cleanup_free_ char *path = NULL;
        FILE *f;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(contents, f);
        if (fclose(f) != 0)
                return -errno;
        return RET_NERRNO(mount(path, target, "none", MS_BIND, NULL));
}

static void remove_in(const char *dir, const char *name)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, name) >= 0)
                (void) unlink(path);
}

static _noreturn_ void dns_child(void)
{
        char dir[] = "/tmp/test-http-dns.XXXXXX";
        HttpClient *c = NULL;
        Outcome o = {};

        /* Never ask the real resolver (it is not on the loopback): a private mount namespace with
         * a resolv.conf naming 127.0.0.1, where nothing listens, so the lookup fails at once. */
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            !mkdtemp(dir))
                _exit(EXIT_TEST_SKIP);
        if (bind_file(dir, "resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
                      "/etc/resolv.conf") < 0 ||
            (access("/etc/nsswitch.conf", F_OK) == 0 &&
             bind_file(dir, "nsswitch.conf", "hosts: files dns\n", "/etc/nsswitch.conf") < 0))
                _exit(EXIT_TEST_SKIP);

        /* sd-event objects do not survive fork(): a loop of our own (the parent's stays
         * referenced, so leak checkers in the child see nothing lost). */
        parent_event = event;
        ASSERT_OK(sd_event_new(&event));
        c = client_new_full(NULL, NULL, NULL);
        run(c,
            &(HttpRequestOptions) { .url = "https://cwguard-test.invalid/",
                                    .timeout = 10 * USEC_PER_SEC },
            &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_DNS);
        ASSERT_FALSE(o.resp.connected);
        ASSERT_NOT_NULL(o.resp.error);
        ASSERT_TRUE(o.resp.timing.total < 5 * USEC_PER_SEC);
        outcome_done(&o);
        http_client_free(c);
        sd_event_unref(event);
        event = parent_event;

        (void) umount("/etc/resolv.conf");
        (void) umount("/etc/nsswitch.conf");
        remove_in(dir, "resolv.conf");
        remove_in(dir, "nsswitch.conf");
        (void) rmdir(dir);
        _exit(EXIT_SUCCESS);
}

static void test_dns_failure(void)
{
        int status;
        pid_t pid;

        fflush(stderr);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        _exit(EXIT_FAILURE);
                dns_child();
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        if (WEXITSTATUS(status) == EXIT_TEST_SKIP) {
                fprintf(stderr, "   skipped: cannot set up a private mount namespace\n");
                return;
        }
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* ---- the simulator: faults ------------------------------------------------------------------- */

static void run_sts_fault(const char *fault, size_t max_body, usec_t timeout, Outcome *out)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        _cleanup_free_ char *url = url_join(sim->aws_url, "/");
        HttpRequestOptions ro = sts_post(url);

        sim_fault(fault);
        ro.max_body = max_body;
        ro.timeout = timeout;
        run(c, &ro, out);

        /* Whatever happened, the client is still usable. */
        if (out->resp.transport != HTTP_TRANSPORT_OK) {
                Outcome again;

                sim_reset(sim);
                run_sts(c, sim->aws_url, &again);
                check_aws_response(&again.resp);
                outcome_done(&again);
        }
        sim_reset(sim);
}

static void test_fault_oversize(void)
{
        Outcome o;

        run_sts_fault("{\"action\": \"*\", \"type\": \"oversize\", \"size\": 100000, \"count\": 1}",
                      1000, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TOO_LARGE);
        ASSERT_NOT_NULL(o.resp.error);
        ASSERT_NULL(o.resp.body);
        ASSERT_EQ(o.resp.body_size, 0);
        outcome_done(&o);

        /* The same response under a cap it fits in. */
        run_sts_fault("{\"action\": \"*\", \"type\": \"oversize\", \"size\": 100000, \"count\": 1}",
                      100000, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(o.resp.status, 200);
        ASSERT_EQ(o.resp.body_size, 100000);
        outcome_done(&o);
}

static void test_fault_close(void)
{
        Outcome o;

        run_sts_fault("{\"action\": \"*\", \"type\": \"close\", \"count\": 1}", 0, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_RESET);
        ASSERT_TRUE(o.resp.connected);
        ASSERT_EQ(o.resp.status, 0);
        outcome_done(&o);
}

static void test_fault_truncate(void)
{
        Outcome o;

        run_sts_fault("{\"action\": \"*\", \"type\": \"truncate\", \"count\": 1}", 0, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_BAD_RESPONSE);
        ASSERT_NULL(o.resp.body);
        outcome_done(&o);
}

static void test_fault_delay(void)
{
        Outcome o;

        run_sts_fault("{\"action\": \"*\", \"type\": \"delay\", \"delay\": 2, \"count\": 1}", 0,
                      300 * USEC_PER_MSEC, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TIMEOUT);
        ASSERT_TRUE(o.resp.connected);
        ASSERT_TRUE(o.resp.timing.total < 2 * USEC_PER_SEC);
        outcome_done(&o);
}

static void test_fault_status(void)
{
        Outcome o;

        run_sts_fault("{\"action\": \"*\", \"type\": \"status\", \"status\": 503, \"count\": 1}", 0,
                      0, &o);
        /* A 503 is a complete exchange: data for the caller, not a transport failure. */
        check_aws_response(&o.resp);
        ASSERT_EQ(o.resp.status, 503);
        outcome_done(&o);
}

/* ---- proxies --------------------------------------------------------------------------------- */

static void test_proxy_tunnel(void)
{
        long t0 = sim_stat("proxy_tunnels");
        Outcome o;

        {
                _cleanup_(http_client_freep) HttpClient *c =
                        client_new_full(sim->ca, sim->proxy_url, NULL);

                run_sts(c, sim->aws_url, &o);
                check_aws_response(&o.resp);
                /* The proxy's "200 Connection established" is not the response. */
                ASSERT_NE(o.resp.status, 200);
                outcome_done(&o);
                ASSERT_EQ(sim_stat("proxy_tunnels"), t0 + 1);
        }

        /* no_proxy covering the host: straight to the endpoint. */
        {
                _cleanup_(http_client_freep) HttpClient *c =
                        client_new_full(sim->ca, sim->proxy_url, "example.com, localhost");

                run_sts(c, sim->aws_url, &o);
                check_aws_response(&o.resp);
                outcome_done(&o);
                ASSERT_EQ(sim_stat("proxy_tunnels"), t0 + 1);
        }

        /* Without options, libcurl follows https_proxy... */
        ASSERT_OK(setenv("https_proxy", sim->proxy_url, 1));
        {
                _cleanup_(http_client_freep) HttpClient *c = client_new();

                run_sts(c, sim->aws_url, &o);
                check_aws_response(&o.resp);
                outcome_done(&o);
                ASSERT_EQ(sim_stat("proxy_tunnels"), t0 + 2);

                /* ...and NO_PROXY, here as a CIDR range. */
                ASSERT_OK(setenv("NO_PROXY", "10.0.0.0/8, 127.0.0.0/8", 1));
                {
                        _cleanup_free_ char *url = NULL;

                        ASSERT_TRUE(asprintf(&url, "https://127.0.0.1:%d/", sim->aws_port) >= 0);
                        run(c, &(HttpRequestOptions) { .url = url }, &o);
                        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
                        outcome_done(&o);
                }
                ASSERT_EQ(sim_stat("proxy_tunnels"), t0 + 2);

        }
        unset_proxy_env();
}

/* direct (IMDS) never takes a proxy, wherever it is configured. */
static void test_proxy_direct(void)
{
        _cleanup_free_ char *dead = NULL;
        Outcome o;

        ASSERT_TRUE(asprintf(&dead, "http://127.0.0.1:%d", closed_port()) >= 0);
        ASSERT_OK(setenv("http_proxy", dead, 1));
        ASSERT_OK(setenv("https_proxy", dead, 1));
        ASSERT_OK(setenv("ALL_PROXY", dead, 1));
        {
                _cleanup_(http_client_freep) HttpClient *c = client_new();

                /* The environment is in effect... */
                run(c, &(HttpRequestOptions) { .url = sim->imds_url }, &o);
                ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_PROXY);
                outcome_done(&o);

                run(c, &(HttpRequestOptions) { .url = sim->imds_url, .direct = true }, &o);
                ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
                ASSERT_TRUE(o.resp.status > 0);
                outcome_done(&o);
        }
        {
                _cleanup_(http_client_freep) HttpClient *c = client_new_full(sim->ca, dead, NULL);
                _cleanup_free_ char *url = url_join(sim->aws_url, "/");
                HttpRequestOptions ro = sts_post(url);

                ro.direct = true;
                run(c, &ro, &o);
                check_aws_response(&o.resp);
                outcome_done(&o);
        }
        unset_proxy_env();
}

static void test_proxy_failures(void)
{
        _cleanup_free_ char *dead = NULL, *dead_target = NULL;
        int port = closed_port();
        Outcome o;

        ASSERT_TRUE(asprintf(&dead, "http://127.0.0.1:%d", port) >= 0);

        /* The proxy is not there: a proxy failure, not the endpoint's. */
        {
                _cleanup_(http_client_freep) HttpClient *c = client_new_full(sim->ca, dead, NULL);

                run_sts(c, sim->aws_url, &o);
                ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_PROXY);
                ASSERT_FALSE(o.resp.connected);
                outcome_done(&o);
        }
        ASSERT_OK(setenv("HTTPS_PROXY", dead, 1));
        {
                _cleanup_(http_client_freep) HttpClient *c = client_new();

                run_sts(c, sim->aws_url, &o);
                ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_PROXY);
                outcome_done(&o);

                /* Exempt by no_proxy, the endpoint itself refuses: that is CONNECT. */
                ASSERT_OK(setenv("no_proxy", ".localhost", 1));
                ASSERT_TRUE(asprintf(&dead_target, "https://localhost:%d/", closed_port()) >= 0);
                run(c, &(HttpRequestOptions) { .url = dead_target }, &o);
                ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_CONNECT);
                outcome_done(&o);
        }
        unset_proxy_env();

        /* The proxy refuses the tunnel (403 to CONNECT): it only tunnels to the loopback, so
         * nothing is sent to the TEST-NET address. */
        {
                _cleanup_(http_client_freep) HttpClient *c =
                        client_new_full(sim->ca, sim->proxy_url, NULL);

                run(c, &(HttpRequestOptions) { .url = "https://192.0.2.1/" }, &o);
                ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_PROXY);
                ASSERT_TRUE(o.resp.connected);
                ASSERT_EQ(o.resp.status, 0);
                ASSERT_NOT_NULL(o.resp.error);
                outcome_done(&o);
        }
}

/* ---- connect_only, cancel, concurrency, free ------------------------------------------------- */

static void test_connect_only(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        long h0 = sim_stat("tls_handshakes");
        int n0 = sim_count(sim, "sts:GetCallerIdentity");
        Outcome o;

        run(c, &(HttpRequestOptions) { .url = sim->aws_url, .connect_only = true }, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(o.resp.status, 0);
        ASSERT_TRUE(o.resp.connected);
        ASSERT_FALSE(o.resp.reused);
        ASSERT_TRUE(o.resp.timing.connect > 0);
        ASSERT_TRUE(o.resp.timing.tls > 0);
        ASSERT_TRUE(o.resp.timing.tls >= o.resp.timing.connect);
        ASSERT_EQ(o.resp.n_headers, 0);
        outcome_done(&o);
        ASSERT_EQ(sim_stat_settled("tls_handshakes", h0 + 1), h0 + 1);

        /* Even with a connection to reuse, the probe measures a handshake of its own. */
        run_sts(c, sim->aws_url, &o);
        outcome_done(&o);
        run(c, &(HttpRequestOptions) { .url = sim->aws_url, .connect_only = true }, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_FALSE(o.resp.reused);
        ASSERT_TRUE(o.resp.timing.tls > 0);
        outcome_done(&o);
        ASSERT_EQ(sim_stat_settled("tls_handshakes", h0 + 3), h0 + 3);
        /* Nothing was sent on the probes' connections. */
        ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), n0 + 1);

        run(c, &(HttpRequestOptions) { .url = sim->aws_wrongname_url, .connect_only = true }, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TLS);
        outcome_done(&o);
}

static void run_loop_for(usec_t t)
{
        usec_t end = now_usec(CLOCK_MONOTONIC) + t;

        for (usec_t n; (n = now_usec(CLOCK_MONOTONIC)) < end;)
                ASSERT_OK(sd_event_run(event, end - n));
}

static void test_cancel_in_flight(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        HttpRequest *req = NULL, *req2 = NULL;
        Outcome o;

        ASSERT_OK(http_request_start(c, &(HttpRequestOptions) { .url = sim->blackhole_url },
                                     on_done_forbidden, NULL, &req));
        ASSERT_NOT_NULL(req);
        /* Cancel straight away, before the loop ever ran... */
        ASSERT_OK(http_request_start(c, &(HttpRequestOptions) { .url = sim->blackhole_url },
                                     on_done_forbidden, NULL, &req2));
        ASSERT_NULL(http_request_cancel(req2));
        ASSERT_EQ(http_client_n_active(c), 1);

        /* ...and once it is connected and waiting. */
        run_loop_for(200 * USEC_PER_MSEC);
        ASSERT_EQ(http_client_n_active(c), 1);
        ASSERT_NULL(http_request_cancel(req));
        ASSERT_EQ(http_client_n_active(c), 0);
        ASSERT_NULL(http_request_cancel(NULL));
        run_loop_for(200 * USEC_PER_MSEC);

        /* The client carries on. */
        run_sts(c, sim->aws_url, &o);
        check_aws_response(&o.resp);
        outcome_done(&o);
}

static void test_run_until_idle_timeout(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();

        ASSERT_OK(http_request_start(c, &(HttpRequestOptions) { .url = sim->blackhole_url,
                                                                 .timeout = 60 * USEC_PER_SEC },
                                     on_done_forbidden, NULL, NULL));
        ASSERT_ERROR(http_client_run_until_idle(c, 200 * USEC_PER_MSEC), ETIMEDOUT);
        ASSERT_EQ(http_client_n_active(c), 1);
        /* Freed with the request in flight: no callback. */
}

#define N_CONCURRENT 20

typedef struct Slot {
        struct Slot *all;
        unsigned index;
        HttpRequest *req;
        unsigned n_called;
        bool cancelled;
        bool cancel_next;
        HttpTransport transport;
        long status;
} Slot;

static void on_slot_done(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        Slot *s = userdata;

        ASSERT_TRUE(req == s->req);
        ASSERT_FALSE(s->cancelled);
        s->n_called++;
        ASSERT_EQ(s->n_called, 1);
        s->req = NULL;
        s->transport = resp->transport;
        s->status = resp->status;

        /* Cancelling another request from a callback: running or already queued. */
        if (s->cancel_next) {
                Slot *next = &s->all[(s->index + 1) % N_CONCURRENT];

                if (next->req && !next->cancelled) {
                        ASSERT_NULL(http_request_cancel(next->req));
                        next->req = NULL;
                        next->cancelled = true;
                }
        }
}

static void run_concurrent(bool cancel_next)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new();
        _cleanup_free_ char *url = url_join(sim->aws_url, "/");
        HttpRequestOptions ro = sts_post(url);
        Slot slots[N_CONCURRENT] = {};
        unsigned n_done = 0, n_cancelled = 0;
        HttpClientStats st;

        for (unsigned i = 0; i < N_CONCURRENT; i++) {
                slots[i] = (Slot) { .all = slots, .index = i, .cancel_next = cancel_next };
                ASSERT_OK(http_request_start(c, &ro, on_slot_done, &slots[i], &slots[i].req));
        }
        ASSERT_EQ(http_client_n_active(c), N_CONCURRENT);
        ASSERT_OK(http_client_run_until_idle(c, RUN_TIMEOUT));

        for (unsigned i = 0; i < N_CONCURRENT; i++) {
                ASSERT_TRUE(slots[i].n_called + slots[i].cancelled == 1);
                if (slots[i].cancelled) {
                        n_cancelled++;
                        continue;
                }
                n_done++;
                ASSERT_EQ(slots[i].transport, HTTP_TRANSPORT_OK);
                ASSERT_TRUE(slots[i].status >= 400);
        }
        ASSERT_EQ(n_done + n_cancelled, N_CONCURRENT);
        if (!cancel_next)
                ASSERT_EQ(n_done, N_CONCURRENT);
        else
                ASSERT_TRUE(n_cancelled > 0);
        http_client_get_stats(c, &st);
        ASSERT_TRUE(st.n_requests >= n_done);
        ASSERT_TRUE(st.n_connects >= 1);
}

static void test_concurrent(void)
{
        run_concurrent(false);
}

static void test_cancel_from_callback(void)
{
        run_concurrent(true);
}

static void on_done_count(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        unsigned *n = userdata;

        (*n)++;
}

static void test_free_in_flight(void)
{
        HttpClient *c = client_new();
        _cleanup_free_ char *url = url_join(sim->aws_url, "/");
        HttpRequestOptions ro = sts_post(url);
        unsigned n_called = 0, n_at_free;

        for (int i = 0; i < 5; i++) {
                ASSERT_OK(http_request_start(c, &(HttpRequestOptions) { .url = sim->blackhole_url },
                                             on_done_forbidden, NULL, NULL));
                ASSERT_OK(http_request_start(c, &ro, on_done_count, &n_called, NULL));
        }
        /* Some connected and waiting, some answered (and called back), maybe some queued. */
        run_loop_for(100 * USEC_PER_MSEC);
        ASSERT_TRUE(http_client_n_active(c) >= 5);
        n_at_free = n_called;
        ASSERT_NULL(http_client_free(c));

        /* Nothing of the client may fire any more. */
        run_loop_for(300 * USEC_PER_MSEC);
        ASSERT_EQ(n_called, n_at_free);
}

typedef struct FreeFromCallback {
        HttpClient *client;
        unsigned n_called;
} FreeFromCallback;

static void on_done_free_client(HttpRequest *req, HttpResponse *resp, void *userdata)
{
        FreeFromCallback *f = userdata;

        f->n_called++;
        ASSERT_EQ(f->n_called, 1);
        f->client = http_client_free(f->client);
}

static void test_free_from_callback(void)
{
        FreeFromCallback f = { .client = client_new() };
        _cleanup_free_ char *url = url_join(sim->aws_url, "/");
        HttpRequestOptions ro = sts_post(url);
        usec_t end = now_usec(CLOCK_MONOTONIC) + RUN_TIMEOUT;

        for (int i = 0; i < 3; i++)
                ASSERT_OK(http_request_start(f.client, &ro, on_done_free_client, &f, NULL));
        while (f.n_called == 0) {
                ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) < end);
                ASSERT_OK(sd_event_run(event, 100 * USEC_PER_MSEC));
        }
        ASSERT_NULL(f.client);
        run_loop_for(300 * USEC_PER_MSEC);
        ASSERT_EQ(f.n_called, 1);
}

/* ---- canned servers: what the simulator cannot send ------------------------------------------ */

static void test_request_shape(void)
{
        _cleanup_(http_client_freep) HttpClient *c = client_new_full(NULL, NULL, NULL);
        _cleanup_free_ char *url = NULL, *put_url = NULL;
        static const char *const headers[] = { "X-Test: one",
                                               "Content-Type: application/x-amz-json-1.1", NULL };
        _cleanup_free_ char *body = NULL;
        size_t body_size = 1024 * 1024 + 16;
        Canned srv;
        Outcome o;

        /* Large enough (> 1 MiB) that libcurl would otherwise send "Expect: 100-continue" and
         * wait a second for an answer that never comes. */
        body = malloc(body_size);
        ASSERT_NOT_NULL(body);
        memset(body, 'b', body_size);
        memcpy(body, "{\"k\":1}", 7);

        canned_start(NULL, 0, true, &srv);
        url = url_join(srv.url, "/a/./b/../c?x=1");

        run(c,
            &(HttpRequestOptions) { .method = "POST",
                                    .url = url,
                                    .headers = (char *const *) headers,
                                    .body = body,
                                    .body_size = body_size,
                                    .max_body = 2 * body_size },
            &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(o.resp.status, 200);
        /* The path exactly as SigV4 signed it. */
        ASSERT_TRUE(strncmp(o.resp.body, "POST /a/./b/../c?x=1 HTTP/1.1\r\n", 31) == 0);
        ASSERT_NOT_NULL(strstr(o.resp.body, "\r\nUser-Agent: cwguard/" PACKAGE_VERSION "\r\n"));
        ASSERT_NOT_NULL(strstr(o.resp.body, "\r\nX-Test: one\r\n"));
        ASSERT_NOT_NULL(strstr(o.resp.body, "\r\nContent-Type: application/x-amz-json-1.1\r\n"));
        ASSERT_NOT_NULL(strstr(o.resp.body, "\r\nContent-Length: 1048592\r\n"));
        ASSERT_NULL(strcasestr(o.resp.body, "\r\nExpect:"));
        ASSERT_NOT_NULL(strstr(o.resp.body, "\r\n\r\n{\"k\":1}bbb"));
        ASSERT_EQ(o.resp.body[o.resp.body_size - 1], 'b');
        ASSERT_TRUE(o.resp.timing.total < USEC_PER_SEC);
        outcome_done(&o);

        /* IMDS's token PUT: no body, an explicit zero length. */
        put_url = url_join(srv.url, "/latest/api/token");
        run(c, &(HttpRequestOptions) { .method = "PUT", .url = put_url, .direct = true }, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_TRUE(strncmp(o.resp.body, "PUT /latest/api/token HTTP/1.1\r\n", 32) == 0);
        ASSERT_NOT_NULL(strstr(o.resp.body, "\r\nContent-Length: 0\r\n"));
        outcome_done(&o);

        run(c, &(HttpRequestOptions) { .method = "HEAD", .url = put_url }, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(o.resp.status, 200);
        ASSERT_EQ(o.resp.body_size, 0);
        ASSERT_STREQ(o.resp.body, "");
        outcome_done(&o);

        canned_stop(&srv);
}

static void test_headers_odd(void)
{
        static const char resp[] = "HTTP/1.1 100 Continue\r\n"
                                   "X-Interim: yes\r\n"
                                   "\r\n"
                                   "HTTP/1.1 200 OK\r\n"
                                   "X-Bin: \xff\xfe\x80" "abc\r\n"
                                   "X-Empty:\r\n"
                                   "X-Spaces:   padded value  \r\n"
                                   "X-Fold: first\r\n"
                                   "   second\r\n"
                                   "x-amz-request-id: legacy-id\r\n"
                                   "X-Amzn-Query-Error: AWS.SimpleQueueService.Throttled;Sender\r\n"
                                   "Content-Length: 5\r\n"
                                   "Connection: close\r\n"
                                   "\r\n"
                                   "he\0lo";
        Outcome o;

        run_canned(resp, sizeof(resp) - 1, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(o.resp.status, 200);
        /* Only the final response's headers. */
        ASSERT_NULL(http_response_header(&o.resp, "X-Interim"));
        ASSERT_STREQ(http_response_header(&o.resp, "x-bin"), "\xff\xfe\x80" "abc");
        ASSERT_STREQ(http_response_header(&o.resp, "X-Empty"), "");
        ASSERT_STREQ(http_response_header(&o.resp, "X-Spaces"), "padded value");
        ASSERT_STREQ(o.resp.request_id, "legacy-id");
        ASSERT_STREQ(o.resp.query_error, "AWS.SimpleQueueService.Throttled;Sender");
        ASSERT_NULL(o.resp.date);
        ASSERT_NULL(o.resp.content_type);
        /* An obs-fold continuation (RFC 7230 3.2.4) joins its header with one space. */
        ASSERT_STREQ(http_response_header(&o.resp, "X-Fold"), "first second");
        ASSERT_EQ(o.resp.n_headers, 8);
        ASSERT_EQ(o.resp.body_size, 5);
        ASSERT_TRUE(memcmp(o.resp.body, "he\0lo", 6) == 0);
        outcome_done(&o);
}

static void test_headers_malformed(void)
{
        static const char no_colon[] = "HTTP/1.1 200 OK\r\n"
                                       "ThisLineHasNoColon\r\n"
                                       ": no name\r\n"
                                       "X-Ok: 1\r\n"
                                       "Content-Length: 2\r\n"
                                       "Connection: close\r\n"
                                       "\r\n"
                                       "ok";
        static const char not_http[] = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
        Outcome o;

        /* libcurl may refuse such a response or pass the lines on; either way no crash, and
         * nothing nameless becomes a header. */
        run_canned(no_colon, sizeof(no_colon) - 1, 0, &o);
        ASSERT_TRUE(o.resp.transport == HTTP_TRANSPORT_OK ||
                    o.resp.transport == HTTP_TRANSPORT_BAD_RESPONSE);
        for (size_t i = 0; i < o.resp.n_headers; i++) {
                ASSERT_FALSE(isempty(o.resp.headers[i].name));
                ASSERT_NULL(strchr(o.resp.headers[i].name, ':'));
        }
        if (o.resp.transport == HTTP_TRANSPORT_OK)
                ASSERT_STREQ(http_response_header(&o.resp, "X-Ok"), "1");
        outcome_done(&o);

        run_canned(not_http, sizeof(not_http) - 1, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_BAD_RESPONSE);
        outcome_done(&o);
}

static void test_headers_too_large(void)
{
        _cleanup_free_ char *resp = NULL;
        size_t n = 0, size = 100 * 1024;
        Outcome o;

        resp = malloc(size);
        ASSERT_NOT_NULL(resp);
        n += (size_t) snprintf(resp + n, size - n, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 80; i++) {
                n += (size_t) snprintf(resp + n, size - n, "X-Pad-%d: ", i);
                memset(resp + n, 'a', 1000);
                n += 1000;
                n += (size_t) snprintf(resp + n, size - n, "\r\n");
        }
        n += (size_t) snprintf(resp + n, size - n,
                               "Content-Length: 2\r\nConnection: close\r\n\r\nok");

        run_canned(resp, n, 0, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TOO_LARGE);
        ASSERT_NOT_NULL(o.resp.error);
        ASSERT_NULL(o.resp.body);
        outcome_done(&o);
}

/* Chunked: no Content-Length for libcurl to refuse up front, the write path enforces the cap. */
static void test_body_cap_chunked(void)
{
        _cleanup_free_ char *resp = NULL;
        size_t n = 0, size = 64 * 1024;
        Outcome o;

        resp = malloc(size);
        ASSERT_NOT_NULL(resp);
        n += (size_t) snprintf(resp + n, size - n,
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                               "Connection: close\r\n\r\n");
        for (int i = 0; i < 10; i++) {
                n += (size_t) snprintf(resp + n, size - n, "64\r\n"); /* 100 bytes */
                memset(resp + n, 'x', 100);
                n += 100;
                n += (size_t) snprintf(resp + n, size - n, "\r\n");
        }
        n += (size_t) snprintf(resp + n, size - n, "0\r\n\r\n");

        run_canned(resp, n, 1000, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(o.resp.body_size, 1000);
        outcome_done(&o);

        run_canned(resp, n, 999, &o);
        ASSERT_EQ(o.resp.transport, HTTP_TRANSPORT_TOO_LARGE);
        ASSERT_NULL(o.resp.body);
        ASSERT_NOT_NULL(strstr(o.resp.error, "999"));
        outcome_done(&o);
}

static void test_without_sim(void)
{
        TEST(test_request_shape);
        TEST(test_headers_odd);
        TEST(test_headers_malformed);
        TEST(test_headers_too_large);
        TEST(test_body_cap_chunked);
        TEST(test_connect_refused);
        TEST(test_timeout_connecting);
        TEST(test_dns_failure);
}

int main(int argc, char *argv[])
{
        int r;

        /* Proxies from the environment would send the tests elsewhere; they set their own. */
        unset_proxy_env();
        ASSERT_OK(sd_event_new(&event));

        TEST(test_transport_strings);
        TEST(test_start_refused);
        test_without_sim();

        r = sim_start(&sim);
        if (r == -EOPNOTSUPP && !getenv("CWGUARD_REQUIRE_SIM")) {
                fprintf(stderr, "simulator unavailable (%s), skipping the rest\n", strerror(-r));
                event = sd_event_unref(event);
                return EXIT_TEST_SKIP;
        }
        ASSERT_OK(r);

        TEST(test_sim_get_post);
        TEST(test_keep_alive);
        TEST(test_max_idle);
        TEST(test_idle_is_quiet);
        TEST(test_tls_untrusted);
        TEST(test_tls_wrong_name);
        TEST(test_timeout_after_connect);
        TEST(test_fault_oversize);
        TEST(test_fault_close);
        TEST(test_fault_truncate);
        TEST(test_fault_delay);
        TEST(test_fault_status);
        TEST(test_proxy_tunnel);
        TEST(test_proxy_failures);
        TEST(test_proxy_direct);
        TEST(test_connect_only);
        TEST(test_cancel_in_flight);
        TEST(test_run_until_idle_timeout);
        TEST(test_concurrent);
        TEST(test_cancel_from_callback);
        TEST(test_free_in_flight);
        TEST(test_free_from_callback);

        sim = sim_free(sim);
        event = sd_event_unref(event);
        return EXIT_SUCCESS;
}
