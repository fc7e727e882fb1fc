/* SPDX-License-Identifier: MIT */
/*
 * status.c: the round report as JSON, the public contract of `cwguardctl check --json` and of
 * the daemon's status file. Writing is split into one builder per object (probe, network, debug
 * record, host, identity) so callers can add their own keys before the text is made. Every key
 * of the format is always written, JSON null where it does not apply, and every value written
 * reads back (status-parse.c) to the same value: durations are capped where a double stays
 * exact, times where ISO 8601 has four year digits, and strings that are not UTF-8 are repaired
 * before json-c sees them, so the output is always one valid JSON document. Pure: no logging,
 * no I/O, no globals.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json-util.h"
#include "common/status.h"

/* ---- writing: values ------------------------------------------------------------------------- */

/*
 * The length of the well-formed UTF-8 sequence at @s, or 0 if none starts there. RFC 3629 §4:
 * no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF. @s is
 * NUL-terminated and a NUL fails every continuation test, so nothing past it is read.
 */
static size_t utf8_sequence_at(const unsigned char *s)
{
        unsigned char lo = 0x80, hi = 0xbf;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (s[0] >= 0xe0 && s[0] <= 0xef) {
                if (s[0] == 0xe0)
                        lo = 0xa0;
                else if (s[0] == 0xed)
                        hi = 0x9f;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
        }
        if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                if (s[0] == 0xf0)
                        lo = 0x90;
                else if (s[0] == 0xf4)
                        hi = 0x8f;
                /* Left to right: a NUL at s[2] stops before s[3] is read. */
                if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
                        return 0;
                return 4;
        }
        return 0;
}

/*
 * A JSON string for @s. json-c writes bytes >= 0x80 through unchecked, so text that is not
 * UTF-8 (an AWS message cut mid-character, a hostile header) would make the whole document
 * invalid JSON: each byte that does not belong to a well-formed sequence becomes U+FFFD.
 */
static struct json_object *json_new_utf8(const char *s)
{
        _cleanup_free_ char *fixed = NULL;
        const unsigned char *p = (const unsigned char *) s;
        size_t n, len = strlen(s);
        char *q;

        for (; *p; p += n) {
                n = utf8_sequence_at(p);
                if (n == 0)
                        break;
        }
        if (!*p)
                return json_object_new_string_len(s, (int) len);

        /* At most three bytes out per byte in. */
        fixed = malloc(len * 3 + 1);
        if (!fixed)
                return NULL;
        q = fixed;
        for (p = (const unsigned char *) s; *p; p += n) {
                n = utf8_sequence_at(p);
                if (n == 0) {
                        memcpy(q, "\xef\xbf\xbd", 3);
                        q += 3;
                        n = 1;
                } else {
                        memcpy(q, p, n);
                        q += n;
                }
        }
        return json_object_new_string_len(fixed, (int) (q - fixed));
}

/*
 * Milliseconds with microsecond precision: an integer when whole, else the shortest decimal of
 * up to three places ("12.345", "0.042", "7.5"). json_object_new_double_s() keeps that text, so
 * json-c's "%.17g" never shows binary noise like 12.345000000000001.
 */
static struct json_object *json_new_msec(usec_t u)
{
        char buf[32];
        unsigned frac;
        int digits = 3;

        u = MIN(u, STATUS_DURATION_MAX);
        if (u % USEC_PER_MSEC == 0)
                return json_object_new_int64((int64_t) (u / USEC_PER_MSEC));

        frac = (unsigned) (u % USEC_PER_MSEC);
        for (; frac % 10 == 0; frac /= 10)
                digits--;
        (void) snprintf(buf, sizeof(buf), "%" PRIu64 ".%0*u", u / USEC_PER_MSEC, digits, frac);
        return json_object_new_double_s((double) u / (double) USEC_PER_MSEC, buf);
}

/* Add @v (NULL: JSON null) under the literal @key, taking @v in every case. */
static int json_add(struct json_object *o, const char *key, struct json_object *v)
{
        if (json_object_object_add_ex(o, key, v,
                                      JSON_C_OBJECT_ADD_KEY_IS_NEW |
                                              JSON_C_OBJECT_KEY_IS_CONSTANT) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* The helpers below return 0 or -ENOMEM; a NULL from a json_object_new_*() is out of memory. */
static int json_add_new(struct json_object *o, const char *key, struct json_object *v)
{
        if (!v)
                return -ENOMEM;
        return json_add(o, key, v);
}

static int json_add_string(struct json_object *o, const char *key, const char *s)
{
        if (!s)
                return json_add(o, key, NULL);
        return json_add_new(o, key, json_new_utf8(s));
}

static int json_add_bool(struct json_object *o, const char *key, bool b)
{
        return json_add_new(o, key, json_object_new_boolean(b));
}

static int json_add_int(struct json_object *o, const char *key, int64_t i)
{
        return json_add_new(o, key, json_object_new_int64(i));
}

/* A duration in ms; 0 is null unless @zero_is_value. */
static int json_add_msec(struct json_object *o, const char *key, usec_t u, bool zero_is_value)
{
        if (u == 0 && !zero_is_value)
                return json_add(o, key, NULL);
        return json_add_new(o, key, json_new_msec(u));
}

/*
 * A realtime µs as "YYYY-MM-DDTHH:MM:SSZ"; 0 (unknown, never) is null, and so is the rest of the
 * first second of 1970, which would read back as 0.
 */
static int json_add_time(struct json_object *o, const char *key, usec_t t)
{
        char buf[ISO8601_MAX];

        if (t < USEC_PER_SEC)
                return json_add(o, key, NULL);
        return json_add_string(o, key, iso8601_format(MIN(t, STATUS_TIME_MAX), buf));
}

/* ---- writing: objects ------------------------------------------------------------------------ */

static int network_to_json(const ProbeNetwork *n, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        /* An out-of-range scope is written as what it means, unknown, so it reads back. */
        if (json_add_string(o, "host", n->host) < 0 ||
            json_add_string(o, "address", n->address) < 0 ||
            json_add_string(o, "scope", address_scope_to_string(n->scope) ?: "unknown") < 0 ||
            json_add_bool(o, "fresh", n->fresh) < 0 ||
            json_add_bool(o, "connected", n->connected) < 0 ||
            json_add_bool(o, "via_proxy", n->via_proxy) < 0 ||
            json_add_msec(o, "dns_ms", n->dns, false) < 0 ||
            json_add_msec(o, "connect_ms", n->connect, false) < 0 ||
            json_add_msec(o, "tls_ms", n->tls, false) < 0 ||
            json_add_time(o, "last_fresh_check", n->last_fresh_check) < 0 ||
            json_add_string(o, "evidence", n->evidence) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

/* The agent probes' facts; strings from D-Bus and the agent's log were sanitised by the probe,
 * and json-c escapes what JSON needs escaped. */
static int agent_to_json(const ProbeAgent *a, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_add_string(o, "unit", a->unit) < 0 ||
            json_add_string(o, "load_state", a->load_state) < 0 ||
            json_add_string(o, "active_state", a->active_state) < 0 ||
            json_add_string(o, "sub_state", a->sub_state) < 0 ||
            json_add_string(o, "unit_result", a->unit_result) < 0 ||
            (a->has_n_restarts && a->n_restarts <= INT64_MAX ?
                     json_add_int(o, "n_restarts", (int64_t) a->n_restarts) :
                     json_add(o, "n_restarts", NULL)) < 0 ||
            json_add_int(o, "new_restarts", (int64_t) MIN(a->new_restarts, INT64_MAX)) < 0 ||
            json_add_time(o, "active_since", a->active_enter) < 0 ||
            json_add_string(o, "log", a->log) < 0 ||
            json_add_int(o, "error_lines", (int64_t) MIN(a->error_lines, INT64_MAX)) < 0 ||
            json_add_string(o, "last_line", a->last_line) < 0 ||
            json_add_time(o, "last_line_at", a->last_line_at) < 0 ||
            json_add_int(o, "skipped_bytes", (int64_t) MIN(a->skipped_bytes, INT64_MAX)) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

static int debug_to_json(const AwsCallDebug *d, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL, *headers = NULL;

        headers = json_object_new_array();
        if (!headers)
                return -ENOMEM;
        STRV_FOREACH(h, d->response_headers) {
                struct json_object *v = json_new_utf8(*h);

                if (!v)
                        return -ENOMEM;
                if (json_object_array_add(headers, v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
        }

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_add_string(o, "method", d->method) < 0 ||
            json_add_string(o, "url", d->url) < 0 ||
            json_add_string(o, "signed_headers", d->signed_headers) < 0 ||
            json_add_string(o, "canonical_request", d->canonical_request) < 0 ||
            json_add_string(o, "string_to_sign", d->string_to_sign) < 0 ||
            (d->status != 0 ? json_add_int(o, "status", d->status) :
                              json_add(o, "status", NULL)) < 0 ||
            json_add(o, "response_headers", TAKE_PTR(headers)) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

int status_probe_to_json(const ProbeResult *p, StatusJsonFlags flags, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL, *net = NULL, *debug = NULL,
                *agent = NULL;
        const char *kind, *class, *policy_type = NULL, *deny = NULL;
        int r;

        if (!p || !ret || !p->id)
                return -EINVAL;
        kind = probe_kind_to_string(p->kind);
        class = result_class_to_string(p->class);
        if (!kind || !class)
                return -EINVAL;

        /* Which policy layer denied, and how, is only known for the denial classes; elsewhere
         * "unknown" would read as "denied by something unknown". */
        if (status_result_has_denied(p)) {
                policy_type = policy_type_to_string(p->denied.policy_type) ?: "unknown";
                deny = deny_kind_to_string(p->denied.deny) ?: "unknown";
        }

        if (p->kind == PROBE_KIND_ENDPOINT) {
                r = network_to_json(&p->net, &net);
                if (r < 0)
                        return r;
        }
        if (p->kind == PROBE_KIND_AGENT) {
                r = agent_to_json(&p->agent, &agent);
                if (r < 0)
                        return r;
        }

        if (flags & STATUS_JSON_DEBUG) {
                debug = json_object_new_array();
                if (!debug)
                        return -ENOMEM;
                for (size_t i = 0; i < p->n_debug; i++) {
                        struct json_object *d;

                        r = debug_to_json(&p->debug[i], &d);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(debug, d) < 0) {
                                json_object_put(d);
                                return -ENOMEM;
                        }
                }
        }

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_add_string(o, "id", p->id) < 0 ||
            json_add_string(o, "kind", kind) < 0 ||
            json_add_string(o, "target", p->target) < 0 ||
            json_add_string(o, "endpoint", p->endpoint) < 0 ||
            json_add_bool(o, "ok", p->ok) < 0 ||
            json_add_string(o, "class", class) < 0 ||
            json_add_msec(o, "latency_ms", p->latency, false) < 0 ||
            (p->http_status > 0 && p->http_status <= INT32_MAX ?
                     json_add_int(o, "http_status", p->http_status) :
                     json_add(o, "http_status", NULL)) < 0 ||
            json_add_string(o, "aws_error_code", p->aws_error_code) < 0 ||
            json_add_string(o, "request_id", p->request_id) < 0 ||
            json_add_string(o, "message", p->message) < 0 ||
            json_add_string(o, "principal", p->denied.principal) < 0 ||
            json_add_string(o, "action", p->denied.action) < 0 ||
            json_add_string(o, "resource", p->denied.resource) < 0 ||
            json_add_string(o, "policy_type", policy_type) < 0 ||
            json_add_string(o, "deny", deny) < 0 ||
            json_add_string(o, "policy_arn", p->denied.policy_arn) < 0 ||
            json_add_string(o, "remedy", p->remedy) < 0 ||
            json_add_string(o, "source", p->source) < 0 ||
            json_add_int(o, "attempts", p->attempts) < 0 ||
            json_add_bool(o, "skipped", p->skipped) < 0 ||
            json_add_string(o, "operation", p->operation) < 0 ||
            json_add_string(o, "role_arn", p->role_arn) < 0 ||
            json_add_string(o, "aws_message", p->aws_message) < 0 ||
            (p->has_clock_offset ? json_add_int(o, "clock_offset_s", p->clock_offset_sec) :
                                   json_add(o, "clock_offset_s", NULL)) < 0 ||
            json_add(o, "network", TAKE_PTR(net)) < 0 ||
            json_add(o, "agent", TAKE_PTR(agent)) < 0)
                return -ENOMEM;
        if (debug && json_add(o, "debug", TAKE_PTR(debug)) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

static int host_to_json(const ProbeHost *h, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_add_string(o, "instance_id", h->instance_id) < 0 ||
            json_add_string(o, "region", h->region) < 0 ||
            json_add_string(o, "account_id", h->account_id) < 0 ||
            json_add_string(o, "availability_zone", h->availability_zone) < 0 ||
            json_add_string(o, "hostname", h->hostname) < 0 ||
            json_add_string(o, "auto_scaling_group", h->auto_scaling_group) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

static int identity_to_json(const ProbeIdentity *id, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_add_string(o, "arn", id->arn) < 0 ||
            json_add_string(o, "account", id->account) < 0 ||
            json_add_string(o, "user_id", id->user_id) < 0 ||
            json_add_string(o, "credential_source",
                            credential_source_to_string(id->credential_source)) < 0 ||
            json_add_string(o, "credential_detail", id->credential_detail) < 0 ||
            json_add_string(o, "access_key_id", id->access_key_id) < 0 ||
            json_add_string(o, "role_arn", id->role_arn) < 0 ||
            json_add_time(o, "expires_at", id->expires_at) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

int status_report_to_json(const ProbeReport *r, StatusJsonFlags flags, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL, *host = NULL, *identity = NULL,
                                                       *summary = NULL, *probes = NULL;
        int k;

        if (!r || !ret || (r->n_probes > 0 && !r->probes))
                return -EINVAL;

        probes = json_object_new_array();
        if (!probes)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_probes; i++) {
                struct json_object *p;

                k = status_probe_to_json(&r->probes[i], flags, &p);
                if (k < 0)
                        return k;
                if (json_object_array_add(probes, p) < 0) {
                        json_object_put(p);
                        return -ENOMEM;
                }
        }

        k = host_to_json(&r->host, &host);
        if (k < 0)
                return k;
        k = identity_to_json(&r->identity, &identity);
        if (k < 0)
                return k;

        summary = json_object_new_object();
        if (!summary)
                return -ENOMEM;
        if (json_add_int(summary, "probes", (int64_t) r->n_probes) < 0 ||
            json_add_int(summary, "failing", (int64_t) probe_report_n_failing(r)) < 0)
                return -ENOMEM;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_add_int(o, "version", STATUS_JSON_VERSION) < 0 ||
            json_add_time(o, "generated_at", r->generated_at) < 0 ||
            json_add_msec(o, "duration_ms", r->duration, true) < 0 ||
            json_add(o, "host", TAKE_PTR(host)) < 0 ||
            json_add(o, "identity", TAKE_PTR(identity)) < 0 ||
            (r->heartbeat_value >= 0 ? json_add_int(o, "heartbeat_value", r->heartbeat_value) :
                                       json_add(o, "heartbeat_value", NULL)) < 0 ||
            json_add(o, "summary", TAKE_PTR(summary)) < 0 ||
            json_add(o, "probes", TAKE_PTR(probes)) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

int status_json_format(struct json_object *o, StatusJsonFlags flags, char **ret)
{
        const char *text;
        size_t len;
        char *s;
        int jflags = JSON_C_TO_STRING_NOSLASHESCAPE;

        if (!o || !ret)
                return -EINVAL;

        /* URLs and ARNs read better without json-c's default "\/". */
        if (flags & STATUS_JSON_PRETTY)
                jflags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        else
                jflags |= JSON_C_TO_STRING_PLAIN;
        text = json_object_to_json_string_length(o, jflags, &len);
        if (!text)
                return -ENOMEM;

        s = malloc(len + 2);
        if (!s)
                return -ENOMEM;
        memcpy(s, text, len);
        s[len] = '\n';
        s[len + 1] = 0;
        *ret = s;
        return 0;
}

int status_report_format(const ProbeReport *r, StatusJsonFlags flags, char **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        int k;

        if (!ret)
                return -EINVAL;
        k = status_report_to_json(r, flags, &o);
        if (k < 0)
                return k;
        return status_json_format(o, flags, ret);
}
