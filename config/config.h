#pragma once
/* SPDX-License-Identifier: MIT */
/* config.h: cwguard.yaml -> one typed Config: defaults, SDK environment overrides, errors. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"
#include "common/util.h"
#include "cwguard-config.h"

/* Where cwguardd and cwguardctl look when not told otherwise (config/meson.build installs it). */
#define CONFIG_DEFAULT_PATH SYSCONFDIR "/cwguard/cwguard.yaml"

/* Larger files are refused: a configuration is a few hundred bytes. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* Every duration is at least this (a timer storm or a busy loop otherwise)... */
#define CONFIG_DURATION_MIN (100 * USEC_PER_MSEC)
/* ...and at most a year: beyond any sensible interval, far from overflowing now + interval. */
#define CONFIG_DURATION_MAX (365 * 24 * USEC_PER_HOUR)

/* A list (probes.metrics, probes.logs) holds at most this many entries. */
#define CONFIG_LIST_MAX 100

/* The AWS services cwguard talks to; the strings are the keys under `endpoints:`. */
typedef enum ConfigService {
        CONFIG_SERVICE_MONITORING,
        CONFIG_SERVICE_LOGS,
        CONFIG_SERVICE_STS,
        _CONFIG_SERVICE_MAX,
        _CONFIG_SERVICE_INVALID = -EINVAL,
} ConfigService;

/**
 * config_service_to_string() - "monitoring", "logs", "sts"; NULL if out of range.
 */
const char *config_service_to_string(ConfigService s) _const_;
/**
 * config_service_from_string() - the inverse; _CONFIG_SERVICE_INVALID for an unknown name.
 */
ConfigService config_service_from_string(const char *s) _pure_;

/* Where a resolved setting came from ("default", "config", "environment", "imds"). */
typedef enum ConfigSource {
        CONFIG_SOURCE_DEFAULT,
        CONFIG_SOURCE_CONFIG,
        CONFIG_SOURCE_ENVIRONMENT,
        CONFIG_SOURCE_IMDS,    /* set by the daemon from the identity document (region only) */
        CONFIG_SOURCE_AGENT,   /* the CloudWatch agent's configuration (config_apply_agent()) */
        _CONFIG_SOURCE_MAX,
        _CONFIG_SOURCE_INVALID = -EINVAL,
} ConfigSource;

/**
 * config_source_to_string() - "default", "config", "environment", "imds"; NULL if out of range.
 */
const char *config_source_to_string(ConfigSource s) _const_;
/**
 * config_source_from_string() - the inverse; _CONFIG_SOURCE_INVALID for an unknown name.
 */
ConfigSource config_source_from_string(const char *s) _pure_;

/* The settings whose origin is tracked; the strings are their key paths ("endpoints.sts"). */
typedef enum ConfigSetting {
        CONFIG_SETTING_REGION,
        CONFIG_SETTING_ENDPOINT_MONITORING,
        CONFIG_SETTING_ENDPOINT_LOGS,
        CONFIG_SETTING_ENDPOINT_STS,
        CONFIG_SETTING_CA_BUNDLE,
        CONFIG_SETTING_IMDS_ENDPOINT,
        CONFIG_SETTING_HEARTBEAT_NAMESPACE,
        CONFIG_SETTING_PROBES_METRICS,      /* a list: config_setting_get() gives NULL */
        CONFIG_SETTING_PROBES_LOGS,         /* a list: config_setting_get() gives NULL */
        _CONFIG_SETTING_MAX,
        _CONFIG_SETTING_INVALID = -EINVAL,
} ConfigSetting;

/**
 * config_setting_to_string() - the key path ("region", "imds.endpoint"...); NULL if out of range.
 */
const char *config_setting_to_string(ConfigSetting s) _const_;
/**
 * config_setting_from_string() - the inverse; _CONFIG_SETTING_INVALID for an unknown key path.
 */
ConfigSetting config_setting_from_string(const char *s) _pure_;

typedef struct ConfigOrigin {
        ConfigSource source;
        const char *variable;  /* CONFIG_SOURCE_ENVIRONMENT: the variable (static string) */
} ConfigOrigin;

typedef struct ConfigProxy {
        char *url;             /* NULL: libcurl reads HTTPS_PROXY/https_proxy; "": no proxy */
        char *no_proxy;        /* NULL: libcurl reads NO_PROXY/no_proxy */
} ConfigProxy;

typedef struct ConfigImds {
        char *endpoint;        /* never NULL; no trailing '/' */
        usec_t timeout;
        usec_t token_ttl;      /* whole seconds, 1s..6h */
        bool allow_v1;
} ConfigImds;

typedef struct ConfigCredentials {
        char *profile;         /* NULL: the credentials module decides (AWS_PROFILE, else
                                * "AmazonCloudWatchAgent") */
        char *file;            /* NULL: the credentials module decides (AWS_SHARED_...) */
        /* The roles the probes assume with STS AssumeRole, as the agent does (NULL: the base
         * credentials). credentials.role_arn in cwguard.yaml sets all three; else the agent's
         * agent.credentials.role_arn (role_arn: the identity probe) and each section's own
         * credentials.role_arn, falling back to the agent-level one (metrics, logs). */
        char *role_arn;
        char *metrics_role_arn;
        char *logs_role_arn;
        char *role_arn_source; /* where role_arn etc. came from: "config", or the agent's
                                * "FILE: json.path" of the agent-level role; NULL: not set */
} ConfigCredentials;

typedef struct ConfigProbes {
        char **metrics;        /* namespaces for PutMetricData; never NULL, may be empty */
        char **logs;           /* log groups for PutLogEvents; never NULL, may be empty; from the
                                * agent they are its templates ("/app/{instance_id}") */
        char **metrics_sources; /* NULL, or one per namespace: where it came from */
        char **logs_sources;    /* NULL, or one per log group */
        char *log_stream;      /* template; {instance_id} etc. are expanded by the probe */
        bool create_log_group;
} ConfigProbes;

typedef struct ConfigHeartbeat {
        usec_t interval;
        char *namespace;       /* never NULL after config_load()/config_new_default() */
        bool detail;
        char *auto_scaling_group; /* NULL: none configured (see auto_scaling_group_from_tags) */
        bool auto_scaling_group_from_tags; /* "auto" (the default): the aws:autoscaling:groupName
                                            * instance tag, when IMDS exposes instance tags */
} ConfigHeartbeat;

/* The CloudWatch agent whose path cwguard watches (`probes: auto` reads its configuration). */
typedef struct ConfigAgent {
        char *config;          /* its JSON configuration; never NULL */
        char *common_config;   /* its common-config.toml; never NULL */
        char *log;             /* its log file; NULL until config_apply_agent() resolved it:
                                * the JSON's agent.logfile, else AGENT_LOGFILE_DEFAULT */
        char *unit;            /* its systemd unit; "" disables the agent:unit probe; never NULL */
        usec_t log_window;     /* how far back `cwguardctl check` (and the daemon's first round)
                                * looks in the log */
        bool installed;        /* set by config_apply_agent(): the configuration exists */
        char **notes;          /* set by config_apply_agent(): what was skipped or is wrong */
} ConfigAgent;

/*
 * The whole configuration as plain data. Every pointer is owned by the Config. Settings left NULL
 * are resolved elsewhere as commented; the ones listed in ConfigSetting carry their origin.
 */
typedef struct Config {
        char *path;            /* the file config_load() read, or config_load_string()'s name */
        bool from_file;        /* false: there was no such file, everything is a default */

        char *region;          /* NULL: resolve from the IMDS identity document */
        usec_t interval;
        usec_t timeout;
        usec_t endpoint_check_interval;
        char *endpoints[_CONFIG_SERVICE_MAX]; /* NULL: see config_endpoint_url() */
        char *ca_bundle;       /* NULL: the system store */

        ConfigProxy proxy;
        ConfigImds imds;
        ConfigCredentials credentials;
        ConfigProbes probes;
        ConfigHeartbeat heartbeat;
        ConfigAgent agent;

        ConfigOrigin origins[_CONFIG_SETTING_MAX];
} Config;

/*
 * Why a configuration was refused. @file is NULL for errors from the environment (then @key names
 * the variable); @line and @column are 1-based, 0 when the error is about the whole file. @key is
 * the key path ("probes.metrics[1]", list indexes 0-based), NULL if there is none.
 */
typedef struct ConfigError {
        char *file;
        unsigned line, column;
        char *key;
        char *message;
} ConfigError;

#define CONFIG_ERROR_NULL ((ConfigError) {})

/**
 * config_error_done() - free the strings of @e and reset it to CONFIG_ERROR_NULL.
 * @e: the error, or NULL.
 */
void config_error_done(ConfigError *e);

/**
 * config_error_format() - "FILE:LINE:COLUMN: KEY: MESSAGE", leaving out the parts @e lacks.
 * @e: the error.
 * @ret: the text, to free().
 *
 * Return: 0 or -ENOMEM.
 */
int config_error_format(const ConfigError *e, char **ret);

/**
 * config_new_default() - a Config holding every default (no file, no environment).
 * @ret: the new Config.
 *
 * Return: 0 or -ENOMEM.
 */
int config_new_default(Config **ret);

/**
 * config_free() - free @c and everything it owns.
 * @c: the Config, or NULL.
 *
 * Return: NULL.
 */
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/**
 * config_load_string() - parse a configuration document held in memory.
 * @data: the YAML bytes (need not be NUL-terminated; embedded NULs are refused by the parser).
 * @size: their count; more than CONFIG_FILE_MAX is refused.
 * @name: the name errors give as file, and that becomes Config.path; may be NULL.
 * @ret: the new Config (defaults for every key the document leaves out).
 * @reterr: on failure, why (overwritten without being freed: pass CONFIG_ERROR_NULL, and call
 *          config_error_done() afterwards); may be NULL. Left alone on success.
 *
 * An empty document, or one holding only comments or a null, gives the defaults. The
 * environment is not consulted: see config_apply_environment().
 *
 * Return: 0; -EINVAL for an invalid document; -EFBIG if too large; -ENOMEM (@reterr may then
 * lack a message).
 */
int config_load_string(const char *data, size_t size, const char *name, Config **ret,
                       ConfigError *reterr);

/**
 * config_load() - read and parse a configuration file.
 * @path: the file; NULL means CONFIG_DEFAULT_PATH.
 * @ret: the new Config. A missing file is not an error: every setting is a default and
 *       Config.from_file is false.
 * @reterr: as for config_load_string().
 *
 * Return: 0; -EINVAL for an invalid file; -EFBIG for one over CONFIG_FILE_MAX; the negative errno
 * of a failed read (-EACCES, -EISDIR...); -ENOMEM.
 */
int config_load(const char *path, Config **ret, ConfigError *reterr);

/**
 * config_apply_environment() - resolve settings the config left unset from the AWS SDK variables.
 * @c: the Config, as config_load() returned it.
 * @envp: the environment ("NAME=value" strings, NULL-terminated; NULL is empty). Passed in rather
 *        than read with getenv() so that callers and tests decide what is seen.
 * @reterr: on failure, the variable (in @key) and why; as for config_load_string().
 *
 * Explicit configuration wins, then the variable, then the default. Read: AWS_REGION, then
 * AWS_DEFAULT_REGION; AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
 * AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL for all three (none of them when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true"); AWS_CA_BUNDLE; AWS_EC2_METADATA_SERVICE_ENDPOINT
 * (one trailing '/' is dropped). Empty variables count as unset. Values are validated like the
 * config keys they stand for. Config.origins records the outcome. Calling it again with another
 * environment re-resolves the non-config settings.
 *
 * Return: 0; -EINVAL for an invalid value (then @c is unchanged); -ENOMEM.
 */
int config_apply_environment(Config *c, char **envp, ConfigError *reterr);

struct AgentConfig;
struct AgentToml;

/**
 * config_apply_agent() - let the CloudWatch agent's configuration fill what cwguard.yaml left
 * open, so that the probes test the agent's own path (`probes: auto`).
 * @c: the Config, environment applied.
 * @agent: the agent's JSON configuration as agent_config_load() read it; NULL: none.
 * @toml: its common-config.toml as agent_toml_load() read it; NULL: none.
 *
 * Explicit configuration wins, then the agent's files, then the environment and the defaults
 * (the agent itself reads common-config.toml before the environment). From the JSON: the
 * metrics namespace (only when the agent publishes metrics) and the log group templates, when
 * probes.metrics / probes.logs are not configured; agent.region; the endpoint overrides; the
 * roles it assumes (agent.credentials.role_arn and the sections' own), unless credentials.role_arn
 * is configured. From the TOML: the credentials profile and file, the HTTPS proxy and NO_PROXY,
 * the CA bundle. Values cwguard cannot use become lines in c->agent.notes, with the agent's own errors and notes; nothing here fails.
 * Pure: no I/O.
 *
 * Return: 0 or -ENOMEM.
 */
int config_apply_agent(Config *c, const struct AgentConfig *agent, const struct AgentToml *toml);

/* The role the metrics probes (and the heartbeat), the logs probes and the identity probe assume;
 * NULL: the base credentials. */
static inline const char *config_metrics_role_arn(const Config *c)
{
        return c->credentials.metrics_role_arn ?: c->credentials.role_arn;
}
static inline const char *config_logs_role_arn(const Config *c)
{
        return c->credentials.logs_role_arn ?: c->credentials.role_arn;
}

/**
 * config_load_agent() - read the files c->agent names and config_apply_agent() them.
 * @c: the Config, environment applied.
 *
 * A missing agent configuration is not an error (c->agent.installed stays false: "agent not
 * installed"); an unreadable or broken one is reported in c->agent.notes.
 *
 * Return: 0 or -ENOMEM.
 */
int config_load_agent(Config *c);

/**
 * config_endpoint_url() - the URL to send requests for service @s to.
 * @c: the Config.
 * @s: the service.
 * @region: the region to derive a default URL for; NULL means Config.region.
 * @ret: the URL, to free(): the explicit endpoint if one is set, else
 *       https://<monitoring|logs|sts>.<region>.amazonaws.com (".amazonaws.com.cn" for cn-*).
 *
 * Return: 0; -EINVAL if a URL must be derived and there is no valid region; -ENOMEM.
 */
int config_endpoint_url(const Config *c, ConfigService s, const char *region, char **ret);

/**
 * config_setting_get() - the current value of a tracked setting (NULL if unset), for display.
 */
const char *config_setting_get(const Config *c, ConfigSetting s) _pure_;

/**
 * config_parse_duration() - parse "200ms", "5s", "2m", "1h", or a bare number of seconds ("90",
 * "1.5").
 * @s: the text (no signs, spaces or other suffixes).
 * @ret: the duration.
 *
 * Return: 0; -EINVAL if @s is not a duration; -ERANGE if it is below CONFIG_DURATION_MIN (zero
 * included), above CONFIG_DURATION_MAX or negative.
 */
int config_parse_duration(const char *s, usec_t *ret);

/**
 * config_format_duration() - the inverse: the largest exact unit ("6h", "90s", "1500ms"), else
 * decimal seconds ("0.123456"). config_parse_duration() reads every result back.
 * @t: the duration.
 * @buf: CONFIG_DURATION_STR_MAX bytes.
 *
 * Return: @buf.
 */
#define CONFIG_DURATION_STR_MAX 32
const char *config_format_duration(usec_t t, char buf[static CONFIG_DURATION_STR_MAX]);
