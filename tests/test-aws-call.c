/* SPDX-License-Identifier: MIT */
/*
 * test-aws-call.c: signed AWS calls against the local simulator, which verifies every signature
 * with botocore: STS query, CloudWatch query and JSON 1.0, Logs JSON 1.1; retries of transient
 * failures (counted at the simulator), no retries of permanent ones, the deadline, the clock
 * offset, and the debug record that must never hold a secret.
 */

#include <stdio.h>
#include <string.h>

#include "common/aws-call.h"
#include "common/aws-response.h"
#include "tests/sim.h"
#include "tests/test.h"

#define AKID "AKIDCWGUARDTEST00001"
#define SECRET "cwguard/test/SECRET/do-not-leak-0123456789"
#define TOKEN "cwguard-test-SESSION-TOKEN-do-not-leak"

static Sim *sim;
static sd_event *event;
static HttpClient *http;

static const AwsCredentials creds = {
        .access_key_id = (char *) AKID,
        .secret_access_key = (char *) SECRET,
        .session_token = (char *) TOKEN,
        .source = CREDENTIAL_SOURCE_ENVIRONMENT,
        .source_detail = (char *) "environment",
};

typedef struct Done {
        bool called;
        AwsCallOutcome outcome;
} Done;

static void on_done(AwsCall *call, AwsCallOutcome *outcome, void *userdata)
{
        Done *d = userdata;

        d->called = true;
        d->outcome = *outcome;
        *outcome = (AwsCallOutcome) {};
}

static void call(const AwsCallOptions *o, Done *d)
{
        *d = (Done) {};
        ASSERT_OK(aws_call_start(http, &creds, o, on_done, d, NULL));
        ASSERT_OK(http_client_run_until_idle(http, 30 * USEC_PER_SEC));
        /* Retries wait on a timer, not on the HTTP client: run until the callback came. */
        for (unsigned i = 0; !d->called && i < 3000; i++)
                ASSERT_OK(sd_event_run(event, 10 * USEC_PER_MSEC));
        ASSERT_TRUE(d->called);
}

static void assert_no_secret(const AwsCallOutcome *o)
{
        const char *fields[] = { o->debug.canonical_request, o->debug.string_to_sign,
                                 o->debug.signed_headers, o->debug.url, o->result.message };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                if (!fields[i])
                        continue;
                ASSERT_NULL(strstr(fields[i], SECRET));
                ASSERT_NULL(strstr(fields[i], TOKEN));
        }
        STRV_FOREACH(h, o->debug.response_headers) {
                ASSERT_NULL(strstr(*h, SECRET));
                ASSERT_NULL(strstr(*h, TOKEN));
        }
}

/* Back to the default scenario, plus our static key (a reset forgets it). */
static void reset(void)
{
        sim_reset(sim);
        sim_scenario(sim, "{\"keys\": {\"" AKID "\": {\"secret\": \"" SECRET "\", \"token\": \""
                          TOKEN "\", \"arn\": \"arn:aws:iam::123456789012:user/cwguard-test\"}}}");
}

static AwsCallOptions sts_options(void)
{
        static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";

        return (AwsCallOptions) {
                .endpoint = sim->aws_url,
                .region = "us-east-1",
                .service = "sts",
                .protocol = AWS_PROTOCOL_QUERY,
                .body = body,
                .body_size = strlen(body),
                .timeout = 5 * USEC_PER_SEC,
        };
}

static void test_sts_identity(void)
{
        _cleanup_(sts_caller_identity_done) StsCallerIdentity id = {};
        AwsCallOptions o = sts_options();
        Done d;

        reset();
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(d.outcome.attempts, 1);
        ASSERT_OK(sts_parse_caller_identity(d.outcome.body, d.outcome.body_size, &id));
        ASSERT_STREQ(id.arn, "arn:aws:iam::123456789012:user/cwguard-test");
        ASSERT_STREQ(id.account, "123456789012");
        ASSERT_NOT_NULL(d.outcome.debug.canonical_request);
        ASSERT_NOT_NULL(strstr(d.outcome.debug.canonical_request, "<redacted>"));
        ASSERT_NOT_NULL(strstr(d.outcome.debug.signed_headers, "x-amz-security-token"));
        assert_no_secret(&d.outcome);
        ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), 1);
        aws_call_outcome_done(&d.outcome);
}

static void test_put_metric_data_query_and_json(void)
{
        static const char form[] =
                "Action=PutMetricData&Version=2010-08-01&Namespace=CWAgent"
                "&MetricData.member.1.MetricName=cwguard_probe&MetricData.member.1.Value=1"
                "&MetricData.member.1.Unit=Count";
        static const char json[] =
                "{\"Namespace\":\"CWAgent\",\"MetricData\":[{\"MetricName\":\"cwguard_probe\","
                "\"Value\":1,\"Unit\":\"Count\"}]}";
        AwsCallOptions o = {
                .endpoint = sim->aws_url,
                .region = "us-east-1",
                .service = "monitoring",
                .protocol = AWS_PROTOCOL_QUERY,
                .body = form,
                .body_size = strlen(form),
        };
        Done d;

        reset();
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        aws_call_outcome_done(&d.outcome);

        o.protocol = AWS_PROTOCOL_JSON10;
        o.target = "GraniteServiceVersion20100801.PutMetricData";
        o.query_mode = true;
        o.body = json;
        o.body_size = strlen(json);
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        ASSERT_TRUE(d.outcome.reused);
        aws_call_outcome_done(&d.outcome);
        ASSERT_EQ(sim_count(sim, "cloudwatch:PutMetricData"), 2);

        /* Denied by a namespace condition in an SCP: a permanent failure, sent once. */
        sim_scenario(sim, "{\"deny\": [{\"action\": \"cloudwatch:PutMetricData\","
                          " \"namespace\": \"CWAgent\", \"policy_type\": \"service-control\","
                          " \"deny\": \"explicit\"}]}");
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_ACCESS_DENIED);
        ASSERT_EQ(d.outcome.attempts, 1);
        ASSERT_EQ(d.outcome.result.denied.policy_type, POLICY_TYPE_SERVICE_CONTROL);
        ASSERT_EQ(d.outcome.result.denied.deny, DENY_KIND_EXPLICIT);
        ASSERT_STREQ(d.outcome.result.code, "AccessDenied");
        ASSERT_NOT_NULL(d.outcome.result.request_id);
        ASSERT_NULL(d.outcome.body);
        aws_call_outcome_done(&d.outcome);
        ASSERT_EQ(sim_count(sim, "cloudwatch:PutMetricData"), 3);
}

static void test_logs_json11(void)
{
        char body[512];
        AwsCallOptions o = {
                .endpoint = sim->aws_url,
                .region = "us-east-1",
                .service = "logs",
                .protocol = AWS_PROTOCOL_JSON11,
                .target = "Logs_20140328.CreateLogStream",
        };
        Done d;

        reset();
        snprintf(body, sizeof(body),
                 "{\"logGroupName\":\"/aws/ec2/app\",\"logStreamName\":\"cwguard-test\"}");
        o.body = body;
        o.body_size = strlen(body);
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        aws_call_outcome_done(&d.outcome);

        snprintf(body, sizeof(body),
                 "{\"logGroupName\":\"/aws/ec2/app\",\"logStreamName\":\"cwguard-test\","
                 "\"logEvents\":[{\"timestamp\":%llu,\"message\":\"cwguard probe\"}]}",
                 (unsigned long long) (now_usec(CLOCK_REALTIME) / USEC_PER_MSEC));
        o.target = "Logs_20140328.PutLogEvents";
        o.body_size = strlen(body);
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        aws_call_outcome_done(&d.outcome);

        /* A group that does not exist is a permanent failure with AWS's own code. */
        snprintf(body, sizeof(body),
                 "{\"logGroupName\":\"/nope\",\"logStreamName\":\"s\","
                 "\"logEvents\":[{\"timestamp\":%llu,\"message\":\"x\"}]}",
                 (unsigned long long) (now_usec(CLOCK_REALTIME) / USEC_PER_MSEC));
        o.body_size = strlen(body);
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_RESOURCE_NOT_FOUND);
        ASSERT_STREQ(d.outcome.result.code, "ResourceNotFoundException");
        ASSERT_EQ(d.outcome.attempts, 1);
        aws_call_outcome_done(&d.outcome);
}

static void test_retry_transient(void)
{
        AwsCallOptions o = sts_options();
        Done d;

        /* Two throttles, then success: three attempts, all seen by the simulator. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\","
                          " \"type\": \"status\", \"status\": \"throttle\", \"count\": 2}]}");
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(d.outcome.attempts, 3);
        ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), 3);
        aws_call_outcome_done(&d.outcome);

        /* A storm: at most max_attempts requests, then the throttled class. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\","
                          " \"type\": \"status\", \"status\": 503}]}");
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_SERVER_ERROR);
        ASSERT_EQ(d.outcome.attempts, 3);
        ASSERT_EQ(sim_count(sim, "sts:GetCallerIdentity"), 3);
        aws_call_outcome_done(&d.outcome);

        /* A deadline already near: no retry starts after it. */
        reset();
        sim_scenario(sim, "{\"faults\": [{\"action\": \"sts:GetCallerIdentity\","
                          " \"type\": \"status\", \"status\": 503}]}");
        o.deadline = now_usec(CLOCK_MONOTONIC) + 50 * USEC_PER_MSEC;
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_SERVER_ERROR);
        ASSERT_TRUE(d.outcome.attempts < 3);
        aws_call_outcome_done(&d.outcome);
}

static void test_clock_offset(void)
{
        AwsCallOptions o = sts_options();
        Done d;

        /* The simulator's clock is 20 minutes ahead: STS's 15-minute window rejects us... */
        reset();
        sim_scenario(sim, "{\"clock_offset\": 1200}");
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_CLOCK_SKEW);
        ASSERT_TRUE(d.outcome.result.has_clock_offset);
        ASSERT_TRUE(d.outcome.result.clock_offset_sec > 1100);
        ASSERT_TRUE(d.outcome.result.clock_offset_sec < 1300);
        o.clock_offset_sec = d.outcome.result.clock_offset_sec;
        aws_call_outcome_done(&d.outcome);

        /* ...and signing with the measured offset applied is accepted. */
        call(&o, &d);
        ASSERT_EQ(d.outcome.result.class, RESULT_CLASS_OK);
        aws_call_outcome_done(&d.outcome);
}

static void test_bad_options(void)
{
        AwsCallOptions o = sts_options();
        AwsCall *c = NULL;
        Done d = {};

        o.endpoint = "http://localhost:1";
        ASSERT_ERROR(aws_call_start(http, &creds, &o, on_done, &d, &c), EINVAL);
        o.endpoint = "https://localhost:1/path";
        ASSERT_ERROR(aws_call_start(http, &creds, &o, on_done, &d, &c), EINVAL);
        o = sts_options();
        o.protocol = AWS_PROTOCOL_JSON11;
        ASSERT_ERROR(aws_call_start(http, &creds, &o, on_done, &d, &c), EINVAL);

        /* Cancelled in flight: no callback, nothing leaks (ASan checks). */
        o = sts_options();
        ASSERT_OK(aws_call_start(http, &creds, &o, on_done, &d, &c));
        aws_call_cancel(c);
        ASSERT_OK(http_client_run_until_idle(http, 5 * USEC_PER_SEC));
        ASSERT_FALSE(d.called);
}

static void test_backoff(void)
{
        ASSERT_EQ(aws_backoff_delay(1, 200, 5000, 0, 0.999), 199);
        ASSERT_EQ(aws_backoff_delay(2, 200, 5000, 0, 0.5), 200);
        ASSERT_EQ(aws_backoff_delay(10, 200, 5000, 0, 0.5), 2500);
        ASSERT_EQ(aws_backoff_delay(1, 200, 5000, 3000, 0.5), 3000);
        ASSERT_EQ(aws_backoff_delay(1, 200, 5000, 0, 7.0), 0);
}

static void test_form_escape(void)
{
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(aws_form_escape(&s, "a b/c~d_e.f-g:h"));
        ASSERT_STREQ(s, "a%20b%2Fc~d_e.f-g%3Ah");
}

int main(void)
{
        int r;

        TEST(test_backoff);
        TEST(test_form_escape);

        r = sim_start(&sim);
        if (r == -EOPNOTSUPP && !getenv("CWGUARD_REQUIRE_SIM"))
                return EXIT_TEST_SKIP;
        ASSERT_OK(r);
        ASSERT_OK(sd_event_default(&event));
        ASSERT_OK(http_client_new(event, &(HttpClientOptions) { .ca_bundle = sim->ca }, &http));

        TEST(test_sts_identity);
        TEST(test_put_metric_data_query_and_json);
        TEST(test_logs_json11);
        TEST(test_retry_transient);
        TEST(test_clock_offset);
        TEST(test_bad_options);

        http_client_free(http);
        sd_event_unref(event);
        sim_free(sim);
        return 0;
}
