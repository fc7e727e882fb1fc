/* SPDX-License-Identifier: MIT */
/*
 * test-status.c: the status JSON contract. Reports are built by hand (ok, access-denied by an
 * SCP with a policy ARN, an endpoint with network timings, skipped, debug records) and their
 * text is compared byte for byte with the documented format, so a changed key, order or null
 * fails here before it reaches an operator's jq script. Then: hostile strings in every field
 * stay one valid UTF-8 JSON document and read back identically, format -> parse -> format is
 * the identity, durations and times survive at their limits, and the reader refuses truncated,
 * mistyped, oversized and wrong-version documents with the documented errors. Times are fixed,
 * never read from the clock.
 */

#include <limits.h>
#include <stdio.h>

#include <json-c/json.h>

#include "common/json-util.h"
#include "common/status.h"
#include "tests/test.h"

static char *S(const char *s)
{
        char *p = strdup(s);

        ASSERT_NOT_NULL(p);
        return p;
}

static usec_t T(const char *iso)
{
        usec_t t;

        ASSERT_OK(iso8601_parse(iso, &t));
        return t;
}

static ProbeResult *add_probe(ProbeReport *r, const char *id, ProbeKind kind)
{
        ProbeResult *p;

        r->probes = realloc(r->probes, (r->n_probes + 1) * sizeof(ProbeResult));
        ASSERT_NOT_NULL(r->probes);
        p = &r->probes[r->n_probes++];
        *p = (ProbeResult) { .id = S(id), .kind = kind, .source = S("config") };
        return p;
}

static void add_debug(ProbeResult *p, const char *method, const char *url, long status,
                      const char *header)
{
        AwsCallDebug *d;

        p->debug = realloc(p->debug, (p->n_debug + 1) * sizeof(AwsCallDebug));
        ASSERT_NOT_NULL(p->debug);
        d = &p->debug[p->n_debug++];
        *d = (AwsCallDebug) {
                .method = S(method),
                .url = S(url),
                .signed_headers = S("content-type;host;x-amz-date;x-amz-target"),
                .canonical_request = S("POST\n/\n\ncontent-type:application/x-amz-json-1.1\n"),
                .string_to_sign = S("AWS4-HMAC-SHA256\n20261122T100000Z\n"),
                .status = status,
        };
        if (header)
                ASSERT_OK(strv_extend(&d->response_headers, header));
}

/* The report of the documented example round: identity ok, metrics ok, logs denied by an SCP,
 * the logs endpoint measured fresh over a VPC endpoint. */
static void make_report(ProbeReport *r)
{
        ProbeResult *p;

        *r = (ProbeReport) {
                .generated_at = T("2026-11-22T10:00:00Z"),
                .duration = 1234567,
                .host = {
                        .instance_id = S("i-0123456789abcdef0"),
                        .region = S("eu-west-1"),
                        .account_id = S("123456789012"),
                        .availability_zone = S("eu-west-1a"),
                        .hostname = S("web-1"),
                        .auto_scaling_group = S("web-asg"),
                },
                .identity = {
                        .arn = S("arn:aws:sts::123456789012:assumed-role/cwagent/"
                                 "i-0123456789abcdef0"),
                        .account = S("123456789012"),
                        .user_id = S("AROAEXAMPLE:i-0123456789abcdef0"),
                        .credential_source = CREDENTIAL_SOURCE_IMDS,
                        .credential_detail = S("role cwagent"),
                        .access_key_id = S("ASIAEXAMPLE"),
                        .expires_at = T("2026-11-22T16:00:00Z"),
                },
                .heartbeat_value = 1,
        };

        p = add_probe(r, "metrics:CWAgent", PROBE_KIND_METRICS);
        p->target = S("CWAgent");
        p->endpoint = S("https://monitoring.eu-west-1.amazonaws.com");
        p->ok = true;
        p->class = RESULT_CLASS_OK;
        p->latency = 42000;
        p->attempts = 1;
        p->http_status = 200;
        p->request_id = S("f00d");
        p->message = S("PutMetricData into 'CWAgent' works");
        p->operation = S("PutMetricData");

        p = add_probe(r, "logs:/aws/ec2/app", PROBE_KIND_LOGS);
        p->target = S("/aws/ec2/app");
        p->endpoint = S("https://logs.eu-west-1.amazonaws.com");
        p->class = RESULT_CLASS_ACCESS_DENIED;
        p->latency = 12345;
        p->attempts = 1;
        p->http_status = 400;
        p->aws_error_code = S("AccessDeniedException");
        p->request_id = S("5b1c");
        p->message = S("logs:PutLogEvents is denied by a service control policy");
        p->remedy = S("Ask the organization admin to change the SCP.");
        p->operation = S("PutLogEvents");
        p->aws_message = S("User: arn:aws:sts::123456789012:assumed-role/cwagent/i-0 is not "
                           "authorized to perform: logs:PutLogEvents with an explicit deny in a "
                           "service control policy: arn:aws:organizations::111:policy/o-1/"
                           "service_control_policy/p-1");
        p->denied = (AccessDenied) {
                .principal = S("arn:aws:sts::123456789012:assumed-role/cwagent/i-0"),
                .action = S("logs:PutLogEvents"),
                .resource = S("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ec2/app"),
                .policy_type = POLICY_TYPE_SERVICE_CONTROL,
                .deny = DENY_KIND_EXPLICIT,
                .policy_arn = S("arn:aws:organizations::111:policy/o-1/service_control_policy/p-1"),
        };

        p = add_probe(r, "endpoint:logs", PROBE_KIND_ENDPOINT);
        p->target = S("logs");
        p->endpoint = S("https://logs.eu-west-1.amazonaws.com");
        p->ok = true;
        p->class = RESULT_CLASS_OK;
        p->latency = 3500;
        p->message = S("logs.eu-west-1.amazonaws.com reachable over a VPC endpoint");
        p->net = (ProbeNetwork) {
                .host = S("logs.eu-west-1.amazonaws.com"),
                .address = S("10.0.1.5"),
                .scope = ADDRESS_SCOPE_PRIVATE,
                .fresh = true,
                .connected = true,
                .dns = 1500,
                .connect = 2000,
                .tls = 0,
                .last_fresh_check = T("2026-11-22T09:59:59Z"),
        };
}

static const char expected_report[] =
        "{\"version\":1,\"generated_at\":\"2026-11-22T10:00:00Z\",\"duration_ms\":1234.567,"
        "\"host\":{\"instance_id\":\"i-0123456789abcdef0\",\"region\":\"eu-west-1\","
        "\"account_id\":\"123456789012\",\"availability_zone\":\"eu-west-1a\","
        "\"hostname\":\"web-1\",\"auto_scaling_group\":\"web-asg\"},"
        "\"identity\":{\"arn\":\"arn:aws:sts::123456789012:assumed-role/cwagent/"
        "i-0123456789abcdef0\",\"account\":\"123456789012\",\"user_id\":\"AROAEXAMPLE:"
        "i-0123456789abcdef0\",\"credential_source\":\"imds\",\"credential_detail\":\"role "
        "cwagent\",\"access_key_id\":\"ASIAEXAMPLE\",\"role_arn\":null,\"expires_at\":\"2026-11-22T16:00:00Z\"},"
        "\"heartbeat_value\":1,\"summary\":{\"probes\":3,\"failing\":1},\"probes\":["
        /* ok: no denial facts, no clock offset, no network */
        "{\"id\":\"metrics:CWAgent\",\"kind\":\"metrics\",\"target\":\"CWAgent\","
        "\"endpoint\":\"https://monitoring.eu-west-1.amazonaws.com\",\"ok\":true,"
        "\"class\":\"ok\",\"latency_ms\":42,\"http_status\":200,\"aws_error_code\":null,"
        "\"request_id\":\"f00d\",\"message\":\"PutMetricData into 'CWAgent' works\","
        "\"principal\":null,\"action\":null,\"resource\":null,\"policy_type\":null,"
        "\"deny\":null,\"policy_arn\":null,\"remedy\":null,\"source\":\"config\","
        "\"attempts\":1,\"skipped\":false,\"operation\":\"PutMetricData\",\"role_arn\":null,"
        "\"aws_message\":null,\"clock_offset_s\":null,\"network\":null,\"agent\":null},"
        /* access-denied by an SCP, with the policy ARN */
        "{\"id\":\"logs:/aws/ec2/app\",\"kind\":\"logs\",\"target\":\"/aws/ec2/app\","
        "\"endpoint\":\"https://logs.eu-west-1.amazonaws.com\",\"ok\":false,"
        "\"class\":\"access-denied\",\"latency_ms\":12.345,\"http_status\":400,"
        "\"aws_error_code\":\"AccessDeniedException\",\"request_id\":\"5b1c\","
        "\"message\":\"logs:PutLogEvents is denied by a service control policy\","
        "\"principal\":\"arn:aws:sts::123456789012:assumed-role/cwagent/i-0\","
        "\"action\":\"logs:PutLogEvents\","
        "\"resource\":\"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ec2/app\","
        "\"policy_type\":\"service-control\",\"deny\":\"explicit\","
        "\"policy_arn\":\"arn:aws:organizations::111:policy/o-1/service_control_policy/p-1\","
        "\"remedy\":\"Ask the organization admin to change the SCP.\",\"source\":\"config\","
        "\"attempts\":1,\"skipped\":false,\"operation\":\"PutLogEvents\",\"role_arn\":null,"
        "\"aws_message\":\"User: arn:aws:sts::123456789012:assumed-role/cwagent/i-0 is not "
        "authorized to perform: logs:PutLogEvents with an explicit deny in a service control "
        "policy: arn:aws:organizations::111:policy/o-1/service_control_policy/p-1\","
        "\"clock_offset_s\":null,\"network\":null,\"agent\":null},"
        /* endpoint with network; TLS not reached (null) */
        "{\"id\":\"endpoint:logs\",\"kind\":\"endpoint\",\"target\":\"logs\","
        "\"endpoint\":\"https://logs.eu-west-1.amazonaws.com\",\"ok\":true,\"class\":\"ok\","
        "\"latency_ms\":3.5,\"http_status\":null,\"aws_error_code\":null,\"request_id\":null,"
        "\"message\":\"logs.eu-west-1.amazonaws.com reachable over a VPC endpoint\","
        "\"principal\":null,\"action\":null,\"resource\":null,\"policy_type\":null,"
        "\"deny\":null,\"policy_arn\":null,\"remedy\":null,\"source\":\"config\","
        "\"attempts\":0,\"skipped\":false,\"operation\":null,\"role_arn\":null,\"aws_message\":null,"
        "\"clock_offset_s\":null,\"network\":{\"host\":\"logs.eu-west-1.amazonaws.com\","
        "\"address\":\"10.0.1.5\",\"scope\":\"private\",\"fresh\":true,"
        "\"connected\":true,\"via_proxy\":false,"
        "\"dns_ms\":1.5,\"connect_ms\":2,\"tls_ms\":null,"
        "\"last_fresh_check\":\"2026-11-22T09:59:59Z\",\"evidence\":null},\"agent\":null}"
        "]}\n";

static const char *const probe_keys[] = {
        "id", "kind", "target", "endpoint", "ok", "class", "latency_ms", "http_status",
        "aws_error_code", "request_id", "message", "principal", "action", "resource",
        "policy_type", "deny", "policy_arn", "remedy", "source", "attempts", "skipped",
        "operation", "role_arn", "aws_message", "clock_offset_s", "network", "agent", "debug",
};

/* @o has exactly @keys in this order (the last @n_optional of them may be missing). */
static void assert_keys(struct json_object *o, const char *const *keys, size_t n)
{
        size_t i = 0;

        ASSERT_TRUE(json_object_is_type(o, json_type_object));
        json_object_object_foreach(o, key, v) {
                (void) v;
                ASSERT_TRUE(i < n);
                ASSERT_STREQ(key, keys[i]);
                i++;
        }
        ASSERT_EQ(i, n);
}

static struct json_object *get(struct json_object *o, const char *key)
{
        struct json_object *v;

        ASSERT_TRUE(json_object_object_get_ex(o, key, &v));
        return v;
}

static void assert_null(struct json_object *o, const char *key)
{
        ASSERT_TRUE(json_object_is_type(get(o, key), json_type_null));
}

static void assert_string(struct json_object *o, const char *key, const char *s)
{
        struct json_object *v = get(o, key);

        ASSERT_TRUE(json_object_is_type(v, json_type_string));
        ASSERT_STREQ(json_object_get_string(v), s);
}

/* Parse with json-c strictly (RFC 8259, UTF-8 validated), independently of status.c. */
static struct json_object *parse_strict(const char *text)
{
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o;
        size_t len = strlen(text);

        ASSERT_NOT_NULL(tok);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, text, (int) len);
        ASSERT_EQ(json_tokener_get_error(tok), json_tokener_success);
        ASSERT_NOT_NULL(o);
        /* One document: only the trailing newline is left. */
        ASSERT_EQ(json_tokener_get_parse_end(tok), len);
        json_tokener_free(tok);
        return o;
}

/* ---- the format ------------------------------------------------------------------------------ */

static void test_format_exact(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {};
        _cleanup_free_ char *text = NULL, *pretty = NULL;

        make_report(&r);
        ASSERT_OK(status_report_format(&r, 0, &text));
        if (!streq(text, expected_report))
                fprintf(stderr, "got:      %s\nexpected: %s", text, expected_report);
        ASSERT_STREQ(text, expected_report);

        /* Pretty is the same document, indented. */
        ASSERT_OK(status_report_format(&r, STATUS_JSON_PRETTY, &pretty));
        ASSERT_TRUE(strchr(pretty, '\n') < pretty + strlen(pretty) - 1);
        ASSERT_NOT_NULL(strstr(pretty, "\n  \"version\": 1,\n"));
        {
                _cleanup_(json_object_putp) struct json_object *a = parse_strict(text),
                                                               *b = parse_strict(pretty);

                ASSERT_TRUE(json_object_equal(a, b));
        }
}

static void test_format_keys(void)
{
        static const char *const top[] = { "version", "generated_at", "duration_ms", "host",
                                           "identity", "heartbeat_value", "summary", "probes" };
        static const char *const host[] = { "instance_id", "region", "account_id",
                                            "availability_zone", "hostname",
                                            "auto_scaling_group" };
        static const char *const identity[] = { "arn", "account", "user_id",
                                                "credential_source", "credential_detail",
                                                "access_key_id", "role_arn", "expires_at" };
        static const char *const network[] = { "host", "address", "scope", "fresh",
                                               "connected", "via_proxy", "dns_ms",
                                               "connect_ms", "tls_ms", "last_fresh_check",
                                               "evidence" };
        static const char *const debug[] = { "method", "url", "signed_headers",
                                             "canonical_request", "string_to_sign", "status",
                                             "response_headers" };
        _cleanup_(probe_report_done) ProbeReport r = {
                .heartbeat_value = -1,
                .identity.credential_source = _CREDENTIAL_SOURCE_INVALID,
        };
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_free_ char *text = NULL;
        struct json_object *probes, *p, *v;
        ProbeResult *pr;

        /* An empty report: everything null but the counts. */
        ASSERT_OK(status_report_format(&r, 0, &text));
        ASSERT_STREQ(text, "{\"version\":1,\"generated_at\":null,\"duration_ms\":0,\"host\":{"
                           "\"instance_id\":null,\"region\":null,\"account_id\":null,"
                           "\"availability_zone\":null,\"hostname\":null,"
                           "\"auto_scaling_group\":null},\"identity\":{"
                           "\"arn\":null,\"account\":null,\"user_id\":null,"
                           "\"credential_source\":null,\"credential_detail\":null,"
                           "\"access_key_id\":null,\"role_arn\":null,\"expires_at\":null},\"heartbeat_value\":"
                           "null,\"summary\":{\"probes\":0,\"failing\":0},\"probes\":[]}\n");

        /* Every kind, with debug records: every key, in order; network only for endpoint. */
        pr = add_probe(&r, "imds", PROBE_KIND_IMDS);
        pr->class = RESULT_CLASS_IMDS_TOKEN_TIMEOUT;
        pr->has_clock_offset = true;
        pr->clock_offset_sec = -301;
        pr = add_probe(&r, "identity", PROBE_KIND_IDENTITY);
        pr->class = RESULT_CLASS_NO_CREDENTIALS;
        pr->skipped = true;
        pr->aws_message = S("no credentials");
        add_probe(&r, "metrics:A", PROBE_KIND_METRICS)->class = RESULT_CLASS_OK;
        add_probe(&r, "logs:g", PROBE_KIND_LOGS)->class = RESULT_CLASS_KMS_DENIED;
        pr = add_probe(&r, "endpoint:monitoring", PROBE_KIND_ENDPOINT);
        pr->class = RESULT_CLASS_DNS_FAILURE;
        pr->net.scope = (AddressScope) 77;  /* out of range: written as "unknown" */
        pr->net.evidence = S("metrics:A");
        add_debug(&r.probes[2], "POST", "https://monitoring.eu-west-1.amazonaws.com/", 200,
                  "x-amzn-RequestId: f00d");
        add_debug(&r.probes[2], "POST", "https://monitoring.eu-west-1.amazonaws.com/", 0, NULL);

        ASSERT_OK(status_report_to_json(&r, STATUS_JSON_DEBUG, &o));
        assert_keys(o, top, ELEMENTSOF(top));
        assert_keys(get(o, "host"), host, ELEMENTSOF(host));
        assert_keys(get(o, "identity"), identity, ELEMENTSOF(identity));
        ASSERT_EQ(json_object_get_int(get(get(o, "summary"), "probes")), 5);
        ASSERT_EQ(json_object_get_int(get(get(o, "summary"), "failing")), 5);
        probes = get(o, "probes");
        ASSERT_EQ(json_object_array_length(probes), 5);
        for (size_t i = 0; i < 5; i++) {
                p = json_object_array_get_idx(probes, i);
                assert_keys(p, probe_keys, ELEMENTSOF(probe_keys));
                ASSERT_TRUE(json_object_is_type(get(p, "debug"), json_type_array));
                if (r.probes[i].kind == PROBE_KIND_ENDPOINT)
                        assert_keys(get(p, "network"), network, ELEMENTSOF(network));
                else
                        assert_null(p, "network");
        }

        /* imds: a clock offset, everything else not applicable */
        p = json_object_array_get_idx(probes, 0);
        assert_string(p, "class", "imds-token-timeout");
        ASSERT_EQ(json_object_get_int64(get(p, "clock_offset_s")), -301);
        assert_null(p, "latency_ms");
        assert_null(p, "http_status");
        assert_null(p, "policy_type");
        assert_null(p, "deny");
        ASSERT_EQ(json_object_array_length(get(p, "debug")), 0);

        /* skipped */
        p = json_object_array_get_idx(probes, 1);
        ASSERT_TRUE(json_object_get_boolean(get(p, "skipped")));
        ASSERT_FALSE(json_object_get_boolean(get(p, "ok")));
        assert_string(p, "class", "no-credentials");
        assert_string(p, "aws_message", "no credentials");
        ASSERT_EQ(json_object_get_int(get(p, "attempts")), 0);
        assert_null(p, "clock_offset_s");

        /* debug records */
        p = json_object_array_get_idx(probes, 2);
        v = get(p, "debug");
        ASSERT_EQ(json_object_array_length(v), 2);
        assert_keys(json_object_array_get_idx(v, 0), debug, ELEMENTSOF(debug));
        assert_string(json_object_array_get_idx(v, 0), "method", "POST");
        assert_string(json_object_array_get_idx(v, 0), "url",
                      "https://monitoring.eu-west-1.amazonaws.com/");
        assert_string(json_object_array_get_idx(v, 0), "canonical_request",
                      "POST\n/\n\ncontent-type:application/x-amz-json-1.1\n");
        ASSERT_EQ(json_object_get_int(get(json_object_array_get_idx(v, 0), "status")), 200);
        v = get(json_object_array_get_idx(v, 0), "response_headers");
        ASSERT_EQ(json_object_array_length(v), 1);
        ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(v, 0)),
                     "x-amzn-RequestId: f00d");
        v = json_object_array_get_idx(get(p, "debug"), 1);
        assert_null(v, "status");
        ASSERT_EQ(json_object_array_length(get(v, "response_headers")), 0);

        /* kms-denied with no facts parsed: the layer and the deny are "unknown", not null */
        p = json_object_array_get_idx(probes, 3);
        assert_string(p, "class", "kms-denied");
        assert_string(p, "policy_type", "unknown");
        assert_string(p, "deny", "unknown");
        assert_null(p, "policy_arn");

        /* endpoint: nothing reached */
        v = get(json_object_array_get_idx(probes, 4), "network");
        assert_string(v, "scope", "unknown");
        assert_null(v, "host");
        assert_null(v, "dns_ms");
        assert_null(v, "last_fresh_check");
        assert_string(v, "evidence", "metrics:A");
        ASSERT_FALSE(json_object_get_boolean(get(v, "fresh")));

        /* Without the flag there is no "debug" key at all. */
        json_object_put(TAKE_PTR(o));
        ASSERT_OK(status_report_to_json(&r, 0, &o));
        probes = get(o, "probes");
        for (size_t i = 0; i < 5; i++)
                assert_keys(json_object_array_get_idx(probes, i), probe_keys,
                            ELEMENTSOF(probe_keys) - 1);
}

static void test_denied_only_for_denial_classes(void)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        ProbeResult p = {
                .id = (char *) "logs:g",
                .kind = PROBE_KIND_LOGS,
                .class = RESULT_CLASS_THROTTLED,
                .denied = { .policy_type = POLICY_TYPE_SESSION, .deny = DENY_KIND_IMPLICIT },
        };
        static const struct {
                PolicyType type;
                const char *name;
        } types[] = {
                { POLICY_TYPE_UNKNOWN, "unknown" },
                { POLICY_TYPE_IDENTITY_BASED, "identity-based" },
                { POLICY_TYPE_SERVICE_CONTROL, "service-control" },
                { POLICY_TYPE_RESOURCE_CONTROL, "resource-control" },
                { POLICY_TYPE_PERMISSIONS_BOUNDARY, "permissions-boundary" },
                { POLICY_TYPE_SESSION, "session" },
                { POLICY_TYPE_RESOURCE_BASED, "resource-based" },
                { POLICY_TYPE_VPC_ENDPOINT, "vpc-endpoint" },
                { POLICY_TYPE_ROLE_TRUST, "role-trust" },
        };

        /* Denial facts on another class are not shown as a policy layer. */
        ASSERT_OK(status_probe_to_json(&p, 0, &o));
        assert_string(o, "class", "throttled");
        assert_null(o, "policy_type");
        assert_null(o, "deny");
        json_object_put(TAKE_PTR(o));

        p.class = RESULT_CLASS_ACCESS_DENIED;
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                p.denied.policy_type = types[i].type;
                p.denied.deny = (DenyKind) (i % _DENY_KIND_MAX);
                ASSERT_OK(status_probe_to_json(&p, 0, &o));
                assert_string(o, "policy_type", types[i].name);
                assert_string(o, "deny", deny_kind_to_string(p.denied.deny));
                json_object_put(TAKE_PTR(o));
        }
}

static void test_invalid_reports(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {};
        struct json_object *o = NULL;
        char *text = NULL;

        make_report(&r);
        r.probes[1].class = _RESULT_CLASS_MAX;
        ASSERT_ERROR(status_report_format(&r, 0, &text), EINVAL);
        r.probes[1].class = RESULT_CLASS_OK;
        r.probes[1].kind = _PROBE_KIND_INVALID;
        ASSERT_ERROR(status_report_to_json(&r, 0, &o), EINVAL);
        r.probes[1].kind = PROBE_KIND_LOGS;
        free(r.probes[1].id);
        r.probes[1].id = NULL;
        ASSERT_ERROR(status_probe_to_json(&r.probes[1], 0, &o), EINVAL);
        ASSERT_NULL(o);
        ASSERT_NULL(text);
        ASSERT_ERROR(status_report_format(NULL, 0, &text), EINVAL);
}

/* ---- hostile strings ------------------------------------------------------------------------- */

/* Every string the report can carry, as pointers to fill and to compare. */
static size_t report_strings(ProbeReport *r, char **ret[static 64])
{
        ProbeResult *p = &r->probes[0];
        size_t n = 0;

        ret[n++] = &r->host.instance_id;
        ret[n++] = &r->host.region;
        ret[n++] = &r->host.account_id;
        ret[n++] = &r->host.availability_zone;
        ret[n++] = &r->host.hostname;
        ret[n++] = &r->host.auto_scaling_group;
        ret[n++] = &r->identity.arn;
        ret[n++] = &r->identity.account;
        ret[n++] = &r->identity.user_id;
        ret[n++] = &r->identity.credential_detail;
        ret[n++] = &r->identity.access_key_id;
        ret[n++] = &p->id;
        ret[n++] = &p->target;
        ret[n++] = &p->endpoint;
        ret[n++] = &p->source;
        ret[n++] = &p->aws_error_code;
        ret[n++] = &p->request_id;
        ret[n++] = &p->aws_message;
        ret[n++] = &p->denied.principal;
        ret[n++] = &p->denied.action;
        ret[n++] = &p->denied.resource;
        ret[n++] = &p->denied.policy_arn;
        ret[n++] = &p->message;
        ret[n++] = &p->remedy;
        ret[n++] = &p->net.host;
        ret[n++] = &p->net.address;
        ret[n++] = &p->net.evidence;
        ret[n++] = &p->operation;
        return n;
}

/* Walk @v and check that every string not under an enumeration's key equals @expect. */
static size_t count_strings(struct json_object *v, const char *expect)
{
        static const char *const enums[] = { "kind", "class", "policy_type", "deny", "scope" };
        size_t n = 0;

        switch (json_object_get_type(v)) {
        case json_type_string:
                ASSERT_STREQ(json_object_get_string(v), expect);
                ASSERT_EQ(json_object_get_string_len(v), strlen(expect));
                return 1;
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        n += count_strings(json_object_array_get_idx(v, i), expect);
                return n;
        case json_type_object: {
                json_object_object_foreach(v, key, child) {
                        bool is_enum = false;

                        for (size_t i = 0; i < ELEMENTSOF(enums); i++)
                                is_enum = is_enum || streq(key, enums[i]);
                        if (!is_enum)
                                n += count_strings(child, expect);
                }
                return n;
        }
        default:
                return 0;
        }
}

static void hostile_one(const char *s, const char *expect)
{
        _cleanup_(probe_report_done) ProbeReport r = {
                .heartbeat_value = -1,
                .identity.credential_source = _CREDENTIAL_SOURCE_INVALID,
        };
        _cleanup_(probe_report_done) ProbeReport back = {};
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL;
        char **fields[64], **back_fields[64];
        ProbeResult *p;
        size_t n;

        p = add_probe(&r, "x", PROBE_KIND_ENDPOINT);
        p->class = RESULT_CLASS_ACCESS_DENIED;
        free(p->id);
        free(p->source);
        p->id = p->source = NULL;
        n = report_strings(&r, fields);
        for (size_t i = 0; i < n; i++)
                *fields[i] = S(s);
        add_debug(p, s, s, 403, s);
        free(p->debug[0].signed_headers);
        free(p->debug[0].canonical_request);
        free(p->debug[0].string_to_sign);
        p->debug[0].signed_headers = S(s);
        p->debug[0].canonical_request = S(s);
        p->debug[0].string_to_sign = S(s);

        ASSERT_OK(status_report_format(&r, STATUS_JSON_DEBUG, &text));

        /* No raw control character anywhere: one line, terminal-safe, then the newline. */
        for (const char *c = text; *c; c++)
                ASSERT_TRUE((unsigned char) *c >= 0x20 || (c[0] == '\n' && c[1] == 0));
        /* Exactly one strict, UTF-8-valid JSON document. */
        o = parse_strict(text);

        /* Every string value reads back as the input (or its U+FFFD repair) through json-c:
         * the report's 27 strings and the debug record's 6; enumerations are not free text. */
        ASSERT_EQ(count_strings(o, expect), n + 6);

        /* ... and through status_report_parse(), in every field. */
        ASSERT_OK(status_report_parse(text, strlen(text), &back));
        ASSERT_EQ(back.n_probes, 1);
        ASSERT_EQ(report_strings(&back, back_fields), n);
        for (size_t i = 0; i < n; i++)
                ASSERT_STREQ(*back_fields[i], expect);

        /* The repaired text is stable (debug lists are not read back, so compare without). */
        free(text);
        ASSERT_OK(status_report_format(&r, 0, &text));
        ASSERT_OK(status_report_format(&back, 0, &again));
        ASSERT_STREQ(again, text);
}

static void test_hostile_strings(void)
{
        static const char all_cc[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
                                     "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                                     "\x1d\x1e\x1f\x7f";
        static const char valid[] = "quote \" backslash \\ slash / \\u0000 newline \n tab \t "
                                    "cr \r ESC \x1b[31mred\x1b[0m bell \x07 nbsp \xc2\xa0 "
                                    "U+2028 \xe2\x80\xa8 U+FFFF \xef\xbf\xbf emoji "
                                    "\xf0\x9f\x98\x80 U+10FFFF \xf4\x8f\xbf\xbf "
                                    "}]},\"x\":null}\n{\"version\":2} <script>";
#define FFFD "\xef\xbf\xbd"
        static const struct {
                const char *in, *out;
        } invalid[] = {
                { "a\xff" "b", "a" FFFD "b" },
                { "cut \xc3", "cut " FFFD },
                { "cut \xe2\x82" "x", "cut " FFFD FFFD "x" },
                { "overlong \xc0\xaf", "overlong " FFFD FFFD },
                { "overlong3 \xe0\x80\xaf", "overlong3 " FFFD FFFD FFFD },
                { "surrogate \xed\xa0\x80", "surrogate " FFFD FFFD FFFD },
                { "too big \xf4\x90\x80\x80", "too big " FFFD FFFD FFFD FFFD },
                { "\xf5\xf8\xfe", FFFD FFFD FFFD },
                { "lone \x80 cont \xbf", "lone " FFFD " cont " FFFD },
                { "\x1b\xff\"", "\x1b" FFFD "\"" },
        };
#undef FFFD
        _cleanup_free_ char *big = NULL;

        hostile_one(valid, valid);
        hostile_one(all_cc, all_cc);
        hostile_one("", "");
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                hostile_one(invalid[i].in, invalid[i].out);

        /* 16 KiB of quotes and escapes in each of 33 strings: every byte expands (to 3 on
         * average), still one document, and under STATUS_JSON_MAX. */
        big = malloc(16 * 1024 + 1);
        ASSERT_NOT_NULL(big);
        for (size_t i = 0; i < 16 * 1024; i++)
                big[i] = "\"\\\x1b\n"[i % 4];
        big[16 * 1024] = 0;
        hostile_one(big, big);
}

/* ---- round trip ------------------------------------------------------------------------------ */

static void assert_same_result(const ProbeResult *a, const ProbeResult *b)
{
        ASSERT_STREQ_NULL(a->id, b->id);
        ASSERT_EQ(a->kind, b->kind);
        ASSERT_STREQ_NULL(a->target, b->target);
        ASSERT_STREQ_NULL(a->endpoint, b->endpoint);
        ASSERT_STREQ_NULL(a->source, b->source);
        ASSERT_EQ(a->ok, b->ok);
        ASSERT_EQ(a->class, b->class);
        ASSERT_EQ(a->latency, b->latency);
        ASSERT_EQ(a->attempts, b->attempts);
        ASSERT_EQ(a->skipped, b->skipped);
        ASSERT_EQ(a->http_status, b->http_status);
        ASSERT_STREQ_NULL(a->aws_error_code, b->aws_error_code);
        ASSERT_STREQ_NULL(a->request_id, b->request_id);
        ASSERT_STREQ_NULL(a->aws_message, b->aws_message);
        ASSERT_STREQ_NULL(a->denied.principal, b->denied.principal);
        ASSERT_STREQ_NULL(a->denied.action, b->denied.action);
        ASSERT_STREQ_NULL(a->denied.resource, b->denied.resource);
        ASSERT_EQ(a->denied.policy_type, b->denied.policy_type);
        ASSERT_EQ(a->denied.deny, b->denied.deny);
        ASSERT_STREQ_NULL(a->denied.policy_arn, b->denied.policy_arn);
        ASSERT_EQ(a->has_clock_offset, b->has_clock_offset);
        ASSERT_EQ(a->clock_offset_sec, b->clock_offset_sec);
        ASSERT_STREQ_NULL(a->message, b->message);
        ASSERT_STREQ_NULL(a->remedy, b->remedy);
        ASSERT_STREQ_NULL(a->net.host, b->net.host);
        ASSERT_STREQ_NULL(a->net.address, b->net.address);
        ASSERT_EQ(a->net.scope, b->net.scope);
        ASSERT_EQ(a->net.fresh, b->net.fresh);
        ASSERT_EQ(a->net.via_proxy, b->net.via_proxy);
        ASSERT_EQ(a->net.dns, b->net.dns);
        ASSERT_EQ(a->net.connect, b->net.connect);
        ASSERT_EQ(a->net.tls, b->net.tls);
        ASSERT_EQ(a->net.last_fresh_check, b->net.last_fresh_check);
        ASSERT_STREQ_NULL(a->net.evidence, b->net.evidence);
        ASSERT_STREQ_NULL(a->operation, b->operation);
}

static void assert_same_report(const ProbeReport *a, const ProbeReport *b)
{
        ASSERT_EQ(a->generated_at, b->generated_at);
        ASSERT_EQ(a->duration, b->duration);
        ASSERT_STREQ_NULL(a->host.instance_id, b->host.instance_id);
        ASSERT_STREQ_NULL(a->host.region, b->host.region);
        ASSERT_STREQ_NULL(a->host.account_id, b->host.account_id);
        ASSERT_STREQ_NULL(a->host.availability_zone, b->host.availability_zone);
        ASSERT_STREQ_NULL(a->host.hostname, b->host.hostname);
        ASSERT_STREQ_NULL(a->host.auto_scaling_group, b->host.auto_scaling_group);
        ASSERT_STREQ_NULL(a->identity.arn, b->identity.arn);
        ASSERT_STREQ_NULL(a->identity.account, b->identity.account);
        ASSERT_STREQ_NULL(a->identity.user_id, b->identity.user_id);
        ASSERT_EQ(a->identity.credential_source, b->identity.credential_source);
        ASSERT_STREQ_NULL(a->identity.credential_detail, b->identity.credential_detail);
        ASSERT_STREQ_NULL(a->identity.access_key_id, b->identity.access_key_id);
        ASSERT_EQ(a->identity.expires_at, b->identity.expires_at);
        ASSERT_EQ(a->heartbeat_value, b->heartbeat_value);
        ASSERT_EQ(a->n_probes, b->n_probes);
        for (size_t i = 0; i < a->n_probes; i++)
                assert_same_result(&a->probes[i], &b->probes[i]);
}

/* format -> parse -> format is the identity, and the parsed report equals @expect. */
static void round_trip(const ProbeReport *r, const ProbeReport *expect)
{
        static const StatusJsonFlags flags[] = { 0, STATUS_JSON_PRETTY, STATUS_JSON_DEBUG,
                                                 STATUS_JSON_DEBUG | STATUS_JSON_PRETTY };

        for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                _cleanup_(probe_report_done) ProbeReport back = {};
                _cleanup_free_ char *text = NULL, *again = NULL, *plain = NULL,
                                    *plain_again = NULL;

                ASSERT_OK(status_report_format(r, flags[i], &text));
                ASSERT_OK(status_report_parse(text, strlen(text), &back));
                assert_same_report(expect ?: r, &back);
                ASSERT_EQ(back.probes ? back.probes[0].n_debug : 0, 0);

                /* Debug lists are not read back: the identity holds without them. */
                ASSERT_OK(status_report_format(&back, flags[i] & ~STATUS_JSON_DEBUG, &again));
                ASSERT_OK(status_report_format(r, flags[i] & ~STATUS_JSON_DEBUG, &plain));
                ASSERT_STREQ(again, plain);
                if (!(flags[i] & STATUS_JSON_DEBUG))
                        ASSERT_STREQ(again, text);

                /* Compact and pretty text are the same document. */
                ASSERT_OK(status_report_format(&back, STATUS_JSON_PRETTY, &plain_again));
                {
                        _cleanup_(probe_report_done) ProbeReport pretty = {};

                        ASSERT_OK(status_report_parse(plain_again, strlen(plain_again),
                                                      &pretty));
                        assert_same_report(expect ?: r, &pretty);
                }
        }
}

static void test_round_trip(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {};
        ProbeResult *p;

        make_report(&r);
        round_trip(&r, NULL);

        /* Every field set to something unusual at once. */
        p = add_probe(&r, "imds", PROBE_KIND_IMDS);
        p->class = RESULT_CLASS_CLOCK_SKEW;
        p->has_clock_offset = true;
        p->clock_offset_sec = INT64_MIN;
        p->http_status = 999999;
        p->attempts = UINT_MAX;
        p->skipped = true;
        p->target = S("");
        p = add_probe(&r, "endpoint:sts", PROBE_KIND_ENDPOINT);
        p->class = RESULT_CLASS_PROXY_FAILURE;
        p->net = (ProbeNetwork) { .scope = ADDRESS_SCOPE_LINK_LOCAL, .via_proxy = true,
                                  .dns = 1, .connect = 999, .tls = 1001,
                                  .last_fresh_check = USEC_PER_SEC };
        p->has_clock_offset = true;
        p->clock_offset_sec = INT64_MAX;
        add_debug(p, "GET", "https://sts.amazonaws.com/", 500, "Date: x");
        r.heartbeat_value = 0;
        r.identity.credential_source = CREDENTIAL_SOURCE_SHARED_FILE;
        round_trip(&r, NULL);

        for (CredentialSource s = 0; s < _CREDENTIAL_SOURCE_MAX; s++) {
                r.identity.credential_source = s;
                round_trip(&r, NULL);
        }
        /* Every class (denial facts only where they are written), layer, deny and scope. */
        for (ResultClass c = 0; c < _RESULT_CLASS_MAX; c++) {
                bool denial = c == RESULT_CLASS_ACCESS_DENIED || c == RESULT_CLASS_KMS_DENIED;

                r.probes[1].class = r.probes[3].class = c;
                r.probes[1].denied.policy_type = denial ? (PolicyType) (c % _POLICY_TYPE_MAX) :
                                                          POLICY_TYPE_UNKNOWN;
                r.probes[1].denied.deny = denial ? (DenyKind) (c % _DENY_KIND_MAX) :
                                                   DENY_KIND_UNKNOWN;
                round_trip(&r, NULL);
        }
        r.probes[1].class = RESULT_CLASS_KMS_DENIED;
        for (PolicyType t = 0; t < _POLICY_TYPE_MAX; t++) {
                r.probes[1].denied.policy_type = t;
                r.probes[1].denied.deny = (DenyKind) (t % _DENY_KIND_MAX);
                round_trip(&r, NULL);
        }
        for (AddressScope a = 0; a < _ADDRESS_SCOPE_MAX; a++) {
                r.probes[4].net.scope = a;
                round_trip(&r, NULL);
        }
}

/* Values that are not written as they are in memory read back as what was written. */
static void test_round_trip_normalised(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {}, expect = {};
        ProbeResult *p;

        make_report(&r);
        make_report(&expect);

        /* Denial facts on another class; a network on another kind. */
        p = &r.probes[0];
        p->denied.policy_type = POLICY_TYPE_ROLE_TRUST;
        p->denied.deny = DENY_KIND_EXPLICIT;
        p->net.scope = ADDRESS_SCOPE_PUBLIC;
        p->net.fresh = true;
        p->net.dns = 5;
        /* Sub-second times, invalid enums, out-of-range values. */
        r.generated_at += 999999;
        r.identity.expires_at = 1;
        expect.identity.expires_at = 0;
        r.identity.credential_source = (CredentialSource) 99;
        expect.identity.credential_source = _CREDENTIAL_SOURCE_INVALID;
        r.heartbeat_value = -7;
        expect.heartbeat_value = -1;
        r.probes[1].denied.policy_type = (PolicyType) 99;
        expect.probes[1].denied.policy_type = POLICY_TYPE_UNKNOWN;
        r.probes[2].net.scope = (AddressScope) -3;
        expect.probes[2].net.scope = ADDRESS_SCOPE_UNKNOWN;
        r.probes[2].net.last_fresh_check = UINT64_MAX;
        expect.probes[2].net.last_fresh_check = STATUS_TIME_MAX;
        r.probes[2].latency = UINT64_MAX;
        expect.probes[2].latency = STATUS_DURATION_MAX;
        r.duration = STATUS_DURATION_MAX + 1;
        expect.duration = STATUS_DURATION_MAX;
        r.probes[2].http_status = -5;
        expect.probes[2].http_status = 0;
        r.probes[1].http_status = (long) INT32_MAX + 1;
        expect.probes[1].http_status = 0;

        {
                _cleanup_(probe_report_done) ProbeReport back = {};
                _cleanup_free_ char *text = NULL, *again = NULL;

                ASSERT_OK(status_report_format(&r, 0, &text));
                ASSERT_OK(status_report_parse(text, strlen(text), &back));
                assert_same_report(&expect, &back);
                ASSERT_OK(status_report_format(&back, 0, &again));
                ASSERT_STREQ(again, text);
        }
}

static void test_durations(void)
{
        static const struct {
                usec_t in, out;
                const char *text;
        } cases[] = {
                { 1, 1, "\"latency_ms\":0.001," },
                { 10, 10, "\"latency_ms\":0.01," },
                { 999, 999, "\"latency_ms\":0.999," },
                { 1000, 1000, "\"latency_ms\":1," },
                { 1001, 1001, "\"latency_ms\":1.001," },
                { 12340, 12340, "\"latency_ms\":12.34," },
                { 123456789, 123456789, "\"latency_ms\":123456.789," },
                { 86400 * USEC_PER_SEC + 7, 86400 * USEC_PER_SEC + 7,
                  "\"latency_ms\":86400000.007," },
                { STATUS_DURATION_MAX - 1, STATUS_DURATION_MAX - 1,
                  "\"latency_ms\":999999999999.999," },
                { STATUS_DURATION_MAX - 999, STATUS_DURATION_MAX - 999,
                  "\"latency_ms\":999999999999.001," },
                { STATUS_DURATION_MAX, STATUS_DURATION_MAX, "\"latency_ms\":1000000000000," },
                { STATUS_DURATION_MAX + 1, STATUS_DURATION_MAX, "\"latency_ms\":1000000000000," },
                { UINT64_MAX, STATUS_DURATION_MAX, "\"latency_ms\":1000000000000," },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(probe_report_done) ProbeReport r = {}, back = {};
                _cleanup_free_ char *text = NULL, *again = NULL;

                make_report(&r);
                r.probes[0].latency = cases[i].in;
                r.probes[2].net.tls = cases[i].in;
                r.duration = cases[i].in;
                ASSERT_OK(status_report_format(&r, 0, &text));
                if (!strstr(text, cases[i].text))
                        fprintf(stderr, "%s not in %s", cases[i].text, text);
                ASSERT_NOT_NULL(strstr(text, cases[i].text));
                ASSERT_OK(status_report_parse(text, strlen(text), &back));
                ASSERT_EQ(back.probes[0].latency, cases[i].out);
                ASSERT_EQ(back.probes[2].net.tls, cases[i].out);
                ASSERT_EQ(back.duration, cases[i].out);
                ASSERT_OK(status_report_format(&back, 0, &again));
                ASSERT_STREQ(again, text);
        }
}

static void test_times(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {};
        _cleanup_free_ char *text = NULL;

        make_report(&r);
        r.generated_at = UINT64_MAX;
        r.identity.expires_at = USEC_PER_SEC - 1;
        r.probes[2].net.last_fresh_check = USEC_PER_SEC;
        ASSERT_OK(status_report_format(&r, 0, &text));
        ASSERT_NOT_NULL(strstr(text, "\"generated_at\":\"9999-12-31T23:59:59Z\""));
        ASSERT_NOT_NULL(strstr(text, "\"expires_at\":null"));
        ASSERT_NOT_NULL(strstr(text, "\"last_fresh_check\":\"1970-01-01T00:00:01Z\""));
}

/* ---- the reader ------------------------------------------------------------------------------ */

#define MINIMAL "{\"version\":1,\"probes\":[]}"
#define PROBE(extra) \
        "{\"version\":1,\"probes\":[{\"id\":\"imds\",\"kind\":\"imds\",\"class\":\"ok\"," \
        "\"ok\":true" extra "}]}"
#define ENDPOINT(extra) \
        "{\"version\":1,\"probes\":[{\"id\":\"endpoint:logs\",\"kind\":\"endpoint\"," \
        "\"class\":\"ok\",\"ok\":true,\"network\":{\"host\":\"h\"" extra "}}]}"

static void test_parse_minimal(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {}, r2 = {}, r3 = {};

        ASSERT_OK(status_report_parse(SL(MINIMAL), &r));
        ASSERT_EQ(r.n_probes, 0);
        ASSERT_NULL(r.probes);
        ASSERT_EQ(r.heartbeat_value, -1);
        ASSERT_EQ(r.identity.credential_source, _CREDENTIAL_SOURCE_INVALID);
        ASSERT_EQ(r.generated_at, 0);
        ASSERT_NULL(r.host.hostname);

        /* Every optional key may be missing or null; unknown keys and values are ignored. */
        ASSERT_OK(status_report_parse(SL(
                "\n {\"daemon\":{\"pid\":1,\"deep\":[[[[[{}]]]]]},\"version\":1,"
                "\"generated_at\":\"2026-11-22T10:00:00.123456Z\",\"host\":null,"
                "\"identity\":{\"credential_source\":\"sso\",\"expires_at\":null,\"new\":1},"
                "\"heartbeat_value\":null,\"summary\":\"whatever\",\"probes\":[{\"id\":\"logs:g\","
                "\"kind\":\"logs\",\"class\":\"access-denied\",\"ok\":false,\"since\":\"x\","
                "\"policy_type\":\"future-layer\",\"deny\":\"maybe\",\"latency_ms\":null,"
                "\"network\":{\"host\":\"ignored for logs\"},\"debug\":[1,2,3],"
                "\"consecutive_failures\":4}],\"heartbeat\":{}}\r\n\t "), &r2));
        ASSERT_EQ(r2.generated_at, T("2026-11-22T10:00:00Z") + 123456);
        ASSERT_EQ(r2.identity.credential_source, _CREDENTIAL_SOURCE_INVALID);
        ASSERT_EQ(r2.n_probes, 1);
        ASSERT_STREQ(r2.probes[0].id, "logs:g");
        ASSERT_EQ(r2.probes[0].kind, PROBE_KIND_LOGS);
        ASSERT_EQ(r2.probes[0].class, RESULT_CLASS_ACCESS_DENIED);
        ASSERT_EQ(r2.probes[0].denied.policy_type, POLICY_TYPE_UNKNOWN);
        ASSERT_EQ(r2.probes[0].denied.deny, DENY_KIND_UNKNOWN);
        ASSERT_NULL(r2.probes[0].net.host);
        ASSERT_EQ(r2.probes[0].n_debug, 0);

        ASSERT_OK(status_report_parse(SL(ENDPOINT(",\"scope\":\"galactic\",\"dns_ms\":1.5e3,"
                                                  "\"connect_ms\":0.0004,\"tls_ms\":7")),
                                      &r3));
        ASSERT_STREQ(r3.probes[0].net.host, "h");
        ASSERT_EQ(r3.probes[0].net.scope, ADDRESS_SCOPE_UNKNOWN);
        ASSERT_EQ(r3.probes[0].net.dns, 1500 * USEC_PER_MSEC);
        ASSERT_EQ(r3.probes[0].net.connect, 0);
        ASSERT_EQ(r3.probes[0].net.tls, 7 * USEC_PER_MSEC);
}

static void test_parse_errors(void)
{
        static const struct {
                const char *text;
                int error;
        } cases[] = {
                /* not one JSON object */
                { "", EBADMSG },
                { " \n", EBADMSG },
                { "[]", EBADMSG },
                { "1", EBADMSG },
                { "null", EBADMSG },
                { "\"version\"", EBADMSG },
                { MINIMAL " x", EBADMSG },
                { MINIMAL MINIMAL, EBADMSG },
                { "{\"version\":1,\"probes\":[],}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"x\":'y'}", EBADMSG },
                { "{\"version\":1,/* c */\"probes\":[]}", EBADMSG },
                { "{\"version\":01,\"probes\":[]}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"x\":\"\xff\"}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"x\":\"\xc3\"}", EBADMSG },
                /* version */
                { "{\"probes\":[]}", EBADMSG },
                { "{\"version\":null,\"probes\":[]}", EBADMSG },
                { "{\"version\":\"1\",\"probes\":[]}", EBADMSG },
                { "{\"version\":1.0,\"probes\":[]}", EBADMSG },
                { "{\"version\":true,\"probes\":[]}", EBADMSG },
                { "{\"version\":2,\"probes\":[]}", EPROTONOSUPPORT },
                { "{\"version\":0,\"probes\":[]}", EPROTONOSUPPORT },
                { "{\"version\":-1}", EPROTONOSUPPORT },
                { "{\"version\":2,\"probes\":\"anything\"}", EPROTONOSUPPORT },
                { "{\"version\":18446744073709551617,\"probes\":[]}", EPROTONOSUPPORT },
                /* probes */
                { "{\"version\":1}", EBADMSG },
                { "{\"version\":1,\"probes\":null}", EBADMSG },
                { "{\"version\":1,\"probes\":{}}", EBADMSG },
                { "{\"version\":1,\"probes\":[1]}", EBADMSG },
                { "{\"version\":1,\"probes\":[null]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{}]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{\"kind\":\"imds\",\"class\":\"ok\",\"ok\":true}]}",
                  EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":5,\"kind\":\"imds\",\"class\":\"ok\","
                  "\"ok\":true}]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"bogus\",\"class\":\"ok\","
                  "\"ok\":true}]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"class\":\"ok\",\"ok\":true}]}",
                  EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"imds\",\"class\":\"OK\","
                  "\"ok\":true}]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"imds\",\"ok\":true}]}",
                  EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"imds\",\"class\":\"ok\"}]}",
                  EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"imds\",\"class\":\"ok\","
                  "\"ok\":\"true\"}]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"imds\",\"class\":\"ok\","
                  "\"ok\":1}]}", EBADMSG },
                { "{\"version\":1,\"probes\":[{\"id\":\"i\",\"kind\":\"imds\",\"class\":\"ok\","
                  "\"ok\":null}]}", EBADMSG },
                /* wrong types and ranges */
                { "{\"version\":1,\"probes\":[],\"host\":\"h\"}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"host\":{\"region\":1}}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"identity\":[]}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"identity\":{\"expires_at\":5}}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"identity\":{\"credential_source\":1}}",
                  EBADMSG },
                { "{\"version\":1,\"probes\":[],\"generated_at\":\"yesterday\"}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"generated_at\":\"2026-11-22T10:00:00+01:00\"}",
                  EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":\"5\"}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":-1}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":-0.5}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":NaN}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":Infinity}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":1e400}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":1000000000001}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"duration_ms\":1000000000000.5}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"heartbeat_value\":true}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"heartbeat_value\":-1}", EBADMSG },
                { "{\"version\":1,\"probes\":[],\"heartbeat_value\":2147483648}", EBADMSG },
                { PROBE(",\"latency_ms\":\"12\""), EBADMSG },
                { PROBE(",\"latency_ms\":-3"), EBADMSG },
                { PROBE(",\"latency_ms\":[]"), EBADMSG },
                { PROBE(",\"http_status\":\"403\""), EBADMSG },
                { PROBE(",\"http_status\":-1"), EBADMSG },
                { PROBE(",\"http_status\":403.0"), EBADMSG },
                { PROBE(",\"http_status\":2147483648"), EBADMSG },
                { PROBE(",\"attempts\":-1"), EBADMSG },
                { PROBE(",\"attempts\":4294967296"), EBADMSG },
                { PROBE(",\"skipped\":\"no\""), EBADMSG },
                { PROBE(",\"clock_offset_s\":1.5"), EBADMSG },
                { PROBE(",\"clock_offset_s\":\"5\""), EBADMSG },
                { PROBE(",\"clock_offset_s\":9223372036854775808"), EBADMSG },
                { PROBE(",\"clock_offset_s\":18446744073709551615"), EBADMSG },
                { PROBE(",\"message\":\"nul \\u0000 inside\""), EBADMSG },
                { PROBE(",\"message\":[\"m\"]"), EBADMSG },
                { PROBE(",\"policy_type\":5"), EBADMSG },
                { PROBE(",\"network\":\"x\""), EBADMSG },
                { ENDPOINT(",\"fresh\":\"yes\""), EBADMSG },
                { ENDPOINT(",\"scope\":1"), EBADMSG },
                { ENDPOINT(",\"dns_ms\":-1"), EBADMSG },
                { ENDPOINT(",\"last_fresh_check\":\"2026\""), EBADMSG },
                { ENDPOINT(",\"evidence\":{}"), EBADMSG },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ProbeReport r = { .heartbeat_value = 42 };
                int k;

                k = status_report_parse(SL(cases[i].text), &r);
                if (k != -cases[i].error)
                        fprintf(stderr, "case %zu: %s: got %d\n", i, cases[i].text, k);
                ASSERT_EQ(k, -cases[i].error);
                /* Untouched on failure. */
                ASSERT_EQ(r.heartbeat_value, 42);
                ASSERT_NULL(r.probes);
        }

        /* A NUL byte inside, and one after the document. */
        {
                static const char nul[] = "{\"version\":1,\"pro\0bes\":[]}";
                static const char nul_after[] = MINIMAL "\0";
                ProbeReport r = {};

                ASSERT_ERROR(status_report_parse(nul, sizeof(nul) - 1, &r), EBADMSG);
                ASSERT_ERROR(status_report_parse(nul_after, sizeof(nul_after) - 1, &r), EBADMSG);
                ASSERT_ERROR(status_report_parse(NULL, 0, &r), EBADMSG);
                ASSERT_ERROR(status_report_parse(NULL, 1, &r), EINVAL);
        }
}

static void test_parse_truncated(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {};
        _cleanup_free_ char *text = NULL;
        size_t len;

        make_report(&r);
        add_debug(&r.probes[1], "POST", "https://logs.eu-west-1.amazonaws.com/", 400, "A: b");
        ASSERT_OK(status_report_format(&r, STATUS_JSON_DEBUG | STATUS_JSON_PRETTY, &text));
        len = strlen(text);

        /* Every prefix short of the closing brace is refused; the input is an exact-size heap
         * copy, so ASan would see a read past its end. */
        for (size_t n = 0; n < len - 1; n++) {
                _cleanup_free_ char *copy = malloc(n ?: 1);
                ProbeReport back = {};

                ASSERT_NOT_NULL(copy);
                memcpy(copy, text, n);
                ASSERT_ERROR(status_report_parse(copy, n, &back), EBADMSG);
        }
        {
                _cleanup_(probe_report_done) ProbeReport back = {};
                _cleanup_free_ char *copy = malloc(len - 1);

                ASSERT_NOT_NULL(copy);
                memcpy(copy, text, len - 1);
                ASSERT_OK(status_report_parse(copy, len - 1, &back));
                ASSERT_EQ(back.n_probes, 3);
        }
}

static void test_parse_limits(void)
{
        _cleanup_free_ char *huge = NULL, *deep = NULL;
        ProbeReport r = {};
        size_t n;

        /* Exactly the cap: the minimal document padded with whitespace is accepted ... */
        huge = malloc(STATUS_JSON_MAX + 1);
        ASSERT_NOT_NULL(huge);
        memset(huge, ' ', STATUS_JSON_MAX + 1);
        memcpy(huge, MINIMAL, strlen(MINIMAL));
        ASSERT_OK(status_report_parse(huge, STATUS_JSON_MAX, &r));
        probe_report_done(&r);
        /* ... one byte more is not, whatever it holds. */
        ASSERT_ERROR(status_report_parse(huge, STATUS_JSON_MAX + 1, &r), EFBIG);
        ASSERT_ERROR(status_report_parse(huge, SIZE_MAX, &r), EFBIG);

        /* Nesting: room for newer writers' keys, but no unbounded recursion. */
        deep = malloc(1024);
        ASSERT_NOT_NULL(deep);
        for (size_t depth = 20; depth <= 40; depth += 20) {
                n = (size_t) snprintf(deep, 1024, "{\"version\":1,\"probes\":[],\"x\":");
                for (size_t i = 0; i < depth; i++)
                        deep[n++] = '[';
                for (size_t i = 0; i < depth; i++)
                        deep[n++] = ']';
                deep[n++] = '}';
                if (depth < 30)
                        ASSERT_OK(status_report_parse(deep, n, &r));
                else
                        ASSERT_ERROR(status_report_parse(deep, n, &r), EBADMSG);
                probe_report_done(&r);
        }

        /* Many probes: linear, and all read. */
        {
                _cleanup_free_ char *many = NULL;
                size_t cap = 2 * 1024 * 1024;
                int k;

                many = malloc(cap);
                ASSERT_NOT_NULL(many);
                n = (size_t) snprintf(many, cap, "{\"version\":1,\"probes\":[");
                for (unsigned i = 0; i < 20000; i++) {
                        k = snprintf(many + n, cap - n,
                                     "%s{\"id\":\"p%u\",\"kind\":\"metrics\",\"class\":\"ok\","
                                     "\"ok\":true}",
                                     i ? "," : "", i);
                        ASSERT_TRUE(k > 0 && (size_t) k < cap - n);
                        n += (size_t) k;
                }
                n += (size_t) snprintf(many + n, cap - n, "]}");
                ASSERT_OK(status_report_parse(many, n, &r));
                ASSERT_EQ(r.n_probes, 20000);
                ASSERT_STREQ(r.probes[19999].id, "p19999");
                probe_report_done(&r);
        }
}

static void test_extend(void)
{
        _cleanup_(probe_report_done) ProbeReport r = {}, back = {};
        _cleanup_(json_object_putp) struct json_object *o = NULL, *p = NULL;
        _cleanup_free_ char *text = NULL;
        struct json_object *d;

        /* The daemon adds its keys to the objects before formatting; the reader skips them. */
        make_report(&r);
        ASSERT_OK(status_report_to_json(&r, 0, &o));
        d = json_object_new_object();
        ASSERT_NOT_NULL(d);
        ASSERT_EQ(json_object_object_add(d, "pid", json_object_new_int(42)), 0);
        ASSERT_EQ(json_object_object_add(o, "daemon", d), 0);
        ASSERT_EQ(json_object_object_add(json_object_array_get_idx(get(o, "probes"), 1),
                                         "consecutive_failures", json_object_new_int(3)),
                  0);
        ASSERT_OK(status_json_format(o, STATUS_JSON_PRETTY, &text));
        ASSERT_TRUE(text[strlen(text) - 1] == '\n');
        ASSERT_NULL(strstr(text, "\\/"));
        ASSERT_NOT_NULL(strstr(text, "\"consecutive_failures\": 3"));
        ASSERT_OK(status_report_parse(text, strlen(text), &back));
        assert_same_report(&r, &back);

        /* status_probe_from_json() is the inverse of status_probe_to_json() on its own. */
        ASSERT_OK(status_probe_to_json(&r.probes[2], STATUS_JSON_DEBUG, &p));
        {
                _cleanup_(probe_result_done) ProbeResult pr = {};

                ASSERT_OK(status_probe_from_json(p, &pr));
                assert_same_result(&r.probes[2], &pr);
        }
        ASSERT_ERROR(status_probe_from_json(get(o, "summary"), &(ProbeResult) {}), EBADMSG);
        ASSERT_ERROR(status_report_from_json(get(o, "probes"), &(ProbeReport) {}), EBADMSG);
}

int main(void)
{
        TEST(test_format_exact);
        TEST(test_format_keys);
        TEST(test_denied_only_for_denial_classes);
        TEST(test_invalid_reports);
        TEST(test_hostile_strings);
        TEST(test_round_trip);
        TEST(test_round_trip_normalised);
        TEST(test_durations);
        TEST(test_times);
        TEST(test_parse_minimal);
        TEST(test_parse_errors);
        TEST(test_parse_truncated);
        TEST(test_parse_limits);
        TEST(test_extend);
        return 0;
}
