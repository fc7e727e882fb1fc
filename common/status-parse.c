/* SPDX-License-Identifier: MIT */
/*
 * status-parse.c: the reader of the status JSON, for `cwguardctl status` and anything else that
 * wants a round report back; the exact inverse of status.c. It takes untrusted bytes (a status
 * file anyone may have edited), so it is bounded in size (STATUS_JSON_MAX) and nesting, checks
 * the type and range of every known key, turns nothing into a crash and is fuzzed
 * (fuzz-status-json). It ignores keys it does not know, so newer writers (the daemon's own keys)
 * need no new "version". Pure: no logging, no I/O, no globals.
 */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json-util.h"
#include "common/status.h"
#include "common/util.h"

int status_json_parse(const char *data, size_t size, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_tokener *tok;
        enum json_tokener_error err;
        size_t end;

        if (!ret || (!data && size > 0))
                return -EINVAL;
        if (size > STATUS_JSON_MAX)
                return -EFBIG;
        /* json-c would stop at a NUL; a status document never holds one. */
        if (size == 0 || memchr(data, 0, size))
                return -EBADMSG;

        /* json-c's default depth (32): ours is 6 deep, the rest is room for newer writers. */
        tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, data, (int) size);
        err = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        /* json-c 0.16 has no distinct out-of-memory error: that reads as -EBADMSG too. */
        if (!o || err != json_tokener_success)
                return -EBADMSG;
        for (size_t i = end; i < size; i++)
                if (!strchr(" \t\r\n", data[i]))
                        return -EBADMSG;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        *ret = TAKE_PTR(o);
        return 0;
}

/* The value under @key if it has @type; NULL if missing or null; -EBADMSG for another type. */
static int json_get(struct json_object *o, const char *key, json_type type,
                    struct json_object **ret)
{
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, type))
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* A copy of the string under @key (NULL if missing or null); an embedded NUL is refused. */
static int json_get_string(struct json_object *o, const char *key, char **ret)
{
        struct json_object *v;
        const char *s;
        char *copy;
        int r;

        r = json_get(o, key, json_type_string, &v);
        if (r < 0)
                return r;
        if (!v) {
                free(*ret);
                *ret = NULL;
                return 0;
        }

        s = json_object_get_string(v);
        if (strlen(s) != (size_t) json_object_get_string_len(v))
                return -EBADMSG;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 0;
}

/* The string under @key without copying (NULL if missing or null). */
static int json_get_string_ref(struct json_object *o, const char *key, const char **ret)
{
        struct json_object *v;
        int r;

        r = json_get(o, key, json_type_string, &v);
        if (r < 0)
                return r;
        *ret = v ? json_object_get_string(v) : NULL;
        return 0;
}

static int json_get_bool(struct json_object *o, const char *key, bool required, bool *ret)
{
        struct json_object *v;
        int r;

        r = json_get(o, key, json_type_boolean, &v);
        if (r < 0)
                return r;
        if (!v && required)
                return -EBADMSG;
        *ret = v && json_object_get_boolean(v);
        return 0;
}

/* An integer in [@min, @max] under @key; @ret_null (may be NULL) says whether it was null. */
static int json_get_int(struct json_object *o, const char *key, int64_t min, int64_t max,
                        int64_t *ret, bool *ret_null)
{
        struct json_object *v;
        int64_t i;
        int r;

        r = json_get(o, key, json_type_int, &v);
        if (r < 0)
                return r;
        if (ret_null)
                *ret_null = !v;
        if (!v) {
                *ret = 0;
                return 0;
        }
        /* json-c clamps what does not fit into int64 (or stores it as uint64): refuse both. */
        i = json_object_get_int64(v);
        if (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t) INT64_MAX)
                return -EBADMSG;
        if (i < min || i > max)
                return -EBADMSG;
        *ret = i;
        return 0;
}

/* A duration written by json_new_msec(): integer or decimal ms, null for 0. */
static int json_get_msec(struct json_object *o, const char *key, usec_t *ret)
{
        struct json_object *v;
        double d;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = 0;
                return 0;
        }
        if (json_object_is_type(v, json_type_int)) {
                int64_t i;
                int r;

                r = json_get_int(o, key, 0, (int64_t) (STATUS_DURATION_MAX / USEC_PER_MSEC), &i,
                                 NULL);
                if (r < 0)
                        return r;
                *ret = (usec_t) i * USEC_PER_MSEC;
                return 0;
        }
        if (!json_object_is_type(v, json_type_double))
                return -EBADMSG;

        /* Strict json-c still reads NaN and Infinity; 1e400 becomes Infinity. The cap keeps
         * the double exact to well under 1 µs, so u64_round() gives back what was written. */
        d = json_object_get_double(v);
        if (!isfinite(d) || d < 0 || d > (double) (STATUS_DURATION_MAX / USEC_PER_MSEC))
                return -EBADMSG;
        *ret = MIN((usec_t) u64_round(d * (double) USEC_PER_MSEC), STATUS_DURATION_MAX);
        return 0;
}

static int json_get_time(struct json_object *o, const char *key, usec_t *ret)
{
        const char *s;
        usec_t t;
        int r;

        r = json_get_string_ref(o, key, &s);
        if (r < 0)
                return r;
        if (!s) {
                *ret = 0;
                return 0;
        }
        if (iso8601_parse(s, &t) < 0)
                return -EBADMSG;
        *ret = MIN(t, STATUS_TIME_MAX);
        return 0;
}

/* An optional nested object under @key (NULL if missing or null). */
static int json_get_object(struct json_object *o, const char *key, struct json_object **ret)
{
        return json_get(o, key, json_type_object, ret);
}

/* A string field of a struct, read by table: its key and where the copy goes. */
typedef struct StringField {
        const char *key;
        size_t offset;
} StringField;

static int json_get_strings(struct json_object *o, const StringField *fields, size_t n,
                            void *base)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                r = json_get_string(o, fields[i].key, (char **) ((char *) base + fields[i].offset));
                if (r < 0)
                        return r;
        }
        return 0;
}

static const StringField network_strings[] = {
        { "host", offsetof(ProbeNetwork, host) },
        { "address", offsetof(ProbeNetwork, address) },
        { "evidence", offsetof(ProbeNetwork, evidence) },
};

static const StringField probe_strings[] = {
        { "id", offsetof(ProbeResult, id) },
        { "target", offsetof(ProbeResult, target) },
        { "endpoint", offsetof(ProbeResult, endpoint) },
        { "aws_error_code", offsetof(ProbeResult, aws_error_code) },
        { "request_id", offsetof(ProbeResult, request_id) },
        { "message", offsetof(ProbeResult, message) },
        { "principal", offsetof(ProbeResult, denied.principal) },
        { "action", offsetof(ProbeResult, denied.action) },
        { "resource", offsetof(ProbeResult, denied.resource) },
        { "policy_arn", offsetof(ProbeResult, denied.policy_arn) },
        { "remedy", offsetof(ProbeResult, remedy) },
        { "source", offsetof(ProbeResult, source) },
        { "operation", offsetof(ProbeResult, operation) },
        { "role_arn", offsetof(ProbeResult, role_arn) },
        { "aws_message", offsetof(ProbeResult, aws_message) },
};

static const StringField host_strings[] = {
        { "instance_id", offsetof(ProbeHost, instance_id) },
        { "region", offsetof(ProbeHost, region) },
        { "account_id", offsetof(ProbeHost, account_id) },
        { "availability_zone", offsetof(ProbeHost, availability_zone) },
        { "hostname", offsetof(ProbeHost, hostname) },
        { "auto_scaling_group", offsetof(ProbeHost, auto_scaling_group) },
};

static const StringField identity_strings[] = {
        { "arn", offsetof(ProbeIdentity, arn) },
        { "account", offsetof(ProbeIdentity, account) },
        { "user_id", offsetof(ProbeIdentity, user_id) },
        { "credential_detail", offsetof(ProbeIdentity, credential_detail) },
        { "access_key_id", offsetof(ProbeIdentity, access_key_id) },
        { "role_arn", offsetof(ProbeIdentity, role_arn) },
};

static const StringField agent_strings[] = {
        { "unit", offsetof(ProbeAgent, unit) },
        { "load_state", offsetof(ProbeAgent, load_state) },
        { "active_state", offsetof(ProbeAgent, active_state) },
        { "sub_state", offsetof(ProbeAgent, sub_state) },
        { "unit_result", offsetof(ProbeAgent, unit_result) },
        { "log", offsetof(ProbeAgent, log) },
        { "last_line", offsetof(ProbeAgent, last_line) },
};

static int agent_from_json(struct json_object *o, ProbeAgent *a)
{
        int64_t i;
        bool null;
        int r;

        r = json_get_strings(o, agent_strings, ELEMENTSOF(agent_strings), a);
        if (r < 0)
                return r;
        r = json_get_int(o, "n_restarts", 0, INT64_MAX, &i, &null);
        if (r < 0)
                return r;
        a->n_restarts = (uint64_t) i;
        a->has_n_restarts = !null;
        r = json_get_int(o, "new_restarts", 0, INT64_MAX, &i, /* ret_null= */ NULL);
        if (r < 0)
                return r;
        a->new_restarts = (uint64_t) i;
        r = json_get_int(o, "error_lines", 0, INT64_MAX, &i, /* ret_null= */ NULL);
        if (r < 0)
                return r;
        a->error_lines = (uint64_t) i;
        r = json_get_int(o, "skipped_bytes", 0, INT64_MAX, &i, /* ret_null= */ NULL);
        if (r < 0)
                return r;
        a->skipped_bytes = (uint64_t) i;
        r = json_get_time(o, "active_since", &a->active_enter);
        if (r < 0)
                return r;
        return json_get_time(o, "last_line_at", &a->last_line_at);
}

static int network_from_json(struct json_object *o, ProbeNetwork *n)
{
        const char *scope;
        int r;

        r = json_get_strings(o, network_strings, ELEMENTSOF(network_strings), n);
        if (r < 0)
                return r;
        r = json_get_string_ref(o, "scope", &scope);
        if (r < 0)
                return r;
        r = json_get_bool(o, "fresh", /* required= */ false, &n->fresh);
        if (r < 0)
                return r;
        r = json_get_bool(o, "connected", /* required= */ false, &n->connected);
        if (r < 0)
                return r;
        r = json_get_bool(o, "via_proxy", /* required= */ false, &n->via_proxy);
        if (r < 0)
                return r;
        r = json_get_msec(o, "dns_ms", &n->dns);
        if (r < 0)
                return r;
        r = json_get_msec(o, "connect_ms", &n->connect);
        if (r < 0)
                return r;
        r = json_get_msec(o, "tls_ms", &n->tls);
        if (r < 0)
                return r;
        r = json_get_time(o, "last_fresh_check", &n->last_fresh_check);
        if (r < 0)
                return r;

        /* A scope added by a newer writer reads as unknown. */
        n->scope = address_scope_from_string(scope);
        if (n->scope < 0)
                n->scope = ADDRESS_SCOPE_UNKNOWN;
        return 0;
}

int status_probe_from_json(struct json_object *o, ProbeResult *ret)
{
        _cleanup_(probe_result_done) ProbeResult p = {};
        struct json_object *net, *agent;
        const char *kind, *class, *policy_type, *deny;
        int64_t i;
        bool null;
        int r;

        if (!ret)
                return -EINVAL;
        /* To json-c a NULL object is JSON null: a null element of "probes". */
        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;

        /* Kind and class are required and must be known: a result without them means nothing
         * (new classes are appended to the contract, so a reader must be as new as the
         * writer). */
        r = json_get_string_ref(o, "kind", &kind);
        if (r < 0)
                return r;
        r = json_get_string_ref(o, "class", &class);
        if (r < 0)
                return r;
        p.kind = probe_kind_from_string(kind);
        p.class = result_class_from_string(class);
        if (p.kind < 0 || p.class < 0)
                return -EBADMSG;
        r = json_get_bool(o, "ok", /* required= */ true, &p.ok);
        if (r < 0)
                return r;

        r = json_get_strings(o, probe_strings, ELEMENTSOF(probe_strings), &p);
        if (r < 0)
                return r;
        if (!p.id)
                return -EBADMSG;

        r = json_get_msec(o, "latency_ms", &p.latency);
        if (r < 0)
                return r;
        r = json_get_int(o, "http_status", 0, INT32_MAX, &i, /* ret_null= */ NULL);
        if (r < 0)
                return r;
        p.http_status = (long) i;
        r = json_get_int(o, "attempts", 0, UINT_MAX, &i, /* ret_null= */ NULL);
        if (r < 0)
                return r;
        p.attempts = (unsigned) i;
        r = json_get_bool(o, "skipped", /* required= */ false, &p.skipped);
        if (r < 0)
                return r;
        r = json_get_int(o, "clock_offset_s", INT64_MIN, INT64_MAX, &p.clock_offset_sec, &null);
        if (r < 0)
                return r;
        p.has_clock_offset = !null;

        /* Type-checked always, used only where the writer writes them. */
        r = json_get_string_ref(o, "policy_type", &policy_type);
        if (r < 0)
                return r;
        r = json_get_string_ref(o, "deny", &deny);
        if (r < 0)
                return r;
        if (status_class_has_denied(p.class) ||
            (p.class == RESULT_CLASS_AGENT_ERRORS && (policy_type || deny))) {
                p.denied.policy_type = policy_type_from_string(policy_type);
                if (p.denied.policy_type < 0)
                        p.denied.policy_type = POLICY_TYPE_UNKNOWN;
                p.denied.deny = deny_kind_from_string(deny);
                if (p.denied.deny < 0)
                        p.denied.deny = DENY_KIND_UNKNOWN;
        }

        r = json_get_object(o, "network", &net);
        if (r < 0)
                return r;
        if (net && p.kind == PROBE_KIND_ENDPOINT) {
                r = network_from_json(net, &p.net);
                if (r < 0)
                        return r;
        }
        r = json_get_object(o, "agent", &agent);
        if (r < 0)
                return r;
        if (agent && p.kind == PROBE_KIND_AGENT) {
                r = agent_from_json(agent, &p.agent);
                if (r < 0)
                        return r;
        }

        *ret = p;
        p = (ProbeResult) {};
        return 0;
}

static int identity_from_json(struct json_object *o, ProbeIdentity *id)
{
        const char *source;
        int r;

        r = json_get_strings(o, identity_strings, ELEMENTSOF(identity_strings), id);
        if (r < 0)
                return r;
        r = json_get_time(o, "expires_at", &id->expires_at);
        if (r < 0)
                return r;
        r = json_get_string_ref(o, "credential_source", &source);
        if (r < 0)
                return r;

        /* A source added by a newer writer reads as none rather than failing the document. */
        id->credential_source = credential_source_from_string(source);
        return 0;
}

int status_report_from_json(struct json_object *o, ProbeReport *ret)
{
        _cleanup_(probe_report_done) ProbeReport rep = {
                .heartbeat_value = -1,
                .identity.credential_source = _CREDENTIAL_SOURCE_INVALID,
        };
        struct json_object *v, *probes;
        int64_t i;
        bool null;
        size_t n;
        int r;

        if (!o || !ret)
                return -EINVAL;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        /* The version first: a document of another version is not interpreted at all. */
        if (!json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        if (json_object_get_int64(v) != STATUS_JSON_VERSION)
                return -EPROTONOSUPPORT;

        r = json_get(o, "probes", json_type_array, &probes);
        if (r < 0)
                return r;
        if (!probes)
                return -EBADMSG;

        r = json_get_time(o, "generated_at", &rep.generated_at);
        if (r < 0)
                return r;
        r = json_get_msec(o, "duration_ms", &rep.duration);
        if (r < 0)
                return r;
        r = json_get_int(o, "heartbeat_value", 0, INT_MAX, &i, &null);
        if (r < 0)
                return r;
        rep.heartbeat_value = null ? -1 : (int) i;

        r = json_get_object(o, "host", &v);
        if (r < 0)
                return r;
        if (v) {
                r = json_get_strings(v, host_strings, ELEMENTSOF(host_strings), &rep.host);
                if (r < 0)
                        return r;
        }
        r = json_get_object(o, "identity", &v);
        if (r < 0)
                return r;
        if (v) {
                r = identity_from_json(v, &rep.identity);
                if (r < 0)
                        return r;
        }

        n = json_object_array_length(probes);
        if (n > 0) {
                rep.probes = calloc(n, sizeof(ProbeResult));
                if (!rep.probes)
                        return -ENOMEM;
        }
        for (size_t k = 0; k < n; k++) {
                r = status_probe_from_json(json_object_array_get_idx(probes, k), &rep.probes[k]);
                if (r < 0)
                        return r;
                rep.n_probes = k + 1;
        }

        *ret = rep;
        rep = (ProbeReport) {};
        return 0;
}

int status_report_parse(const char *data, size_t size, ProbeReport *ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = status_json_parse(data, size, &o);
        if (r < 0)
                return r;
        return status_report_from_json(o, ret);
}
