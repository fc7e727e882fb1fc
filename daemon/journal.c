/* SPDX-License-Identifier: MIT */
/*
 * journal.c: what cwguardd tells the journal. One entry per probe result, carrying every fact
 * of the result as a CWGUARD_* field (the same strings as the status JSON and cwguardctl) so
 * that operators can filter and alert on them, and one entry per daemon event. The priority
 * and MESSAGE_ID come from the transition, not from the result alone: entering a failure is
 * an error with its class's catalog id, staying in it a warning, recovering a notice, ok is
 * info; `journalctl -x` then shows the catalog's explanation and remedy.
 * Probe results carry strings from AWS and from the network; control characters in them are
 * blanked here, so a hostile message stays one line in one field (log.c also sends values
 * binary-safe). Fields with nothing to say are left out rather than sent empty. No state.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/catalog-ids.h"
#include "common/status.h"
#include "daemon/journal.h"
#include "daemon/log.h"

/* Enough for every field journal_log_probe() can add. */
#define ENTRY_FIELDS_MAX 40

static const char *const probe_transition_table[_PROBE_TRANSITION_MAX] = {
        [PROBE_TRANSITION_FIRST_OK] = "first-ok",
        [PROBE_TRANSITION_STEADY_OK] = "steady-ok",
        [PROBE_TRANSITION_FAILED] = "failed",
        [PROBE_TRANSITION_STEADY_FAILING] = "steady-failing",
        [PROBE_TRANSITION_CHANGED] = "changed",
        [PROBE_TRANSITION_RECOVERED] = "recovered",
};

DEFINE_STRING_TABLE_LOOKUP(probe_transition, ProbeTransition, _PROBE_TRANSITION_MAX);

static const char *const journal_event_table[_JOURNAL_EVENT_MAX] = {
        [JOURNAL_EVENT_STARTED] = "started",
        [JOURNAL_EVENT_READY] = "ready",
        [JOURNAL_EVENT_RELOADED] = "reloaded",
        [JOURNAL_EVENT_CONFIG_INVALID] = "config-invalid",
        [JOURNAL_EVENT_RELOAD_REJECTED] = "reload-rejected",
        [JOURNAL_EVENT_HEARTBEAT_FAILED] = "heartbeat-failed",
        [JOURNAL_EVENT_HEARTBEAT_RECOVERED] = "heartbeat-recovered",
        [JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE] = "credentials-unavailable",
        [JOURNAL_EVENT_STOPPING] = "stopping",
};

DEFINE_STRING_TABLE_LOOKUP(journal_event, JournalEvent, _JOURNAL_EVENT_MAX);

static const struct {
        const char *message_id;
        int priority;
} journal_event_info[_JOURNAL_EVENT_MAX] = {
        [JOURNAL_EVENT_STARTED] = { CWGUARD_MESSAGE_DAEMON_STARTED, LOG_INFO },
        [JOURNAL_EVENT_READY] = { CWGUARD_MESSAGE_DAEMON_READY, LOG_INFO },
        [JOURNAL_EVENT_RELOADED] = { NULL, LOG_INFO },
        /* Fatal at start-up; on reload (house style #4) a warning, the old config stays. */
        [JOURNAL_EVENT_CONFIG_INVALID] = { CWGUARD_MESSAGE_CONFIG_REJECTED, LOG_ERR },
        [JOURNAL_EVENT_RELOAD_REJECTED] = { CWGUARD_MESSAGE_CONFIG_REJECTED, LOG_WARNING },
        [JOURNAL_EVENT_HEARTBEAT_FAILED] = { CWGUARD_MESSAGE_HEARTBEAT_FAILED, LOG_ERR },
        [JOURNAL_EVENT_HEARTBEAT_RECOVERED] = { CWGUARD_MESSAGE_HEARTBEAT_RECOVERED, LOG_NOTICE },
        [JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE] = { CWGUARD_MESSAGE_CREDENTIALS_UNAVAILABLE,
                                                    LOG_ERR },
        [JOURNAL_EVENT_STOPPING] = { NULL, LOG_INFO },
};

const char *journal_event_message_id(JournalEvent e)
{
        if ((int) e < 0 || e >= _JOURNAL_EVENT_MAX)
                return NULL;
        return journal_event_info[e].message_id;
}

int journal_event_priority(JournalEvent e)
{
        if ((int) e < 0 || e >= _JOURNAL_EVENT_MAX)
                return LOG_ERR;
        return journal_event_info[e].priority;
}

ProbeTransition probe_transition_between(bool seen, bool was_ok, ResultClass was_class,
                                         const ProbeResult *r)
{
        if (r->ok) {
                if (!seen)
                        return PROBE_TRANSITION_FIRST_OK;
                return was_ok ? PROBE_TRANSITION_STEADY_OK : PROBE_TRANSITION_RECOVERED;
        }
        if (!seen || was_ok)
                return PROBE_TRANSITION_FAILED;
        return was_class == r->class ? PROBE_TRANSITION_STEADY_FAILING : PROBE_TRANSITION_CHANGED;
}

static bool probe_transition_is_ok(ProbeTransition t)
{
        return t == PROBE_TRANSITION_FIRST_OK || t == PROBE_TRANSITION_STEADY_OK ||
               t == PROBE_TRANSITION_RECOVERED;
}

static int probe_transition_priority(ProbeTransition t)
{
        switch (t) {
        case PROBE_TRANSITION_FAILED:
        case PROBE_TRANSITION_CHANGED:
                return LOG_ERR;
        case PROBE_TRANSITION_STEADY_FAILING:
                return LOG_WARNING;
        case PROBE_TRANSITION_RECOVERED:
                return LOG_NOTICE;
        default:
                return LOG_INFO;
        }
}

/* ---- entries ----------------------------------------------------------------------------- */

/* The fields of one entry, each "NAME=value" in its own allocation. */
typedef struct Entry {
        struct iovec iov[ENTRY_FIELDS_MAX];
        size_t n;
        bool oom;
} Entry;

static void entry_done(Entry *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->iov[i].iov_base);
        e->n = 0;
}

/* Blank control characters (CR, LF, ESC, ..., and C1 such as U+009B CSI): a value is one line,
 * cannot fake a field, and shown by journalctl cannot drive the terminal. */
static void sanitise(char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = ' ';
                else if (utf8_is_c1(s))
                        s[0] = s[1] = ' ';
}

/* Add NAME=value; NULL and empty values are left out. Field names are fixed strings. */
static void entry_add(Entry *e, const char *name, const char *value)
{
        char *s;
        int k;

        if (isempty(value) || e->oom)
                return;
        if (e->n >= ENTRY_FIELDS_MAX) {
                e->oom = true;  /* a programming error; report it rather than truncate */
                return;
        }
        k = asprintf(&s, "%s=%s", name, value);
        if (k < 0) {
                e->oom = true;
                return;
        }
        sanitise(s + strlen(name) + 1);
        e->iov[e->n++] = (struct iovec) { s, (size_t) k };
}

static void entry_addf(Entry *e, const char *name, const char *format, ...) _printf_(3, 4);
static void entry_addf(Entry *e, const char *name, const char *format, ...)
{
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&v, format, ap);
        va_end(ap);
        if (k < 0) {
                v = NULL;
                e->oom = true;
                return;
        }
        entry_add(e, name, v);
}

/* Milliseconds as the status JSON writes them: "12", or "12.345" with the zeros trimmed. */
static void entry_add_msec(Entry *e, const char *name, usec_t u)
{
        unsigned frac = (unsigned) (u % USEC_PER_MSEC);
        int digits = 3;

        if (u == 0)
                return;
        if (frac == 0) {
                entry_addf(e, name, "%" PRIu64, u / USEC_PER_MSEC);
                return;
        }
        for (; frac % 10 == 0; frac /= 10)
                digits--;
        entry_addf(e, name, "%" PRIu64 ".%0*u", u / USEC_PER_MSEC, digits, frac);
}

static void entry_add_probe_facts(Entry *e, const ProbeResult *r, ProbeTransition t,
                                  unsigned consecutive_failures)
{
        const AccessDenied *d = &r->denied;

        entry_add(e, "CWGUARD_PROBE", r->id);
        entry_add(e, "CWGUARD_KIND", probe_kind_to_string(r->kind));
        entry_add(e, "CWGUARD_CLASS", result_class_to_string(r->class));
        entry_add(e, "CWGUARD_OK", r->ok ? "1" : "0");
        entry_add(e, "CWGUARD_TRANSITION", probe_transition_to_string(t));
        entry_add(e, "CWGUARD_TARGET", r->target);
        entry_add(e, "CWGUARD_ENDPOINT", r->endpoint);
        entry_add(e, "CWGUARD_OPERATION", r->operation);
        entry_add(e, "CWGUARD_ROLE_ARN", r->role_arn);
        entry_add_msec(e, "CWGUARD_LATENCY_MS", r->latency);
        if (r->attempts > 0)
                entry_addf(e, "CWGUARD_ATTEMPTS", "%u", r->attempts);
        if (r->skipped)
                entry_add(e, "CWGUARD_SKIPPED", "1");
        if (r->http_status > 0)
                entry_addf(e, "CWGUARD_HTTP_STATUS", "%ld", r->http_status);
        entry_add(e, "CWGUARD_AWS_ERROR_CODE", r->aws_error_code);
        entry_add(e, "CWGUARD_AWS_MESSAGE", r->aws_message);
        entry_add(e, "CWGUARD_REQUEST_ID", r->request_id);

        entry_add(e, "CWGUARD_PRINCIPAL", d->principal);
        entry_add(e, "CWGUARD_ACTION", d->action);
        entry_add(e, "CWGUARD_RESOURCE", d->resource);
        /* As in the status JSON: the layer and kind of a denial are stated ("unknown" when AWS
         * does not say) for the denial classes only; elsewhere "unknown" would read as "denied
         * by something unknown". */
        if (status_result_has_denied(r)) {
                entry_add(e, "CWGUARD_POLICY_TYPE",
                          policy_type_to_string(d->policy_type) ?: "unknown");
                entry_add(e, "CWGUARD_DENY", deny_kind_to_string(d->deny) ?: "unknown");
        }
        entry_add(e, "CWGUARD_POLICY_ARN", d->policy_arn);

        if (r->has_clock_offset)
                entry_addf(e, "CWGUARD_CLOCK_OFFSET_SEC", "%" PRIi64, r->clock_offset_sec);
        if (r->kind == PROBE_KIND_ENDPOINT) {
                entry_add(e, "CWGUARD_ADDRESS", r->net.address);
                if (r->net.address && r->net.scope != ADDRESS_SCOPE_UNKNOWN)
                        entry_add(e, "CWGUARD_ADDRESS_SCOPE",
                                  address_scope_to_string(r->net.scope));
        }
        if (r->kind == PROBE_KIND_AGENT) {
                const ProbeAgent *a = &r->agent;
                char when[ISO8601_MAX];

                entry_add(e, "CWGUARD_AGENT_UNIT", a->unit);
                entry_add(e, "CWGUARD_AGENT_ACTIVE_STATE", a->active_state);
                entry_add(e, "CWGUARD_AGENT_SUB_STATE", a->sub_state);
                entry_add(e, "CWGUARD_AGENT_RESULT", a->unit_result);
                if (a->has_n_restarts)
                        entry_addf(e, "CWGUARD_AGENT_N_RESTARTS", "%" PRIu64, a->n_restarts);
                entry_add(e, "CWGUARD_AGENT_LOG", a->log);
                if (a->log)
                        entry_addf(e, "CWGUARD_AGENT_ERROR_LINES", "%" PRIu64, a->error_lines);
                /* Untrusted text: entry_add() makes it one line, so it cannot add fields. */
                entry_add(e, "CWGUARD_AGENT_LAST_LINE", a->last_line);
                if (a->last_line_at > 0)
                        entry_add(e, "CWGUARD_AGENT_LAST_LINE_AT",
                                  iso8601_format(a->last_line_at, when));
        }
        if (!r->ok)
                entry_add(e, "CWGUARD_REMEDY", r->remedy);
        if (consecutive_failures > 0)
                entry_addf(e, "CWGUARD_CONSECUTIVE_FAILURES", "%u", consecutive_failures);
}

int journal_log_probe(const ProbeResult *r, ProbeTransition t, unsigned consecutive_failures)
{
        _cleanup_(entry_done) Entry e = {};
        const char *id;
        int level;

        if (!r || isempty(r->id) || !probe_transition_to_string(t) ||
            probe_transition_is_ok(t) != r->ok)
                return -EINVAL;

        level = probe_transition_priority(t);
        if (level > log_get_max_level())
                return 0;

        if (t == PROBE_TRANSITION_RECOVERED)
                id = CWGUARD_MESSAGE_PROBE_RECOVERED;
        else if (!r->ok)
                id = catalog_id_for_class(r->class);
        else
                id = NULL;
        entry_add(&e, "MESSAGE_ID", id);

        /* "<probe>: <message>[ — remedy: <remedy>]"; the class stands in for a missing message. */
        if (!r->ok && !isempty(r->remedy))
                entry_addf(&e, "MESSAGE", "%s: %s — remedy: %s", r->id,
                           r->message ?: strna(result_class_to_string(r->class)), r->remedy);
        else
                entry_addf(&e, "MESSAGE", "%s: %s", r->id,
                           r->message ?: strna(result_class_to_string(r->class)));

        entry_add_probe_facts(&e, r, t, consecutive_failures);
        if (e.oom)
                return log_oom();

        /* The location is ours, not the manager's: the entry describes the probe, not code. */
        log_struct_iovec(level, e.iov, e.n);
        return 0;
}

int journal_log_event_internal(JournalEvent e, int error, const char *file, int line,
                               const char *func, const char *format, ...)
{
        _cleanup_(entry_done) Entry entry = {};
        _cleanup_free_ char *message = NULL;
        int level, saved_errno = errno, k;
        va_list ap;

        if (!journal_event_to_string(e) || !format)
                return -EINVAL;
        level = journal_event_priority(e);
        if (level > log_get_max_level())
                return -ERRNO_VALUE(error);

        if (error != 0)
                errno = ERRNO_VALUE(error);
        va_start(ap, format);
        k = vasprintf(&message, format, ap);
        va_end(ap);
        errno = saved_errno;
        if (k < 0) {
                message = NULL;
                return log_oom();
        }

        entry_add(&entry, "MESSAGE_ID", journal_event_message_id(e));
        entry_add(&entry, "MESSAGE", message);
        entry_add(&entry, "CWGUARD_EVENT", journal_event_to_string(e));
        if (entry.oom)
                return log_oom();

        return log_struct_iovec_internal(level, error, file, line, func, entry.iov, entry.n);
}
