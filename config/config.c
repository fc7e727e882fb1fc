/* SPDX-License-Identifier: MIT */
/*
 * config.c: cwguard.yaml -> one typed Config. libyaml's event API drives a small descent through
 * static key tables (one per mapping): each row names a key, the parser for its value and the
 * Config field it fills, so adding a key is one row and adding a section is one table. Values are
 * validated as they are read (the checks live in config-value.c) and the first problem ends the
 * load with a ConfigError naming the file, the 1-based line and column and the key path. The AWS
 * SDK environment variables are applied afterwards by config_apply_environment() (config-env.c),
 * which also records where each resolved setting came from. Pure: no logging, no globals, no I/O
 * besides reading the one file.
 * Deliberate limits: one document, no anchors, aliases or tags, no control characters anywhere.
 */

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include <yaml.h>

#include "common/agent-config.h"
#include "common/agent-toml.h"
#include "common/agent-unit.h"
#include "config/config-internal.h"

#define LOG_STREAM_DEFAULT "cwguard-{instance_id}"
#define NAMESPACE_DEFAULT "CWAgent"

static const char *const config_service_table[_CONFIG_SERVICE_MAX] = {
        [CONFIG_SERVICE_MONITORING] = "monitoring",
        [CONFIG_SERVICE_LOGS] = "logs",
        [CONFIG_SERVICE_STS] = "sts",
};

static const char *const config_source_table[_CONFIG_SOURCE_MAX] = {
        [CONFIG_SOURCE_DEFAULT] = "default",
        [CONFIG_SOURCE_CONFIG] = "config",
        [CONFIG_SOURCE_ENVIRONMENT] = "environment",
        [CONFIG_SOURCE_IMDS] = "imds",
        [CONFIG_SOURCE_AGENT] = "agent",
};

static const char *const config_setting_table[_CONFIG_SETTING_MAX] = {
        [CONFIG_SETTING_REGION] = "region",
        [CONFIG_SETTING_ENDPOINT_MONITORING] = "endpoints.monitoring",
        [CONFIG_SETTING_ENDPOINT_LOGS] = "endpoints.logs",
        [CONFIG_SETTING_ENDPOINT_STS] = "endpoints.sts",
        [CONFIG_SETTING_CA_BUNDLE] = "ca_bundle",
        [CONFIG_SETTING_IMDS_ENDPOINT] = "imds.endpoint",
        [CONFIG_SETTING_HEARTBEAT_NAMESPACE] = "heartbeat.namespace",
        [CONFIG_SETTING_PROBES_METRICS] = "probes.metrics",
        [CONFIG_SETTING_PROBES_LOGS] = "probes.logs",
};

DEFINE_STRING_TABLE_LOOKUP(config_service, ConfigService, _CONFIG_SERVICE_MAX);

DEFINE_STRING_TABLE_LOOKUP(config_source, ConfigSource, _CONFIG_SOURCE_MAX);

DEFINE_STRING_TABLE_LOOKUP(config_setting, ConfigSetting, _CONFIG_SETTING_MAX);

/* ---- Config -------------------------------------------------------------------------------- */

char **config_setting_field(Config *c, ConfigSetting s)
{
        switch (s) {
        case CONFIG_SETTING_REGION:
                return &c->region;
        case CONFIG_SETTING_ENDPOINT_MONITORING:
                return &c->endpoints[CONFIG_SERVICE_MONITORING];
        case CONFIG_SETTING_ENDPOINT_LOGS:
                return &c->endpoints[CONFIG_SERVICE_LOGS];
        case CONFIG_SETTING_ENDPOINT_STS:
                return &c->endpoints[CONFIG_SERVICE_STS];
        case CONFIG_SETTING_CA_BUNDLE:
                return &c->ca_bundle;
        case CONFIG_SETTING_IMDS_ENDPOINT:
                return &c->imds.endpoint;
        case CONFIG_SETTING_HEARTBEAT_NAMESPACE:
                return &c->heartbeat.namespace;
        default:
                return NULL;
        }
}

const char *config_setting_get(const Config *c, ConfigSetting s)
{
        char **f = config_setting_field((Config *) c, s);

        return f ? *f : NULL;
}

Config *config_free(Config *c)
{
        if (!c)
                return NULL;
        free(c->path);
        free(c->region);
        for (size_t i = 0; i < _CONFIG_SERVICE_MAX; i++)
                free(c->endpoints[i]);
        free(c->ca_bundle);
        free(c->proxy.url);
        free(c->proxy.no_proxy);
        free(c->imds.endpoint);
        free(c->credentials.profile);
        free(c->credentials.file);
        free(c->credentials.role_arn);
        free(c->credentials.metrics_role_arn);
        free(c->credentials.logs_role_arn);
        free(c->credentials.role_arn_source);
        strv_free(c->probes.metrics);
        strv_free(c->probes.logs);
        strv_free(c->probes.metrics_sources);
        strv_free(c->probes.logs_sources);
        free(c->probes.log_stream);
        free(c->agent.config);
        free(c->agent.common_config);
        free(c->agent.log);
        free(c->agent.unit);
        strv_free(c->agent.notes);
        free(c->heartbeat.namespace);
        free(c->heartbeat.auto_scaling_group);
        free(c);
        return NULL;
}

/* The defaults, before the ones derived from other settings (see config_resolve_defaults()). */
static int config_new_unresolved(Config **ret)
{
        _cleanup_(config_freep) Config *c = NULL;

        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        c->interval = 60 * USEC_PER_SEC;
        c->timeout = 5 * USEC_PER_SEC;
        c->endpoint_check_interval = USEC_PER_HOUR;
        c->imds.timeout = USEC_PER_SEC;
        c->imds.token_ttl = 6 * USEC_PER_HOUR;
        c->heartbeat.interval = 5 * USEC_PER_MINUTE;

        c->imds.endpoint = strdup(IMDS_ENDPOINT_DEFAULT);
        c->probes.log_stream = strdup(LOG_STREAM_DEFAULT);
        c->probes.logs = calloc(1, sizeof(char *));
        c->agent.config = strdup(AGENT_CONFIG_PATH);
        c->agent.common_config = strdup(AGENT_COMMON_CONFIG_PATH);
        c->agent.unit = strdup(AGENT_UNIT_DEFAULT);
        c->agent.log_window = 10 * USEC_PER_MINUTE;
        if (!c->imds.endpoint || !c->probes.log_stream || !c->probes.logs || !c->agent.config ||
            !c->agent.common_config || !c->agent.unit ||
            strv_extend(&c->probes.metrics, NAMESPACE_DEFAULT) < 0)
                return -ENOMEM;
        /* calloc() made every origin CONFIG_SOURCE_DEFAULT. */
        *ret = TAKE_PTR(c);
        return 0;
}

/*
 * heartbeat.namespace defaults to the first probed namespace (CWAgent if none is probed).
 * heartbeat.auto_scaling_group: absent or "auto" looks the group up in the instance tags, ""
 * means no such dimension, anything else is the group's name.
 */
static int config_resolve_defaults(Config *c)
{
        char **asg = &c->heartbeat.auto_scaling_group;

        c->heartbeat.auto_scaling_group_from_tags = !*asg || streq(*asg, "auto");
        if (!*asg || streq(*asg, "auto") || isempty(*asg))
                *asg = mfree(*asg);

        if (c->origins[CONFIG_SETTING_HEARTBEAT_NAMESPACE].source == CONFIG_SOURCE_CONFIG)
                return 0;
        return free_and_strdup(&c->heartbeat.namespace,
                               c->probes.metrics[0] ?: NAMESPACE_DEFAULT);
}

int config_new_default(Config **ret)
{
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        r = config_new_unresolved(&c);
        if (r < 0)
                return r;
        r = config_resolve_defaults(c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- Errors -------------------------------------------------------------------------------- */

void config_error_done(ConfigError *e)
{
        if (!e)
                return;
        free(e->file);
        free(e->key);
        free(e->message);
        *e = CONFIG_ERROR_NULL;
}

_printf_(6, 0) static int config_error_setv(ConfigError *e, const char *file, unsigned line,
                                            unsigned column, const char *key, const char *fmt,
                                            va_list ap)
{
        _cleanup_free_ char *f = NULL, *k = NULL, *m = NULL;

        if (file) {
                f = strdup(file);
                if (!f)
                        return -ENOMEM;
        }
        if (!isempty(key)) {
                k = strdup(key);
                if (!k)
                        return -ENOMEM;
        }
        if (vasprintf(&m, fmt, ap) < 0) {
                m = NULL;
                return -ENOMEM;
        }
        config_error_done(e);
        *e = (ConfigError) {
                .file = TAKE_PTR(f),
                .line = line,
                .column = column,
                .key = TAKE_PTR(k),
                .message = TAKE_PTR(m),
        };
        return 0;
}

/* Record an error about a whole file or variable in @e (if any); returns @r, or -ENOMEM. */
int config_error_set(ConfigError *e, int r, const char *file, const char *key, const char *fmt,
                     ...)
{
        ConfigError t = CONFIG_ERROR_NULL;
        va_list ap;
        int k;

        if (!e)
                return r;
        va_start(ap, fmt);
        k = config_error_setv(&t, file, 0, 0, key, fmt, ap);
        va_end(ap);
        if (k < 0)
                return k;
        *e = t;
        return r;
}

int config_error_format(const ConfigError *e, char **ret)
{
        _cleanup_free_ char *s = NULL;
        int r = 0;

        if (e->file && e->line > 0)
                r = strextend_printf(&s, "%s:%u:%u: ", e->file, e->line, e->column);
        else if (e->file)
                r = strextend_printf(&s, "%s: ", e->file);
        else if (e->line > 0)
                r = strextend_printf(&s, "%u:%u: ", e->line, e->column);
        if (r >= 0 && e->key)
                r = strextend_printf(&s, "%s: ", e->key);
        if (r >= 0)
                r = strextend_printf(&s, "%s", strempty(e->message));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- The YAML walk ------------------------------------------------------------------------- */

typedef struct ConfigParser {
        yaml_parser_t yaml;
        bool yaml_initialized;
        yaml_event_t event;        /* the current event, valid while have_event */
        bool have_event;
        const char *name;          /* for errors */
        const char *data;
        size_t size;
        Config *config;
        ConfigError error;
} ConfigParser;

static void config_parser_done(ConfigParser *p)
{
        if (p->have_event)
                yaml_event_delete(&p->event);
        if (p->yaml_initialized)
                yaml_parser_delete(&p->yaml);
        config_error_done(&p->error);
}

typedef struct ConfigKey ConfigKey;
typedef int (*ConfigKeyParse)(ConfigParser *p, const ConfigKey *k, const char *path);

enum {
        KEY_TRACKED = 1 << 0,       /* .setting's origin becomes CONFIG_SOURCE_CONFIG */
        KEY_EMPTY_IS_NULL = 1 << 1, /* "" is stored as NULL ("none") */
        KEY_STRIP_SLASH = 1 << 2,   /* one trailing '/' is dropped */
        KEY_WHOLE_SECONDS = 1 << 3, /* durations: no fractions of a second */
        KEY_SECRET = 1 << 4,        /* errors do not quote the value (proxy passwords) */
};

/*
 * One row per key. The parser receives the value's first event (a scalar, or the start of a
 * list or mapping) and consumes the whole value; it is what decides which shapes a key accepts,
 * so a key that takes either a scalar or a mapping (think `probes: auto`) is just a parser that
 * looks at the event first and otherwise hands over to parse_section().
 */
struct ConfigKey {
        const char *name;
        ConfigKeyParse parse;
        size_t offset;              /* of the field in Config */
        const ConfigKey *section;   /* parse_section(): the nested mapping's keys */
        ConfigCheck check;          /* strings and list items; NULL accepts any string */
        usec_t min, max;            /* durations; 0 leaves the parser's own bound */
        unsigned flags;
        ConfigSetting setting;      /* with KEY_TRACKED */
};

#define FIELD(p, k, type) ((type *) ((uint8_t *) (p)->config + (k)->offset))

static const char *event_kind(const yaml_event_t *e)
{
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return "a scalar";
        case YAML_SEQUENCE_START_EVENT:
                return "a list";
        case YAML_MAPPING_START_EVENT:
                return "a mapping";
        default:
                return "something else";
        }
}

static bool event_is_null(const yaml_event_t *e)
{
        const char *v = (const char *) e->data.scalar.value;

        /* Only plain scalars can be null: "" and '~' (quoted) are strings. */
        return e->type == YAML_SCALAR_EVENT && e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
               (streq(v, "") || streq(v, "~") || streq(v, "null") || streq(v, "Null") ||
                streq(v, "NULL"));
}

_printf_(4, 5) static int parser_fail(ConfigParser *p, const yaml_mark_t *mark, const char *key,
                                      const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = config_error_setv(&p->error, p->name, mark ? (unsigned) mark->line + 1 : 0,
                              mark ? (unsigned) mark->column + 1 : 0, key, fmt, ap);
        va_end(ap);
        return r < 0 ? r : -EINVAL;
}

static int parser_fail_yaml(ConfigParser *p, const char *key)
{
        const yaml_parser_t *y = &p->yaml;
        yaml_mark_t mark = y->problem_mark;

        if (y->error == YAML_MEMORY_ERROR)
                return -ENOMEM;
        if (y->error == YAML_READER_ERROR) {
                /* The reader (encoding, non-printable characters) gives a byte offset only. */
                size_t end = MIN(y->problem_offset, p->size);

                mark = (yaml_mark_t) {};
                for (size_t i = 0; i < end; i++)
                        if (p->data[i] == '\n') {
                                mark.line++;
                                mark.column = 0;
                        } else if (((unsigned char) p->data[i] & 0xc0) != 0x80)
                                mark.column++;
                if (y->problem_value != -1)
                        return parser_fail(p, &mark, key, "invalid YAML: %s (#%X)",
                                           strna(y->problem), (unsigned) y->problem_value);
                return parser_fail(p, &mark, key, "invalid YAML: %s", strna(y->problem));
        }
        if (y->context)
                return parser_fail(p, &mark, key, "invalid YAML: %s (%s at line %zu, column %zu)",
                                   strna(y->problem), y->context, y->context_mark.line + 1,
                                   y->context_mark.column + 1);
        return parser_fail(p, &mark, key, "invalid YAML: %s", strna(y->problem));
}

/* Advance to the next event; refuses what the rest of the walk never has to think about. */
static int parser_next(ConfigParser *p, const char *key)
{
        const yaml_event_t *e = &p->event;
        const char *anchor = NULL, *tag = NULL;

        if (p->have_event) {
                yaml_event_delete(&p->event);
                p->have_event = false;
        }
        if (!yaml_parser_parse(&p->yaml, &p->event))
                return parser_fail_yaml(p, key);
        p->have_event = true;

        switch (e->type) {
        case YAML_ALIAS_EVENT:
                return parser_fail(p, &e->start_mark, key, "YAML aliases are not supported");
        case YAML_SCALAR_EVENT:
                anchor = (const char *) e->data.scalar.anchor;
                tag = (const char *) e->data.scalar.tag;
                if (config_string_has_control((const char *) e->data.scalar.value,
                                       e->data.scalar.length))
                        return parser_fail(p, &e->start_mark, key,
                                           "control characters are not allowed");
                break;
        case YAML_SEQUENCE_START_EVENT:
                anchor = (const char *) e->data.sequence_start.anchor;
                tag = (const char *) e->data.sequence_start.tag;
                break;
        case YAML_MAPPING_START_EVENT:
                anchor = (const char *) e->data.mapping_start.anchor;
                tag = (const char *) e->data.mapping_start.tag;
                break;
        default:
                break;
        }
        /* Anchors only serve aliases (and billion-laughs documents); tags would override the
         * one type every key already has. */
        if (anchor)
                return parser_fail(p, &e->start_mark, key, "YAML anchors are not supported");
        if (tag)
                return parser_fail(p, &e->start_mark, key, "YAML tags are not supported");
        return 0;
}

static int parse_mapping(ConfigParser *p, const ConfigKey *keys, const char *path);

static char *path_join(const char *parent, const char *key)
{
        char *s;

        if (asprintf(&s, "%s%s%s", strempty(parent), isempty(parent) ? "" : ".", key) < 0)
                return NULL;
        return s;
}

static int expect_scalar(ConfigParser *p, const char *path, const char *what)
{
        if (p->event.type == YAML_SCALAR_EVENT)
                return 0;
        return parser_fail(p, &p->event.start_mark, path, "expected %s, got %s", what,
                           event_kind(&p->event));
}

static int parse_section(ConfigParser *p, const ConfigKey *k, const char *path)
{
        if (event_is_null(&p->event))
                return 0;
        if (p->event.type != YAML_MAPPING_START_EVENT)
                return parser_fail(p, &p->event.start_mark, path, "expected a mapping, got %s",
                                   event_kind(&p->event));
        return parse_mapping(p, k->section, path);
}

static void mark_from_config(ConfigParser *p, const ConfigKey *k)
{
        if (k->flags & KEY_TRACKED)
                p->config->origins[k->setting] = (ConfigOrigin) { CONFIG_SOURCE_CONFIG, NULL };
}

static int parse_string(ConfigParser *p, const ConfigKey *k, const char *path)
{
        _cleanup_free_ char *v = NULL;
        const char *reason;
        int r;

        r = expect_scalar(p, path, "a string");
        if (r < 0)
                return r;
        if (event_is_null(&p->event))
                return 0;

        v = strdup((const char *) p->event.data.scalar.value);
        if (!v)
                return -ENOMEM;
        if (k->flags & KEY_STRIP_SLASH)
                config_strip_one_slash(v);
        reason = k->check ? k->check(v) : NULL;
        if (reason && (k->flags & KEY_SECRET))
                return parser_fail(p, &p->event.start_mark, path, "invalid value: %s", reason);
        if (reason)
                return parser_fail(p, &p->event.start_mark, path, "invalid value '%.*s%s': %s",
                                   QUOTE(v), reason);
        if ((k->flags & KEY_EMPTY_IS_NULL) && isempty(v)) {
                free(v);
                v = NULL;
        }

        free(*FIELD(p, k, char *));
        *FIELD(p, k, char *) = TAKE_PTR(v);
        mark_from_config(p, k);
        return 0;
}

static int parse_duration(ConfigParser *p, const ConfigKey *k, const char *path)
{
        usec_t min = k->min ?: CONFIG_DURATION_MIN, max = k->max ?: CONFIG_DURATION_MAX, v;
        char a[CONFIG_DURATION_STR_MAX], b[CONFIG_DURATION_STR_MAX];
        const char *s;
        int r;

        r = expect_scalar(p, path, "a duration");
        if (r < 0)
                return r;
        if (event_is_null(&p->event))
                return 0;

        s = (const char *) p->event.data.scalar.value;
        r = config_parse_duration(s, &v);
        if (r == -EINVAL)
                return parser_fail(p, &p->event.start_mark, path,
                                   "invalid duration '%.*s%s' (expected e.g. 200ms, 5s, 2m, 1h, "
                                   "or a number of seconds)", QUOTE(s));
        if (r < 0 || v < min || v > max)
                return parser_fail(p, &p->event.start_mark, path,
                                   "duration '%.*s%s' is out of range (%s to %s)", QUOTE(s),
                                   config_format_duration(min, a), config_format_duration(max, b));
        if ((k->flags & KEY_WHOLE_SECONDS) && v % USEC_PER_SEC != 0)
                return parser_fail(p, &p->event.start_mark, path,
                                   "duration '%.*s%s' must be a whole number of seconds", QUOTE(s));
        *FIELD(p, k, usec_t) = v;
        return 0;
}

static int parse_bool(ConfigParser *p, const ConfigKey *k, const char *path)
{
        const char *s;
        bool v;
        int r;

        r = expect_scalar(p, path, "a boolean");
        if (r < 0)
                return r;
        if (event_is_null(&p->event))
                return 0;

        s = (const char *) p->event.data.scalar.value;
        if (config_parse_boolean(s, &v) < 0)
                return parser_fail(p, &p->event.start_mark, path,
                                   "invalid boolean '%.*s%s' (expected true, false, yes or no)",
                                   QUOTE(s));
        *FIELD(p, k, bool) = v;
        return 0;
}

static int parse_strv(ConfigParser *p, const ConfigKey *k, const char *path)
{
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (event_is_null(&p->event))
                return 0;
        if (p->event.type != YAML_SEQUENCE_START_EVENT)
                return parser_fail(p, &p->event.start_mark, path, "expected a list, got %s",
                                   event_kind(&p->event));
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (size_t i = 0;; i++) {
                _cleanup_free_ char *item = NULL;
                const char *v, *reason;

                if (asprintf(&item, "%s[%zu]", path, i) < 0) {
                        item = NULL;
                        return -ENOMEM;
                }
                r = parser_next(p, item);
                if (r < 0)
                        return r;
                if (p->event.type == YAML_SEQUENCE_END_EVENT)
                        break;
                r = expect_scalar(p, item, "a string");
                if (r < 0)
                        return r;
                if (event_is_null(&p->event))
                        return parser_fail(p, &p->event.start_mark, item, "empty list item");
                if (i >= CONFIG_LIST_MAX)
                        return parser_fail(p, &p->event.start_mark, item,
                                           "a list holds at most %d entries", CONFIG_LIST_MAX);

                v = (const char *) p->event.data.scalar.value;
                reason = k->check ? k->check(v) : NULL;
                if (reason)
                        return parser_fail(p, &p->event.start_mark, item,
                                           "invalid value '%.*s%s': %s", QUOTE(v), reason);
                for (size_t j = 0; l[j]; j++)
                        if (streq(l[j], v))
                                return parser_fail(p, &p->event.start_mark, item,
                                                   "duplicate list item '%.*s%s' (also %s[%zu])",
                                                   QUOTE(v), path, j);
                r = strv_extend(&l, v);
                if (r < 0)
                        return r;
        }

        strv_free(*FIELD(p, k, char **));
        *FIELD(p, k, char **) = TAKE_PTR(l);
        mark_from_config(p, k);
        return 0;
}

/* ---- The key tables ------------------------------------------------------------------------ */

#define KEY_ENDPOINT(svc, s)                                                        \
        {                                                                           \
                .name = svc, .parse = parse_string,                                 \
                .offset = offsetof(Config, endpoints[CONFIG_SERVICE_##s]),          \
                .check = config_check_aws_url, .flags = KEY_TRACKED,                       \
                .setting = CONFIG_SETTING_ENDPOINT_##s,                             \
        }

static const ConfigKey endpoints_keys[] = {
        KEY_ENDPOINT("monitoring", MONITORING),
        KEY_ENDPOINT("logs", LOGS),
        KEY_ENDPOINT("sts", STS),
        {},
};

static const ConfigKey proxy_keys[] = {
        { .name = "url", .parse = parse_string, .offset = offsetof(Config, proxy.url),
          .check = config_check_proxy_url, .flags = KEY_SECRET },
        { .name = "no_proxy", .parse = parse_string, .offset = offsetof(Config, proxy.no_proxy),
          .check = config_check_no_proxy },
        {},
};

static const ConfigKey imds_keys[] = {
        { .name = "endpoint", .parse = parse_string, .offset = offsetof(Config, imds.endpoint),
          .check = config_check_imds_url, .flags = KEY_TRACKED | KEY_STRIP_SLASH,
          .setting = CONFIG_SETTING_IMDS_ENDPOINT },
        { .name = "timeout", .parse = parse_duration, .offset = offsetof(Config, imds.timeout) },
        /* X-aws-ec2-metadata-token-ttl-seconds: an integer, 1..21600. */
        { .name = "token_ttl", .parse = parse_duration, .offset = offsetof(Config, imds.token_ttl),
          .min = USEC_PER_SEC, .max = 6 * USEC_PER_HOUR, .flags = KEY_WHOLE_SECONDS },
        { .name = "allow_v1", .parse = parse_bool, .offset = offsetof(Config, imds.allow_v1) },
        {},
};

static const ConfigKey credentials_keys[] = {
        { .name = "profile", .parse = parse_string,
          .offset = offsetof(Config, credentials.profile), .check = config_check_profile },
        { .name = "file", .parse = parse_string, .offset = offsetof(Config, credentials.file),
          .check = config_check_path },
        { .name = "role_arn", .parse = parse_string,
          .offset = offsetof(Config, credentials.role_arn), .check = config_check_role_arn },
        {},
};

static const ConfigKey probes_keys[] = {
        { .name = "metrics", .parse = parse_strv, .offset = offsetof(Config, probes.metrics),
          .check = config_check_namespace, .flags = KEY_TRACKED,
          .setting = CONFIG_SETTING_PROBES_METRICS },
        { .name = "logs", .parse = parse_strv, .offset = offsetof(Config, probes.logs),
          .check = config_check_log_group, .flags = KEY_TRACKED,
          .setting = CONFIG_SETTING_PROBES_LOGS },
        { .name = "log_stream", .parse = parse_string,
          .offset = offsetof(Config, probes.log_stream), .check = config_check_log_stream },
        { .name = "create_log_group", .parse = parse_bool,
          .offset = offsetof(Config, probes.create_log_group) },
        {},
};

/* `probes: auto` is the default spelt out: the agent's configuration decides. */
static int parse_probes(ConfigParser *p, const ConfigKey *k, const char *path)
{
        if (p->event.type == YAML_SCALAR_EVENT && !event_is_null(&p->event)) {
                if (streq((const char *) p->event.data.scalar.value, "auto"))
                        return 0;
                return parser_fail(p, &p->event.start_mark, path,
                                   "expected \"auto\" or a mapping (metrics, logs, ...)");
        }
        return parse_section(p, k, path);
}

static const ConfigKey agent_keys[] = {
        { .name = "config", .parse = parse_string, .offset = offsetof(Config, agent.config),
          .check = config_check_path },
        { .name = "common_config", .parse = parse_string,
          .offset = offsetof(Config, agent.common_config), .check = config_check_path },
        { .name = "log", .parse = parse_string, .offset = offsetof(Config, agent.log),
          .check = config_check_path_or_empty },
        { .name = "unit", .parse = parse_string, .offset = offsetof(Config, agent.unit),
          .check = config_check_unit },
        /* Long enough for a restart loop with back-off to show, short enough that an old error
         * does not keep a fixed agent red. */
        { .name = "log_window", .parse = parse_duration,
          .offset = offsetof(Config, agent.log_window), .min = 10 * USEC_PER_SEC, .max = 24 * USEC_PER_HOUR },
        {},
};

static const ConfigKey heartbeat_keys[] = {
        { .name = "interval", .parse = parse_duration,
          .offset = offsetof(Config, heartbeat.interval) },
        { .name = "namespace", .parse = parse_string,
          .offset = offsetof(Config, heartbeat.namespace), .check = config_check_namespace,
          .flags = KEY_TRACKED, .setting = CONFIG_SETTING_HEARTBEAT_NAMESPACE },
        { .name = "detail", .parse = parse_bool, .offset = offsetof(Config, heartbeat.detail) },
        { .name = "auto_scaling_group", .parse = parse_string,
          .offset = offsetof(Config, heartbeat.auto_scaling_group),
          .check = config_check_auto_scaling_group },
        {},
};

static const ConfigKey root_keys[] = {
        { .name = "region", .parse = parse_string, .offset = offsetof(Config, region),
          .check = config_check_region, .flags = KEY_TRACKED, .setting = CONFIG_SETTING_REGION },
        { .name = "interval", .parse = parse_duration, .offset = offsetof(Config, interval) },
        { .name = "timeout", .parse = parse_duration, .offset = offsetof(Config, timeout) },
        { .name = "endpoint_check_interval", .parse = parse_duration,
          .offset = offsetof(Config, endpoint_check_interval) },
        { .name = "endpoints", .parse = parse_section, .section = endpoints_keys },
        { .name = "ca_bundle", .parse = parse_string, .offset = offsetof(Config, ca_bundle),
          .check = config_check_path, .flags = KEY_TRACKED, .setting = CONFIG_SETTING_CA_BUNDLE },
        { .name = "proxy", .parse = parse_section, .section = proxy_keys },
        { .name = "imds", .parse = parse_section, .section = imds_keys },
        { .name = "credentials", .parse = parse_section, .section = credentials_keys },
        { .name = "probes", .parse = parse_probes, .section = probes_keys },
        { .name = "heartbeat", .parse = parse_section, .section = heartbeat_keys },
        { .name = "agent", .parse = parse_section, .section = agent_keys },
        {},
};

/* Duplicate keys are tracked in a bit mask (the sentinel row is not a key). */
#define KEYS_MAX 64
_Static_assert(ELEMENTSOF(root_keys) <= KEYS_MAX + 1, "root_keys outgrew the mask");
_Static_assert(ELEMENTSOF(endpoints_keys) <= KEYS_MAX + 1, "endpoints_keys outgrew the mask");
_Static_assert(ELEMENTSOF(proxy_keys) <= KEYS_MAX + 1, "proxy_keys outgrew the mask");
_Static_assert(ELEMENTSOF(imds_keys) <= KEYS_MAX + 1, "imds_keys outgrew the mask");
_Static_assert(ELEMENTSOF(credentials_keys) <= KEYS_MAX + 1, "credentials_keys outgrew the mask");
_Static_assert(ELEMENTSOF(probes_keys) <= KEYS_MAX + 1, "probes_keys outgrew the mask");
_Static_assert(ELEMENTSOF(heartbeat_keys) <= KEYS_MAX + 1, "heartbeat_keys outgrew the mask");
_Static_assert(ELEMENTSOF(agent_keys) <= KEYS_MAX + 1, "agent_keys outgrew the mask");

static int unknown_key(ConfigParser *p, const ConfigKey *keys, const char *key, const char *path)
{
        _cleanup_free_ char *known = NULL;
        int r = 0;

        for (const ConfigKey *k = keys; k->name && r >= 0; k++)
                r = strextend_printf(&known, "%s%s", k == keys ? "" : ", ", k->name);
        if (r < 0)
                return r;
        return parser_fail(p, &p->event.start_mark, path, "unknown key '%.*s%s' (known: %s)",
                           QUOTE(key), strempty(known));
}

static int parse_mapping(ConfigParser *p, const ConfigKey *keys, const char *path)
{
        unsigned first_line[KEYS_MAX];
        uint64_t seen = 0;
        int r;

        for (;;) {
                _cleanup_free_ char *child = NULL;
                const ConfigKey *k = NULL;
                const char *key;
                size_t i;

                r = parser_next(p, path);
                if (r < 0)
                        return r;
                if (p->event.type == YAML_MAPPING_END_EVENT)
                        return 0;
                if (p->event.type != YAML_SCALAR_EVENT)
                        return parser_fail(p, &p->event.start_mark, path,
                                           "expected a key, got %s", event_kind(&p->event));

                key = (const char *) p->event.data.scalar.value;
                child = path_join(path, key);
                if (!child)
                        return -ENOMEM;
                for (i = 0; keys[i].name; i++)
                        if (streq(keys[i].name, key)) {
                                k = &keys[i];
                                break;
                        }
                if (!k)
                        return unknown_key(p, keys, key, child);
                if (seen & (UINT64_C(1) << i))
                        return parser_fail(p, &p->event.start_mark, child,
                                           "duplicate key (first given on line %u)",
                                           first_line[i]);
                seen |= UINT64_C(1) << i;
                first_line[i] = (unsigned) p->event.start_mark.line + 1;

                r = parser_next(p, child);
                if (r < 0)
                        return r;
                r = k->parse(p, k, child);
                if (r < 0)
                        return r;
        }
}

static int parse_document(ConfigParser *p)
{
        int r;

        r = parser_next(p, NULL);
        if (r < 0)
                return r;
        assert(p->event.type == YAML_STREAM_START_EVENT);

        r = parser_next(p, NULL);
        if (r < 0)
                return r;
        if (p->event.type == YAML_STREAM_END_EVENT)
                return 0; /* empty, or comments only */
        assert(p->event.type == YAML_DOCUMENT_START_EVENT);

        r = parser_next(p, NULL);
        if (r < 0)
                return r;
        if (p->event.type == YAML_MAPPING_START_EVENT) {
                r = parse_mapping(p, root_keys, NULL);
                if (r < 0)
                        return r;
        } else if (!event_is_null(&p->event))
                return parser_fail(p, &p->event.start_mark, NULL,
                                   "expected a mapping of settings, got %s",
                                   event_kind(&p->event));

        r = parser_next(p, NULL);
        if (r < 0)
                return r;
        assert(p->event.type == YAML_DOCUMENT_END_EVENT);

        r = parser_next(p, NULL);
        if (r < 0)
                return r;
        if (p->event.type == YAML_DOCUMENT_START_EVENT)
                return parser_fail(p, &p->event.start_mark, NULL,
                                   "only one YAML document is allowed");
        assert(p->event.type == YAML_STREAM_END_EVENT);
        return 0;
}

int config_load_string(const char *data, size_t size, const char *name, Config **ret,
                       ConfigError *reterr)
{
        _cleanup_(config_parser_done) ConfigParser p = { .name = name ?: "(string)" };
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        if (!data && size > 0)
                return -EINVAL;
        if (size > CONFIG_FILE_MAX)
                return config_error_set(reterr, -EFBIG, p.name, NULL,
                                        "the file is larger than %d bytes", CONFIG_FILE_MAX);

        r = config_new_unresolved(&c);
        if (r < 0)
                return r;
        if (name) {
                c->path = strdup(name);
                if (!c->path)
                        return -ENOMEM;
        }
        c->from_file = true;

        if (!yaml_parser_initialize(&p.yaml))
                return -ENOMEM;
        p.yaml_initialized = true;
        p.data = data ?: "";
        p.size = size;
        p.config = c;
        yaml_parser_set_input_string(&p.yaml, (const unsigned char *) p.data, size);

        r = parse_document(&p);
        if (r < 0) {
                if (reterr && p.error.message) {
                        *reterr = p.error;
                        p.error = CONFIG_ERROR_NULL;
                }
                return r;
        }
        r = config_resolve_defaults(c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, Config **ret, ConfigError *reterr)
{
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        path = path ?: CONFIG_DEFAULT_PATH;
        if (!*path)
                return config_error_set(reterr, -EINVAL, NULL, NULL, "empty file name");
        r = read_file_capped(path, CONFIG_FILE_MAX, &data, &size);
        if (r == -ENOENT) {
                _cleanup_(config_freep) Config *c = NULL;

                r = config_new_default(&c);
                if (r < 0)
                        return r;
                c->path = strdup(path);
                if (!c->path)
                        return -ENOMEM;
                c->from_file = false;
                *ret = TAKE_PTR(c);
                return 0;
        }
        if (r == -EFBIG)
                return config_error_set(reterr, r, path, NULL, "the file is larger than %d bytes",
                                        CONFIG_FILE_MAX);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return config_error_set(reterr, r, path, NULL, "cannot read the file: %s",
                                        strerror(-r));
        return config_load_string(data, size, path, ret, reterr);
}
