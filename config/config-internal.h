#pragma once
/* SPDX-License-Identifier: MIT */
/* config-internal.h: what config.c, config-value.c and config-env.c share; not an API. */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/macro.h"
#include "config/config.h"

/* imds.endpoint when neither the file nor AWS_EC2_METADATA_SERVICE_ENDPOINT sets it. */
#define IMDS_ENDPOINT_DEFAULT "http://169.254.169.254"

/* How much of a bad value an error message quotes: use as "'%.*s%s'", QUOTE(s). */
#define QUOTE_MAX 80
#define QUOTE(s) (int) MIN(strlen(s), (size_t) QUOTE_MAX), (s), strlen(s) > QUOTE_MAX ? "..." : ""

/* ---- config-value.c ------------------------------------------------------------------------ */

/* Whether @s (of length @n, which must be its strlen()) holds a C0, DEL or C1 control or a NUL. */
bool config_string_has_control(const char *s, size_t n);

/* A check returns NULL for a good value, else the reason it is bad (static text). */
typedef const char *(*ConfigCheck)(const char *s);

const char *config_check_region(const char *s);
const char *config_check_aws_url(const char *s);           /* https:// only */
const char *config_check_imds_url(const char *s);          /* http:// or https:// */
const char *config_check_proxy_url(const char *s);         /* libcurl's proxy schemes, or "" */
const char *config_check_no_proxy(const char *s);
const char *config_check_path(const char *s);              /* absolute, < PATH_MAX */
const char *config_check_path_or_empty(const char *s);     /* the same, or "" */
const char *config_check_profile(const char *s);
const char *config_check_role_arn(const char *s);          /* arn:aws...:iam::ACCOUNT:role/N */
const char *config_check_unit(const char *s);
const char *config_check_namespace(const char *s);         /* CloudWatch metric namespace */
const char *config_check_log_group(const char *s);
const char *config_check_log_stream(const char *s);        /* with {placeholders} */
const char *config_check_auto_scaling_group(const char *s);

/* YAML 1.1 true/false/yes/no in three capitalisations; -EINVAL for anything else. */
int config_parse_boolean(const char *s, bool *ret);

/* Drop one trailing '/' from @s, in place. */
void config_strip_one_slash(char *s);

/* ---- config.c ------------------------------------------------------------------------------ */

/* The field holding tracked setting @s in @c; NULL for an out-of-range @s. */
char **config_setting_field(Config *c, ConfigSetting s);

/* Record an error about a whole file or variable in @e (if any); returns @r, or -ENOMEM. */
_printf_(5, 6) int config_error_set(ConfigError *e, int r, const char *file, const char *key,
                                    const char *fmt, ...);
