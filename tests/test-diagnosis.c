/* SPDX-License-Identifier: MIT */
/*
 * test-diagnosis.c: the messages and remedies operators read. Results are built by hand, as the
 * round would fill them, and the text is checked for the exact words an operator searches for
 * (the policy layer, the action, the ARN, the command, the setting), for every class on every
 * probe kind (one line, never empty, a remedy exactly when something failed), and for the
 * reasoning across the probes of one report.
 */

#include <stdio.h>

#include "common/diagnosis.h"
#include "tests/test.h"

#define PRINCIPAL "arn:aws:sts::123456789012:assumed-role/cwguard-instance/i-0123456789abcdef0"
#define SCP_ARN                                                                            \
        "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/"  \
        "p-2kgnabcd"

static const DiagnosisContext ctx = {
        .region = "us-east-1",
        .account_id = "123456789012",
        .instance_id = "i-0123456789abcdef0",
        .principal_arn = PRINCIPAL,
        .heartbeat_namespace = "CWAgent",
        .log_stream = "cwguard-i-0123456789abcdef0",
        .credential_source = CREDENTIAL_SOURCE_IMDS,
        .credential_detail = "role cwguard-instance",
};

#define ASSERT_CONTAINS(haystack, needle)                                                  \
        do {                                                                               \
                const char *_h_ = (haystack), *_n_ = (needle);                             \
                if (!_h_ || !strstr(_h_, _n_)) {                                           \
                        fprintf(stderr, "%s:%d: %s: \"%s\" not in \"%s\"\n", __FILE__,     \
                                __LINE__, __func__, _n_, _h_ ?: "(null)");                 \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_NOT_CONTAINS(haystack, needle)                                              \
        do {                                                                               \
                const char *_h_ = (haystack), *_n_ = (needle);                             \
                if (_h_ && strstr(_h_, _n_)) {                                             \
                        fprintf(stderr, "%s:%d: %s: \"%s\" unexpectedly in \"%s\"\n",      \
                                __FILE__, __LINE__, __func__, _n_, _h_);                   \
                        abort();                                                           \
                }                                                                          \
        } while (0)

static char *sdup(const char *s)
{
        char *t;

        if (!s)
                return NULL;
        t = strdup(s);
        ASSERT_NOT_NULL(t);
        return t;
}

/* A result of @kind about @target, failed with @class unless that is ok. */
static void make(ProbeResult *r, ProbeKind kind, const char *target, ResultClass class)
{
        static const char *const endpoints[_PROBE_KIND_MAX] = {
                [PROBE_KIND_IMDS] = "http://169.254.169.254",
                [PROBE_KIND_IDENTITY] = "https://sts.us-east-1.amazonaws.com/",
                [PROBE_KIND_METRICS] = "https://monitoring.us-east-1.amazonaws.com/",
                [PROBE_KIND_LOGS] = "https://logs.us-east-1.amazonaws.com/",
        };
        char id[256];

        if (target)
                snprintf(id, sizeof(id), "%s:%s", probe_kind_to_string(kind), target);
        else
                snprintf(id, sizeof(id), "%s", probe_kind_to_string(kind));
        *r = (ProbeResult) {
                .id = sdup(id),
                .kind = kind,
                .target = sdup(target),
                .ok = class == RESULT_CLASS_OK || class == RESULT_CLASS_NOT_APPLICABLE,
                .class = class,
                .latency = 42 * USEC_PER_MSEC,
                .attempts = 1,
        };
        if (kind == PROBE_KIND_ENDPOINT) {
                char url[256];

                snprintf(url, sizeof(url), "https://%s.us-east-1.amazonaws.com", strna(target));
                r->endpoint = sdup(url);
                r->net.host = sdup(url + 8);
                r->net.fresh = true;
        } else
                r->endpoint = sdup(endpoints[kind]);
}

static void denied(ProbeResult *r, PolicyType type, DenyKind deny, const char *action,
                   const char *resource, const char *policy_arn)
{
        r->http_status = 400;
        r->aws_error_code = sdup("AccessDeniedException");
        r->denied = (AccessDenied) {
                .principal = sdup(PRINCIPAL),
                .action = sdup(action),
                .resource = sdup(resource),
                .policy_type = type,
                .deny = deny,
                .policy_arn = sdup(policy_arn),
        };
}

static void explain(ProbeResult *r)
{
        ASSERT_OK(diagnosis_explain(r, &ctx));
        ASSERT_NOT_NULL(r->message);
        fprintf(stderr, "   %s\n     message: %s\n     remedy:  %s\n", r->id, r->message,
                strna(r->remedy));
}

static void assert_one_line(const char *s)
{
        for (const char *p = s; p && *p; p++)
                ASSERT_TRUE((unsigned char) *p >= ' ' && *p != 127);
}

/* Every class on every kind: a non-empty one-line message, a remedy exactly on failure. */
static void test_every_class_and_kind(void)
{
        for (int skipped = 0; skipped <= 1; skipped++)
                for (ResultClass c = 0; c < _RESULT_CLASS_MAX; c++)
                        for (ProbeKind k = 0; k < _PROBE_KIND_MAX; k++) {
                                static const char *const targets[_PROBE_KIND_MAX] = {
                                        [PROBE_KIND_METRICS] = "CWAgent",
                                        [PROBE_KIND_LOGS] = "/aws/ec2/app",
                                        [PROBE_KIND_ENDPOINT] = "logs",
                                };
                                _cleanup_(probe_result_done) ProbeResult r = {};
                                bool ok = c == RESULT_CLASS_OK || c == RESULT_CLASS_NOT_APPLICABLE;

                                if (skipped && ok)
                                        continue;
                                make(&r, k, targets[k], c);
                                r.skipped = skipped;
                                r.aws_message = sdup("line one\nline two\ttab");
                                ASSERT_OK(diagnosis_explain(&r, &ctx));
                                ASSERT_NOT_NULL(r.message);
                                ASSERT_TRUE(strlen(r.message) > 10);
                                ASSERT_NULL(strchr(r.message, '\n'));
                                assert_one_line(r.message);
                                if (ok)
                                        ASSERT_NULL(r.remedy);
                                else {
                                        ASSERT_NOT_NULL(r.remedy);
                                        ASSERT_TRUE(strlen(r.remedy) > 20);
                                        assert_one_line(r.remedy);
                                }
                                if (skipped && c == RESULT_CLASS_TIMEOUT)
                                        /* Not started before the round's budget ran out. */
                                        ASSERT_CONTAINS(r.message, "was not run (the round's "
                                                                   "time budget ran out)");
                                else if (skipped)
                                        ASSERT_CONTAINS(r.message, "was not run (no usable "
                                                                   "credentials)");
                                /* Explaining again replaces, never appends. */
                                _cleanup_free_ char *first = sdup(r.message);
                                ASSERT_OK(diagnosis_explain(&r, NULL));
                                ASSERT_OK(diagnosis_explain(&r, &ctx));
                                ASSERT_STREQ(r.message, first);
                        }
}

static void test_ok(void)
{
        _cleanup_(probe_result_done) ProbeResult m = {}, l = {}, id = {}, ep = {}, na = {};

        make(&m, PROBE_KIND_METRICS, "App", RESULT_CLASS_OK);
        explain(&m);
        ASSERT_STREQ(m.message, "PutMetricData to namespace 'App' succeeded in 42 ms");
        ASSERT_NULL(m.remedy);

        make(&l, PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_OK);
        l.operation = sdup("PutLogEvents");
        explain(&l);
        ASSERT_STREQ(l.message, "PutLogEvents for log group '/aws/ec2/app' succeeded (stream "
                                "'cwguard-i-0123456789abcdef0') in 42 ms");

        make(&id, PROBE_KIND_IDENTITY, NULL, RESULT_CLASS_OK);
        explain(&id);
        ASSERT_CONTAINS(id.message, "requests run as " PRINCIPAL);
        ASSERT_STREQ(id.message, "STS GetCallerIdentity: credentials from the instance profile "
                                 "(role cwguard-instance) work in 42 ms; requests run as "
                                 PRINCIPAL);

        make(&ep, PROBE_KIND_ENDPOINT, "logs", RESULT_CLASS_OK);
        ep.net.address = sdup("10.0.1.5");
        ep.net.scope = ADDRESS_SCOPE_PRIVATE;
        ep.net.dns = 3 * USEC_PER_MSEC;
        ep.net.connect = 1 * USEC_PER_MSEC;
        ep.net.tls = 9 * USEC_PER_MSEC;
        explain(&ep);
        ASSERT_STREQ(ep.message, "Endpoint logs.us-east-1.amazonaws.com: reachable at 10.0.1.5 "
                                 "(private address, likely a VPC interface endpoint); DNS 3 ms, "
                                 "TCP 1 ms, TLS 9 ms");
        ASSERT_NULL(ep.remedy);

        make(&na, PROBE_KIND_IMDS, NULL, RESULT_CLASS_NOT_APPLICABLE);
        na.aws_message = sdup("not on EC2");
        explain(&na);
        ASSERT_STREQ(na.message, "IMDS: not applicable here (not on EC2)");
        ASSERT_NULL(na.remedy);
}

static void test_access_denied_scp(void)
{
        _cleanup_(probe_result_done) ProbeResult r = {};

        make(&r, PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_ACCESS_DENIED);
        denied(&r, POLICY_TYPE_SERVICE_CONTROL, DENY_KIND_EXPLICIT, "cloudwatch:PutMetricData",
               NULL, SCP_ARN);
        explain(&r);
        ASSERT_CONTAINS(r.message, "an explicit Deny in a service control policy blocks "
                                   "cloudwatch:PutMetricData");
        ASSERT_CONTAINS(r.message, "(policy " SCP_ARN ")");
        ASSERT_CONTAINS(r.message, "heartbeat namespace");
        ASSERT_CONTAINS(r.remedy, "service control policy");
        ASSERT_CONTAINS(r.remedy, "organization");
        ASSERT_CONTAINS(r.remedy, "AWS Organizations by the organization's management account");
        ASSERT_CONTAINS(r.remedy, "not on the role");
        ASSERT_CONTAINS(r.remedy, SCP_ARN);
        ASSERT_CONTAINS(r.remedy, "must be removed or narrowed");
        ASSERT_CONTAINS(r.remedy, "adding an Allow does not help");
        ASSERT_CONTAINS(r.remedy, "`cloudwatch:PutMetricData` on `*` with a "
                                  "`cloudwatch:namespace` condition naming 'CWAgent'");
        ASSERT_CONTAINS(r.remedy, "case-sensitive");
}

static void test_access_denied_identity_logs(void)
{
        _cleanup_(probe_result_done) ProbeResult put = {}, create = {};

        make(&put, PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_ACCESS_DENIED);
        put.operation = sdup("PutLogEvents");
        denied(&put, POLICY_TYPE_IDENTITY_BASED, DENY_KIND_IMPLICIT, "logs:PutLogEvents",
               "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:log-stream:s", NULL);
        explain(&put);
        ASSERT_CONTAINS(put.message, "access denied to " PRINCIPAL);
        ASSERT_CONTAINS(put.message, "no identity-based policy allows logs:PutLogEvents on "
                                     "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:"
                                     "log-stream:s (implicit deny)");
        ASSERT_CONTAINS(put.remedy, "add an Allow for `logs:PutLogEvents` on "
                                    "`arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:"
                                    "log-stream:*`");
        ASSERT_CONTAINS(put.remedy, "identity-based policy attached to role 'cwguard-instance'");
        ASSERT_CONTAINS(put.remedy, "aws iam put-role-policy --role-name cwguard-instance");
        ASSERT_NOT_CONTAINS(put.remedy, "does not help");

        /* The stream is created against the group: log-group:G:*, not :log-stream:*. */
        make(&create, PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_ACCESS_DENIED);
        create.operation = sdup("CreateLogStream");
        denied(&create, POLICY_TYPE_IDENTITY_BASED, DENY_KIND_EXPLICIT, NULL, NULL,
               "arn:aws:iam::123456789012:policy/DenyLogs");
        explain(&create);
        ASSERT_CONTAINS(create.message, "CreateLogStream for log group '/aws/ec2/app'");
        ASSERT_CONTAINS(create.remedy, "`logs:CreateLogStream` on "
                                       "`arn:aws:logs:us-east-1:123456789012:log-group:"
                                       "/aws/ec2/app:*`");
        ASSERT_CONTAINS(create.remedy, "arn:aws:iam::123456789012:policy/DenyLogs");
        ASSERT_CONTAINS(create.remedy, "An explicit Deny in an identity-based policy attached "
                                       "to role 'cwguard-instance'");
        ASSERT_CONTAINS(create.remedy, "adding an Allow does not help");
}

/* Each policy layer is named in the words operators search for. */
static void test_access_denied_layers(void)
{
        static const struct {
                PolicyType type;
                DenyKind deny;
                const char *words[3];
        } cases[] = {
                { POLICY_TYPE_SERVICE_CONTROL, DENY_KIND_IMPLICIT,
                  { "No service control policy allows it", "organization", "add an Allow" } },
                { POLICY_TYPE_RESOURCE_CONTROL, DENY_KIND_EXPLICIT,
                  { "resource control policy", "AWS Organizations", "does not help" } },
                { POLICY_TYPE_PERMISSIONS_BOUNDARY, DENY_KIND_IMPLICIT,
                  { "permissions boundary", "aws iam get-role --role-name cwguard-instance",
                    "add an Allow" } },
                { POLICY_TYPE_PERMISSIONS_BOUNDARY, DENY_KIND_EXPLICIT,
                  { "An explicit Deny in the permissions boundary of role 'cwguard-instance'",
                    "removed or narrowed", "does not help" } },
                { POLICY_TYPE_SESSION, DENY_KIND_IMPLICIT,
                  { "No session policy allows it", "AssumeRole", "session policy given" } },
                { POLICY_TYPE_RESOURCE_BASED, DENY_KIND_EXPLICIT,
                  { "resource-based policy", "aws logs put-resource-policy", "does not help" } },
                { POLICY_TYPE_VPC_ENDPOINT, DENY_KIND_IMPLICIT,
                  { "VPC endpoint policy", "com.amazonaws.us-east-1.logs",
                    "aws ec2 modify-vpc-endpoint" } },
                { POLICY_TYPE_ROLE_TRUST, DENY_KIND_IMPLICIT,
                  { "trust policy", "ec2.amazonaws.com", "sts:AssumeRole" } },
                { POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN,
                  { "AWS did not say which policy", "service control policy",
                    "`logs:PutLogEvents` on `arn:aws:logs:us-east-1:123456789012:log-group:"
                    "/aws/ec2/app:log-stream:*`" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(probe_result_done) ProbeResult r = {};

                make(&r, PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_ACCESS_DENIED);
                denied(&r, cases[i].type, cases[i].deny, "logs:PutLogEvents", NULL, NULL);
                explain(&r);
                for (size_t j = 0; j < ELEMENTSOF(cases[i].words); j++)
                        ASSERT_CONTAINS(r.remedy, cases[i].words[j]);
        }
}

static void test_kms_and_partition(void)
{
        DiagnosisContext cn = ctx;
        _cleanup_(probe_result_done) ProbeResult k = {}, c = {};

        make(&k, PROBE_KIND_LOGS, "/aws/ecs/secure", RESULT_CLASS_KMS_DENIED);
        k.aws_message = sdup("The specified KMS key does not exist or is not allowed to be used "
                            "with Arn 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/"
                            "secure'");
        explain(&k);
        ASSERT_CONTAINS(k.message, "KMS key");
        ASSERT_CONTAINS(k.remedy, "KMS key policy");
        ASSERT_CONTAINS(k.remedy, "`logs.us-east-1.amazonaws.com`");
        ASSERT_CONTAINS(k.remedy, "`arn:aws:logs:us-east-1:123456789012:log-group:"
                                  "/aws/ecs/secure`");

        cn.region = "cn-north-1";
        make(&c, PROBE_KIND_LOGS, "g", RESULT_CLASS_ACCESS_DENIED);
        denied(&c, POLICY_TYPE_IDENTITY_BASED, DENY_KIND_IMPLICIT, "logs:PutLogEvents", NULL,
               NULL);
        ASSERT_OK(diagnosis_explain(&c, &cn));
        ASSERT_CONTAINS(c.remedy, "`arn:aws-cn:logs:cn-north-1:123456789012:log-group:g:"
                                  "log-stream:*`");
}

static void test_clock_skew(void)
{
        _cleanup_(probe_result_done) ProbeResult b = {}, a = {};

        make(&b, PROBE_KIND_IDENTITY, NULL, RESULT_CLASS_CLOCK_SKEW);
        b.has_clock_offset = true;
        b.clock_offset_sec = 1200;
        explain(&b);
        ASSERT_CONTAINS(b.message, "the clock is 1200 seconds behind AWS's time");
        ASSERT_CONTAINS(b.remedy, "chrony");
        ASSERT_CONTAINS(b.remedy, "169.254.169.123");

        make(&a, PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_CLOCK_SKEW);
        a.has_clock_offset = true;
        a.clock_offset_sec = -1200;
        explain(&a);
        ASSERT_CONTAINS(a.message, "the clock is 1200 seconds ahead of AWS's time");
}

static void test_imds(void)
{
        _cleanup_(probe_result_done) ProbeResult hop = {}, role = {}, trust = {}, refused = {};

        make(&hop, PROBE_KIND_IMDS, NULL, RESULT_CLASS_IMDS_TOKEN_TIMEOUT);
        explain(&hop);
        ASSERT_CONTAINS(hop.remedy, "hop limit");
        ASSERT_CONTAINS(hop.remedy, "containers");
        ASSERT_CONTAINS(hop.remedy, "aws ec2 modify-instance-metadata-options --instance-id "
                                    "i-0123456789abcdef0 --http-put-response-hop-limit 2");

        make(&role, PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_IMDS_NO_ROLE);
        role.skipped = true;
        explain(&role);
        ASSERT_CONTAINS(role.message, "PutMetricData to namespace 'CWAgent' was not run (no "
                                      "usable credentials): no IAM role is attached");
        ASSERT_CONTAINS(role.remedy, "aws ec2 associate-iam-instance-profile --instance-id "
                                     "i-0123456789abcdef0");

        make(&trust, PROBE_KIND_IMDS, NULL, RESULT_CLASS_IMDS_CREDENTIALS_ERROR);
        trust.aws_error_code = sdup("AssumeRoleUnauthorizedAccess");
        explain(&trust);
        ASSERT_CONTAINS(trust.message, "AssumeRoleUnauthorizedAccess");
        ASSERT_CONTAINS(trust.remedy, "trust policy of role 'cwguard-instance'");
        ASSERT_CONTAINS(trust.remedy, "ec2.amazonaws.com");

        make(&refused, PROBE_KIND_IMDS, NULL, RESULT_CLASS_IMDS_TOKEN_REFUSED);
        refused.http_status = 403;
        explain(&refused);
        ASSERT_CONTAINS(refused.remedy, "--http-endpoint enabled");
}

/* The credential classes say where the credentials came from. */
static void test_credential_sources(void)
{
        static const struct {
                CredentialSource source;
                ResultClass class;
                const char *words;
        } cases[] = {
                { CREDENTIAL_SOURCE_ENVIRONMENT, RESULT_CLASS_CREDENTIALS_EXPIRED,
                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment" },
                { CREDENTIAL_SOURCE_SHARED_FILE, RESULT_CLASS_CREDENTIALS_INVALID,
                  "the shared credentials file (profile p in /etc/cwguard/credentials)" },
                { CREDENTIAL_SOURCE_IMDS, RESULT_CLASS_CREDENTIALS_EXPIRED,
                  "the instance profile" },
                { CREDENTIAL_SOURCE_ENVIRONMENT, RESULT_CLASS_SIGNATURE_MISMATCH,
                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(probe_result_done) ProbeResult r = {};
                DiagnosisContext c = ctx;

                c.credential_source = cases[i].source;
                c.credential_detail = cases[i].source == CREDENTIAL_SOURCE_SHARED_FILE ?
                                              "profile p in /etc/cwguard/credentials" :
                                              NULL;
                make(&r, PROBE_KIND_IDENTITY, NULL, cases[i].class);
                ASSERT_OK(diagnosis_explain(&r, &c));
                ASSERT_CONTAINS(r.message, cases[i].words);
                if (cases[i].class == RESULT_CLASS_SIGNATURE_MISMATCH) {
                        ASSERT_CONTAINS(r.remedy, "Fix the secret");
                        ASSERT_CONTAINS(r.remedy, "proxies that alter requests");
                }
        }

        _cleanup_(probe_result_done) ProbeResult none = {};
        make(&none, PROBE_KIND_IDENTITY, NULL, RESULT_CLASS_NO_CREDENTIALS);
        explain(&none);
        ASSERT_CONTAINS(none.remedy, "Attach an instance profile");
}

static void test_log_group_missing(void)
{
        _cleanup_(probe_result_done) ProbeResult g = {}, s = {};
        DiagnosisContext create = ctx;

        make(&g, PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_RESOURCE_NOT_FOUND);
        g.aws_message = sdup("The specified log group does not exist.");
        explain(&g);
        ASSERT_CONTAINS(g.message, "the log group '/aws/ec2/app' does not exist in region "
                                   "us-east-1");
        ASSERT_CONTAINS(g.remedy, "aws logs create-log-group --log-group-name /aws/ec2/app "
                                  "--region us-east-1");
        ASSERT_CONTAINS(g.remedy, "probes.create_log_group: true");

        create.create_log_group = true;
        ASSERT_OK(diagnosis_explain(&g, &create));
        ASSERT_CONTAINS(g.remedy, "`logs:CreateLogGroup` on `arn:aws:logs:us-east-1:"
                                  "123456789012:log-group:/aws/ec2/app:*`");

        make(&s, PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_RESOURCE_NOT_FOUND);
        s.aws_message = sdup("The specified log stream does not exist.");
        explain(&s);
        ASSERT_CONTAINS(s.message, "the log stream 'cwguard-i-0123456789abcdef0' does not exist");
        ASSERT_CONTAINS(s.remedy, "creates missing streams itself");
}

static void test_network(void)
{
        _cleanup_(probe_result_done) ProbeResult pub = {}, priv = {}, dns = {}, tls = {},
                                                  proxy = {};

        make(&pub, PROBE_KIND_ENDPOINT, "logs", RESULT_CLASS_TIMEOUT);
        pub.net.address = sdup("52.46.128.10");
        pub.net.scope = ADDRESS_SCOPE_PUBLIC;
        explain(&pub);
        ASSERT_STREQ(pub.message, "Endpoint logs.us-east-1.amazonaws.com: TCP connection "
                                  "(52.46.128.10, public address) to port 443 timed out");
        ASSERT_CONTAINS(pub.remedy, "No route to the public endpoint from a private subnet");
        ASSERT_CONTAINS(pub.remedy, "`com.amazonaws.us-east-1.logs` (with private DNS)");
        ASSERT_CONTAINS(pub.remedy, "NAT gateway");

        /* The port is the endpoint's own (a VPC endpoint or a proxy may use another). */
        pub.endpoint = mfree(pub.endpoint);
        pub.endpoint = sdup("https://vpce-0123.logs.us-east-1.vpce.amazonaws.com:8443/");
        explain(&pub);
        ASSERT_CONTAINS(pub.message, "(52.46.128.10, public address) to port 8443 timed out");
        pub.endpoint = mfree(pub.endpoint);
        pub.endpoint = sdup("https://[::1]:4443");
        pub.class = RESULT_CLASS_CONNECT_FAILED;
        explain(&pub);
        ASSERT_CONTAINS(pub.message, "to port 4443 failed");
        pub.endpoint = mfree(pub.endpoint);
        pub.endpoint = sdup("https://[::1]/");
        explain(&pub);
        ASSERT_CONTAINS(pub.message, "to port 443 failed");

        make(&priv, PROBE_KIND_ENDPOINT, "monitoring", RESULT_CLASS_CONNECT_FAILED);
        priv.net.address = sdup("10.0.1.5");
        priv.net.scope = ADDRESS_SCOPE_PRIVATE;
        explain(&priv);
        ASSERT_NOT_CONTAINS(priv.remedy, "private subnet");
        ASSERT_CONTAINS(priv.remedy, "security group must allow inbound TCP 443");

        make(&dns, PROBE_KIND_ENDPOINT, "sts", RESULT_CLASS_DNS_FAILURE);
        explain(&dns);
        ASSERT_STREQ(dns.message, "Endpoint sts.us-east-1.amazonaws.com: the name does not "
                                  "resolve");
        ASSERT_CONTAINS(dns.remedy, "enableDnsSupport");
        ASSERT_CONTAINS(dns.remedy, "private hosted zone");

        make(&tls, PROBE_KIND_ENDPOINT, "logs", RESULT_CLASS_TLS_FAILURE);
        explain(&tls);
        ASSERT_CONTAINS(tls.remedy, "`ca_bundle:` (or AWS_CA_BUNDLE)");
        ASSERT_CONTAINS(tls.remedy, "TLS-intercepting proxy");

        make(&proxy, PROBE_KIND_ENDPOINT, "logs", RESULT_CLASS_PROXY_FAILURE);
        explain(&proxy);
        ASSERT_CONTAINS(proxy.remedy, "HTTPS_PROXY");
        ASSERT_CONTAINS(proxy.remedy, "169.254.169.254 in NO_PROXY");
}

static void test_quote_capped(void)
{
        _cleanup_(probe_result_done) ProbeResult r = {};
        char big[2000];

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        big[10] = '\n';
        big[11] = '\033';
        make(&r, PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_INVALID_REQUEST);
        r.aws_message = sdup(big);
        r.request_id = sdup("req-123");
        explain(&r);
        ASSERT_TRUE(strlen(r.message) < 450);
        ASSERT_CONTAINS(r.message, "xxx...");
        assert_one_line(r.message);
        ASSERT_CONTAINS(r.remedy, "request id req-123");
}

/* ---- across probes ------------------------------------------------------------------------- */

static ProbeReport *report_new(size_t n)
{
        ProbeReport *rep = calloc(1, sizeof(*rep));

        ASSERT_NOT_NULL(rep);
        rep->probes = calloc(n, sizeof(ProbeResult));
        ASSERT_NOT_NULL(rep->probes);
        rep->n_probes = n;
        rep->identity.credential_source = _CREDENTIAL_SOURCE_INVALID;
        return rep;
}

static void report_free(ProbeReport **rep)
{
        if (*rep) {
                probe_report_done(*rep);
                free(*rep);
        }
}

static void test_report_namespace_condition(void)
{
        _cleanup_(report_free) ProbeReport *rep = report_new(3);

        make(&rep->probes[0], PROBE_KIND_IDENTITY, NULL, RESULT_CLASS_OK);
        make(&rep->probes[1], PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_ACCESS_DENIED);
        denied(&rep->probes[1], POLICY_TYPE_IDENTITY_BASED, DENY_KIND_IMPLICIT,
               "cloudwatch:PutMetricData", NULL, NULL);
        free(rep->probes[1].denied.principal);
        rep->probes[1].denied.principal = NULL;
        make(&rep->probes[2], PROBE_KIND_METRICS, "cwagent", RESULT_CLASS_OK);

        ASSERT_OK(diagnosis_explain_report(rep, &ctx));
        ASSERT_CONTAINS(rep->probes[1].message, "a cloudwatch:namespace condition "
                                                "(case-sensitive) admits 'cwagent' but excludes "
                                                "'CWAgent'");
        ASSERT_CONTAINS(rep->probes[1].remedy, "add 'CWAgent'");
        ASSERT_CONTAINS(rep->probes[1].remedy, "lists 'cwagent'");
        /* (d) the identity probe worked, so the evaluated principal is named. */
        ASSERT_CONTAINS(rep->probes[1].message, "the identity probe confirms requests run as "
                                                PRINCIPAL);
        ASSERT_NULL(rep->probes[2].remedy);

        /* Explaining the report again gives the same text (nothing appended twice). */
        _cleanup_free_ char *first = sdup(rep->probes[1].message);
        ASSERT_OK(diagnosis_explain_report(rep, &ctx));
        ASSERT_STREQ(rep->probes[1].message, first);
}

static void test_report_network(void)
{
        _cleanup_(report_free) ProbeReport *rep = report_new(4);

        make(&rep->probes[0], PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_ACCESS_DENIED);
        denied(&rep->probes[0], POLICY_TYPE_IDENTITY_BASED, DENY_KIND_IMPLICIT,
               "logs:PutLogEvents", NULL, NULL);
        make(&rep->probes[1], PROBE_KIND_ENDPOINT, "logs", RESULT_CLASS_OK);
        make(&rep->probes[2], PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_TIMEOUT);
        rep->probes[2].attempts = 3;
        make(&rep->probes[3], PROBE_KIND_ENDPOINT, "monitoring", RESULT_CLASS_TIMEOUT);
        rep->probes[3].net.address = sdup("52.94.0.1");
        rep->probes[3].net.scope = ADDRESS_SCOPE_PUBLIC;

        ASSERT_OK(diagnosis_explain_report(rep, &ctx));
        /* (b) AWS answered and the endpoint probe is fine: not the network. */
        ASSERT_CONTAINS(rep->probes[0].message, "; the network path to "
                                                "logs.us-east-1.amazonaws.com is fine "
                                                "(endpoint:logs ok)");
        /* (c) a transport failure takes the endpoint probe's network reasoning. */
        ASSERT_CONTAINS(rep->probes[2].message, "no answer from "
                                                "monitoring.us-east-1.amazonaws.com: timed out on "
                                                "all 3 attempts");
        ASSERT_CONTAINS(rep->probes[2].message, "endpoint:monitoring fails too (timeout)");
        ASSERT_CONTAINS(rep->probes[2].remedy, "`com.amazonaws.us-east-1.monitoring`");
        ASSERT_CONTAINS(rep->probes[2].remedy, "private subnet");
}

static void test_report_clock(void)
{
        _cleanup_(report_free) ProbeReport *rep = report_new(2);

        make(&rep->probes[0], PROBE_KIND_IDENTITY, NULL, RESULT_CLASS_CLOCK_SKEW);
        rep->probes[0].has_clock_offset = true;
        rep->probes[0].clock_offset_sec = 1200;
        make(&rep->probes[1], PROBE_KIND_LOGS, "/aws/ec2/app", RESULT_CLASS_CLOCK_SKEW);

        /* No context at all: region and principal come from the report. */
        rep->host.region = sdup("eu-west-1");
        ASSERT_OK(diagnosis_explain_report(rep, NULL));
        ASSERT_CONTAINS(rep->probes[1].message, "the clock is 1200 seconds behind AWS's time");
        ASSERT_CONTAINS(rep->probes[1].message, "the identity probe measured this clock offset "
                                                "(+1200 s)");
        ASSERT_FALSE(rep->probes[1].has_clock_offset);   /* the facts are not changed */
}

/* STS deactivated in the region for the role's account: activate it there, or reach the
 * partition's fallback region (none from the fallback region itself). */
static void test_sts_region_disabled(void)
{
        _cleanup_(probe_result_done) ProbeResult r = {}, cn = {}, east = {}, bad = {};
        DiagnosisContext c = ctx;

        c.region = "eu-central-2";
        make(&r, PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_STS_REGION_DISABLED);
        r.operation = sdup("AssumeRole");
        r.role_arn = sdup("arn:aws:iam::210987654321:role/path/cw-agent");
        r.aws_error_code = sdup("RegionDisabledException");
        ASSERT_OK(diagnosis_explain(&r, &c));
        ASSERT_CONTAINS(r.message, "AssumeRole of arn:aws:iam::210987654321:role/path/cw-agent");
        ASSERT_CONTAINS(r.message, "STS is deactivated in eu-central-2 for account 210987654321");
        ASSERT_CONTAINS(r.remedy, "Activate STS in eu-central-2 for account 210987654321");
        ASSERT_CONTAINS(r.remedy, "Endpoints > eu-central-2 > Activate");
        ASSERT_CONTAINS(r.remedy, "reach STS in us-east-1, where the agent falls back "
                                  "(https://sts.us-east-1.amazonaws.com,");

        c.region = "cn-northwest-1";
        make(&cn, PROBE_KIND_LOGS, "g", RESULT_CLASS_STS_REGION_DISABLED);
        cn.operation = sdup("AssumeRole");
        cn.role_arn = sdup("arn:aws-cn:iam::210987654321:role/cw");
        ASSERT_OK(diagnosis_explain(&cn, &c));
        ASSERT_CONTAINS(cn.remedy, "https://sts.cn-north-1.amazonaws.com.cn");

        c.region = "us-east-1";
        make(&east, PROBE_KIND_IDENTITY, NULL, RESULT_CLASS_STS_REGION_DISABLED);
        east.operation = sdup("AssumeRole");
        east.role_arn = sdup("arn:aws:iam::210987654321:role/cw");
        ASSERT_OK(diagnosis_explain(&east, &c));
        ASSERT_NULL(strstr(east.remedy, "falls back"));

        /* Not a role ARN: no account is made up. */
        make(&bad, PROBE_KIND_METRICS, "CWAgent", RESULT_CLASS_STS_REGION_DISABLED);
        bad.role_arn = sdup("arn:aws:iam::12345:role/x");
        ASSERT_OK(diagnosis_explain(&bad, &ctx));
        ASSERT_CONTAINS(bad.remedy, "for account <the role's account>");
}

int main(void)
{
        TEST(test_every_class_and_kind);
        TEST(test_sts_region_disabled);
        TEST(test_ok);
        TEST(test_access_denied_scp);
        TEST(test_access_denied_identity_logs);
        TEST(test_access_denied_layers);
        TEST(test_kms_and_partition);
        TEST(test_clock_skew);
        TEST(test_imds);
        TEST(test_credential_sources);
        TEST(test_log_group_missing);
        TEST(test_network);
        TEST(test_quote_capped);
        TEST(test_report_namespace_condition);
        TEST(test_report_network);
        TEST(test_report_clock);
        return 0;
}
