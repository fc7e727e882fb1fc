/* SPDX-License-Identifier: MIT */
/*
 * config-agent.c: the third layer of configuration. cwguard exists to say whether the CloudWatch
 * agent's path works, so what it probes and how it signs should come from the agent's own files
 * unless cwguard.yaml says otherwise: its JSON configuration names the metrics namespace, the log
 * groups, the region and endpoint overrides; its common-config.toml the credentials profile and
 * file, the proxy and the CA bundle. config_apply_agent() lays those over the settings the file
 * left open (the agent reads common-config.toml before the environment, and so do we), records
 * where each came from, and turns whatever it cannot use into a note rather than an error: the
 * agent's files are not ours to reject. config_load_agent() is the same with the reading done.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent-config.h"
#include "common/agent-toml.h"
#include "common/assume-role.h"
#include "config/config-internal.h"

static int note(Config *c, const char *fmt, ...) _printf_(2, 3);
static int note(Config *c, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strv_extendv(&c->agent.notes, fmt, ap);
        va_end(ap);
        return r;
}

static int notes_add(Config *c, char **l)
{
        STRV_FOREACH(s, l)
                if (strv_extend(&c->agent.notes, *s) < 0)
                        return -ENOMEM;
        return 0;
}

/* Whether the agent may set tracked setting @s: not when cwguard.yaml did. */
static bool open_for_agent(const Config *c, ConfigSetting s)
{
        return c->origins[s].source != CONFIG_SOURCE_CONFIG;
}

/* Set tracked setting @s to @value from @source if it passes @check; otherwise say why not. */
static int take(Config *c, ConfigSetting s, const char *value, const char *source,
                ConfigCheck check)
{
        const char *why = check ? check(value) : NULL;
        char **field = config_setting_field(c, s);

        if (why)
                return note(c, "%s: %s '%.*s%s' is not used: %s", source,
                            config_setting_to_string(s), QUOTE(value), why);
        if (free_and_strdup(field, value) < 0)
                return -ENOMEM;
        c->origins[s] = (ConfigOrigin) { CONFIG_SOURCE_AGENT, NULL };
        return 0;
}

/* endpoint_override may be a bare host name ("vpce-...logs.us-east-1.vpce.amazonaws.com"); the
 * agent then speaks https to it. */
static int take_endpoint(Config *c, ConfigSetting s, const AgentItem *item)
{
        _cleanup_free_ char *url = NULL;

        if (!item->value || !open_for_agent(c, s))
                return 0;
        if (strstr(item->value, "://"))
                url = strdup(item->value);
        else if (asprintf(&url, "https://%s", item->value) < 0)
                url = NULL;
        if (!url)
                return -ENOMEM;
        return take(c, s, url, item->source, config_check_aws_url);
}

/* One role of the agent's: a valid ARN is taken; anything else is said once and still taken when
 * it is printable, because the agent will try to assume it too and fail, and the probes must
 * fail the same way rather than succeed with the base credentials. */
static int take_role(Config *c, char **field, const AgentItem *item, const char *what)
{
        const char *why;

        if (!item || !item->value)
                return 0;
        why = role_arn_check(item->value);
        if (why) {
                int r = note(c, "%s: %s '%.*s%s' is not a valid role ARN: %s", item->source,
                             what, QUOTE(item->value), why);
                if (r < 0)
                        return r;
                if (isempty(item->value) || string_has_cc(item->value, NULL) ||
                    strchr(item->value, ' ') || strlen(item->value) > ROLE_ARN_MAX)
                        return 0;
        }
        return free_and_strdup(field, item->value);
}

/*
 * The roles the agent assumes (its MetricsCreds/LogCreds translator rules: a section's own
 * credentials.role_arn beats agent.credentials.role_arn). credentials.role_arn in cwguard.yaml
 * wins over all of them; then the agent's are only mentioned when they differ.
 */
static int apply_roles(Config *c, const AgentConfig *a)
{
        ConfigCredentials *cr = &c->credentials;
        int r;

        if (cr->role_arn) {
                for (AgentSection s = 0; s < _AGENT_SECTION_MAX; s++) {
                        const AgentItem *role = agent_config_role_arn(a, s);

                        if (!role || !role->value || streq(role->value, cr->role_arn))
                                continue;
                        r = note(c, "%s: the agent assumes %s for its %s; cwguard assumes %s "
                                    "(credentials.role_arn in its configuration) instead",
                                 role->source, role->value,
                                 s == AGENT_SECTION_METRICS ? "metrics" : "logs", cr->role_arn);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        r = take_role(c, &cr->role_arn, &a->role_arn, "agent.credentials.role_arn");
        if (r >= 0)
                r = take_role(c, &cr->metrics_role_arn,
                              agent_config_role_arn(a, AGENT_SECTION_METRICS),
                              "credentials.role_arn");
        if (r >= 0)
                r = take_role(c, &cr->logs_role_arn, agent_config_role_arn(a, AGENT_SECTION_LOGS),
                              "credentials.role_arn");
        if (r >= 0 && cr->role_arn && a->role_arn.source)
                r = free_and_strdup(&cr->role_arn_source, a->role_arn.source);
        return r < 0 ? r : 0;
}

static int apply_json(Config *c, const AgentConfig *a)
{
        _cleanup_strv_free_ char **ns = NULL, **ns_src = NULL, **groups = NULL, **group_src = NULL;
        int r;

        r = notes_add(c, a->errors);
        if (r >= 0)
                r = notes_add(c, a->notes);
        if (r < 0)
                return r;

        if (open_for_agent(c, CONFIG_SETTING_PROBES_METRICS)) {
                const char *why = a->metrics ? config_check_namespace(a->namespace.value) : NULL;

                if (why)
                        r = note(c, "%s: metrics.namespace '%.*s%s' is not probed: %s",
                                 a->namespace.source, QUOTE(a->namespace.value), why);
                else if (a->metrics && (strv_extend(&ns, a->namespace.value) < 0 ||
                                        strv_extend(&ns_src, a->namespace.source) < 0))
                        r = -ENOMEM;
                if (r < 0)
                        return r;
                if (!ns && !(ns = calloc(1, sizeof(char *))))
                        return -ENOMEM;
                strv_free(c->probes.metrics);
                c->probes.metrics = TAKE_PTR(ns);
                strv_free(c->probes.metrics_sources);
                c->probes.metrics_sources = TAKE_PTR(ns_src);
                c->origins[CONFIG_SETTING_PROBES_METRICS] = (ConfigOrigin) { CONFIG_SOURCE_AGENT };
        }

        if (open_for_agent(c, CONFIG_SETTING_PROBES_LOGS)) {
                /* Templates: they are checked once the round has expanded them. */
                for (size_t i = 0; i < a->n_log_groups; i++)
                        if (strv_extend(&groups, a->log_groups[i].value) < 0 ||
                            strv_extend(&group_src, a->log_groups[i].source) < 0)
                                return -ENOMEM;
                if (!groups && !(groups = calloc(1, sizeof(char *))))
                        return -ENOMEM;
                strv_free(c->probes.logs);
                c->probes.logs = TAKE_PTR(groups);
                strv_free(c->probes.logs_sources);
                c->probes.logs_sources = TAKE_PTR(group_src);
                c->origins[CONFIG_SETTING_PROBES_LOGS] = (ConfigOrigin) { CONFIG_SOURCE_AGENT };
        }

        if (a->region.value && open_for_agent(c, CONFIG_SETTING_REGION)) {
                r = take(c, CONFIG_SETTING_REGION, a->region.value, a->region.source,
                         config_check_region);
                if (r < 0)
                        return r;
        }
        r = take_endpoint(c, CONFIG_SETTING_ENDPOINT_MONITORING, &a->metrics_endpoint);
        if (r >= 0)
                r = take_endpoint(c, CONFIG_SETTING_ENDPOINT_LOGS, &a->logs_endpoint);
        if (r < 0)
                return r;

        return apply_roles(c, a);
}

/* A plain (non-tracked) string setting from the TOML, when cwguard.yaml left it unset. */
static int take_plain(Config *c, char **field, const AgentTomlValue *v, const char *file,
                      const char *what, ConfigCheck check)
{
        const char *why;

        if (!v->value || *field)
                return 0;
        why = check(v->value);
        if (why)
                return note(c, "%s:%u: %s '%.*s%s' is not used: %s", file, v->line, what,
                            QUOTE(v->value), why);
        return free_and_strdup(field, v->value);
}

static int apply_toml(Config *c, const AgentToml *t)
{
        const char *file = c->agent.common_config;
        int r;

        r = notes_add(c, t->notes);
        if (r >= 0)
                r = take_plain(c, &c->credentials.profile, &t->profile, file,
                               "shared_credential_profile", config_check_profile);
        if (r >= 0)
                r = take_plain(c, &c->credentials.file, &t->credentials_file, file,
                               "shared_credential_file", config_check_path);
        /* The agent's HTTPS traffic goes through https_proxy; http_proxy serves plain http,
         * which cwguard only speaks to IMDS, and IMDS is never proxied. */
        if (r >= 0)
                r = take_plain(c, &c->proxy.url, &t->https_proxy, file, "https_proxy",
                               config_check_proxy_url);
        if (r >= 0)
                r = take_plain(c, &c->proxy.no_proxy, &t->no_proxy, file, "no_proxy",
                               config_check_no_proxy);
        if (r >= 0 && t->ca_bundle_path.value && open_for_agent(c, CONFIG_SETTING_CA_BUNDLE)) {
                _cleanup_free_ char *where = NULL;

                if (asprintf(&where, "%s:%u", file, t->ca_bundle_path.line) < 0)
                        return -ENOMEM;
                r = take(c, CONFIG_SETTING_CA_BUNDLE, t->ca_bundle_path.value, where,
                         config_check_path);
        }
        return r;
}

/* heartbeat.namespace follows the first probed namespace unless it was configured. */
static int resolve_heartbeat_namespace(Config *c)
{
        if (c->origins[CONFIG_SETTING_HEARTBEAT_NAMESPACE].source == CONFIG_SOURCE_CONFIG)
                return 0;
        return free_and_strdup(&c->heartbeat.namespace,
                               c->probes.metrics[0] ?: AGENT_NAMESPACE_DEFAULT);
}

/* agent.log: as configured, else where the agent's JSON says it logs, else its standard file. An
 * empty agent.logfile means stdout (the journal): then there is no file to read, and the
 * standard one, if any, is stale; it is still what we look at, and says "no log" when absent. */
static int resolve_agent_log(Config *c, const AgentConfig *a)
{
        const char *v = a && a->installed ? a->logfile.value : NULL;

        if (c->agent.log)
                return 0;
        if (isempty(v) || config_check_path(v))
                v = AGENT_LOGFILE_DEFAULT;
        return free_and_strdup(&c->agent.log, v);
}

int config_apply_agent(Config *c, const AgentConfig *agent, const AgentToml *toml)
{
        int r = 0;

        if (!c)
                return -EINVAL;
        c->agent.installed = agent && agent->installed;
        if (c->agent.installed)
                r = apply_json(c, agent);
        if (r >= 0)
                r = resolve_agent_log(c, agent);
        if (r >= 0 && toml)
                r = apply_toml(c, toml);
        if (r >= 0)
                r = resolve_heartbeat_namespace(c);
        return r;
}

int config_load_agent(Config *c)
{
        _cleanup_(agent_config_done) AgentConfig a = {};
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *err = NULL;
        bool have_toml;
        int r;

        r = agent_config_load(c->agent.config, &a);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && note(c, "%s: cannot be read: %s", c->agent.config, strerror(-r)) < 0)
                return -ENOMEM;

        r = agent_toml_load(c->agent.common_config, &t, &err);
        if (r == -ENOMEM)
                return r;
        have_toml = r >= 0;
        if (r < 0 && r != -ENOENT &&
            note(c, "%s", err ?: c->agent.common_config) < 0)
                return -ENOMEM;

        return config_apply_agent(c, &a, have_toml ? &t : NULL);
}
