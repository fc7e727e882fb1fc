#pragma once
/* SPDX-License-Identifier: MIT */
/* journal.h: probe results and daemon events as structured journal entries (CWGUARD_* fields). */

#include <errno.h>
#include <stdbool.h>

#include "common/macro.h"
#include "common/probe.h"

/*
 * How a probe's state moved with this result; it sets the entry's priority and MESSAGE_ID.
 * The strings (CWGUARD_TRANSITION=) are a public contract: append, never rename.
 */
typedef enum ProbeTransition {
        PROBE_TRANSITION_FIRST_OK,        /* "first-ok": first result, ok: info */
        PROBE_TRANSITION_STEADY_OK,       /* "steady-ok": ok and was ok: info */
        PROBE_TRANSITION_FAILED,          /* "failed": failing, was ok or unknown: err + class id */
        PROBE_TRANSITION_STEADY_FAILING,  /* "steady-failing": still failing, same class:
                                           * warning + class id */
        PROBE_TRANSITION_CHANGED,         /* "changed": still failing, another class: err + id */
        PROBE_TRANSITION_RECOVERED,       /* "recovered": ok, was failing: notice + recovered id */
        _PROBE_TRANSITION_MAX,
        _PROBE_TRANSITION_INVALID = -EINVAL,
} ProbeTransition;

const char *probe_transition_to_string(ProbeTransition t) _const_;
ProbeTransition probe_transition_from_string(const char *s) _pure_;

/**
 * probe_transition_between() - the transition from a probe's previous result to its new one.
 * @seen: whether the probe had a previous result.
 * @was_ok: the previous result was ok (ignored when !@seen).
 * @was_class: the previous result's class (ignored when !@seen).
 * @r: the new result.
 *
 * Return: the transition.
 */
ProbeTransition probe_transition_between(bool seen, bool was_ok, ResultClass was_class,
                                         const ProbeResult *r) _pure_;

/**
 * journal_log_probe() - log one probe result as one journal entry.
 * @r: the result (its message and remedy filled by the diagnosis).
 * @t: how the probe's state moved; must agree with @r->ok (an ok transition for an ok result).
 * @consecutive_failures: rounds this probe has failed in a row, this one included (0 when ok);
 *                        logged as CWGUARD_CONSECUTIVE_FAILURES= when non-zero.
 *
 * The entry carries CWGUARD_PROBE, _KIND, _CLASS, _OK, _TRANSITION and, where they apply
 * (NULL and 0 are left out), _TARGET, _ENDPOINT, _OPERATION, _LATENCY_MS, _ATTEMPTS,
 * _HTTP_STATUS, _AWS_ERROR_CODE, _AWS_MESSAGE, _REQUEST_ID, _PRINCIPAL, _ACTION, _RESOURCE,
 * _POLICY_ARN, _CLOCK_OFFSET_SEC, _ADDRESS, _ADDRESS_SCOPE (endpoint probes), _SKIPPED,
 * _REMEDY (failures) and _CONSECUTIVE_FAILURES. _POLICY_TYPE and _DENY are present exactly
 * for the denial classes (possibly "unknown"), as in the status JSON. MESSAGE is
 * "<probe>: <message>", for failures followed by " — remedy: <remedy>". Priority: info when
 * ok, warning while steadily failing, err on entering failure or changing class, notice on
 * recovery. Failures carry the MESSAGE_ID of their class (catalog_id_for_class()),
 * recoveries CWGUARD_MESSAGE_PROBE_RECOVERED. Control characters in the result's strings
 * become spaces: one value, one line.
 *
 * Return: 0; -EINVAL for a NULL or inconsistent argument (nothing is logged); -ENOMEM (logged).
 */
int journal_log_probe(const ProbeResult *r, ProbeTransition t, unsigned consecutive_failures);

/* The daemon's own events. The strings (CWGUARD_EVENT=) are a public contract. */
typedef enum JournalEvent {
        JOURNAL_EVENT_STARTED,                  /* "started": info, DAEMON_STARTED */
        JOURNAL_EVENT_READY,                    /* "ready": info, DAEMON_READY */
        JOURNAL_EVENT_RELOADED,                 /* "reloaded": info, no id */
        JOURNAL_EVENT_CONFIG_INVALID,           /* "config-invalid": err, CONFIG_REJECTED (the
                                                 * message names file:line:column) */
        JOURNAL_EVENT_RELOAD_REJECTED,          /* "reload-rejected": warning, CONFIG_REJECTED;
                                                 * the old configuration stays in force */
        JOURNAL_EVENT_HEARTBEAT_FAILED,         /* "heartbeat-failed": err, HEARTBEAT_FAILED */
        JOURNAL_EVENT_HEARTBEAT_RECOVERED,      /* "heartbeat-recovered": notice */
        JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE,  /* "credentials-unavailable": err */
        JOURNAL_EVENT_STOPPING,                 /* "stopping": info, no id */
        _JOURNAL_EVENT_MAX,
        _JOURNAL_EVENT_INVALID = -EINVAL,
} JournalEvent;

const char *journal_event_to_string(JournalEvent e) _const_;
JournalEvent journal_event_from_string(const char *s) _pure_;

/**
 * journal_event_message_id() - the MESSAGE_ID of event @e; NULL if it has none.
 */
const char *journal_event_message_id(JournalEvent e) _const_;

/**
 * journal_event_priority() - the syslog priority event @e is logged at (LOG_ERR, ...).
 */
int journal_event_priority(JournalEvent e) _const_;

int journal_log_event_internal(JournalEvent e, int error, const char *file, int line,
                               const char *func, const char *format, ...) _printf_(6, 7);

/*
 * journal_log_event(e, fmt, ...) - log daemon event @e: its MESSAGE_ID, CWGUARD_EVENT= and the
 * formatted message (control characters become spaces), at the event's priority, with the
 * caller's CODE_FILE/LINE/FUNC. Returns 0 (-EINVAL for an unknown event; nothing is logged).
 *
 * journal_log_event_errno(e, error, fmt, ...) - the same with ERRNO= and "%m"; returns
 * -ERRNO_VALUE(error), so "return journal_log_event_errno(...);" works.
 */
#define journal_log_event(e, ...)                                                          \
        journal_log_event_internal((e), 0, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define journal_log_event_errno(e, error, ...)                                             \
        journal_log_event_internal((e), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
