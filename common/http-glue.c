/* SPDX-License-Identifier: MIT */
/*
 * http-glue.c: the libcurl multi handle of an HttpClient, driven by its sd-event loop (the shape
 * of systemd's CurlGlue). curl tells us which sockets to watch (one io source each, a SocketWatch)
 * and when to wake it (one CLOCK_BOOTTIME timer); we hand the events back through
 * curl_multi_socket_action() and never block. Finished transfers are described, moved to the
 * client's done queue and delivered from a defer source, one per loop iteration, so a callback
 * never runs inside http_request_start() or inside a libcurl callback and may freely start,
 * cancel or free. Everything runs on the loop's thread; libcurl's resolver thread is its own.
 *
 * Deliberate limits: the glue owns no request; requests attach and detach themselves (http.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "common/http-internal.h"
#include "common/http.h"

/* curl asks for wake-ups with millisecond granularity; sd-event's default slack is 250 ms. */
#define HTTP_TIMER_ACCURACY USEC_PER_MSEC

struct SocketWatch {
        HttpClient *client;
        sd_event_source *source;
        SocketWatch *prev, *next;
};

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

/* ---- completion ------------------------------------------------------------------------------ */

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

                http_request_finish(req, cc);

                /* Detaching hands a kept-alive connection back to the multi handle's cache. */
                (void) curl_multi_remove_handle(c->multi, req->easy);
                http_request_list_unlink(&c->running, NULL, req);
                req->state = REQUEST_DONE;
                http_request_list_append(&c->done, &c->done_tail, req);
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

        http_request_list_unlink(&c->done, &c->done_tail, req);
        if (!c->done)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        req->state = REQUEST_DISPATCHING;
        req->client = NULL;
        c->n_active--;

        /* One completion per loop iteration: the callback may free the client, so nothing
         * touches @c after it returns. */
        req->callback(req, &req->response, req->userdata);
        http_request_free(req);
        return 0;
}

/* ---- curl multi <-> sd-event ----------------------------------------------------------------- */

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

/* ---- setup and teardown ---------------------------------------------------------------------- */

int http_glue_init(HttpClient *c)
{
        int r;

        /* Both sources exist from the start and are only toggled later: arming them from inside
         * curl's callbacks then never allocates, so it cannot fail half-way. */
        r = sd_event_add_time(c->event, &c->timer, CLOCK_BOOTTIME, 0, HTTP_TIMER_ACCURACY,
                              on_timer, c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->timer, "http-timer");

        r = sd_event_add_defer(c->event, &c->dispatch, on_dispatch, c);
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
        return 0;
}

void http_glue_done(HttpClient *c)
{
        if (c->multi) {
                /* Closing the cached connections must not call back into a half-freed client:
                 * drop our watches while their fds are still open, then let curl close them. */
                (void) curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, NULL);
                (void) curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
                while (c->watches)
                        watch_free(c->watches);
                curl_multi_cleanup(c->multi);
                c->multi = NULL;
        }
        while (c->watches)
                watch_free(c->watches);

        c->timer = sd_event_source_disable_unref(c->timer);
        c->dispatch = sd_event_source_disable_unref(c->dispatch);
}
