/* SPDX-License-Identifier: MIT */
/*
 * test-policy.c: the least-privilege policy document. The JSON text is parsed back with json-c
 * and its structure checked exactly (statements, actions, resources, the namespace condition and
 * its de-duplication), as are the ARN helper, the partitions and the "*" placeholders, and the
 * refusal of invalid names.
 */

#include <json-c/json.h>

#include "common/policy.h"
#include "tests/test.h"

/* String literals for the char ** vectors PolicyOptions takes (as Config holds them). */
#define S(x) ((char *) (x))

static json_object *format_and_parse(const PolicyOptions *o)
{
        _cleanup_free_ char *text = NULL;
        json_object *doc;
        size_t n;

        ASSERT_OK(policy_format(o, &text));
        n = strlen(text);
        ASSERT_TRUE(n > 2);
        ASSERT_EQ(text[n - 1], '\n');
        ASSERT_NULL(strstr(text, "\\/"));   /* '/' is not escaped */
        doc = json_tokener_parse(text);
        ASSERT_NOT_NULL(doc);
        return doc;
}

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;

        ASSERT_TRUE(json_object_object_get_ex(o, key, &v));
        return v;
}

static void assert_string(json_object *v, const char *expected)
{
        ASSERT_TRUE(json_object_is_type(v, json_type_string));
        ASSERT_STREQ(json_object_get_string(v), expected);
}

/* @v is an array of exactly the strings in @expected (NULL-terminated), in order. */
static void assert_strings(json_object *v, const char *const *expected)
{
        size_t n = 0;

        while (expected[n])
                n++;
        ASSERT_TRUE(json_object_is_type(v, json_type_array));
        ASSERT_EQ(json_object_array_length(v), n);
        for (size_t i = 0; i < n; i++)
                assert_string(json_object_array_get_idx(v, i), expected[i]);
}

static void assert_statement(json_object *st, const char *sid, size_t n_keys)
{
        ASSERT_EQ(json_object_object_length(st), n_keys);
        assert_string(get(st, "Sid"), sid);
        assert_string(get(st, "Effect"), "Allow");
}

static void test_full(void)
{
        char *namespaces[] = { S("CWAgent"), S("App/Metrics"), S("CWAgent"), S("cwagent"), NULL };
        char *groups[] = { S("/aws/ec2/app"), S("/var/log/messages"), S("/aws/ec2/app"), NULL };
        PolicyOptions o = {
                .region = "us-east-1",
                .account_id = "123456789012",
                .namespaces = namespaces,
                .log_groups = groups,
                .create_log_group = true,
        };
        json_object *doc = format_and_parse(&o), *sts, *st, *cond;

        ASSERT_EQ(json_object_object_length(doc), 2);
        assert_string(get(doc, "Version"), "2012-10-17");
        sts = get(doc, "Statement");
        ASSERT_TRUE(json_object_is_type(sts, json_type_array));
        ASSERT_EQ(json_object_array_length(sts), 4);

        st = json_object_array_get_idx(sts, 0);
        assert_statement(st, "PutMetricData", 5);
        assert_string(get(st, "Action"), "cloudwatch:PutMetricData");
        assert_string(get(st, "Resource"), "*");
        cond = get(st, "Condition");
        ASSERT_EQ(json_object_object_length(cond), 1);
        ASSERT_EQ(json_object_object_length(get(cond, "StringEquals")), 1);
        /* De-duplicated in order; case is significant, so 'cwagent' stays. */
        assert_strings(get(get(cond, "StringEquals"), "cloudwatch:namespace"),
                       (const char *const[]) { "CWAgent", "App/Metrics", "cwagent", NULL });

        st = json_object_array_get_idx(sts, 1);
        assert_statement(st, "CreateLogStream", 4);
        assert_strings(get(st, "Action"), (const char *const[]) {
                "logs:CreateLogStream", "logs:DescribeLogStreams", NULL });
        assert_strings(get(st, "Resource"), (const char *const[]) {
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:*",
                "arn:aws:logs:us-east-1:123456789012:log-group:/var/log/messages:*", NULL });

        st = json_object_array_get_idx(sts, 2);
        assert_statement(st, "PutLogEvents", 4);
        assert_string(get(st, "Action"), "logs:PutLogEvents");
        assert_strings(get(st, "Resource"), (const char *const[]) {
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:log-stream:*",
                "arn:aws:logs:us-east-1:123456789012:log-group:/var/log/messages:log-stream:*",
                NULL });

        st = json_object_array_get_idx(sts, 3);
        assert_statement(st, "CreateLogGroup", 4);
        assert_string(get(st, "Action"), "logs:CreateLogGroup");
        assert_strings(get(st, "Resource"), (const char *const[]) {
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ec2/app:*",
                "arn:aws:logs:us-east-1:123456789012:log-group:/var/log/messages:*", NULL });
        json_object_put(doc);
}

/* Unknown region and account become "*"; nothing broader than the probes need appears. */
static void test_placeholders_and_omissions(void)
{
        char *groups[] = { S("app"), NULL };
        PolicyOptions o = { .log_groups = groups };
        _cleanup_free_ char *text = NULL;
        json_object *doc = format_and_parse(&o), *sts;

        sts = get(doc, "Statement");
        ASSERT_EQ(json_object_array_length(sts), 2);   /* no metrics, no CreateLogGroup */
        assert_string(get(json_object_array_get_idx(sts, 0), "Sid"), "CreateLogStream");
        assert_strings(get(json_object_array_get_idx(sts, 0), "Resource"),
                       (const char *const[]) { "arn:aws:logs:*:*:log-group:app:*", NULL });
        assert_strings(get(json_object_array_get_idx(sts, 1), "Resource"),
                       (const char *const[]) { "arn:aws:logs:*:*:log-group:app:log-stream:*",
                                               NULL });
        json_object_put(doc);

        char *ns[] = { S("CWAgent"), NULL };
        o = (PolicyOptions) { .namespaces = ns, .create_log_group = true };
        doc = format_and_parse(&o);
        sts = get(doc, "Statement");
        ASSERT_EQ(json_object_array_length(sts), 1);   /* create_log_group without groups */
        assert_string(get(json_object_array_get_idx(sts, 0), "Sid"), "PutMetricData");
        json_object_put(doc);

        ASSERT_OK(policy_format(&o, &text));
        ASSERT_NULL(strstr(text, "logs:*"));
        ASSERT_NULL(strstr(text, "sts:"));
}

static void test_partitions(void)
{
        char *groups[] = { S("g"), NULL };
        PolicyOptions o = { .region = "cn-north-1", .account_id = "123456789012",
                            .log_groups = groups };
        json_object *doc;
        char *arn;

        ASSERT_STREQ(aws_partition_of_region("cn-north-1"), "aws-cn");
        ASSERT_STREQ(aws_partition_of_region("cn-northwest-1"), "aws-cn");
        ASSERT_STREQ(aws_partition_of_region("us-gov-west-1"), "aws-us-gov");
        ASSERT_STREQ(aws_partition_of_region("us-east-1"), "aws");
        ASSERT_STREQ(aws_partition_of_region("eu-central-1"), "aws");
        ASSERT_STREQ(aws_partition_of_region(NULL), "aws");

        doc = format_and_parse(&o);
        assert_strings(get(json_object_array_get_idx(get(doc, "Statement"), 1), "Resource"),
                       (const char *const[]) {
                               "arn:aws-cn:logs:cn-north-1:123456789012:log-group:g:log-stream:*",
                               NULL });
        json_object_put(doc);

        ASSERT_OK(policy_log_group_arn("us-gov-west-1", "111122223333", "/a#b_c.d-e", NULL, &arn));
        ASSERT_STREQ(arn, "arn:aws-us-gov:logs:us-gov-west-1:111122223333:log-group:/a#b_c.d-e");
        free(arn);
        ASSERT_OK(policy_log_group_arn(NULL, NULL, "*", ":*", &arn));
        ASSERT_STREQ(arn, "arn:aws:logs:*:*:log-group:*:*");
        free(arn);
        ASSERT_ERROR(policy_log_group_arn("us-east-1", NULL, "bad name", NULL, &arn), EINVAL);
        ASSERT_ERROR(policy_log_group_arn("us-east-1", NULL, NULL, NULL, &arn), EINVAL);
}

static void test_invalid(void)
{
        char long_ns[257], long_group[514];
        char *ok_ns[] = { S("CWAgent"), NULL };
        char *bad_ns[][2] = { { S(""), NULL }, { S("a\nb"), NULL }, { long_ns, NULL } };
        char *bad_groups[][2] = { { S(""), NULL }, { S("a b"), NULL }, { S("a:b"), NULL },
                                  { S("a*"), NULL }, { long_group, NULL } };
        char *text = NULL;

        memset(long_ns, 'n', 256);
        long_ns[256] = 0;
        memset(long_group, 'g', 513);
        long_group[513] = 0;

        for (size_t i = 0; i < ELEMENTSOF(bad_ns); i++) {
                PolicyOptions o = { .namespaces = bad_ns[i] };
                ASSERT_ERROR(policy_format(&o, &text), EINVAL);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad_groups); i++) {
                PolicyOptions o = { .namespaces = ok_ns, .log_groups = bad_groups[i] };
                ASSERT_ERROR(policy_format(&o, &text), EINVAL);
        }
        ASSERT_ERROR(policy_format(&(PolicyOptions) { .namespaces = ok_ns, .region = "US East" },
                                   &text), EINVAL);
        ASSERT_ERROR(policy_format(&(PolicyOptions) { .namespaces = ok_ns, .account_id = "12" },
                                   &text), EINVAL);
        ASSERT_ERROR(policy_format(&(PolicyOptions) {}, &text), ENODATA);
        ASSERT_ERROR(policy_format(NULL, &text), EINVAL);
        ASSERT_NULL(text);

        /* The limits themselves are fine. */
        long_ns[255] = 0;
        long_group[512] = 0;
        ASSERT_TRUE(policy_namespace_is_valid(long_ns));
        ASSERT_TRUE(policy_log_group_is_valid(long_group));
        ASSERT_FALSE(policy_namespace_is_valid(NULL));
        ASSERT_FALSE(policy_log_group_is_valid(NULL));
}

/* A name cannot escape its JSON string. */
static void test_escaping(void)
{
        char *ns[] = { S("a\"b\\c"), NULL };
        PolicyOptions o = { .namespaces = ns };
        json_object *doc = format_and_parse(&o), *st;

        st = json_object_array_get_idx(get(doc, "Statement"), 0);
        assert_strings(get(get(get(st, "Condition"), "StringEquals"), "cloudwatch:namespace"),
                       (const char *const[]) { "a\"b\\c", NULL });
        json_object_put(doc);
}

#define M_ROLE "arn:aws:iam::123456789012:role/cw-metrics"
#define A_ROLE "arn:aws:iam::123456789012:role/path/cw-agent"

static void test_roles(void)
{
        char *ns[] = { S("CWAgent"), NULL };
        char *groups[] = { S("/aws/ec2/app"), NULL };
        PolicyOptions o = {
                .region = "us-east-1",
                .account_id = "123456789012",
                .namespaces = ns,
                .log_groups = groups,
                .metrics_role_arn = M_ROLE,
                .identity_role_arn = A_ROLE,
        };
        json_object *doc, *base, *roles, *st, *m, *a, *trust;
        static const char *const assumed[] = { M_ROLE, A_ROLE, NULL };

        /* Metrics run as their role, logs with the base credentials, identity as the agent's. */
        doc = format_and_parse(&o);
        ASSERT_EQ(json_object_object_length(doc), 2u);
        base = get(get(doc, "BaseCredentials"), "Policy");
        st = get(base, "Statement");
        ASSERT_EQ(json_object_array_length(st), 3u);
        assert_statement(json_object_array_get_idx(st, 0), "AssumeRole", 4);
        assert_string(get(json_object_array_get_idx(st, 0), "Action"), "sts:AssumeRole");
        assert_strings(get(json_object_array_get_idx(st, 0), "Resource"), assumed);
        assert_statement(json_object_array_get_idx(st, 1), "CreateLogStream", 4);
        assert_statement(json_object_array_get_idx(st, 2), "PutLogEvents", 4);

        roles = get(doc, "Roles");
        ASSERT_EQ(json_object_object_length(roles), 2u);
        m = get(roles, M_ROLE);
        st = get(get(m, "Policy"), "Statement");
        ASSERT_EQ(json_object_array_length(st), 1u);
        assert_statement(json_object_array_get_idx(st, 0), "PutMetricData", 5);
        trust = json_object_array_get_idx(get(get(m, "TrustPolicy"), "Statement"), 0);
        assert_string(get(trust, "Action"), "sts:AssumeRole");
        assert_string(get(get(trust, "Principal"), "AWS"),
                      "arn:aws:iam::123456789012:role/BASE_ROLE_NAME");
        /* The identity probe's role needs no permission: a trust policy only. */
        a = get(roles, A_ROLE);
        ASSERT_NULL(get(a, "Policy"));
        ASSERT_NOT_NULL(get(a, "TrustPolicy"));
        json_object_put(doc);

        /* One role for everything: the base principal may only assume it. */
        o.logs_role_arn = M_ROLE;
        o.identity_role_arn = NULL;
        o.account_id = NULL;
        o.region = "cn-north-1";
        doc = format_and_parse(&o);
        st = get(get(get(doc, "BaseCredentials"), "Policy"), "Statement");
        ASSERT_EQ(json_object_array_length(st), 1u);
        st = get(get(get(get(doc, "Roles"), M_ROLE), "Policy"), "Statement");
        ASSERT_EQ(json_object_array_length(st), 3u);
        trust = json_object_array_get_idx(get(get(get(get(doc, "Roles"), M_ROLE), "TrustPolicy"),
                                              "Statement"), 0);
        assert_string(get(get(trust, "Principal"), "AWS"),
                      "arn:aws-cn:iam::ACCOUNT_ID:role/BASE_ROLE_NAME");
        json_object_put(doc);

        /* An invalid role ARN is refused, never pasted into a policy. */
        _cleanup_free_ char *text = NULL;
        o.metrics_role_arn = "arn:aws:iam::123456789012:role/\"bad";
        ASSERT_ERROR(policy_format(&o, &text), EINVAL);
        ASSERT_NULL(text);
}

int main(void)
{
        TEST(test_full);
        TEST(test_placeholders_and_omissions);
        TEST(test_partitions);
        TEST(test_invalid);
        TEST(test_escaping);
        TEST(test_roles);
        return 0;
}
