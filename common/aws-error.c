/* SPDX-License-Identifier: MIT */
/*
 * aws-error.c: turns a completed HTTP exchange with an AWS endpoint into an AwsResult, the data
 * every probe reports: one stable class, the AWS error code, message and request id, and for
 * the classes that need it the parsed access-denied message (which policy layer denied which
 * action on what) or the clock offset a SigV4 rejection reveals. The bodies themselves are read
 * by real parsers in common/aws-response.c; what is searched for phrases here is only the
 * already-extracted message, which is natural-language text. Everything is pure: no logging,
 * no I/O, no globals. Messages are untrusted, so at most 8 KiB of one is looked at and every
 * scan is linear.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/aws-error.h"

static const char *const policy_type_table[_POLICY_TYPE_MAX] = {
        [POLICY_TYPE_UNKNOWN] = "unknown",
        [POLICY_TYPE_IDENTITY_BASED] = "identity-based",
        [POLICY_TYPE_SERVICE_CONTROL] = "service-control",
        [POLICY_TYPE_RESOURCE_CONTROL] = "resource-control",
        [POLICY_TYPE_PERMISSIONS_BOUNDARY] = "permissions-boundary",
        [POLICY_TYPE_SESSION] = "session",
        [POLICY_TYPE_RESOURCE_BASED] = "resource-based",
        [POLICY_TYPE_VPC_ENDPOINT] = "vpc-endpoint",
        [POLICY_TYPE_ROLE_TRUST] = "role-trust",
};

static const char *const deny_kind_table[_DENY_KIND_MAX] = {
        [DENY_KIND_UNKNOWN] = "unknown",
        [DENY_KIND_EXPLICIT] = "explicit",
        [DENY_KIND_IMPLICIT] = "implicit",
};

DEFINE_STRING_TABLE_LOOKUP(policy_type, PolicyType, _POLICY_TYPE_MAX);

DEFINE_STRING_TABLE_LOOKUP(deny_kind, DenyKind, _DENY_KIND_MAX);

/* ---- access-denied messages ---------------------------------------------------------------- */

void access_denied_done(AccessDenied *d)
{
        if (!d)
                return;
        free(d->principal);
        free(d->action);
        free(d->resource);
        free(d->policy_arn);
        *d = (AccessDenied) {};
}

static bool startswith_len(const char *s, const char *prefix, size_t *ret_len)
{
        size_t n = strlen(prefix);

        if (strncmp(s, prefix, n) != 0)
                return false;
        if (ret_len)
                *ret_len = n;
        return true;
}

static bool is_blank_char(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Copy the whitespace-delimited word at @p (leading blanks skipped), minus the sentence
 * punctuation and quotes AWS puts around ARNs ("on resource: \"arn:...\"", "...:role/x.").
 * *ret is NULL if the word is empty. @ret_end, if given, points past the word.
 */
static int word_dup(const char *p, const char **ret_end, char **ret)
{
        const char *s, *e;

        while (is_blank_char(*p))
                p++;
        s = p;
        while (*p && !is_blank_char(*p))
                p++;
        e = p;
        if (ret_end)
                *ret_end = p;

        while (e > s && strchr(".,;\"'", e[-1]))
                e--;
        while (s < e && strchr("\"'", *s))
                s++;
        if (s == e) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(s, (size_t) (e - s));
        return *ret ? 0 : -ENOMEM;
}

/*
 * The principal precedes " is not authorized to perform": after the closest "User: " (or
 * "User ", the doc's "User user is not authorized" form) that starts a word. Without that, an
 * ARN right before the anchor is taken as is.
 */
static int find_principal(const char *buf, const char *anchor, char **ret)
{
        const char *s = NULL, *e = anchor;

        for (size_t i = (size_t) (anchor - buf); i-- > 0;) {
                const char *p = buf + i;

                if (memcmp(p, "User", 4) != 0 || (p[4] != ':' && p[4] != ' '))
                        continue;
                if (i > 0 && !strchr(" .\t\n(\"'", p[-1]))
                        continue;
                if (p + 4 >= anchor)
                        continue;
                s = p + 4 + (p[4] == ':');
                break;
        }
        if (!s) {
                /* No "User": take the word ending at the anchor if it is an ARN. */
                s = anchor;
                while (s > buf && !is_blank_char(s[-1]))
                        s--;
                if (strncmp(s, "arn:", 4) != 0) {
                        *ret = NULL;
                        return 0;
                }
        }
        while (s < e && is_blank_char(*s))
                s++;
        while (e > s && (is_blank_char(e[-1]) || e[-1] == '.' || e[-1] == ','))
                e--;
        if (s == e) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(s, (size_t) (e - s));
        if (!*ret)
                return -ENOMEM;
        /* Everything up to the anchor: a message may hold a newline there (AWS messages keep
         * theirs), and a principal is one value on one line. */
        string_one_line(*ret, SIZE_MAX);
        return 0;
}

/* Longer phrases first where one is a prefix of another. Matched case-insensitively, since an
 * SCP denial can read "due to an explicit deny in a Service Control Policy". */
static const struct {
        const char *phrase;
        PolicyType type;
} policy_phrases[] = {
        { "service control policy", POLICY_TYPE_SERVICE_CONTROL },
        { "resource control policy", POLICY_TYPE_RESOURCE_CONTROL },
        { "VPC endpoint policy", POLICY_TYPE_VPC_ENDPOINT },
        { "permissions boundary policy", POLICY_TYPE_PERMISSIONS_BOUNDARY },
        { "permissions boundary", POLICY_TYPE_PERMISSIONS_BOUNDARY },
        { "sessions policy", POLICY_TYPE_SESSION },
        { "session policy", POLICY_TYPE_SESSION },
        { "resource-based policy", POLICY_TYPE_RESOURCE_BASED },
        { "identity-based policy", POLICY_TYPE_IDENTITY_BASED },
        { "role trust policy", POLICY_TYPE_ROLE_TRUST },
        { "trust policy", POLICY_TYPE_ROLE_TRUST },
};

/*
 * The reason clause, per the IAM guide: "with an explicit deny in <a|an|the> <type> policy"
 * (SCPs also "due to an explicit deny in a Service Control Policy"), optionally followed by
 * " transitively through a service control policy" and, since 2026, ": <policy-arn>"; or
 * "because no <type> policy allows the <action> action". S3 appends ", with policy ARN: <arn>".
 */
static int parse_reason(const char *p, AccessDenied *d)
{
        const char *q, *after = NULL;
        size_t n;
        int r;

        if ((q = strstr(p, "explicit deny in "))) {
                d->deny = DENY_KIND_EXPLICIT;
                after = q + STRLEN("explicit deny in ");
        } else if ((q = strstr(p, "because no "))) {
                d->deny = DENY_KIND_IMPLICIT;
                after = q + STRLEN("because no ");
        } else if ((q = strstr(p, "implicit deny in "))) {
                d->deny = DENY_KIND_IMPLICIT;
                after = q + STRLEN("implicit deny in ");
        } else if (strstr(p, "explicit deny"))
                d->deny = DENY_KIND_EXPLICIT;

        if (after) {
                if (strncasecmp(after, "a ", 2) == 0)
                        after += 2;
                else if (strncasecmp(after, "an ", 3) == 0)
                        after += 3;
                else if (strncasecmp(after, "the ", 4) == 0)
                        after += 4;

                for (size_t i = 0; i < ELEMENTSOF(policy_phrases); i++) {
                        n = strlen(policy_phrases[i].phrase);
                        if (strncasecmp(after, policy_phrases[i].phrase, n) != 0)
                                continue;
                        d->policy_type = policy_phrases[i].type;
                        after += n;
                        break;
                }
                if (d->policy_type != POLICY_TYPE_UNKNOWN) {
                        static const char transitive[] =
                                " transitively through a service control policy";

                        if (strncasecmp(after, transitive, sizeof(transitive) - 1) == 0) {
                                d->transitive_via_scp = true;
                                after += sizeof(transitive) - 1;
                        }
                        if (startswith_len(after, ": arn:", &n)) {
                                r = word_dup(after + 2, NULL, &d->policy_arn);
                                if (r < 0)
                                        return r;
                        }
                }
        }

        if (!d->policy_arn && (q = strstr(p, "with policy ARN: "))) {
                r = word_dup(q + STRLEN("with policy ARN: "), NULL, &d->policy_arn);
                if (r < 0)
                        return r;
        }
        return 0;
}

int access_denied_parse(const char *message, AccessDenied *ret)
{
        static const char anchor_text[] = " is not authorized to perform";
        _cleanup_(access_denied_done) AccessDenied d = {};
        _cleanup_free_ char *buf = NULL;
        const char *anchor, *p, *q;
        bool matched = false;
        size_t n;
        int r;

        if (!message)
                return -EINVAL;

        /* A bounded copy: every scan below is over at most AWS_MESSAGE_MAX bytes. */
        buf = strndup(message, strnlen(message, AWS_MESSAGE_MAX));
        if (!buf)
                return -ENOMEM;

        anchor = strstr(buf, anchor_text);
        p = buf;
        if (anchor) {
                r = find_principal(buf, anchor, &d.principal);
                if (r < 0)
                        return r;

                p = anchor + sizeof(anchor_text) - 1;
                if (*p == ':') {
                        matched = true;
                        r = word_dup(p + 1, &p, &d.action);
                        if (r < 0)
                                return r;
                        if (startswith_len(p, " on resource: ", &n) ||
                            startswith_len(p, " on resource ", &n)) {
                                r = word_dup(p + n, &p, &d.resource);
                                if (r < 0)
                                        return r;
                        }
                }
        }

        r = parse_reason(p, &d);
        if (r < 0)
                return r;

        /* CloudWatch Logs with a KMS key: "... is not allowed to be used with Arn '<arn>'". */
        if (!d.resource && (q = strstr(buf, "with Arn '"))) {
                const char *s = q + STRLEN("with Arn '"), *e = strchr(s, '\'');

                if (e && e > s) {
                        d.resource = strndup(s, (size_t) (e - s));
                        if (!d.resource)
                                return -ENOMEM;
                }
        }

        *ret = d;
        d = (AccessDenied) {};
        return matched;
}

/* ---- clock skew ---------------------------------------------------------------------------- */

/* SigV4's basic ISO 8601 form, "20240217T171323Z" (exactly 16 characters at @s). */
static int amz_date_parse(const char *s, usec_t *ret)
{
        struct tm tm = {};
        int y, mo, d, h, mi, se;
        time_t t;

        if (strnlen(s, 16) < 16 || s[8] != 'T' || s[15] != 'Z' ||
            parse_fixed_digits(s, 4, &y) < 0 || parse_fixed_digits(s + 4, 2, &mo) < 0 || parse_fixed_digits(s + 6, 2, &d) < 0 ||
            parse_fixed_digits(s + 9, 2, &h) < 0 || parse_fixed_digits(s + 11, 2, &mi) < 0 ||
            parse_fixed_digits(s + 13, 2, &se) < 0)
                return -EINVAL;
        if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
                return -EINVAL;
        tm = (struct tm) {
                .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                .tm_hour = h, .tm_min = mi, .tm_sec = se,
        };
        t = timegm(&tm);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        *ret = (usec_t) t * USEC_PER_SEC;
        return 0;
}

/* Any of the three timestamp forms AWS error bodies use. */
static int any_time_parse(const char *s, usec_t *ret)
{
        if (!s)
                return -EINVAL;
        if (strlen(s) == 16 && amz_date_parse(s, ret) >= 0)
                return 0;
        if (iso8601_parse(s, ret) >= 0)
                return 0;
        return http_date_parse(s, ret);
}

static int64_t usec_diff_sec(usec_t a, usec_t b)
{
        int64_t d = (int64_t) a - (int64_t) b;

        /* Round to the nearest second, away from zero on .5. */
        return (d + (d >= 0 ? 1 : -1) * (int64_t) (USEC_PER_SEC / 2)) / (int64_t) USEC_PER_SEC;
}

int aws_clock_skew_from_message(const char *message, int64_t *ret_offset_sec)
{
        static const char *const prefixes[] = {
                "Signature expired: ",
                "Signature not yet current: ",
        };
        _cleanup_free_ char *buf = NULL;
        usec_t req, server;

        if (!message)
                return -ENODATA;
        buf = strndup(message, strnlen(message, AWS_MESSAGE_MAX));
        if (!buf)
                return -ENOMEM;

        /*
         * "Signature expired: <X-Amz-Date> is now earlier than <limit> (<server now> - 15 min.)"
         * and "Signature not yet current: <X-Amz-Date> is still later than <limit> (<server
         * now> + 5 min.)": the window differs by service, so use the two instants, not it.
         */
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                const char *p = strstr(buf, prefixes[i]), *paren;

                if (!p)
                        continue;
                p += strlen(prefixes[i]);
                if (amz_date_parse(p, &req) < 0)
                        continue;
                paren = strchr(p, '(');
                if (!paren || amz_date_parse(paren + 1, &server) < 0)
                        continue;
                *ret_offset_sec = usec_diff_sec(server, req);
                return 0;
        }
        return -ENODATA;
}

static bool message_is_clock_skew(const char *message)
{
        /* Only the head matters; AWS starts the message with these. */
        size_t n = strnlen(message, AWS_MESSAGE_MAX);

        return memmem(message, n, "Signature expired: ", STRLEN("Signature expired: ")) ||
               memmem(message, n, "Signature not yet current: ",
                      STRLEN("Signature not yet current: "));
}

static bool message_is_kms(const char *message)
{
        size_t n;

        if (!message)
                return false;
        n = strnlen(message, AWS_MESSAGE_MAX);
        /* "The specified KMS key does not exist...", a kms:* action or a kms ARN resource. */
        for (size_t i = 0; i + 7 <= n; i++)
                if (strncasecmp(message + i, "KMS key", 7) == 0)
                        return true;
        return memmem(message, n, "perform: kms:", STRLEN("perform: kms:")) ||
               memmem(message, n, ":kms:", STRLEN(":kms:"));
}

/* ---- classification ------------------------------------------------------------------------ */

/*
 * Codes from the AWS common-errors pages, the CloudWatch/Logs/STS models and the SDKs'
 * retry classification (aws-sdk-js-v3 service-error-classification, botocore
 * retries/standard.py). Entries with .prefix match every code that starts with them.
 */
static const struct {
        const char *code;
        bool prefix;
        ResultClass class;
} code_table[] = {
        { "ExpiredToken", true, RESULT_CLASS_CREDENTIALS_EXPIRED },
        { "InvalidClientTokenId", false, RESULT_CLASS_CREDENTIALS_INVALID },
        { "UnrecognizedClientException", false, RESULT_CLASS_CREDENTIALS_INVALID },
        { "MissingAuthenticationToken", true, RESULT_CLASS_CREDENTIALS_INVALID },
        { "InvalidAccessKeyId", false, RESULT_CLASS_CREDENTIALS_INVALID },
        { "AuthFailure", false, RESULT_CLASS_CREDENTIALS_INVALID },
        { "RequestExpired", false, RESULT_CLASS_CLOCK_SKEW },
        { "RequestTimeTooSkewed", false, RESULT_CLASS_CLOCK_SKEW },
        { "RequestInTheFuture", false, RESULT_CLASS_CLOCK_SKEW },
        { "SignatureDoesNotMatch", false, RESULT_CLASS_SIGNATURE_MISMATCH },
        { "InvalidSignatureException", false, RESULT_CLASS_SIGNATURE_MISMATCH },
        { "RegionDisabledException", false, RESULT_CLASS_STS_REGION_DISABLED },
        { "AccessDenied", false, RESULT_CLASS_ACCESS_DENIED },
        { "AccessDeniedException", false, RESULT_CLASS_ACCESS_DENIED },
        { "UnauthorizedOperation", false, RESULT_CLASS_ACCESS_DENIED },
        { "AuthorizationError", false, RESULT_CLASS_ACCESS_DENIED },
        { "KMSAccessDeniedException", false, RESULT_CLASS_KMS_DENIED },
        { "KMSDisabledException", false, RESULT_CLASS_KMS_DENIED },
        { "KMSInvalidStateException", false, RESULT_CLASS_KMS_DENIED },
        { "KMSNotFoundException", false, RESULT_CLASS_KMS_DENIED },
        { "ResourceNotFound", true, RESULT_CLASS_RESOURCE_NOT_FOUND },
        { "NoSuchEntity", false, RESULT_CLASS_RESOURCE_NOT_FOUND },
        /* SDK throttling list. */
        { "Throttling", false, RESULT_CLASS_THROTTLED },
        { "ThrottlingException", false, RESULT_CLASS_THROTTLED },
        { "ThrottledException", false, RESULT_CLASS_THROTTLED },
        { "RequestThrottledException", false, RESULT_CLASS_THROTTLED },
        { "TooManyRequestsException", false, RESULT_CLASS_THROTTLED },
        { "ProvisionedThroughputExceededException", false, RESULT_CLASS_THROTTLED },
        { "TransactionInProgressException", false, RESULT_CLASS_THROTTLED },
        { "RequestLimitExceeded", false, RESULT_CLASS_THROTTLED },
        { "BandwidthLimitExceeded", false, RESULT_CLASS_THROTTLED },
        { "LimitExceededException", false, RESULT_CLASS_THROTTLED },
        { "RequestThrottled", false, RESULT_CLASS_THROTTLED },
        { "SlowDown", false, RESULT_CLASS_THROTTLED },
        { "PriorRequestNotComplete", false, RESULT_CLASS_THROTTLED },
        { "EC2ThrottledException", false, RESULT_CLASS_THROTTLED },
        /* SDK transient list: the service gave up waiting for our request. */
        { "RequestTimeout", false, RESULT_CLASS_TIMEOUT },
        { "RequestTimeoutException", false, RESULT_CLASS_TIMEOUT },
        { "InternalFailure", false, RESULT_CLASS_SERVER_ERROR },
        { "InternalServiceError", false, RESULT_CLASS_SERVER_ERROR },
        { "InternalServiceFault", false, RESULT_CLASS_SERVER_ERROR },
        { "InternalServerError", false, RESULT_CLASS_SERVER_ERROR },
        { "InternalError", false, RESULT_CLASS_SERVER_ERROR },
        { "ServiceUnavailable", false, RESULT_CLASS_SERVER_ERROR },
        { "ServiceUnavailableException", false, RESULT_CLASS_SERVER_ERROR },
        { "InvalidParameter", true, RESULT_CLASS_INVALID_REQUEST },
        { "MissingParameter", false, RESULT_CLASS_INVALID_REQUEST },
        { "MissingRequiredParameter", true, RESULT_CLASS_INVALID_REQUEST },
        { "ValidationError", false, RESULT_CLASS_INVALID_REQUEST },
        { "ValidationException", false, RESULT_CLASS_INVALID_REQUEST },
        { "IncompleteSignature", true, RESULT_CLASS_INVALID_REQUEST },
        { "InvalidAction", false, RESULT_CLASS_INVALID_REQUEST },
        { "InvalidQueryParameter", false, RESULT_CLASS_INVALID_REQUEST },
        { "MalformedQueryString", false, RESULT_CLASS_INVALID_REQUEST },
        { "SerializationException", false, RESULT_CLASS_INVALID_REQUEST },
        { "UnknownOperationException", false, RESULT_CLASS_INVALID_REQUEST },
};

ResultClass aws_error_classify(long status, const char *code, const char *message)
{
        ResultClass c = _RESULT_CLASS_INVALID;

        if (message && message_is_clock_skew(message))
                return RESULT_CLASS_CLOCK_SKEW;

        for (size_t i = 0; code && i < ELEMENTSOF(code_table); i++)
                if (code_table[i].prefix ? strncmp(code, code_table[i].code,
                                                   strlen(code_table[i].code)) == 0
                                         : streq(code, code_table[i].code)) {
                        c = code_table[i].class;
                        break;
                }

        if (c < 0) {
                if (status == 429)
                        c = RESULT_CLASS_THROTTLED;
                else if (status >= 500 && status <= 599)
                        c = RESULT_CLASS_SERVER_ERROR;
                else if (!code)
                        c = RESULT_CLASS_BAD_RESPONSE;
                else if (status == 403)
                        c = RESULT_CLASS_ACCESS_DENIED;
                else if (status == 404)
                        c = RESULT_CLASS_RESOURCE_NOT_FOUND;
                else if (status >= 400 && status <= 499)
                        c = RESULT_CLASS_INVALID_REQUEST;
                else
                        c = RESULT_CLASS_BAD_RESPONSE;
        }

        if (c == RESULT_CLASS_ACCESS_DENIED && message_is_kms(message))
                c = RESULT_CLASS_KMS_DENIED;
        return c;
}

/* ---- the result ---------------------------------------------------------------------------- */

void aws_result_done(AwsResult *r)
{
        if (!r)
                return;
        free(r->code);
        free(r->error_type);
        free(r->message);
        free(r->request_id);
        access_denied_done(&r->denied);
        *r = (AwsResult) {};
}

static usec_t parse_retry_after(const HttpResponse *resp)
{
        const char *v = aws_response_header(resp, "Retry-After");
        uint64_t sec = 0;

        /* Only delta-seconds; AWS does not send the HTTP-date form. Capped at a day. */
        if (!v || !*v)
                return 0;
        for (; *v >= '0' && *v <= '9'; v++) {
                sec = sec * 10 + (uint64_t) (*v - '0');
                if (sec > 86400)
                        return 86400 * USEC_PER_SEC;
        }
        return *v ? 0 : sec * USEC_PER_SEC;
}

static void clock_offset(const HttpResponse *resp, const AwsErrorBody *f, usec_t local_time,
                         AwsResult *res)
{
        const char *date;
        usec_t a, b;

        if (res->message &&
            aws_clock_skew_from_message(res->message, &res->clock_offset_sec) >= 0) {
                res->has_clock_offset = true;
                return;
        }
        /* S3-style bodies state both ends: <RequestTime> and <ServerTime>. */
        if (any_time_parse(f->request_time, &a) >= 0 && any_time_parse(f->server_time, &b) >= 0) {
                res->clock_offset_sec = usec_diff_sec(b, a);
                res->has_clock_offset = true;
                return;
        }
        date = resp->date ?: aws_response_header(resp, "Date");
        if (local_time > 0 && date && http_date_parse(date, &b) >= 0) {
                res->clock_offset_sec = usec_diff_sec(b, local_time);
                res->has_clock_offset = true;
        }
}

int aws_result_from_response_at(const HttpResponse *resp, AwsProtocol proto, usec_t local_time,
                                AwsResult *ret)
{
        _cleanup_(aws_result_done) AwsResult res = {};
        _cleanup_(aws_error_body_done) AwsErrorBody f = {};
        int r;

        if (!resp || !ret || proto < 0 || proto >= _AWS_PROTOCOL_MAX)
                return -EINVAL;

        res.http_status = resp->status;

        if (resp->transport != HTTP_TRANSPORT_OK) {
                res.class = result_class_from_transport(resp->transport);
                if (resp->error) {
                        r = aws_message_dup(resp->error, &res.message);
                        if (r < 0)
                                return r;
                }
        } else if (resp->status >= 200 && resp->status <= 299) {
                res.class = RESULT_CLASS_OK;
                r = aws_response_request_id(resp, proto, &res.request_id);
                if (r < 0)
                        return r;
        } else {
                r = aws_error_body_parse(resp, proto, &f);
                if (r < 0)
                        return r;
                res.class = aws_error_classify(resp->status, f.code, f.message);
                res.code = TAKE_PTR(f.code);
                res.error_type = TAKE_PTR(f.type);
                res.message = TAKE_PTR(f.message);
                res.request_id = TAKE_PTR(f.request_id);

                if ((res.class == RESULT_CLASS_ACCESS_DENIED ||
                     res.class == RESULT_CLASS_KMS_DENIED) && res.message) {
                        r = access_denied_parse(res.message, &res.denied);
                        if (r < 0)
                                return r;
                }
                if (res.class == RESULT_CLASS_CLOCK_SKEW)
                        clock_offset(resp, &f, local_time, &res);
        }

        res.transient = result_class_is_transient(res.class);
        res.retry_after = parse_retry_after(resp);

        *ret = res;
        res = (AwsResult) {};
        return 0;
}

int aws_result_from_response(const HttpResponse *resp, AwsProtocol proto, AwsResult *ret)
{
        return aws_result_from_response_at(resp, proto, now_usec(CLOCK_REALTIME), ret);
}
