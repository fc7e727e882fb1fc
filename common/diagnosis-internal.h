#pragma once
/* SPDX-License-Identifier: MIT */
/* diagnosis-internal.h: what the diagnosis-*.c files share while explaining one result. */

#include <stdio.h>

#include "common/diagnosis.h"

/* At most this much of AWS's (or the transport's) own text is quoted in a message. */
#define DIAGNOSIS_QUOTE_MAX 300

/*
 * One explanation in progress. The text is written with fprintf() into two memory streams; a
 * failed allocation sets the stream's error flag and is reported once, when the streams are
 * closed, so the writers themselves need no error paths.
 */
typedef struct Explain {
        ProbeResult *r;
        const DiagnosisContext *ctx;

        const char *region;       /* NULL: unknown */
        const char *region_text;  /* region, or "<region>" where a name needs one */
        const char *account;      /* the context's, or the principal ARN's; NULL: unknown */
        const char *principal;    /* the principal AWS evaluated, or the identity probe's */
        const char *role;         /* points into role_buf: the role (or user) name */
        const char *role_kind;    /* "role" or "user"; NULL if @role is NULL */
        const char *action;       /* "logs:PutLogEvents": the denied action or the operation's */
        const char *operation;    /* "PutLogEvents" (after the ':' of @action) */
        const char *service;      /* the endpoint service: "sts", "monitoring", "logs"; or NULL */
        const char *host;         /* the endpoint's host name; NULL if unknown */
        unsigned port;            /* the endpoint's TCP port (443 unless the URL names one) */
        const char *quote;        /* AWS's text, one line, capped; NULL if none */

        char *account_buf, *role_buf, *action_buf, *host_buf, *quote_buf;

        FILE *msg, *rem;          /* the message and the remedy being written */
        char *msg_buf, *rem_buf;
        size_t msg_size, rem_size;
} Explain;

/*
 * Write the problem part of the message (after "<subject>: ") and the remedy of a failed result
 * of class r->class. Implemented in diagnosis-remedy.c, one writer per class.
 */
int explain_failure(Explain *e);

/* The service of a signed probe's or an endpoint probe's endpoint ("logs"), NULL for imds. */
const char *diagnosis_service_of(const ProbeResult *r) _pure_;

/* "the instance profile (role R)", "AWS_ACCESS_KEY_ID/... in the environment", ... */
void explain_credential_source(Explain *e, FILE *f);

/* The role phrase for remedies: "role 'R'" or "the role" when the principal is unknown. */
void explain_who(Explain *e, FILE *f);

/* The instance id, or "<instance-id>" for commands; the role name, or "<role>". */
const char *explain_instance_text(const Explain *e) _pure_;
const char *explain_role_text(const Explain *e) _pure_;

/* ": <AWS's text>" at the end of the message, if there is any. */
void explain_quote(Explain *e);

/* The probe's log group ARN with @suffix (the "*" group if the target is no valid name). */
int explain_log_arn(const Explain *e, const char *suffix, char **ret);

/* The writers of diagnosis-agent.c. */
int explain_agent_not_running(Explain *e);
int explain_agent_errors(Explain *e);

/* The writers of diagnosis-access.c. */
int explain_access_denied(Explain *e);
int explain_kms_denied(Explain *e);
