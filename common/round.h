#pragma once
/* SPDX-License-Identifier: MIT */
/* round.h: one round of probes on the event loop, and the Prober that keeps state between rounds. */

#include <errno.h>
#include <stdbool.h>

#include <systemd/sd-event.h>

#include "common/credentials.h"
#include "common/http.h"
#include "common/probe.h"
#include "common/util.h"

typedef struct Prober Prober;

/* The services probed; the strings are the endpoint prefixes and the `endpoint:` probe targets. */
typedef enum ProbeService {
        PROBE_SERVICE_MONITORING,  /* "monitoring": CloudWatch */
        PROBE_SERVICE_LOGS,        /* "logs": CloudWatch Logs */
        PROBE_SERVICE_STS,         /* "sts" */
        _PROBE_SERVICE_MAX,
        _PROBE_SERVICE_INVALID = -EINVAL,
} ProbeService;

const char *probe_service_to_string(ProbeService s) _const_;
ProbeService probe_service_from_string(const char *s) _pure_;

#define ROUND_DEFAULT_NAMESPACE "CWAgent"
#define ROUND_HEARTBEAT_METRIC "Heartbeat"
#define ROUND_FAILING_METRIC "FailingProbes"
#define ROUND_PROBE_METRIC "cwguard_probe"
#define ROUND_DEFAULT_LOG_STREAM "cwguard-{instance_id}"
#define ROUND_DEFAULT_AGENT_LOG_WINDOW (10 * USEC_PER_MINUTE)

/* What to probe and how. Strings are copied by prober_start_round(). */
typedef struct RoundOptions {
        const char *region;            /* NULL: from the IMDS identity document */
        const char *endpoints[_PROBE_SERVICE_MAX]; /* explicit URLs; NULL: the regional default */
        char **namespaces;             /* metrics probes, in order; may be NULL (empty) */
        const char *metrics_source;    /* "config" or "default": where the namespaces came from */
        char **metrics_sources;        /* NULL, or one per namespace (e.g. the agent's file) */
        char **log_groups;             /* logs probes, in order; may be NULL (empty); names may
                                        * be the agent's templates ("{instance_id}"...), expanded
                                        * once IMDS has answered, as the agent expands them */
        const char *logs_source;
        char **log_group_sources;      /* NULL, or one per log group */
        const char *log_stream;        /* template: {instance_id}, {hostname}, {ip_address};
                                        * NULL: ROUND_DEFAULT_LOG_STREAM */
        bool create_log_group;         /* create a missing log group (else report it) */
        const char *heartbeat_namespace; /* NULL: the first namespace, else "CWAgent" */
        const char *auto_scaling_group;  /* adds the AutoScalingGroupName dimension */
        bool auto_scaling_group_from_tags; /* none configured: the instance tag, if IMDS has it */
        bool heartbeat_detail;         /* also send FailingProbes (a second custom metric) */
        bool billed;                   /* send the PutMetricData probes (the heartbeat included) */
        usec_t timeout;                /* per request; 0: 5 s */
        usec_t budget;                 /* the round is cut off after this; 0: 60 s */
        usec_t endpoint_check_interval; /* fresh DNS/TCP/TLS checks at least this often; 0: 1 h */
        bool force_endpoint_check;     /* fresh checks this round whatever the schedule */
        bool debug;                    /* keep the debug record of every AWS call */
        const char *proxy;             /* the HTTPS proxy the HTTP client uses, for reporting */
        const char *role_arns[_PROBE_SERVICE_MAX]; /* the role the agent assumes for the
                                        * service's calls (monitoring: metrics, logs: logs, sts:
                                        * the agent-level role); NULL: the base credentials */
        const char *agent_unit;        /* the agent's systemd unit; NULL: no agent:unit probe */
        const char *agent_log;         /* the agent's log file; NULL: no agent:log probe */
        usec_t agent_log_window;       /* one-shot look-back over the log; 0: 10 min */
        bool agent_installed;          /* the agent's configuration exists (for messages) */
} RoundOptions;

/*
 * Called once per round from the event loop. @report is owned by the prober and valid during the
 * call; move it out (*mine = *report; *report = (ProbeReport) {}) to keep it. The callback may
 * start the next round, and may free the prober.
 */
typedef void (*RoundCallback)(Prober *p, ProbeReport *report, void *userdata);

/**
 * prober_new() - create the state that lives across rounds (endpoint check schedule).
 * @event: the loop; a reference is taken.
 * @http: the HTTP client for every request; must outlive the prober.
 * @credentials: the credential provider (its IMDS client serves the imds probe); must outlive
 *               the prober.
 * @ret: the prober.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int prober_new(sd_event *event, HttpClient *http, CredentialsProvider *credentials, Prober **ret);

/**
 * prober_free() - cancel a running round (its callback is not called) and free.
 *
 * Return: NULL.
 */
Prober *prober_free(Prober *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Prober *, prober_free);

/**
 * prober_start_round() - run every probe of @opts concurrently; never blocks.
 * @p: the prober.
 * @opts: what to probe.
 * @callback: called once with the report.
 * @userdata: for @callback.
 *
 * Order inside the round: the imds probe and the credentials (refreshed only when there are no
 * usable ones) first; the endpoint probes as soon as the region is known; the signed probes
 * (identity, metrics, logs) once credentials are settled; the agent probes (agent:unit over
 * D-Bus, agent:log from the agent's log file) with the imds probe, in every round; the
 * heartbeat PutMetricData last, with
 * value 1 when every other probe is ok and 0 otherwise. Every result is explained
 * (diagnosis_explain_report()) before @callback runs.
 *
 * Return: 0; -EBUSY if a round is running; -EINVAL; -ENOMEM.
 */
int prober_start_round(Prober *p, const RoundOptions *opts, RoundCallback callback,
                       void *userdata);

/**
 * prober_adopt_agent_history() - take over what @old knows of the agent: how far its log was
 * read and the unit's restart count at its last round (and its bus connection), so that a
 * reload neither reports the same log lines again nor misses restarts.
 * @p: the new prober (no round run yet).
 * @old: the prober it replaces; left without that history.
 */
void prober_adopt_agent_history(Prober *p, Prober *old);

/**
 * prober_is_running() - whether a round is in flight.
 */
bool prober_is_running(const Prober *p) _pure_;

/**
 * prober_cancel_round() - abort the running round, if any; its callback is not called.
 */
void prober_cancel_round(Prober *p);

/**
 * round_expand_log_stream() - expand a log stream name template as the CloudWatch agent does.
 * @template: e.g. "cwguard-{instance_id}"; "{instance_id}", "{hostname}", "{local_hostname}",
 *            "{ip_address}" are replaced, other text is kept.
 * @instance_id: NULL off EC2: the host name stands in, as the agent does on premises.
 * @hostname: the host name.
 * @ip_address: NULL: "unknown".
 * @ret: the name, with ':' and '*' (not allowed in stream names) replaced by '_', at most 512
 *       bytes.
 *
 * Return: 0; -EINVAL if the result is empty; -ENOMEM.
 */
int round_expand_log_stream(const char *template, const char *instance_id, const char *hostname,
                            const char *ip_address, char **ret);
