/* SPDX-License-Identifier: MIT */
/*
 * test-config.c: cwguard.yaml -> Config. The shipped example must give exactly the defaults, a
 * file setting every key must set every field, and each kind of mistake (fixtures under
 * tests/fixtures/config/) must be reported at its exact line, column and key path. Also the
 * duration syntax, the SDK environment precedence and the derived endpoint URLs.
 */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "tests/test.h"

static char *mfree_str(char *p)
{
        free(p);
        return NULL;
}

static const char *fixtures(void)
{
        const char *d = getenv("CWGUARD_FIXTURES");

        if (!d) {
                fprintf(stderr, "CWGUARD_FIXTURES is not set (run through meson test)\n");
                abort();
        }
        return d;
}

static char *fixture(const char *name)
{
        char *p;

        ASSERT_TRUE(asprintf(&p, "%s/config/%s", fixtures(), name) >= 0);
        return p;
}

static void assert_strv_eq(char **a, char **b)
{
        ASSERT_EQ(strv_length(a), strv_length(b));
        for (size_t i = 0; a && a[i]; i++)
                ASSERT_STREQ(a[i], b[i]);
}

static void assert_config_eq(const Config *a, const Config *b)
{
        ASSERT_TRUE(streq_ptr(a->region, b->region));
        ASSERT_EQ(a->interval, b->interval);
        ASSERT_EQ(a->timeout, b->timeout);
        ASSERT_EQ(a->endpoint_check_interval, b->endpoint_check_interval);
        for (int i = 0; i < _CONFIG_SERVICE_MAX; i++)
                ASSERT_TRUE(streq_ptr(a->endpoints[i], b->endpoints[i]));
        ASSERT_TRUE(streq_ptr(a->ca_bundle, b->ca_bundle));
        ASSERT_TRUE(streq_ptr(a->proxy.url, b->proxy.url));
        ASSERT_TRUE(streq_ptr(a->proxy.no_proxy, b->proxy.no_proxy));
        ASSERT_STREQ(a->imds.endpoint, b->imds.endpoint);
        ASSERT_EQ(a->imds.timeout, b->imds.timeout);
        ASSERT_EQ(a->imds.token_ttl, b->imds.token_ttl);
        ASSERT_EQ(a->imds.allow_v1, b->imds.allow_v1);
        ASSERT_TRUE(streq_ptr(a->credentials.profile, b->credentials.profile));
        ASSERT_TRUE(streq_ptr(a->credentials.file, b->credentials.file));
        assert_strv_eq(a->probes.metrics, b->probes.metrics);
        assert_strv_eq(a->probes.logs, b->probes.logs);
        ASSERT_STREQ(a->probes.log_stream, b->probes.log_stream);
        ASSERT_EQ(a->probes.create_log_group, b->probes.create_log_group);
        ASSERT_EQ(a->heartbeat.interval, b->heartbeat.interval);
        ASSERT_STREQ(a->heartbeat.namespace, b->heartbeat.namespace);
        ASSERT_EQ(a->heartbeat.detail, b->heartbeat.detail);
        ASSERT_TRUE(streq_ptr(a->heartbeat.auto_scaling_group, b->heartbeat.auto_scaling_group));
        ASSERT_EQ(a->heartbeat.auto_scaling_group_from_tags,
                  b->heartbeat.auto_scaling_group_from_tags);
        for (int i = 0; i < _CONFIG_SETTING_MAX; i++) {
                ASSERT_EQ(a->origins[i].source, b->origins[i].source);
                ASSERT_TRUE(streq_ptr(a->origins[i].variable, b->origins[i].variable));
        }
}

static void test_defaults(void)
{
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(config_new_default(&c));
        ASSERT_NULL(c->path);
        ASSERT_FALSE(c->from_file);
        ASSERT_NULL(c->region);
        ASSERT_EQ(c->interval, 60 * USEC_PER_SEC);
        ASSERT_EQ(c->timeout, 5 * USEC_PER_SEC);
        ASSERT_EQ(c->endpoint_check_interval, USEC_PER_HOUR);
        for (int i = 0; i < _CONFIG_SERVICE_MAX; i++)
                ASSERT_NULL(c->endpoints[i]);
        ASSERT_NULL(c->ca_bundle);
        ASSERT_NULL(c->proxy.url);
        ASSERT_NULL(c->proxy.no_proxy);
        ASSERT_STREQ(c->imds.endpoint, "http://169.254.169.254");
        ASSERT_EQ(c->imds.timeout, USEC_PER_SEC);
        ASSERT_EQ(c->imds.token_ttl, 6 * USEC_PER_HOUR);
        ASSERT_FALSE(c->imds.allow_v1);
        ASSERT_NULL(c->credentials.profile);
        ASSERT_NULL(c->credentials.file);
        ASSERT_EQ(strv_length(c->probes.metrics), 1);
        ASSERT_STREQ(c->probes.metrics[0], "CWAgent");
        ASSERT_NOT_NULL(c->probes.logs);
        ASSERT_EQ(strv_length(c->probes.logs), 0);
        ASSERT_STREQ(c->probes.log_stream, "cwguard-{instance_id}");
        ASSERT_FALSE(c->probes.create_log_group);
        ASSERT_EQ(c->heartbeat.interval, 5 * USEC_PER_MINUTE);
        ASSERT_STREQ(c->heartbeat.namespace, "CWAgent");
        ASSERT_FALSE(c->heartbeat.detail);
        ASSERT_NULL(c->heartbeat.auto_scaling_group);
        ASSERT_TRUE(c->heartbeat.auto_scaling_group_from_tags);
        for (int i = 0; i < _CONFIG_SETTING_MAX; i++)
                ASSERT_EQ(c->origins[i].source, CONFIG_SOURCE_DEFAULT);
}

static void test_missing_file(void)
{
        _cleanup_(config_freep) Config *c = NULL, *d = NULL;
        ConfigError e = CONFIG_ERROR_NULL;

        ASSERT_OK(config_load("/nonexistent/cwguard.yaml", &c, &e));
        ASSERT_NULL(e.message);
        ASSERT_STREQ(c->path, "/nonexistent/cwguard.yaml");
        ASSERT_FALSE(c->from_file);
        ASSERT_OK(config_new_default(&d));
        assert_config_eq(c, d);
}

static void test_example_is_defaults(void)
{
        _cleanup_(config_freep) Config *c = NULL, *d = NULL;
        _cleanup_free_ char *p = NULL;
        ConfigError e = CONFIG_ERROR_NULL;
        const char *root = getenv("CWGUARD_SOURCE_ROOT");

        ASSERT_NOT_NULL(root);
        ASSERT_TRUE(asprintf(&p, "%s/config/cwguard.yaml", root) >= 0);
        ASSERT_OK(config_load(p, &c, &e));
        ASSERT_TRUE(c->from_file);
        ASSERT_STREQ(c->path, p);
        ASSERT_OK(config_new_default(&d));
        assert_config_eq(c, d);
}

/*
 * The example, uncommented, must be a valid configuration too: otherwise the documentation lies.
 * Strip one "#" from each "#key" or "#  key" line (not from prose comments, which start "# ").
 */
static void test_example_uncommented(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *p = NULL, *data = NULL, *out = NULL;
        ConfigError e = CONFIG_ERROR_NULL;
        const char *root = getenv("CWGUARD_SOURCE_ROOT");
        size_t size, n = 0;

        ASSERT_TRUE(asprintf(&p, "%s/config/cwguard.yaml", root) >= 0);
        ASSERT_OK(read_file_capped(p, CONFIG_FILE_MAX, &data, &size));
        out = calloc(1, size + 1);
        ASSERT_NOT_NULL(out);
        for (char *line = data; *line;) {
                size_t len = strcspn(line, "\n");
                bool setting = line[0] == '#' && line[1] != ' ' && line[1] != '\n' && line[1];

                /* "#  key: v" inside a section: "#" then two spaces then a non-'#'. */
                if (line[0] == '#' && line[1] == ' ' && line[2] == ' ' && line[3] != '#')
                        setting = true;
                if (setting) {
                        memcpy(out + n, line + 1, len - 1);
                        n += len - 1;
                } else {
                        memcpy(out + n, line, len);
                        n += len;
                }
                line += len;
                if (*line == '\n') {
                        out[n++] = '\n';
                        line++;
                }
        }
        if (config_load_string(out, n, "uncommented", &c, &e) < 0) {
                fprintf(stderr, "%s:%u:%u: %s: %s\n%s", e.file, e.line, e.column, strna(e.key),
                        e.message, out);
                abort();
        }
        ASSERT_STREQ(c->region, "us-east-1");
        ASSERT_STREQ(c->proxy.url, "http://proxy.example.com:3128");
        ASSERT_STREQ(c->credentials.profile, "AmazonCloudWatchAgent");
        ASSERT_STREQ(c->probes.logs[0], "/aws/ec2/app");
        ASSERT_NULL(c->heartbeat.auto_scaling_group);
        config_error_done(&e);
}

static void test_full(void)
{
        _cleanup_(config_freep) Config *c = NULL, *d = NULL;
        _cleanup_free_ char *p = fixture("full.yaml");
        ConfigError e = CONFIG_ERROR_NULL;

        ASSERT_OK(config_load(p, &c, &e));
        ASSERT_TRUE(c->from_file);
        ASSERT_STREQ(c->region, "eu-west-1");
        ASSERT_EQ(c->interval, 90 * USEC_PER_SEC);
        ASSERT_EQ(c->timeout, 1500 * USEC_PER_MSEC);
        ASSERT_EQ(c->endpoint_check_interval, 2 * USEC_PER_HOUR);
        ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_MONITORING],
                     "https://monitoring.vpce-0123.example.com");
        ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_LOGS], "https://logs.vpce-0123.example.com:8443/");
        ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_STS], "https://[fd00::1]:443");
        ASSERT_STREQ(c->ca_bundle, "/etc/pki/tls/certs/corporate-ca.pem");
        ASSERT_STREQ(c->proxy.url, "http://user:secret@proxy.example.com:3128");
        ASSERT_STREQ(c->proxy.no_proxy, "localhost,.internal");
        ASSERT_STREQ(c->imds.endpoint, "http://[fd00:ec2::254]");
        ASSERT_EQ(c->imds.timeout, 500 * USEC_PER_MSEC);
        ASSERT_EQ(c->imds.token_ttl, USEC_PER_HOUR);
        ASSERT_TRUE(c->imds.allow_v1);
        ASSERT_STREQ(c->credentials.profile, "AmazonCloudWatchAgent");
        ASSERT_STREQ(c->credentials.file, "/etc/cwguard/credentials");
        ASSERT_EQ(strv_length(c->probes.metrics), 2);
        ASSERT_STREQ(c->probes.metrics[0], "CWAgent");
        ASSERT_STREQ(c->probes.metrics[1], "Custom/App");
        ASSERT_EQ(strv_length(c->probes.logs), 2);
        ASSERT_STREQ(c->probes.logs[0], "/aws/ec2/app");
        ASSERT_STREQ(c->probes.logs[1], "app#1.log_group-x");
        ASSERT_STREQ(c->probes.log_stream,
                     "{hostname}-{ip_address}-{local_hostname}-{instance_id}");
        ASSERT_TRUE(c->probes.create_log_group);
        ASSERT_EQ(c->heartbeat.interval, 2 * USEC_PER_MINUTE);
        ASSERT_STREQ(c->heartbeat.namespace, "CWGuard/Heartbeat");
        ASSERT_TRUE(c->heartbeat.detail);
        ASSERT_STREQ(c->heartbeat.auto_scaling_group, "my-asg");
        ASSERT_FALSE(c->heartbeat.auto_scaling_group_from_tags);

        for (int i = 0; i < _CONFIG_SETTING_MAX; i++) {
                ASSERT_EQ(c->origins[i].source, CONFIG_SOURCE_CONFIG);
                ASSERT_NULL(c->origins[i].variable);
        }

        /* Nothing was left at its default: every field differs from config_new_default(). */
        ASSERT_OK(config_new_default(&d));
        ASSERT_NE(c->interval, d->interval);
        ASSERT_NE(c->timeout, d->timeout);
        ASSERT_NE(c->endpoint_check_interval, d->endpoint_check_interval);
        ASSERT_NE(c->imds.timeout, d->imds.timeout);
        ASSERT_NE(c->imds.token_ttl, d->imds.token_ttl);
        ASSERT_NE(c->heartbeat.interval, d->heartbeat.interval);
        ASSERT_FALSE(streq(c->probes.log_stream, d->probes.log_stream));
        ASSERT_FALSE(streq(c->imds.endpoint, d->imds.endpoint));
}

static void test_error_fixtures(void)
{
        static const struct {
                const char *file;
                unsigned line, column;
                const char *key;
                const char *message; /* a part of it */
        } cases[] = {
                { "error-unknown-key.yaml", 4, 3, "probes.metricz", "unknown key 'metricz'" },
                { "error-wrong-type.yaml", 4, 5, "imds.timeout",
                  "expected a duration, got a mapping" },
                { "error-bad-duration.yaml", 2, 11, "interval", "invalid duration '5x'" },
                { "error-http-endpoint.yaml", 3, 8, "endpoints.sts", "must be an https:// URL" },
                { "error-namespace-aws.yaml", 4, 7, "probes.metrics[1]", "'AWS/'" },
                { "error-bad-log-group.yaml", 2, 26, "probes.logs[1]",
                  "invalid value 'bad group'" },
                { "error-duplicate-key.yaml", 3, 1, "interval",
                  "duplicate key (first given on line 1)" },
                { "error-duplicate-item.yaml", 2, 30, "probes.metrics[2]",
                  "duplicate list item 'CWAgent' (also probes.metrics[0])" },
                { "error-syntax.yaml", 4, 7, "probes.metrics[1]",
                  "invalid YAML: did not find expected ',' or ']'" },
                { "error-control-char.yaml", 2, 14, "heartbeat.namespace",
                  "control characters are not allowed" },
                { "error-unknown-placeholder.yaml", 2, 15, "probes.log_stream",
                  "unknown placeholder" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(config_freep) Config *c = NULL;
                _cleanup_free_ char *p = fixture(cases[i].file), *s = NULL, *want = NULL;
                ConfigError e = CONFIG_ERROR_NULL;

                fprintf(stderr, "   %s\n", cases[i].file);
                ASSERT_ERROR(config_load(p, &c, &e), EINVAL);
                ASSERT_NULL(c);
                ASSERT_STREQ(e.file, p);
                ASSERT_EQ(e.line, cases[i].line);
                ASSERT_EQ(e.column, cases[i].column);
                ASSERT_STREQ(e.key, cases[i].key);
                ASSERT_NOT_NULL(e.message);
                if (!strstr(e.message, cases[i].message)) {
                        fprintf(stderr, "message '%s' lacks '%s'\n", e.message, cases[i].message);
                        abort();
                }

                ASSERT_OK(config_error_format(&e, &s));
                ASSERT_TRUE(asprintf(&want, "%s:%u:%u: %s: %s", p, cases[i].line, cases[i].column,
                                     cases[i].key, e.message) >= 0);
                ASSERT_STREQ(s, want);
                config_error_done(&e);
                ASSERT_NULL(e.message);
        }
}

/* Documents given inline: the shape rules and less common mistakes. */
static void test_inline(void)
{
        static const struct {
                const char *yaml;
                unsigned line, column;
                const char *key;     /* NULL: no key */
                const char *message; /* NULL: must load */
        } cases[] = {
                /* Empty, comments only, explicit nulls: all defaults. */
                { "", 0, 0, NULL, NULL },
                { "# nothing\n\n", 0, 0, NULL, NULL },
                { "---\n...\n", 0, 0, NULL, NULL },
                { "~\n", 0, 0, NULL, NULL },
                { "imds:\nprobes: ~\nregion:\n", 0, 0, NULL, NULL },
                { "probes: {}\n", 0, 0, NULL, NULL },
                /* Shapes. */
                { "- a\n- b\n", 1, 1, NULL, "expected a mapping of settings, got a list" },
                { "hello\n", 1, 1, NULL, "expected a mapping of settings, got a scalar" },
                { "region: [us-east-1]\n", 1, 9, "region", "expected a string, got a list" },
                { "probes: auto\n", 0, 0, NULL, NULL },  /* the default, spelt out */
                { "probes: manual\n", 1, 9, "probes", "expected \"auto\" or a mapping" },
                { "probes: [a]\n", 1, 9, "probes", "expected a mapping, got a list" },
                { "agent:\n  config: relative.json\n", 2, 11, "agent.config",
                  "invalid value 'relative.json'" },
                { "probes:\n  metrics: CWAgent\n", 2, 12, "probes.metrics",
                  "expected a list, got a scalar" },
                { "probes:\n  metrics: [{a: b}]\n", 2, 13, "probes.metrics[0]",
                  "expected a string, got a mapping" },
                { "probes:\n  metrics:\n    -\n", 3, 6, "probes.metrics[0]", "empty list item" },
                { "? [a]\n: b\n", 1, 3, NULL, "expected a key, got a list" },
                { "interval: 60s\n---\ninterval: 2m\n", 2, 1, NULL,
                  "only one YAML document is allowed" },
                /* YAML features we refuse. */
                { "region: &r us-east-1\n", 1, 9, "region", "YAML anchors are not supported" },
                { "probes:\n  metrics: &m [A]\n", 2, 12, "probes.metrics",
                  "YAML anchors are not supported" },
                { "region: *r\n", 1, 9, "region", "YAML aliases are not supported" },
                { "region: !!str us-east-1\n", 1, 9, "region", "YAML tags are not supported" },
                /* Values. */
                { "imds:\n  allow_v1: maybe\n", 2, 13, "imds.allow_v1", "invalid boolean 'maybe'" },
                { "imds:\n  allow_v1: 'no'\n", 0, 0, NULL, NULL },
                { "imds:\n  token_ttl: 1.5s\n", 2, 14, "imds.token_ttl",
                  "must be a whole number of seconds" },
                { "imds:\n  token_ttl: 7h\n", 2, 14, "imds.token_ttl",
                  "is out of range (1s to 6h)" },
                { "imds:\n  token_ttl: 500ms\n", 2, 14, "imds.token_ttl",
                  "is out of range (1s to 6h)" },
                { "timeout: 50ms\n", 1, 10, "timeout", "is out of range (100ms to 8760h)" },
                { "timeout: 0\n", 1, 10, "timeout", "is out of range" },
                { "timeout: -1\n", 1, 10, "timeout", "is out of range" },
                { "region: US-EAST-1\n", 1, 9, "region", "a region is" },
                { "region: \"\"\n", 1, 9, "region", "a region is" },
                { "ca_bundle: certs/ca.pem\n", 1, 12, "ca_bundle", "must be an absolute path" },
                { "imds:\n  endpoint: ftp://x\n", 2, 13, "imds.endpoint",
                  "must be an http:// or https:// URL" },
                { "endpoints:\n  logs: https://\n", 2, 9, "endpoints.logs", "has no host" },
                { "endpoints:\n  logs: https://u:p@logs.example.com\n", 2, 9, "endpoints.logs",
                  "must not contain user information" },
                { "endpoints:\n  logs: https://logs.example.com:99999\n", 2, 9, "endpoints.logs",
                  "invalid port" },
                { "endpoints:\n  logs: https://logs.example.com/?x=1\n", 2, 9, "endpoints.logs",
                  "query" },
                { "endpoints:\n  logs: https://[zz]\n", 2, 9, "endpoints.logs", "IPv6" },
                { "endpoints:\n  s3: https://s3.example.com\n", 2, 3, "endpoints.s3",
                  "unknown key 's3' (known: monitoring, logs, sts)" },
                { "proxy:\n  url: proxy:3128\n", 2, 8, "proxy.url", "URL" },
                /* A proxy URL may hold a password: never quoted back. */
                { "proxy:\n  url: http://u:hunter2@proxy:99999\n", 2, 8, "proxy.url",
                  "invalid value: the URL has an invalid port" },
                { "heartbeat:\n  namespace: ':x'\n", 2, 14, "heartbeat.namespace",
                  "must not start with ':'" },
                { "heartbeat:\n  namespace: \"caf\xc3\xa9\"\n", 2, 14, "heartbeat.namespace",
                  "ASCII" },
                { "probes:\n  log_stream: a:b\n", 2, 15, "probes.log_stream", "':' or '*'" },
                { "probes:\n  log_stream: a{hostname\n", 2, 15, "probes.log_stream",
                  "unterminated placeholder" },
                { "probes:\n  log_stream: a}b\n", 2, 15, "probes.log_stream", "unbalanced" },
                /* Control characters, however they arrive. */
                { "region: \"us\\0east\"\n", 1, 9, "region", "control characters" },
                { "region: \"us\\teast\"\n", 1, 9, "region", "control characters" },
                { "heartbeat:\n  namespace: \"a\\x9bb\"\n", 2, 14, "heartbeat.namespace",
                  "control characters" },
                { "proxy:\n  no_proxy: |\n    a\n    b\n", 2, 13, "proxy.no_proxy",
                  "control characters" },
                { "\"reg\\x1bion\": x\n", 1, 1, NULL, "control characters" },
                /* A log group or namespace that would forge a journal field or drive a
                 * terminal (ESC, and C1's U+009B CSI) when printed. */
                { "probes:\n  logs: [\"/a\\nCWGUARD_CLASS=ok\"]\n", 2, 10, "probes.logs[0]",
                  "control characters" },
                { "probes:\n  logs: [\"/a\\x1b[2J\"]\n", 2, 10, "probes.logs[0]",
                  "control characters" },
                { "probes:\n  logs: [\"/a\\u009b2J\"]\n", 2, 10, "probes.logs[0]",
                  "control characters" },
                { "probes:\n  metrics: [\"A\\x9b31m\"]\n", 2, 13, "probes.metrics[0]",
                  "control characters" },
                { "credentials:\n  file: \"/etc/x\\x1b[2J\"\n", 2, 9, "credentials.file",
                  "control characters" },
                /* credentials.role_arn: an IAM role ARN of an aws partition, or nothing. */
                { "credentials:\n  role_arn: arn:aws:iam::123456789012:role/a/b/C+=,.@_-\n", 0, 0,
                  NULL, NULL },
                { "credentials:\n  role_arn: arn:aws-us-gov:iam::123456789012:role/R\n", 0, 0,
                  NULL, NULL },
                { "credentials:\n  role_arn: CloudWatchAgentRole\n", 2, 13,
                  "credentials.role_arn", "not an ARN" },
                { "credentials:\n  role_arn: arn:aws:iam::12345678901:role/R\n", 2, 13,
                  "credentials.role_arn", "12 digits" },
                { "credentials:\n  role_arn: arn:aws:iam::123456789012:user/R\n", 2, 13,
                  "credentials.role_arn", "not a role" },
                { "credentials:\n  role_arn: arn:aws:sts::123456789012:role/R\n", 2, 13,
                  "credentials.role_arn", "not an IAM ARN" },
                { "credentials:\n  role_arn: arn:aws:iam::123456789012:role/\n", 2, 13,
                  "credentials.role_arn", "1 to 64" },
                { "credentials:\n  role_arn: \"arn:aws:iam::123456789012:role/a b\"\n", 2, 13,
                  "credentials.role_arn", "spaces" },
                { "credentials:\n  role_arn: arn:aws:iam::123456789012:role/R*\n", 2, 13,
                  "credentials.role_arn", "[A-Za-z0-9+=,.@_-]" },
                { "credentials:\n  role_arn: arn:gcp:iam::123456789012:role/R\n", 2, 13,
                  "credentials.role_arn", "not an ARN" },
                { "region: us\x01" "east\n", 1, 11, NULL,
                  "invalid YAML: control characters are not allowed (#1)" },
                { "region: \xff\n", 1, 9, NULL, "invalid YAML: invalid leading UTF-8 octet (#FF)" },
                /* Syntax errors at the top. */
                { "probes:\n  metrics: [\n", 3, 1, "probes.metrics[0]", "invalid YAML" },
                { "region: a: b\n", 1, 10, NULL, "invalid YAML: mapping values are not allowed" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(config_freep) Config *c = NULL;
                ConfigError e = CONFIG_ERROR_NULL;
                int r;

                fprintf(stderr, "   %zu: %s", i, cases[i].yaml);
                r = config_load_string(cases[i].yaml, strlen(cases[i].yaml), "inline", &c, &e);
                if (!cases[i].message) {
                        if (r < 0)
                                fprintf(stderr, "unexpected: %u:%u: %s: %s\n", e.line, e.column,
                                        strna(e.key), strna(e.message));
                        ASSERT_OK(r);
                        ASSERT_NOT_NULL(c);
                        ASSERT_TRUE(c->from_file);
                        continue;
                }
                ASSERT_ERROR(r, EINVAL);
                ASSERT_NULL(c);
                ASSERT_NOT_NULL(e.message);
                if (e.line != cases[i].line || e.column != cases[i].column ||
                    !streq_ptr(e.key, cases[i].key) || !strstr(e.message, cases[i].message)) {
                        fprintf(stderr, "got %u:%u: %s: %s\n", e.line, e.column, strna(e.key),
                                e.message);
                        abort();
                }
                ASSERT_STREQ(e.file, "inline");
                config_error_done(&e);
        }
}

static void test_values(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        const char *yaml = "proxy:\n"
                           "  url: \"\"\n"                  /* "": no proxy, kept as "" */
                           "  no_proxy: ''\n"
                           "imds:\n"
                           "  endpoint: https://imds.example.com:8443/\n"
                           "  timeout: 100ms\n"            /* the minimum */
                           "heartbeat:\n"
                           "  auto_scaling_group: \"\"\n"  /* "": no dimension, NULL */
                           "probes:\n"
                           "  metrics: []\n"               /* heartbeat falls back to CWAgent */
                           "  logs: [\"/a\", /b]\n";

        ASSERT_OK(config_load_string(yaml, strlen(yaml), NULL, &c, NULL));
        ASSERT_NULL(c->path);
        ASSERT_STREQ(c->proxy.url, "");
        ASSERT_STREQ(c->proxy.no_proxy, "");
        ASSERT_STREQ(c->imds.endpoint, "https://imds.example.com:8443");
        ASSERT_EQ(c->origins[CONFIG_SETTING_IMDS_ENDPOINT].source, CONFIG_SOURCE_CONFIG);
        ASSERT_EQ(c->imds.timeout, 100 * USEC_PER_MSEC);
        ASSERT_NULL(c->heartbeat.auto_scaling_group);
        ASSERT_FALSE(c->heartbeat.auto_scaling_group_from_tags);
        ASSERT_EQ(strv_length(c->probes.metrics), 0);
        ASSERT_NOT_NULL(c->probes.metrics);
        ASSERT_STREQ(c->heartbeat.namespace, "CWAgent");
        ASSERT_EQ(c->origins[CONFIG_SETTING_HEARTBEAT_NAMESPACE].source, CONFIG_SOURCE_DEFAULT);
        ASSERT_STREQ(c->probes.logs[1], "/b");
        c = config_free(c);

        /* The heartbeat namespace follows the first probed namespace unless set. */
        yaml = "probes:\n  metrics: [App/One, App/Two]\n";
        ASSERT_OK(config_load_string(yaml, strlen(yaml), NULL, &c, NULL));
        ASSERT_STREQ(c->heartbeat.namespace, "App/One");
        ASSERT_EQ(c->origins[CONFIG_SETTING_HEARTBEAT_NAMESPACE].source, CONFIG_SOURCE_DEFAULT);
        c = config_free(c);

        /* A list holds at most CONFIG_LIST_MAX entries. */
        {
                _cleanup_free_ char *big = NULL;
                ConfigError e = CONFIG_ERROR_NULL;

                ASSERT_OK(strextend_printf(&big, "probes:\n  metrics:\n"));
                for (int i = 0; i <= CONFIG_LIST_MAX; i++)
                        ASSERT_OK(strextend_printf(&big, "    - N%d\n", i));
                ASSERT_ERROR(config_load_string(big, strlen(big), "big", &c, &e), EINVAL);
                ASSERT_STREQ(e.key, "probes.metrics[100]");
                ASSERT_EQ(e.line, 103);
                config_error_done(&e);
        }
}

static void test_file_errors(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = NULL, *p = NULL, *big = NULL, *s = NULL;
        ConfigError e = CONFIG_ERROR_NULL;
        _cleanup_close_ int fd = -1;
        char tmpl[] = "/tmp/test-config-XXXXXX";

        ASSERT_NOT_NULL(mkdtemp(tmpl));
        ASSERT_TRUE(asprintf(&p, "%s/cwguard.yaml", tmpl) >= 0);

        /* Larger than 1 MiB, even if it is all comment. */
        big = malloc(CONFIG_FILE_MAX + 2);
        ASSERT_NOT_NULL(big);
        memset(big, '#', CONFIG_FILE_MAX + 1);
        big[CONFIG_FILE_MAX + 1] = 0;
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, big, CONFIG_FILE_MAX + 1), CONFIG_FILE_MAX + 1);
        fd = safe_close(fd);
        ASSERT_ERROR(config_load(p, &c, &e), EFBIG);
        ASSERT_NULL(c);
        ASSERT_STREQ(e.file, p);
        ASSERT_EQ(e.line, 0);
        ASSERT_NULL(e.key);
        ASSERT_OK(config_error_format(&e, &s));
        ASSERT_TRUE(strncmp(s, p, strlen(p)) == 0 && strstr(s, ": the file is larger than"));
        config_error_done(&e);
        ASSERT_ERROR(config_load_string(big, CONFIG_FILE_MAX + 1, "big", &c, &e), EFBIG);
        config_error_done(&e);
        /* Exactly the limit is fine. */
        ASSERT_OK(config_load_string(big, CONFIG_FILE_MAX, "big", &c, NULL));
        c = config_free(c);

        /* Unreadable: an error, not the defaults. root reads anything, so only as non-root. */
        if (geteuid() != 0) {
                ASSERT_OK(chmod(p, 0));
                ASSERT_ERROR(config_load(p, &c, &e), EACCES);
                ASSERT_NULL(c);
                ASSERT_STREQ(e.file, p);
                ASSERT_TRUE(strstr(e.message, "cannot read") != NULL);
                config_error_done(&e);
        } else
                fprintf(stderr, "   (running as root: EACCES not testable)\n");

        /* An empty name is not "no file". */
        ASSERT_ERROR(config_load("", &c, &e), EINVAL);
        ASSERT_STREQ(e.message, "empty file name");
        config_error_done(&e);

        /* A directory. */
        ASSERT_ERROR(config_load(tmpl, &c, &e), EISDIR);
        ASSERT_STREQ(e.file, tmpl);
        config_error_done(&e);

        /* Errors are optional. */
        ASSERT_ERROR(config_load(tmpl, &c, NULL), EISDIR);

        ASSERT_OK(unlink(p));
        ASSERT_OK(rmdir(tmpl));
}

static void test_error_format(void)
{
        ConfigError e = {
                .file = (char *) "f.yaml", .line = 3, .column = 7, .key = (char *) "a.b",
                .message = (char *) "bad",
        };
        _cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

        ASSERT_OK(config_error_format(&e, &s1));
        ASSERT_STREQ(s1, "f.yaml:3:7: a.b: bad");
        e.key = NULL;
        ASSERT_OK(config_error_format(&e, &s2));
        ASSERT_STREQ(s2, "f.yaml:3:7: bad");
        e.line = e.column = 0;
        ASSERT_OK(config_error_format(&e, &s3));
        ASSERT_STREQ(s3, "f.yaml: bad");
        e.file = NULL;
        e.key = (char *) "AWS_REGION";
        ASSERT_OK(config_error_format(&e, &s4));
        ASSERT_STREQ(s4, "AWS_REGION: bad");

        config_error_done(NULL);
}

static void test_duration(void)
{
        static const struct {
                const char *s;
                int r;
                usec_t v;
        } cases[] = {
                { "200ms", 0, 200 * USEC_PER_MSEC },
                { "100ms", 0, 100 * USEC_PER_MSEC },
                { "1.5s", 0, 1500 * USEC_PER_MSEC },
                { "5s", 0, 5 * USEC_PER_SEC },
                { "2m", 0, 2 * USEC_PER_MINUTE },
                { "1h", 0, USEC_PER_HOUR },
                { "0.25h", 0, 15 * USEC_PER_MINUTE },
                { "60", 0, 60 * USEC_PER_SEC },
                { "0.1", 0, 100 * USEC_PER_MSEC },
                { "1.000000999", 0, USEC_PER_SEC },     /* below a microsecond: dropped */
                { "1.0000009999999", 0, USEC_PER_SEC }, /* more than 9 digits: ignored */
                { "007s", 0, 7 * USEC_PER_SEC },
                { "8760h", 0, CONFIG_DURATION_MAX },
                { "99ms", -ERANGE, 0 },
                { "0.099", -ERANGE, 0 },
                { "0", -ERANGE, 0 },
                { "0s", -ERANGE, 0 },
                { "0.0", -ERANGE, 0 },
                { "-1", -ERANGE, 0 },
                { "-5s", -ERANGE, 0 },
                { "8761h", -ERANGE, 0 },
                { "18446744073709551615", -ERANGE, 0 },
                { "18446744073709551616", -ERANGE, 0 },
                { "99999999999999999999999999h", -ERANGE, 0 },
                { "5124095576030431h", -ERANGE, 0 },    /* overflows the multiplication */
                { "5x", -EINVAL, 0 },
                { "5S", -EINVAL, 0 },
                { "5 s", -EINVAL, 0 },
                { " 5s", -EINVAL, 0 },
                { "5s ", -EINVAL, 0 },
                { "+5s", -EINVAL, 0 },
                { "-x", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "s", -EINVAL, 0 },
                { ".5s", -EINVAL, 0 },
                { "5.s", -EINVAL, 0 },
                { "1e3", -EINVAL, 0 },
                { "1h30m", -EINVAL, 0 },
                { "5us", -EINVAL, 0 },
                { "0x10", -EINVAL, 0 },
                { "99999999999999999999999x", -EINVAL, 0 }, /* syntax is checked first */
        };
        usec_t v;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r;

                v = 4242;
                r = config_parse_duration(cases[i].s, &v);
                if (r != cases[i].r || (r == 0 && v != cases[i].v) || (r < 0 && v != 4242)) {
                        fprintf(stderr, "'%s': got %d/%" PRIu64 ", want %d/%" PRIu64 "\n",
                                cases[i].s, r, v, cases[i].r, cases[i].v);
                        abort();
                }
        }
        ASSERT_ERROR(config_parse_duration(NULL, &v), EINVAL);
}

static void test_format_duration(void)
{
        static const struct {
                usec_t t;
                const char *s;
        } cases[] = {
                { 6 * USEC_PER_HOUR, "6h" },
                { 90 * USEC_PER_MINUTE, "90m" },
                { 90 * USEC_PER_SEC, "90s" },
                { 1500 * USEC_PER_MSEC, "1500ms" },
                { 100 * USEC_PER_MSEC, "100ms" },
                { 123456, "0.123456" },
                { 1000001, "1.000001" },
                { 2500010, "2.50001" },
        };
        char buf[CONFIG_DURATION_STR_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                usec_t v;

                ASSERT_STREQ(config_format_duration(cases[i].t, buf), cases[i].s);
                ASSERT_OK(config_parse_duration(buf, &v));
                ASSERT_EQ(v, cases[i].t);
        }
}

static void test_environment(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        ConfigError e = CONFIG_ERROR_NULL;
        _cleanup_free_ char *s = NULL;

        /* Nothing set: the defaults, and their origin says so. */
        {
                char *envp[] = { (char *) "HOME=/root", NULL };

                ASSERT_OK(config_new_default(&c));
                ASSERT_OK(config_apply_environment(c, envp, &e));
                ASSERT_OK(config_apply_environment(c, NULL, &e));
                ASSERT_NULL(c->region);
                ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_DEFAULT);
                ASSERT_STREQ(c->imds.endpoint, "http://169.254.169.254");
                ASSERT_NULL(c->endpoints[CONFIG_SERVICE_STS]);
        }

        /* AWS_REGION beats AWS_DEFAULT_REGION; an empty variable counts as unset. */
        {
                char *envp[] = { (char *) "AWS_DEFAULT_REGION=eu-west-1",
                                 (char *) "AWS_REGION=eu-central-1", NULL };
                char *envp2[] = { (char *) "AWS_REGION=", (char *) "AWS_DEFAULT_REGION=eu-west-1",
                                  NULL };

                ASSERT_OK(config_apply_environment(c, envp, &e));
                ASSERT_STREQ(c->region, "eu-central-1");
                ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_ENVIRONMENT);
                ASSERT_STREQ(c->origins[CONFIG_SETTING_REGION].variable, "AWS_REGION");
                ASSERT_OK(config_apply_environment(c, envp2, &e));
                ASSERT_STREQ(c->region, "eu-west-1");
                ASSERT_STREQ(c->origins[CONFIG_SETTING_REGION].variable, "AWS_DEFAULT_REGION");
                /* Re-resolved without it: back to the default. */
                ASSERT_OK(config_apply_environment(c, NULL, &e));
                ASSERT_NULL(c->region);
                ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_DEFAULT);
                ASSERT_NULL(c->origins[CONFIG_SETTING_REGION].variable);
        }

        /* Service variables beat AWS_ENDPOINT_URL, which covers the rest. */
        {
                char *envp[] = { (char *) "AWS_ENDPOINT_URL=https://localhost:4566",
                                 (char *) "AWS_ENDPOINT_URL_STS=https://sts.local",
                                 (char *) "AWS_CA_BUNDLE=/etc/ssl/test-ca.pem",
                                 (char *) ("AWS_EC2_METADATA_SERVICE_ENDPOINT="
                                           "http://[fd00:ec2::254]/"),
                                 NULL };

                ASSERT_OK(config_apply_environment(c, envp, &e));
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_MONITORING], "https://localhost:4566");
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_LOGS], "https://localhost:4566");
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_STS], "https://sts.local");
                ASSERT_STREQ(c->origins[CONFIG_SETTING_ENDPOINT_MONITORING].variable,
                             "AWS_ENDPOINT_URL");
                ASSERT_STREQ(c->origins[CONFIG_SETTING_ENDPOINT_STS].variable,
                             "AWS_ENDPOINT_URL_STS");
                ASSERT_STREQ(c->ca_bundle, "/etc/ssl/test-ca.pem");
                ASSERT_STREQ(c->origins[CONFIG_SETTING_CA_BUNDLE].variable, "AWS_CA_BUNDLE");
                /* One trailing '/' is dropped. */
                ASSERT_STREQ(c->imds.endpoint, "http://[fd00:ec2::254]");
                ASSERT_STREQ(config_setting_get(c, CONFIG_SETTING_IMDS_ENDPOINT),
                             "http://[fd00:ec2::254]");
                ASSERT_STREQ(c->origins[CONFIG_SETTING_IMDS_ENDPOINT].variable,
                             "AWS_EC2_METADATA_SERVICE_ENDPOINT");

                /* Re-resolved without them: the defaults again. */
                ASSERT_OK(config_apply_environment(c, NULL, &e));
                ASSERT_NULL(c->endpoints[CONFIG_SERVICE_STS]);
                ASSERT_NULL(c->ca_bundle);
                ASSERT_STREQ(c->imds.endpoint, "http://169.254.169.254");
                ASSERT_EQ(c->origins[CONFIG_SETTING_IMDS_ENDPOINT].source, CONFIG_SOURCE_DEFAULT);
        }

        /* Logs has its own variable; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them all off. */
        {
                char *envp[] = { (char *) "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=https://logs.local",
                                 (char *) "AWS_ENDPOINT_URL_CLOUDWATCH=https://cw.local", NULL };
                char *envp2[] = { (char *) "AWS_ENDPOINT_URL=https://localhost:4566",
                                  (char *) "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=True", NULL };

                ASSERT_OK(config_apply_environment(c, envp, &e));
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_LOGS], "https://logs.local");
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_MONITORING], "https://cw.local");
                ASSERT_NULL(c->endpoints[CONFIG_SERVICE_STS]);
                ASSERT_OK(config_apply_environment(c, envp2, &e));
                for (int i = 0; i < _CONFIG_SERVICE_MAX; i++)
                        ASSERT_NULL(c->endpoints[i]);
        }
        c = config_free(c);

        /* Explicit configuration wins over the environment. */
        {
                const char *yaml = "region: us-west-2\n"
                                   "endpoints:\n  logs: https://logs.vpce.example.com\n"
                                   "imds:\n  endpoint: http://127.0.0.1:1338\n";
                char *envp[] = { (char *) "AWS_REGION=eu-west-1",
                                 (char *) "AWS_ENDPOINT_URL=https://localhost:4566",
                                 (char *) "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://10.0.0.1",
                                 NULL };

                ASSERT_OK(config_load_string(yaml, strlen(yaml), "t", &c, &e));
                ASSERT_OK(config_apply_environment(c, envp, &e));
                ASSERT_STREQ(c->region, "us-west-2");
                ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source, CONFIG_SOURCE_CONFIG);
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_LOGS], "https://logs.vpce.example.com");
                ASSERT_EQ(c->origins[CONFIG_SETTING_ENDPOINT_LOGS].source, CONFIG_SOURCE_CONFIG);
                ASSERT_STREQ(c->endpoints[CONFIG_SERVICE_STS], "https://localhost:4566");
                ASSERT_EQ(c->origins[CONFIG_SETTING_ENDPOINT_STS].source,
                          CONFIG_SOURCE_ENVIRONMENT);
                ASSERT_STREQ(c->imds.endpoint, "http://127.0.0.1:1338");
                ASSERT_EQ(c->origins[CONFIG_SETTING_IMDS_ENDPOINT].source, CONFIG_SOURCE_CONFIG);
        }
        c = config_free(c);

        /* A bad value is an error naming the variable, and changes nothing. */
        {
                static const struct {
                        const char *env;
                        const char *var;
                        const char *message;
                } bad[] = {
                        { "AWS_REGION=US East", "AWS_REGION", "for region: a region is" },
                        { "AWS_DEFAULT_REGION=eu_west_1", "AWS_DEFAULT_REGION", "for region" },
                        { "AWS_ENDPOINT_URL=http://localhost:4566", "AWS_ENDPOINT_URL",
                          "for endpoints.monitoring: must be an https:// URL" },
                        { "AWS_ENDPOINT_URL_STS=sts.local", "AWS_ENDPOINT_URL_STS",
                          "for endpoints.sts" },
                        { "AWS_CA_BUNDLE=ca.pem", "AWS_CA_BUNDLE", "must be an absolute path" },
                        { "AWS_EC2_METADATA_SERVICE_ENDPOINT=169.254.169.254",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                          "for imds.endpoint: must be an http:// or https:// URL" },
                        { "AWS_REGION=us-east-1\x1b[2J", "AWS_REGION",
                          "control characters are not allowed" },
                };

                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        /* (The first of two equal names counts, as with getenv().) */
                        char *envp[] = { (char *) bad[i].env,
                                         (char *) "AWS_DEFAULT_REGION=ap-south-1", NULL };

                        ASSERT_OK(config_new_default(&c));
                        ASSERT_ERROR(config_apply_environment(c, envp, &e), EINVAL);
                        ASSERT_NULL(e.file);
                        ASSERT_EQ(e.line, 0);
                        ASSERT_STREQ(e.key, bad[i].var);
                        if (!strstr(e.message, bad[i].message)) {
                                fprintf(stderr, "'%s' lacks '%s'\n", e.message, bad[i].message);
                                abort();
                        }
                        /* Nothing was applied, not even the good AWS_DEFAULT_REGION. */
                        if (!streq(bad[i].var, "AWS_DEFAULT_REGION"))
                                ASSERT_NULL(c->region);
                        ASSERT_EQ(c->origins[CONFIG_SETTING_REGION].source,
                                  CONFIG_SOURCE_DEFAULT);
                        s = mfree_str(s);
                        ASSERT_OK(config_error_format(&e, &s));
                        ASSERT_TRUE(strncmp(s, bad[i].var, strlen(bad[i].var)) == 0);
                        ASSERT_TRUE(string_has_cc(s, NULL) == false);
                        config_error_done(&e);
                        c = config_free(c);
                }
        }
}

static void test_endpoint_url(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        char *u;

        ASSERT_OK(config_new_default(&c));
        ASSERT_ERROR(config_endpoint_url(c, CONFIG_SERVICE_STS, NULL, &u), EINVAL);
        ASSERT_ERROR(config_endpoint_url(c, CONFIG_SERVICE_STS, "", &u), EINVAL);
        ASSERT_ERROR(config_endpoint_url(c, CONFIG_SERVICE_STS, "Bad Region", &u), EINVAL);
        ASSERT_ERROR(config_endpoint_url(c, _CONFIG_SERVICE_MAX, "us-east-1", &u), EINVAL);

        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_MONITORING, "eu-west-1", &u));
        ASSERT_STREQ(u, "https://monitoring.eu-west-1.amazonaws.com");
        free(u);
        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_LOGS, "eu-west-1", &u));
        ASSERT_STREQ(u, "https://logs.eu-west-1.amazonaws.com");
        free(u);
        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_STS, "eu-west-1", &u));
        ASSERT_STREQ(u, "https://sts.eu-west-1.amazonaws.com");
        free(u);
        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_LOGS, "cn-north-1", &u));
        ASSERT_STREQ(u, "https://logs.cn-north-1.amazonaws.com.cn");
        free(u);

        /* Config.region when no region is passed; an explicit endpoint wins over both. */
        ASSERT_OK(free_and_strdup(&c->region, "ap-southeast-2"));
        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_STS, NULL, &u));
        ASSERT_STREQ(u, "https://sts.ap-southeast-2.amazonaws.com");
        free(u);
        ASSERT_OK(free_and_strdup(&c->endpoints[CONFIG_SERVICE_STS], "https://sts.vpce"));
        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_STS, "eu-west-1", &u));
        ASSERT_STREQ(u, "https://sts.vpce");
        free(u);
        c->region = mfree_str(c->region);
        ASSERT_OK(config_endpoint_url(c, CONFIG_SERVICE_STS, NULL, &u));
        ASSERT_STREQ(u, "https://sts.vpce");
        free(u);
}

static void test_string_tables(void)
{
        for (int i = 0; i < _CONFIG_SERVICE_MAX; i++)
                ASSERT_EQ(config_service_from_string(config_service_to_string(i)), i);
        for (int i = 0; i < _CONFIG_SOURCE_MAX; i++)
                ASSERT_EQ(config_source_from_string(config_source_to_string(i)), i);
        for (int i = 0; i < _CONFIG_SETTING_MAX; i++)
                ASSERT_EQ(config_setting_from_string(config_setting_to_string(i)), i);
        ASSERT_STREQ(config_service_to_string(CONFIG_SERVICE_MONITORING), "monitoring");
        ASSERT_STREQ(config_source_to_string(CONFIG_SOURCE_ENVIRONMENT), "environment");
        ASSERT_STREQ(config_setting_to_string(CONFIG_SETTING_ENDPOINT_STS), "endpoints.sts");
        ASSERT_NULL(config_source_to_string(_CONFIG_SOURCE_MAX));
        ASSERT_EQ(config_service_from_string("s3"), _CONFIG_SERVICE_INVALID);
        ASSERT_EQ(config_setting_from_string(NULL), _CONFIG_SETTING_INVALID);
}

/* heartbeat.auto_scaling_group: absent/auto = the instance tag, "" = none, else the name. */
static void test_auto_scaling_group(void)
{
        static const struct {
                const char *yaml;
                const char *name;
                bool from_tags;
        } cases[] = {
                { "heartbeat:\n  interval: 5m\n", NULL, true },
                { "heartbeat:\n  auto_scaling_group: auto\n", NULL, true },
                { "heartbeat:\n  auto_scaling_group: \"\"\n", NULL, false },
                { "heartbeat:\n  auto_scaling_group: web-asg\n", "web-asg", false },
                { "heartbeat:\n  auto_scaling_group: ~\n", NULL, true },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(config_freep) Config *c = NULL;

                ASSERT_OK(config_load_string(cases[i].yaml, strlen(cases[i].yaml), NULL, &c,
                                             NULL));
                ASSERT_STREQ_NULL(c->heartbeat.auto_scaling_group, cases[i].name);
                ASSERT_EQ(c->heartbeat.auto_scaling_group_from_tags, cases[i].from_tags);
        }

        /* A control character could forge a journal field or a shell line: refused. */
        const char *bad = "heartbeat:\n  auto_scaling_group: \"a\\nb\"\n";
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(config_error_done) ConfigError e = CONFIG_ERROR_NULL;

        ASSERT_ERROR(config_load_string(bad, strlen(bad), "t.yaml", &c, &e), EINVAL);
        ASSERT_NOT_NULL(strstr(e.message, "control characters"));
}

int main(void)
{
        TEST(test_defaults);
        TEST(test_missing_file);
        TEST(test_example_is_defaults);
        TEST(test_example_uncommented);
        TEST(test_full);
        TEST(test_error_fixtures);
        TEST(test_inline);
        TEST(test_values);
        TEST(test_file_errors);
        TEST(test_error_format);
        TEST(test_duration);
        TEST(test_format_duration);
        TEST(test_environment);
        TEST(test_endpoint_url);
        TEST(test_string_tables);
        TEST(test_auto_scaling_group);
        return 0;
}
