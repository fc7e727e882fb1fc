/* SPDX-License-Identifier: MIT */
/*
 * imds-parse.c: the pure parsers of the IMDS documents (a role's credentials, the instance
 * identity document, iam/info and the iam/security-credentials/ role listing) and the
 * destructors of the structs they fill. They take untrusted bytes that need not be
 * NUL-terminated, refuse anything that is not a small flat IMDS document, and scrub every copy
 * of a secret json-c made before it goes back to the allocator. They own nothing beyond their
 * output, do no I/O and touch no loop, so tests and fuzzers call them directly; the client in
 * imds.c calls them on the bodies it fetched. No logging, no globals.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <openssl/crypto.h>

#include "common/imds.h"

/* Field limits: real values are far smaller (a session token is ~1–2 KiB); anything beyond is
 * not an IMDS document and is refused rather than carried around. */
#define ACCESS_KEY_ID_MAX 128U
#define SECRET_KEY_MAX 256U
#define STS_TOKEN_MAX 16384U
#define SHORT_FIELD_MAX 256U
#define MESSAGE_MAX 512U
#define ROLE_NAME_MAX 64U             /* IAM: 1–64 of [A-Za-z0-9+=,.@_-] */

/* ---------------------------------------------------------------------------------------------
 * Payloads
 */

void imds_credentials_done(ImdsCredentials *c)
{
        if (!c)
                return;
        free(c->role);
        free(c->code);
        free(c->message);
        free(c->type);
        free(c->access_key_id);
        erase_and_free(c->secret_access_key);
        erase_and_free(c->token);
        *c = (ImdsCredentials) {};
}

void imds_identity_done(ImdsIdentity *i)
{
        if (!i)
                return;
        free(i->account_id);
        free(i->instance_id);
        free(i->region);
        free(i->availability_zone);
        free(i->instance_type);
        free(i->image_id);
        free(i->private_ip);
        free(i->architecture);
        *i = (ImdsIdentity) {};
}

void imds_info_done(ImdsInfo *i)
{
        if (!i)
                return;
        free(i->code);
        free(i->message);
        free(i->instance_profile_arn);
        free(i->instance_profile_id);
        *i = (ImdsInfo) {};
}

/* ---------------------------------------------------------------------------------------------
 * Parsers (pure)
 */

static void json_object_wipe_strings(struct json_object *o)
{
        /* json-c frees without wiping: scrub the copies of SecretAccessKey and Token it made.
         * The buffer is json-c's own heap allocation, so writing to it is safe. */
        json_object_object_foreach(o, key, v) {
                (void) key;
                if (json_object_is_type(v, json_type_string))
                        OPENSSL_cleanse((char *) json_object_get_string(v),
                                        (size_t) json_object_get_string_len(v));
        }
}

static void json_object_put_wiped(struct json_object **o)
{
        if (!*o)
                return;
        json_object_wipe_strings(*o);
        json_object_put(*o);
        *o = NULL;
}

static void json_object_putp(struct json_object **o)
{
        if (*o)
                json_object_put(*o);
}

/* Parse one JSON object filling the whole buffer (trailing whitespace allowed). */
static int parse_json_object(const char *data, size_t size, struct json_object **ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_tokener *tok;
        enum json_tokener_error err;
        size_t end;

        if (!data || size == 0 || size > IMDS_DOCUMENT_MAX || memchr(data, 0, size))
                return -EBADMSG;

        /* Depth 8: IMDS documents are flat; refuse deep nesting early. */
        tok = json_tokener_new_ex(8);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, data, (int) size);
        err = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        /* The tokener's string buffer still holds the last string parsed, possibly the secret
         * or the token: wipe it before it goes back to the allocator. */
        if (tok->pb && tok->pb->buf && tok->pb->size > 0)
                OPENSSL_cleanse(tok->pb->buf, (size_t) tok->pb->size);
        json_tokener_free(tok);

        if (!o || err != json_tokener_success)
                return -EBADMSG;
        for (size_t i = end; i < size; i++)
                if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
                        return -EBADMSG;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        *ret = TAKE_PTR(o);
        return 0;
}

typedef enum FieldFlags {
        FIELD_REQUIRED = 1 << 0,
        FIELD_NO_SPACE = 1 << 1,  /* keys and tokens: no whitespace at all */
        FIELD_SANITIZE = 1 << 2,  /* free text: control characters replaced, cut at max */
} FieldFlags;

static int json_get_field(struct json_object *o, const char *key, size_t max, FieldFlags flags,
                          char **ret)
{
        struct json_object *v;
        const char *s;
        size_t len;
        char *copy;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (flags & FIELD_REQUIRED)
                        return -EBADMSG;
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;

        s = json_object_get_string(v);
        len = (size_t) json_object_get_string_len(v);
        if (strlen(s) != len) /* embedded NUL (\u0000) */
                return -EBADMSG;
        if ((flags & FIELD_REQUIRED) && len == 0)
                return -EBADMSG;

        if (flags & FIELD_SANITIZE) {
                copy = strdup(s);
                if (!copy)
                        return -ENOMEM;
                string_one_line(copy, max);
                *ret = copy;
                return 0;
        }

        if (len > max || string_has_cc(s, NULL))
                return -EBADMSG;
        if ((flags & FIELD_NO_SPACE) && strchr(s, ' '))
                return -EBADMSG;

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

static int json_get_time(struct json_object *o, const char *key, bool required, usec_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r;

        r = json_get_field(o, key, SHORT_FIELD_MAX, required ? FIELD_REQUIRED : 0, &s);
        if (r < 0)
                return r;
        if (!s) {
                *ret = 0;
                return 0;
        }
        if (iso8601_parse(s, ret) < 0)
                return -EBADMSG;
        return 0;
}

int imds_parse_credentials(const char *data, size_t size, ImdsCredentials *ret)
{
        _cleanup_(json_object_put_wiped) struct json_object *o = NULL;
        _cleanup_(imds_credentials_done) ImdsCredentials c = {};
        int r;

        r = parse_json_object(data, size, &o);
        if (r < 0)
                return r;

        r = json_get_field(o, "Code", SHORT_FIELD_MAX, 0, &c.code);
        if (r < 0)
                return r;
        if (c.code && !streq(c.code, "Success")) {
                /* botocore: "IMDS can return a 200 response that has a JSON formatted error
                 * message (i.e. if ec2 is not trusted entity for the attached role)". */
                r = json_get_field(o, "Message", MESSAGE_MAX, FIELD_SANITIZE, &c.message);
                if (r < 0)
                        return r;
                *ret = c;
                c = (ImdsCredentials) {};
                return IMDS_DOCUMENT_ERROR;
        }

        r = json_get_field(o, "AccessKeyId", ACCESS_KEY_ID_MAX, FIELD_REQUIRED | FIELD_NO_SPACE,
                           &c.access_key_id);
        if (r < 0)
                return r;
        r = json_get_field(o, "SecretAccessKey", SECRET_KEY_MAX, FIELD_REQUIRED | FIELD_NO_SPACE,
                           &c.secret_access_key);
        if (r < 0)
                return r;
        r = json_get_field(o, "Token", STS_TOKEN_MAX, FIELD_REQUIRED | FIELD_NO_SPACE, &c.token);
        if (r < 0)
                return r;
        r = json_get_time(o, "Expiration", true, &c.expiration);
        if (r < 0)
                return r;
        r = json_get_time(o, "LastUpdated", false, &c.last_updated);
        if (r < 0)
                return r;
        r = json_get_field(o, "Type", SHORT_FIELD_MAX, 0, &c.type);
        if (r < 0)
                return r;

        *ret = c;
        c = (ImdsCredentials) {};
        return 0;
}

int imds_parse_identity(const char *data, size_t size, ImdsIdentity *ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_(imds_identity_done) ImdsIdentity i = {};
        const struct {
                const char *key;
                char **field;
                FieldFlags flags;
        } fields[] = {
                { "accountId", &i.account_id, FIELD_REQUIRED | FIELD_NO_SPACE },
                { "instanceId", &i.instance_id, FIELD_REQUIRED | FIELD_NO_SPACE },
                { "region", &i.region, FIELD_REQUIRED | FIELD_NO_SPACE },
                { "availabilityZone", &i.availability_zone, FIELD_NO_SPACE },
                { "instanceType", &i.instance_type, FIELD_NO_SPACE },
                { "imageId", &i.image_id, FIELD_NO_SPACE },
                { "privateIp", &i.private_ip, FIELD_NO_SPACE },
                { "architecture", &i.architecture, FIELD_NO_SPACE },
        };
        int r;

        r = parse_json_object(data, size, &o);
        if (r < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(fields); k++) {
                r = json_get_field(o, fields[k].key, SHORT_FIELD_MAX, fields[k].flags,
                                   fields[k].field);
                if (r < 0)
                        return r;
        }

        *ret = i;
        i = (ImdsIdentity) {};
        return 0;
}

int imds_parse_info(const char *data, size_t size, ImdsInfo *ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_(imds_info_done) ImdsInfo i = {};
        int r;

        r = parse_json_object(data, size, &o);
        if (r < 0)
                return r;

        r = json_get_field(o, "Code", SHORT_FIELD_MAX, 0, &i.code);
        if (r < 0)
                return r;
        r = json_get_field(o, "Message", MESSAGE_MAX, FIELD_SANITIZE, &i.message);
        if (r < 0)
                return r;
        if (i.code && !streq(i.code, "Success")) {
                *ret = i;
                i = (ImdsInfo) {};
                return IMDS_DOCUMENT_ERROR;
        }
        r = json_get_field(o, "InstanceProfileArn", SHORT_FIELD_MAX,
                           FIELD_REQUIRED | FIELD_NO_SPACE, &i.instance_profile_arn);
        if (r < 0)
                return r;
        r = json_get_field(o, "InstanceProfileId", SHORT_FIELD_MAX, FIELD_NO_SPACE,
                           &i.instance_profile_id);
        if (r < 0)
                return r;
        r = json_get_time(o, "LastUpdated", false, &i.last_updated);
        if (r < 0)
                return r;

        *ret = i;
        i = (ImdsInfo) {};
        return 0;
}

static bool role_char_ok(char ch)
{
        /* Not strchr(): it would find the terminating NUL. */
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '+' || ch == '=' || ch == ',' || ch == '.' || ch == '@' || ch == '_' ||
               ch == '-';
}

int imds_parse_role_listing(const char *data, size_t size, char **ret)
{
        const char *nl;
        size_t n;
        char *role;

        if (!data || size > IMDS_DOCUMENT_MAX)
                return -EBADMSG;

        /* "one item per line, LF separated": the role is the first line. */
        nl = memchr(data, '\n', size);
        n = nl ? (size_t) (nl - data) : size;
        while (n > 0 && (data[n - 1] == ' ' || data[n - 1] == '\t' || data[n - 1] == '\r'))
                n--;
        if (n == 0)
                return -ENODATA;
        if (n > ROLE_NAME_MAX)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (!role_char_ok(data[i]))
                        return -EBADMSG;

        role = malloc(n + 1); /* not strndup(): @data need not be NUL-terminated */
        if (!role)
                return -ENOMEM;
        memcpy(role, data, n);
        role[n] = 0;
        *ret = role;
        return 0;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) without C0
 * controls or DEL: what may go into a metric dimension, a journal field and JSON as is. */
static bool text_is_printable_utf8(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned c = s[i], len, cp;

                if (c < 0x20 || c == 0x7f)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 2, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 3, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 4, cp = c & 0x07;
                else
                        return false;
                if (n - i < len)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

int imds_parse_tag_value(const char *data, size_t size, char **ret)
{
        char *v;

        if (!data)
                return -EBADMSG;
        /* IMDS serves the value as is, without a trailing newline; tolerate one. */
        if (size > 0 && data[size - 1] == '\n')
                size--;
        if (size == 0 || size > IMDS_TAG_VALUE_MAX ||
            !text_is_printable_utf8((const unsigned char *) data, size))
                return -EBADMSG;

        v = malloc(size + 1);
        if (!v)
                return -ENOMEM;
        memcpy(v, data, size);
        v[size] = 0;
        *ret = v;
        return 0;
}

bool imds_tag_key_is_valid(const char *key)
{
        size_t n = key ? strlen(key) : 0;

        /* 1-128 letters, digits and + - = . _ : @ — the tag keys that can be a URL path
         * segment as they are (EC2 does not expose keys containing '/' in instance metadata). */
        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = key[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '=' ||
                      ch == '.' || ch == '_' || ch == ':' || ch == '@'))
                        return false;
        }
        return true;
}
