#pragma once
/* SPDX-License-Identifier: MIT */
/* round-internal.h: the state of a running round, shared by round.c and the probe-*.c files. */

#include "common/assume-role.h"
#include <systemd/sd-bus.h>

#include "common/agent-log.h"
#include "common/agent-unit.h"
#include "common/aws-call.h"
#include "common/imds.h"
#include "common/round.h"

typedef struct Round Round;
typedef struct RoundRole RoundRole;

/* The in-flight part of one probe; runs[i] belongs to report.probes[i]. */
typedef struct ProbeRun {
        Round *round;
        size_t index;
        ProbeService service;          /* for identity/metrics/logs/endpoint */
        bool heartbeat;                /* the metrics probe that carries the heartbeat */
        bool started, finished;
        unsigned step;                 /* logs: which call of the sequence is running */
        unsigned steps_done;           /* logs: mask of the steps started (each runs once) */
        bool due;                      /* endpoint: a fresh check is due this round */
        AwsCallConnection fresh;       /* signed probes: the first connection one of its
                                        * requests opened (the endpoint's fresh check) */
        AwsCall *call;
        HttpRequest *request;          /* endpoint fresh check */
        ImdsOperation *imds;
        AgentUnitQuery *unit_query;    /* agent:unit */
        usec_t unit_started;           /* CLOCK_MONOTONIC */
} ProbeRun;

typedef enum RoundStage {
        ROUND_STAGE_BOOT,       /* imds probe, credentials, fresh endpoint checks */
        ROUND_STAGE_SIGNED,     /* identity, logs, metrics other than the heartbeat */
        ROUND_STAGE_HEARTBEAT,  /* the heartbeat PutMetricData */
        ROUND_STAGE_EVIDENCE,   /* endpoints not checked fresh: warm evidence or a late check */
        ROUND_STAGE_DONE,
} RoundStage;

struct Round {
        Prober *prober;
        RoundCallback callback;
        void *userdata;

        /* Copies of the options. */
        char *region;
        bool region_configured;
        char *endpoints[_PROBE_SERVICE_MAX];
        char **namespaces;             /* heartbeat namespace included */
        char *heartbeat_namespace;
        char **log_groups;
        char **namespace_sources;      /* parallel to namespaces; entries may be "" (default) */
        char **log_group_sources;      /* parallel to log_groups */
        char *log_stream_template;
        char *log_stream;              /* expanded once the instance id is known */
        char *auto_scaling_group;      /* configured; else the instance tag when asg_from_tags */
        bool asg_from_tags;
        ImdsOperation *asg_op;         /* the tag lookup in flight */
        ImdsOperation *hostname_op;    /* the meta-data/hostname lookup in flight: the log
                                        * group templates wait for it */
        char *metrics_source, *logs_source;
        char *agent_unit;              /* NULL: no agent:unit probe */
        char *agent_log;               /* NULL: no agent:log probe */
        usec_t agent_log_window;
        bool agent_installed;
        bool create_log_group, heartbeat_detail, billed, force_endpoint_check, debug, via_proxy;
        usec_t timeout, budget, endpoint_check_interval;

        RoundStage stage;
        usec_t started;                /* CLOCK_MONOTONIC */
        usec_t deadline;               /* CLOCK_MONOTONIC */
        sd_event_source *deadline_timer;
        sd_event_source *finish_source;
        unsigned n_pending;

        bool imds_done;
        ResultClass imds_class;
        char *private_ip;

        bool credentials_settled;
        AwsCredentials *credentials;   /* this round's copy; NULL if none usable */
        ResultClass credentials_class;
        char *credentials_message;
        CredentialsRefresh *refresh;

        /* round-role.c: the roles the agent assumes, per service (NULL: base credentials). */
        char *role_arns[_PROBE_SERVICE_MAX];
        RoundRole *roles;              /* one per distinct role */
        size_t n_roles;
        unsigned roles_pending;        /* AssumeRole calls in flight (also in n_pending) */
        bool roles_started;

        ProbeReport report;
        ProbeRun *runs;
        size_t n_runs;                 /* = report.n_probes until the report is handed out */
};

struct Prober {
        sd_event *event;
        HttpClient *http;
        CredentialsProvider *credentials;
        Round *round;
        struct {
                usec_t last_fresh_check;   /* realtime µs, 0: never */
                bool failed;               /* the latest check or evidence failed */
        } endpoints[_PROBE_SERVICE_MAX];
        /* The instance's aws:autoscaling:groupName tag, looked up once: an instance never moves
         * to another group, and a dimension that came and went would break the alarm. */
        bool asg_looked_up;
        char *asg;                         /* NULL: no such tag, or tags not in metadata */
        /* meta-data/hostname, what the agent puts for {hostname} (its local host name only
         * off EC2), looked up once when a log group template needs it. */
        bool hostname_looked_up;
        char *imds_hostname;               /* NULL: not on EC2, or IMDS has none */
        RoleSessions *role_sessions;       /* assumed-role sessions, kept across rounds */
        /* The agent probes' memory: the bus connection (reconnected when it dropped), the unit's
         * NRestarts at the previous round, and how far the agent's log has been read. */
        struct {
                sd_bus *bus;
                char *unit;                /* the unit @restarts belongs to */
                bool have_restarts;
                uint64_t restarts;
                AgentLogCursor cursor;
                char *log;                 /* the path @cursor belongs to */
        } agent;
};

/* round.c */
void round_op_done(Round *rd);
void round_imds_finished(Round *rd, ResultClass class, ImdsIdentity *identity);
const char *round_auto_scaling_group(const Round *rd);
void round_result_skip(ProbeResult *res, ResultClass class, const char *message);
void round_result_from_outcome(Round *rd, ProbeResult *res, AwsCallOutcome *o, const char *operation);

/* probe-aws.c: the signed probes. Each starts its requests and calls round_op_done() once. */
int probe_identity_start(ProbeRun *run);
int probe_metrics_start(ProbeRun *run);
int probe_logs_start(ProbeRun *run);

/* round-role.c: AssumeRole between BOOT and SIGNED. round_roles_start() is idempotent and
 * returns the number of AssumeRole calls still in flight. */
int round_roles_start(Round *rd);
void round_roles_cancel(Round *rd);
void round_roles_free(Round *rd);
/* The credentials a signed probe runs with: its role's session, else the base credentials;
 * NULL when it needs a role and there is no session. */
const AwsCredentials *round_run_credentials(const ProbeRun *run);
/* If the probe needs a role whose session is missing, finish it with the AssumeRole failure. */
bool round_role_block(ProbeRun *run);

/* probe-net.c: the imds probe and the endpoint checks. */
int probe_imds_start(ProbeRun *run);
int probe_endpoint_start(ProbeRun *run);
void probe_endpoint_from_connection(ProbeRun *run, const ProbeResult *src,
                                    const AwsCallConnection *c);
void probe_run_cancel(ProbeRun *run);

/* probe-agent.c: agent:unit and agent:log, started with the round. */
void probe_agent_start_all(Round *rd);
void prober_agent_done(Prober *p);
