/* SPDX-License-Identifier: MIT */
/*
 * aws-response.c: the bytes of AWS replies to typed fields. Error replies give code, type,
 * message and request id from wherever the protocol puts them (query XML via common/xml.c,
 * JSON 1.0/1.1 via json-c, plus the x-amzn-query-error / x-amzn-ErrorType headers); the few
 * success bodies cwguard reads are STS GetCallerIdentity and CloudWatch Logs DescribeLogStreams
 * and PutLogEvents. Classification is not done here (see aws-error.c). Bodies come from the
 * network: everything is bounded (1 MiB, JSON depth 32, XML depth 64, tokens 128 bytes,
 * messages 8 KiB), real parsers are used throughout, malformed input is -EBADMSG and output
 * parameters are only written on success. Pure functions: no logging, no globals, any loop.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "common/aws-response.h"
#include "common/http.h"
#include "common/json-util.h"
#include "common/util.h"
#include "common/xml.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

#define CODE_MAX 128U
#define REQUEST_ID_MAX 128U

static const char *const aws_protocol_table[_AWS_PROTOCOL_MAX] = {
        [AWS_PROTOCOL_QUERY] = "query",
        [AWS_PROTOCOL_JSON10] = "json-1.0",
        [AWS_PROTOCOL_JSON11] = "json-1.1",
};

DEFINE_STRING_TABLE_LOOKUP(aws_protocol, AwsProtocol, _AWS_PROTOCOL_MAX);

static bool is_blank_char(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int aws_json_parse(const char *json, size_t size, struct json_object **ret)
{
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        enum json_tokener_error e;
        size_t end;

        if (!json && size > 0)
                return -EINVAL;
        if (size > AWS_BODY_MAX)
                return -EFBIG;
        if (size == 0 || memchr(json, 0, size))
                return -EBADMSG;

        tok = json_tokener_new_ex(AWS_JSON_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, json, (int) size);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (e == json_tokener_continue) {
                /* Values without an inherent end (a bare number) need the terminator. */
                o = json_tokener_parse_ex(tok, "", 1);
                e = json_tokener_get_error(tok);
                end = size;
        }
        if (e != json_tokener_success || !o)
                return -EBADMSG;
        for (size_t i = end; i < size; i++)
                if (!is_blank_char(json[i]))
                        return -EBADMSG;

        *ret = TAKE_PTR(o);
        return 0;
}

/* ---- error bodies ------------------------------------------------------------------------- */

const char *aws_response_header(const HttpResponse *resp, const char *name)
{
        for (size_t i = 0; resp->headers && i < resp->n_headers; i++)
                if (resp->headers[i].name && strcasecmp(resp->headers[i].name, name) == 0)
                        return resp->headers[i].value;
        return NULL;
}

/* Validate and copy a token (code, type, request id): trimmed, [!-~] only, bounded. */
static int token_dup(const char *s, size_t n, size_t max, bool code_chars, char **ret)
{
        while (n > 0 && is_blank_char(*s))
                s++, n--;
        while (n > 0 && is_blank_char(s[n - 1]))
                n--;
        *ret = NULL;
        if (n == 0 || n > max)
                return 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                bool ok = code_chars ? ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
                                     : (c > ' ' && c < 127);

                if (!ok)
                        return 0;
        }
        *ret = strndup(s, n);
        return *ret ? 0 : -ENOMEM;
}

/*
 * botocore's normalisation of "__type" and x-amzn-ErrorType: drop everything from the first ':'
 * ("ValidationException:http://internal..."), then keep what follows the last '#'
 * ("com.amazonaws.cloudwatch#InvalidParameterValueException").
 */
static int code_dup(const char *s, char **ret)
{
        size_t n = strcspn(s, ":");
        const char *hash = NULL;

        for (size_t i = 0; i < n; i++)
                if (s[i] == '#')
                        hash = s + i;
        if (hash) {
                n -= (size_t) (hash + 1 - s);
                s = hash + 1;
        }
        return token_dup(s, n, CODE_MAX, /* code_chars= */ true, ret);
}

/* Copy an AWS message: trimmed, capped on a UTF-8 boundary, control characters blanked. */
int aws_message_dup(const char *s, char **ret)
{
        size_t n = strnlen(s, AWS_MESSAGE_MAX + 1);
        char *m;

        if (n > AWS_MESSAGE_MAX) {
                n = AWS_MESSAGE_MAX;
                while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                        n--;
        }
        while (n > 0 && is_blank_char(*s))
                s++, n--;
        while (n > 0 && is_blank_char(s[n - 1]))
                n--;
        *ret = NULL;
        if (n == 0)
                return 0;
        m = strndup(s, n);
        if (!m)
                return -ENOMEM;
        for (char *p = m; *p; p++)
                if ((unsigned char) *p < ' ' && *p != '\n' && *p != '\t')
                        *p = ' ';
                else if (*p == 127)
                        *p = ' ';
                else if (utf8_is_c1(p))
                        p[0] = p[1] = ' ';  /* C1: U+009B is a terminal's CSI */
        *ret = m;
        return 0;
}

void aws_error_body_done(AwsErrorBody *f)
{
        free(f->code);
        free(f->type);
        free(f->message);
        free(f->request_id);
        free(f->request_time);
        free(f->server_time);
        *f = (AwsErrorBody) {};
}

typedef enum BodyKind {
        BODY_XML,
        BODY_JSON,
        BODY_OTHER,
} BodyKind;

/* Parse by what the server says it sent; the protocol only decides when it says nothing. */
static BodyKind body_kind(const HttpResponse *resp, AwsProtocol proto)
{
        const char *content_type = resp->content_type ?: aws_response_header(resp, "Content-Type");
        size_t n;

        if (!content_type)
                return proto == AWS_PROTOCOL_QUERY ? BODY_XML : BODY_JSON;
        while (is_blank_char(*content_type))
                content_type++;
        n = strcspn(content_type, ";");
        while (n > 0 && is_blank_char(content_type[n - 1]))
                n--;
        if (n == 0)
                return proto == AWS_PROTOCOL_QUERY ? BODY_XML : BODY_JSON;

#define MEDIA_IS(s) (n == STRLEN(s) && strncasecmp(content_type, s, n) == 0)
        if (MEDIA_IS("text/xml") || MEDIA_IS("application/xml"))
                return BODY_XML;
        if (MEDIA_IS("application/json") || MEDIA_IS("application/x-amz-json-1.0") ||
            MEDIA_IS("application/x-amz-json-1.1"))
                return BODY_JSON;
#undef MEDIA_IS
        return BODY_OTHER;
}

enum {
        SLOT_CODE,
        SLOT_TYPE,
        SLOT_MESSAGE,
        SLOT_REQUEST_ID,
        SLOT_REQUEST_TIME,
        SLOT_SERVER_TIME,
        _SLOT_MAX,
};

/* Query errors: "ErrorResponse/Error" (optionally "ErrorResponse/Errors/Error"), EC2's
 * "Response/Errors/Error", S3's bare "Error". */
#define ERROR_PATHS(leaf, slot)                                                               \
        { "/ErrorResponse/Error/" leaf, slot }, { "/ErrorResponse/Errors/Error/" leaf, slot }, \
        { "/Response/Errors/Error/" leaf, slot }, { "/Error/" leaf, slot }

static void slots_free(char *(*v)[_SLOT_MAX])
{
        for (size_t i = 0; i < _SLOT_MAX; i++)
                free((*v)[i]);
}

static int xml_error_fields(const char *body, size_t size, AwsErrorBody *f)
{
        static const XmlPath paths[] = {
                ERROR_PATHS("Code", SLOT_CODE),
                ERROR_PATHS("Type", SLOT_TYPE),
                ERROR_PATHS("Message", SLOT_MESSAGE),
                ERROR_PATHS("RequestTime", SLOT_REQUEST_TIME),
                ERROR_PATHS("ServerTime", SLOT_SERVER_TIME),
                { "/ErrorResponse/RequestId", SLOT_REQUEST_ID },
                { "/ErrorResponse/RequestID", SLOT_REQUEST_ID },
                { "/Response/RequestID", SLOT_REQUEST_ID },
                { "/Response/RequestId", SLOT_REQUEST_ID },
                { "/Error/RequestId", SLOT_REQUEST_ID },
                { "/*/ResponseMetadata/RequestId", SLOT_REQUEST_ID },
        };
        _cleanup_(slots_free) char *v[_SLOT_MAX] = {};
        int r;

        r = xml_extract(body, size, paths, ELEMENTSOF(paths), v, _SLOT_MAX);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;  /* not XML we can read: no fields */

        if (v[SLOT_CODE]) {
                r = code_dup(v[SLOT_CODE], &f->code);
                if (r < 0)
                        return r;
        }
        if (v[SLOT_TYPE]) {
                r = token_dup(v[SLOT_TYPE], strlen(v[SLOT_TYPE]), CODE_MAX, true, &f->type);
                if (r < 0)
                        return r;
        }
        if (v[SLOT_MESSAGE]) {
                r = aws_message_dup(v[SLOT_MESSAGE], &f->message);
                if (r < 0)
                        return r;
        }
        if (v[SLOT_REQUEST_ID]) {
                r = token_dup(v[SLOT_REQUEST_ID], strlen(v[SLOT_REQUEST_ID]), REQUEST_ID_MAX,
                              false, &f->request_id);
                if (r < 0)
                        return r;
        }
        f->request_time = TAKE_PTR(v[SLOT_REQUEST_TIME]);
        f->server_time = TAKE_PTR(v[SLOT_SERVER_TIME]);
        return 0;
}

static int json_error_fields(const char *body, size_t size, AwsErrorBody *f)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        struct json_object *m;
        int r;

        r = aws_json_parse(body, size, &o);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !json_object_is_type(o, json_type_object))
                return 0;

        if (json_object_object_get_ex(o, "__type", &m) &&
            json_object_is_type(m, json_type_string)) {
                r = code_dup(json_object_get_string(m), &f->code);
                if (r < 0)
                        return r;
        }
        /* botocore: body.get('message', body.get('Message', '')). */
        if ((json_object_object_get_ex(o, "message", &m) &&
             json_object_is_type(m, json_type_string)) ||
            (json_object_object_get_ex(o, "Message", &m) &&
             json_object_is_type(m, json_type_string))) {
                r = aws_message_dup(json_object_get_string(m), &f->message);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int error_body_extract(const HttpResponse *resp, AwsProtocol proto, AwsErrorBody *f)
{
        const char *query_error, *error_type, *request_id, *body = resp->body;
        size_t size = body ? resp->body_size : 0;
        int r = 0;

        if (size > 0 && size <= AWS_BODY_MAX)
                switch (body_kind(resp, proto)) {
                case BODY_XML:
                        r = xml_error_fields(body, size, f);
                        break;
                case BODY_JSON:
                        r = json_error_fields(body, size, f);
                        break;
                case BODY_OTHER:
                        break;
                }
        if (r < 0)
                return r;

        /*
         * Query-compatible JSON (CloudWatch): "x-amzn-query-error: InvalidParameterValue;Sender"
         * carries the legacy query code, which wins over "__type".
         */
        query_error = resp->query_error ?: aws_response_header(resp, "x-amzn-query-error");
        if (query_error) {
                _cleanup_free_ char *code = NULL, *type = NULL;
                size_t n = strcspn(query_error, ";");

                r = token_dup(query_error, n, CODE_MAX, true, &code);
                if (r < 0)
                        return r;
                if (query_error[n] == ';') {
                        r = token_dup(query_error + n + 1, strcspn(query_error + n + 1, ";"),
                                      CODE_MAX, true, &type);
                        if (r < 0)
                                return r;
                }
                if (code) {
                        free(f->code);
                        f->code = TAKE_PTR(code);
                }
                if (type) {
                        free(f->type);
                        f->type = TAKE_PTR(type);
                }
        }

        error_type = aws_response_header(resp, "x-amzn-ErrorType");
        if (!f->code && error_type) {
                r = code_dup(error_type, &f->code);
                if (r < 0)
                        return r;
        }

        request_id = resp->request_id ?: aws_response_header(resp, "x-amzn-RequestId")
                                       ?: aws_response_header(resp, "x-amz-request-id");
        if (request_id) {
                _cleanup_free_ char *id = NULL;

                r = token_dup(request_id, strlen(request_id), REQUEST_ID_MAX, false, &id);
                if (r < 0)
                        return r;
                if (id) {
                        free(f->request_id);
                        f->request_id = TAKE_PTR(id);
                }
        }
        return 0;
}

int aws_error_body_parse(const HttpResponse *resp, AwsProtocol proto, AwsErrorBody *ret)
{
        _cleanup_(aws_error_body_done) AwsErrorBody b = {};
        int r;

        if (!resp || !ret || proto < 0 || proto >= _AWS_PROTOCOL_MAX)
                return -EINVAL;
        r = error_body_extract(resp, proto, &b);
        if (r < 0)
                return r;
        *ret = b;
        b = (AwsErrorBody) {};
        return 0;
}

int aws_response_request_id(const HttpResponse *resp, AwsProtocol proto, char **ret)
{
        static const XmlPath paths[] = { { "/*/ResponseMetadata/RequestId", 0 } };
        const char *id = resp->request_id ?: aws_response_header(resp, "x-amzn-RequestId")
                                          ?: aws_response_header(resp, "x-amz-request-id");
        _cleanup_free_ char *v = NULL, *t = NULL;
        int r;

        if (!id && resp->body && resp->body_size > 0 && body_kind(resp, proto) == BODY_XML) {
                /* Query replies repeat it in ResponseMetadata; STS omits the header at times. */
                r = xml_extract(resp->body, resp->body_size, paths, 1, &v, 1);
                if (r == -ENOMEM)
                        return r;
                id = v;
        }
        if (id) {
                r = token_dup(id, strlen(id), REQUEST_ID_MAX, /* code_chars= */ false, &t);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

/* ---- success bodies ----------------------------------------------------------------------- */

static bool is_blank(const char *s, size_t size)
{
        for (size_t i = 0; s && i < size; i++)
                if (!is_blank_char(s[i]))
                        return false;
        return true;
}

/* Strip ASCII whitespace at both ends, in place. */
static char *strip(char *s)
{
        size_t lead, n;

        if (!s)
                return NULL;
        lead = strspn(s, " \t\n\r");
        n = strlen(s + lead);
        memmove(s, s + lead, n + 1);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                         s[n - 1] == '\r'))
                s[--n] = 0;
        return s;
}

void sts_caller_identity_done(StsCallerIdentity *id)
{
        if (!id)
                return;
        free(id->arn);
        free(id->user_id);
        free(id->account);
        free(id->request_id);
        *id = (StsCallerIdentity) {};
}

enum {
        STS_ARN,
        STS_USER_ID,
        STS_ACCOUNT,
        STS_REQUEST_ID,
        _STS_MAX,
};

static void sts_values_free(char *(*v)[_STS_MAX])
{
        for (size_t i = 0; i < _STS_MAX; i++)
                free((*v)[i]);
}

static bool is_account_id(const char *s)
{
        if (strlen(s) != 12)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int sts_parse_caller_identity(const char *xml, size_t size, StsCallerIdentity *ret)
{
        static const XmlPath paths[] = {
                { "/GetCallerIdentityResponse/GetCallerIdentityResult/Arn", STS_ARN },
                { "/GetCallerIdentityResponse/GetCallerIdentityResult/UserId", STS_USER_ID },
                { "/GetCallerIdentityResponse/GetCallerIdentityResult/Account", STS_ACCOUNT },
                { "/GetCallerIdentityResponse/ResponseMetadata/RequestId", STS_REQUEST_ID },
        };
        _cleanup_(sts_values_free) char *v[_STS_MAX] = {};
        int r;

        r = xml_extract(xml, size, paths, ELEMENTSOF(paths), v, _STS_MAX);
        if (r < 0)
                return r;
        for (size_t i = 0; i < _STS_MAX; i++)
                strip(v[i]);

        if (isempty(v[STS_ARN]) || isempty(v[STS_USER_ID]) || isempty(v[STS_ACCOUNT]) ||
            strncmp(v[STS_ARN], "arn:", 4) != 0 || !is_account_id(v[STS_ACCOUNT]))
                return -EBADMSG;
        /* These end up in the journal and the status file: no spaces, no control characters. */
        for (size_t i = 0; i < _STS_MAX; i++)
                if (v[i] && (string_has_cc(v[i], NULL) || strchr(v[i], ' ')))
                        return -EBADMSG;
        if (isempty(v[STS_REQUEST_ID])) {
                free(v[STS_REQUEST_ID]);
                v[STS_REQUEST_ID] = NULL;
        }

        *ret = (StsCallerIdentity) {
                .arn = TAKE_PTR(v[STS_ARN]),
                .user_id = TAKE_PTR(v[STS_USER_ID]),
                .account = TAKE_PTR(v[STS_ACCOUNT]),
                .request_id = TAKE_PTR(v[STS_REQUEST_ID]),
        };
        return 0;
}

void sts_assumed_role_done(StsAssumedRole *r)
{
        if (!r)
                return;
        free(r->access_key_id);
        erase_and_free(r->secret_access_key);
        erase_and_free(r->session_token);
        free(r->arn);
        free(r->assumed_role_id);
        free(r->request_id);
        *r = (StsAssumedRole) {};
}

enum {
        AR_KEY_ID,
        AR_SECRET,
        AR_TOKEN,
        AR_EXPIRATION,
        AR_ARN,
        AR_ROLE_ID,
        AR_REQUEST_ID,
        _AR_MAX,
};

static void assume_role_values_free(char *(*v)[_AR_MAX])
{
        for (size_t i = 0; i < _AR_MAX; i++)
                erase_and_free((*v)[i]);
}

/* Printable ASCII without spaces: what a key, a token or an ARN may be made of. */
static bool is_token_text(const char *s)
{
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s >= 0x7f)
                        return false;
        return true;
}

static bool is_access_key_id(const char *s)
{
        size_t n = strlen(s);

        if (n < 16 || n > 128)
                return false;
        for (; *s; s++)
                if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

int sts_parse_assume_role(const char *xml, size_t size, StsAssumedRole *ret)
{
#define AR_RESULT "/AssumeRoleResponse/AssumeRoleResult"
        static const XmlPath paths[] = {
                { AR_RESULT "/Credentials/AccessKeyId", AR_KEY_ID },
                { AR_RESULT "/Credentials/SecretAccessKey", AR_SECRET },
                { AR_RESULT "/Credentials/SessionToken", AR_TOKEN },
                { AR_RESULT "/Credentials/Expiration", AR_EXPIRATION },
                { AR_RESULT "/AssumedRoleUser/Arn", AR_ARN },
                { AR_RESULT "/AssumedRoleUser/AssumedRoleId", AR_ROLE_ID },
                { "/AssumeRoleResponse/ResponseMetadata/RequestId", AR_REQUEST_ID },
        };
#undef AR_RESULT
        _cleanup_(assume_role_values_free) char *v[_AR_MAX] = {};
        usec_t expiration;
        int r;

        r = xml_extract(xml, size, paths, ELEMENTSOF(paths), v, _AR_MAX);
        if (r < 0)
                return r;
        for (size_t i = 0; i < _AR_MAX; i++)
                strip(v[i]);

        /* Everything but the secrets ends up in the journal and the status file. */
        if (!v[AR_KEY_ID] || !is_access_key_id(v[AR_KEY_ID]) || !is_token_text(v[AR_SECRET]) ||
            !is_token_text(v[AR_TOKEN]) || !is_token_text(v[AR_ARN]) ||
            strncmp(v[AR_ARN], "arn:", 4) != 0 || !v[AR_EXPIRATION] ||
            iso8601_parse(v[AR_EXPIRATION], &expiration) < 0 || expiration == 0)
                return -EBADMSG;
        if (v[AR_ROLE_ID] && !is_token_text(v[AR_ROLE_ID]))
                return -EBADMSG;
        if (v[AR_REQUEST_ID] && !is_token_text(v[AR_REQUEST_ID]))
                v[AR_REQUEST_ID] = mfree(v[AR_REQUEST_ID]);

        *ret = (StsAssumedRole) {
                .access_key_id = TAKE_PTR(v[AR_KEY_ID]),
                .secret_access_key = TAKE_PTR(v[AR_SECRET]),
                .session_token = TAKE_PTR(v[AR_TOKEN]),
                .expiration = expiration,
                .arn = TAKE_PTR(v[AR_ARN]),
                .assumed_role_id = TAKE_PTR(v[AR_ROLE_ID]),
                .request_id = TAKE_PTR(v[AR_REQUEST_ID]),
        };
        return 0;
}

int cloudwatch_check_put_metric_data(const char *xml, size_t size)
{
        static const XmlPath paths[] = { { "/PutMetricDataResponse", 0 } };
        _cleanup_free_ char *root = NULL;
        int r;

        r = xml_extract(xml, size, paths, ELEMENTSOF(paths), &root, 1);
        if (r < 0)
                return r;
        return root ? 0 : -EBADMSG;
}

/* Look up @key in @o and require @type (or absence). Return: 1 present, 0 absent, -EBADMSG. */
static int json_member(struct json_object *o, const char *key, json_type type,
                       struct json_object **ret)
{
        struct json_object *m;

        if (!json_object_object_get_ex(o, key, &m) || json_object_is_type(m, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(m, type))
                return -EBADMSG;
        *ret = m;
        return 1;
}

int logs_parse_describe_log_streams(const char *json, size_t size, char ***ret_names,
                                    char **ret_next_token)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *next = NULL;
        struct json_object *streams, *token;
        size_t n;
        int r;

        r = aws_json_parse(json, size, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;

        r = json_member(o, "logStreams", json_type_array, &streams);
        if (r < 0)
                return r;
        n = streams ? json_object_array_length(streams) : 0;
        for (size_t i = 0; i < n; i++) {
                struct json_object *s = json_object_array_get_idx(streams, i), *name;

                if (!json_object_is_type(s, json_type_object))
                        return -EBADMSG;
                r = json_member(s, "logStreamName", json_type_string, &name);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -EBADMSG;
                r = strv_extend(&names, json_object_get_string(name));
                if (r < 0)
                        return r;
        }

        r = json_member(o, "nextToken", json_type_string, &token);
        if (r < 0)
                return r;
        if (token && ret_next_token) {
                next = strdup(json_object_get_string(token));
                if (!next)
                        return -ENOMEM;
        }

        *ret_names = TAKE_PTR(names);
        if (ret_next_token)
                *ret_next_token = TAKE_PTR(next);
        return 0;
}

void logs_put_log_events_result_done(LogsPutLogEventsResult *r)
{
        if (!r)
                return;
        free(r->rejected_entity_error_type);
        *r = (LogsPutLogEventsResult) {
                .too_new_start_index = -1,
                .too_old_end_index = -1,
                .expired_end_index = -1,
        };
}

bool logs_put_log_events_rejected(const LogsPutLogEventsResult *r)
{
        return r->too_new_start_index >= 0 || r->too_old_end_index >= 0 ||
               r->expired_end_index >= 0 || r->rejected_entity_error_type;
}

static int json_index(struct json_object *o, const char *key, int64_t *ret)
{
        struct json_object *m;
        int r;

        r = json_member(o, key, json_type_int, &m);
        if (r < 0)
                return r;
        *ret = r > 0 ? json_object_get_int64(m) : -1;
        return 0;
}

int logs_parse_put_log_events(const char *json, size_t size, LogsPutLogEventsResult *ret)
{
        _cleanup_(json_object_putp) struct json_object *o = NULL;
        _cleanup_(logs_put_log_events_result_done) LogsPutLogEventsResult res = {};
        struct json_object *info, *entity, *type;
        int r;

        logs_put_log_events_result_done(&res);

        /* An empty reply (as CreateLogStream sends) means nothing was rejected. */
        if (is_blank(json, size)) {
                *ret = res;
                res = (LogsPutLogEventsResult) {};
                return 0;
        }

        r = aws_json_parse(json, size, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;

        r = json_member(o, "rejectedLogEventsInfo", json_type_object, &info);
        if (r < 0)
                return r;
        if (info) {
                r = json_index(info, "tooNewLogEventStartIndex", &res.too_new_start_index);
                if (r < 0)
                        return r;
                r = json_index(info, "tooOldLogEventEndIndex", &res.too_old_end_index);
                if (r < 0)
                        return r;
                r = json_index(info, "expiredLogEventEndIndex", &res.expired_end_index);
                if (r < 0)
                        return r;
        }

        r = json_member(o, "rejectedEntityInfo", json_type_object, &entity);
        if (r < 0)
                return r;
        if (entity) {
                r = json_member(entity, "errorType", json_type_string, &type);
                if (r < 0)
                        return r;
                if (type) {
                        res.rejected_entity_error_type = strdup(json_object_get_string(type));
                        if (!res.rejected_entity_error_type)
                                return -ENOMEM;
                }
        }

        *ret = res;
        res = (LogsPutLogEventsResult) {};
        return 0;
}
