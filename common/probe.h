#pragma once
/* SPDX-License-Identifier: MIT */
/* probe.h: what one round of probes found, as plain data (results, host, identity). */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/aws-call.h"
#include "common/aws-error.h"
#include "common/credentials.h"
#include "common/macro.h"
#include "common/result-class.h"
#include "common/util.h"

/*
 * The kinds of probe. The strings are a public contract (probe ids, status JSON, journal
 * CWGUARD_PROBE=): append, never rename.
 */
typedef enum ProbeKind {
        PROBE_KIND_IMDS,        /* "imds": reachability and token health of IMDS */
        PROBE_KIND_IDENTITY,    /* "identity": STS GetCallerIdentity */
        PROBE_KIND_METRICS,     /* "metrics": PutMetricData into one namespace */
        PROBE_KIND_LOGS,        /* "logs": PutLogEvents into one log group */
        PROBE_KIND_ENDPOINT,    /* "endpoint": DNS, TCP and TLS to one service endpoint */
        PROBE_KIND_AGENT,       /* "agent": the CloudWatch agent itself (unit, log) */
        _PROBE_KIND_MAX,
        _PROBE_KIND_INVALID = -EINVAL,
} ProbeKind;

const char *probe_kind_to_string(ProbeKind k) _const_;
ProbeKind probe_kind_from_string(const char *s) _pure_;

/* Where an address lives: a VPC interface endpoint resolves to private addresses. */
typedef enum AddressScope {
        ADDRESS_SCOPE_UNKNOWN,     /* "unknown" */
        ADDRESS_SCOPE_PUBLIC,      /* "public" */
        ADDRESS_SCOPE_PRIVATE,     /* "private": RFC 1918, RFC 6598 shared, IPv6 ULA */
        ADDRESS_SCOPE_LOOPBACK,    /* "loopback" */
        ADDRESS_SCOPE_LINK_LOCAL,  /* "link-local" */
        _ADDRESS_SCOPE_MAX,
        _ADDRESS_SCOPE_INVALID = -EINVAL,
} AddressScope;

const char *address_scope_to_string(AddressScope s) _const_;
AddressScope address_scope_from_string(const char *s) _pure_;

/**
 * address_scope_of() - the scope of a numeric IPv4 or IPv6 address.
 * @address: "10.0.1.5", "2001:db8::1", ...; NULL or unparsable gives unknown.
 */
AddressScope address_scope_of(const char *address) _pure_;

/* What the endpoint probe measured (kind endpoint only). Durations, not offsets. */
typedef struct ProbeNetwork {
        char *host;               /* the endpoint's host name */
        char *address;            /* the address connected to, or last tried; NULL if none */
        AddressScope scope;       /* of @address */
        bool fresh;               /* a fresh DNS/TCP/TLS check was made in this round */
        bool connected;           /* fresh check: TCP was established (even if TLS then failed) */
        bool via_proxy;           /* the check went through an HTTPS proxy (DNS is the proxy's) */
        usec_t dns;               /* name resolution took this long; 0: not reached */
        usec_t connect;           /* TCP connect after DNS; 0: not reached */
        usec_t tls;               /* TLS handshake after connect; 0: not reached */
        usec_t last_fresh_check;  /* realtime µs of the latest fresh check (this round or before) */
        char *evidence;           /* !fresh: the probe id whose warm request answered */
} ProbeNetwork;

/*
 * What the agent probes found (kind agent only). Every string came from D-Bus or the agent's
 * log, i.e. from outside: sanitised (one line, valid UTF-8, capped) before it is stored here.
 */
typedef struct ProbeAgent {
        /* agent:unit */
        char *unit;               /* "amazon-cloudwatch-agent.service" */
        char *load_state;         /* "loaded", "not-found", ...; NULL: not asked */
        char *active_state;       /* "active", "failed", "activating", ... */
        char *sub_state;          /* "running", "auto-restart", ... */
        char *unit_result;        /* the Service's Result: "success", "exit-code", ... */
        uint64_t n_restarts;      /* NRestarts (automatic restarts since the unit was loaded) */
        bool has_n_restarts;
        uint64_t new_restarts;    /* NRestarts growth since the previous round (daemon) */
        usec_t active_enter;      /* realtime µs of the current activation, 0: unknown */
        /* agent:log */
        char *log;                /* the log file's path */
        uint64_t error_lines;     /* error lines found in this round's scan */
        char *last_line;          /* the last of them, sanitised and capped; NULL: none */
        usec_t last_line_at;      /* its timestamp (realtime µs), 0: none */
        uint64_t skipped_bytes;   /* not read this round (beyond the per-round cap) */
        bool from_window;         /* counted within @window (first round, one-shot check), not
                                   * since the previous round */
        usec_t window;            /* agent.log_window, for the message */
} ProbeAgent;

/*
 * One probe's result. Strings are owned; NULL where a field does not apply (the JSON shows
 * null). The round fills the facts; diagnosis_explain() fills @message and @remedy.
 */
typedef struct ProbeResult {
        char *id;                 /* "imds", "identity", "metrics:CWAgent", "logs:/aws/ec2/app",
                                   * "endpoint:logs", "agent:unit", "agent:log" */
        ProbeKind kind;
        char *target;             /* namespace, log group or service; NULL for imds/identity */
        char *endpoint;           /* the URL (or IMDS endpoint) the probe talked to */
        char *source;             /* where the probe came from: "config", "default" */

        bool ok;
        ResultClass class;
        usec_t latency;           /* of the probe's decisive request; 0 if none was made */
        unsigned attempts;        /* requests made for the decisive call (retries included) */
        bool skipped;             /* not run this round (e.g. no credentials): see @aws_message */
        const char *skip_reason;  /* static text: why it was skipped; NULL: for want of
                                   * credentials (or, class timeout, of time) */

        long http_status;         /* 0: no HTTP response */
        char *aws_error_code;     /* "AccessDeniedException", ...; NULL if none */
        char *request_id;
        char *aws_message;        /* AWS's (sanitised) message, or the transport's / IMDS's */
        AccessDenied denied;      /* principal, action, resource, policy layer, deny, policy ARN */
        int64_t clock_offset_sec; /* server minus local time */
        bool has_clock_offset;

        char *message;            /* one readable line: what is wrong (or what worked) */
        char *remedy;             /* one or two sentences naming the exact change; NULL when ok */

        ProbeNetwork net;         /* endpoint probes */
        ProbeAgent agent;         /* agent probes */
        char *operation;          /* the AWS operation of the decisive call ("PutLogEvents") */
        char *role_arn;           /* the role the probe ran as (STS AssumeRole); NULL: the base
                                   * credentials */

        AwsCallDebug *debug;      /* with debug on: one record per AWS call made, in order */
        size_t n_debug;
} ProbeResult;

/**
 * probe_agent_done() - free what @a owns and reset it (idempotent).
 */
void probe_agent_done(ProbeAgent *a);

/**
 * probe_result_done() - free what @r owns and reset it (idempotent).
 */
void probe_result_done(ProbeResult *r);

/* The host the round ran on; NULL where unknown (not on EC2, IMDS unreachable). */
typedef struct ProbeHost {
        char *instance_id;
        char *region;
        char *account_id;
        char *availability_zone;
        char *hostname;           /* gethostname(): stands in for the instance id off EC2 */
        char *auto_scaling_group; /* the heartbeat's AutoScalingGroupName dimension, or NULL */
} ProbeHost;

/* Who the signed probes ran as. */
typedef struct ProbeIdentity {
        char *arn;                /* from GetCallerIdentity; NULL if it failed */
        char *account;
        char *user_id;
        CredentialSource credential_source; /* _CREDENTIAL_SOURCE_INVALID: none */
        char *credential_detail;  /* "role R", "profile P in F", "environment" (no secrets) */
        char *access_key_id;      /* the key id (not secret; CloudTrail shows it) */
        char *role_arn;           /* the agent-level role the identity probe assumed; NULL: none */
        usec_t expires_at;        /* realtime µs, 0: does not expire / unknown */
        char *credential_warning; /* one line, e.g. the credentials file is readable by other
                                   * users; NULL: none. Not part of the status JSON. */
} ProbeIdentity;

/* One whole round. */
typedef struct ProbeReport {
        usec_t generated_at;      /* realtime µs when the round finished */
        usec_t duration;          /* how long the round took */
        ProbeHost host;
        ProbeIdentity identity;
        ProbeResult *probes;
        size_t n_probes;
        int heartbeat_value;      /* the Heartbeat value sent this round, -1 if none was sent */
} ProbeReport;

void probe_report_done(ProbeReport *r);

/**
 * probe_report_find() - the result with id @id, or NULL.
 */
ProbeResult *probe_report_find(const ProbeReport *r, const char *id) _pure_;

/**
 * probe_report_n_failing() - how many results are not ok.
 */
size_t probe_report_n_failing(const ProbeReport *r) _pure_;
