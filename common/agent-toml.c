/* SPDX-License-Identifier: MIT */
/*
 * agent-toml.c: a parser for the little TOML the CloudWatch agent's common-config.toml holds:
 * comments, [credentials] / [proxy] / [ssl] / [imds] tables and bare keys set to strings. It
 * fills the six settings that decide the agent's credential path (profile, credentials file,
 * proxies, CA bundle) and [imds] imds_retries, each with its line. It is not a TOML library:
 * every construct outside that subset is refused with "FILE:LINE:COL: <what> is not part of the
 * subset cwguard reads", never skipped or half-read, so a value cwguard reports is exactly the
 * value the agent decodes. The agent decodes with BurntSushi/toml into a struct
 * (cfg/commonconfig/commonconfig.go): unknown tables and keys are ignored and names match
 * regardless of case; both are mirrored and noted. Pure: bytes in, a struct or one message
 * out; no I/O except agent_toml_load(), no logging, no globals.
 */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/agent-toml.h"
#include "common/util.h"

#define SUBSET_HINT                                                                        \
        "cwguard reads comments, [table] headers and bare keys set to \"basic\" or "       \
        "'literal' strings"

void agent_toml_done(AgentToml *t)
{
        if (!t)
                return;
        free(t->profile.value);
        free(t->credentials_file.value);
        free(t->http_proxy.value);
        free(t->https_proxy.value);
        free(t->no_proxy.value);
        free(t->ca_bundle_path.value);
        strv_free(t->notes);
        *t = (AgentToml) { .imds_retries = -1 };
}

/* The settings the agent reads, by table and key (cfg/commonconfig/commonconfig.go). */
static const struct {
        const char *table;
        const char *key;
        size_t offset; /* of an AgentTomlValue in AgentToml; SIZE_MAX: imds_retries */
} known_keys[] = {
        { "credentials", "shared_credential_profile", offsetof(AgentToml, profile) },
        { "credentials", "shared_credential_file", offsetof(AgentToml, credentials_file) },
        { "proxy", "http_proxy", offsetof(AgentToml, http_proxy) },
        { "proxy", "https_proxy", offsetof(AgentToml, https_proxy) },
        { "proxy", "no_proxy", offsetof(AgentToml, no_proxy) },
        { "ssl", "ca_bundle_path", offsetof(AgentToml, ca_bundle_path) },
        /* Newer agents: "IMDS is in common config because it happens before agent config
         * translation". An integer: the one number the subset takes. */
        { "imds", "imds_retries", SIZE_MAX },
};

static const char *const known_tables[] = { "credentials", "proxy", "ssl", "imds" };

typedef struct Entry {
        char *table; /* NULL: the top level */
        char *key;   /* NULL: the table header itself */
        unsigned line;
} Entry;

typedef struct Parser {
        const char *data;
        size_t size;
        size_t pos;
        size_t line_start;
        unsigned line;
        const char *source;
        char **reterr;

        char *table;          /* the current table as written; NULL at the top level */
        int table_index;      /* into known_tables, or -1 */
        Entry entries[AGENT_TOML_ENTRIES_MAX];
        size_t n_entries;
        AgentToml *result;
} Parser;

static void parser_done(Parser *p)
{
        free(p->table);
        for (size_t i = 0; i < p->n_entries; i++) {
                free(p->entries[i].table);
                free(p->entries[i].key);
        }
}

/* ---------------------------------------------------------------------------------------------
 * Positions and messages
 */

static unsigned column_of(const Parser *p, size_t pos)
{
        unsigned col = 1;

        for (size_t i = p->line_start; i < pos && i < p->size; i++)
                if (((unsigned char) p->data[i] & 0xc0) != 0x80)
                        col++;
        return col;
}

static int parser_error(Parser *p, size_t pos, const char *fmt, ...) _printf_(3, 4);
static int parser_error(Parser *p, size_t pos, const char *fmt, ...)
{
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        if (!p->reterr)
                return -EBADMSG;
        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        free(*p->reterr);
        if (asprintf(p->reterr, "%s:%u:%u: %s", p->source, p->line, column_of(p, pos), what) < 0) {
                *p->reterr = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}

static int parser_subset(Parser *p, size_t pos, const char *what)
{
        return parser_error(p, pos, "%s is not part of the subset cwguard reads (" SUBSET_HINT ")",
                            what);
}

static int parser_note(Parser *p, const char *fmt, ...) _printf_(2, 3);
static int parser_note(Parser *p, const char *fmt, ...)
{
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return strv_extendf(&p->result->notes, "%s:%u: %s", p->source, p->line, what);
}

/* ---------------------------------------------------------------------------------------------
 * Characters
 */

static int peek(const Parser *p, size_t ahead)
{
        return p->pos + ahead < p->size ? (unsigned char) p->data[p->pos + ahead] : -1;
}

static bool is_bare(int c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
}

static bool is_control(int c)
{
        /* TOML: "Control characters other than tab (U+0000 to U+0008, U+000A to U+001F,
         * U+007F) are not permitted" in comments and strings. */
        return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void skip_ws(Parser *p)
{
        while (peek(p, 0) == ' ' || peek(p, 0) == '\t')
                p->pos++;
}

/* Length of the well-formed UTF-8 sequence at @pos (0: malformed). */
static size_t utf8_sequence(const Parser *p, size_t pos, uint32_t *ret_cp)
{
        const unsigned char *u = (const unsigned char *) p->data + pos;
        size_t left = p->size - pos, n;
        uint32_t cp;

        if (u[0] < 0x80) {
                *ret_cp = u[0];
                return 1;
        }
        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                n = 2, cp = u[0] & 0x1f;
        else if (u[0] >= 0xe0 && u[0] <= 0xef)
                n = 3, cp = u[0] & 0x0f;
        else if (u[0] >= 0xf0 && u[0] <= 0xf4)
                n = 4, cp = u[0] & 0x07;
        else
                return 0;
        if (left < n)
                return 0;
        for (size_t k = 1; k < n; k++) {
                if ((u[k] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (u[k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

/* The end of a line: "\n", "\r\n" or the end of the file. Anything else is an error. */
static int end_of_line(Parser *p)
{
        int c = peek(p, 0);

        if (c < 0)
                return 0;
        if (c == '\r' && peek(p, 1) == '\n')
                p->pos++;
        else if (c == '\r')
                return parser_error(p, p->pos, "invalid TOML: a carriage return not followed by a "
                                               "newline");
        else if (c != '\n')
                return parser_error(p, p->pos, "invalid TOML: unexpected text");
        p->pos++;
        p->line++;
        p->line_start = p->pos;
        return 0;
}

/* A comment from '#' to the end of the line: printable text (tab allowed). */
static int comment(Parser *p)
{
        p->pos++;
        for (int c; (c = peek(p, 0)) >= 0 && c != '\n';) {
                uint32_t cp;
                size_t n;

                if (c == '\r')
                        return peek(p, 1) == '\n' ? 0 : end_of_line(p);
                if (is_control(c))
                        return parser_error(p, p->pos, "invalid TOML: a control character in a "
                                                       "comment");
                n = utf8_sequence(p, p->pos, &cp);
                if (n == 0)
                        return parser_error(p, p->pos, "invalid TOML: not UTF-8");
                p->pos += n;
        }
        return 0;
}

/* After a header or a value: blanks, an optional comment, the end of the line. */
static int rest_of_line(Parser *p, const char *after)
{
        int r, c;

        skip_ws(p);
        c = peek(p, 0);
        if (c == '#') {
                r = comment(p);
                if (r < 0)
                        return r;
        } else if (c >= 0 && c != '\n' && c != '\r')
                return parser_error(p, p->pos, "invalid TOML: unexpected text after %s", after);
        return end_of_line(p);
}

/* ---------------------------------------------------------------------------------------------
 * Values
 */

static int hex_digits(Parser *p, size_t at, size_t n, uint32_t *ret)
{
        uint32_t v = 0;

        for (size_t i = 0; i < n; i++) {
                int c = at + i < p->size ? (unsigned char) p->data[at + i] : -1;

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t) (c - 'A' + 10);
                else
                        return parser_error(p, at - 2, "invalid TOML: \\%c needs %zu hexadecimal "
                                                       "digits", n == 4 ? 'u' : 'U', n);
        }
        *ret = v;
        return 0;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* A one-line string starting at the quote under the cursor; *@ret is its decoded value. */
static int string_value(Parser *p, bool basic, char **ret)
{
        _cleanup_free_ char *out = NULL;
        size_t n = 0, start = p->pos;

        /* Decoding never lengthens: an escape is at least as long as what it stands for. */
        out = malloc(p->size - p->pos + 1);
        if (!out)
                return -ENOMEM;
        p->pos++;

        for (;;) {
                int c = peek(p, 0);
                uint32_t cp = 0;
                size_t k;

                if (c < 0 || c == '\n' || (c == '\r' && peek(p, 1) == '\n'))
                        return parser_error(p, start, "invalid TOML: the string does not end on "
                                                      "its line");
                if (c == (basic ? '"' : '\'')) {
                        p->pos++;
                        break;
                }
                if (is_control(c))
                        return parser_error(p, p->pos, "invalid TOML: a control character in a "
                                                       "string (write it as an escape)");
                if (basic && c == '\\') {
                        int e = peek(p, 1);
                        int r;

                        switch (e) {
                        case 'b': out[n++] = '\b'; break;
                        case 't': out[n++] = '\t'; break;
                        case 'n': out[n++] = '\n'; break;
                        case 'f': out[n++] = '\f'; break;
                        case 'r': out[n++] = '\r'; break;
                        case '"': out[n++] = '"'; break;
                        case '\\': out[n++] = '\\'; break;
                        case 'u':
                        case 'U':
                                r = hex_digits(p, p->pos + 2, e == 'u' ? 4 : 8, &cp);
                                if (r < 0)
                                        return r;
                                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                                        return parser_error(p, p->pos, "invalid TOML: \\%c%0*X is "
                                                                       "not a Unicode scalar value",
                                                            e, e == 'u' ? 4 : 8, (unsigned) cp);
                                n += utf8_encode(cp, out + n);
                                p->pos += e == 'u' ? 6 : 10;
                                continue;
                        default:
                                return parser_error(p, p->pos, "invalid TOML: an unknown escape "
                                                               "sequence");
                        }
                        p->pos += 2;
                        continue;
                }
                k = utf8_sequence(p, p->pos, &cp);
                if (k == 0)
                        return parser_error(p, p->pos, "invalid TOML: not UTF-8");
                memcpy(out + n, p->data + p->pos, k);
                n += k;
                p->pos += k;
        }
        out[n] = 0;
        /* An escaped \u0000 would end the C string early: refuse it with the controls. */
        if (strlen(out) != n)
                return parser_error(p, start, "the string holds a NUL character");
        *ret = TAKE_PTR(out);
        return 0;
}

/* What kind of value starts at the cursor, for a precise refusal. */
static int refuse_value(Parser *p, const char *key)
{
        int c = peek(p, 0);

        if (c == '[')
                return parser_subset(p, p->pos, "an array");
        if (c == '{')
                return parser_subset(p, p->pos, "an inline table");
        if ((c == '"' && peek(p, 1) == '"' && peek(p, 2) == '"') ||
            (c == '\'' && peek(p, 1) == '\'' && peek(p, 2) == '\''))
                return parser_subset(p, p->pos, "a multi-line string");
        if ((p->size - p->pos >= 4 && memcmp(p->data + p->pos, "true", 4) == 0) ||
            (p->size - p->pos >= 5 && memcmp(p->data + p->pos, "false", 5) == 0))
                return parser_subset(p, p->pos, "a boolean");
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
            (p->size - p->pos >= 3 && (memcmp(p->data + p->pos, "inf", 3) == 0 ||
                                       memcmp(p->data + p->pos, "nan", 3) == 0)))
                return parser_subset(p, p->pos, "a number or date");
        if (c < 0 || c == '\n' || c == '\r' || c == '#')
                return parser_error(p, p->pos, "invalid TOML: the key '%s' has no value", key);
        return parser_error(p, p->pos, "invalid TOML: not a value");
}

/* [imds] imds_retries: a plain decimal integer, 0-999999999. */
static int integer_value(Parser *p, int *ret)
{
        size_t start = p->pos, n = 0;
        int64_t v = 0;

        /* At most ten digits are looked at, so v stays far below INT64_MAX; more than nine
         * are refused below, so what is kept fits an int. */
        while (peek(p, 0) >= '0' && peek(p, 0) <= '9' && n < 10) {
                v = v * 10 + (peek(p, 0) - '0');
                p->pos++;
                n++;
        }
        if (n == 0 || n > 9 || (n > 1 && p->data[start] == '0') || is_bare(peek(p, 0)) ||
            peek(p, 0) == '.' || peek(p, 0) == ':') {
                p->pos = start;
                return parser_subset(p, start, "a number other than a plain decimal integer");
        }
        *ret = (int) v;
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Tables and keys
 */

static int entry_add(Parser *p, size_t pos, const char *table, const char *key)
{
        Entry *e;

        for (size_t i = 0; i < p->n_entries; i++) {
                const Entry *o = &p->entries[i];
                bool same_exact;

                /* A table clashes with a table or a top-level key of its name; a key with a
                 * key of its table. Names are compared regardless of case, as the agent
                 * decodes them: two spellings would set one setting twice. */
                if (key) {
                        if (!o->key || !streq_ptr(o->table, table) ||
                            strcasecmp(o->key, key) != 0)
                                continue;
                        same_exact = streq(o->key, key);
                        if (same_exact)
                                return parser_error(p, pos, "invalid TOML: the key '%s' is "
                                                            "defined twice (first on line %u)",
                                                    key, o->line);
                        return parser_error(p, pos, "the key '%s' repeats '%s' of line %u; the "
                                                    "agent reads names regardless of case, so "
                                                    "both would set one value", key, o->key,
                                            o->line);
                }
                if (o->key ? (o->table || strcasecmp(o->key, table) != 0)
                           : strcasecmp(o->table, table) != 0)
                        continue;
                if (o->key)
                        return parser_error(p, pos, "the table [%s] clashes with the key '%s' of "
                                                    "line %u", table, o->key, o->line);
                if (streq(o->table, table))
                        return parser_error(p, pos, "invalid TOML: the table [%s] is defined "
                                                    "twice (first on line %u)", table, o->line);
                return parser_error(p, pos, "the table [%s] repeats [%s] of line %u; the agent "
                                            "reads names regardless of case, so both would set "
                                            "one table", table, o->table, o->line);
        }

        if (p->n_entries >= AGENT_TOML_ENTRIES_MAX)
                return parser_error(p, pos, "more than %u keys and tables; this is not a "
                                            "common-config.toml", AGENT_TOML_ENTRIES_MAX);
        e = &p->entries[p->n_entries];
        *e = (Entry) { .line = p->line };
        if (table) {
                e->table = strdup(table);
                if (!e->table)
                        return -ENOMEM;
        }
        if (key) {
                e->key = strdup(key);
                if (!e->key) {
                        e->table = mfree(e->table);
                        return -ENOMEM;
                }
        }
        p->n_entries++;
        return 0;
}

static int bare_name(Parser *p, char **ret)
{
        size_t start = p->pos;
        char *s;

        while (is_bare(peek(p, 0)))
                p->pos++;
        if (p->pos == start) {
                *ret = NULL;
                return 0;
        }
        /* Not strndup(): the input need not be NUL-terminated. */
        s = malloc(p->pos - start + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, p->data + start, p->pos - start);
        s[p->pos - start] = 0;
        *ret = s;
        return 0;
}

static int table_header(Parser *p)
{
        _cleanup_free_ char *name = NULL;
        size_t start = p->pos;
        int r, k;

        p->pos++;
        if (peek(p, 0) == '[')
                return parser_subset(p, start, "an array of tables ([[...]])");
        skip_ws(p);
        if (peek(p, 0) == '"' || peek(p, 0) == '\'')
                return parser_subset(p, p->pos, "a quoted table name");
        r = bare_name(p, &name);
        if (r < 0)
                return r;
        if (!name)
                return parser_error(p, p->pos, "invalid TOML: a table header without a name");
        skip_ws(p);
        if (peek(p, 0) == '.')
                return parser_subset(p, p->pos, "a dotted table name");
        if (peek(p, 0) != ']')
                return parser_error(p, p->pos, "invalid TOML: expected ']' to close the table "
                                               "header");
        p->pos++;

        r = entry_add(p, start, name, NULL);
        if (r < 0)
                return r;

        p->table_index = -1;
        for (k = 0; k < (int) ELEMENTSOF(known_tables); k++)
                if (strcasecmp(known_tables[k], name) == 0)
                        break;
        if (k < (int) ELEMENTSOF(known_tables)) {
                p->table_index = k;
                if (!streq(known_tables[k], name))
                        r = parser_note(p, "[%s] read as [%s] (the agent's TOML decoder matches "
                                           "names regardless of case)", name, known_tables[k]);
        } else
                r = parser_note(p, "the table [%s] is not one the agent reads; ignored, as the "
                                   "agent ignores it", name);
        if (r < 0)
                return r;
        free_and_replace(p->table, name);
        return rest_of_line(p, "the table header");
}

static int store_string(Parser *p, size_t pos, size_t offset, const char *name, const char *key,
                        char **value)
{
        AgentTomlValue *v = (AgentTomlValue *) ((char *) p->result + offset);
        size_t n = strlen(*value);
        int r;

        /* Values become paths, proxy URLs and profile names handed to curl and to files:
         * none of them can hold a control character, however it was escaped. */
        if (string_has_cc(*value, NULL))
                return parser_error(p, pos, "the value of '%s' holds a control character", key);
        if (n > AGENT_TOML_VALUE_MAX)
                return parser_error(p, pos, "the value of '%s' is longer than %u bytes", key,
                                    AGENT_TOML_VALUE_MAX);
        if (n == 0) {
                r = parser_note(p, "%s is empty", name);
                if (r < 0)
                        return r;
        }
        free(v->value);
        v->value = TAKE_PTR(*value);
        v->line = p->line;
        return 0;
}

static int key_value(Parser *p)
{
        _cleanup_free_ char *key = NULL, *value = NULL;
        size_t start = p->pos, vpos;
        int known = -1, r, c;

        if (peek(p, 0) == '"' || peek(p, 0) == '\'')
                return parser_subset(p, p->pos, "a quoted key");
        r = bare_name(p, &key);
        if (r < 0)
                return r;
        if (!key)
                return parser_error(p, p->pos, "invalid TOML: expected a key, a [table] header or "
                                               "a comment");
        skip_ws(p);
        if (peek(p, 0) == '.')
                return parser_subset(p, p->pos, "a dotted key");
        if (peek(p, 0) != '=')
                return parser_error(p, p->pos, "invalid TOML: expected '=' after the key '%s'",
                                    key);
        p->pos++;
        skip_ws(p);

        if (p->table_index >= 0)
                for (int k = 0; k < (int) ELEMENTSOF(known_keys); k++)
                        if (streq(known_keys[k].table, known_tables[p->table_index]) &&
                            strcasecmp(known_keys[k].key, key) == 0) {
                                known = k;
                                break;
                        }

        vpos = p->pos;
        c = peek(p, 0);
        if (known >= 0 && known_keys[known].offset == SIZE_MAX) {
                int v = 0;

                /* BurntSushi/toml cannot decode a string into the agent's *int: it fails. */
                if (c == '"' || c == '\'')
                        return parser_error(p, vpos, "imds_retries must be an integer; the agent "
                                                     "fails to decode a string here");
                if (!(c >= '0' && c <= '9'))
                        return refuse_value(p, key);
                r = integer_value(p, &v);
                if (r < 0)
                        return r;
                r = entry_add(p, start, p->table, key);
                if (r < 0)
                        return r;
                p->result->imds_retries = v;
                p->result->imds_retries_line = p->line;
                return rest_of_line(p, "the value");
        }

        if ((c == '"' && !(peek(p, 1) == '"' && peek(p, 2) == '"')) ||
            (c == '\'' && !(peek(p, 1) == '\'' && peek(p, 2) == '\''))) {
                r = string_value(p, c == '"', &value);
                if (r < 0)
                        return r;
        } else
                return refuse_value(p, key);

        r = entry_add(p, start, p->table, key);
        if (r < 0)
                return r;

        if (!p->table) {
                /* A top-level key named like a table: the agent fails to decode a string into
                 * its struct. Any other top-level key is ignored by the decoder. */
                for (size_t k = 0; k < ELEMENTSOF(known_tables); k++)
                        if (strcasecmp(known_tables[k], key) == 0)
                                return parser_error(p, start, "'%s' must be a table [%s], not a "
                                                              "key; the agent fails to decode "
                                                              "this file", key, known_tables[k]);
                r = parser_note(p, "the top-level key '%s' is not one the agent reads; ignored",
                                key);
        } else if (known >= 0) {
                if (!streq(known_keys[known].key, key)) {
                        r = parser_note(p, "'%s' read as '%s' (the agent's TOML decoder matches "
                                           "names regardless of case)", key,
                                        known_keys[known].key);
                        if (r < 0)
                                return r;
                }
                r = store_string(p, vpos, known_keys[known].offset, known_keys[known].key, key,
                                 &value);
        } else if (p->table_index >= 0)
                r = parser_note(p, "the key '%s' in [%s] is not one the agent reads; ignored",
                                key, known_tables[p->table_index]);
        else
                r = 0; /* in a table already noted as ignored */
        if (r < 0)
                return r;
        return rest_of_line(p, "the value");
}

/* ---------------------------------------------------------------------------------------------
 * Documents
 */

int agent_toml_parse(const char *data, size_t size, const char *source, AgentToml *ret,
                     char **reterr)
{
        _cleanup_(agent_toml_done) AgentToml t = { .imds_retries = -1 };
        _cleanup_(parser_done) Parser p = {
                .data = data,
                .size = size,
                .line = 1,
                .source = source ?: "common-config.toml",
                .reterr = reterr,
                .table_index = -1,
                .result = &t,
        };
        int r;

        if (!data || !ret)
                return -EINVAL;
        if (size > AGENT_TOML_MAX) {
                if (reterr) {
                        free(*reterr);
                        if (asprintf(reterr, "%s: larger than %u KiB; not a common-config.toml",
                                     p.source, AGENT_TOML_MAX / 1024) < 0) {
                                *reterr = NULL;
                                return -ENOMEM;
                        }
                }
                return -EFBIG;
        }

        /* A UTF-8 byte order mark is skipped, as the agent's decoder (BurntSushi/toml v1.3.2,
         * pinned in its go.mod) does. */
        if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                p.pos = p.line_start = 3;

        while (p.pos < p.size) {
                int c;

                skip_ws(&p);
                c = peek(&p, 0);
                if (c == '#')
                        r = comment(&p);
                else if (c == '[')
                        r = table_header(&p);
                else if (c >= 0 && c != '\n' && c != '\r')
                        r = key_value(&p);
                else
                        r = 0;
                if (r < 0)
                        return r;
                /* After a comment or a blank line; headers and values end their own lines. */
                if (c == '#' || c < 0 || c == '\n' || c == '\r') {
                        r = end_of_line(&p);
                        if (r < 0)
                                return r;
                }
        }

        *ret = t;
        t = (AgentToml) { .imds_retries = -1 };
        return 0;
}

static int load_error(char **reterr, int r, const char *fmt, ...) _printf_(3, 4);
static int load_error(char **reterr, int r, const char *fmt, ...)
{
        va_list ap;

        if (!reterr)
                return r;
        free(*reterr);
        va_start(ap, fmt);
        if (vasprintf(reterr, fmt, ap) < 0) {
                *reterr = NULL;
                r = -ENOMEM;
        }
        va_end(ap);
        return r;
}

int agent_toml_load(const char *path, AgentToml *ret, char **reterr)
{
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t size = 0;
        int r;

        if (isempty(path) || !ret)
                return -EINVAL;
        if (stat(path, &st) < 0) {
                r = -errno;
                if (r == -ENOENT)
                        return r;
                return load_error(reterr, r, "%s: cannot access: %s", path, strerror(-r));
        }
        /* Never open a FIFO or a device: read_file_capped() would block on it. */
        if (!S_ISREG(st.st_mode))
                return load_error(reterr, -EBADFD, "%s: not a regular file", path);
        r = read_file_capped(path, AGENT_TOML_MAX, &data, &size);
        if (r == -EFBIG)
                return load_error(reterr, r, "%s: larger than %u KiB; not a common-config.toml",
                                  path, AGENT_TOML_MAX / 1024);
        if (r < 0)
                return load_error(reterr, r, "%s: cannot read: %s", path, strerror(-r));
        return agent_toml_parse(data, size, path, ret, reterr);
}
