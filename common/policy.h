#pragma once
/* SPDX-License-Identifier: MIT */
/* policy.h: the least-privilege IAM policy for a set of probes, and the ARNs it is made of. */

#include <stdbool.h>

#include "common/macro.h"

/*
 * What the probes need, and nothing more:
 *
 *   cloudwatch:PutMetricData                     on "*" with StringEquals cloudwatch:namespace
 *   logs:CreateLogStream, logs:DescribeLogStreams on arn:P:logs:R:A:log-group:G:*
 *   logs:PutLogEvents                            on arn:P:logs:R:A:log-group:G:log-stream:*
 *   logs:CreateLogGroup (create_log_group only)  on arn:P:logs:R:A:log-group:G:*
 *
 * PutMetricData has no resource ARN, so "*" plus the namespace condition is the narrowest form.
 * sts:GetCallerIdentity (the identity probe) needs no permission at all and cannot be denied by
 * policy, so it is deliberately not in the policy.
 */
typedef struct PolicyOptions {
        const char *region;        /* NULL: "*" */
        const char *account_id;    /* NULL: "*" */
        char **namespaces;         /* NULL-terminated; the heartbeat namespace included by the
                                    * caller; NULL: none */
        char **log_groups;         /* NULL-terminated; NULL: none */
        bool create_log_group;
        /* The roles the probes assume (STS AssumeRole with the base credentials, as the agent
         * does); NULL: the base credentials. identity: the identity probe's (needs no policy,
         * only the trust and the base principal's sts:AssumeRole). */
        const char *metrics_role_arn;
        const char *logs_role_arn;
        const char *identity_role_arn;
} PolicyOptions;

/**
 * aws_partition_of_region() - the ARN partition a region belongs to.
 * @region: "us-east-1", "cn-north-1", "us-gov-west-1", ...; NULL or "*" for unknown.
 *
 * Return: "aws-cn" for cn-*, "aws-us-gov" for us-gov-*, else "aws" (a static string).
 */
const char *aws_partition_of_region(const char *region) _pure_;

/**
 * policy_namespace_is_valid() - whether @ns is a CloudWatch namespace a policy may name.
 * @ns: the namespace.
 *
 * Return: true for 1 to 255 bytes without control characters.
 */
bool policy_namespace_is_valid(const char *ns) _pure_;

/**
 * policy_log_group_is_valid() - whether @group is a valid CloudWatch Logs log group name.
 * @group: the name.
 *
 * Return: true for 1 to 512 characters of [.-_/#A-Za-z0-9] (the Logs API's own constraint).
 */
bool policy_log_group_is_valid(const char *group) _pure_;

/**
 * policy_log_group_arn() - the ARN of a log group, optionally with a suffix.
 * @region: the region; NULL: "*" (the partition is then "aws").
 * @account_id: the 12-digit account; NULL: "*".
 * @group: the log group name, or "*" for any group.
 * @suffix: appended verbatim, e.g. ":*" (the group and its streams) or ":log-stream:*" (what
 *          PutLogEvents is authorised against); NULL: none.
 * @ret: "arn:<partition>:logs:<region>:<account>:log-group:<group><suffix>".
 *
 * Return: 0, -EINVAL if @group is neither "*" nor a valid name (see
 * policy_log_group_is_valid()), or -ENOMEM.
 */
int policy_log_group_arn(const char *region, const char *account_id, const char *group,
                         const char *suffix, char **ret);

/**
 * policy_format() - the least-privilege policy document for @o, as pretty-printed JSON.
 * @o: what to allow. Namespaces and log groups are de-duplicated, keeping the first occurrence.
 * @ret: the JSON text with a trailing newline; untouched on failure.
 *
 * The document is {"Version":"2012-10-17","Statement":[...]} with one statement per permission
 * group (Sid "PutMetricData", "CreateLogStream", "PutLogEvents", "CreateLogGroup"); a group with
 * nothing to allow is left out.
 *
 * With roles (@o->metrics_role_arn, ...), each principal gets its own document:
 *
 *   {"BaseCredentials": {"Policy": {... "sts:AssumeRole" on the roles, plus the statements of
 *                                   the probes that run without a role ...}},
 *    "Roles": {"<role ARN>": {"Policy": {... the statements of the probes run as it ...} or
 *                                        null when it only serves the identity probe,
 *                              "TrustPolicy": {... lets the base principal assume it ...}}}}
 *
 * The trust policy names arn:<partition>:iam::<account, else ACCOUNT_ID>:role/
 * BASE_ROLE_NAME: the base principal is only known on the host (cwguardctl check shows it).
 *
 * Return: 0; -EINVAL for an invalid namespace (see policy_namespace_is_valid()), log group,
 * region (not "*" nor 1 to 32 of [a-z0-9-]), account (not "*" nor 12 digits) or role ARN;
 * -ENODATA if there is nothing to allow (no namespaces and no log groups); -ENOMEM.
 */
int policy_format(const PolicyOptions *o, char **ret);
