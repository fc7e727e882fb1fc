#pragma once
/* SPDX-License-Identifier: MIT */
/* agent-config.h: what the CloudWatch agent's JSON configuration says it publishes, and how. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* The agent's standard locations (Linux). */
#define AGENT_CONFIG_PATH "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
#define AGENT_CONFIG_DIR_NAME "amazon-cloudwatch-agent.d"
#define AGENT_LOGFILE_DEFAULT "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"
#define AGENT_NAMESPACE_DEFAULT "CWAgent"

/* Source of a value that no document set. */
#define AGENT_SOURCE_DEFAULT "default"

/* Limits: one document, the documents of one installation, the log groups kept, and the notes
 * and errors kept (a hostile directory or document cannot make the lists unbounded). */
#define AGENT_DOCUMENT_MAX (1024U * 1024U)
#define AGENT_FILES_MAX 64U
#define AGENT_LOG_GROUPS_MAX 1024U
#define AGENT_MESSAGES_MAX 256U
/* .d subdirectories this deep are not read (the agent's filepath.Walk has no limit). */
#define AGENT_DIR_DEPTH_MAX 8U

/* Length limits of the agent's JSON schema (translator/config/schema.json). */
#define AGENT_LOG_GROUP_NAME_MAX 512U
#define AGENT_REGION_MAX 64U
#define AGENT_NAMESPACE_MAX 255U
#define AGENT_ROLE_ARN_MIN 20U
#define AGENT_ROLE_ARN_MAX 2048U
#define AGENT_ENDPOINT_MIN 4U
#define AGENT_ENDPOINT_MAX 2048U
#define AGENT_LOGFILE_MAX 4096U

/*
 * AgentItem - one derived value and where it came from.
 * @value: the value as written (a log group or stream name is the agent's *template*, with its
 *         placeholders unexpanded).
 * @source: "FILE: json.path" of the value (e.g. "/opt/.../file_app:
 *          logs.logs_collected.files.collect_list[2].log_group_name"), or AGENT_SOURCE_DEFAULT.
 *
 * Both NULL when the value is not set.
 */
typedef struct AgentItem {
        char *value;
        char *source;
} AgentItem;

/*
 * AgentConfig - the merge of the agent's JSON documents, as far as cwguard needs it.
 *
 * Everything wrong in the documents is data: a line in @errors (the agent would fail on it, or
 * misbehave) or in @notes (something cwguard does not probe, said once). Both are one-line
 * texts starting with the file they are about.
 */
typedef struct AgentConfig {
        /* The configuration file or its .d directory exists. false: no agent installed. */
        bool installed;
        /* The documents read, in the order the agent merges them (byte order of their paths). */
        char **files;

        AgentItem region;             /* agent.region */
        AgentItem role_arn;           /* agent.credentials.role_arn */
        AgentItem metrics_role_arn;   /* metrics.credentials.role_arn (the section's own) */
        AgentItem logs_role_arn;      /* logs.credentials.role_arn (the section's own) */
        AgentItem logfile;            /* agent.logfile, or the default; "" = stdout */

        bool metrics;                 /* a metrics section exists: the agent publishes metrics */
        AgentItem namespace;          /* metrics.namespace, or "CWAgent" (source "default") */
        AgentItem metrics_endpoint;   /* metrics.endpoint_override */

        bool logs;                    /* a logs section exists */
        AgentItem log_stream;         /* logs.log_stream_name: the default stream template */
        AgentItem logs_endpoint;      /* logs.endpoint_override */
        AgentItem *log_groups;        /* log_group_name templates, deduplicated, in merge order */
        size_t n_log_groups;
        size_t n_log_groups_dropped;  /* beyond AGENT_LOG_GROUPS_MAX (said once in errors) */

        char **errors;
        char **notes;
} AgentConfig;

typedef enum AgentSection {
        AGENT_SECTION_METRICS,
        AGENT_SECTION_LOGS,
        _AGENT_SECTION_MAX,
        _AGENT_SECTION_INVALID = -EINVAL,
} AgentSection;

/*
 * AgentPlaceholders - the values the agent substitutes into log group and stream names.
 * NULL or "" means "unknown": the agent's fallback is used. The agent fixes the values when its
 * configuration is translated, i.e. when it (re)starts, not when a name is used.
 */
typedef struct AgentPlaceholders {
        const char *instance_id;      /* IMDS instance-id */
        const char *hostname;         /* IMDS hostname (the EC2 private DNS name) */
        const char *local_hostname;   /* gethostname() */
        const char *ip_address;       /* IMDS private IP, else the first non-loopback IPv4 */
        const char *region;           /* agent.region, else the region the agent detected */
        const char *account_id;       /* IMDS account ID */
        const char *date;             /* "YYYY-MM-DD"; NULL: today, local time */
} AgentPlaceholders;

/**
 * agent_config_parse() - merge one JSON document of the agent into @c.
 * @data: the document (need not be NUL-terminated).
 * @size: its size.
 * @source: the file it came from, for sources and messages.
 * @c: the result so far (zero-initialized for the first document); the document is merged as
 *     the agent merges its files: scalars defined twice must agree (else an error), the
 *     collect_list arrays are concatenated.
 *
 * Pure: no I/O, no logging. Everything wrong in the document becomes a line in @c->errors or
 * @c->notes, and whatever is usable is still used.
 *
 * Return: 0 if the document was merged (even with errors in parts of it); -EBADMSG if it was not
 * a JSON object at all (too large, not JSON, not an object: said in @c->errors); -ENOMEM;
 * -EINVAL for NULL arguments.
 */
int agent_config_parse(const char *data, size_t size, const char *source, AgentConfig *c);

/**
 * agent_config_load() - read the agent's configuration as the agent does at start.
 * @path: the main JSON file (AGENT_CONFIG_PATH by default); the fragments are the files in
 *        the directory AGENT_CONFIG_DIR_NAME beside it.
 * @ret: the result (overwritten; free with agent_config_done()).
 *
 * Reads the main file if it exists and every regular file of the directory tree (symbolic links
 * to regular files followed, "*.tmp" skipped), at most AGENT_FILES_MAX files of at most
 * AGENT_DOCUMENT_MAX bytes, and merges them in the byte order of their paths, as
 * translator/cmdutil/translatorutil.go and translator/jsonconfig/mergeJsonConfig.go do.
 * Unreadable files and directories are errors in @ret, not failures; where the agent would
 * behave differently (it stops reading the directory at a fragment it cannot parse, it does not
 * start without its main file) the error says so, and cwguard still uses every readable
 * document. No logging.
 *
 * Return: 0 (@ret->installed says whether there is an agent configuration at all); -ENOMEM;
 * -EINVAL for a NULL or empty @path.
 */
int agent_config_load(const char *path, AgentConfig *ret);

/**
 * agent_config_done() - free what an AgentConfig holds and reset it (NULL allowed).
 */
void agent_config_done(AgentConfig *c);

/**
 * agent_config_role_arn() - the role the agent assumes for one section's API calls.
 * @c: the configuration.
 * @section: AGENT_SECTION_METRICS or AGENT_SECTION_LOGS.
 *
 * The section's own credentials.role_arn beats agent.credentials.role_arn, as the agent's
 * MetricsCreds and LogCreds translator rules do.
 *
 * Return: the item, or NULL when the section uses the base credentials.
 */
const AgentItem *agent_config_role_arn(const AgentConfig *c, AgentSection section);

/**
 * agent_expand_placeholders() - expand a log group or stream name template as the agent does.
 * @template: the name as configured; "" stands for "{instance_id}", as in the agent.
 * @values: the values (NULL: all unknown).
 * @ret: the expanded name (free()).
 *
 * Mirrors ResolvePlaceholder() and GetMetadataInfo() in the agent's
 * translator/translate/util/placeholderUtil.go: {instance_id} (unknown: "i-UNKNOWN"),
 * {hostname} (the EC2 hostname, else the local one), {local_hostname} (unknown: "UNKNOWN-HOST"),
 * {ip_address} ("UNKNOWN-IP"), {aws_region} ("UNKNOWN-REGION"), {account_id}
 * ("UNKNOWN-ACCOUNT") and {date} (YYYY-MM-DD). Other braces are kept as they are.
 *
 * Return: 0, -ENOMEM, or -EINVAL for a NULL @template or @ret, or a @values->date that is not
 * of the form YYYY-MM-DD.
 */
int agent_expand_placeholders(const char *template, const AgentPlaceholders *values, char **ret);

/**
 * agent_log_group_name_is_valid() - whether @name is a valid CloudWatch Logs log group name:
 * 1-512 of [A-Za-z0-9_-/.#]. For an expanded name (templates hold braces).
 */
bool agent_log_group_name_is_valid(const char *name);
