/* SPDX-License-Identifier: MIT */
/*
 * manager.c: cwguardd's single Manager. It owns the sd-event loop and everything on it: the
 * configuration and the Runtime built from it (HTTP client, credential provider, prober), the
 * round timer (free probes every `interval`, the billed PutMetricData probes — the heartbeat —
 * every `heartbeat.interval`, a random splay of at most 10 % so a fleet does not stampede), the
 * signals (SIGTERM/SIGINT exit, SIGHUP reloads transactionally), the watchdog (pinged by the loop
 * itself: a hung loop is restarted, an AWS outage never is), the sd_notify protocol, the journal
 * records of every result and the status snapshot. No threads; nothing blocks the loop but the
 * small atomic write of the status file.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/json-util.h"
#include "common/status.h"
#include "daemon/journal.h"
#include "daemon/log.h"
#include "daemon/manager.h"

static void manager_schedule(Manager *m, usec_t when);

static int load_config(const char *path, char **envp, JournalEvent on_error, Config **ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = runtime_load_config(path, envp, ret, &text);
        if (r < 0) {
                journal_log_event_errno(on_error, r, "Invalid configuration: %s%s", strna(text),
                                        on_error == JOURNAL_EVENT_RELOAD_REJECTED ?
                                        "; keeping the running configuration" : "");
                return r;
        }

        /* What the CloudWatch agent's files contributed, once per (re)load, not per round. */
        if (!(*ret)->agent.installed)
                log_info("CloudWatch agent not installed (no %s): probing the configured or "
                         "default namespaces and log groups", (*ret)->agent.config);
        else
                log_info("CloudWatch agent configuration %s: %zu namespace(s), %zu log group(s) "
                         "to probe", (*ret)->agent.config, strv_length((*ret)->probes.metrics),
                         strv_length((*ret)->probes.logs));
        STRV_FOREACH(n, (*ret)->agent.notes)
                log_notice("CloudWatch agent configuration: %s", *n);
        return r;
}

/* ---- probe states ------------------------------------------------------------------------ */

static ProbeState *state_get(Manager *m, const char *id)
{
        ProbeState *s;

        for (size_t i = 0; i < m->n_states; i++)
                if (streq(m->states[i].id, id))
                        return &m->states[i];
        s = reallocarray(m->states, m->n_states + 1, sizeof(ProbeState));
        if (!s)
                return NULL;
        m->states = s;
        s = &m->states[m->n_states];
        *s = (ProbeState) { .id = strdup(id) };
        if (!s->id)
                return NULL;
        m->n_states++;
        return s;
}

static void manager_note_result(Manager *m, const ProbeResult *r, usec_t now)
{
        ProbeState *s = state_get(m, r->id);
        ProbeTransition t;

        if (!s) {
                log_oom();
                return;
        }
        if (!s->seen)
                t = r->ok ? PROBE_TRANSITION_FIRST_OK : PROBE_TRANSITION_FAILED;
        else if (s->ok && !r->ok)
                t = PROBE_TRANSITION_FAILED;
        else if (!s->ok && r->ok)
                t = PROBE_TRANSITION_RECOVERED;
        else if (!r->ok && s->class != r->class)
                t = PROBE_TRANSITION_CHANGED;
        else
                t = r->ok ? PROBE_TRANSITION_STEADY_OK : PROBE_TRANSITION_STEADY_FAILING;

        if (!s->seen || s->ok != r->ok || s->class != r->class)
                s->since = now;
        s->seen = true;
        s->ok = r->ok;
        s->class = r->class;
        s->consecutive_failures = r->ok ? 0 : s->consecutive_failures + 1;
        journal_log_probe(r, t, s->consecutive_failures);
}

/* ---- the status snapshot ----------------------------------------------------------------- */

static int json_add_time(json_object *o, const char *key, usec_t t)
{
        char buf[ISO8601_MAX];

        return json_object_object_add(o, key, t ? json_object_new_string(iso8601_format(t, buf))
                                                : NULL);
}

static int manager_status_json(Manager *m, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        json_object *daemon, *hb, *probes;
        int r;

        r = status_report_to_json(&m->last, 0, &doc);
        if (r < 0)
                return r;

        daemon = json_object_new_object();
        if (!daemon || json_object_object_add(doc, "daemon", daemon) < 0) {
                json_object_put(daemon);
                return -ENOMEM;
        }
        if (json_object_object_add(daemon, "pid", json_object_new_int(getpid())) < 0 ||
            json_add_time(daemon, "started_at", m->started_at) < 0 ||
            json_object_object_add(daemon, "config",
                                   json_object_new_string(m->config->path)) < 0 ||
            json_object_object_add(daemon, "interval_s",
                                   json_object_new_double((double) m->config->interval /
                                                          USEC_PER_SEC)) < 0 ||
            json_object_object_add(daemon, "rounds", json_object_new_int64(m->n_rounds)) < 0)
                return -ENOMEM;

        hb = json_object_new_object();
        if (!hb || json_object_object_add(doc, "heartbeat", hb) < 0) {
                json_object_put(hb);
                return -ENOMEM;
        }
        if (json_add_time(hb, "last_sent_at", m->heartbeat_last_sent) < 0 ||
            json_add_time(hb, "last_attempt_at", m->heartbeat_last_try) < 0 ||
            json_object_object_add(hb, "ok", m->heartbeat_last_try ?
                                   json_object_new_boolean(m->heartbeat_ok) : NULL) < 0 ||
            json_object_object_add(hb, "class", m->heartbeat_last_try ?
                                   json_object_new_string(result_class_to_string(
                                           m->heartbeat_class)) : NULL) < 0 ||
            json_object_object_add(hb, "namespace",
                                   json_object_new_string(m->config->heartbeat.namespace)) < 0 ||
            json_object_object_add(hb, "interval_s",
                                   json_object_new_double((double) m->config->heartbeat.interval /
                                                          USEC_PER_SEC)) < 0)
                return -ENOMEM;

        if (json_object_object_get_ex(doc, "probes", &probes))
                for (size_t i = 0; i < json_object_array_length(probes); i++) {
                        json_object *p = json_object_array_get_idx(probes, i);
                        const ProbeState *s = NULL;

                        for (size_t j = 0; j < m->n_states; j++)
                                if (streq(m->states[j].id, m->last.probes[i].id))
                                        s = &m->states[j];
                        if (!s)
                                continue;
                        if (json_add_time(p, "since", s->since) < 0 ||
                            json_object_object_add(p, "consecutive_failures",
                                                   json_object_new_int64(
                                                           s->consecutive_failures)) < 0)
                                return -ENOMEM;
                }
        *ret = TAKE_PTR(doc);
        return 0;
}

static int manager_write_status(Manager *m)
{
        _cleanup_(json_object_putp) json_object *doc = NULL;
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n;
        int r;

        if (!m->status_file)
                return 0;
        r = manager_status_json(m, &doc);
        if (r < 0)
                return r;
        r = status_json_format(doc, STATUS_JSON_PRETTY, &text);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s.XXXXXX", m->status_file) < 0)
                return -ENOMEM;

        /* Write + rename: readers see the old snapshot or the new one, never half of one. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = strlen(text);
        if (fchmod(fd, 0644) < 0 || write(fd, text, n) != (ssize_t) n) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        fd = safe_close(fd);
        if (rename(tmp, m->status_file) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

/* ---- STATUS= ----------------------------------------------------------------------------- */

int manager_status_text(const Manager *m, char **ret)
{
        size_t n = m->last.n_probes, failing = probe_report_n_failing(&m->last);
        usec_t now = now_usec(CLOCK_REALTIME);
        char *s;
        int r;

        if (n == 0)
                r = asprintf(&s, "starting: first round of probes running");
        else if (m->heartbeat_last_try == 0)
                r = asprintf(&s, "%zu/%zu probes ok; no heartbeat sent yet", n - failing, n);
        else if (!m->heartbeat_ok)
                r = asprintf(&s, "%zu/%zu probes ok; heartbeat failing (%s)", n - failing, n,
                             result_class_to_string(m->heartbeat_class));
        else
                r = asprintf(&s, "%zu/%zu probes ok; heartbeat sent %llus ago", n - failing, n,
                             (unsigned long long) ((now - MIN(now, m->heartbeat_last_sent)) /
                                                   USEC_PER_SEC));
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static void manager_notify_status(Manager *m)
{
        _cleanup_free_ char *text = NULL;

        if (manager_status_text(m, &text) < 0)
                return;
        (void) sd_notifyf(false, "STATUS=%s", text);
}

/* ---- rounds ------------------------------------------------------------------------------ */

/* A round without the billed probes keeps showing the last billed results (and heartbeat). */
static int carry_metrics(ProbeReport *now, ProbeReport *before)
{
        size_t n = 0, at = 0;
        ProbeResult *p;

        for (size_t i = 0; i < before->n_probes; i++)
                if (before->probes[i].kind == PROBE_KIND_METRICS)
                        n++;
        if (n == 0)
                return 0;
        p = reallocarray(now->probes, now->n_probes + n, sizeof(ProbeResult));
        if (!p)
                return -ENOMEM;
        now->probes = p;
        /* After identity, where the round puts them. */
        for (at = 0; at < now->n_probes; at++)
                if (now->probes[at].kind != PROBE_KIND_IMDS &&
                    now->probes[at].kind != PROBE_KIND_IDENTITY)
                        break;
        memmove(&now->probes[at + n], &now->probes[at], (now->n_probes - at) * sizeof(ProbeResult));
        for (size_t i = 0, k = at; i < before->n_probes; i++)
                if (before->probes[i].kind == PROBE_KIND_METRICS) {
                        now->probes[k++] = before->probes[i];
                        before->probes[i] = (ProbeResult) {};
                }
        now->n_probes += n;
        now->heartbeat_value = before->heartbeat_value;
        return 0;
}

static void manager_note_heartbeat(Manager *m, const ProbeResult *hb, usec_t now)
{
        bool was_ok = m->heartbeat_ok, had = m->heartbeat_last_try > 0;

        m->heartbeat_last_try = now;
        m->heartbeat_ok = hb->ok;
        m->heartbeat_class = hb->class;
        if (hb->ok)
                m->heartbeat_last_sent = now;
        if (!hb->ok && (!had || was_ok))
                journal_log_event(JOURNAL_EVENT_HEARTBEAT_FAILED,
                                  "Heartbeat to namespace '%s' failed (%s): the heartbeat alarm "
                                  "will fire on missing data", m->config->heartbeat.namespace,
                                  result_class_to_string(hb->class));
        else if (hb->ok && had && !was_ok)
                journal_log_event(JOURNAL_EVENT_HEARTBEAT_RECOVERED,
                                  "Heartbeat to namespace '%s' is accepted again",
                                  m->config->heartbeat.namespace);
}

/* Entering the state "no source has credentials" is one entry; staying in it is not. */
static void manager_note_credentials(Manager *m, const ProbeReport *report)
{
        bool missing = report->identity.credential_source == _CREDENTIAL_SOURCE_INVALID;
        const ProbeResult *id = probe_report_find(report, "identity");

        if (missing && !m->credentials_missing)
                journal_log_event(JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE,
                                  "No AWS credentials from the environment, the shared "
                                  "credentials file or IMDS%s%s%s: signed probes are skipped "
                                  "until some appear",
                                  id ? " (" : "", id ? result_class_to_string(id->class) : "",
                                  id ? ")" : "");
        m->credentials_missing = missing;

        /* A warning about the credentials (a credentials file others can read) is logged
         * once, and again only when it changes or comes back after going away. */
        if (report->identity.credential_warning &&
            !streq_ptr(report->identity.credential_warning, m->credential_warning))
                log_warning("Insecure credentials: %s", report->identity.credential_warning);
        if (free_and_strdup(&m->credential_warning, report->identity.credential_warning) < 0)
                log_oom();
}

static void manager_on_round(Prober *p, ProbeReport *report, void *userdata)
{
        Manager *m = userdata;
        usec_t now = now_usec(CLOCK_REALTIME), splay, next;
        bool billed = false;
        const ProbeResult *hb = NULL;
        _cleanup_free_ char *hb_id = NULL;
        int r;

        m->n_rounds++;
        if (asprintf(&hb_id, "metrics:%s", m->config->heartbeat.namespace) < 0)
                hb_id = NULL;
        for (size_t i = 0; i < report->n_probes; i++) {
                billed = billed || report->probes[i].kind == PROBE_KIND_METRICS;
                manager_note_result(m, &report->probes[i], now);
                if (hb_id && streq(report->probes[i].id, hb_id))
                        hb = &report->probes[i];
        }
        if (hb)
                manager_note_heartbeat(m, hb, now);
        manager_note_credentials(m, report);

        if (!billed && carry_metrics(report, &m->last) < 0)
                log_oom();
        probe_report_done(&m->last);
        m->last = *report;
        *report = (ProbeReport) {};

        r = manager_write_status(m);
        if (r < 0)
                log_warning_errno(r, "Failed to write status file '%s', ignoring: %m",
                                  m->status_file);
        manager_notify_status(m);

        /* The next round: `interval` after this one started, plus a splay of at most 10 %. */
        splay = (usec_t) (random_unit() * (double) m->config->interval / 10);
        next = m->round_started + m->config->interval + splay;
        manager_schedule(m, next);
}

static int manager_start_round(Manager *m)
{
        usec_t now = now_usec(CLOCK_MONOTONIC);
        RoundOptions o;
        bool billed = now >= m->next_billed;
        int r;

        runtime_round_options(m->runtime, m->config, billed, &o);
        r = prober_start_round(m->runtime->prober, &o, manager_on_round, m);
        if (r < 0)
                return r;
        m->round_started = now;
        if (billed)
                m->next_billed = now + m->config->heartbeat.interval;
        return 0;
}

static int manager_on_round_timer(sd_event_source *s, usec_t usec, void *userdata)
{
        Manager *m = userdata;
        int r;

        r = manager_start_round(m);
        if (r < 0) {
                log_error_errno(r, "Failed to start a round of probes, retrying later: %m");
                manager_schedule(m, now_usec(CLOCK_MONOTONIC) + m->config->interval);
        }
        return 0;
}

static void manager_schedule(Manager *m, usec_t when)
{
        int r;

        if (m->round_timer) {
                r = sd_event_source_set_time(m->round_timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->round_timer, SD_EVENT_ONESHOT);
        } else
                /* 1 ms, not 0: sd-event reads 0 as its default slack of 250 ms, which made a
                 * 100 ms interval 250 ms. */
                r = sd_event_add_time(m->event, &m->round_timer, CLOCK_MONOTONIC, when,
                                      /* accuracy= */ USEC_PER_MSEC, manager_on_round_timer, m);
        if (r < 0)
                log_error_errno(r, "Failed to arm the round timer: %m");
}

/* ---- start, reload ----------------------------------------------------------------------- */

static int manager_apply(Manager *m, Config *c)
{
        _cleanup_(runtime_freep) Runtime *rt = NULL;
        int r;

        r = runtime_new(m->event, c, m->envp, &rt);
        if (r < 0)
                return log_error_errno(r, "Failed to set up HTTP, credentials and probes: %m");

        /* A reload carries on reading the agent's log where the last round stopped. */
        if (m->runtime)
                prober_adopt_agent_history(rt->prober, m->runtime->prober);
        runtime_free(m->runtime);
        m->runtime = TAKE_PTR(rt);
        config_free(m->config);
        m->config = c;
        /* A new configuration starts with a full round, the billed probes included. */
        m->next_billed = 0;
        return 0;
}

int manager_start(Manager *m)
{
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        r = load_config(m->config_path, m->envp, JOURNAL_EVENT_CONFIG_INVALID, &c);
        if (r < 0)
                return r;
        r = manager_apply(m, c);
        if (r < 0)
                return r;
        TAKE_PTR(c);

        /* Start the first round now: READY=1 follows the first credentials attempt. */
        r = manager_start_round(m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the first round: %m");

        journal_log_event(JOURNAL_EVENT_READY,
                          "cwguardd ready: config '%s', probes every %llus, heartbeat every %llus",
                          m->config->path,
                          (unsigned long long) (m->config->interval / USEC_PER_SEC),
                          (unsigned long long) (m->config->heartbeat.interval / USEC_PER_SEC));
        (void) sd_notify(false, "READY=1\nSTATUS=starting: first round of probes running");
        m->ready = true;
        return 0;
}

static int manager_on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        Manager *m = userdata;
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu",
                          (unsigned long long) now_usec(CLOCK_MONOTONIC));
        r = load_config(m->config_path, m->envp, JOURNAL_EVENT_RELOAD_REJECTED, &c);
        if (r >= 0) {
                r = manager_apply(m, c);
                if (r >= 0) {
                        TAKE_PTR(c);
                        /* The old runtime's round was cancelled with it: a new one, now. */
                        manager_schedule(m, now_usec(CLOCK_MONOTONIC));
                        journal_log_event(JOURNAL_EVENT_RELOADED, "Configuration reloaded from '%s'",
                                          m->config->path);
                }
        }
        (void) sd_notify(false, "READY=1");
        manager_notify_status(m);
        return 0;
}

int manager_run(Manager *m)
{
        return sd_event_loop(m->event);
}

int manager_new(const char *config_path, const char *status_file, char **envp, Manager **ret)
{
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t mask;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return log_oom();
        m->envp = envp;
        m->started_at = now_usec(CLOCK_REALTIME);
        if ((config_path && !(m->config_path = strdup(config_path))) ||
            (status_file && !(m->status_file = strdup(status_file))))
                return log_oom();

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");

        /* Signals are event sources only; they must be blocked for signalfd to see them. */
        if (sigemptyset(&mask) < 0 || sigaddset(&mask, SIGTERM) < 0 ||
            sigaddset(&mask, SIGINT) < 0 || sigaddset(&mask, SIGHUP) < 0 ||
            sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup, SIGHUP, manager_on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        /* WATCHDOG=1 from the loop itself: only a hung loop misses it. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog, ignoring: %m");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m)
{
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->round_timer);
        sd_event_source_disable_unref(m->sighup);
        runtime_free(m->runtime);
        config_free(m->config);
        probe_report_done(&m->last);
        for (size_t i = 0; i < m->n_states; i++)
                free(m->states[i].id);
        free(m->states);
        sd_event_unref(m->event);
        free(m->config_path);
        free(m->status_file);
        free(m->credential_warning);
        return mfree(m);
}
