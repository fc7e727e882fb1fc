/* SPDX-License-Identifier: MIT */
/*
 * test-config-agent.c: `probes: auto` and the rest of config_apply_agent(). What the agent's
 * files say fills exactly what cwguard.yaml left open — explicit keys always win, the agent's
 * files win over the environment — each value keeps where it came from, and what cwguard cannot
 * use becomes a note instead of an error. Against the agent fixtures of tests/fixtures/agent/.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/agent-config.h"
#include "common/agent-toml.h"
#include "config/config.h"
#include "tests/test.h"

static const char *fixtures(void)
{
        return getenv("CWGUARD_FIXTURES") ?: "tests/fixtures";
}

static char *fixture(const char *name)
{
        char *p;

        ASSERT_TRUE(asprintf(&p, "%s/agent/%s", fixtures(), name) >= 0);
        return p;
}

/* A Config from @yaml with the agent files @json (a file, or an installation's main file) and
 * @toml (NULL: none) applied. */
static Config *load(const char *yaml, const char *json, const char *toml, char **envp)
{
        _cleanup_free_ char *text = NULL, *jpath = fixture(json), *tpath = NULL;
        Config *c = NULL;
        int r;

        if (toml)
                tpath = fixture(toml);
        ASSERT_TRUE(asprintf(&text, "%sagent:\n  config: %s\n  common_config: %s\n", yaml,
                             jpath, tpath ?: "/nonexistent/common-config.toml") >= 0);
        r = config_load_string(text, strlen(text), "cwguard.yaml", &c, NULL);
        ASSERT_OK(r);
        ASSERT_OK(config_apply_environment(c, envp, NULL));
        ASSERT_OK(config_load_agent(c));
        return c;
}

/* As load(), with an agent file given by its full path. */
static Config *load_path(const char *json)
{
        _cleanup_free_ char *text = NULL;
        Config *c = NULL;

        ASSERT_TRUE(asprintf(&text, "agent:\n  config: %s\n  common_config: /nonexistent/x.toml\n",
                             json) >= 0);
        ASSERT_OK(config_load_string(text, strlen(text), "cwguard.yaml", &c, NULL));
        ASSERT_OK(config_load_agent(c));
        return c;
}

static bool notes_contain(const Config *c, const char *needle)
{
        STRV_FOREACH(n, c->agent.notes)
                if (strstr(*n, needle))
                        return true;
        return false;
}

static void test_full_discovery(void)
{
        _cleanup_(config_freep) Config *c = load("", "full.json", "common-config.toml", NULL);

        ASSERT_TRUE(c->agent.installed);
        /* The namespace the agent publishes into, and the heartbeat follows it. */
        ASSERT_EQ(strv_length(c->probes.metrics), 1u);
        ASSERT_STREQ(c->probes.metrics[0], "MyApp/Host");
        ASSERT_NOT_NULL(strstr(c->probes.metrics_sources[0], "full.json: metrics.namespace"));
        ASSERT_EQ(c->origins[CONFIG_SETTING_PROBES_METRICS].source, CONFIG_SOURCE_AGENT);
        ASSERT_STREQ(c->heartbeat.namespace, "MyApp/Host");
        /* Its log groups, each with the file and JSON path it came from. */
        ASSERT_EQ(strv_length(c->probes.logs), strv_length(c->probes.logs_sources));
        ASSERT_TRUE(strv_length(c->probes.logs) >= 2);
        ASSERT_STREQ(c->probes.logs[0], "amazon-cloudwatch-agent.log");
        ASSERT_NOT_NULL(strstr(c->probes.logs_sources[0],
                               "logs.logs_collected.files.collect_list[0].log_group_name"));
        ASSERT_EQ(c->origins[CONFIG_SETTING_PROBES_LOGS].source, CONFIG_SOURCE_AGENT);
        /* agent.region and the endpoint overrides. */
        ASSERT_STREQ(c->region, "us-west-2");
        ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_AGENT);
        ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_MONITORING],
                      "https://monitoring-fips.us-west-2.amazonaws.com");
        ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_LOGS], "https://logs-fips.us-west-2.amazonaws.com");
        /* common-config.toml: credentials, proxy, CA bundle. */
        ASSERT_STREQ(c->credentials.profile, "AmazonCloudWatchAgent");
        ASSERT_STREQ(c->credentials.file, "/root/.aws/credentials");
        ASSERT_STREQ(c->proxy.url, "http://proxy:8080");
        ASSERT_STREQ(c->proxy.no_proxy, "169.254.169.254,localhost");
        ASSERT_STREQ(c->ca_bundle, "/etc/pki/ca.pem");
        ASSERT_EQ(c->origins[CONFIG_SETTING_CA_BUNDLE].source, CONFIG_SOURCE_AGENT);
        /* agent.credentials.role_arn: assumed for every section and the identity probe. */
        ASSERT_STREQ(c->credentials.role_arn,
                     "arn:aws:iam::123456789012:role/CloudWatchAgentServerRole");
        ASSERT_STREQ(config_metrics_role_arn(c), c->credentials.role_arn);
        ASSERT_STREQ(config_logs_role_arn(c), c->credentials.role_arn);
        ASSERT_NOT_NULL(strstr(c->credentials.role_arn_source,
                               "full.json: agent.credentials.role_arn"));
        ASSERT_FALSE(notes_contain(c, "role"));
}

static void test_roles(void)
{
        _cleanup_(config_freep) Config *c = load("", "section-roles.json", NULL, NULL);
        _cleanup_(config_freep) Config *d = NULL;
        _cleanup_free_ char *json = NULL;
        FILE *f;

        /* A section's own role beats the agent-level one; the identity probe takes the latter. */
        ASSERT_STREQ(c->credentials.role_arn, "arn:aws:iam::123456789012:role/AgentWide");
        ASSERT_STREQ(config_metrics_role_arn(c), "arn:aws:iam::210987654321:role/MetricsOnly");
        ASSERT_STREQ(config_logs_role_arn(c), "arn:aws:iam::123456789012:role/AgentWide");

        /* credentials.role_arn in cwguard.yaml wins over all of them, and says so. */
        d = load("credentials:\n  role_arn: arn:aws:iam::111122223333:role/Mine\n",
                 "section-roles.json", NULL, NULL);
        ASSERT_STREQ(d->credentials.role_arn, "arn:aws:iam::111122223333:role/Mine");
        ASSERT_STREQ(config_metrics_role_arn(d), "arn:aws:iam::111122223333:role/Mine");
        ASSERT_STREQ(config_logs_role_arn(d), "arn:aws:iam::111122223333:role/Mine");
        ASSERT_NULL(d->credentials.role_arn_source);
        ASSERT_TRUE(notes_contain(d, "cwguard assumes arn:aws:iam::111122223333:role/Mine"));
        config_free(TAKE_PTR(d));

        /* The agent's own invalid ARN: said, and still used, so the probes fail as the agent
         * does instead of passing with the base credentials. */
        ASSERT_TRUE(asprintf(&json, "/tmp/cwguard-test-roles-%d.json", (int) getpid()) > 0);
        f = fopen(json, "we");
        ASSERT_NOT_NULL(f);
        fputs("{\"agent\": {\"credentials\": {\"role_arn\": \"arn:aws:iam::12345:role/Short\"}},"
              " \"metrics\": {\"metrics_collected\": {\"mem\": {\"measurement\": "
              "[\"mem_used_percent\"]}}}}", f);
        ASSERT_EQ(fclose(f), 0);
        d = load_path(json);
        ASSERT_TRUE(notes_contain(d, "is not a valid role ARN: the account is not 12 digits"));
        ASSERT_STREQ(config_metrics_role_arn(d), "arn:aws:iam::12345:role/Short");
        (void) unlink(json);
}

static void test_explicit_configuration_wins(void)
{
        static const char yaml[] = "region: eu-west-1\n"
                                   "ca_bundle: /etc/cwguard/ca.pem\n"
                                   "proxy:\n  url: \"\"\n"
                                   "credentials:\n  profile: mine\n"
                                   "probes:\n  metrics: [Mine]\n"
                                   "endpoints:\n  logs: https://logs.example.com\n";
        _cleanup_(config_freep) Config *c = load(yaml, "full.json", "common-config.toml", NULL);

        ASSERT_STREQ(c->region, "eu-west-1");
        ASSERT_STREQ(c->ca_bundle, "/etc/cwguard/ca.pem");
        ASSERT_STREQ(c->proxy.url, "");
        ASSERT_STREQ(c->credentials.profile, "mine");
        ASSERT_STREQ(c->credentials.file, "/root/.aws/credentials"); /* not configured */
        ASSERT_EQ(strv_length(c->probes.metrics), 1u);
        ASSERT_STREQ(c->probes.metrics[0], "Mine");
        ASSERT_NULL(c->probes.metrics_sources);
        ASSERT_STREQ(c->heartbeat.namespace, "Mine");
        ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_LOGS], "https://logs.example.com");
        /* Logs were not configured: still the agent's. */
        ASSERT_EQ(c->origins[CONFIG_SETTING_PROBES_LOGS].source, CONFIG_SOURCE_AGENT);
        ASSERT_STREQ(c->probes.logs[0], "amazon-cloudwatch-agent.log");
}

static void test_agent_beats_environment(void)
{
        char *envp[] = { (char *) "AWS_REGION=sa-east-1", NULL };
        _cleanup_(config_freep) Config *c = load("", "full.json", NULL, envp);
        _cleanup_(config_freep) Config *d = load("", "logs-only.json", NULL, envp);

        /* The agent reads its own files, not cwguard's environment. */
        ASSERT_STREQ(c->region, "us-west-2");
        ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_AGENT);
        /* No agent.region: the environment stands. */
        ASSERT_STREQ(d->region, "sa-east-1");
        ASSERT_EQ(d->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_ENVIRONMENT);
}

static void test_logs_only_agent_publishes_no_metrics(void)
{
        _cleanup_(config_freep) Config *c = load("", "logs-only.json", NULL, NULL);

        ASSERT_TRUE(c->agent.installed);
        /* No metrics section: nothing to probe but the heartbeat, in the default namespace. */
        ASSERT_EQ(strv_length(c->probes.metrics), 0u);
        ASSERT_NOT_NULL(c->probes.metrics);
        ASSERT_STREQ(c->heartbeat.namespace, "CWAgent");
        ASSERT_TRUE(strv_length(c->probes.logs) > 0);
}

static void test_fragments_and_broken_files(void)
{
        _cleanup_(config_freep) Config *c =
                load("", "install-fragments/amazon-cloudwatch-agent.json", NULL, NULL);
        _cleanup_(config_freep) Config *b =
                load("", "install-broken/amazon-cloudwatch-agent.json", NULL, NULL);

        ASSERT_STREQ(c->probes.metrics[0], "Fleet");
        ASSERT_STREQ(c->region, "ap-southeast-2");
        ASSERT_TRUE(strv_contains(c->probes.logs, "/app/web"));
        ASSERT_TRUE(strv_contains(c->probes.logs, "/app/web-errors"));
        for (size_t i = 0; c->probes.logs[i]; i++)
                if (streq(c->probes.logs[i], "/app/web"))
                        ASSERT_NOT_NULL(strstr(c->probes.logs_sources[i], "file_app"));

        /* Only fragments, one not JSON: the good ones are used and the bad one is a note. */
        ASSERT_TRUE(b->agent.installed);
        ASSERT_TRUE(notes_contain(b, "file_b_bad"));
        ASSERT_TRUE(strv_length(b->probes.logs) > 0);
}

static void test_not_installed(void)
{
        _cleanup_(config_freep) Config *c = load("", "no-such-dir/amazon-cloudwatch-agent.json",
                                                 NULL, NULL);

        ASSERT_FALSE(c->agent.installed);
        ASSERT_EQ(c->origins[CONFIG_SETTING_PROBES_METRICS].source, CONFIG_SOURCE_DEFAULT);
        ASSERT_EQ(strv_length(c->probes.metrics), 1u);
        ASSERT_STREQ(c->probes.metrics[0], "CWAgent");
        ASSERT_EQ(strv_length(c->probes.logs), 0u);
        ASSERT_NULL(c->agent.notes);
}

static void test_unusable_values_become_notes(void)
{
        static const char json[] = "{\"agent\": {\"region\": \"not a region\"},"
                                   " \"metrics\": {\"namespace\": \"AWS/EC2\","
                                   "   \"endpoint_override\": \"http://plain.example.com\"}}";
        static const char toml[] = "[credentials]\nshared_credential_file = \"relative\"\n";
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(agent_config_done) AgentConfig a = {};
        _cleanup_(agent_toml_done) AgentToml t = {};

        ASSERT_OK(config_new_default(&c));
        ASSERT_OK(agent_config_parse(json, strlen(json), "/etc/agent.json", &a));
        a.installed = true;
        ASSERT_OK(agent_toml_parse(toml, strlen(toml), "common-config.toml", &t, NULL));
        ASSERT_OK(config_apply_agent(c, &a, &t));

        /* Nothing unusable was taken, everything unusable was said. */
        ASSERT_NULL(c->region);
        ASSERT_EQ(strv_length(c->probes.metrics), 0u);
        ASSERT_NULL(c->endpoints[CONFIG_SERVICE_MONITORING]);
        ASSERT_NULL(c->credentials.file);
        ASSERT_TRUE(notes_contain(c, "region 'not a region' is not used"));
        ASSERT_TRUE(notes_contain(c, "metrics.namespace 'AWS/EC2' is not probed"));
        ASSERT_TRUE(notes_contain(c, "endpoints.monitoring 'http://plain.example.com'"));
        ASSERT_TRUE(notes_contain(c, "shared_credential_file 'relative' is not used"));
        ASSERT_OK(config_apply_agent(c, NULL, NULL));
        ASSERT_ERROR(config_apply_agent(NULL, &a, &t), EINVAL);
}

/* agent.log: as configured, else the agent's agent.logfile, else the standard file. */
static void test_agent_log_path(void)
{
        static const char json[] = "{\"agent\": {\"logfile\": \"/var/log/cwagent/agent.log\"}}";
        static const char stdout_json[] = "{\"agent\": {\"logfile\": \"\"}}";
        _cleanup_(agent_config_done) AgentConfig a = {}, b = {};
        Config *c = NULL;

        ASSERT_OK(agent_config_parse(json, strlen(json), "/etc/agent.json", &a));
        a.installed = true;
        ASSERT_OK(config_new_default(&c));
        ASSERT_NULL(c->agent.log);
        ASSERT_STREQ(c->agent.unit, "amazon-cloudwatch-agent.service");
        ASSERT_EQ(c->agent.log_window, 10 * USEC_PER_MINUTE);
        ASSERT_OK(config_apply_agent(c, &a, NULL));
        ASSERT_STREQ(c->agent.log, "/var/log/cwagent/agent.log");
        config_free(c);

        /* Configured: wins over the agent's file. */
        ASSERT_OK(config_load_string(SL("agent:\n  log: /srv/agent.log\n  unit: \"\"\n"
                                        "  log_window: 90s\n"), "cwguard.yaml", &c, NULL));
        ASSERT_OK(config_apply_agent(c, &a, NULL));
        ASSERT_STREQ(c->agent.log, "/srv/agent.log");
        ASSERT_STREQ(c->agent.unit, "");
        ASSERT_EQ(c->agent.log_window, 90 * USEC_PER_SEC);
        config_free(c);

        /* The agent logs to stdout (""), or there is no agent: the standard file. */
        ASSERT_OK(agent_config_parse(stdout_json, strlen(stdout_json), "/etc/agent.json", &b));
        b.installed = true;
        ASSERT_OK(config_new_default(&c));
        ASSERT_OK(config_apply_agent(c, &b, NULL));
        ASSERT_STREQ(c->agent.log, AGENT_LOGFILE_DEFAULT);
        config_free(c);
        ASSERT_OK(config_new_default(&c));
        ASSERT_OK(config_apply_agent(c, NULL, NULL));
        ASSERT_STREQ(c->agent.log, AGENT_LOGFILE_DEFAULT);
        config_free(c);

        /* "" turns agent:log off, and stays "" whatever the agent's file says. */
        ASSERT_OK(config_load_string(SL("agent:\n  log: \"\"\n"), "cwguard.yaml", &c, NULL));
        ASSERT_OK(config_apply_agent(c, &a, NULL));
        ASSERT_STREQ(c->agent.log, "");
        config_free(c);

        /* Refused values. */
        ASSERT_ERROR(config_load_string(SL("agent:\n  unit: \"no unit\"\n"), "cwguard.yaml",
                                        &c, NULL), EINVAL);
        ASSERT_ERROR(config_load_string(SL("agent:\n  log_window: 1s\n"), "cwguard.yaml", &c,
                                        NULL), EINVAL);
        ASSERT_ERROR(config_load_string(SL("agent:\n  log: relative.log\n"), "cwguard.yaml",
                                        &c, NULL), EINVAL);
}

int main(void)
{
        TEST(test_agent_log_path);
        TEST(test_full_discovery);
        TEST(test_roles);
        TEST(test_explicit_configuration_wins);
        TEST(test_agent_beats_environment);
        TEST(test_logs_only_agent_publishes_no_metrics);
        TEST(test_fragments_and_broken_files);
        TEST(test_not_installed);
        TEST(test_unusable_values_become_notes);
        return 0;
}
