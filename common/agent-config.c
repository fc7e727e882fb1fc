/* SPDX-License-Identifier: MIT */
/*
 * agent-config.c: discovery from the CloudWatch agent's JSON configuration. It reads the main
 * file and the fragments of amazon-cloudwatch-agent.d/ the way the agent's translator finds and
 * merges them, and keeps what cwguard probes: the region, the role ARNs, the metrics namespace,
 * the log group name templates with the file each came from, the log stream template, endpoint
 * overrides and the agent's own log file. It owns only its result; everything here is pure
 * (agent-config-load.c finds and reads the files) and nothing logs or touches a loop.
 * Deliberate limits: outside bytes are data, never a crash: a document that is not JSON, a value
 * of the wrong type or with control characters, a file too large or too many files become
 * one-line errors naming the file and the JSON path, and the rest is still used. cwguard never
 * invents a name: entries without log_group_name are skipped with a note.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "common/agent-config-internal.h"
#include "common/agent-config.h"
#include "common/json-util.h"
#include "common/util.h"

/* json-c's default depth; real agent documents nest about eight levels. */
#define AGENT_JSON_DEPTH 32

/* ---------------------------------------------------------------------------------------------
 * Results and messages
 */

static void agent_item_done(AgentItem *i)
{
        free(i->value);
        free(i->source);
        *i = (AgentItem) {};
}

void agent_config_done(AgentConfig *c)
{
        if (!c)
                return;
        strv_free(c->files);
        agent_item_done(&c->region);
        agent_item_done(&c->role_arn);
        agent_item_done(&c->metrics_role_arn);
        agent_item_done(&c->logs_role_arn);
        agent_item_done(&c->logfile);
        agent_item_done(&c->namespace);
        agent_item_done(&c->metrics_endpoint);
        agent_item_done(&c->log_stream);
        agent_item_done(&c->logs_endpoint);
        for (size_t i = 0; i < c->n_log_groups; i++)
                agent_item_done(&c->log_groups[i]);
        free(c->log_groups);
        strv_free(c->errors);
        strv_free(c->notes);
        *c = (AgentConfig) {};
}

const AgentItem *agent_config_role_arn(const AgentConfig *c, AgentSection section)
{
        const AgentItem *own;

        if (!c)
                return NULL;
        if (section == AGENT_SECTION_METRICS)
                own = &c->metrics_role_arn;
        else if (section == AGENT_SECTION_LOGS)
                own = &c->logs_role_arn;
        else
                return NULL;
        /* MetricsCreds / LogCreds: start from agent.Global_Config.Role_arn, then let the
         * section's own credentials.role_arn replace it. */
        if (own->value)
                return own;
        return c->role_arn.value ? &c->role_arn : NULL;
}

int agent_message_add(char ***list, const char *fmt, ...)
{
        size_t n = strv_length(*list);
        va_list ap;
        int r;

        /* Bounded: a hostile directory or document cannot grow the lists without limit. */
        if (n > AGENT_MESSAGES_MAX)
                return 0;
        if (n == AGENT_MESSAGES_MAX)
                return strv_extend(list, "(further messages suppressed)");

        va_start(ap, fmt);
        r = strv_extendv(list, fmt, ap);
        va_end(ap);
        return r;
}

char *agent_display_name(const char *s)
{
        char *d = strdup(s);

        if (!d)
                return NULL;
        for (char *p = d; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 127)
                        *p = '?';
        return d;
}

/* ---------------------------------------------------------------------------------------------
 * Values
 */

/* Why @s (of @len bytes, from JSON) cannot be kept, or NULL; counts its code points. Values go
 * into journal fields, status JSON and AWS requests: well-formed UTF-8 without controls. */
static const char *text_problem(const char *s, size_t len, size_t *ret_chars)
{
        const unsigned char *u = (const unsigned char *) s;
        size_t chars = 0;

        if (strlen(s) != len)
                return "holds a NUL character";
        for (size_t i = 0; i < len; chars++) {
                unsigned c = u[i], n, cp;

                if (c < 0x20 || c == 0x7f)
                        return "holds control characters";
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 2, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 3, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 4, cp = c & 0x07;
                else
                        return "is not valid UTF-8";
                if (len - i < n)
                        return "is not valid UTF-8";
                for (unsigned k = 1; k < n; k++) {
                        if ((u[i + k] & 0xc0) != 0x80)
                                return "is not valid UTF-8";
                        cp = (cp << 6) | (u[i + k] & 0x3f);
                }
                if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return "is not valid UTF-8";
                if (cp >= 0x80 && cp < 0xa0) /* C1 controls */
                        return "holds control characters";
                i += n;
        }
        *ret_chars = chars;
        return NULL;
}

static const char *json_type_article(struct json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "a boolean";
        case json_type_double:
        case json_type_int:
                return "a number";
        case json_type_object:
                return "an object";
        case json_type_array:
                return "an array";
        case json_type_string:
                return "a string";
        }
        return "something else";
}

static const char *json_type_wanted(enum json_type t)
{
        return t == json_type_object ? "an object" : t == json_type_array ? "an array" : "a string";
}

/*
 * Member @key of @o when it has type @type: 1 and *@ret; 0 when it is absent, or present with
 * another type (then an error naming @path is recorded: the agent's schema rejects it).
 */
static int json_member(AgentConfig *c, struct json_object *o, const char *key, enum json_type type,
                       const char *src, const char *path, struct json_object **ret)
{
        struct json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!json_object_is_type(v, type)) {
                r = agent_error(c, "%s: %s: not %s (it is %s)", src, path, json_type_wanted(type),
                                json_type_article(v));
                return r < 0 ? r : 0;
        }
        *ret = v;
        return 1;
}

/*
 * String member @key of @o, checked against the schema's length limits (in characters) and for
 * control characters: 1 and *@ret (borrowed from @o), 0 when absent or unusable (with an
 * error), or -ENOMEM.
 */
static int json_string_member(AgentConfig *c, struct json_object *o, const char *key,
                              size_t min, size_t max, const char *src, const char *path,
                              const char **ret)
{
        struct json_object *v = NULL;
        const char *s, *problem;
        size_t chars = 0;
        int r;

        r = json_member(c, o, key, json_type_string, src, path, &v);
        if (r <= 0)
                return r;
        s = json_object_get_string(v);
        problem = text_problem(s, (size_t) json_object_get_string_len(v), &chars);
        if (problem) {
                r = agent_error(c, "%s: %s: %s", src, path, problem);
                return r < 0 ? r : 0;
        }
        if (chars < min || chars > max) {
                r = agent_error(c, "%s: %s: %zu characters long; the agent accepts %zu to %zu",
                                src, path, chars, min, max);
                return r < 0 ? r : 0;
        }
        *ret = s;
        return 1;
}

static int item_set(AgentItem *item, const char *value, const char *src, const char *path)
{
        _cleanup_free_ char *v = NULL, *s = NULL;

        v = strdup(value);
        if (!v)
                return -ENOMEM;
        if (path) {
                if (asprintf(&s, "%s: %s", src, path) < 0) {
                        s = NULL;
                        return -ENOMEM;
                }
        } else {
                s = strdup(src);
                if (!s)
                        return -ENOMEM;
        }
        agent_item_done(item);
        item->value = TAKE_PTR(v);
        item->source = TAKE_PTR(s);
        return 0;
}

/*
 * Merge one scalar as translator/jsonconfig/mergeJsonUtil/util.go does: the first definition
 * wins, the same value again is fine, and a different value is a conflict ("Different values
 * are specified for ..."), which makes the agent refuse to start. cwguard keeps the first.
 */
static int item_merge(AgentConfig *c, AgentItem *item, const char *value, const char *src,
                      const char *path)
{
        if (item->value && !streq(item->source, AGENT_SOURCE_DEFAULT)) {
                if (streq(item->value, value))
                        return 0;
                return agent_error(c,
                                   "%s: %s: '%s' differs from '%s' in %s; the agent refuses to "
                                   "merge files that give different values, and does not start",
                                   src, path, value, item->value, item->source);
        }
        return item_set(item, value, src, path);
}

/* Read string @key of @o (JSON path @path) into @item, merging as above. */
static int merge_string(AgentConfig *c, AgentItem *item, struct json_object *o, const char *key,
                        size_t min, size_t max, const char *src, const char *path)
{
        const char *s = NULL;
        int r;

        r = json_string_member(c, o, key, min, max, src, path, &s);
        if (r <= 0)
                return r;
        return item_merge(c, item, s, src, path);
}

/* credentials.role_arn of @section (an object) at @prefix ("agent", "metrics", "logs"). */
static int merge_role_arn(AgentConfig *c, AgentItem *item, struct json_object *section,
                          const char *prefix, const char *src)
{
        _cleanup_free_ char *path = NULL, *arn_path = NULL;
        struct json_object *creds = NULL;
        int r;

        if (asprintf(&path, "%s.credentials", prefix) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = json_member(c, section, "credentials", json_type_object, src, path, &creds);
        if (r <= 0)
                return r;
        if (asprintf(&arn_path, "%s.role_arn", path) < 0) {
                arn_path = NULL;
                return -ENOMEM;
        }
        return merge_string(c, item, creds, "role_arn", AGENT_ROLE_ARN_MIN, AGENT_ROLE_ARN_MAX, src,
                            arn_path);
}

/* ---------------------------------------------------------------------------------------------
 * Sections
 */

static int merge_agent(AgentConfig *c, struct json_object *root, const char *src)
{
        struct json_object *agent = NULL;
        const char *logfile = NULL;
        int r;

        r = json_member(c, root, "agent", json_type_object, src, "agent", &agent);
        if (r <= 0)
                return r;

        /* translator/translate/agent/ruleRegion.go: agent.region, else the detected region. */
        r = merge_string(c, &c->region, agent, "region", 1, AGENT_REGION_MAX, src, "agent.region");
        if (r < 0)
                return r;
        /* ruleGlobalCredentials.go: agent.credentials.role_arn becomes Global_Config.Role_arn. */
        r = merge_role_arn(c, &c->role_arn, agent, "agent", src);
        if (r < 0)
                return r;

        /* ruleLogFile.go: agent.logfile, default AGENT_LOGFILE_DEFAULT; "" is stdout (schema). */
        r = json_string_member(c, agent, "logfile", 0, AGENT_LOGFILE_MAX, src, "agent.logfile",
                               &logfile);
        if (r <= 0)
                return r;
        r = item_merge(c, &c->logfile, logfile, src, "agent.logfile");
        if (r < 0)
                return r;
        if (isempty(logfile))
                return agent_note(c, "%s: agent.logfile is empty: the agent logs to its standard "
                                     "output (the journal), there is no log file to read", src);
        return 0;
}

static int merge_metrics(AgentConfig *c, struct json_object *root, const char *src)
{
        struct json_object *metrics = NULL;
        int r;

        r = json_member(c, root, "metrics", json_type_object, src, "metrics", &metrics);
        if (r <= 0)
                return r;
        c->metrics = true;

        /* schema.json: "The namespace to use for the metrics collected by the agent. The
         * default is CWAgent" (1-255 characters). */
        r = merge_string(c, &c->namespace, metrics, "namespace", 1, AGENT_NAMESPACE_MAX, src,
                         "metrics.namespace");
        if (r < 0)
                return r;
        r = merge_role_arn(c, &c->metrics_role_arn, metrics, "metrics", src);
        if (r < 0)
                return r;
        return merge_string(c, &c->metrics_endpoint, metrics, "endpoint_override",
                            AGENT_ENDPOINT_MIN, AGENT_ENDPOINT_MAX, src,
                            "metrics.endpoint_override");
}

static int log_group_add(AgentConfig *c, const char *template, const char *src, const char *path)
{
        AgentItem *t;
        int r;

        /* Deduplicated by template: the agent's MergeList drops identical entries, and two
         * entries naming one group are one probe for cwguard. */
        for (size_t i = 0; i < c->n_log_groups; i++)
                if (streq(c->log_groups[i].value, template))
                        return 0;
        if (c->n_log_groups >= AGENT_LOG_GROUPS_MAX) {
                if (c->n_log_groups_dropped++ == 0)
                        return agent_error(c, "%s: %s: more than %u log groups; the rest are not "
                                              "probed", src, path, AGENT_LOG_GROUPS_MAX);
                return 0;
        }

        t = realloc(c->log_groups, sizeof(AgentItem) * (c->n_log_groups + 1));
        if (!t)
                return -ENOMEM;
        c->log_groups = t;
        c->log_groups[c->n_log_groups] = (AgentItem) {};
        r = item_set(&c->log_groups[c->n_log_groups], template, src, path);
        if (r < 0)
                return r;
        c->n_log_groups++;
        return 0;
}

/* logs.logs_collected.<kind>.collect_list[]: every entry's log_group_name. */
static int merge_collect_list(AgentConfig *c, struct json_object *collected, const char *kind,
                              const char *src)
{
        char path[128], entry[160], name[192];
        struct json_object *section = NULL, *list = NULL;
        size_t n;
        int r;

        snprintf(path, sizeof(path), "logs.logs_collected.%s", kind);
        r = json_member(c, collected, kind, json_type_object, src, path, &section);
        if (r <= 0)
                return r;
        snprintf(path, sizeof(path), "logs.logs_collected.%s.collect_list", kind);
        r = json_member(c, section, "collect_list", json_type_array, src, path, &list);
        if (r <= 0)
                return r;

        n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(list, i), *v;
                const char *group = NULL;

                snprintf(entry, sizeof(entry), "%s[%zu]", path, i);
                if (!json_object_is_type(e, json_type_object)) {
                        r = agent_error(c, "%s: %s: not an object (it is %s)", src, entry,
                                        json_type_article(e));
                        if (r < 0)
                                return r;
                        continue;
                }

                /* ruleLogGroupName.go: an empty or missing log_group_name sets none, and the
                 * agent derives a name itself (from the file path for files). cwguard probes
                 * only groups the configuration names: it never guesses one. */
                if (!json_object_object_get_ex(e, "log_group_name", &v) ||
                    (json_object_is_type(v, json_type_string) &&
                     json_object_get_string_len(v) == 0)) {
                        r = agent_note(c, "%s: %s: no log_group_name; skipped (cwguard probes "
                                          "named log groups only, the agent derives a name "
                                          "itself)", src, entry);
                        if (r < 0)
                                return r;
                        continue;
                }

                snprintf(name, sizeof(name), "%s.log_group_name", entry);
                r = json_string_member(c, e, "log_group_name", 1, AGENT_LOG_GROUP_NAME_MAX, src,
                                       name, &group);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = log_group_add(c, group, src, name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int merge_logs(AgentConfig *c, struct json_object *root, const char *src)
{
        struct json_object *logs = NULL, *collected = NULL, *v;
        int r;

        r = json_member(c, root, "logs", json_type_object, src, "logs", &logs);
        if (r <= 0)
                return r;
        c->logs = true;

        /* logs.log_stream_name: the stream of entries that name none (schema: 1-512). */
        r = merge_string(c, &c->log_stream, logs, "log_stream_name", 1, AGENT_LOG_GROUP_NAME_MAX,
                         src, "logs.log_stream_name");
        if (r < 0)
                return r;
        r = merge_role_arn(c, &c->logs_role_arn, logs, "logs", src);
        if (r < 0)
                return r;
        r = merge_string(c, &c->logs_endpoint, logs, "endpoint_override", AGENT_ENDPOINT_MIN,
                         AGENT_ENDPOINT_MAX, src, "logs.endpoint_override");
        if (r < 0)
                return r;

        r = json_member(c, logs, "logs_collected", json_type_object, src, "logs.logs_collected",
                        &collected);
        if (r <= 0)
                return r;
        r = merge_collect_list(c, collected, "files", src);
        if (r < 0)
                return r;
        r = merge_collect_list(c, collected, "journald", src);
        if (r < 0)
                return r;

        /* logs_collected.go applies the Linux rules on Linux: windows_events has none. */
        if (json_object_object_get_ex(collected, "windows_events", &v)) {
                r = agent_note(c, "%s: logs.logs_collected.windows_events: ignored (Windows event "
                                  "logs; the agent does not collect them on Linux)", src);
                if (r < 0)
                        return r;
        }
        return 0;
}

int agent_config_apply_defaults(AgentConfig *c)
{
        int r;

        if (!c->logfile.value) {
                r = item_set(&c->logfile, AGENT_LOGFILE_DEFAULT, AGENT_SOURCE_DEFAULT, NULL);
                if (r < 0)
                        return r;
        }
        if (c->metrics && !c->namespace.value) {
                r = item_set(&c->namespace, AGENT_NAMESPACE_DEFAULT, AGENT_SOURCE_DEFAULT, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Documents
 */

static void position_of(const char *data, size_t end, unsigned *ret_line, unsigned *ret_col)
{
        unsigned line = 1, col = 1;

        for (size_t i = 0; i < end; i++) {
                if (data[i] == '\n') {
                        line++;
                        col = 1;
                } else if (((unsigned char) data[i] & 0xc0) != 0x80)
                        col++;
        }
        *ret_line = line;
        *ret_col = col;
}

/* Parse a whole document into a JSON object, or record why it is none and return -EBADMSG. */
static int parse_document(AgentConfig *c, const char *data, size_t size, const char *src,
                          struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        enum json_tokener_error err;
        struct json_tokener *tok;
        unsigned line, col;
        size_t end;
        int r;

        if (size > AGENT_DOCUMENT_MAX)
                r = agent_error(c, "%s: larger than %u KiB; not read", src,
                                AGENT_DOCUMENT_MAX / 1024);
        else if (size == 0)
                r = agent_error(c, "%s: empty; not a JSON document", src);
        else if (memchr(data, 0, size))
                r = agent_error(c, "%s: holds NUL bytes; not a JSON document", src);
        else if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                /* Go's encoding/json, which the agent uses, rejects a byte order mark. */
                r = agent_error(c, "%s: starts with a UTF-8 byte order mark, which the agent's "
                                   "JSON reader rejects", src);
        else
                r = 1;
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;

        tok = json_tokener_new_ex(AGENT_JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        /* Strict, like Go's encoding/json: no trailing commas, no comments, one value. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, data, (int) size);
        err = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (!o || err != json_tokener_success) {
                position_of(data, MIN(end, size), &line, &col);
                r = agent_error(c, "%s: not JSON: %s at line %u, column %u", src,
                                err == json_tokener_continue ? "unexpected end of the file"
                                                             : json_tokener_error_desc(err),
                                line, col);
                return r < 0 ? r : -EBADMSG;
        }
        for (size_t i = end; i < size; i++)
                if (!strchr(" \t\r\n", data[i])) {
                        position_of(data, i, &line, &col);
                        r = agent_error(c, "%s: not JSON: text after the end of the document "
                                           "at line %u, column %u", src, line, col);
                        return r < 0 ? r : -EBADMSG;
                }
        if (!json_object_is_type(o, json_type_object)) {
                r = agent_error(c, "%s: %s, not a JSON object; the agent reads an object", src,
                                json_type_article(o));
                return r < 0 ? r : -EBADMSG;
        }

        *ret = TAKE_PTR(o);
        return 0;
}

int agent_config_parse(const char *data, size_t size, const char *source, AgentConfig *c)
{
        _cleanup_(json_object_putp) struct json_object *root = NULL;
        _cleanup_free_ char *src = NULL;
        int r;

        if (!data || !source || !c)
                return -EINVAL;

        src = agent_display_name(source);
        if (!src)
                return -ENOMEM;
        r = strv_extend(&c->files, src);
        if (r < 0)
                return r;

        r = parse_document(c, data, size, src, &root);
        if (r < 0)
                return r;

        r = merge_agent(c, root, src);
        if (r < 0)
                return r;
        r = merge_metrics(c, root, src);
        if (r < 0)
                return r;
        r = merge_logs(c, root, src);
        if (r < 0)
                return r;
        return agent_config_apply_defaults(c);
}

/* ---------------------------------------------------------------------------------------------
 * Placeholders
 */

static const char *known(const char *s)
{
        return isempty(s) ? NULL : s;
}

static bool date_is_valid(const char *s)
{
        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        for (size_t i = 0; i < 10; i++)
                if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
                        return false;
        return true;
}

int agent_expand_placeholders(const char *template, const AgentPlaceholders *values, char **ret)
{
        static const AgentPlaceholders none = {};
        char today[16];
        const char *local, *date = NULL;
        size_t len = 0;
        char *out = NULL, *o = NULL;

        if (!template || !ret)
                return -EINVAL;
        values = values ?: &none;
        /* ResolvePlaceholder(): an empty name stands for "{instance_id}". */
        if (isempty(template))
                template = "{instance_id}";

        if (values->date) {
                if (!date_is_valid(values->date))
                        return -EINVAL;
                date = values->date;
        } else if (strstr(template, "{date}")) {
                /* time.Now().Format("2006-01-02"): the local date. */
                time_t now = time(NULL);
                struct tm tm;

                if (!localtime_r(&now, &tm) || strftime(today, sizeof(today), "%Y-%m-%d", &tm) == 0)
                        return -EINVAL;
                date = today;
        }

        /* GetMetadataInfo(): the fallbacks of each value. */
        local = known(values->local_hostname) ?: "UNKNOWN-HOST";
        const struct {
                const char *name;
                const char *value;
        } table[] = {
                { "{instance_id}", known(values->instance_id) ?: "i-UNKNOWN" },
                { "{hostname}", known(values->hostname) ?: local },
                { "{local_hostname}", local },
                { "{ip_address}", known(values->ip_address) ?: "UNKNOWN-IP" },
                { "{aws_region}", known(values->region) ?: "UNKNOWN-REGION" },
                { "{account_id}", known(values->account_id) ?: "UNKNOWN-ACCOUNT" },
                { "{date}", date },
        };

        /* One left-to-right pass. The agent replaces each placeholder over the whole string in
         * turn; the results agree unless a value itself holds a placeholder, which host names,
         * IDs, addresses and regions cannot. */
        for (int pass = 0; pass < 2; pass++) {
                for (const char *p = template; *p;) {
                        size_t k = ELEMENTSOF(table);

                        if (*p == '{')
                                for (k = 0; k < ELEMENTSOF(table); k++)
                                        if (table[k].value &&
                                            strncmp(p, table[k].name, strlen(table[k].name)) == 0)
                                                break;
                        if (k < ELEMENTSOF(table)) {
                                size_t vl = strlen(table[k].value);

                                if (pass == 1) {
                                        memcpy(o, table[k].value, vl);
                                        o += vl;
                                } else
                                        len += vl;
                                p += strlen(table[k].name);
                                continue;
                        }
                        if (pass == 1)
                                *o++ = *p;
                        else
                                len++;
                        p++;
                }
                if (pass == 0) {
                        out = malloc(len + 1);
                        if (!out)
                                return -ENOMEM;
                        o = out;
                }
        }
        *o = 0;
        *ret = out;
        return 0;
}

bool agent_log_group_name_is_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        /* CloudWatch Logs: 1-512 characters of a-z, A-Z, 0-9, '_', '-', '/', '.' and '#'. */
        if (n == 0 || n > AGENT_LOG_GROUP_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '/' ||
                      ch == '.' || ch == '#'))
                        return false;
        }
        return true;
}
