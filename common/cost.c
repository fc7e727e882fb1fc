/* SPDX-License-Identifier: MIT */
/*
 * cost.c: what cwguard adds to a host's AWS bill in a month, from the configuration's numbers,
 * for `cwguardctl cost` and the benchmark that checks it against the requests the simulator
 * counted. The model follows the daemon (daemon/manager.c, common/round.c): every round sends one
 * PutLogEvents per log group (ingestion is billed, the request is not); every billed round — the
 * first round at least heartbeat.interval after the last billed one — sends one PutMetricData per
 * namespace; the heartbeat namespace carries the host's Heartbeat (and FailingProbes with
 * heartbeat.detail), any other one a dimensionless cwguard_probe the whole fleet shares; one
 * standard alarm watches the heartbeat. STS, IMDS, the endpoint checks and CreateLogStream are
 * free. Pure: no I/O, no logging; prices are the named constants of cost.h.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/cost.h"
#include "common/json-util.h"
#include "common/status.h"
#include "common/util.h"

/* common/probe-aws.c's message, with a 20-character ISO 8601 time ("2026-01-01T00:00:00Z"). */
#define LOG_MESSAGE_HEAD "cwguard probe: "
#define LOG_MESSAGE_MID " can write to this log group ("
#define LOG_MESSAGE_TAIL ")"
#define ISO8601_LEN STRLEN("2026-01-01T00:00:00Z")

size_t cost_log_message_bytes(size_t instance_id_len)
{
        return STRLEN(LOG_MESSAGE_HEAD) + instance_id_len + STRLEN(LOG_MESSAGE_MID) + ISO8601_LEN +
               STRLEN(LOG_MESSAGE_TAIL);
}

int cost_estimate(const CostInput *in, CostEstimate *ret)
{
        CostEstimate e = {};
        usec_t periods;

        if (!in || !ret || in->interval == 0 || in->heartbeat_interval == 0 ||
            in->n_namespaces == 0)
                return -EINVAL;

        /* A billed round is a round: heartbeat.interval is met by the first round at or after it
         * (manager_start_round()), so heartbeats come every whole number of intervals. */
        periods = (in->heartbeat_interval + in->interval - 1) / in->interval;
        e.billed_period = periods * in->interval;
        /* CloudWatch periods are multiples of 60 s: cwguardctl alarm rounds up to minutes. */
        e.alarm_period = (in->heartbeat_interval + USEC_PER_MINUTE - 1) / USEC_PER_MINUTE *
                         USEC_PER_MINUTE;
        /* A failure just after a heartbeat: that period still holds a good datapoint, then two
         * whole breaching periods. */
        e.detection_delay = 3 * MAX(e.alarm_period, e.billed_period);

        e.rounds = (double) COST_MONTH_SECONDS * USEC_PER_SEC / (double) in->interval;
        e.billed_rounds = (double) COST_MONTH_SECONDS * USEC_PER_SEC / (double) e.billed_period;
        e.requests = e.billed_rounds * in->n_namespaces;
        e.host_metrics = 1 + !!in->heartbeat_detail;
        e.shared_metrics = in->n_namespaces - 1;
        e.log_events = e.rounds * in->n_log_groups;
        e.log_bytes = e.log_events *
                      (double) (in->log_message_bytes + COST_LOG_EVENT_OVERHEAD_BYTES);
        e.alarms = in->n_alarms;
        e.heartbeat_sparse = e.billed_period > USEC_PER_HOUR;

        e.usd_requests = e.requests / 1000 * COST_USD_PER_1000_PUT_METRIC_DATA;
        e.usd_host_metrics = e.host_metrics * COST_USD_PER_CUSTOM_METRIC_MONTH;
        e.usd_logs = e.log_bytes / COST_BYTES_PER_GB * COST_USD_PER_LOGS_INGESTED_GB;
        e.usd_alarms = e.alarms * COST_USD_PER_STANDARD_ALARM_MONTH;
        e.usd_per_host = e.usd_requests + e.usd_host_metrics + e.usd_logs + e.usd_alarms;
        e.usd_fleet_shared = e.shared_metrics * COST_USD_PER_CUSTOM_METRIC_MONTH;

        *ret = e;
        return 0;
}

/* ---- text -------------------------------------------------------------------------------- */

/* "5m", "1m30s", "2h", "250ms": how cwguard.yaml writes durations. */
static char *duration_format(usec_t u, char buf[static 32])
{
        static const struct { usec_t unit; const char *suffix; } units[] = {
                { 24 * USEC_PER_HOUR, "d" }, { USEC_PER_HOUR, "h" }, { USEC_PER_MINUTE, "m" },
                { USEC_PER_SEC, "s" }, { USEC_PER_MSEC, "ms" },
        };
        size_t n = 0;

        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(units) && n < 24; i++)
                if (u >= units[i].unit) {
                        n += (size_t) snprintf(buf + n, 32 - n, "%llu%s",
                                               (unsigned long long) (u / units[i].unit),
                                               units[i].suffix);
                        u %= units[i].unit;
                }
        if (n == 0)
                snprintf(buf, 32, "%lluus", (unsigned long long) u);
        return buf;
}

/* 43200 -> "43,200" (rounded to a whole number). */
static char *count_format(double v, char buf[static 32])
{
        char digits[24];
        size_t n, o = 0;

        snprintf(digits, sizeof(digits), "%.0f", v);
        n = strlen(digits);
        for (size_t i = 0; i < n && o < 30; i++) {
                if (i > 0 && (n - i) % 3 == 0)
                        buf[o++] = ',';
                buf[o++] = digits[i];
        }
        buf[o] = 0;
        return buf;
}

/* Dollars to the cent; a charge that rounds to nothing but is not nothing says so. */
static char *usd_format(double v, char buf[static 32])
{
        if (v > 0 && v < 0.005)
                snprintf(buf, 32, "<$0.01");
        else
                snprintf(buf, 32, "$%.2f", v);
        return buf;
}

/* Decimal units, as AWS bills them. */
static char *bytes_format(double v, char buf[static 32])
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
        size_t i = 0;

        while (v >= 1000 && i + 1 < ELEMENTSOF(units)) {
                v /= 1000;
                i++;
        }
        snprintf(buf, 32, i == 0 ? "%.0f %s" : "%.1f %s", v, units[i]);
        return buf;
}

/* One line of the table, and under it @note (NULL: none). */
static int row_add(char **s, const char *item, const char *quantity, double unit_usd,
                   const char *per, double usd, const char *note)
{
        char price[32], cost[32];
        int r;

        snprintf(price, sizeof(price), "$%.2f %s", unit_usd, per);
        r = strextend_printf(s, "%-30s %-26s %-18s %s\n", item, quantity, price,
                             usd_format(usd, cost));
        if (r >= 0 && note)
                r = strextend_printf(s, "  %s\n", note);
        return r;
}

int cost_format_text(const CostInput *in, const CostEstimate *e, const char *config_line,
                     char **ret)
{
        _cleanup_free_ char *s = NULL, *note = NULL, *quantity = NULL;
        char a[32], b[32];
        int r;

        r = strextend_printf(&s, "cwguard's AWS charges for one host and a %d-day month, at "
                                 "us-east-1 list prices\n", COST_MONTH_SECONDS / 86400);
        if (r >= 0 && config_line)
                r = strextend_printf(&s, "Configuration: %s\n", config_line);
        if (r >= 0)
                r = strextend_printf(&s, "\n%-30s %-26s %-18s %s\n", "ITEM", "A MONTH", "PRICE",
                                     "COST");
        if (r < 0)
                return r;

        if (asprintf(&note, "%u namespace%s, a request each every %s%s", in->n_namespaces,
                     in->n_namespaces == 1 ? "" : "s", duration_format(e->billed_period, a),
                     e->billed_period != in->heartbeat_interval ?
                     " (heartbeat.interval in whole intervals)" : "") < 0)
                return -ENOMEM;
        r = row_add(&s, "PutMetricData requests", count_format(e->requests, a),
                    COST_USD_PER_1000_PUT_METRIC_DATA, "per 1,000", e->usd_requests, note);
        if (r < 0)
                return r;

        snprintf(a, sizeof(a), "%u", e->host_metrics);
        r = row_add(&s, "Custom metrics, this host", a, COST_USD_PER_CUSTOM_METRIC_MONTH, "each",
                    e->usd_host_metrics,
                    in->heartbeat_detail ? "Heartbeat, FailingProbes" : "Heartbeat");
        if (r < 0)
                return r;

        note = mfree(note);
        if (in->n_log_groups > 0 &&
            asprintf(&note, "%u log group%s, a %zu-byte event each every %s", in->n_log_groups,
                     in->n_log_groups == 1 ? "" : "s",
                     in->log_message_bytes + COST_LOG_EVENT_OVERHEAD_BYTES,
                     duration_format(in->interval, a)) < 0)
                return -ENOMEM;
        if (asprintf(&quantity, "%s events, %s", count_format(e->log_events, a),
                     bytes_format(e->log_bytes, b)) < 0)
                return -ENOMEM;
        r = row_add(&s, "Log ingestion", quantity, COST_USD_PER_LOGS_INGESTED_GB, "per GB",
                    e->usd_logs, note ?: "no log groups probed");
        if (r < 0)
                return r;

        snprintf(a, sizeof(a), "%u", e->alarms);
        r = row_add(&s, "Alarm, standard resolution", a, COST_USD_PER_STANDARD_ALARM_MONTH,
                    "each", e->usd_alarms, NULL);
        if (r >= 0)
                r = strextend_printf(&s, "%-30s %-26s %-18s %s\n", "Total per host", "", "",
                                     usd_format(e->usd_per_host, a));
        if (r >= 0 && e->shared_metrics > 0) {
                snprintf(a, sizeof(a), "%u", e->shared_metrics);
                r = row_add(&s, "Custom metrics, fleet-wide", a, COST_USD_PER_CUSTOM_METRIC_MONTH,
                            "each", e->usd_fleet_shared,
                            "cwguard_probe in each namespace but the heartbeat's, once for the "
                            "whole fleet");
        }
        if (r >= 0)
                r = strextend_printf(&s, "\nDetection: the alarm fires within ~%s of a failure "
                                         "(three periods of %s).\n",
                                     duration_format(e->detection_delay, a),
                                     duration_format(MAX(e->alarm_period, e->billed_period), b));
        if (r >= 0)
                r = strextend_printf(&s,
                                     "Free: STS GetCallerIdentity, IMDS, the endpoint checks, "
                                     "CreateLogStream; PutLogEvents\n"
                                     "requests are not charged, only the bytes ingested.\n"
                                     "Assumed: the counts are the most the daemon sends (rounds "
                                     "start up to 10 %% late, so\n"
                                     "up to ~5 %% fewer); a log event is metered as its message "
                                     "plus %d bytes, a GB\n"
                                     "as 10^9 bytes; a custom metric costs a whole month when it "
                                     "gets data at least\n"
                                     "hourly. Not included: network charges (NAT gateway, VPC "
                                     "endpoints), the CloudWatch\n"
                                     "agent's own metrics and logs.\n",
                                     COST_LOG_EVENT_OVERHEAD_BYTES);
        if (r >= 0 && e->heartbeat_sparse)
                r = strextend_printf(&s, "Heartbeats come less than hourly: CloudWatch prorates "
                                         "custom metrics by the hour,\n"
                                         "so the metrics cost less than shown.\n");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* A number as "%.6g" would print it, not json-c's 17 digits (0.0864, not 0.086400000000000005). */
static json_object *json_number(double v)
{
        char buf[32];

        if (v > -1e15 && v < 1e15 && v == (double) (int64_t) v)
                return json_object_new_int64((int64_t) v);
        snprintf(buf, sizeof(buf), "%.6g", v);
        return json_object_new_double_s(v, buf);
}

static json_object *json_seconds(usec_t u)
{
        return json_number((double) u / USEC_PER_SEC);
}

/* Adds @key: @v to @o; false (and @v released) on failure. */
static bool add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return false;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return false;
        }
        return true;
}

static json_object *item(double quantity, double unit_usd, double usd)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (!add(o, "quantity", json_number(quantity)) ||
            !add(o, "unit_usd", json_number(unit_usd)) || !add(o, "usd", json_number(usd))) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

int cost_format_json(const CostInput *in, const CostEstimate *e, const char *config, char **ret)
{
        _cleanup_(json_object_putp) json_object *doc = json_object_new_object();
        json_object *inputs, *rq, *metrics, *logs, *alarm, *shared;

        if (!doc || !add(doc, "version", json_object_new_int(1)) ||
            (config ? !add(doc, "config", json_object_new_string(config)) :
                      json_object_object_add(doc, "config", NULL) < 0) ||
            !add(doc, "month_days", json_object_new_int(COST_MONTH_SECONDS / 86400)) ||
            !add(doc, "prices", json_object_new_string("us-east-1 list prices, first tier")))
                return -ENOMEM;

        if (!add(doc, "inputs", inputs = json_object_new_object()) ||
            !add(inputs, "interval_s", json_seconds(in->interval)) ||
            !add(inputs, "heartbeat_interval_s", json_seconds(in->heartbeat_interval)) ||
            !add(inputs, "namespaces", json_object_new_int((int) in->n_namespaces)) ||
            !add(inputs, "heartbeat_detail", json_object_new_boolean(in->heartbeat_detail)) ||
            !add(inputs, "log_groups", json_object_new_int((int) in->n_log_groups)) ||
            !add(inputs, "log_event_bytes",
                 json_object_new_int64((int64_t) (in->log_message_bytes +
                                                  COST_LOG_EVENT_OVERHEAD_BYTES))) ||
            !add(inputs, "alarms", json_object_new_int((int) in->n_alarms)))
                return -ENOMEM;

        if (!add(doc, "billed_period_s", json_seconds(e->billed_period)) ||
            !add(doc, "alarm_period_s", json_seconds(e->alarm_period)) ||
            !add(doc, "detection_within_s", json_seconds(e->detection_delay)) ||
            !add(doc, "rounds", json_number((double) u64_round(e->rounds))) ||
            !add(doc, "billed_rounds", json_number((double) u64_round(e->billed_rounds))))
                return -ENOMEM;

        rq = item((double) u64_round(e->requests), COST_USD_PER_1000_PUT_METRIC_DATA / 1000,
                  e->usd_requests);
        metrics = item(e->host_metrics, COST_USD_PER_CUSTOM_METRIC_MONTH, e->usd_host_metrics);
        logs = item((double) u64_round(e->log_bytes),
                    COST_USD_PER_LOGS_INGESTED_GB / COST_BYTES_PER_GB, e->usd_logs);
        alarm = item(e->alarms, COST_USD_PER_STANDARD_ALARM_MONTH, e->usd_alarms);
        shared = item(e->shared_metrics, COST_USD_PER_CUSTOM_METRIC_MONTH, e->usd_fleet_shared);
        if (!add(doc, "put_metric_data_requests", rq) |
            !add(doc, "custom_metrics", metrics) |
            !add(doc, "log_ingestion_bytes", logs) |
            !add(doc, "alarms", alarm) |
            !add(doc, "fleet_shared_custom_metrics", shared))
                return -ENOMEM;
        if (!add(logs, "events", json_number((double) u64_round(e->log_events))) ||
            !add(doc, "usd_per_host", json_number(e->usd_per_host)) ||
            !add(doc, "usd_fleet_shared", json_number(e->usd_fleet_shared)) ||
            !add(doc, "metrics_prorated", json_object_new_boolean(e->heartbeat_sparse)))
                return -ENOMEM;

        return status_json_format(doc, STATUS_JSON_PRETTY, ret);
}
