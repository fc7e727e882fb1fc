#pragma once
/* SPDX-License-Identifier: MIT */
/* aws-error.h: AWS replies to classified results (data, not errno), and access-denied parsing. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/aws-response.h"
#include "common/http.h"
#include "common/macro.h"
#include "common/result-class.h"
#include "common/util.h"

/* The policy layer an access-denied message names ("... in a service control policy"). */
typedef enum PolicyType {
        POLICY_TYPE_UNKNOWN,               /* "unknown": not named, or a bare "Access Denied" */
        POLICY_TYPE_IDENTITY_BASED,        /* "identity-based" */
        POLICY_TYPE_SERVICE_CONTROL,       /* "service-control" (SCP) */
        POLICY_TYPE_RESOURCE_CONTROL,      /* "resource-control" (RCP) */
        POLICY_TYPE_PERMISSIONS_BOUNDARY,  /* "permissions-boundary" */
        POLICY_TYPE_SESSION,               /* "session" (also the doc's "sessions policy") */
        POLICY_TYPE_RESOURCE_BASED,        /* "resource-based" */
        POLICY_TYPE_VPC_ENDPOINT,          /* "vpc-endpoint" */
        POLICY_TYPE_ROLE_TRUST,            /* "role-trust" */
        _POLICY_TYPE_MAX,
        _POLICY_TYPE_INVALID = -EINVAL,
} PolicyType;

/**
 * policy_type_to_string() - the stable name ("service-control", ...); NULL if out of range.
 * policy_type_from_string() is the inverse (_POLICY_TYPE_INVALID for an unknown name).
 */
const char *policy_type_to_string(PolicyType t) _const_;
PolicyType policy_type_from_string(const char *s) _pure_;

typedef enum DenyKind {
        DENY_KIND_UNKNOWN,   /* "unknown": the message does not say */
        DENY_KIND_EXPLICIT,  /* "explicit": "with an explicit deny in ..." */
        DENY_KIND_IMPLICIT,  /* "implicit": "because no ... policy allows ..." */
        _DENY_KIND_MAX,
        _DENY_KIND_INVALID = -EINVAL,
} DenyKind;

/**
 * deny_kind_to_string() - "unknown", "explicit" or "implicit"; NULL if out of range.
 * deny_kind_from_string() is the inverse (_DENY_KIND_INVALID for an unknown name).
 */
const char *deny_kind_to_string(DenyKind k) _const_;
DenyKind deny_kind_from_string(const char *s) _pure_;

/* What an access-denied message says; NULL strings where it does not say. */
typedef struct AccessDenied {
        char *principal;          /* "arn:aws:sts::123456789012:assumed-role/Role/i-0123..." */
        char *action;             /* "logs:PutLogEvents" */
        char *resource;           /* "arn:aws:logs:...:log-group:g"; NULL for PutMetricData */
        PolicyType policy_type;
        DenyKind deny;
        char *policy_arn;         /* the denying policy: 2026 ": arn:...", S3 "with policy ARN:" */
        bool transitive_via_scp;  /* "... transitively through a service control policy" */
} AccessDenied;

/**
 * access_denied_done() - free the strings of @d and reset it to all-unknown (idempotent).
 */
void access_denied_done(AccessDenied *d);

/**
 * access_denied_parse() - parse the natural-language text of an access-denied error.
 * @message: e.g. "User: arn:... is not authorized to perform: logs:PutLogEvents on resource:
 *           arn:... because no identity-based policy allows the logs:PutLogEvents action".
 *           EC2's "You are not authorized to perform this operation. User: ..." form, the
 *           "Encoded authorization failure message" tail, trailing dots, S3's quoted resources
 *           and the KMS "... used with Arn '<arn>'" text are understood too. Only the first
 *           AWS_MESSAGE_MAX bytes are looked at; work is linear in that.
 * @ret: what was found; fields the message does not carry stay NULL/unknown. Untouched on
 *       failure.
 *
 * Return: 1 if the "<principal> is not authorized to perform: <action>" grammar was found, 0 if
 *         not (a bare "Access Denied"; @ret is still filled with whatever was recognised),
 *         -EINVAL if @message is NULL, -ENOMEM.
 */
int access_denied_parse(const char *message, AccessDenied *ret);

/**
 * aws_clock_skew_from_message() - the clock offset a SigV4 time-window rejection reports.
 * @message: "Signature expired: 20240217T171323Z is now earlier than 20240217T173539Z
 *           (20240217T175039Z - 15 min.)" or "Signature not yet current: <req> is still later
 *           than <limit> (<server now> + 5 min.)".
 * @ret_offset_sec: server time minus local time (the request's X-Amz-Date), in seconds:
 *                  positive when the local clock is behind, negative when it is ahead. This is
 *                  the sign the AWS SDKs use for their systemClockOffset.
 *
 * Return: 0, or -ENODATA if @message holds no such text with both timestamps.
 */
int aws_clock_skew_from_message(const char *message, int64_t *ret_offset_sec);

/**
 * aws_error_classify() - the class of an error reply from its status, code and message.
 * @status: the HTTP status (not 2xx).
 * @code: the AWS error code, already extracted and stripped; NULL if there is none.
 * @message: the error message, NULL if none.
 *
 * The code decides where it is known (so a 503 "SlowDown" is throttled, a 400 "Throttling"
 * too); without a known code a 429 is throttled and a 5xx a server error; an unknown code falls
 * back to the status (403 access-denied, 404 resource-not-found, other 4xx invalid-request).
 * With no code at all a non-5xx, non-429 reply is a bad response. A "Signature expired:" or
 * "Signature not yet current:" message is clock skew whatever the code, and an access denial
 * about a KMS key is kms-denied.
 *
 * Return: the class.
 */
ResultClass aws_error_classify(long status, const char *code, const char *message) _pure_;

/*
 * One AWS exchange, classified. A 4xx/5xx reply is a successful exchange that fills this; the
 * function return values only report local failures (OOM, bad arguments).
 */
typedef struct AwsResult {
        ResultClass class;
        long http_status;         /* 0 if no response arrived */
        char *code;               /* "AccessDenied", "ThrottlingException", ...; NULL if none */
        char *error_type;         /* "Sender" / "Receiver", if the reply says */
        char *message;            /* AWS's text (control characters blanked, capped); or the
                                   * transport's detail text for a transport failure */
        char *request_id;         /* for AWS support; NULL if the reply carries none */
        AccessDenied denied;      /* parsed message for access-denied and kms-denied */
        int64_t clock_offset_sec; /* server minus local time, see aws_clock_skew_from_message() */
        bool has_clock_offset;    /* clock_offset_sec is known (only for clock-skew) */
        bool transient;           /* a retry may help: throttled, server error, timeout, reset */
        usec_t retry_after;       /* the reply's Retry-After (delta seconds), 0 if none */
} AwsResult;

/**
 * aws_result_done() - free what @r owns and reset it (idempotent).
 */
void aws_result_done(AwsResult *r);

/**
 * aws_result_from_response_at() - classify a completed exchange.
 * @resp: the response (a transport failure is classified too).
 * @proto: the protocol the request was made in.
 * @local_time: local realtime when the request was signed (its X-Amz-Date) or the response
 *              arrived; used only to compute a clock-skew offset from the response's Date
 *              header when the message carries no timestamps. 0: unknown.
 * @ret: the result; untouched on failure.
 *
 * Code: for JSON the x-amzn-query-error header's first field, else "__type" (through the last
 * '#', before any ':'), else the x-amzn-ErrorType header; for XML Error/Code with or without an
 * Errors wrapper or EC2's Response root. The body is parsed by its Content-Type (protocol
 * default when absent); HTML, garbage, truncated or oversized bodies give bad-response unless
 * the status alone says enough (429 throttled, 5xx server-error).
 *
 * Return: 0, -EINVAL, or -ENOMEM.
 */
int aws_result_from_response_at(const HttpResponse *resp, AwsProtocol proto, usec_t local_time,
                                AwsResult *ret);

/**
 * aws_result_from_response() - aws_result_from_response_at() with the current realtime clock
 * as @local_time (right for callers classifying a response as soon as it arrives).
 */
int aws_result_from_response(const HttpResponse *resp, AwsProtocol proto, AwsResult *ret);
