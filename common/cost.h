#pragma once
/* SPDX-License-Identifier: MIT */
/* cost.h: what cwguard adds to the AWS bill, per host and month, from the configuration. */

#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"
#include "common/util.h"

/*
 * The month is 30 days, as the README's table (8,640 requests a month at 5 minutes). Prices are
 * the us-east-1 list prices the README quotes, first tier; other regions differ a little.
 */
#define COST_MONTH_SECONDS (30 * 24 * 3600)
#define COST_USD_PER_1000_PUT_METRIC_DATA 0.01   /* CloudWatch API requests */
#define COST_USD_PER_CUSTOM_METRIC_MONTH 0.30    /* the first 10,000 metrics */
#define COST_USD_PER_STANDARD_ALARM_MONTH 0.10   /* per standard-resolution alarm metric */
#define COST_USD_PER_LOGS_INGESTED_GB 0.50       /* CloudWatch Logs, Standard log class */
/* Assumed: Logs meters an event as its UTF-8 message plus 26 bytes, the rule PutLogEvents
 * applies to its batch size, and a GB as 10^9 bytes (the larger of the two readings). */
#define COST_LOG_EVENT_OVERHEAD_BYTES 26
#define COST_BYTES_PER_GB 1e9
/* "i-" and 17 hex digits: what the logs probe's message names on EC2. */
#define COST_EC2_INSTANCE_ID_LEN 19

typedef struct CostInput {
        usec_t interval;               /* rounds of the free probes and of the logs probe */
        usec_t heartbeat_interval;     /* the billed PutMetricData probes, the heartbeat */
        unsigned n_namespaces;         /* distinct PutMetricData namespaces, the heartbeat's
                                        * included: at least 1 */
        bool heartbeat_detail;         /* FailingProbes beside Heartbeat */
        unsigned n_log_groups;         /* distinct log groups of the logs probe */
        size_t log_message_bytes;      /* one probe event's message: cost_log_message_bytes() */
        unsigned n_alarms;             /* standard alarms on the heartbeat: 1 (cwguardctl alarm) */
} CostInput;

typedef struct CostEstimate {
        usec_t billed_period;          /* heartbeats really come this often: heartbeat.interval
                                        * rounded up to whole intervals (a billed round is a
                                        * round) */
        usec_t alarm_period;           /* the alarm's period: heartbeat.interval rounded up to
                                        * whole minutes, as cwguardctl alarm prints it */
        usec_t detection_delay;        /* worst case from a failure to ALARM: three periods */
        double rounds;                 /* rounds a month (each sends one event per log group) */
        double billed_rounds;          /* heartbeats a month */
        double requests;               /* PutMetricData requests a month, this host */
        unsigned host_metrics;         /* custom metrics of this host: Heartbeat (+FailingProbes) */
        unsigned shared_metrics;       /* cwguard_probe, one per extra namespace, fleet-wide */
        double log_events;
        double log_bytes;              /* metered: message + COST_LOG_EVENT_OVERHEAD_BYTES each */
        unsigned alarms;
        double usd_requests;
        double usd_host_metrics;
        double usd_logs;
        double usd_alarms;
        double usd_per_host;           /* the four above */
        double usd_fleet_shared;       /* the shared metrics: once for the whole fleet */
        bool heartbeat_sparse;         /* heartbeats less than hourly: metrics are prorated by the
                                        * hour, so usd_host_metrics is an upper bound */
} CostEstimate;

/**
 * cost_log_message_bytes() - the size of the one event the logs probe sends per log group.
 * @instance_id_len: the length of the instance id (COST_EC2_INSTANCE_ID_LEN; off EC2 the host
 *                   name's) the message names.
 *
 * The message is "cwguard probe: <instance id> can write to this log group (<ISO 8601 UTC>)",
 * as common/probe-aws.c writes it.
 *
 * Return: its length in bytes.
 */
size_t cost_log_message_bytes(size_t instance_id_len) _const_;

/**
 * cost_estimate() - the monthly charges of one host for @in.
 * @in: the configuration's numbers.
 * @ret: the estimate; untouched on failure.
 *
 * Every count is the most the daemon can make: rounds start `interval` plus a random splay of up
 * to 10 % apart, so real counts are up to about 5 % lower.
 *
 * Return: 0; -EINVAL for a zero interval or no namespace.
 */
int cost_estimate(const CostInput *in, CostEstimate *ret);

/**
 * cost_format_text() - the estimate as a table for people, with its assumptions.
 * @in: the input of cost_estimate().
 * @e: its estimate.
 * @config_line: the configuration's description for the header; NULL: none.
 * @ret: the text, ending in a newline.
 *
 * Return: 0 or -ENOMEM.
 */
int cost_format_text(const CostInput *in, const CostEstimate *e, const char *config_line,
                     char **ret);

/**
 * cost_format_json() - the estimate as one pretty-printed JSON document.
 * @in: the input of cost_estimate().
 * @e: its estimate.
 * @config: the configuration file's path; NULL: null.
 * @ret: the JSON text, ending in a newline.
 *
 * Return: 0 or -ENOMEM.
 */
int cost_format_json(const CostInput *in, const CostEstimate *e, const char *config, char **ret);
