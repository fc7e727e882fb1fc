#pragma once
/* SPDX-License-Identifier: MIT */
/* agent-toml.h: the CloudWatch agent's common-config.toml (credentials, proxy, CA bundle). */

#include <stddef.h>

#define AGENT_COMMON_CONFIG_PATH "/opt/aws/amazon-cloudwatch-agent/etc/common-config.toml"

/* The documented file is under 1 KiB; anything this large is not a common-config.toml. */
#define AGENT_TOML_MAX (64U * 1024U)
/* Keys and table headers in one file (the documented file has 9). */
#define AGENT_TOML_ENTRIES_MAX 256U
/* A value cwguard keeps: a path, a URL, a profile name or a host list. */
#define AGENT_TOML_VALUE_MAX 4096U

/*
 * AgentTomlValue - one setting and the line it was on (0 and NULL when absent). An empty string
 * is kept as "" (and noted): it is set, to nothing.
 */
typedef struct AgentTomlValue {
        char *value;
        unsigned line;
} AgentTomlValue;

/*
 * AgentToml - what the agent takes from common-config.toml (cfg/commonconfig/commonconfig.go).
 */
typedef struct AgentToml {
        AgentTomlValue profile;           /* [credentials] shared_credential_profile */
        AgentTomlValue credentials_file;  /* [credentials] shared_credential_file */
        AgentTomlValue http_proxy;        /* [proxy] http_proxy */
        AgentTomlValue https_proxy;       /* [proxy] https_proxy */
        AgentTomlValue no_proxy;          /* [proxy] no_proxy */
        AgentTomlValue ca_bundle_path;    /* [ssl] ca_bundle_path */
        int imds_retries;                 /* [imds] imds_retries (newer agents); -1 if absent */
        unsigned imds_retries_line;
        /* One-line notes: tables and keys the agent ignores too, names matched regardless of
         * case, empty values. */
        char **notes;
} AgentToml;

/**
 * agent_toml_parse() - parse the subset of TOML that common-config.toml uses.
 * @data: the file's bytes (need not be NUL-terminated).
 * @size: their number.
 * @source: the name used in messages (NULL: "common-config.toml").
 * @ret: the result, filled only on success (free with agent_toml_done()).
 * @reterr: on -EBADMSG or -EFBIG, the reason as "SOURCE:LINE:COL: ..." (may be NULL).
 *
 * The subset: comments, blank lines, [table] headers with a bare name, and bare keys set to a
 * "basic string" (escapes \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX) or a 'literal string', plus
 * the decimal integer of [imds] imds_retries. A UTF-8 byte order mark and CRLF line ends are
 * accepted. Every other TOML construct (arrays, inline tables, numbers, booleans, dates,
 * dotted or quoted keys, multi-line strings, arrays of tables) and every duplicate key or table
 * is an error saying where and what, never a silent misread. Table and key names match
 * regardless of case, as the agent's TOML decoder (BurntSushi/toml) matches them. Pure: no I/O,
 * no logging.
 *
 * Return: 0; -EBADMSG (not within the subset, or not TOML); -EFBIG (larger than AGENT_TOML_MAX);
 * -ENOMEM; -EINVAL for NULL @data or @ret.
 */
int agent_toml_parse(const char *data, size_t size, const char *source, AgentToml *ret,
                     char **reterr);

/**
 * agent_toml_load() - read and parse a common-config.toml.
 * @path: the file (AGENT_COMMON_CONFIG_PATH by default).
 * @ret: as for agent_toml_parse().
 * @reterr: as for agent_toml_parse(), and the reason a file that exists cannot be read.
 *
 * Return: 0; -ENOENT when the file does not exist (the agent then uses its default credential
 * chain and the proxy environment); the other errors of agent_toml_parse(); a negative errno
 * when the file cannot be read.
 */
int agent_toml_load(const char *path, AgentToml *ret, char **reterr);

/**
 * agent_toml_done() - free what an AgentToml holds and reset it (NULL allowed).
 */
void agent_toml_done(AgentToml *t);
