/* SPDX-License-Identifier: MIT */
/*
 * test-round.c: whole rounds of probes against the local simulator (SigV4 checked by botocore),
 * one scenario per diagnosis class: every policy layer for explicit and implicit denials, the
 * 2026 message with the policy ARN, the cloudwatch:namespace condition found across probes, KMS,
 * a missing log group (and creating it when configured), expired and invalid credentials, a
 * signature mismatch, a 20-minute clock skew, throttling then success, server errors, garbage,
 * a blackholed endpoint, a TLS name mismatch, every IMDS failure, no credentials, an unknown
 * region, the round's time budget; plus what goes on the wire (the heartbeat's namespace,
 * metric, value and dimensions; the probe stream) and that warm rounds make no TLS handshake.
 */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/round.h"
#include "tests/sim.h"
#include "tests/test.h"

#define AKID "AKIDCWGUARDROUND0001"
#define SECRET "cwguard/round/SECRET/do-not-leak-0123456789"

static Sim *sim;
static sd_event *event;
static HttpClient *http;

static char *ns_default[] = { (char *) "CWAgent", NULL };
static char *groups_default[] = { (char *) "/aws/ec2/app", NULL };
static char *env_none[] = { NULL };
static char *env_static[] = { (char *) "AWS_ACCESS_KEY_ID=" AKID,
                              (char *) "AWS_SECRET_ACCESS_KEY=" SECRET, NULL };

typedef struct Harness {
        CredentialsProvider *cp;
        Prober *prober;
        bool done;
        ProbeReport report;
} Harness;

static void harness_new(Harness *h, char **envp)
{
        CredentialsOptions co = {
                .envp = envp,
                .file = "/nonexistent/cwguard-test-credentials",
                .imds = { .endpoint = sim->imds_url, .timeout = USEC_PER_SEC },
        };

        *h = (Harness) {};
        ASSERT_OK(credentials_provider_new(event, http, &co, &h->cp));
        ASSERT_OK(prober_new(event, http, h->cp, &h->prober));
}

static void harness_free(Harness *h)
{
        prober_free(h->prober);
        credentials_provider_free(h->cp);
        probe_report_done(&h->report);
}

static void on_round(Prober *p, ProbeReport *report, void *userdata)
{
        Harness *h = userdata;

        h->report = *report;
        *report = (ProbeReport) {};
        h->done = true;
}

static RoundOptions base_options(void)
{
        return (RoundOptions) {
                .endpoints = { sim->aws_url, sim->aws_url, sim->aws_url },
                .namespaces = ns_default,
                .log_groups = groups_default,
                .billed = true,
                .timeout = 3 * USEC_PER_SEC,
                .budget = 30 * USEC_PER_SEC,
        };
}

static void harness_round(Harness *h, const RoundOptions *o)
{
        probe_report_done(&h->report);
        h->done = false;
        ASSERT_OK(prober_start_round(h->prober, o, on_round, h));
        ASSERT_TRUE(prober_is_running(h->prober));
        ASSERT_EQ(prober_start_round(h->prober, o, on_round, h), -EBUSY);
        for (unsigned i = 0; !h->done && i < 6000; i++)
                ASSERT_OK(sd_event_run(event, 10 * USEC_PER_MSEC));
        ASSERT_TRUE(h->done);
        ASSERT_FALSE(prober_is_running(h->prober));
}

/* One round with fresh credentials and prober; @envp NULL: IMDS credentials. */
static void one_round(const RoundOptions *o, char **envp, Harness *h)
{
        harness_new(h, envp ?: env_none);
        harness_round(h, o);
}

static const ProbeResult *get(const Harness *h, const char *id)
{
        const ProbeResult *r = probe_report_find(&h->report, id);

        if (!r) {
                fprintf(stderr, "no probe '%s' in the report\n", id);
                abort();
        }
        return r;
}

static void assert_class(const Harness *h, const char *id, ResultClass c)
{
        const ProbeResult *r = get(h, id);

        if (r->class != c) {
                fprintf(stderr, "%s: class %s, expected %s (%s)\n", id,
                        result_class_to_string(r->class), result_class_to_string(c),
                        strna(r->aws_message));
                abort();
        }
        ASSERT_EQ(r->ok, c == RESULT_CLASS_OK || c == RESULT_CLASS_NOT_APPLICABLE);
        /* Every result is explained; failures carry a remedy, successes none. */
        ASSERT_NOT_NULL(r->message);
        ASSERT_NULL(strchr(r->message, '\n'));
        if (r->ok)
                ASSERT_NULL(r->remedy);
        else
                ASSERT_NOT_NULL(r->remedy);
}

static void assert_contains(const char *s, const char *what)
{
        if (!s || !strstr(s, what)) {
                fprintf(stderr, "'%s' does not contain '%s'\n", strna(s), what);
                abort();
        }
}

static void reset(void)
{
        sim_reset(sim);
}

/* The simulator's records for @action, parsed. */
static json_object *requests(const char *action)
{
        _cleanup_free_ char *path = NULL, *body = NULL;
        json_object *o;

        ASSERT_TRUE(asprintf(&path, "/requests?action=%s", action) > 0);
        ASSERT_OK(sim_control(sim, "GET", path, NULL, &body));
        o = json_tokener_parse(body);
        ASSERT_NOT_NULL(o);
        return o;
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_all_ok_and_warm_round(void)
{
        RoundOptions o = base_options();
        json_object *reqs, *rec, *params, *md, *dims;
        _cleanup_free_ char *stats = NULL;
        Harness h;

        reset();
        one_round(&o, NULL, &h);
        for (size_t i = 0; i < h.report.n_probes; i++)
                assert_class(&h, h.report.probes[i].id, RESULT_CLASS_OK);
        ASSERT_EQ(h.report.n_probes, 7u);
        ASSERT_STREQ(h.report.probes[2].id, "metrics:CWAgent");
        ASSERT_STREQ(h.report.probes[3].id, "logs:/aws/ec2/app");
        ASSERT_STREQ(h.report.host.instance_id, "i-0123456789abcdef0");
        ASSERT_STREQ(h.report.host.region, "us-east-1");
        ASSERT_STREQ(h.report.identity.arn,
                     "arn:aws:sts::123456789012:assumed-role/cwguard-test-role/i-0123456789abcdef0");
        ASSERT_EQ(h.report.identity.credential_source, CREDENTIAL_SOURCE_IMDS);
        ASSERT_EQ(h.report.heartbeat_value, 1);
        ASSERT_TRUE(get(&h, "endpoint:logs")->net.fresh);
        ASSERT_EQ(get(&h, "endpoint:logs")->net.scope, ADDRESS_SCOPE_LOOPBACK);
        ASSERT_STREQ(get(&h, "endpoint:sts")->net.host, "localhost");
        ASSERT_TRUE(get(&h, "identity")->has_clock_offset);
        ASSERT_TRUE(get(&h, "identity")->clock_offset_sec <= 1 &&
                    get(&h, "identity")->clock_offset_sec >= -1);
        ASSERT_STREQ(get(&h, "metrics:CWAgent")->source, "config");

        /* A cold start: the connections the signed probes opened are the endpoints' fresh
         * checks (the three endpoints share one URL here), timed, and no extra handshake: two
         * connections (identity and logs run at once; the heartbeat reuses one). */
        for (ProbeService s = 0; s < _PROBE_SERVICE_MAX; s++) {
                _cleanup_free_ char *id = NULL;
                const ProbeResult *e;

                ASSERT_TRUE(asprintf(&id, "endpoint:%s", probe_service_to_string(s)) > 0);
                e = get(&h, id);
                ASSERT_TRUE(e->net.fresh);
                ASSERT_TRUE(e->net.connected);
                ASSERT_NOT_NULL(e->net.evidence);
                ASSERT_TRUE(e->net.tls > 0);
                ASSERT_TRUE(e->net.last_fresh_check > 0);
                ASSERT_STREQ(e->net.address, "127.0.0.1");
                assert_contains(e->message, "(the connection probe ");
        }
        ASSERT_OK(sim_control(sim, "GET", "/stats", NULL, &stats));
        assert_contains(stats, "\"tls_handshakes\": 2,");
        stats = mfree(stats);

        /* The heartbeat on the wire: namespace, metric, value 1, InstanceId dimension. */
        reqs = requests("cloudwatch:PutMetricData");
        ASSERT_EQ(json_object_array_length(reqs), 1u);
        rec = json_object_array_get_idx(reqs, 0);
        ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rec, "signature_ok")));
        params = json_object_object_get(rec, "params");
        ASSERT_STREQ(jstr(params, "Namespace"), "CWAgent");
        md = json_object_array_get_idx(json_object_object_get(params, "MetricData"), 0);
        ASSERT_STREQ(jstr(md, "MetricName"), "Heartbeat");
        ASSERT_EQ(json_object_get_double(json_object_object_get(md, "Value")), 1.0);
        dims = json_object_object_get(md, "Dimensions");
        ASSERT_EQ(json_object_array_length(dims), 1u);
        ASSERT_STREQ(jstr(json_object_array_get_idx(dims, 0), "Name"), "InstanceId");
        ASSERT_STREQ(jstr(json_object_array_get_idx(dims, 0), "Value"), "i-0123456789abcdef0");
        json_object_put(reqs);

        /* The probe stream was missing: created once, the event put after it. */
        ASSERT_EQ(sim_count(sim, "logs:CreateLogStream"), 1);
        ASSERT_EQ(sim_count(sim, "logs:PutLogEvents"), 2);
        reqs = requests("logs:CreateLogStream");
        params = json_object_object_get(json_object_array_get_idx(reqs, 0), "params");
        ASSERT_STREQ(jstr(params, "logStreamName"), "cwguard-i-0123456789abcdef0");
        json_object_put(reqs);

        /* A second round on the same prober: warm connections are the endpoints' evidence, no
         * TLS handshake, no stream creation. */
        ASSERT_OK(sim_control(sim, "POST", "/clear", "{}", NULL));
        o.billed = false;
        harness_round(&h, &o);
        ASSERT_NULL(probe_report_find(&h.report, "metrics:CWAgent"));
        ASSERT_EQ(h.report.heartbeat_value, -1);
        assert_class(&h, "endpoint:logs", RESULT_CLASS_OK);
        ASSERT_FALSE(get(&h, "endpoint:logs")->net.fresh);
        ASSERT_STREQ(get(&h, "endpoint:logs")->net.evidence, "logs:/aws/ec2/app");
        ASSERT_STREQ(get(&h, "endpoint:sts")->net.evidence, "identity");
        ASSERT_FALSE(get(&h, "endpoint:monitoring")->net.fresh);
        ASSERT_NULL(get(&h, "endpoint:monitoring")->net.evidence);
        ASSERT_EQ(sim_count(sim, "logs:CreateLogStream"), 0);
        ASSERT_EQ(sim_count(sim, "logs:PutLogEvents"), 1);
        ASSERT_OK(sim_control(sim, "GET", "/stats", NULL, &stats));
        assert_contains(stats, "\"tls_handshakes\": 0");

        /* Forced: fresh checks again (each a new connection). */
        o.force_endpoint_check = true;
        harness_round(&h, &o);
        ASSERT_TRUE(get(&h, "endpoint:logs")->net.fresh);
        ASSERT_NULL(get(&h, "endpoint:logs")->net.evidence);
        ASSERT_TRUE(get(&h, "endpoint:logs")->net.tls > 0);
        harness_free(&h);
}

static void test_heartbeat_dimensions_and_other_namespace(void)
{
        static char *ns[] = { (char *) "Custom/App", (char *) "CWAgent", NULL };
        RoundOptions o = base_options();
        json_object *reqs;
        bool seen_probe = false, seen_heartbeat = false;
        Harness h;

        reset();
        o.namespaces = ns;
        o.heartbeat_namespace = "CWAgent";
        o.auto_scaling_group = "web-asg";
        o.heartbeat_detail = true;
        o.log_groups = NULL;
        one_round(&o, NULL, &h);
        ASSERT_STREQ(h.report.probes[2].id, "metrics:CWAgent");   /* the heartbeat first */
        ASSERT_STREQ(h.report.probes[3].id, "metrics:Custom/App");
        ASSERT_NULL(probe_report_find(&h.report, "endpoint:logs"));
        ASSERT_EQ(probe_report_n_failing(&h.report), 0u);

        reqs = requests("cloudwatch:PutMetricData");
        ASSERT_EQ(json_object_array_length(reqs), 2u);
        for (size_t i = 0; i < 2; i++) {
                json_object *params = json_object_object_get(json_object_array_get_idx(reqs, i),
                                                             "params");
                json_object *md = json_object_object_get(params, "MetricData");
                json_object *m0 = json_object_array_get_idx(md, 0);

                if (streq(jstr(params, "Namespace"), "Custom/App")) {
                        /* One dimensionless metric the whole fleet shares. */
                        seen_probe = true;
                        ASSERT_STREQ(jstr(m0, "MetricName"), "cwguard_probe");
                        ASSERT_EQ(json_object_array_length(
                                          json_object_object_get(m0, "Dimensions")), 0u);
                } else {
                        json_object *m1 = json_object_array_get_idx(md, 1);
                        json_object *dims = json_object_object_get(m0, "Dimensions");

                        seen_heartbeat = true;
                        ASSERT_STREQ(jstr(m0, "MetricName"), "Heartbeat");
                        ASSERT_EQ(json_object_array_length(dims), 2u);
                        ASSERT_STREQ(jstr(json_object_array_get_idx(dims, 1), "Value"), "web-asg");
                        ASSERT_STREQ(jstr(m1, "MetricName"), "FailingProbes");
                        ASSERT_EQ(json_object_get_double(json_object_object_get(m1, "Value")), 0.0);
                }
        }
        ASSERT_TRUE(seen_probe && seen_heartbeat);
        json_object_put(reqs);
        harness_free(&h);
}

/* The heartbeat's dimensions as "Name=Value,..." from the simulator's last heartbeat. */
static char *last_heartbeat_dimensions(void)
{
        json_object *reqs = requests("cloudwatch:PutMetricData");
        size_t n = json_object_array_length(reqs);
        json_object *params, *m0, *dims;
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        ASSERT_TRUE(n > 0);
        params = json_object_object_get(json_object_array_get_idx(reqs, n - 1), "params");
        m0 = json_object_array_get_idx(json_object_object_get(params, "MetricData"), 0);
        ASSERT_STREQ(jstr(m0, "MetricName"), "Heartbeat");
        dims = json_object_object_get(m0, "Dimensions");
        f = open_memstream(&out, &len);
        ASSERT_NOT_NULL(f);
        for (size_t i = 0; i < json_object_array_length(dims); i++) {
                json_object *d = json_object_array_get_idx(dims, i);

                fprintf(f, "%s%s=%s", i ? "," : "", jstr(d, "Name"), jstr(d, "Value"));
        }
        fclose(f);
        json_object_put(reqs);
        return out;
}

/* heartbeat.auto_scaling_group auto: the aws:autoscaling:groupName instance tag, looked up once
 * per prober, only in rounds that send the heartbeat; absent tags mean no dimension. */
static void test_heartbeat_auto_scaling_group_from_tags(void)
{
        RoundOptions o = base_options();
        _cleanup_free_ char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL;
        Harness h;

        /* Tags not exposed in metadata (404): no dimension, no failure. */
        reset();
        o.auto_scaling_group_from_tags = true;
        one_round(&o, NULL, &h);
        ASSERT_EQ(probe_report_n_failing(&h.report), 0u);
        d1 = last_heartbeat_dimensions();
        ASSERT_STREQ(d1, "InstanceId=i-0123456789abcdef0");
        ASSERT_NULL(h.report.host.auto_scaling_group);
        ASSERT_EQ(sim_count(sim, "imds:tags"), 1);
        harness_free(&h);

        /* Tags exposed: the group becomes a dimension and part of the report. */
        reset();
        sim_scenario(sim, "{\"imds\": {\"tags\": {\"aws:autoscaling:groupName\": \"web-asg\", "
                          "\"Name\": \"web-1\"}}}");
        one_round(&o, NULL, &h);
        d2 = last_heartbeat_dimensions();
        ASSERT_STREQ(d2, "InstanceId=i-0123456789abcdef0,AutoScalingGroupName=web-asg");
        ASSERT_STREQ(h.report.host.auto_scaling_group, "web-asg");

        /* Looked up once: the next billed round reuses it, a free round does not ask. */
        harness_round(&h, &o);
        o.billed = false;
        harness_round(&h, &o);
        ASSERT_STREQ(h.report.host.auto_scaling_group, "web-asg");
        ASSERT_EQ(sim_count(sim, "imds:tags"), 1);
        o.billed = true;
        harness_free(&h);

        /* A configured group wins and no tag is fetched; without from_tags nothing is fetched. */
        reset();
        sim_scenario(sim, "{\"imds\": {\"tags\": {\"aws:autoscaling:groupName\": \"web-asg\"}}}");
        o.auto_scaling_group = "configured-asg";
        one_round(&o, NULL, &h);
        d3 = last_heartbeat_dimensions();
        ASSERT_STREQ(d3, "InstanceId=i-0123456789abcdef0,AutoScalingGroupName=configured-asg");
        harness_free(&h);
        o.auto_scaling_group = NULL;
        o.auto_scaling_group_from_tags = false;
        one_round(&o, NULL, &h);
        d4 = last_heartbeat_dimensions();
        ASSERT_STREQ(d4, "InstanceId=i-0123456789abcdef0");
        ASSERT_EQ(sim_count(sim, "imds:tags"), 0);
        harness_free(&h);

        /* A value that cannot be a dimension (control character): bad-response inside the
         * lookup, the heartbeat goes without the dimension and the probes stay ok. */
        reset();
        sim_scenario(sim, "{\"imds\": {\"tags\": {\"aws:autoscaling:groupName\": \"a\\u001bb\"}}}");
        o.auto_scaling_group_from_tags = true;
        one_round(&o, NULL, &h);
        ASSERT_EQ(probe_report_n_failing(&h.report), 0u);
        ASSERT_NULL(h.report.host.auto_scaling_group);
        harness_free(&h);
}

/* Log groups from the agent's configuration are templates, expanded as the agent does once IMDS
 * has answered; each probe keeps the file it came from. */
static void test_agent_log_group_templates(void)
{
        static char *groups[] = { (char *) "/app/{instance_id}",
                                  (char *) "/app/{aws_region}/{account_id}",
                                  (char *) "/bad name/{instance_id}", NULL };
        static char *sources[] = { (char *) "/etc/agent.json: logs...[0].log_group_name",
                                   (char *) "/etc/agent.json: logs...[1].log_group_name",
                                   (char *) "/etc/agent.json: logs...[2].log_group_name", NULL };
        RoundOptions o = base_options();
        const ProbeResult *a, *b, *bad;
        json_object *reqs;
        Harness h;

        reset();
        sim_scenario(sim, "{\"log_groups\": {\"/app/i-0123456789abcdef0\": {}, "
                          "\"/app/us-east-1/123456789012\": {}}}");
        o.log_groups = groups;
        o.log_group_sources = sources;
        o.logs_source = "agent";
        one_round(&o, NULL, &h);

        a = get(&h, "logs:/app/i-0123456789abcdef0");
        b = get(&h, "logs:/app/us-east-1/123456789012");
        ASSERT_TRUE(a->ok);
        ASSERT_STREQ(a->target, "/app/i-0123456789abcdef0");
        ASSERT_STREQ(a->source, sources[0]);
        ASSERT_TRUE(b->ok);
        ASSERT_STREQ(b->source, sources[1]);
        /* A name CloudWatch Logs would refuse is reported, not sent. */
        bad = get(&h, "logs:/bad name/i-0123456789abcdef0");
        ASSERT_FALSE(bad->ok);
        ASSERT_EQ(bad->class, RESULT_CLASS_INVALID_REQUEST);
        ASSERT_NOT_NULL(strstr(bad->aws_message, "not a valid log group name"));
        /* On the wire: only the two expanded names, never a template. */
        reqs = requests("logs:PutLogEvents");
        ASSERT_TRUE(json_object_array_length(reqs) >= 2);
        for (size_t i = 0; i < json_object_array_length(reqs); i++) {
                const char *g = jstr(json_object_object_get(json_object_array_get_idx(reqs, i),
                                                            "params"), "logGroupName");

                ASSERT_TRUE(streq(g, "/app/i-0123456789abcdef0") ||
                            streq(g, "/app/us-east-1/123456789012"));
        }
        json_object_put(reqs);
        harness_free(&h);
}

/* {hostname} is the EC2 host name from IMDS (meta-data/hostname), as the agent has it; the
 * local name only stands in off EC2. {local_hostname} is always the local one. */
static void test_agent_log_group_hostname(void)
{
        static char *groups[] = { (char *) "/host/{hostname}", NULL };
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        reset();
        sim_scenario(sim, "{\"log_groups\": {\"/host/ip-10-0-0-10.ec2.internal\": {}}}");
        o.log_groups = groups;
        o.billed = false;
        one_round(&o, NULL, &h);
        r = get(&h, "logs:/host/ip-10-0-0-10.ec2.internal");
        assert_class(&h, r->id, RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "logs:PutLogEvents"), 2);  /* stream created, then the put */

        /* The name is kept: the next round expands it the same way, IMDS or not. */
        ASSERT_OK(sim_control(sim, "POST", "/imds/stop", "{}", NULL));
        o.region = "us-east-1";
        harness_round(&h, &o);
        ASSERT_NOT_NULL(probe_report_find(&h.report, "logs:/host/ip-10-0-0-10.ec2.internal"));
        ASSERT_OK(sim_control(sim, "POST", "/imds/start", "{}", NULL));
        harness_free(&h);
}

typedef struct DenyCase {
        const char *policy_type;
        const char *deny;
        PolicyType expect;
        const char *remedy_words;
} DenyCase;

static void test_deny_every_layer(void)
{
        static const DenyCase cases[] = {
                { "identity-based", "implicit", POLICY_TYPE_IDENTITY_BASED, "identity-based" },
                { "identity-based", "explicit", POLICY_TYPE_IDENTITY_BASED, "identity-based" },
                { "service-control", "explicit", POLICY_TYPE_SERVICE_CONTROL, "service control policy" },
                { "service-control", "implicit", POLICY_TYPE_SERVICE_CONTROL, "organization" },
                { "resource-control", "explicit", POLICY_TYPE_RESOURCE_CONTROL, "resource control policy" },
                { "permissions-boundary", "explicit", POLICY_TYPE_PERMISSIONS_BOUNDARY, "permissions boundary" },
                { "permissions-boundary", "implicit", POLICY_TYPE_PERMISSIONS_BOUNDARY, "permissions boundary" },
                { "session", "explicit", POLICY_TYPE_SESSION, "session policy" },
                { "session", "implicit", POLICY_TYPE_SESSION, "session policy" },
                { "resource-based", "explicit", POLICY_TYPE_RESOURCE_BASED, "resource-based policy" },
                { "vpc-endpoint", "explicit", POLICY_TYPE_VPC_ENDPOINT, "VPC endpoint policy" },
                { "vpc-endpoint", "implicit", POLICY_TYPE_VPC_ENDPOINT, "VPC endpoint policy" },
        };
        RoundOptions o = base_options();

        o.billed = false;  /* logs only: one denial per case */
        o.region = "us-east-1";
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *scenario = NULL;
                const ProbeResult *r;
                Harness h;

                reset();
                ASSERT_TRUE(asprintf(&scenario,
                                     "{\"deny\": [{\"action\": \"logs:PutLogEvents\", "
                                     "\"policy_type\": \"%s\", \"deny\": \"%s\"}]}",
                                     cases[i].policy_type, cases[i].deny) > 0);
                sim_scenario(sim, scenario);
                one_round(&o, NULL, &h);
                assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_ACCESS_DENIED);
                r = get(&h, "logs:/aws/ec2/app");
                ASSERT_EQ(r->denied.policy_type, cases[i].expect);
                ASSERT_EQ(r->denied.deny, streq(cases[i].deny, "explicit") ? DENY_KIND_EXPLICIT :
                                                                             DENY_KIND_IMPLICIT);
                ASSERT_STREQ(r->denied.action, "logs:PutLogEvents");
                ASSERT_STREQ(r->denied.principal, h.report.identity.arn);
                assert_contains(r->denied.resource,
                                "log-group:/aws/ec2/app:log-stream:cwguard-i-0123456789abcdef0");
                ASSERT_STREQ(r->aws_error_code, "AccessDeniedException");
                ASSERT_EQ(r->http_status, 400);
                ASSERT_NOT_NULL(r->request_id);
                ASSERT_EQ(r->attempts, 1u);  /* permanent: not retried */
                assert_contains(r->remedy, cases[i].remedy_words);
                /* The identity worked and the endpoint is healthy: the network is ruled out. */
                assert_class(&h, "endpoint:logs", RESULT_CLASS_OK);
                assert_contains(r->message, "endpoint:logs");
                harness_free(&h);
        }
}

static void test_scp_with_policy_arn_on_heartbeat(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        reset();
        sim_scenario(sim, "{\"deny\": [{\"action\": \"cloudwatch:PutMetricData\", "
                          "\"namespace\": \"CWAgent\", \"policy_type\": \"service-control\", "
                          "\"deny\": \"explicit\", \"policy_arn\": "
                          "\"arn:aws:organizations::987654321098:policy/o-abc/"
                          "service_control_policy/p-deny\"}]}");
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_ACCESS_DENIED);
        r = get(&h, "metrics:CWAgent");
        ASSERT_EQ(r->denied.policy_type, POLICY_TYPE_SERVICE_CONTROL);
        ASSERT_EQ(r->denied.deny, DENY_KIND_EXPLICIT);
        ASSERT_STREQ(r->denied.policy_arn,
                     "arn:aws:organizations::987654321098:policy/o-abc/service_control_policy/p-deny");
        ASSERT_STREQ(r->denied.action, "cloudwatch:PutMetricData");
        ASSERT_NULL(r->denied.resource);
        ASSERT_STREQ(r->aws_error_code, "AccessDenied");
        ASSERT_EQ(r->http_status, 403);
        assert_contains(r->remedy, "service control policy");
        assert_contains(r->remedy, "p-deny");
        /* The heartbeat itself was the denied request: it carried 1 (the rest was fine). */
        ASSERT_EQ(h.report.heartbeat_value, 1);
        ASSERT_EQ(probe_report_n_failing(&h.report), 1u);
        harness_free(&h);
}

static void test_namespace_condition(void)
{
        static char *ns[] = { (char *) "CWAgent", (char *) "cwagent", NULL };
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        reset();
        sim_scenario(sim, "{\"deny\": [{\"action\": \"cloudwatch:PutMetricData\", "
                          "\"namespace\": \"cwagent\"}]}");
        o.namespaces = ns;
        o.log_groups = NULL;
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "metrics:cwagent", RESULT_CLASS_ACCESS_DENIED);
        r = get(&h, "metrics:cwagent");
        assert_contains(r->message, "cloudwatch:namespace");
        assert_contains(r->message, "'CWAgent'");
        assert_contains(r->message, "'cwagent'");
        /* The heartbeat runs last and saw a failing probe. */
        ASSERT_EQ(h.report.heartbeat_value, 0);
        harness_free(&h);
}

static void test_kms_and_missing_group(void)
{
        static char *groups[] = { (char *) "/aws/ec2/app", (char *) "/aws/ec2/missing", NULL };
        RoundOptions o = base_options();
        Harness h;

        reset();
        sim_scenario(sim, "{\"log_groups\": {\"/aws/ec2/app\": {\"kms_denied\": true}}}");
        o.billed = false;
        o.log_groups = groups;
        one_round(&o, NULL, &h);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_KMS_DENIED);
        assert_contains(get(&h, "logs:/aws/ec2/app")->remedy, "KMS key policy");
        assert_class(&h, "logs:/aws/ec2/missing", RESULT_CLASS_RESOURCE_NOT_FOUND);
        assert_contains(get(&h, "logs:/aws/ec2/missing")->aws_message, "log group");
        assert_contains(get(&h, "logs:/aws/ec2/missing")->remedy, "create-log-group");
        ASSERT_EQ(sim_count(sim, "logs:CreateLogGroup"), 0);
        harness_free(&h);

        /* Configured to: the group and the stream are created, the event lands. */
        o.create_log_group = true;
        one_round(&o, NULL, &h);
        assert_class(&h, "logs:/aws/ec2/missing", RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "logs:CreateLogGroup"), 1);
        harness_free(&h);
}

static void test_credential_failures(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        /* A token that expired at AWS. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"expired-token\"}]}");
        o.billed = false;
        o.log_groups = NULL;
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_CREDENTIALS_EXPIRED);
        harness_free(&h);

        /* A key AWS does not know. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"invalid-token\"}]}");
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_CREDENTIALS_INVALID);
        harness_free(&h);

        /* A known key signed with the wrong secret. */
        reset();
        sim_scenario(sim, "{\"keys\": {\"" AKID "\": {\"secret\": \"the-right-secret\"}}}");
        o.region = "us-east-1";
        one_round(&o, env_static, &h);
        assert_class(&h, "identity", RESULT_CLASS_SIGNATURE_MISMATCH);
        r = get(&h, "identity");
        ASSERT_EQ(h.report.identity.credential_source, CREDENTIAL_SOURCE_ENVIRONMENT);
        ASSERT_STREQ(h.report.identity.access_key_id, AKID);
        assert_contains(r->remedy, "AWS_SECRET_ACCESS_KEY");
        harness_free(&h);
}

static void test_clock_skew(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        reset();
        sim_scenario(sim, "{\"clock_offset\": 1200}");
        o.log_groups = NULL;
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_CLOCK_SKEW);
        r = get(&h, "identity");
        ASSERT_TRUE(r->has_clock_offset);
        ASSERT_TRUE(r->clock_offset_sec >= 1198 && r->clock_offset_sec <= 1202);
        assert_contains(r->remedy, "seconds");
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_CLOCK_SKEW);
        harness_free(&h);
}

static void test_transient_then_ok_and_server_errors(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        /* Throttled twice, then accepted: ok after three attempts, no retry storm. */
        reset();
        sim_scenario(sim, "{\"log_groups\": {\"/aws/ec2/app\": {\"streams\": "
                          "[\"cwguard-i-0123456789abcdef0\"]}}, \"faults\": [{\"action\": "
                          "\"logs:PutLogEvents\", \"type\": \"status\", \"status\": \"throttle\", "
                          "\"count\": 2}]}");
        o.billed = false;
        one_round(&o, NULL, &h);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        ASSERT_EQ(get(&h, "logs:/aws/ec2/app")->attempts, 3u);
        ASSERT_EQ(sim_count(sim, "logs:PutLogEvents"), 3);
        harness_free(&h);

        /* Throttled every time: three attempts, then throttled. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"status\", \"status\": \"throttle\"}]}");
        o.log_groups = NULL;
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_THROTTLED);
        ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), 3);
        harness_free(&h);

        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"status\", \"status\": 500}]}");
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_SERVER_ERROR);
        ASSERT_EQ(get(&h, "identity")->http_status, 500);
        harness_free(&h);

        /* A 200 with a body that is not AWS's answer: bad-response, PutMetricData's too. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"garbage\"}, {\"action\": \"cloudwatch:PutMetricData\", "
                          "\"type\": \"garbage\"}]}");
        o.billed = true;
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_BAD_RESPONSE);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_BAD_RESPONSE);
        ASSERT_EQ(get(&h, "metrics:CWAgent")->http_status, 200);
        harness_free(&h);

        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"status\", \"status\": 400, \"code\": \"InvalidAction\", "
                          "\"message\": \"Could not find operation\"}]}");
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_INVALID_REQUEST);
        r = get(&h, "identity");
        ASSERT_STREQ(r->aws_error_code, "InvalidAction");
        harness_free(&h);
}

static void test_network_failures(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        /* Logs behind a blackhole: the endpoint and the probe time out. */
        reset();
        o.billed = false;
        o.endpoints[PROBE_SERVICE_LOGS] = sim->blackhole_url;
        o.timeout = USEC_PER_SEC;
        one_round(&o, NULL, &h);
        assert_class(&h, "endpoint:logs", RESULT_CLASS_TIMEOUT);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_TIMEOUT);
        assert_class(&h, "identity", RESULT_CLASS_OK);
        r = get(&h, "endpoint:logs");
        ASSERT_TRUE(r->net.fresh);
        /* TCP was accepted, TLS never answered. */
        ASSERT_TRUE(r->net.connected);
        ASSERT_EQ(r->net.tls, 0u);
        harness_free(&h);

        /* STS behind a certificate for another name. */
        reset();
        o = base_options();
        o.billed = false;
        o.log_groups = NULL;
        o.endpoints[PROBE_SERVICE_STS] = sim->aws_wrongname_url;
        one_round(&o, NULL, &h);
        assert_class(&h, "endpoint:sts", RESULT_CLASS_TLS_FAILURE);
        assert_class(&h, "identity", RESULT_CLASS_TLS_FAILURE);
        assert_contains(get(&h, "endpoint:sts")->remedy, "ca_bundle");
        harness_free(&h);

        /* Nothing listening. */
        reset();
        o = base_options();
        o.billed = false;
        o.log_groups = NULL;
        o.endpoints[PROBE_SERVICE_STS] = "https://127.0.0.1:1";
        one_round(&o, NULL, &h);
        assert_class(&h, "endpoint:sts", RESULT_CLASS_CONNECT_FAILED);
        harness_free(&h);
}

static void test_imds_failures(void)
{
        static const struct {
                const char *scenario;
                ResultClass expect;
        } cases[] = {
                { "{\"imds\": {\"mode\": \"no-role\"}}", RESULT_CLASS_IMDS_NO_ROLE },
                { "{\"imds\": {\"mode\": \"token-refused\"}}", RESULT_CLASS_IMDS_TOKEN_REFUSED },
                { "{\"imds\": {\"mode\": \"token-blackhole\"}}", RESULT_CLASS_IMDS_TOKEN_TIMEOUT },
                { "{\"imds\": {\"mode\": \"creds-error\"}}", RESULT_CLASS_IMDS_CREDENTIALS_ERROR },
                { "{\"imds\": {\"mode\": \"malformed\"}}", RESULT_CLASS_BAD_RESPONSE },
        };
        RoundOptions o = base_options();

        o.region = "us-east-1";
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const ProbeResult *r;
                Harness h;

                reset();
                sim_scenario(sim, cases[i].scenario);
                one_round(&o, NULL, &h);
                r = get(&h, "identity");
                /* The signed probes never ran: they carry the credentials' failure. */
                ASSERT_TRUE(r->skipped);
                assert_class(&h, "identity", cases[i].expect);
                assert_class(&h, "metrics:CWAgent", cases[i].expect);
                ASSERT_EQ(h.report.heartbeat_value, -1);
                ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), 0);
                /* The endpoints need no credentials: they still report. */
                assert_class(&h, "endpoint:sts", RESULT_CLASS_OK);
                if (cases[i].expect == RESULT_CLASS_IMDS_TOKEN_TIMEOUT) {
                        assert_class(&h, "imds", RESULT_CLASS_IMDS_TOKEN_TIMEOUT);
                        assert_contains(get(&h, "imds")->remedy, "hop limit");
                }
                if (cases[i].expect == RESULT_CLASS_IMDS_TOKEN_REFUSED)
                        assert_class(&h, "imds", RESULT_CLASS_IMDS_TOKEN_REFUSED);
                harness_free(&h);
        }
}

static void test_off_ec2(void)
{
        RoundOptions o = base_options();
        Harness h;

        /* Static keys, region configured, IMDS down: IMDS is not needed, nothing fails. */
        reset();
        sim_scenario(sim, "{\"keys\": {\"" AKID "\": {\"secret\": \"" SECRET "\"}}}");
        ASSERT_OK(sim_control(sim, "POST", "/imds/stop", "{}", NULL));
        o.region = "us-east-1";
        one_round(&o, env_static, &h);
        assert_class(&h, "imds", RESULT_CLASS_NOT_APPLICABLE);
        assert_class(&h, "identity", RESULT_CLASS_OK);
        ASSERT_STREQ(h.report.identity.arn, "arn:aws:iam::123456789012:user/cwguard-test");
        ASSERT_NULL(h.report.host.instance_id);
        /* Off EC2 the host name stands in for the instance id (stream and heartbeat). */
        ASSERT_EQ(h.report.heartbeat_value, 1);
        ASSERT_EQ(probe_report_n_failing(&h.report), 0u);
        harness_free(&h);

        /* No region anywhere: the AWS probes cannot run and say why. */
        o.region = NULL;
        one_round(&o, env_static, &h);
        assert_class(&h, "imds", RESULT_CLASS_IMDS_UNREACHABLE);
        ASSERT_TRUE(get(&h, "identity")->skipped);
        assert_contains(get(&h, "identity")->aws_message, "region");
        assert_contains(get(&h, "identity")->message, "was not run (the region is unknown)");
        assert_class(&h, "endpoint:sts", RESULT_CLASS_IMDS_UNREACHABLE);
        harness_free(&h);

        /* No credentials at all. */
        o.region = "us-east-1";
        one_round(&o, NULL, &h);
        assert_class(&h, "imds", RESULT_CLASS_IMDS_UNREACHABLE);
        ASSERT_TRUE(get(&h, "identity")->skipped);
        ASSERT_FALSE(get(&h, "identity")->ok);
        assert_contains(get(&h, "identity")->message, "was not run (no usable credentials)");
        harness_free(&h);
        ASSERT_OK(sim_control(sim, "POST", "/imds/start", "{}", NULL));
}

static void test_budget_and_debug(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        /* STS never answers; the round's budget cuts it off well before the request timeout. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\", "
                          "\"type\": \"hang\"}]}");
        o.billed = false;
        o.log_groups = NULL;
        o.timeout = 20 * USEC_PER_SEC;
        o.budget = 1500 * USEC_PER_MSEC;
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_TIMEOUT);
        assert_contains(get(&h, "identity")->aws_message, "budget");
        ASSERT_TRUE(h.report.duration < 5 * USEC_PER_SEC);
        harness_free(&h);

        /* Retries against the budget: every request hangs (timeout 1 s, budget 3.8 s). The
         * retries stop early enough that each probe ends with its own timeout, not the budget's
         * cut, and the heartbeat still gets its attempt. (Allowing retries up to one timeout
         * before the end, identity always made its 3 attempts (3 s: backoffs are < 0.2 s and
         * < 0.4 s) and the heartbeat, starting after it, was always cut at 3.8 s.) */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"*\", \"type\": \"hang\"}]}");
        o = base_options();
        o.log_groups = NULL;
        o.timeout = USEC_PER_SEC;
        o.budget = 3800 * USEC_PER_MSEC;
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_TIMEOUT);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_TIMEOUT);
        for (size_t i = 0; i < h.report.n_probes; i++) {
                const ProbeResult *p = &h.report.probes[i];

                if (p->kind != PROBE_KIND_IDENTITY && p->kind != PROBE_KIND_METRICS)
                        continue;
                ASSERT_TRUE(p->attempts >= 1);
                ASSERT_TRUE(p->latency > 0);
                ASSERT_NULL(strstr(p->message, "budget"));
        }
        ASSERT_TRUE(get(&h, "identity")->attempts >= 2);
        ASSERT_TRUE(h.report.duration <= 3900 * USEC_PER_MSEC);
        harness_free(&h);

        /* Debug records: one per AWS call, never a secret. */
        reset();
        sim_scenario(sim, "{\"keys\": {\"" AKID "\": {\"secret\": \"" SECRET "\"}}}");
        o = base_options();
        o.region = "us-east-1";
        o.debug = true;
        one_round(&o, env_static, &h);
        r = get(&h, "logs:/aws/ec2/app");
        ASSERT_EQ(r->n_debug, 3u);  /* put (no stream), create stream, put */
        for (size_t i = 0; i < h.report.n_probes; i++)
                for (size_t j = 0; j < h.report.probes[i].n_debug; j++) {
                        const AwsCallDebug *d = &h.report.probes[i].debug[j];

                        ASSERT_NOT_NULL(d->canonical_request);
                        ASSERT_NULL(strstr(d->canonical_request, SECRET));
                        ASSERT_NULL(strstr(d->string_to_sign, SECRET));
                }
        harness_free(&h);
}

/* The last heartbeat value on the wire. */
static double last_heartbeat_value(void)
{
        json_object *reqs = requests("cloudwatch:PutMetricData"), *params, *md;
        size_t n = json_object_array_length(reqs);
        double v;

        ASSERT_TRUE(n > 0);
        params = json_object_object_get(json_object_array_get_idx(reqs, n - 1), "params");
        md = json_object_array_get_idx(json_object_object_get(params, "MetricData"), 0);
        ASSERT_STREQ(jstr(md, "MetricName"), "Heartbeat");
        v = json_object_get_double(json_object_object_get(md, "Value"));
        json_object_put(reqs);
        return v;
}

/*
 * agent:unit and agent:log in a round: no systemd to ask is not-applicable (ok); error lines in
 * the agent's log are agent-errors with the AccessDenied diagnosed, and make the heartbeat 0 on
 * the wire; the next round with no new lines is ok again and the heartbeat 1.
 */
static void test_agent_probes(void)
{
        char dir[] = "/tmp/cwguard-test-round-agent-XXXXXX", now[ISO8601_MAX];
        _cleanup_free_ char *log = NULL, *line = NULL, *missing = NULL;
        RoundOptions o = base_options();
        const ProbeResult *r;
        FILE *f;
        Harness h;

        ASSERT_NOT_NULL(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&log, "%s/amazon-cloudwatch-agent.log", dir) > 0);
        iso8601_format(now_usec(CLOCK_REALTIME), now);
        ASSERT_TRUE(asprintf(&line, "%s E! [outputs.cloudwatchlogs] Aws error received when "
                                    "sending logs to app/i-0abc: AccessDeniedException: User: "
                                    "arn:aws:sts::123456789012:assumed-role/cwguard-test-role/"
                                    "i-0123456789abcdef0 is not authorized to perform: "
                                    "logs:PutLogEvents on resource: arn:aws:logs:us-east-1:"
                                    "123456789012:log-group:app:log-stream:i-0abc because no "
                                    "identity-based policy allows the logs:PutLogEvents action\n",
                             now) > 0);
        f = fopen(log, "w");
        ASSERT_NOT_NULL(f);
        fprintf(f, "%s I! [logagent] starting\n%s", now, line);
        ASSERT_EQ(fclose(f), 0);

        /* No system bus here, whatever the host has. */
        ASSERT_EQ(setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus_socket", 1),
                  0);
        reset();
        o.agent_unit = "amazon-cloudwatch-agent.service";
        o.agent_log = log;
        o.agent_installed = true;
        one_round(&o, NULL, &h);
        assert_class(&h, "agent:unit", RESULT_CLASS_NOT_APPLICABLE);
        assert_contains(get(&h, "agent:unit")->message, "no systemd to ask");
        assert_class(&h, "agent:log", RESULT_CLASS_AGENT_ERRORS);
        r = get(&h, "agent:log");
        ASSERT_EQ(r->agent.error_lines, 1u);
        ASSERT_STREQ(r->denied.action, "logs:PutLogEvents");
        ASSERT_EQ(r->denied.policy_type, POLICY_TYPE_IDENTITY_BASED);
        ASSERT_STREQ(r->aws_error_code, "AccessDeniedException");
        assert_contains(r->message, "no identity-based policy allows logs:PutLogEvents");
        assert_contains(r->message, "Aws error received when sending logs");
        assert_contains(r->remedy, "logs:PutLogEvents");
        /* Everything else works: the agent's errors alone make the heartbeat 0. */
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "identity", RESULT_CLASS_OK);
        ASSERT_EQ(h.report.heartbeat_value, 0);
        ASSERT_EQ(last_heartbeat_value(), 0.0);

        /* The next round reads what was written since: nothing, so ok and the heartbeat 1. */
        harness_round(&h, &o);
        assert_class(&h, "agent:log", RESULT_CLASS_OK);
        assert_contains(get(&h, "agent:log")->message, "no new error lines");
        ASSERT_EQ(h.report.heartbeat_value, 1);
        ASSERT_EQ(last_heartbeat_value(), 1.0);

        /* A new error line: failing again, counted as new. */
        f = fopen(log, "a");
        ASSERT_NOT_NULL(f);
        fprintf(f, "%s E! [outputs.cloudwatchlogs] All 3 retries to app/i-0abc failed for "
                   "PutLogEvents, request dropped.\n", now);
        ASSERT_EQ(fclose(f), 0);
        harness_round(&h, &o);
        assert_class(&h, "agent:log", RESULT_CLASS_AGENT_ERRORS);
        assert_contains(get(&h, "agent:log")->message, "1 new error line in");
        assert_contains(get(&h, "agent:log")->message, "request dropped");
        ASSERT_NULL(get(&h, "agent:log")->denied.action);
        ASSERT_EQ(h.report.heartbeat_value, 0);
        harness_free(&h);

        /* No agent at all: not applicable, and the heartbeat is 1. */
        ASSERT_TRUE(asprintf(&missing, "%s/no-such.log", dir) > 0);
        o.agent_log = missing;
        o.agent_installed = false;
        one_round(&o, NULL, &h);
        assert_class(&h, "agent:log", RESULT_CLASS_NOT_APPLICABLE);
        assert_contains(get(&h, "agent:log")->message, "agent not installed (no log at");
        ASSERT_EQ(h.report.heartbeat_value, 1);
        harness_free(&h);

        /* agent.unit "" (NULL here): no agent:unit probe at all. */
        o.agent_unit = NULL;
        one_round(&o, NULL, &h);
        ASSERT_NULL(probe_report_find(&h.report, "agent:unit"));
        harness_free(&h);

        /* agent.log "" (NULL here): no agent:log probe either. */
        o.agent_log = NULL;
        one_round(&o, NULL, &h);
        ASSERT_NULL(probe_report_find(&h.report, "agent:log"));
        harness_free(&h);

        ASSERT_EQ(unlink(log), 0);
        ASSERT_EQ(rmdir(dir), 0);
        ASSERT_EQ(unsetenv("DBUS_SYSTEM_BUS_ADDRESS"), 0);
}

static void test_log_stream_template(void)
{
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        ASSERT_OK(round_expand_log_stream("cwguard-{instance_id}", "i-1", "web1", NULL, &a));
        ASSERT_STREQ(a, "cwguard-i-1");
        ASSERT_OK(round_expand_log_stream("{hostname}:{ip_address}*{x}", NULL, "web1", "10.0.0.1",
                                          &b));
        ASSERT_STREQ(b, "web1_10.0.0.1_{x}");
        ASSERT_OK(round_expand_log_stream("{instance_id}", NULL, "web1", NULL, &c));
        ASSERT_STREQ(c, "web1");
        ASSERT_ERROR(round_expand_log_stream("", "i-1", "web1", NULL, &c), EINVAL);
}

/* The role detached while running: the imds probe says so at the next credentials refresh, the
 * signed probes keep working with the old credentials until they expire, then carry the cause. */
static void test_role_detached_mid_run(void)
{
        RoundOptions o = base_options();
        const ProbeResult *r;
        Harness h;

        reset();
        sim_scenario(sim, "{\"imds\": {\"creds_ttl\": 4}}");
        o.region = "us-east-1";
        one_round(&o, NULL, &h);
        assert_class(&h, "imds", RESULT_CLASS_OK);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"no-role\"}}");
        /* The provider refreshes at half the lifetime (2 s). */
        for (unsigned i = 0; i < 250; i++)
                ASSERT_OK(sd_event_run(event, 10 * USEC_PER_MSEC));
        harness_round(&h, &o);
        assert_class(&h, "imds", RESULT_CLASS_IMDS_NO_ROLE);
        assert_contains(get(&h, "imds")->aws_message, "still valid and used");
        assert_class(&h, "identity", RESULT_CLASS_OK);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        ASSERT_EQ(h.report.heartbeat_value, 0);
        /* Expired: the signed probes are skipped with the cause, not credentials-expired. */
        for (unsigned i = 0; i < 250; i++)
                ASSERT_OK(sd_event_run(event, 10 * USEC_PER_MSEC));
        harness_round(&h, &o);
        assert_class(&h, "identity", RESULT_CLASS_IMDS_NO_ROLE);
        r = get(&h, "identity");
        ASSERT_TRUE(r->skipped);
        assert_contains(r->remedy, "role");
        harness_free(&h);
}

/* ---- AssumeRole ----------------------------------------------------------------------------- */

#define ROLE_ARN(name) "arn:aws:iam::123456789012:role/" name
#define BASE_PRINCIPAL "arn:aws:sts::123456789012:assumed-role/cwguard-test-role/*"

static RoundOptions role_options(void)
{
        RoundOptions o = base_options();

        o.region = "us-east-1";
        o.role_arns[PROBE_SERVICE_MONITORING] = ROLE_ARN("cw-metrics");
        o.role_arns[PROBE_SERVICE_LOGS] = ROLE_ARN("cw-logs");
        o.role_arns[PROBE_SERVICE_STS] = ROLE_ARN("cw-agent");
        return o;
}

static void test_assume_role_per_section(void)
{
        RoundOptions o = role_options();
        json_object *reqs;
        Harness h;

        /* The base role may do nothing but assume: any call made with it is denied. */
        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-metrics\": {}, \"cw-logs\": {}, \"cw-agent\": {}},"
                          " \"deny\": [{\"action\": \"cloudwatch:*\", \"principal\": \""
                          BASE_PRINCIPAL "\"}, {\"action\": \"logs:*\", \"principal\": \""
                          BASE_PRINCIPAL "\"}]}");
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_OK);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        ASSERT_EQ(h.report.heartbeat_value, 1);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 3);
        assert_contains(h.report.identity.arn,
                        "arn:aws:sts::123456789012:assumed-role/cw-agent/");
        ASSERT_EQ(h.report.identity.credential_source, CREDENTIAL_SOURCE_ASSUME_ROLE);
        ASSERT_STREQ(h.report.identity.role_arn, ROLE_ARN("cw-agent"));
        assert_contains(h.report.identity.credential_detail, "imds");
        ASSERT_STREQ(get(&h, "metrics:CWAgent")->role_arn, ROLE_ARN("cw-metrics"));
        ASSERT_STREQ(get(&h, "logs:/aws/ec2/app")->role_arn, ROLE_ARN("cw-logs"));
        ASSERT_NULL(get(&h, "endpoint:sts")->role_arn);

        /* The session name is the agent SDK's: the clock in nanoseconds. */
        reqs = requests("sts:AssumeRole");
        ASSERT_EQ(json_object_array_length(reqs), 3u);
        for (size_t i = 0; i < 3; i++) {
                json_object *params = NULL;
                const char *name;

                ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(reqs, i),
                                                      "params", &params));
                name = jstr(params, "RoleSessionName");
                ASSERT_NOT_NULL(name);
                ASSERT_TRUE(strlen(name) >= 18 && strspn(name, "0123456789") == strlen(name));
                ASSERT_STREQ(jstr(params, "DurationSeconds"), "900");
        }
        json_object_put(reqs);

        /* The next round reuses the sessions. */
        harness_round(&h, &o);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 3);
        harness_free(&h);

        /* One role for everything: one session. Without an agent-level role the identity
         * probe runs with the base credentials. */
        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-metrics\": {}}}");
        o.role_arns[PROBE_SERVICE_LOGS] = ROLE_ARN("cw-metrics");
        o.role_arns[PROBE_SERVICE_STS] = NULL;
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 1);
        ASSERT_EQ(h.report.identity.credential_source, CREDENTIAL_SOURCE_IMDS);
        ASSERT_NULL(h.report.identity.role_arn);
        assert_contains(h.report.identity.arn, "assumed-role/cwguard-test-role/");
        harness_free(&h);
}

static void test_assume_role_failures(void)
{
        RoundOptions o = role_options();
        const ProbeResult *r;
        Harness h;

        /* The role does not trust the base role (STS says no more than for a missing role). */
        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-logs\": {}, \"cw-agent\": {}, \"cw-metrics\": "
                          "{\"trust\": [\"arn:aws:iam::123456789012:role/someone-else\"]}}}");
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_ACCESS_DENIED);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        assert_class(&h, "identity", RESULT_CLASS_OK);
        r = get(&h, "metrics:CWAgent");
        ASSERT_STREQ(r->operation, "AssumeRole");
        ASSERT_STREQ(r->denied.action, "sts:AssumeRole");
        ASSERT_STREQ(r->denied.resource, ROLE_ARN("cw-metrics"));
        assert_contains(r->denied.principal, "assumed-role/cwguard-test-role/");
        ASSERT_STREQ(r->aws_error_code, "AccessDenied");
        ASSERT_EQ(r->http_status, 403);
        ASSERT_NOT_NULL(r->request_id);
        ASSERT_STREQ(r->role_arn, ROLE_ARN("cw-metrics"));
        fprintf(stderr, "   %s\n   %s\n", r->message, r->remedy);
        assert_contains(r->message, "sts:AssumeRole");
        assert_contains(r->remedy, "trust policy");
        assert_contains(r->remedy, "sts:AssumeRole");
        /* Never the base credentials instead: no PutMetricData at all, so no heartbeat. */
        ASSERT_EQ(sim_count(sim, "cloudwatch:PutMetricData"), 0);
        ASSERT_EQ(h.report.heartbeat_value, -1);
        harness_free(&h);

        /* The base role lacks sts:AssumeRole (explicitly denied): the layer as usual. */
        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-metrics\": {}, \"cw-agent\": {}, \"cw-logs\": {}},"
                          " \"deny\": [{\"action\": \"sts:AssumeRole\", \"resource\": \""
                          ROLE_ARN("cw-logs") "\", \"deny\": \"explicit\"}]}");
        one_round(&o, NULL, &h);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_ACCESS_DENIED);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        r = get(&h, "logs:/aws/ec2/app");
        ASSERT_EQ(r->denied.policy_type, POLICY_TYPE_IDENTITY_BASED);
        ASSERT_EQ(r->denied.deny, DENY_KIND_EXPLICIT);
        assert_contains(r->remedy, "explicit Deny");
        ASSERT_EQ(sim_count(sim, "logs:PutLogEvents"), 0);
        /* The heartbeat goes out (as the metrics role) and says something is failing. */
        ASSERT_EQ(h.report.heartbeat_value, 0);
        harness_free(&h);

        /* Throttled, expired base token, a garbled answer: each is the probes' diagnosis. */
        static const struct {
                const char *fault;
                ResultClass class;
        } faults[] = {
                { "\"type\": \"status\", \"status\": \"throttle\"", RESULT_CLASS_THROTTLED },
                { "\"type\": \"expired-token\"", RESULT_CLASS_CREDENTIALS_EXPIRED },
                { "\"type\": \"garbage\"", RESULT_CLASS_BAD_RESPONSE },
                { "\"type\": \"truncate\"", RESULT_CLASS_BAD_RESPONSE },
                { "\"type\": \"status\", \"status\": 503", RESULT_CLASS_SERVER_ERROR },
        };
        for (size_t i = 0; i < ELEMENTSOF(faults); i++) {
                _cleanup_free_ char *scenario = NULL;

                reset();
                ASSERT_TRUE(asprintf(&scenario, "{\"roles\": {\"cw-metrics\": {}, \"cw-logs\": {},"
                                     " \"cw-agent\": {}}, \"faults\": [{\"action\": "
                                     "\"sts:AssumeRole\", %s}]}", faults[i].fault) > 0);
                sim_scenario(sim, scenario);
                one_round(&o, NULL, &h);
                assert_class(&h, "metrics:CWAgent", faults[i].class);
                assert_class(&h, "logs:/aws/ec2/app", faults[i].class);
                assert_class(&h, "identity", faults[i].class);
                ASSERT_STREQ(get(&h, "identity")->operation, "AssumeRole");
                ASSERT_EQ(sim_count(sim, "cloudwatch:PutMetricData"), 0);
                ASSERT_EQ(sim_count(sim, "logs:PutLogEvents"), 0);
                ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), 0);
                harness_free(&h);
        }

        /* STS unreachable: the network class, about the STS endpoint. */
        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-metrics\": {}, \"cw-logs\": {}, \"cw-agent\": {}}}");
        o.endpoints[PROBE_SERVICE_STS] = sim->blackhole_url;
        o.timeout = USEC_PER_SEC / 2;
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_TIMEOUT);
        ASSERT_STREQ(get(&h, "metrics:CWAgent")->endpoint, sim->blackhole_url);
        harness_free(&h);
}

/* The signing regions of the AssumeRole calls the simulator saw, in order: "eu-west-1,us-east-1". */
static char *assume_role_regions(void)
{
        json_object *reqs = requests("sts:AssumeRole");
        char *s = NULL;

        for (size_t i = 0; i < json_object_array_length(reqs); i++) {
                const char *r = jstr(json_object_array_get_idx(reqs, i), "signing_region");

                ASSERT_NOT_NULL(r);
                ASSERT_OK(strextend_printf(&s, "%s%s", s ? "," : "", r));
        }
        json_object_put(reqs);
        return s;
}

static void test_assume_role_region_disabled(void)
{
        RoundOptions o = role_options();
        _cleanup_free_ char *regions = NULL;
        const ProbeResult *r;
        Harness h;

        /* STS deactivated in eu-west-1 for the roles' account: as the agent does, each role is
         * assumed again at us-east-1 (signed for it, at the configured endpoint), and works. */
        o.region = "eu-west-1";
        o.role_arns[PROBE_SERVICE_LOGS] = ROLE_ARN("cw-metrics");
        o.debug = true;
        reset();
        sim_scenario(sim, "{\"region\": \"eu-west-1\", \"roles\": {\"cw-metrics\": {}, "
                          "\"cw-agent\": {}}, \"sts_regions\": {\"eu-west-1\": \"inactive\", "
                          "\"us-east-1\": \"active\"}}");
        one_round(&o, NULL, &h);
        assert_class(&h, "identity", RESULT_CLASS_OK);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        ASSERT_EQ(h.report.heartbeat_value, 1);
        regions = assume_role_regions();
        ASSERT_STREQ(regions, "eu-west-1,eu-west-1,us-east-1,us-east-1");
        assert_contains(h.report.identity.arn, "assumed-role/cw-agent/");
        assert_contains(h.report.identity.credential_detail,
                        "at the fallback STS region us-east-1, as the agent does: STS is "
                        "deactivated in eu-west-1");
        /* --debug: the role's AssumeRole calls come first in each probe that needed it. */
        for (size_t i = 0; i < 2; i++) {
                r = get(&h, i == 0 ? "metrics:CWAgent" : "logs:/aws/ec2/app");
                ASSERT_TRUE(r->n_debug >= 3);
                assert_contains(r->debug[0].string_to_sign, "/eu-west-1/sts/aws4_request");
                ASSERT_EQ(r->debug[0].status, 403);
                assert_contains(r->debug[1].string_to_sign, "/us-east-1/sts/aws4_request");
                ASSERT_EQ(r->debug[1].status, 200);
                assert_contains(r->debug[1].canonical_request, "x-amz-security-token:<redacted>");
                ASSERT_NULL(strstr(r->debug[2].string_to_sign, "/sts/"));
        }
        /* The cached sessions remember where they came from; no AssumeRole in the records. */
        harness_round(&h, &o);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 4);
        assert_contains(h.report.identity.credential_detail, "fallback STS region us-east-1");
        r = get(&h, "metrics:CWAgent");
        ASSERT_TRUE(r->n_debug >= 1);
        assert_contains(r->debug[0].string_to_sign, "/eu-west-1/monitoring/aws4_request");
        harness_free(&h);

        /* The fallback fails too (here: the configured endpoint serves eu-west-1 only, as a
         * VPC endpoint would): the deactivation is the diagnosis, with the fallback's answer. */
        reset();
        sim_scenario(sim, "{\"region\": \"eu-west-1\", \"roles\": {\"cw-metrics\": {}, "
                          "\"cw-agent\": {}}, \"sts_regions\": {\"eu-west-1\": \"inactive\"}}");
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_STS_REGION_DISABLED);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_STS_REGION_DISABLED);
        assert_class(&h, "identity", RESULT_CLASS_STS_REGION_DISABLED);
        r = get(&h, "metrics:CWAgent");
        ASSERT_STREQ(r->operation, "AssumeRole");
        ASSERT_STREQ(r->aws_error_code, "RegionDisabledException");
        ASSERT_EQ(r->http_status, 403);
        ASSERT_NOT_NULL(r->request_id);
        ASSERT_STREQ(r->endpoint, sim->aws_url);
        assert_contains(r->aws_message, "STS is not activated in this region for "
                                        "account:123456789012.");
        assert_contains(r->aws_message, "The agent's fallback, STS in us-east-1 (");
        assert_contains(r->aws_message, "failed too: signature-mismatch SignatureDoesNotMatch: ");
        fprintf(stderr, "   %s\n   %s\n", r->message, r->remedy);
        assert_contains(r->message, "STS is deactivated in eu-west-1 for account 123456789012");
        assert_contains(r->remedy, "Activate STS in eu-west-1 for account 123456789012");
        assert_contains(r->remedy, "https://sts.us-east-1.amazonaws.com");
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 4);
        ASSERT_EQ(sim_count(sim, "cloudwatch:PutMetricData"), 0);
        ASSERT_EQ(h.report.heartbeat_value, -1);
        ASSERT_EQ(r->n_debug, 2u);
        ASSERT_EQ(r->debug[0].status, 403);
        ASSERT_EQ(r->debug[1].status, 403);
        assert_contains(r->debug[1].string_to_sign, "/us-east-1/sts/aws4_request");
        harness_free(&h);

        /* In the fallback region itself there is nowhere else to go: one call per role. (Real
         * STS cannot be deactivated in us-east-1; the simulator can.) */
        o.region = "us-east-1";
        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-metrics\": {}, \"cw-agent\": {}}, "
                          "\"sts_regions\": {\"us-east-1\": \"inactive\"}}");
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_STS_REGION_DISABLED);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 2);
        r = get(&h, "metrics:CWAgent");
        ASSERT_NULL(strstr(r->aws_message, "fallback"));
        ASSERT_NULL(strstr(r->remedy, "falls back"));
        harness_free(&h);
}

static void test_assume_role_refresh(void)
{
        RoundOptions o = role_options();
        Harness h;

        reset();
        sim_scenario(sim, "{\"roles\": {\"cw-metrics\": {\"session_ttl\": 4}, "
                          "\"cw-logs\": {\"session_ttl\": 4}, \"cw-agent\": {}}}");
        one_round(&o, NULL, &h);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 3);
        harness_round(&h, &o);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 3);
        /* Past half of its lifetime a session is renewed before use, never used expired. */
        usleep(2600 * 1000);
        harness_round(&h, &o);
        assert_class(&h, "metrics:CWAgent", RESULT_CLASS_OK);
        assert_class(&h, "logs:/aws/ec2/app", RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "sts:AssumeRole"), 5);
        harness_free(&h);
}

int main(void)
{
        int r;

        TEST(test_log_stream_template);

        r = sim_start(&sim);
        if (r == -EOPNOTSUPP && !getenv("CWGUARD_REQUIRE_SIM"))
                return EXIT_TEST_SKIP;
        ASSERT_OK(r);
        ASSERT_OK(sd_event_default(&event));
        ASSERT_OK(http_client_new(event, &(HttpClientOptions) { .ca_bundle = sim->ca, .proxy = "" },
                                  &http));

        TEST(test_all_ok_and_warm_round);
        TEST(test_heartbeat_dimensions_and_other_namespace);
        TEST(test_heartbeat_auto_scaling_group_from_tags);
        TEST(test_agent_log_group_templates);
        TEST(test_agent_log_group_hostname);
        TEST(test_deny_every_layer);
        TEST(test_scp_with_policy_arn_on_heartbeat);
        TEST(test_namespace_condition);
        TEST(test_kms_and_missing_group);
        TEST(test_credential_failures);
        TEST(test_clock_skew);
        TEST(test_transient_then_ok_and_server_errors);
        TEST(test_network_failures);
        TEST(test_imds_failures);
        TEST(test_off_ec2);
        TEST(test_budget_and_debug);
        TEST(test_role_detached_mid_run);
        TEST(test_assume_role_per_section);
        TEST(test_assume_role_failures);
        TEST(test_assume_role_refresh);
        TEST(test_assume_role_region_disabled);
        TEST(test_agent_probes);

        http_client_free(http);
        sd_event_unref(event);
        sim_free(sim);
        return 0;
}
