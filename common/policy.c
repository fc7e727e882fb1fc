/* SPDX-License-Identifier: MIT */
/*
 * policy.c: writes the least-privilege IAM policy that lets the configured probes (and so the
 * CloudWatch agent they stand in for) succeed, for `cwguardctl policy` and for the remedies in
 * diagnosis.c, which quote the same ARNs. The document is built as a json-c tree, never by
 * pasting strings, so a namespace or log group name cannot break out of its JSON string. Every
 * input is validated against the service's own constraints first. Pure: no I/O, no logging.
 * Deliberately narrow: no logs:* and no Resource "*" for Logs; the only "*" is PutMetricData's,
 * which has no resource ARN and is fenced by the cloudwatch:namespace condition instead.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/assume-role.h"
#include "common/json-util.h"
#include "common/policy.h"
#include "common/util.h"

/* The IAM policy language version; "2012-10-17" is the only one supporting policy variables. */
#define POLICY_VERSION "2012-10-17"

#define _cleanup_json_ _cleanup_(json_object_putp)

const char *aws_partition_of_region(const char *region)
{
        if (!region)
                return "aws";
        if (strncmp(region, "cn-", 3) == 0)
                return "aws-cn";
        if (strncmp(region, "us-gov-", 7) == 0)
                return "aws-us-gov";
        return "aws";
}

bool policy_namespace_is_valid(const char *ns)
{
        size_t n;

        if (!ns)
                return false;
        n = strlen(ns);
        return n >= 1 && n <= 255 && !string_has_cc(ns, NULL);
}

bool policy_log_group_is_valid(const char *group)
{
        size_t n;

        if (!group)
                return false;
        /* The Logs API: logGroupName, 1-512 characters of [\.\-_/#A-Za-z0-9]+. */
        n = strspn(group, ".-_/#"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "abcdefghijklmnopqrstuvwxyz"
                          "0123456789");
        return n >= 1 && n <= 512 && group[n] == 0;
}

static bool region_is_valid(const char *region)
{
        size_t n;

        if (!region || streq(region, "*"))
                return true;
        n = strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-");
        return n >= 1 && n <= 32 && region[n] == 0;
}

static bool account_is_valid(const char *account)
{
        if (!account || streq(account, "*"))
                return true;
        return strlen(account) == 12 && strspn(account, "0123456789") == 12;
}

int policy_log_group_arn(const char *region, const char *account_id, const char *group,
                         const char *suffix, char **ret)
{
        char *arn;

        if (!group || (!streq(group, "*") && !policy_log_group_is_valid(group)))
                return -EINVAL;
        if (asprintf(&arn, "arn:%s:logs:%s:%s:log-group:%s%s", aws_partition_of_region(region),
                     region ?: "*", account_id ?: "*", group, strempty(suffix)) < 0)
                return -ENOMEM;
        *ret = arn;
        return 0;
}

/* Append @s to the JSON array @a. */
static int json_array_add_string(json_object *a, const char *s)
{
        json_object *v = json_object_new_string(s);

        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* Add @v under @key to @o, taking the reference even on failure. */
static int json_add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* A JSON array of @l's strings, each once, in first-seen order. */
static int json_string_set(char *const *l, json_object **ret)
{
        _cleanup_json_ json_object *a = json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; l && l[i]; i++) {
                bool seen = false;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = streq(l[i], l[j]);
                if (seen)
                        continue;
                r = json_array_add_string(a, l[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

/* One "Allow" statement. @actions is NULL-terminated; one action is written as a plain string,
 * as the IAM console does. @resource takes ownership of a string or array. */
static int statement_add(json_object *statements, const char *sid, const char *const *actions,
                         json_object *resource, json_object *condition)
{
        _cleanup_json_ json_object *st = json_object_new_object(), *res = resource,
                                   *cond = condition;
        json_object *action;
        int r;

        if (!st || !res)
                return -ENOMEM;
        r = json_add(st, "Sid", json_object_new_string(sid));
        if (r < 0)
                return r;
        r = json_add(st, "Effect", json_object_new_string("Allow"));
        if (r < 0)
                return r;
        if (!actions[1])
                action = json_object_new_string(actions[0]);
        else {
                action = json_object_new_array();
                for (size_t i = 0; action && actions[i]; i++) {
                        r = json_array_add_string(action, actions[i]);
                        if (r < 0) {
                                json_object_put(action);
                                return r;
                        }
                }
        }
        r = json_add(st, "Action", action);
        if (r < 0)
                return r;
        r = json_add(st, "Resource", TAKE_PTR(res));
        if (r < 0)
                return r;
        if (cond) {
                r = json_add(st, "Condition", TAKE_PTR(cond));
                if (r < 0)
                        return r;
        }
        if (json_object_array_add(statements, st) < 0)
                return -ENOMEM;
        TAKE_PTR(st);
        return 0;
}

/* The log-group ARNs with @suffix of each distinct group in @groups, as a JSON array. */
static int log_group_arns(const PolicyOptions *o, const char *suffix, json_object **ret)
{
        _cleanup_json_ json_object *a = json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; o->log_groups[i]; i++) {
                _cleanup_free_ char *arn = NULL;
                bool seen = false;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = streq(o->log_groups[i], o->log_groups[j]);
                if (seen)
                        continue;
                r = policy_log_group_arn(o->region, o->account_id, o->log_groups[i], suffix,
                                         &arn);
                if (r < 0)
                        return r;
                r = json_array_add_string(a, arn);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int metrics_statement(const PolicyOptions *o, json_object *statements)
{
        static const char *const actions[] = { "cloudwatch:PutMetricData", NULL };
        _cleanup_json_ json_object *cond = json_object_new_object(),
                                   *equals = json_object_new_object(), *list = NULL;
        int r;

        if (!cond || !equals)
                return -ENOMEM;
        /* StringEquals is case-sensitive, as is the namespace itself: 'CWAgent' != 'cwagent'. */
        r = json_string_set(o->namespaces, &list);
        if (r < 0)
                return r;
        r = json_add(equals, "cloudwatch:namespace", TAKE_PTR(list));
        if (r < 0)
                return r;
        r = json_add(cond, "StringEquals", TAKE_PTR(equals));
        if (r < 0)
                return r;
        return statement_add(statements, "PutMetricData", actions, json_object_new_string("*"),
                             TAKE_PTR(cond));
}

static int logs_statements(const PolicyOptions *o, json_object *statements)
{
        static const char *const stream_actions[] = {
                "logs:CreateLogStream", "logs:DescribeLogStreams", NULL
        };
        static const char *const put_actions[] = { "logs:PutLogEvents", NULL };
        static const char *const group_actions[] = { "logs:CreateLogGroup", NULL };
        json_object *res;
        int r;

        /* Streams are created and looked up in the group: log-group:G:* covers both calls. */
        r = log_group_arns(o, ":*", &res);
        if (r < 0)
                return r;
        r = statement_add(statements, "CreateLogStream", stream_actions, res, NULL);
        if (r < 0)
                return r;

        /* PutLogEvents is authorised against the stream's ARN, log-group:G:log-stream:S. A
         * Resource of just log-group:G (no suffix) is the classic mistake: it never matches. */
        r = log_group_arns(o, ":log-stream:*", &res);
        if (r < 0)
                return r;
        r = statement_add(statements, "PutLogEvents", put_actions, res, NULL);
        if (r < 0)
                return r;

        if (!o->create_log_group)
                return 0;
        r = log_group_arns(o, ":*", &res);
        if (r < 0)
                return r;
        return statement_add(statements, "CreateLogGroup", group_actions, res, NULL);
}

/* {"Version", "Statement": [...]}: sts:AssumeRole on @assume (if any), then the metrics and logs
 * statements when @metrics / @logs. NULL in *@ret when there is nothing to allow. */
static int policy_document(const PolicyOptions *o, bool metrics, bool logs, char **assume,
                           json_object **ret)
{
        static const char *const assume_actions[] = { "sts:AssumeRole", NULL };
        _cleanup_json_ json_object *doc = NULL, *statements = NULL;
        int r;

        statements = json_object_new_array();
        if (!statements)
                return -ENOMEM;
        if (strv_length(assume) > 0) {
                json_object *res = NULL;

                r = json_string_set(assume, &res);
                if (r < 0)
                        return r;
                r = statement_add(statements, "AssumeRole", assume_actions, res, NULL);
                if (r < 0)
                        return r;
        }
        if (metrics && strv_length(o->namespaces) > 0) {
                r = metrics_statement(o, statements);
                if (r < 0)
                        return r;
        }
        if (logs && strv_length(o->log_groups) > 0) {
                r = logs_statements(o, statements);
                if (r < 0)
                        return r;
        }
        if (json_object_array_length(statements) == 0) {
                *ret = NULL;
                return 0;
        }
        doc = json_object_new_object();
        if (!doc)
                return -ENOMEM;
        r = json_add(doc, "Version", json_object_new_string(POLICY_VERSION));
        if (r < 0)
                return r;
        r = json_add(doc, "Statement", TAKE_PTR(statements));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}

/* The trust policy of a role the probes assume: the base principal may call sts:AssumeRole. */
static int trust_document(const PolicyOptions *o, json_object **ret)
{
        _cleanup_json_ json_object *doc = json_object_new_object(),
                                   *statements = json_object_new_array(),
                                   *st = json_object_new_object(),
                                   *principal = json_object_new_object();
        _cleanup_free_ char *base = NULL;
        int r;

        if (!doc || !statements || !st || !principal)
                return -ENOMEM;
        if (asprintf(&base, "arn:%s:iam::%s:role/BASE_ROLE_NAME", aws_partition_of_region(o->region),
                     o->account_id && !streq(o->account_id, "*") ? o->account_id : "ACCOUNT_ID") < 0)
                return -ENOMEM;
        r = json_add(st, "Sid", json_object_new_string("TrustCwguardBase"));
        if (r >= 0)
                r = json_add(st, "Effect", json_object_new_string("Allow"));
        if (r >= 0)
                r = json_add(principal, "AWS", json_object_new_string(base));
        if (r >= 0)
                r = json_add(st, "Principal", TAKE_PTR(principal));
        if (r >= 0)
                r = json_add(st, "Action", json_object_new_string("sts:AssumeRole"));
        if (r < 0)
                return r;
        if (json_object_array_add(statements, st) < 0)
                return -ENOMEM;
        TAKE_PTR(st);
        r = json_add(doc, "Version", json_object_new_string(POLICY_VERSION));
        if (r >= 0)
                r = json_add(doc, "Statement", TAKE_PTR(statements));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}

static int roles_document(const PolicyOptions *o, json_object **ret)
{
        const char *roles[] = { o->metrics_role_arn, o->logs_role_arn, o->identity_role_arn };
        _cleanup_json_ json_object *top = json_object_new_object(), *base = json_object_new_object(),
                                   *by_role = json_object_new_object(), *doc = NULL;
        _cleanup_strv_free_ char **assume = NULL;
        int r;

        if (!top || !base || !by_role)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(roles); i++)
                if (roles[i] && !strv_contains(assume, roles[i]) && strv_extend(&assume, roles[i]) < 0)
                        return -ENOMEM;

        /* The base principal: assume the roles, and whatever runs without one. */
        r = policy_document(o, !o->metrics_role_arn, !o->logs_role_arn, assume, &doc);
        if (r < 0)
                return r;
        r = json_add(base, "Policy", TAKE_PTR(doc));
        if (r < 0)
                return r;

        STRV_FOREACH(arn, assume) {
                _cleanup_json_ json_object *entry = json_object_new_object(), *trust = NULL;

                if (!entry)
                        return -ENOMEM;
                r = policy_document(o, streq_ptr(o->metrics_role_arn, *arn),
                                    streq_ptr(o->logs_role_arn, *arn), NULL, &doc);
                if (r < 0)
                        return r;
                /* null: a role that only serves the identity probe needs no permission. */
                if (doc ? json_add(entry, "Policy", TAKE_PTR(doc)) < 0 :
                          json_object_object_add(entry, "Policy", NULL) < 0)
                        return -ENOMEM;
                r = trust_document(o, &trust);
                if (r < 0)
                        return r;
                r = json_add(entry, "TrustPolicy", TAKE_PTR(trust));
                if (r < 0)
                        return r;
                r = json_add(by_role, *arn, TAKE_PTR(entry));
                if (r < 0)
                        return r;
        }
        r = json_add(top, "BaseCredentials", TAKE_PTR(base));
        if (r >= 0)
                r = json_add(top, "Roles", TAKE_PTR(by_role));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(top);
        return 0;
}

int policy_format(const PolicyOptions *o, char **ret)
{
        _cleanup_json_ json_object *doc = NULL;
        const char *text;
        char *s;
        int r;

        if (!o || !ret)
                return -EINVAL;
        if (!region_is_valid(o->region) || !account_is_valid(o->account_id))
                return -EINVAL;
        STRV_FOREACH(ns, o->namespaces)
                if (!policy_namespace_is_valid(*ns))
                        return -EINVAL;
        STRV_FOREACH(g, o->log_groups)
                if (!policy_log_group_is_valid(*g))
                        return -EINVAL;
        if ((o->metrics_role_arn && !role_arn_is_valid(o->metrics_role_arn)) ||
            (o->logs_role_arn && !role_arn_is_valid(o->logs_role_arn)) ||
            (o->identity_role_arn && !role_arn_is_valid(o->identity_role_arn)))
                return -EINVAL;
        if (strv_length(o->namespaces) == 0 && strv_length(o->log_groups) == 0)
                return -ENODATA;

        if (o->metrics_role_arn || o->logs_role_arn || o->identity_role_arn)
                r = roles_document(o, &doc);
        else
                r = policy_document(o, true, true, NULL, &doc);
        if (r < 0)
                return r;

        /* Log group names hold '/': json-c would write "\/" without NOSLASHESCAPE, which is
         * valid JSON but not what an operator pastes into the console. */
        text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        if (asprintf(&s, "%s\n", text) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
