#pragma once
/* SPDX-License-Identifier: MIT */
/* diagnosis.h: a readable message and an exact remedy for each probe result, across probes. */

#include <stdbool.h>

#include "common/credentials.h"
#include "common/probe.h"

/* What the diagnosis knows about the host and the configuration; every string may be NULL. */
typedef struct DiagnosisContext {
        const char *region;                 /* NULL: unknown ("*" in ARNs) */
        const char *account_id;             /* NULL: unknown (taken from the principal ARN if
                                             * there is one, else "*" in ARNs) */
        const char *instance_id;            /* NULL off EC2 */
        const char *principal_arn;          /* from GetCallerIdentity when it worked, else NULL */
        const char *heartbeat_namespace;
        const char *log_stream;             /* the expanded probe stream name */
        CredentialSource credential_source; /* _CREDENTIAL_SOURCE_INVALID if none */
        const char *credential_detail;      /* "profile P in F", "role R"...; NULL: unknown */
        bool create_log_group;
} DiagnosisContext;

/**
 * diagnosis_explain() - fill @r->message and @r->remedy from the facts in @r.
 * @r: a result as the round filled it. Its old message and remedy are replaced, so explaining
 *     a result twice gives the same text.
 * @ctx: what is known about the host; NULL: nothing.
 *
 * The message is one line (no control characters; AWS's text is quoted up to 300 bytes): what
 * is wrong, or what worked. The remedy is NULL for ok and not-applicable results, else one or
 * two sentences naming the layer to change in the words an operator searches for (service
 * control policy, permissions boundary, VPC endpoint policy, KMS key policy, hop limit, ...) and
 * the exact action, ARN, command or setting. A skipped result (not run for want of usable
 * credentials) says so and carries the credentials' remedy.
 *
 * Return: 0, or -ENOMEM (then @r is left with its message and remedy NULL).
 */
int diagnosis_explain(ProbeResult *r, const DiagnosisContext *ctx);

/**
 * diagnosis_explain_report() - explain every result of a round, then refine across probes.
 * @report: the round's report.
 * @ctx: the context; NULL fields (or a NULL @ctx) are taken from @report's host and identity.
 *
 * Refinements: a namespace denied while another is allowed points at a case-sensitive
 * cloudwatch:namespace condition, naming both; a signed probe that got an AWS error while its
 * endpoint:<service> probe is ok says the network is ruled out; a signed probe that failed in
 * transport takes the endpoint probe's network diagnosis; a denial after a working identity
 * probe names the principal that was evaluated; the identity probe's clock skew explains the
 * other probes' clock-skew failures.
 *
 * Return: 0, or -ENOMEM.
 */
int diagnosis_explain_report(ProbeReport *report, const DiagnosisContext *ctx);
