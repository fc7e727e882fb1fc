/* SPDX-License-Identifier: MIT */
/*
 * credentials.c: the credential provider chain and its refresh. A CredentialsProvider resolves
 * credentials the way the SDKs and the CloudWatch agent do, first match wins: the environment
 * (passed in as a vector, never getenv), the shared credentials file (profile
 * AmazonCloudWatchAgent unless told otherwise), then IMDS. It owns the current credentials
 * (secrets wiped when dropped), an ImdsClient, and timers on the caller's sd-event loop that
 * refresh before expiry and retry failures with jittered backoff; a failed refresh keeps the old
 * credentials until they really expire. Every outcome is data (a class and a one-line message
 * that never holds a secret), callbacks are dispatched one per loop iteration from a defer
 * source, so any of them may free the provider. No logging, no blocking, no threads. The two
 * local sources (environment, shared file) live in credentials-file.c; the only file read is
 * there.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/credentials-internal.h"
#include "common/credentials.h"

/* Status and result messages are cut here (one line, never a secret). */
#define MESSAGE_MAX 2048U

/* botocore's advisory refresh window: refresh 15 min before expiry (or half the lifetime). */
#define REFRESH_WINDOW_MAX (15 * USEC_PER_MINUTE)
/* Never poll IMDS more often than this, even for credentials about to expire. */
#define REFRESH_MIN_INTERVAL (1 * USEC_PER_SEC)
#define RETRY_MIN_INTERVAL (500 * USEC_PER_MSEC)
#define RETRY_INITIAL_DEFAULT (5 * USEC_PER_SEC)
#define RETRY_MAX_DEFAULT (5 * USEC_PER_MINUTE)
#define TIMER_ACCURACY (10 * USEC_PER_MSEC)

static const char *const credential_source_table[_CREDENTIAL_SOURCE_MAX] = {
        [CREDENTIAL_SOURCE_ENVIRONMENT] = "environment",
        [CREDENTIAL_SOURCE_SHARED_FILE] = "shared-file",
        [CREDENTIAL_SOURCE_IMDS] = "imds",
        [CREDENTIAL_SOURCE_ASSUME_ROLE] = "assume-role",
};

DEFINE_STRING_TABLE_LOOKUP(credential_source, CredentialSource, _CREDENTIAL_SOURCE_MAX);

AwsCredentials *aws_credentials_free(AwsCredentials *c)
{
        if (!c)
                return NULL;
        free(c->access_key_id);
        erase_and_free(c->secret_access_key);
        erase_and_free(c->session_token);
        free(c->source_detail);
        free(c);
        return NULL;
}

static void *free_ptr(void *p)
{
        free(p);
        return NULL;
}

int credentials_strdup_or_null(const char *s, char **ret)
{
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int aws_credentials_copy(const AwsCredentials *c, AwsCredentials **ret)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *n = NULL;

        n = calloc(1, sizeof(AwsCredentials));
        if (!n)
                return -ENOMEM;
        n->expiration = c->expiration;
        n->source = c->source;
        if (credentials_strdup_or_null(c->access_key_id, &n->access_key_id) < 0 ||
            credentials_strdup_or_null(c->secret_access_key, &n->secret_access_key) < 0 ||
            credentials_strdup_or_null(c->session_token, &n->session_token) < 0 ||
            credentials_strdup_or_null(c->source_detail, &n->source_detail) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(n);
        return 0;
}

bool aws_credentials_expired(const AwsCredentials *c, usec_t now)
{
        return c && c->expiration > 0 && c->expiration <= now;
}

void credentials_result_done(CredentialsResult *r)
{
        if (!r)
                return;
        free(r->message);
        free(r->imds_code);
        *r = (CredentialsResult) {};
}

char *credentials_format_message(const char *fmt, va_list ap)
{
        char *m;

        if (vasprintf(&m, fmt, ap) < 0)
                return NULL;
        string_one_line(m, MESSAGE_MAX);
        return m;
}

void credentials_set_message(char **p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        free(*p);
        /* NULL on OOM: the class still tells what happened */
        *p = credentials_format_message(fmt, ap);
        va_end(ap);
}

/* ---------------------------------------------------------------------------------------------
 * The provider
 */

struct CredentialsRefresh {
        CredentialsProvider *provider;  /* NULL while its callback runs */
        CredentialsRefresh *prev, *next;
        bool queued;                    /* in provider->queue, else in provider->waiting */
        CredentialsRefreshCallback callback;
        void *userdata;
        CredentialsResult result;
};

struct CredentialsProvider {
        sd_event *event;
        HttpClient *http;
        ImdsClient *imds;
        char **envp;
        char *file;
        char *profile;
        usec_t retry_initial, retry_max;

        AwsCredentials *current;
        bool insecure_permissions;       /* of the file the current credentials came from */
        usec_t last_success;

        ResultClass class;               /* the status class */
        char *message;
        bool expiry_described;           /* @message says the current credentials expired */
        ResultClass last_error_class;
        char *last_error_message;
        unsigned n_failures;

        bool refreshing;
        ImdsOperation *imds_op;
        char *fallthrough;               /* why env and file had nothing, while IMDS runs */

        sd_event_source *refresh_timer;  /* CLOCK_REALTIME */
        sd_event_source *expiry_timer;   /* CLOCK_REALTIME */
        usec_t next_refresh;
        sd_event_source *dispatch;       /* defer: one callback per loop iteration */

        CredentialsRefresh *waiting;     /* callbacks of the run in flight */
        CredentialsRefresh *queue, *queue_tail;
        bool change_pending;
        CredentialsChangeCallback on_change;
        void *on_change_userdata;
};

static void refresh_list_remove(CredentialsRefresh **head, CredentialsRefresh **tail,
                                CredentialsRefresh *r)
{
        if (r->prev)
                r->prev->next = r->next;
        else
                *head = r->next;
        if (r->next)
                r->next->prev = r->prev;
        else if (tail)
                *tail = r->prev;
        r->prev = r->next = NULL;
}

static CredentialsRefresh *refresh_free(CredentialsRefresh *r)
{
        if (!r)
                return NULL;
        if (r->provider) {
                if (r->queued)
                        refresh_list_remove(&r->provider->queue, &r->provider->queue_tail, r);
                else
                        refresh_list_remove(&r->provider->waiting, NULL, r);
        }
        credentials_result_done(&r->result);
        free(r);
        return NULL;
}

CredentialsRefresh *credentials_refresh_cancel(CredentialsRefresh *r)
{
        if (r && r->provider)
                refresh_free(r);
        return NULL;
}

static void provider_arm_dispatch(CredentialsProvider *p)
{
        if (p->queue || p->change_pending)
                (void) sd_event_source_set_enabled(p->dispatch, SD_EVENT_ONESHOT);
}

static int provider_on_dispatch(sd_event_source *s, void *userdata)
{
        CredentialsProvider *p = userdata;
        CredentialsRefresh *r;

        /* One callback per iteration, and nothing touches @p after it: it may free @p. */
        if (p->change_pending) {
                p->change_pending = false;
                provider_arm_dispatch(p);
                if (p->on_change)
                        p->on_change(p, p->on_change_userdata);
                return 0;
        }

        r = p->queue;
        if (!r)
                return 0;
        refresh_list_remove(&p->queue, &p->queue_tail, r);
        r->provider = NULL;
        provider_arm_dispatch(p);
        r->callback(p, &r->result, r->userdata);
        refresh_free(r);
        return 0;
}

static int result_copy(const CredentialsResult *src, CredentialsResult *dst)
{
        *dst = *src;
        dst->message = NULL;
        dst->imds_code = NULL;
        if (credentials_strdup_or_null(src->message, &dst->message) < 0 ||
            credentials_strdup_or_null(src->imds_code, &dst->imds_code) < 0) {
                credentials_result_done(dst);
                dst->class = src->class;
                return -ENOMEM;
        }
        return 0;
}

static uint64_t random_u64(void)
{
        uint64_t v;

        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t) sizeof(v))
                v = now_usec(CLOCK_MONOTONIC) * 6364136223846793005ULL + (uint64_t) getpid();
        return v;
}

static int arm_timer(CredentialsProvider *p, sd_event_source **s, usec_t when,
                     sd_event_time_handler_t handler, const char *description)
{
        int r;

        if (!*s) {
                r = sd_event_add_time(p->event, s, CLOCK_REALTIME, when, TIMER_ACCURACY, handler,
                                      p);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(*s, description);
                return 0;
        }
        r = sd_event_source_set_time(*s, when);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}

static void disarm_timer(sd_event_source *s)
{
        if (s)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static void provider_set_class(CredentialsProvider *p, ResultClass class)
{
        if (p->class != class)
                p->change_pending = true;
        p->class = class;
}

/*
 * IMDS answered, and the answer is that the role is gone (404 on security-credentials/) or
 * cannot be used (a credentials document whose Code is not Success): unlike IMDS being down,
 * that will not heal by itself, so it is the provider's class at once, even while the old
 * instance-profile credentials (which AWS keeps honouring until they expire) are still used.
 */
static bool class_is_imds_verdict(ResultClass c)
{
        return c == RESULT_CLASS_IMDS_NO_ROLE || c == RESULT_CLASS_IMDS_CREDENTIALS_ERROR;
}

/* The class once the current credentials have expired: what IMDS said, else expired. */
static ResultClass provider_expired_class(const CredentialsProvider *p)
{
        return p->current && p->current->source == CREDENTIAL_SOURCE_IMDS &&
                               class_is_imds_verdict(p->last_error_class) ?
                       p->last_error_class :
                       RESULT_CLASS_CREDENTIALS_EXPIRED;
}

static void provider_describe_expiry(CredentialsProvider *p, const char *why)
{
        char buf[ISO8601_MAX];

        p->expiry_described = true;
        credentials_set_message(&p->message, "credentials from %s expired at %s%s%s",
                                strna(p->current->source_detail),
                                iso8601_format(p->current->expiration, buf), why ? "; " : "",
                                strempty(why));
}

static int provider_on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int provider_on_expiry_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        CredentialsProvider *p = userdata;

        if (!p->current || !aws_credentials_expired(p->current, now_usec(CLOCK_REALTIME)))
                return 0;
        provider_describe_expiry(p, p->last_error_message);
        provider_set_class(p, provider_expired_class(p));
        provider_arm_dispatch(p);
        return 0;
}

static void provider_schedule(CredentialsProvider *p, bool failed)
{
        usec_t now = now_usec(CLOCK_REALTIME), when = 0;

        if (failed || (p->current && aws_credentials_expired(p->current, now))) {
                /* Capped exponential backoff with "equal jitter": [d/2, d). */
                unsigned n = MIN(p->n_failures, 30U);
                usec_t d = p->retry_initial;

                for (unsigned i = 1; i < n && d < p->retry_max; i++)
                        d *= 2;
                d = MIN(d, p->retry_max);
                d = d / 2 + random_u64() % (d / 2 + 1);
                when = now + MAX(d, RETRY_MIN_INTERVAL);
        } else if (p->current && p->current->expiration > 0) {
                /* Refresh at expiration - min(15 min, lifetime / 2). IMDS publishes new
                 * credentials "at least five minutes before the expiration of the old", so a
                 * refresh that still gets the old ones lands in a shorter window next time. */
                usec_t left = p->current->expiration - now;

                when = p->current->expiration - MIN(REFRESH_WINDOW_MAX, left / 2);
                when = MAX(when, now + REFRESH_MIN_INTERVAL);
        }

        p->next_refresh = when;
        if (when == 0 || arm_timer(p, &p->refresh_timer, when, provider_on_refresh_timer,
                                   "credentials-refresh") < 0) {
                disarm_timer(p->refresh_timer);
                p->next_refresh = 0;
        }

        if (p->current && p->current->expiration > 0 && !aws_credentials_expired(p->current, now))
                (void) arm_timer(p, &p->expiry_timer, p->current->expiration,
                                 provider_on_expiry_timer, "credentials-expiry");
        else
                disarm_timer(p->expiry_timer);
}

static bool credentials_same(const AwsCredentials *a, const AwsCredentials *b)
{
        return a && b && streq(a->access_key_id, b->access_key_id) &&
               streq(a->secret_access_key, b->secret_access_key) &&
               streq_ptr(a->session_token, b->session_token) && a->expiration == b->expiration &&
               a->source == b->source && streq_ptr(a->source_detail, b->source_detail);
}

/* A run of the chain ended: update the state, schedule, queue the callbacks. */
static void provider_complete(CredentialsProvider *p, AwsCredentials *creds, CredentialsResult *res)
{
        usec_t now = now_usec(CLOCK_REALTIME);
        bool failed = !creds;

        p->refreshing = false;
        p->expiry_described = false;
        if (creds) {
                if (!credentials_same(p->current, creds)) {
                        aws_credentials_free(p->current);
                        p->current = creds;
                        p->change_pending = true;
                } else
                        aws_credentials_free(creds);
                p->insecure_permissions = res->insecure_permissions;
                p->last_success = now;
                p->n_failures = 0;
                p->last_error_class = RESULT_CLASS_OK;
                p->last_error_message = free_ptr(p->last_error_message);

                if (aws_credentials_expired(p->current, now)) {
                        provider_describe_expiry(p, "the source handed out expired credentials");
                        provider_set_class(p, RESULT_CLASS_CREDENTIALS_EXPIRED);
                } else {
                        p->message = free_ptr(p->message);
                        provider_set_class(p, RESULT_CLASS_OK);
                }
        } else {
                p->n_failures++;
                p->last_error_class = res->class;
                (void) free_and_strdup(&p->last_error_message, res->message);

                if (!p->current) {
                        (void) free_and_strdup(&p->message, res->message);
                        provider_set_class(p, res->class);
                } else if (aws_credentials_expired(p->current, now)) {
                        provider_describe_expiry(p, res->message);
                        provider_set_class(p, provider_expired_class(p));
                } else if (p->current->source == CREDENTIAL_SOURCE_IMDS &&
                           class_is_imds_verdict(res->class)) {
                        char buf[ISO8601_MAX];

                        /* Said now, not at expiry; the old credentials stay in use meanwhile. */
                        credentials_set_message(
                                &p->message,
                                "%s; the credentials from %s are still valid and used until they "
                                "expire at %s", strempty(res->message),
                                strna(p->current->source_detail),
                                iso8601_format(p->current->expiration, buf));
                        provider_set_class(p, res->class);
                } else {
                        char buf[ISO8601_MAX];

                        /* Static stability: keep signing with what we have until it expires. */
                        if (p->current->expiration > 0)
                                credentials_set_message(
                                        &p->message,
                                        "refresh failed (%s); using credentials from %s until "
                                        "they expire at %s",
                                        strempty(res->message), strna(p->current->source_detail),
                                        iso8601_format(p->current->expiration, buf));
                        else
                                credentials_set_message(
                                        &p->message,
                                        "refresh failed (%s); still using credentials from %s",
                                        strempty(res->message), strna(p->current->source_detail));
                        provider_set_class(p, RESULT_CLASS_OK);
                }
        }

        provider_schedule(p, failed);

        /* Hand this run's outcome to everyone who asked for it. */
        while (p->waiting) {
                CredentialsRefresh *r = p->waiting;

                refresh_list_remove(&p->waiting, NULL, r);
                (void) result_copy(res, &r->result);
                r->queued = true;
                r->prev = p->queue_tail;
                if (p->queue_tail)
                        p->queue_tail->next = r;
                else
                        p->queue = r;
                p->queue_tail = r;
        }
        provider_arm_dispatch(p);
}

static void provider_fail(CredentialsProvider *p, CredentialsResult *res)
{
        provider_complete(p, NULL, res);
}

static void provider_on_imds(ImdsClient *client, ImdsResult *ir, ImdsCredentials *ic,
                             void *userdata)
{
        CredentialsProvider *p = userdata;
        _cleanup_(credentials_result_done) CredentialsResult res = {
                .source = CREDENTIAL_SOURCE_IMDS,
                .imds_class = ir->class,
                .imds_http_status = ir->http_status,
        };
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        _cleanup_free_ char *reasons = TAKE_PTR(p->fallthrough);

        p->imds_op = NULL;
        res.imds_code = TAKE_PTR(ir->code);

        if (ir->class != RESULT_CLASS_OK) {
                /* Unreachable or no role means "nothing here", like a missing file: unless IMDS
                 * is where our credentials come from, the chain as a whole found nothing. */
                bool absent = ir->class == RESULT_CLASS_IMDS_UNREACHABLE ||
                              ir->class == RESULT_CLASS_IMDS_NO_ROLE;
                bool ours = p->current && p->current->source == CREDENTIAL_SOURCE_IMDS;

                if (absent && !ours) {
                        res.class = RESULT_CLASS_NO_CREDENTIALS;
                        res.source = _CREDENTIAL_SOURCE_INVALID;
                        credentials_set_message(&res.message, "no credentials found: %s; imds: %s",
                                                strempty(reasons), strna(ir->message));
                } else {
                        res.class = ir->class;
                        credentials_set_message(&res.message, "%s", strna(ir->message));
                }
                return provider_fail(p, &res);
        }

        c = calloc(1, sizeof(AwsCredentials));
        if (!c) {
                res.class = RESULT_CLASS_NO_CREDENTIALS;
                credentials_set_message(&res.message, "out of memory");
                return provider_fail(p, &res);
        }
        c->source = CREDENTIAL_SOURCE_IMDS;
        c->access_key_id = TAKE_PTR(ic->access_key_id);
        c->secret_access_key = TAKE_PTR(ic->secret_access_key);
        c->session_token = TAKE_PTR(ic->token);
        c->expiration = ic->expiration;
        if (asprintf(&c->source_detail, "role %s", ic->role) < 0)
                c->source_detail = NULL;
        res.class = RESULT_CLASS_OK;
        provider_complete(p, TAKE_PTR(c), &res);
}

/* Run the chain. Env and file are decided at once; IMDS completes from the loop. */
static int provider_run(CredentialsProvider *p)
{
        _cleanup_(credentials_result_done) CredentialsResult res = {
                .imds_class = _RESULT_CLASS_INVALID,
        };
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        _cleanup_free_ char *reasons = NULL;
        int r;

        p->refreshing = true;

        r = credentials_source_environment(p->envp, &c, &res, &reasons);
        if (r == SOURCE_ABSENT) {
                credentials_result_done(&res);
                res.imds_class = _RESULT_CLASS_INVALID;
                r = credentials_source_shared_file(p->envp, p->file, p->profile, &c, &res,
                                                   &reasons);
        }
        if (r < 0)
                return r;
        if (r == SOURCE_FOUND) {
                provider_complete(p, TAKE_PTR(c), &res);
                return 0;
        }
        if (r == SOURCE_FAILED) {
                provider_fail(p, &res);
                return 0;
        }

        p->fallthrough = TAKE_PTR(reasons);
        r = imds_fetch_credentials(p->imds, provider_on_imds, p, &p->imds_op);
        if (r < 0) {
                p->imds_op = NULL;
                p->fallthrough = free_ptr(p->fallthrough);
                return r;
        }
        return 0;
}

static void provider_run_or_fail(CredentialsProvider *p)
{
        int r;

        r = provider_run(p);
        if (r < 0) {
                _cleanup_(credentials_result_done) CredentialsResult res = {
                        .class = RESULT_CLASS_NO_CREDENTIALS,
                        .source = _CREDENTIAL_SOURCE_INVALID,
                        .imds_class = _RESULT_CLASS_INVALID,
                };

                credentials_set_message(&res.message, "Failed to run the credential chain: %s",
                                        strerror(-r));
                provider_fail(p, &res);
        }
}

static int provider_on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        CredentialsProvider *p = userdata;

        p->next_refresh = 0;
        if (!p->refreshing)
                provider_run_or_fail(p);
        return 0;
}

int credentials_provider_refresh(CredentialsProvider *p, CredentialsRefreshCallback callback,
                                 void *userdata, CredentialsRefresh **ret)
{
        CredentialsRefresh *r = NULL;
        int k;

        if (!p)
                return -EINVAL;

        if (callback) {
                r = calloc(1, sizeof(CredentialsRefresh));
                if (!r)
                        return -ENOMEM;
                r->provider = p;
                r->callback = callback;
                r->userdata = userdata;
                /* Appended: callbacks run in the order they were asked for. */
                if (!p->waiting)
                        p->waiting = r;
                else {
                        CredentialsRefresh *last = p->waiting;

                        while (last->next)
                                last = last->next;
                        last->next = r;
                        r->prev = last;
                }
        }

        if (!p->refreshing) {
                k = provider_run(p);
                if (k < 0) {
                        p->refreshing = false;
                        refresh_free(r);
                        return k;
                }
        }

        if (ret)
                *ret = r;
        return 0;
}

int credentials_provider_get(CredentialsProvider *p, const AwsCredentials **ret)
{
        if (!p || !p->current)
                return -ENOKEY;
        if (ret)
                *ret = p->current;
        return aws_credentials_expired(p->current, now_usec(CLOCK_REALTIME)) ? CREDENTIALS_EXPIRED
                                                                             : 0;
}

void credentials_provider_get_status(CredentialsProvider *p, CredentialsStatus *ret)
{
        bool expired = p->current && aws_credentials_expired(p->current,
                                                             now_usec(CLOCK_REALTIME));

        /* The expiry timer may not have run yet: the clock decides. */
        if (expired && (p->class != provider_expired_class(p) || !p->expiry_described)) {
                provider_describe_expiry(p, p->last_error_message);
                provider_set_class(p, provider_expired_class(p));
                provider_arm_dispatch(p);
        }

        *ret = (CredentialsStatus) {
                .class = p->class,
                .message = p->message,
                .have_credentials = p->current != NULL,
                .source = p->current ? p->current->source : _CREDENTIAL_SOURCE_INVALID,
                .source_detail = p->current ? p->current->source_detail : NULL,
                .expiration = p->current ? p->current->expiration : 0,
                .next_refresh = p->next_refresh,
                .last_success = p->last_success,
                .last_error_class = p->last_error_class,
                .last_error_message = p->last_error_message,
                .n_failures = p->n_failures,
                .insecure_permissions = p->current && p->insecure_permissions,
                .refreshing = p->refreshing,
        };
}

void credentials_provider_set_on_change(CredentialsProvider *p, CredentialsChangeCallback callback,
                                        void *userdata)
{
        p->on_change = callback;
        p->on_change_userdata = userdata;
}

ImdsClient *credentials_provider_get_imds(CredentialsProvider *p)
{
        return p ? p->imds : NULL;
}

int credentials_provider_new(sd_event *event, HttpClient *http, const CredentialsOptions *opts,
                             CredentialsProvider **ret)
{
        _cleanup_(credentials_provider_freep) CredentialsProvider *p = NULL;
        int r;

        if (!event || !http || !ret)
                return -EINVAL;

        p = calloc(1, sizeof(CredentialsProvider));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->http = http;
        p->class = RESULT_CLASS_NO_CREDENTIALS;
        p->last_error_class = RESULT_CLASS_OK;
        p->retry_initial = opts && opts->retry_initial ? opts->retry_initial
                                                       : RETRY_INITIAL_DEFAULT;
        p->retry_max = MAX(opts && opts->retry_max ? opts->retry_max : RETRY_MAX_DEFAULT,
                           p->retry_initial);

        r = strv_copy(opts ? opts->envp : NULL, &p->envp);
        if (r < 0)
                return r;
        if (credentials_strdup_or_null(opts ? opts->file : NULL, &p->file) < 0 ||
            credentials_strdup_or_null(opts ? opts->profile : NULL, &p->profile) < 0)
                return -ENOMEM;
        if (p->profile && (isempty(p->profile) || string_has_cc(p->profile, NULL)))
                return -EINVAL;

        r = imds_client_new(event, http, opts ? &opts->imds : NULL, &p->imds);
        if (r < 0)
                return r;

        r = sd_event_add_defer(event, &p->dispatch, provider_on_dispatch, p);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(p->dispatch, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(p->dispatch, "credentials-dispatch");

        credentials_set_message(&p->message, "credentials not fetched yet");
        *ret = TAKE_PTR(p);
        return 0;
}

CredentialsProvider *credentials_provider_free(CredentialsProvider *p)
{
        if (!p)
                return NULL;
        while (p->waiting)
                refresh_free(p->waiting);
        while (p->queue)
                refresh_free(p->queue);
        p->imds_op = imds_operation_cancel(p->imds_op);
        imds_client_free(p->imds);
        sd_event_source_disable_unref(p->refresh_timer);
        sd_event_source_disable_unref(p->expiry_timer);
        sd_event_source_disable_unref(p->dispatch);
        sd_event_unref(p->event);
        aws_credentials_free(p->current);
        strv_free(p->envp);
        free(p->file);
        free(p->profile);
        free(p->message);
        free(p->last_error_message);
        free(p->fallthrough);
        free(p);
        return NULL;
}
