#pragma once
/* SPDX-License-Identifier: MIT */
/* aws-response.h: AWS reply bodies to fields: error bodies, STS and CloudWatch Logs successes. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

struct json_object;
typedef struct HttpResponse HttpResponse;

/* The wire protocol a reply came back in; it decides where the error code lives. */
typedef enum AwsProtocol {
        AWS_PROTOCOL_QUERY,   /* awsQuery: STS, CloudWatch query; XML bodies */
        AWS_PROTOCOL_JSON10,  /* awsJson1_0 with x-amzn-query-error: CloudWatch */
        AWS_PROTOCOL_JSON11,  /* awsJson1_1: CloudWatch Logs */
        _AWS_PROTOCOL_MAX,
        _AWS_PROTOCOL_INVALID = -EINVAL,
} AwsProtocol;

/**
 * aws_protocol_to_string() - "query", "json-1.0" or "json-1.1"; NULL if out of range.
 * aws_protocol_from_string() is the inverse (_AWS_PROTOCOL_INVALID for an unknown name).
 */
const char *aws_protocol_to_string(AwsProtocol p) _const_;
AwsProtocol aws_protocol_from_string(const char *s) _pure_;

/* Messages are cut (on a UTF-8 boundary) to this many bytes; AWS sends a few hundred. */
#define AWS_MESSAGE_MAX 8192U

/* Bodies above this size are refused (-EFBIG); the HTTP layer caps at 1 MiB as well. */
#define AWS_BODY_MAX (1024U * 1024U)
/* JSON nesting deeper than this is refused (-EBADMSG); AWS replies nest 3 or 4 levels. */
#define AWS_JSON_MAX_DEPTH 32

/**
 * aws_json_parse() - parse one JSON value, strictly, from untrusted bytes.
 * @json: the text; need not be NUL-terminated.
 * @size: its length.
 * @ret: the value (any JSON type; check it); release with json_object_put().
 *
 * Refuses embedded NULs, invalid UTF-8, trailing non-whitespace, nesting deeper than
 * AWS_JSON_MAX_DEPTH and bodies above AWS_BODY_MAX. json-c's tokener is iterative.
 *
 * Return: 0; -EBADMSG if the text is not one well-formed JSON value; -EFBIG; -ENOMEM.
 */
int aws_json_parse(const char *json, size_t size, struct json_object **ret);

/**
 * aws_response_header() - the value of header @name of @resp (case-insensitive), or NULL.
 *
 * Reads HttpResponse.headers directly, so responses built by hand (tests, fuzzers) work too.
 */
const char *aws_response_header(const HttpResponse *resp, const char *name) _pure_;

/**
 * aws_message_dup() - copy a message for display: trimmed, at most AWS_MESSAGE_MAX bytes (cut
 * on a UTF-8 boundary), control characters other than tab and newline replaced by spaces.
 * @s: the text.
 * @ret: the copy, NULL if nothing is left.
 *
 * Return: 0 or -ENOMEM.
 */
int aws_message_dup(const char *s, char **ret);

/* What an AWS error reply says, before classification. NULL where it says nothing usable. */
typedef struct AwsErrorBody {
        char *code;          /* "AccessDenied": stripped, [A-Za-z0-9._-] only, <= 128 bytes */
        char *type;          /* "Sender" / "Receiver" */
        char *message;       /* see aws_message_dup() */
        char *request_id;    /* header first, else the body's; printable, no spaces */
        char *request_time;  /* S3-style RequestTimeTooSkewed: <RequestTime>, raw */
        char *server_time;   /* ... and <ServerTime>, raw */
} AwsErrorBody;

/**
 * aws_error_body_done() - free what @b owns and reset it (idempotent).
 */
void aws_error_body_done(AwsErrorBody *b);

/**
 * aws_error_body_parse() - extract the error fields of a non-2xx reply.
 * @resp: the response.
 * @proto: the protocol of the request; picks the parser when Content-Type is absent.
 * @ret: the fields; untouched on failure.
 *
 * The body is parsed by its Content-Type (text/xml, application/xml: XML; application/json,
 * application/x-amz-json-1.x: JSON; anything else, e.g. text/html: not at all). The code is,
 * in order: the x-amzn-query-error header's first ';' field (CloudWatch JSON: the legacy query
 * code), the body's code (XML Error/Code with or without an Errors wrapper, EC2's
 * Response/Errors/Error, S3's bare Error; JSON "__type" up to the first ':' and after the last
 * '#'), then the x-amzn-ErrorType header stripped the same way. A body that cannot be parsed
 * simply contributes nothing.
 *
 * Return: 0, or -ENOMEM.
 */
int aws_error_body_parse(const HttpResponse *resp, AwsProtocol proto, AwsErrorBody *ret);

/**
 * aws_response_request_id() - the request id of a reply: the x-amzn-RequestId /
 * x-amz-request-id header, else (XML bodies) the root's ResponseMetadata/RequestId.
 * @resp: the response.
 * @proto: as for aws_error_body_parse().
 * @ret: the id, or NULL if there is none (or it is not a printable token).
 *
 * Return: 0, or -ENOMEM.
 */
int aws_response_request_id(const HttpResponse *resp, AwsProtocol proto, char **ret);

/* The answer of STS GetCallerIdentity: who the credentials belong to. */
typedef struct StsCallerIdentity {
        char *arn;         /* "arn:aws:sts::123456789012:assumed-role/Role/i-0123..." */
        char *user_id;     /* "AROA...:i-0123..." or "AIDA..." */
        char *account;     /* 12 digits */
        char *request_id;  /* ResponseMetadata/RequestId, NULL if absent */
} StsCallerIdentity;

/**
 * sts_caller_identity_done() - free the strings of @id and reset it (idempotent).
 */
void sts_caller_identity_done(StsCallerIdentity *id);

/**
 * sts_parse_caller_identity() - parse a GetCallerIdentity success body (query protocol XML).
 * @xml: the body; need not be NUL-terminated.
 * @size: its length.
 * @ret: the identity; untouched on failure.
 *
 * Arn (starting "arn:"), UserId and Account (12 digits) must all be present under
 * GetCallerIdentityResponse/GetCallerIdentityResult; RequestId is optional.
 *
 * Return: 0; -EBADMSG if the body is malformed, of another shape or incomplete; -EFBIG; -ENOMEM.
 */
int sts_parse_caller_identity(const char *xml, size_t size, StsCallerIdentity *ret);

/* The answer of STS AssumeRole: a temporary session of the role. secret_access_key and
 * session_token are secrets, wiped by sts_assumed_role_done(). */
typedef struct StsAssumedRole {
        char *access_key_id;      /* "ASIA..." */
        char *secret_access_key;
        char *session_token;
        uint64_t expiration;      /* realtime µs (usec_t) */
        char *arn;                /* AssumedRoleUser/Arn: "arn:aws:sts::ACCOUNT:assumed-role/R/S" */
        char *assumed_role_id;    /* AssumedRoleUser/AssumedRoleId: "AROA...:S"; NULL if absent */
        char *request_id;         /* ResponseMetadata/RequestId, NULL if absent */
} StsAssumedRole;

/**
 * sts_assumed_role_done() - wipe the secret and the token, free the strings, reset (idempotent).
 * @r: the session, may be NULL.
 */
void sts_assumed_role_done(StsAssumedRole *r);

/**
 * sts_parse_assume_role() - parse an AssumeRole success body (query protocol XML).
 * @xml: the body; need not be NUL-terminated.
 * @size: its length.
 * @ret: the session; untouched on failure.
 *
 * AssumeRoleResponse/AssumeRoleResult/Credentials must hold AccessKeyId (16-128 of [A-Z0-9]),
 * SecretAccessKey and SessionToken (printable, no spaces) and Expiration (ISO 8601, UTC);
 * AssumedRoleUser/Arn must start "arn:". AssumedRoleId and RequestId are optional. Nothing of
 * the body is kept on failure, and no secret ever appears in an error.
 *
 * Return: 0; -EBADMSG if the body is malformed, of another shape or incomplete; -EFBIG; -ENOMEM.
 */
int sts_parse_assume_role(const char *xml, size_t size, StsAssumedRole *ret);

/**
 * cloudwatch_check_put_metric_data() - check a PutMetricData success body (query protocol XML).
 * @xml: the body; need not be NUL-terminated.
 * @size: its length.
 *
 * The answer carries no result, but it must be the well-formed PutMetricDataResponse document:
 * a 200 with anything else (garbage, an HTML page, an empty body) came from something in
 * between, and the data point may never have reached CloudWatch.
 *
 * Return: 0; -EBADMSG if the body is malformed or of another shape; -EFBIG; -ENOMEM.
 */
int cloudwatch_check_put_metric_data(const char *xml, size_t size);

/**
 * logs_parse_describe_log_streams() - parse a DescribeLogStreams success body.
 * @json: the body; need not be NUL-terminated.
 * @size: its length.
 * @ret_names: the logStreamName of each stream, in order, as a NULL-terminated vector (empty
 *             when the group has none); untouched on failure.
 * @ret_next_token: nextToken, or NULL if absent; may be NULL when not wanted.
 *
 * Return: 0; -EBADMSG if the body is not of the documented shape; -EFBIG; -ENOMEM.
 */
int logs_parse_describe_log_streams(const char *json, size_t size, char ***ret_names,
                                    char **ret_next_token);

/*
 * The partial rejection PutLogEvents reports with a 200 (too old / too new / expired events are
 * dropped while the rest is stored). Indexes are into the request's logEvents; -1 when absent.
 */
typedef struct LogsPutLogEventsResult {
        int64_t too_new_start_index;
        int64_t too_old_end_index;
        int64_t expired_end_index;
        char *rejected_entity_error_type;  /* rejectedEntityInfo.errorType, NULL if absent */
} LogsPutLogEventsResult;

/**
 * logs_put_log_events_result_done() - free what @r owns and reset it (idempotent).
 */
void logs_put_log_events_result_done(LogsPutLogEventsResult *r);

/**
 * logs_put_log_events_rejected() - whether any event or the entity was rejected.
 */
bool logs_put_log_events_rejected(const LogsPutLogEventsResult *r) _pure_;

/**
 * logs_parse_put_log_events() - parse a PutLogEvents success body.
 * @json: the body; need not be NUL-terminated. An empty body counts as "{}".
 * @size: its length.
 * @ret: the rejection info; untouched on failure.
 *
 * Return: 0; -EBADMSG if the body is not a JSON object or a member has the wrong type; -EFBIG;
 * -ENOMEM.
 */
int logs_parse_put_log_events(const char *json, size_t size, LogsPutLogEventsResult *ret);
