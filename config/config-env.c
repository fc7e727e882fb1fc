/* SPDX-License-Identifier: MIT */
/*
 * config-env.c: the second layer of configuration, after the file. The AWS SDKs let AWS_REGION,
 * AWS_ENDPOINT_URL_* and friends stand in for settings, and an operator who exported them for the
 * CLI expects cwguard to agree; config_apply_environment() resolves the tracked settings the file
 * left unset from such an environment (passed in, never getenv()), records each one's origin and
 * validates the values with the same checks as the YAML keys. config_endpoint_url() then turns a
 * service and a region into the URL requests go to. Pure: no logging, no globals, no I/O.
 * Deliberate limits: only the variables listed in config.h; no shared config file (~/.aws/config).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/aws-call.h"
#include "config/config-internal.h"

static const char *env_get(char **envp, const char *name)
{
        size_t n = strlen(name);

        STRV_FOREACH(e, envp)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

/* The variables standing in for each tracked setting, in order of precedence. */
static const struct {
        ConfigSetting setting;
        const char *variables[3];
        ConfigCheck check;
        bool endpoint;
        bool strip_slash;
        const char *fallback; /* the default when nothing is set */
} env_rules[] = {
        { CONFIG_SETTING_REGION, { "AWS_REGION", "AWS_DEFAULT_REGION" }, config_check_region },
        { CONFIG_SETTING_ENDPOINT_MONITORING, { "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL" },
          config_check_aws_url, .endpoint = true },
        { CONFIG_SETTING_ENDPOINT_LOGS, { "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL" },
          config_check_aws_url, .endpoint = true },
        { CONFIG_SETTING_ENDPOINT_STS, { "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL" },
          config_check_aws_url, .endpoint = true },
        { CONFIG_SETTING_CA_BUNDLE, { "AWS_CA_BUNDLE" }, config_check_path },
        { CONFIG_SETTING_IMDS_ENDPOINT, { "AWS_EC2_METADATA_SERVICE_ENDPOINT" },
          config_check_imds_url, .strip_slash = true, .fallback = IMDS_ENDPOINT_DEFAULT },
};

int config_apply_environment(Config *c, char **envp, ConfigError *reterr)
{
        char *values[ELEMENTSOF(env_rules)] = {};
        const char *used[ELEMENTSOF(env_rules)] = {};
        bool reset[ELEMENTSOF(env_rules)] = {};
        const char *ignore;
        bool ignore_endpoints;
        int r = 0;

        /* The SDKs' switch to ignore every configured endpoint URL (env and shared config). */
        ignore = env_get(envp, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
        ignore_endpoints = ignore && strcasecmp(ignore, "true") == 0;

        /* Everything is validated and copied first, so a bad variable leaves @c untouched. */
        for (size_t i = 0; i < ELEMENTSOF(env_rules) && r >= 0; i++) {
                ConfigOrigin *o = &c->origins[env_rules[i].setting];
                const char *v = NULL, *reason;

                if (o->source == CONFIG_SOURCE_CONFIG)
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(env_rules[i].variables) && !v; j++) {
                        const char *var = env_rules[i].variables[j];

                        if (!var || (env_rules[i].endpoint && ignore_endpoints))
                                break;
                        v = env_get(envp, var);
                        if (isempty(v))
                                v = NULL; /* an empty variable counts as unset, as in the SDKs */
                        else
                                used[i] = var;
                }
                if (!v) {
                        /* Re-resolving: a value an earlier environment gave goes back to the
                         * default; one from IMDS or the default stays. */
                        reset[i] = o->source == CONFIG_SOURCE_ENVIRONMENT;
                        continue;
                }

                if (config_string_has_control(v, strlen(v))) {
                        r = config_error_set(reterr, -EINVAL, NULL, used[i],
                                             "invalid value for %s: control characters are not "
                                             "allowed",
                                             config_setting_to_string(env_rules[i].setting));
                        break;
                }
                values[i] = strdup(v);
                if (!values[i]) {
                        r = -ENOMEM;
                        break;
                }
                if (env_rules[i].strip_slash)
                        config_strip_one_slash(values[i]);
                reason = env_rules[i].check(values[i]);
                if (reason)
                        r = config_error_set(reterr, -EINVAL, NULL, used[i],
                                             "invalid value '%.*s%s' for %s: %s",
                                             QUOTE(values[i]),
                                             config_setting_to_string(env_rules[i].setting),
                                             reason);
        }
        for (size_t i = 0; i < ELEMENTSOF(env_rules) && r >= 0; i++) {
                ConfigSetting s = env_rules[i].setting;
                char **f = config_setting_field(c, s);

                if (values[i]) {
                        free(*f);
                        *f = TAKE_PTR(values[i]);
                        c->origins[s] = (ConfigOrigin) { CONFIG_SOURCE_ENVIRONMENT, used[i] };
                } else if (reset[i]) {
                        r = free_and_strdup(f, env_rules[i].fallback);
                        if (r < 0)
                                break;
                        c->origins[s] = (ConfigOrigin) { CONFIG_SOURCE_DEFAULT, NULL };
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(env_rules); i++)
                free(values[i]);
        return r < 0 ? r : 0;
}

int config_endpoint_url(const Config *c, ConfigService s, const char *region, char **ret)
{
        char *url;

        if (s < 0 || s >= _CONFIG_SERVICE_MAX)
                return -EINVAL;
        if (c->endpoints[s]) {
                url = strdup(c->endpoints[s]);
                if (!url)
                        return -ENOMEM;
                *ret = url;
                return 0;
        }

        region = region ?: c->region;
        if (!region || config_check_region(region))
                return -EINVAL;
        return aws_endpoint_url_default(config_service_to_string(s), region, ret);
}
