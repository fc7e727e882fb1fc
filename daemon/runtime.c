/* SPDX-License-Identifier: MIT */
/*
 * runtime.c: turn one Config into the running parts — the HTTP client (CA bundle, proxy,
 * timeout), the credential provider chain (environment, shared file, IMDS), and the prober that
 * runs rounds — and the RoundOptions of a round. Kept apart from the programs so that
 * `cwguardctl check` and cwguardd cannot drift: they build their rounds here. No logging.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/agent-config.h"
#include "daemon/runtime.h"

static const char *env_lookup(char **envp, const char *name)
{
        size_t n = strlen(name);

        STRV_FOREACH(e, envp)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

int runtime_load_config(const char *path, char **envp, Config **ret, char **reterr)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(config_error_done) ConfigError e = CONFIG_ERROR_NULL;
        int r;

        r = config_load(path, &c, &e);
        if (r >= 0)
                r = config_apply_environment(c, envp, &e);
        /* The agent's own files fill what cwguard.yaml left open (`probes: auto`). */
        if (r >= 0)
                r = config_load_agent(c);
        if (r < 0) {
                char *text = NULL;

                if (!e.message || config_error_format(&e, &text) < 0)
                        if (asprintf(&text, "cannot load '%s': %s", path ?: CONFIG_DEFAULT_PATH,
                                     strerror(-r)) < 0)
                                text = NULL;
                *reterr = text;
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int runtime_new(sd_event *event, const Config *c, char **envp, Runtime **ret)
{
        _cleanup_(runtime_freep) Runtime *rt = NULL;
        const char *proxy;
        int r;

        if (!event || !c || !ret)
                return -EINVAL;
        rt = calloc(1, sizeof(Runtime));
        if (!rt)
                return -ENOMEM;
        rt->event = sd_event_ref(event);

        /* libcurl reads HTTPS_PROXY itself when proxy.url is unset; we only need it to report. */
        proxy = c->proxy.url ?: env_lookup(envp, "HTTPS_PROXY") ?: env_lookup(envp, "https_proxy");
        if (!isempty(proxy)) {
                rt->proxy = strdup(proxy);
                if (!rt->proxy)
                        return -ENOMEM;
        }

        HttpClientOptions ho = {
                .ca_bundle = c->ca_bundle,
                .proxy = c->proxy.url,
                .no_proxy = c->proxy.no_proxy,
                .default_timeout = c->timeout,
                /* Keep a connection from one heartbeat to the next (and the splay). */
                .max_idle = c->heartbeat.interval + c->interval + 60 * USEC_PER_SEC,
        };
        r = http_client_new(event, &ho, &rt->http);
        if (r < 0)
                return r;

        CredentialsOptions co = {
                .envp = envp,
                .file = c->credentials.file,
                .profile = c->credentials.profile,
                .imds = {
                        .endpoint = c->imds.endpoint,
                        .timeout = c->imds.timeout,
                        .token_ttl_sec = (unsigned) (c->imds.token_ttl / USEC_PER_SEC),
                        .allow_v1 = c->imds.allow_v1,
                },
        };
        r = credentials_provider_new(event, rt->http, &co, &rt->credentials);
        if (r < 0)
                return r;

        r = prober_new(event, rt->http, rt->credentials, &rt->prober);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(rt);
        return 0;
}

Runtime *runtime_free(Runtime *rt)
{
        if (!rt)
                return NULL;
        /* Users before what they use: the prober's calls run on the provider and the client. */
        prober_free(rt->prober);
        credentials_provider_free(rt->credentials);
        http_client_free(rt->http);
        sd_event_unref(rt->event);
        free(rt->proxy);
        return mfree(rt);
}

static const char *source_of(const Config *c, ConfigSetting s)
{
        return config_source_to_string(c->origins[s].source);
}

void runtime_round_options(const Runtime *rt, const Config *c, bool billed, RoundOptions *ret)
{
        *ret = (RoundOptions) {
                .region = c->region,
                .endpoints = {
                        [PROBE_SERVICE_MONITORING] = c->endpoints[CONFIG_SERVICE_MONITORING],
                        [PROBE_SERVICE_LOGS] = c->endpoints[CONFIG_SERVICE_LOGS],
                        [PROBE_SERVICE_STS] = c->endpoints[CONFIG_SERVICE_STS],
                },
                .namespaces = c->probes.metrics,
                .metrics_source = source_of(c, CONFIG_SETTING_PROBES_METRICS),
                .metrics_sources = c->probes.metrics_sources,
                .log_groups = c->probes.logs,
                .logs_source = source_of(c, CONFIG_SETTING_PROBES_LOGS),
                .log_group_sources = c->probes.logs_sources,
                .log_stream = c->probes.log_stream,
                .create_log_group = c->probes.create_log_group,
                .heartbeat_namespace = c->heartbeat.namespace,
                .auto_scaling_group = c->heartbeat.auto_scaling_group,
                .auto_scaling_group_from_tags = c->heartbeat.auto_scaling_group_from_tags,
                .heartbeat_detail = c->heartbeat.detail,
                .billed = billed,
                .timeout = c->timeout,
                /* A round never outlasts the interval between rounds. */
                .budget = c->interval,
                .endpoint_check_interval = c->endpoint_check_interval,
                .proxy = rt ? rt->proxy : NULL,
                .role_arns = {
                        [PROBE_SERVICE_MONITORING] = config_metrics_role_arn(c),
                        [PROBE_SERVICE_LOGS] = config_logs_role_arn(c),
                        [PROBE_SERVICE_STS] = c->credentials.role_arn,
                },
                .agent_unit = empty_to_null(c->agent.unit),
                /* "" turns agent:log off; unset (no agent applied) is the standard file. */
                .agent_log = c->agent.log ? empty_to_null(c->agent.log) : AGENT_LOGFILE_DEFAULT,
                .agent_log_window = c->agent.log_window,
                .agent_installed = c->agent.installed,
        };
}
