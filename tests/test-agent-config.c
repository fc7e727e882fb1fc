/* SPDX-License-Identifier: MIT */
/*
 * test-agent-config.c: discovery from the CloudWatch agent's JSON configuration. The parser
 * against fixtures shaped like the agent's documented examples (metrics only; files and
 * journald logs; agent.region with credentials.role_arn; per-section role_arn; Windows events;
 * placeholders), hostile documents, and the loader against installations on disk: a .d
 * directory with fragments, a broken fragment next to good ones, conflicting values, no agent,
 * FIFOs, links and oversized files. Every result, error and note is asserted exactly.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent-config.h"
#include "common/util.h"
#include "tests/test.h"

static const char *fixtures(void)
{
        return getenv("CWGUARD_FIXTURES") ?: "tests/fixtures";
}

static int parse_fixture(const char *name, AgentConfig *c)
{
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size;

        ASSERT_TRUE(asprintf(&path, "%s/agent/%s", fixtures(), name) >= 0);
        ASSERT_OK(read_file_capped(path, 1024 * 1024, &data, &size));
        return agent_config_parse(data, size, name, c);
}

#define ASSERT_ITEM(item, v, s)                                                            \
        do {                                                                               \
                ASSERT_STREQ_NULL((item).value, v);                                        \
                ASSERT_STREQ_NULL((item).source, s);                                       \
        } while (0)

#define ASSERT_STRV(l, ...)                                                                \
        do {                                                                               \
                const char *_want_[] = { __VA_ARGS__ };                                    \
                ASSERT_EQ(strv_length(l), ELEMENTSOF(_want_));                             \
                for (size_t _i_ = 0; _i_ < ELEMENTSOF(_want_); _i_++)                      \
                        ASSERT_STREQ((l)[_i_], _want_[_i_]);                               \
        } while (0)

#define FILES_0 "logs.logs_collected.files.collect_list[0].log_group_name"
#define FILES_1 "logs.logs_collected.files.collect_list[1].log_group_name"
#define JOURNALD_0 "logs.logs_collected.journald.collect_list[0].log_group_name"
#define JOURNALD_1 "logs.logs_collected.journald.collect_list[1].log_group_name"

/* ---------------------------------------------------------------------------------------------
 * The documented shapes
 */

static void test_metrics_only(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};

        ASSERT_EQ(parse_fixture("metrics-only.json", &c), 0);
        ASSERT_STRV(c.files, "metrics-only.json");
        ASSERT_TRUE(c.metrics);
        ASSERT_FALSE(c.logs);
        ASSERT_ITEM(c.namespace, "CWAgent", "default");
        ASSERT_ITEM(c.logfile, AGENT_LOGFILE_DEFAULT, AGENT_SOURCE_DEFAULT);
        ASSERT_ITEM(c.region, NULL, NULL);
        ASSERT_ITEM(c.role_arn, NULL, NULL);
        ASSERT_ITEM(c.metrics_endpoint, NULL, NULL);
        ASSERT_EQ(c.n_log_groups, 0);
        ASSERT_NULL(agent_config_role_arn(&c, AGENT_SECTION_METRICS));
        ASSERT_NULL(c.errors);
        ASSERT_NULL(c.notes);
}

static void test_logs_only(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};

        ASSERT_EQ(parse_fixture("logs-only.json", &c), 0);
        ASSERT_FALSE(c.metrics);
        ASSERT_TRUE(c.logs);
        ASSERT_ITEM(c.namespace, NULL, NULL);
        ASSERT_ITEM(c.log_stream, "my_log_stream_name", "logs-only.json: logs.log_stream_name");
        ASSERT_EQ(c.n_log_groups, 4);
        ASSERT_ITEM(c.log_groups[0], "amazon-cloudwatch-agent.log", "logs-only.json: " FILES_0);
        ASSERT_ITEM(c.log_groups[1], "/ec2/messages", "logs-only.json: " FILES_1);
        ASSERT_ITEM(c.log_groups[2], "system-logs", "logs-only.json: " JOURNALD_0);
        ASSERT_ITEM(c.log_groups[3], "security-logs", "logs-only.json: " JOURNALD_1);
        ASSERT_NULL(c.errors);
        ASSERT_STRV(c.notes,
                    "logs-only.json: logs.logs_collected.files.collect_list[2]: no log_group_name; "
                    "skipped (cwguard probes named log groups only, the agent derives a name "
                    "itself)");
}

static void test_full(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        const char *arn = "arn:aws:iam::123456789012:role/CloudWatchAgentServerRole";

        ASSERT_EQ(parse_fixture("full.json", &c), 0);
        ASSERT_ITEM(c.region, "us-west-2", "full.json: agent.region");
        ASSERT_ITEM(c.role_arn, arn, "full.json: agent.credentials.role_arn");
        ASSERT_ITEM(c.metrics_role_arn, NULL, NULL);
        ASSERT_ITEM(c.logs_role_arn, NULL, NULL);
        ASSERT_ITEM(c.logfile, "/var/log/cwagent/amazon-cloudwatch-agent.log",
                    "full.json: agent.logfile");
        ASSERT_TRUE(c.metrics);
        ASSERT_ITEM(c.namespace, "MyApp/Host", "full.json: metrics.namespace");
        ASSERT_ITEM(c.metrics_endpoint, "https://monitoring-fips.us-west-2.amazonaws.com",
                    "full.json: metrics.endpoint_override");
        ASSERT_ITEM(c.logs_endpoint, "https://logs-fips.us-west-2.amazonaws.com",
                    "full.json: logs.endpoint_override");
        ASSERT_ITEM(c.log_stream, "LOG_STREAM_NAME", "full.json: logs.log_stream_name");
        ASSERT_EQ(c.n_log_groups, 2);
        ASSERT_ITEM(c.log_groups[0], "amazon-cloudwatch-agent.log", "full.json: " FILES_0);
        ASSERT_ITEM(c.log_groups[1], "test.log", "full.json: " FILES_1);
        /* Both sections use the agent-wide role. */
        ASSERT_TRUE(agent_config_role_arn(&c, AGENT_SECTION_METRICS) == &c.role_arn);
        ASSERT_TRUE(agent_config_role_arn(&c, AGENT_SECTION_LOGS) == &c.role_arn);
        ASSERT_NULL(agent_config_role_arn(&c, _AGENT_SECTION_MAX));
        ASSERT_NULL(c.errors);
        ASSERT_NULL(c.notes);
}

static void test_section_roles(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        const AgentItem *m, *l;

        ASSERT_EQ(parse_fixture("section-roles.json", &c), 0);
        ASSERT_ITEM(c.role_arn, "arn:aws:iam::123456789012:role/AgentWide",
                    "section-roles.json: agent.credentials.role_arn");
        ASSERT_ITEM(c.metrics_role_arn, "arn:aws:iam::210987654321:role/MetricsOnly",
                    "section-roles.json: metrics.credentials.role_arn");
        ASSERT_ITEM(c.logs_role_arn, NULL, NULL);

        /* The section's own role beats the agent's; a section without one inherits it. */
        m = agent_config_role_arn(&c, AGENT_SECTION_METRICS);
        l = agent_config_role_arn(&c, AGENT_SECTION_LOGS);
        ASSERT_STREQ(m->value, "arn:aws:iam::210987654321:role/MetricsOnly");
        ASSERT_STREQ(l->value, "arn:aws:iam::123456789012:role/AgentWide");
        ASSERT_STREQ(l->source, "section-roles.json: agent.credentials.role_arn");
        ASSERT_EQ(c.n_log_groups, 1);
        ASSERT_ITEM(c.log_groups[0], "/ec2/syslog", "section-roles.json: " FILES_0);
        ASSERT_NULL(c.errors);
        ASSERT_NULL(c.notes);
}

static void test_windows_events(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};

        ASSERT_EQ(parse_fixture("windows.json", &c), 0);
        ASSERT_EQ(c.n_log_groups, 1);
        ASSERT_ITEM(c.log_groups[0], "/app/log", "windows.json: " FILES_0);
        ASSERT_NULL(c.errors);
        ASSERT_STRV(c.notes, "windows.json: logs.logs_collected.windows_events: ignored (Windows "
                             "event logs; the agent does not collect them on Linux)");
}

static void test_placeholder_templates(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};

        /* Templates are kept as written and deduplicated by their text. */
        ASSERT_EQ(parse_fixture("placeholders.json", &c), 0);
        ASSERT_ITEM(c.region, "eu-central-1", "placeholders.json: agent.region");
        ASSERT_ITEM(c.log_stream, "{instance_id}", "placeholders.json: logs.log_stream_name");
        ASSERT_EQ(c.n_log_groups, 6);
        ASSERT_STREQ(c.log_groups[0].value, "/ec2/{instance_id}/messages");
        ASSERT_STREQ(c.log_groups[0].source, "placeholders.json: " FILES_0);
        ASSERT_STREQ(c.log_groups[1].value, "{hostname}-app");
        ASSERT_STREQ(c.log_groups[2].value, "daily-{date}");
        ASSERT_STREQ(c.log_groups[3].value, "/acct/{account_id}/{aws_region}");
        ASSERT_STREQ(c.log_groups[4].value, "{ip_address}/{local_hostname}");
        ASSERT_STREQ(c.log_groups[5].value, "odd{unknown}group");
        ASSERT_STREQ(c.log_groups[5].source,
                     "placeholders.json: logs.logs_collected.files.collect_list[6].log_group_name");
        ASSERT_NULL(c.errors);
        ASSERT_NULL(c.notes);
}

/* ---------------------------------------------------------------------------------------------
 * Placeholders and names
 */

static char *expand(const char *template, const AgentPlaceholders *v)
{
        char *s = NULL;

        ASSERT_EQ(agent_expand_placeholders(template, v, &s), 0);
        return s;
}

static void test_expand_placeholders(void)
{
        const AgentPlaceholders all = {
                .instance_id = "i-0123456789abcdef0",
                .hostname = "ip-10-0-0-1.eu-central-1.compute.internal",
                .local_hostname = "web-1",
                .ip_address = "10.0.0.1",
                .region = "eu-central-1",
                .account_id = "123456789012",
                .date = "2024-02-29",
        };
        const AgentPlaceholders local_only = { .local_hostname = "web-1", .date = "2024-02-29" };
        const struct {
                const char *template;
                const AgentPlaceholders *values;
                const char *want;
        } cases[] = {
                { "/ec2/{instance_id}/messages", &all, "/ec2/i-0123456789abcdef0/messages" },
                { "{hostname}-app", &all, "ip-10-0-0-1.eu-central-1.compute.internal-app" },
                { "{local_hostname}", &all, "web-1" },
                { "daily-{date}", &all, "daily-2024-02-29" },
                { "/acct/{account_id}/{aws_region}", &all, "/acct/123456789012/eu-central-1" },
                { "{ip_address}/{local_hostname}", &all, "10.0.0.1/web-1" },
                { "{instance_id}{instance_id}", &all, "i-0123456789abcdef0i-0123456789abcdef0" },
                { "odd{unknown}group", &all, "odd{unknown}group" },
                { "{{hostname}}", &local_only, "{web-1}" },
                { "{instance_id", &all, "{instance_id" },
                { "plain", &all, "plain" },
                /* ResolvePlaceholder(): an empty name is "{instance_id}". */
                { "", &all, "i-0123456789abcdef0" },
                /* GetMetadataInfo()'s fallbacks; {hostname} falls back to the local name. */
                { "{instance_id}", &local_only, "i-UNKNOWN" },
                { "{hostname}", &local_only, "web-1" },
                { "{ip_address}", &local_only, "UNKNOWN-IP" },
                { "{aws_region}", &local_only, "UNKNOWN-REGION" },
                { "{account_id}", &local_only, "UNKNOWN-ACCOUNT" },
                { "{hostname}/{local_hostname}", NULL, "UNKNOWN-HOST/UNKNOWN-HOST" },
                { "", NULL, "i-UNKNOWN" },
        };
        const AgentPlaceholders empty_strings = { .instance_id = "", .hostname = "",
                                                  .local_hostname = "", .region = "" };
        _cleanup_free_ char *today = NULL, *s = NULL;
        AgentPlaceholders bad_date = all;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *got = expand(cases[i].template, cases[i].values);

                ASSERT_STREQ(got, cases[i].want);
        }

        /* "" is unknown, as in the agent (it tests for the empty string). */
        s = expand("{instance_id} {hostname} {aws_region}", &empty_strings);
        ASSERT_STREQ(s, "i-UNKNOWN UNKNOWN-HOST UNKNOWN-REGION");

        /* Without a date, today's local date in the agent's layout. */
        today = expand("{date}", NULL);
        ASSERT_EQ(strlen(today), 10);
        ASSERT_TRUE(today[4] == '-' && today[7] == '-');

        bad_date.date = "2024-2-29";
        ASSERT_ERROR(agent_expand_placeholders("{date}", &bad_date, &s), EINVAL);
        ASSERT_ERROR(agent_expand_placeholders(NULL, &all, &s), EINVAL);
        ASSERT_ERROR(agent_expand_placeholders("x", &all, NULL), EINVAL);
}

static void test_log_group_name_is_valid(void)
{
        char name[AGENT_LOG_GROUP_NAME_MAX + 2];

        ASSERT_TRUE(agent_log_group_name_is_valid("/ec2/i-0123456789abcdef0/messages"));
        ASSERT_TRUE(agent_log_group_name_is_valid("a"));
        ASSERT_TRUE(agent_log_group_name_is_valid("A-Z_a-z.0-9#/"));
        ASSERT_FALSE(agent_log_group_name_is_valid(""));
        ASSERT_FALSE(agent_log_group_name_is_valid(NULL));
        ASSERT_FALSE(agent_log_group_name_is_valid("has space"));
        ASSERT_FALSE(agent_log_group_name_is_valid("{instance_id}"));
        ASSERT_FALSE(agent_log_group_name_is_valid("colon:"));
        ASSERT_FALSE(agent_log_group_name_is_valid("caf\xc3\xa9"));

        memset(name, 'g', sizeof(name));
        name[AGENT_LOG_GROUP_NAME_MAX] = 0;
        ASSERT_TRUE(agent_log_group_name_is_valid(name));
        name[AGENT_LOG_GROUP_NAME_MAX] = 'g';
        name[AGENT_LOG_GROUP_NAME_MAX + 1] = 0;
        ASSERT_FALSE(agent_log_group_name_is_valid(name));
}

/* ---------------------------------------------------------------------------------------------
 * Hostile and odd documents
 */

static void test_not_documents(void)
{
        const struct {
                const char *data;
                size_t size;
                const char *error;
        } cases[] = {
                { "", 0, "x.json: empty; not a JSON document" },
                { "{\"a\":1,}", 8, "x.json: not JSON: unexpected character at line 1, column 8" },
                { "{\n  \"agent\": {\n", 15,
                  "x.json: not JSON: unexpected end of the file at line 3, column 1" },
                { "{} {}", 5, "x.json: not JSON: unexpected character at line 1, column 4" },
                { "[1, 2]", 6, "x.json: an array, not a JSON object; the agent reads an object" },
                { "\"s\"", 3, "x.json: a string, not a JSON object; the agent reads an object" },
                { "{/* c */}", 9,
                  "x.json: not JSON: quoted object property name expected at line 1, column 2" },
                { "{\"a\":1}\0", 8, "x.json: holds NUL bytes; not a JSON document" },
                { "\xEF\xBB\xBF{}", 5, "x.json: starts with a UTF-8 byte order mark, which the "
                                       "agent's JSON reader rejects" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(agent_config_done) AgentConfig c = {};

                ASSERT_ERROR(agent_config_parse(cases[i].data, cases[i].size, "x.json", &c),
                             EBADMSG);
                ASSERT_STRV(c.files, "x.json");
                ASSERT_STRV(c.errors, cases[i].error);
                ASSERT_NULL(c.notes);
                ASSERT_EQ(c.n_log_groups, 0);
        }
}

static void test_deep_and_large(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *deep = NULL, *big = NULL;
        size_t n = 0;

        /* Far deeper than any agent document: refused, never a stack overflow. */
        deep = malloc(2 * 5000 + 8);
        ASSERT_NOT_NULL(deep);
        n = (size_t) sprintf(deep, "{\"a\":");
        for (size_t i = 0; i < 5000; i++)
                deep[n++] = '[';
        for (size_t i = 0; i < 5000; i++)
                deep[n++] = ']';
        deep[n++] = '}';
        ASSERT_ERROR(agent_config_parse(deep, n, "deep.json", &c), EBADMSG);
        ASSERT_STRV(c.errors, "deep.json: not JSON: nesting too deep at line 1, column 37");
        agent_config_done(&c);

        big = malloc(AGENT_DOCUMENT_MAX + 1);
        ASSERT_NOT_NULL(big);
        memset(big, ' ', AGENT_DOCUMENT_MAX + 1);
        big[0] = '{';
        big[AGENT_DOCUMENT_MAX] = '}';
        ASSERT_ERROR(agent_config_parse(big, AGENT_DOCUMENT_MAX + 1, "big.json", &c), EBADMSG);
        ASSERT_STRV(c.errors, "big.json: larger than 1024 KiB; not read");
        agent_config_done(&c);

        /* Exactly the limit is fine. */
        big[AGENT_DOCUMENT_MAX - 1] = '}';
        ASSERT_EQ(agent_config_parse(big, AGENT_DOCUMENT_MAX, "max.json", &c), 0);
        ASSERT_NULL(c.errors);
}

static void test_bad_values(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        const char *doc =
                "{\"agent\": {\"region\": \"\", \"logfile\": \"\", \"credentials\": "
                "{\"role_arn\": \"arn:aws:iam::1:r\"}},"
                " \"metrics\": {\"namespace\": null, \"credentials\": [], "
                "\"endpoint_override\": \"x\", \"metrics_collected\": {}},"
                " \"logs\": {\"log_stream_name\": \"a\\nb\", \"credentials\": "
                "{\"role_arn\": \"arn:aws:iam::123456789012:role/caf\\u00e9\"},"
                " \"endpoint_override\": \"https://logs.example\\u0000.com\","
                " \"logs_collected\": {\"files\": {\"collect_list\": ["
                "{\"log_group_name\": \"\"},"
                "{\"log_group_name\": \"ok/\\u00e9\"},"
                "{\"log_group_name\": \"c1\\u0085\"},"
                "{\"log_group_name\": \"\\ud800\"},"
                "{\"log_group_name\": \"\xff\"},"
                "{\"log_group_name\": true}]},"
                " \"journald\": 5}}}";

        ASSERT_EQ(agent_config_parse(doc, strlen(doc), "bad.json", &c), 0);
        ASSERT_ITEM(c.region, NULL, NULL);
        ASSERT_ITEM(c.logfile, "", "bad.json: agent.logfile");
        ASSERT_ITEM(c.role_arn, NULL, NULL);
        ASSERT_TRUE(c.metrics);
        ASSERT_ITEM(c.namespace, "CWAgent", "default");
        ASSERT_ITEM(c.metrics_endpoint, NULL, NULL);
        ASSERT_ITEM(c.log_stream, NULL, NULL);
        ASSERT_ITEM(c.logs_role_arn, "arn:aws:iam::123456789012:role/caf\xc3\xa9",
                    "bad.json: logs.credentials.role_arn");
        ASSERT_ITEM(c.logs_endpoint, NULL, NULL);
        /* A lone surrogate escape decodes to U+FFFD, in json-c as in Go's encoding/json. */
        ASSERT_EQ(c.n_log_groups, 2);
        ASSERT_ITEM(c.log_groups[0], "ok/\xc3\xa9", "bad.json: " FILES_1);
        ASSERT_ITEM(c.log_groups[1], "\xef\xbf\xbd",
                    "bad.json: logs.logs_collected.files.collect_list[3].log_group_name");
        ASSERT_STRV(c.errors,
                    "bad.json: agent.region: 0 characters long; the agent accepts 1 to 64",
                    "bad.json: agent.credentials.role_arn: 16 characters long; the agent accepts "
                    "20 to 2048",
                    "bad.json: metrics.namespace: not a string (it is null)",
                    "bad.json: metrics.credentials: not an object (it is an array)",
                    "bad.json: metrics.endpoint_override: 1 characters long; the agent accepts 4 "
                    "to 2048",
                    "bad.json: logs.log_stream_name: holds control characters",
                    "bad.json: logs.endpoint_override: holds a NUL character",
                    "bad.json: logs.logs_collected.files.collect_list[2].log_group_name: holds "
                    "control characters",
                    "bad.json: logs.logs_collected.files.collect_list[4].log_group_name: is not "
                    "valid UTF-8",
                    "bad.json: logs.logs_collected.files.collect_list[5].log_group_name: not a "
                    "string (it is a boolean)",
                    "bad.json: logs.logs_collected.journald: not an object (it is a number)");
        ASSERT_STRV(c.notes,
                    "bad.json: agent.logfile is empty: the agent logs to its standard output (the "
                    "journal), there is no log file to read",
                    "bad.json: logs.logs_collected.files.collect_list[0]: no log_group_name; "
                    "skipped (cwguard probes named log groups only, the agent derives a name "
                    "itself)");
}

static void test_merge_documents(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        const char *a = "{\"metrics\": {\"metrics_collected\": {}}, \"agent\": {\"region\": "
                        "\"us-east-1\"}, \"logs\": {\"logs_collected\": {\"files\": "
                        "{\"collect_list\": [{\"log_group_name\": \"/one\"}]}}}}";
        const char *b = "{\"metrics\": {\"namespace\": \"Later\"}, \"agent\": {\"region\": "
                        "\"us-east-1\", \"logfile\": \"/var/log/cwa.log\"}, \"logs\": "
                        "{\"logs_collected\": {\"files\": {\"collect_list\": [{\"log_group_name\":"
                        " \"/two\"}, {\"log_group_name\": \"/one\"}]}}}}";
        const char *d = "{\"agent\": {\"region\": \"eu-west-1\", \"logfile\": "
                        "\"/var/log/cwa.log\"}, \"metrics\": {\"namespace\": \"Other\"}}";

        ASSERT_EQ(agent_config_parse(a, strlen(a), "a", &c), 0);
        ASSERT_ITEM(c.namespace, "CWAgent", "default");
        ASSERT_ITEM(c.logfile, AGENT_LOGFILE_DEFAULT, AGENT_SOURCE_DEFAULT);

        /* A later document may set what a default filled in; the same value twice is fine;
         * lists are concatenated and deduplicated. */
        ASSERT_EQ(agent_config_parse(b, strlen(b), "b", &c), 0);
        ASSERT_ITEM(c.namespace, "Later", "b: metrics.namespace");
        ASSERT_ITEM(c.region, "us-east-1", "a: agent.region");
        ASSERT_ITEM(c.logfile, "/var/log/cwa.log", "b: agent.logfile");
        ASSERT_EQ(c.n_log_groups, 2);
        ASSERT_ITEM(c.log_groups[0], "/one", "a: " FILES_0);
        ASSERT_ITEM(c.log_groups[1], "/two", "b: " FILES_0);
        ASSERT_NULL(c.errors);

        /* Different values: the agent refuses to start; cwguard keeps the first. */
        ASSERT_EQ(agent_config_parse(d, strlen(d), "d", &c), 0);
        ASSERT_ITEM(c.region, "us-east-1", "a: agent.region");
        ASSERT_ITEM(c.namespace, "Later", "b: metrics.namespace");
        ASSERT_STRV(c.files, "a", "b", "d");
        ASSERT_STRV(c.errors,
                    "d: agent.region: 'eu-west-1' differs from 'us-east-1' in a: agent.region; "
                    "the agent refuses to merge files that give different values, and does not "
                    "start",
                    "d: metrics.namespace: 'Other' differs from 'Later' in b: metrics.namespace; "
                    "the agent refuses to merge files that give different values, and does not "
                    "start");
}

static void test_limits(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *doc = NULL;
        size_t n = 0, cap = 64 * 1024;

        /* 300 unnamed entries: the notes stop at AGENT_MESSAGES_MAX and say so once. */
        doc = malloc(cap);
        ASSERT_NOT_NULL(doc);
        n += (size_t) sprintf(doc + n, "{\"logs\": {\"logs_collected\": {\"files\": "
                                       "{\"collect_list\": [");
        for (unsigned i = 0; i < 300; i++)
                n += (size_t) sprintf(doc + n, "%s{\"file_path\": \"/f%u\"}", i ? "," : "", i);
        n += (size_t) sprintf(doc + n, "]}}}}");
        ASSERT_EQ(agent_config_parse(doc, n, "many.json", &c), 0);
        ASSERT_EQ(strv_length(c.notes), AGENT_MESSAGES_MAX + 1);
        ASSERT_STREQ(c.notes[AGENT_MESSAGES_MAX], "(further messages suppressed)");
        agent_config_done(&c);
        free(doc);

        /* More distinct groups than cwguard probes. */
        cap = 64 * 1024;
        doc = malloc(cap);
        ASSERT_NOT_NULL(doc);
        n = (size_t) sprintf(doc, "{\"logs\": {\"logs_collected\": {\"journald\": "
                                  "{\"collect_list\": [");
        for (unsigned i = 0; i < AGENT_LOG_GROUPS_MAX + 10; i++)
                n += (size_t) sprintf(doc + n, "%s{\"log_group_name\": \"/g/%u\"}", i ? "," : "",
                                      i);
        n += (size_t) sprintf(doc + n, "]}}}}");
        ASSERT_TRUE(n < cap);
        ASSERT_EQ(agent_config_parse(doc, n, "groups.json", &c), 0);
        ASSERT_EQ(c.n_log_groups, AGENT_LOG_GROUPS_MAX);
        ASSERT_EQ(c.n_log_groups_dropped, 10);
        ASSERT_STREQ(c.log_groups[AGENT_LOG_GROUPS_MAX - 1].value, "/g/1023");
        ASSERT_STRV(c.errors, "groups.json: logs.logs_collected.journald.collect_list[1024]."
                              "log_group_name: more than 1024 log groups; the rest are not "
                              "probed");
}

/* ---------------------------------------------------------------------------------------------
 * Installations on disk
 */

static char *fixture_install(const char *name)
{
        char *p = NULL;

        ASSERT_TRUE(asprintf(&p, "%s/agent/%s/amazon-cloudwatch-agent.json", fixtures(), name) >=
                    0);
        return p;
}

#define FMT(...)                                                                           \
        ({                                                                                 \
                char *_s_ = NULL;                                                          \
                ASSERT_TRUE(asprintf(&_s_, __VA_ARGS__) >= 0);                             \
                _s_;                                                                       \
        })

static void test_load_fragments(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *main_path = fixture_install("install-fragments"), *dir = NULL, *app = NULL,
                            *db = NULL, *tmp = NULL, *s = NULL;

        dir = FMT("%s/agent/install-fragments/amazon-cloudwatch-agent.d", fixtures());
        app = FMT("%s/%s", dir, "file_app");
        db = FMT("%s/%s", dir, "ssm_db");
        tmp = FMT("%s/%s", dir, "file_pending.tmp");

        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_TRUE(c.installed);
        /* The agent's merge order: byte order of the paths, so ".d/" before ".json". */
        ASSERT_STRV(c.files, app, db, main_path);
        s = FMT("%s: %s", db, "agent.region");
        ASSERT_ITEM(c.region, "ap-southeast-2", s);
        free(s);
        s = FMT("%s: %s", main_path, "metrics.namespace");
        ASSERT_ITEM(c.namespace, "Fleet", s);
        ASSERT_ITEM(c.logfile, AGENT_LOGFILE_DEFAULT, AGENT_SOURCE_DEFAULT);
        ASSERT_EQ(c.n_log_groups, 3);
        ASSERT_STREQ(c.log_groups[0].value, "/app/web");
        free(s);
        s = FMT("%s: %s", app, FILES_0);
        ASSERT_STREQ(c.log_groups[0].source, s);
        ASSERT_STREQ(c.log_groups[1].value, "/app/web-errors");
        ASSERT_STREQ(c.log_groups[2].value, "/app/db");
        free(s);
        s = FMT("%s: %s", db, JOURNALD_0);
        ASSERT_STREQ(c.log_groups[2].source, s);
        ASSERT_NULL(c.errors);
        free(s);
        s = FMT("%s: %s", tmp, "skipped (the agent reads *.tmp files only when it is "
                               "reconfigured, not at start)");
        ASSERT_STRV(c.notes, s);
}

static void test_load_broken_fragment(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *main_path = fixture_install("install-broken"), *dir = NULL, *a = NULL,
                            *b = NULL, *t = NULL, *d = NULL, *s = NULL;
        const char *tail[] = {
                "agent.region: not a string (it is a number)",
                "metrics: not an object (it is an array)",
                "logs.logs_collected.files.collect_list[0].log_group_name: not a string (it is a "
                "number)",
                "logs.logs_collected.files.collect_list[1]: not an object (it is a string)",
                "logs.logs_collected.files.collect_list[2].log_group_name: holds control "
                "characters",
                "logs.logs_collected.journald.collect_list: not an array (it is an object)",
        };

        dir = FMT("%s/agent/install-broken/amazon-cloudwatch-agent.d", fixtures());
        a = FMT("%s/%s", dir, "file_a_good");
        b = FMT("%s/%s", dir, "file_b_bad");
        t = FMT("%s/%s", dir, "file_c_types");
        d = FMT("%s/%s", dir, "file_d_good");

        /* No main file, only the directory: installed. */
        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_TRUE(c.installed);
        ASSERT_STRV(c.files, a, b, t, d);
        ASSERT_FALSE(c.metrics);
        ASSERT_EQ(c.n_log_groups, 3);
        ASSERT_STREQ(c.log_groups[0].value, "/good/a");
        ASSERT_STREQ(c.log_groups[1].value, "/good/c");
        ASSERT_STREQ(c.log_groups[2].value, "/good/d");

        ASSERT_EQ(strv_length(c.errors), 8);
        s = FMT("%s: %s", b, "not JSON: unexpected character at line 7, column 9");
        ASSERT_STREQ(c.errors[0], s);
        for (size_t i = 0; i < ELEMENTSOF(tail); i++) {
                free(s);
                s = FMT("%s: %s", t, tail[i]);
                ASSERT_STREQ(c.errors[1 + i], s);
        }
        free(s);
        ASSERT_TRUE(asprintf(&s, "%s: the agent stops reading %s/ at this file and ignores the 2 "
                                 "file(s) after it", b, dir) >= 0);
        ASSERT_STREQ(c.errors[7], s);
        ASSERT_NULL(c.notes);
}

static void test_load_conflict(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *main_path = fixture_install("install-conflict"), *other = NULL,
                            *s = NULL;

        other = FMT("%s/agent/install-conflict/amazon-cloudwatch-agent.d/%s", fixtures(),
                    "file_other");
        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_STRV(c.files, other, main_path);
        ASSERT_STREQ(c.region.value, "eu-west-1");
        ASSERT_EQ(c.n_log_groups, 2);
        ASSERT_STREQ(c.log_groups[0].value, "/other");
        ASSERT_STREQ(c.log_groups[1].value, "/main");
        ASSERT_TRUE(asprintf(&s, "%s: agent.region: 'us-east-1' differs from 'eu-west-1' in %s: "
                                 "agent.region; the agent refuses to merge files that give "
                                 "different values, and does not start", main_path, other) >= 0);
        ASSERT_STRV(c.errors, s);
}

static char *temp_dir(void)
{
        char *d = strdup("/tmp/test-agent-config.XXXXXX");

        ASSERT_NOT_NULL(d);
        ASSERT_NOT_NULL(mkdtemp(d));
        return d;
}

static void write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = FMT("%s/%s", dir, name);
        FILE *f = fopen(p, "we");

        ASSERT_NOT_NULL(f);
        ASSERT_EQ(fputs(text, f) >= 0, 1);
        ASSERT_EQ(fclose(f), 0);
}

static void remove_tree(const char *dir)
{
        _cleanup_free_ char *cmd = FMT("rm -rf -- '%s'", dir);

        ASSERT_EQ(system(cmd), 0);
}

static void test_load_not_installed(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *root = temp_dir(), *main_path = NULL, *d = NULL, *s = NULL;

        /* Neither the file nor the directory: no agent, not an error. */
        main_path = FMT("%s/%s", root, "amazon-cloudwatch-agent.json");
        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_FALSE(c.installed);
        ASSERT_NULL(c.files);
        ASSERT_NULL(c.errors);
        ASSERT_NULL(c.notes);
        ASSERT_ITEM(c.logfile, NULL, NULL);
        agent_config_done(&c);

        /* A parent directory that does not exist is the same. */
        free(s);
        s = FMT("%s/%s", root, "nope/amazon-cloudwatch-agent.json");
        ASSERT_EQ(agent_config_load(s, &c), 0);
        ASSERT_FALSE(c.installed);
        agent_config_done(&c);

        /* An empty .d directory: installed, nothing configured. */
        d = FMT("%s/%s", root, "amazon-cloudwatch-agent.d");
        ASSERT_EQ(mkdir(d, 0755), 0);
        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_TRUE(c.installed);
        ASSERT_NULL(c.files);
        ASSERT_NULL(c.errors);
        ASSERT_ITEM(c.logfile, AGENT_LOGFILE_DEFAULT, AGENT_SOURCE_DEFAULT);
        free(s);
        ASSERT_TRUE(asprintf(&s, "%s: no JSON configuration here or in %s/; nothing to derive",
                             main_path, d) >= 0);
        ASSERT_STRV(c.notes, s);

        ASSERT_ERROR(agent_config_load("", &c), EINVAL);
        ASSERT_ERROR(agent_config_load(main_path, NULL), EINVAL);
        remove_tree(root);
}

#define GROUP_DOC                                                                          \
        "{\"logs\": {\"logs_collected\": {\"files\": {\"collect_list\": [{\"log_group_name\": "  \
        "\"%s\"}]}}}}"

static void test_load_odd_files(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *root = temp_dir(), *main_path = NULL, *d = NULL, *sub = NULL, *p = NULL,
                            *q = NULL, *big = NULL, *deep = NULL;
        FILE *f;

        main_path = FMT("%s/%s", root, "amazon-cloudwatch-agent.json");
        d = FMT("%s/%s", root, "amazon-cloudwatch-agent.d");
        sub = FMT("%s/%s", d, "nested");
        ASSERT_EQ(mkdir(d, 0755), 0);
        ASSERT_EQ(mkdir(sub, 0755), 0);

        /* The main file is a directory: installed and broken. */
        ASSERT_EQ(mkdir(main_path, 0755), 0);

        p = FMT(GROUP_DOC, "/nested");
        write_file(sub, "file_n", p);
        free(p);
        p = FMT(GROUP_DOC, "/real");
        write_file(root, "real.json", p);

        /* A link to a file is read; to a directory and a dangling one are not. */
        free(p);
        p = FMT("%s/%s", d, "link_file");
        ASSERT_EQ(symlink("../real.json", p), 0);
        free(p);
        p = FMT("%s/%s", d, "link_dir");
        ASSERT_EQ(symlink("nested", p), 0);
        free(p);
        p = FMT("%s/%s", d, "link_dangling");
        ASSERT_EQ(symlink("missing", p), 0);

        /* A FIFO must never block the reader. */
        free(p);
        p = FMT("%s/%s", d, "fifo");
        ASSERT_EQ(mkfifo(p, 0644), 0);

        /* Too large. */
        big = FMT("%s/%s", d, "file_big");
        f = fopen(big, "we");
        ASSERT_NOT_NULL(f);
        ASSERT_EQ(ftruncate(fileno(f), AGENT_DOCUMENT_MAX + 1), 0);
        ASSERT_EQ(fclose(f), 0);

        /* Deeper than cwguard follows. */
        deep = strdup(d);
        ASSERT_NOT_NULL(deep);
        for (unsigned i = 0; i < AGENT_DIR_DEPTH_MAX; i++) {
                free(p);
                p = FMT("%s/%s", deep, "x");
                ASSERT_EQ(mkdir(p, 0755), 0);
                free(deep);
                deep = TAKE_PTR(p);
        }

        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_TRUE(c.installed);
        ASSERT_EQ(c.n_log_groups, 2);
        ASSERT_STREQ(c.log_groups[0].value, "/real");
        ASSERT_STREQ(c.log_groups[1].value, "/nested");
        ASSERT_EQ(strv_length(c.files), 2);

        free(p);
        ASSERT_TRUE(asprintf(&p, "%s: not a regular file; not read", main_path) >= 0);
        ASSERT_STREQ(c.errors[0], p);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s: larger than 1024 KiB; not read", big) >= 0);
        ASSERT_TRUE(strv_contains(c.errors, p));
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/x/x/x/x/x/x/x/x: nested more than 8 directories deep; not "
                                 "read", d) >= 0);
        ASSERT_TRUE(strv_contains(c.errors, p));
        ASSERT_EQ(strv_length(c.errors), 3);

        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/fifo: not a regular file; skipped", d) >= 0);
        ASSERT_TRUE(strv_contains(c.notes, p));
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/link_dangling: dangling symbolic link; ignored, as the agent "
                                 "does", d) >= 0);
        ASSERT_TRUE(strv_contains(c.notes, p));
        ASSERT_EQ(strv_length(c.notes), 2);

        remove_tree(root);
}

static void test_load_too_many_files(void)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_free_ char *root = temp_dir(), *main_path = NULL, *d = NULL, *s = NULL;

        main_path = FMT("%s/%s", root, "amazon-cloudwatch-agent.json");
        d = FMT("%s/%s", root, "amazon-cloudwatch-agent.d");
        ASSERT_EQ(mkdir(d, 0755), 0);
        for (unsigned i = 0; i < AGENT_FILES_MAX + 2; i++) {
                char name[32];

                snprintf(name, sizeof(name), "file_%03u", i);
                write_file(d, name, "{}");
        }
        ASSERT_EQ(agent_config_load(main_path, &c), 0);
        ASSERT_EQ(strv_length(c.files), AGENT_FILES_MAX);
        ASSERT_EQ(strv_length(c.errors), 2);
        ASSERT_TRUE(asprintf(&s, "%s/file_064: more than 64 configuration files; not read", d) >=
                    0);
        ASSERT_STREQ(c.errors[0], s);

        /* Unreadable files are errors, not failures (root reads anything: skip that part). */
        agent_config_done(&c);
        if (geteuid() != 0) {
                _cleanup_free_ char *p = FMT("%s/%s", d, "file_000");

                ASSERT_EQ(chmod(p, 0), 0);
                ASSERT_EQ(agent_config_load(main_path, &c), 0);
                free(s);
                ASSERT_TRUE(asprintf(&s, "%s: cannot read: Permission denied", p) >= 0);
                ASSERT_STREQ(c.errors[2], s);
        }
        remove_tree(root);
}

int main(void)
{
        TEST(test_metrics_only);
        TEST(test_logs_only);
        TEST(test_full);
        TEST(test_section_roles);
        TEST(test_windows_events);
        TEST(test_placeholder_templates);
        TEST(test_expand_placeholders);
        TEST(test_log_group_name_is_valid);
        TEST(test_not_documents);
        TEST(test_deep_and_large);
        TEST(test_bad_values);
        TEST(test_merge_documents);
        TEST(test_limits);
        TEST(test_load_fragments);
        TEST(test_load_broken_fragment);
        TEST(test_load_conflict);
        TEST(test_load_not_installed);
        TEST(test_load_odd_files);
        TEST(test_load_too_many_files);
        return 0;
}
