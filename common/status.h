#pragma once
/* SPDX-License-Identifier: MIT */
/* status.h: a round's ProbeReport to the versioned status JSON and back (status-parse.c). */

#include <stdbool.h>
#include <stddef.h>

#include "common/probe.h"

struct json_object;

/* The "version" this module writes and the only one it reads. */
#define STATUS_JSON_VERSION 1

/* status_report_parse() refuses documents larger than this (-EFBIG). */
#define STATUS_JSON_MAX ((size_t) 4 * 1024 * 1024)

/* Durations above this (about 31.7 years) are written as this, so that every value written
 * survives the trip through a JSON double exactly. */
#define STATUS_DURATION_MAX ((usec_t) 1000000000000000ULL)

/* Times after 9999-12-31T23:59:59Z are written as that: ISO 8601 has four year digits. */
#define STATUS_TIME_MAX ((usec_t) 253402300799ULL * USEC_PER_SEC)

/*
 * Whether a result of class @c carries access-denied facts: "policy_type" and "deny" are written
 * (and read) for these classes only, null elsewhere.
 */
static inline bool status_class_has_denied(ResultClass c)
{
        return c == RESULT_CLASS_ACCESS_DENIED || c == RESULT_CLASS_KMS_DENIED;
}

/*
 * Whether @p carries access-denied facts: the denial classes, and agent-errors whose last line
 * held an AccessDenied the parser understood.
 */
static inline bool status_result_has_denied(const ProbeResult *p)
{
        return status_class_has_denied(p->class) ||
               (p->class == RESULT_CLASS_AGENT_ERRORS && (p->denied.action || p->denied.principal));
}

typedef enum StatusJsonFlags {
        STATUS_JSON_DEBUG = 1 << 0,   /* add each probe's "debug" list (the AWS calls made) */
        STATUS_JSON_PRETTY = 1 << 1,  /* indented, one key per line; else one compact line */
} StatusJsonFlags;

/**
 * status_probe_to_json() - one probe result as the JSON object of the "probes" list.
 * @p: the result; its id, kind and class must be set and valid.
 * @flags: STATUS_JSON_DEBUG adds "debug"; STATUS_JSON_PRETTY is ignored here.
 * @ret: a new object (the caller owns the reference; more keys may be added to it).
 *
 * Every key of the format is present, JSON null where the field does not apply (a latency,
 * http_status or dns/connect/tls time of 0, a missing clock offset, "network" for kinds other
 * than endpoint, "agent" for kinds other than agent, "policy_type"/"deny" outside
 * status_result_has_denied()). Durations are
 * milliseconds with up to three decimals (microsecond precision), an integer when whole, capped
 * at STATUS_DURATION_MAX; times are "YYYY-MM-DDTHH:MM:SSZ" (whole seconds, capped at
 * STATUS_TIME_MAX; null before 1970-01-01T00:00:01Z). Strings that are not valid UTF-8 get
 * U+FFFD for each bad byte, so the document is always valid JSON; json-c escapes quotes,
 * backslashes and control characters. Out-of-range scope, policy type or deny kind values are
 * written as "unknown", an out-of-range credential source as null.
 *
 * Return: 0, -EINVAL if @p has no id or an out-of-range kind or class, -ENOMEM.
 */
int status_probe_to_json(const ProbeResult *p, StatusJsonFlags flags, struct json_object **ret);

/**
 * status_report_to_json() - a whole round as the status JSON object.
 * @r: the report.
 * @flags: as for status_probe_to_json().
 * @ret: a new object; the daemon adds its own keys to it before formatting.
 *
 * Return: 0, -EINVAL (see status_probe_to_json()), -ENOMEM.
 */
int status_report_to_json(const ProbeReport *r, StatusJsonFlags flags, struct json_object **ret);

/**
 * status_json_format() - the text of a status JSON object, with a trailing newline.
 * @o: the object (from status_report_to_json(), possibly extended).
 * @flags: STATUS_JSON_PRETTY for indented output; '/' is never escaped.
 * @ret: the NUL-terminated text, caller frees.
 *
 * Return: 0 or -ENOMEM.
 */
int status_json_format(struct json_object *o, StatusJsonFlags flags, char **ret);

/**
 * status_report_format() - status_report_to_json() and status_json_format() in one step.
 * @r: the report.
 * @flags: STATUS_JSON_DEBUG, STATUS_JSON_PRETTY.
 * @ret: the text with a trailing newline, caller frees.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
int status_report_format(const ProbeReport *r, StatusJsonFlags flags, char **ret);

/**
 * status_json_parse() - parse status text into a json-c object, without interpreting it.
 * @data: the bytes, need not be NUL-terminated.
 * @size: their number.
 * @ret: the top-level object, caller puts it.
 *
 * JSON as json-c's strict mode reads it, in valid UTF-8 and without NUL bytes: one object,
 * followed by nothing but whitespace. (json-c still lets a few things through, such as
 * single-quoted keys, raw control characters in strings and NaN; they read as what they look
 * like, and NaN is refused where a number is read.)
 *
 * Return: 0; -EFBIG if @size exceeds STATUS_JSON_MAX; -EBADMSG if it is not such a document;
 *         -EINVAL for a NULL @data with a nonzero @size; -ENOMEM.
 */
int status_json_parse(const char *data, size_t size, struct json_object **ret);

/**
 * status_probe_from_json() - the inverse of status_probe_to_json().
 * @o: one element of "probes".
 * @ret: the result, filled on success (the caller calls probe_result_done() on it); untouched
 *       on failure.
 *
 * Keys not known here are ignored; a missing optional key reads as null. "network" is read for
 * kind endpoint only; "debug" and the access-denied "policy_type"/"deny" of results whose class
 * is not access-denied or kms-denied are not read.
 *
 * Return: 0; -EBADMSG if @o is not an object, lacks a string "id", a known "kind" or "class" or
 *         a boolean "ok", or holds a known key of the wrong type or range; -ENOMEM.
 */
int status_probe_from_json(struct json_object *o, ProbeResult *ret);

/**
 * status_report_from_json() - the inverse of status_report_to_json() (everything but "debug").
 * @o: the top-level object.
 * @ret: the report (release with probe_report_done()); untouched on failure.
 *
 * "summary" is derived data and not read. Unknown keys are ignored, so newer writers may add
 * keys without bumping "version"; enumeration values this build does not know read as
 * "unknown" (scope, policy_type, deny) or none (credential_source), except a probe's kind and
 * class, which are required (-EBADMSG).
 *
 * Return: 0; -EPROTONOSUPPORT if "version" is an integer other than STATUS_JSON_VERSION;
 *         -EBADMSG if "version" or "probes" is missing or of the wrong type, or see
 *         status_probe_from_json(); -ENOMEM.
 */
int status_report_from_json(struct json_object *o, ProbeReport *ret);

/**
 * status_report_parse() - status_json_parse() and status_report_from_json() in one step.
 * @data: the document, need not be NUL-terminated.
 * @size: its length.
 * @ret: the report (release with probe_report_done()); untouched on failure.
 *
 * Whatever status_report_format() writes reads back to a report that formats to the same text
 * (without the debug lists, which are not read).
 *
 * Return: 0, -EFBIG, -EBADMSG, -EPROTONOSUPPORT or -ENOMEM (see the two functions above).
 */
int status_report_parse(const char *data, size_t size, ProbeReport *ret);
