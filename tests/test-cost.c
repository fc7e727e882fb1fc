/* SPDX-License-Identifier: MIT */
/*
 * test-cost.c: the monthly cost estimate. The README's table (heartbeat every 1, 5 and 10
 * minutes: $0.83, $0.49, $0.44) must come out of it to the cent, as must its words on
 * heartbeat.detail (+$0.30) and an extra namespace (+$0.09 a month per host at 5 minutes, one
 * fleet-wide metric); heartbeats that can only come with a round; log ingestion from the
 * probe's own message; the text and the JSON (parsed back).
 */

#include <math.h>

#include <json-c/json.h>

#include "common/cost.h"
#include "common/json-util.h"
#include "common/util.h"
#include "tests/test.h"

#define CENTS(usd) ((long long) u64_round((usd) * 100))
#define ASSERT_NEAR(a, b) ASSERT_TRUE(fabs((double) (a) - (double) (b)) < 1e-9)

/* The default configuration: free probes every minute, one namespace, no log groups. */
static CostInput input(usec_t heartbeat)
{
        return (CostInput) {
                .interval = USEC_PER_MINUTE,
                .heartbeat_interval = heartbeat,
                .n_namespaces = 1,
                .log_message_bytes = cost_log_message_bytes(COST_EC2_INSTANCE_ID_LEN),
                .n_alarms = 1,
        };
}

static void test_readme_table(void)
{
        static const struct {
                unsigned minutes;
                double requests;
                long cents_requests, cents_total;
                unsigned detection_minutes;
        } rows[] = {
                { 1, 43200, 43, 83, 3 },
                { 5, 8640, 9, 49, 15 },
                { 10, 4320, 4, 44, 30 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                CostInput in = input(rows[i].minutes * USEC_PER_MINUTE);
                CostEstimate e;

                ASSERT_OK(cost_estimate(&in, &e));
                ASSERT_NEAR(e.requests, rows[i].requests);
                ASSERT_EQ(CENTS(e.usd_requests), rows[i].cents_requests);
                ASSERT_EQ(e.host_metrics, 1);
                ASSERT_EQ(CENTS(e.usd_host_metrics), 30);
                ASSERT_EQ(CENTS(e.usd_alarms), 10);
                ASSERT_NEAR(e.log_bytes, 0);
                ASSERT_NEAR(e.usd_logs, 0);
                ASSERT_EQ(CENTS(e.usd_per_host), rows[i].cents_total);
                ASSERT_EQ(e.shared_metrics, 0);
                ASSERT_NEAR(e.usd_fleet_shared, 0);
                ASSERT_EQ(e.detection_delay, rows[i].detection_minutes * USEC_PER_MINUTE);
                ASSERT_NEAR(e.rounds, 43200);
                ASSERT_FALSE(e.heartbeat_sparse);
        }
}

static void test_detail_and_namespaces(void)
{
        CostInput in = input(5 * USEC_PER_MINUTE);
        CostEstimate e;

        /* heartbeat.detail: FailingProbes is a second per-host metric, in the same request. */
        in.heartbeat_detail = true;
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_EQ(e.host_metrics, 2);
        ASSERT_NEAR(e.requests, 8640);
        ASSERT_NEAR(e.usd_per_host, 0.4864 + 0.30);

        /* An extra namespace: a request per heartbeat on every host ($0.09 a month at 5 min)
         * and one cwguard_probe metric for the whole fleet, not per host. */
        in = input(5 * USEC_PER_MINUTE);
        in.n_namespaces = 2;
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_NEAR(e.requests, 17280);
        ASSERT_EQ(CENTS(e.usd_requests - 0.0864), 9);
        ASSERT_EQ(e.host_metrics, 1);
        ASSERT_EQ(e.shared_metrics, 1);
        ASSERT_EQ(CENTS(e.usd_fleet_shared), 30);
        ASSERT_NEAR(e.usd_per_host, 0.4864 + 0.0864);
}

static void test_heartbeat_comes_with_rounds(void)
{
        CostInput in = input(90 * USEC_PER_SEC);
        CostEstimate e;

        /* 90 s with rounds every 60 s: the first round at or after 90 s is the one at 120 s. */
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_EQ(e.billed_period, 120 * USEC_PER_SEC);
        ASSERT_NEAR(e.requests, 21600);
        ASSERT_EQ(e.alarm_period, 120 * USEC_PER_SEC);
        ASSERT_EQ(e.detection_delay, 360 * USEC_PER_SEC);

        /* A heartbeat more often than rounds: every round is billed. */
        in = input(30 * USEC_PER_SEC);
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_EQ(e.billed_period, USEC_PER_MINUTE);
        ASSERT_EQ(e.alarm_period, USEC_PER_MINUTE);

        /* Rounds every 7 minutes, heartbeat 5: heartbeats come every 7 and the alarm's period
         * is 5, so detection is three heartbeats. */
        in = input(5 * USEC_PER_MINUTE);
        in.interval = 7 * USEC_PER_MINUTE;
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_EQ(e.billed_period, 7 * USEC_PER_MINUTE);
        ASSERT_EQ(e.detection_delay, 21 * USEC_PER_MINUTE);

        /* Less than hourly: metrics are prorated, the estimate says it is an upper bound. */
        in = input(2 * USEC_PER_HOUR);
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_TRUE(e.heartbeat_sparse);
        ASSERT_NEAR(e.requests, 360);
}

static void test_logs(void)
{
        char msg[256], when[ISO8601_MAX];
        CostInput in = input(5 * USEC_PER_MINUTE);
        CostEstimate e;

        /* The probe's message (common/probe-aws.c) for an EC2 instance id. */
        snprintf(msg, sizeof(msg), "cwguard probe: %s can write to this log group (%s)",
                 "i-0123456789abcdef0", iso8601_format(1767225600 * USEC_PER_SEC, when));
        ASSERT_EQ(cost_log_message_bytes(COST_EC2_INSTANCE_ID_LEN), strlen(msg));
        ASSERT_EQ(cost_log_message_bytes(19), 85);

        /* One group, one event a round, every minute: 43,200 events of 85 + 26 bytes. */
        in.n_log_groups = 1;
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_NEAR(e.log_events, 43200);
        ASSERT_NEAR(e.log_bytes, 43200.0 * 111);
        ASSERT_NEAR(e.usd_logs, 43200.0 * 111 / 1e9 * 0.50);
        ASSERT_EQ(CENTS(e.usd_logs), 0);   /* "well under a cent" */
        ASSERT_EQ(CENTS(e.usd_per_host), 49);

        /* Logs follow `interval`, not the heartbeat. */
        in.n_log_groups = 3;
        in.interval = 10 * USEC_PER_SEC;
        ASSERT_OK(cost_estimate(&in, &e));
        ASSERT_NEAR(e.log_events, 3 * 259200.0);
        ASSERT_NEAR(e.requests, 8640);
}

static void test_invalid(void)
{
        CostInput in = input(5 * USEC_PER_MINUTE);
        CostEstimate e;

        in.n_namespaces = 0;
        ASSERT_ERROR(cost_estimate(&in, &e), EINVAL);
        in = input(0);
        ASSERT_ERROR(cost_estimate(&in, &e), EINVAL);
        in = input(5 * USEC_PER_MINUTE);
        in.interval = 0;
        ASSERT_ERROR(cost_estimate(&in, &e), EINVAL);
        ASSERT_ERROR(cost_estimate(NULL, &e), EINVAL);
}

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;

        ASSERT_TRUE(json_object_object_get_ex(o, key, &v));
        return v;
}

static void test_format(void)
{
        _cleanup_free_ char *text = NULL, *json = NULL;
        _cleanup_(json_object_putp) json_object *doc = NULL;
        CostInput in = input(5 * USEC_PER_MINUTE);
        CostEstimate e;

        in.n_namespaces = 2;
        in.n_log_groups = 1;
        ASSERT_OK(cost_estimate(&in, &e));

        ASSERT_OK(cost_format_text(&in, &e, "/etc/cwguard/cwguard.yaml", &text));
        ASSERT_NOT_NULL(strstr(text, "Configuration: /etc/cwguard/cwguard.yaml\n"));
        ASSERT_NOT_NULL(strstr(text, "17,280"));
        ASSERT_NOT_NULL(strstr(text, "$0.17"));
        ASSERT_NOT_NULL(strstr(text, "43,200 events, 4.8 MB"));
        ASSERT_NOT_NULL(strstr(text, "<$0.01"));
        ASSERT_NOT_NULL(strstr(text, "Total per host"));
        ASSERT_NOT_NULL(strstr(text, "$0.58\n"));
        ASSERT_NOT_NULL(strstr(text, "fleet-wide"));
        ASSERT_NOT_NULL(strstr(text, "within ~15m"));
        ASSERT_EQ(text[strlen(text) - 1], '\n');

        ASSERT_OK(cost_format_json(&in, &e, NULL, &json));
        doc = json_tokener_parse(json);
        ASSERT_NOT_NULL(doc);
        ASSERT_EQ(json_object_get_int(get(doc, "version")), 1);
        ASSERT_TRUE(json_object_is_type(get(doc, "config"), json_type_null));
        ASSERT_EQ(json_object_get_int(get(doc, "month_days")), 30);
        ASSERT_EQ(json_object_get_int64(get(get(doc, "put_metric_data_requests"), "quantity")),
                  17280);
        ASSERT_EQ(json_object_get_int64(get(get(doc, "log_ingestion_bytes"), "quantity")),
                  43200 * 111);
        ASSERT_EQ(json_object_get_int64(get(get(doc, "log_ingestion_bytes"), "events")), 43200);
        ASSERT_EQ(json_object_get_int(get(get(doc, "fleet_shared_custom_metrics"), "quantity")), 1);
        ASSERT_TRUE(fabs(json_object_get_double(get(doc, "usd_per_host")) - e.usd_per_host) < 1e-6);
        ASSERT_EQ(json_object_get_int(get(doc, "detection_within_s")), 900);
        ASSERT_EQ(json_object_get_int(get(get(doc, "inputs"), "log_event_bytes")), 111);
        /* Short numbers, not json-c's 17 digits. */
        ASSERT_NOT_NULL(strstr(json, "\"usd\": 0.1728"));
}

int main(void)
{
        TEST(test_readme_table);
        TEST(test_detail_and_namespaces);
        TEST(test_heartbeat_comes_with_rounds);
        TEST(test_logs);
        TEST(test_invalid);
        TEST(test_format);
        return 0;
}
