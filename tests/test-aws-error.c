/* SPDX-License-Identifier: MIT */
/*
 * test-aws-error.c: the AWS reply classifier against real error bodies (tests/fixtures/
 * aws-error/, with status and headers set here as AWS sends them), the access-denied grammar
 * over every example phrase of the IAM guide plus the 2026 policy-ARN forms, clock-skew
 * offsets, the STS and Logs success parsers, and the hostile-input limits (DTDs, nesting,
 * size). Times are fixed, never read from the clock.
 */

#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "common/aws-error.h"
#include "common/aws-response.h"
#include "common/xml.h"
#include "tests/test.h"

/* A string literal and its length, for the (pointer, size) parsers. */

static char *fixture(const char *name, size_t *ret_size)
{
        const char *dir = getenv("CWGUARD_FIXTURES") ?: "tests/fixtures";
        _cleanup_free_ char *path = NULL;
        char *buf = NULL;

        ASSERT_TRUE(asprintf(&path, "%s/aws-error/%s", dir, name) >= 0);
        ASSERT_OK(read_file_capped(path, 1024 * 1024, &buf, ret_size));
        return buf;
}

/* ---- replies -------------------------------------------------------------------------------- */

typedef struct Reply {
        const char *file;          /* fixture body; NULL: empty body */
        AwsProtocol proto;
        long status;
        const char *content_type;  /* NULL: no Content-Type */
        const char *headers[4];    /* extra "Name: value" headers */
        const char *request_id;    /* HttpResponse.request_id as the HTTP layer extracts it */

        ResultClass class;
        const char *code;
        const char *error_type;
        const char *message;
        const char *expect_request_id;
        bool transient;
} Reply;

#define CT_XML "text/xml"
#define CT_JSON10 "application/x-amz-json-1.0"
#define CT_JSON11 "application/x-amz-json-1.1"

static const Reply replies[] = {
        { "query-sts-accessdenied.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_ACCESS_DENIED, "AccessDenied", "Sender",
          "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: "
          "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/cwguard-probe because no "
          "identity-based policy allows the sts:AssumeRole action",
          "c6104cbe-af31-11e0-8154-cbc7ccf896c7", false },
        { "query-cloudwatch-accessdenied.xml", AWS_PROTOCOL_QUERY, 403, "text/xml; charset=UTF-8",
          {}, NULL, RESULT_CLASS_ACCESS_DENIED, "AccessDenied", "Sender",
          "User: arn:aws:sts::123456789012:assumed-role/cwguard-instance/i-0123456789abcdef0 is "
          "not authorized to perform: cloudwatch:PutMetricData because no identity-based policy "
          "allows the cloudwatch:PutMetricData action",
          "9f1c2a5e-0000-4000-8000-000000000001", false },
        { "query-invalidparametervalue.xml", AWS_PROTOCOL_QUERY, 400, CT_XML, {}, NULL,
          RESULT_CLASS_INVALID_REQUEST, "InvalidParameterValue", "Sender",
          "The value AWS/ for parameter Namespace is invalid.",
          "4f5f2b4c-0000-4000-8000-000000000000", false },
        { "query-expiredtoken.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_CREDENTIALS_EXPIRED, "ExpiredToken", "Sender",
          "The security token included in the request is expired",
          "5b2a4e1d-0000-4000-8000-000000000002", false },
        { "query-signature-expired-15min.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_CLOCK_SKEW, "SignatureDoesNotMatch", "Sender",
          "Signature expired: 20240217T171323Z is now earlier than 20240217T173539Z "
          "(20240217T175039Z - 15 min.)",
          "7e0d4c6a-0000-4000-8000-000000000003", false },
        { "query-signature-not-yet-current-5min.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_CLOCK_SKEW, "SignatureDoesNotMatch", "Sender",
          "Signature not yet current: 20170424T013926Z is still later than 20170424T013832Z "
          "(20170424T013332Z + 5 min.)",
          "8a3e2f10-0000-4000-8000-000000000004", false },
        { "query-signature-mismatch.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_SIGNATURE_MISMATCH, "SignatureDoesNotMatch", "Sender",
          "The request signature we calculated does not match the signature you provided. "
          "Check your AWS Secret Access Key and signing method. Consult the service "
          "documentation for details.",
          "1d2c3b4a-0000-4000-8000-000000000005", false },
        { "query-invalidclienttokenid.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_CREDENTIALS_INVALID, "InvalidClientTokenId", "Sender",
          "The security token included in the request is invalid.",
          "2e3d4c5b-0000-4000-8000-000000000006", false },
        { "query-throttling.xml", AWS_PROTOCOL_QUERY, 400, CT_XML, {}, NULL,
          RESULT_CLASS_THROTTLED, "Throttling", "Sender", "Rate exceeded",
          "3f4e5d6c-0000-4000-8000-000000000007", true },
        { "query-internalservice.xml", AWS_PROTOCOL_QUERY, 500, CT_XML, {}, NULL,
          RESULT_CLASS_SERVER_ERROR, "InternalServiceError", "Receiver", "Internal service error.",
          "4a5f6e7d-0000-4000-8000-000000000008", true },
        { "query-errors-wrapper.xml", AWS_PROTOCOL_QUERY, 400, NULL, {}, NULL,
          RESULT_CLASS_INVALID_REQUEST, "MissingParameter", "Sender",
          "MISSING_RULE_NAME: The RuleName parameter must be present.",
          "5b6a7f8e-0000-4000-8000-000000000009", false },
        { "ec2-unauthorized.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_ACCESS_DENIED, "UnauthorizedOperation", NULL,
          "You are not authorized to perform this operation. User: "
          "arn:aws:sts::123456789012:assumed-role/cwguard-instance/i-0123456789abcdef0 is not "
          "authorized to perform: ec2:DescribeTags because no identity-based policy allows the "
          "ec2:DescribeTags action. Encoded authorization failure message: "
          "4GIOHlTkIaWHQD0Q0m7XRZ7yUI0kJrcK",
          "a1b2c3d4-0000-4000-8000-00000000000a", false },
        /* The HTTP layer's request id wins over the body's. */
        { "query-throttling.xml", AWS_PROTOCOL_QUERY, 400, CT_XML, {}, "from-header-1",
          RESULT_CLASS_THROTTLED, "Throttling", "Sender", "Rate exceeded", "from-header-1", true },

        /* CloudWatch awsJson1_0, query-compatible: the header's code wins over __type. */
        { "json10-invalidparametervalue.json", AWS_PROTOCOL_JSON10, 400, CT_JSON10,
          { "x-amzn-query-error: InvalidParameterValue;Sender",
            "x-amzn-RequestId: 0d6b8a14-0000-4000-8000-000000000010" }, NULL,
          RESULT_CLASS_INVALID_REQUEST, "InvalidParameterValue", "Sender",
          "The value AWS/ for parameter Namespace is invalid.",
          "0d6b8a14-0000-4000-8000-000000000010", false },
        /* Without the header, __type stripped through the last '#'. */
        { "json10-invalidparametervalue.json", AWS_PROTOCOL_JSON10, 400, CT_JSON10, {}, NULL,
          RESULT_CLASS_INVALID_REQUEST, "InvalidParameterValueException", NULL,
          "The value AWS/ for parameter Namespace is invalid.", NULL, false },
        { "json10-accessdenied-scp.json", AWS_PROTOCOL_JSON10, 400, CT_JSON10,
          { "x-amzn-query-error: AccessDenied;Sender" }, "0d6b8a14-0000-4000-8000-000000000011",
          RESULT_CLASS_ACCESS_DENIED, "AccessDenied", "Sender",
          "User: arn:aws:sts::123456789012:assumed-role/cwguard-instance/i-0123456789abcdef0 is "
          "not authorized to perform: cloudwatch:PutMetricData with an explicit deny in a "
          "service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/"
          "service_control_policy/p-2kgnabcd",
          "0d6b8a14-0000-4000-8000-000000000011", false },

        /* CloudWatch Logs awsJson1_1. */
        { "json11-accessdenied.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11,
          { "x-amzn-RequestId: 6c1e2d3f-0000-4000-8000-000000000020" }, NULL,
          RESULT_CLASS_ACCESS_DENIED, "AccessDeniedException", NULL,
          "User: arn:aws:sts::123456789012:assumed-role/ROLE/i-0123456789abcdef0 is not "
          "authorized to perform: logs:PutLogEvents on resource: arn:aws:logs:us-east-2:"
          "123456789012:log-group:/aws-glue/crawlers:log-stream:spotify_crawler because no "
          "identity-based policy allows the logs:PutLogEvents action",
          "6c1e2d3f-0000-4000-8000-000000000020", false },
        { "json11-resourcenotfound.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {},
          "6c1e2d3f-0000-4000-8000-000000000021", RESULT_CLASS_RESOURCE_NOT_FOUND,
          "ResourceNotFoundException", NULL, "The specified log group does not exist.",
          "6c1e2d3f-0000-4000-8000-000000000021", false },
        { "json11-throttling.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {},
          "6c1e2d3f-0000-4000-8000-000000000022", RESULT_CLASS_THROTTLED, "ThrottlingException",
          NULL, "Rate exceeded", "6c1e2d3f-0000-4000-8000-000000000022", true },
        { "json11-unrecognizedclient.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {},
          "6c1e2d3f-0000-4000-8000-000000000023", RESULT_CLASS_CREDENTIALS_INVALID,
          "UnrecognizedClientException", NULL,
          "The security token included in the request is invalid.",
          "6c1e2d3f-0000-4000-8000-000000000023", false },
        { "json11-kms.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {},
          "6c1e2d3f-0000-4000-8000-000000000024", RESULT_CLASS_KMS_DENIED,
          "AccessDeniedException", NULL,
          "The specified KMS key does not exist or is not allowed to be used with Arn "
          "'arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/secure-ecs-app'",
          "6c1e2d3f-0000-4000-8000-000000000024", false },
        { "json11-expiredtoken.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {}, NULL,
          RESULT_CLASS_CREDENTIALS_EXPIRED, "ExpiredTokenException", NULL,
          "The security token included in the request is expired", NULL, false },
        { "json11-signature-expired-5min.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {}, NULL,
          RESULT_CLASS_CLOCK_SKEW, "InvalidSignatureException", NULL,
          "Signature expired: 20260801T120000Z is now earlier than 20260801T121500Z "
          "(20260801T122000Z - 5 min.)", NULL, false },
        { "json11-serviceunavailable.json", AWS_PROTOCOL_JSON11, 500, CT_JSON11, {}, NULL,
          RESULT_CLASS_SERVER_ERROR, "ServiceUnavailableException", NULL,
          "The service cannot complete the request.", NULL, true },
        { "json11-validation-colon.json", AWS_PROTOCOL_JSON11, 400, "application/json", {}, NULL,
          RESULT_CLASS_INVALID_REQUEST, "ValidationException", NULL,
          "1 validation error detected: Value null at 'logGroupName' failed to satisfy "
          "constraint: Member must not be null", NULL, false },
        /* The code only in x-amzn-ErrorType (empty body, as for HEAD-like replies). */
        { NULL, AWS_PROTOCOL_JSON11, 400, CT_JSON11,
          { "x-amzn-ErrorType: UnrecognizedClientException:http://internal.amazon.com/coral/"
            "com.amazon.coral.service/" }, NULL,
          RESULT_CLASS_CREDENTIALS_INVALID, "UnrecognizedClientException", NULL, NULL, NULL,
          false },

        /* Bodies that cannot be read: the status decides if it can, else bad-response. */
        { "html-503.html", AWS_PROTOCOL_QUERY, 503, "text/html; charset=iso-8859-1", {}, NULL,
          RESULT_CLASS_SERVER_ERROR, NULL, NULL, NULL, NULL, true },
        { "html-503.html", AWS_PROTOCOL_JSON11, 502, NULL, {}, NULL,
          RESULT_CLASS_SERVER_ERROR, NULL, NULL, NULL, NULL, true },
        { "html-403-proxy.html", AWS_PROTOCOL_QUERY, 403, "text/html", {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { "html-403-proxy.html", AWS_PROTOCOL_JSON11, 429, "text/html", {}, NULL,
          RESULT_CLASS_THROTTLED, NULL, NULL, NULL, NULL, true },
        { "truncated.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { "garbage.bin", AWS_PROTOCOL_QUERY, 400, CT_XML, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { "garbage.bin", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { "doctype-billion-laughs.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { "xxe.xml", AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        /* Right bytes, wrong Content-Type: JSON announced, XML sent; a JSON body says text. */
        { "query-expiredtoken.xml", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { "json11-throttling.json", AWS_PROTOCOL_JSON11, 400, "text/plain", {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        /* An XML error from a JSON service is still read when it says it is XML. */
        { "query-expiredtoken.xml", AWS_PROTOCOL_JSON11, 400, "application/xml", {}, NULL,
          RESULT_CLASS_CREDENTIALS_EXPIRED, "ExpiredToken", "Sender",
          "The security token included in the request is expired",
          "5b2a4e1d-0000-4000-8000-000000000002", false },
        { NULL, AWS_PROTOCOL_QUERY, 403, NULL, {}, NULL,
          RESULT_CLASS_BAD_RESPONSE, NULL, NULL, NULL, NULL, false },
        { NULL, AWS_PROTOCOL_QUERY, 504, NULL, {}, NULL,
          RESULT_CLASS_SERVER_ERROR, NULL, NULL, NULL, NULL, true },

        /* Success. */
        { "sts-identity-user.xml", AWS_PROTOCOL_QUERY, 200, CT_XML, {}, NULL,
          RESULT_CLASS_OK, NULL, NULL, NULL, "01234567-89ab-cdef-0123-456789abcdef", false },
        { "logs-put-log-events-ok.json", AWS_PROTOCOL_JSON11, 200, CT_JSON11,
          { "X-Amzn-RequestId: 6c1e2d3f-0000-4000-8000-000000000030" }, NULL,
          RESULT_CLASS_OK, NULL, NULL, NULL, "6c1e2d3f-0000-4000-8000-000000000030", false },
};

/* Build the HttpResponse the HTTP layer would hand over. Freed by response_free(). */
static void response_build(const Reply *c, HttpResponse *ret)
{
        HttpResponse r = {
                .transport = HTTP_TRANSPORT_OK,
                .status = c->status,
                .connected = true,
        };
        size_t n = 0;

        if (c->file)
                r.body = fixture(c->file, &r.body_size);
        if (c->request_id)
                r.request_id = strdup(c->request_id);
        while (n < ELEMENTSOF(c->headers) && c->headers[n])
                n++;
        r.headers = calloc(n + 1, sizeof(HttpHeader));
        ASSERT_NOT_NULL(r.headers);
        if (c->content_type) {
                r.content_type = strdup(c->content_type);
                r.headers[r.n_headers].name = strdup("Content-Type");
                r.headers[r.n_headers++].value = strdup(c->content_type);
        }
        for (size_t i = 0; i < n; i++) {
                const char *colon = strchr(c->headers[i], ':');

                r.headers[r.n_headers].name = strndup(c->headers[i], colon - c->headers[i]);
                r.headers[r.n_headers++].value = strdup(colon + 2);
        }
        *ret = r;
}

static void response_free(HttpResponse *r)
{
        for (size_t i = 0; i < r->n_headers; i++) {
                free(r->headers[i].name);
                free(r->headers[i].value);
        }
        free(r->headers);
        free(r->error);
        free(r->date);
        free(r->request_id);
        free(r->query_error);
        free(r->content_type);
        free(r->body);
        free(r->remote_ip);
        *r = (HttpResponse) {};
}

static void test_replies(void)
{
        for (size_t i = 0; i < ELEMENTSOF(replies); i++) {
                const Reply *c = &replies[i];
                _cleanup_(aws_result_done) AwsResult res = {};
                HttpResponse resp;

                fprintf(stderr, "   %s (%s, %ld)\n", strna(c->file),
                        aws_protocol_to_string(c->proto), c->status);
                response_build(c, &resp);
                ASSERT_OK(aws_result_from_response_at(&resp, c->proto, 0, &res));
                response_free(&resp);

                ASSERT_STREQ(result_class_to_string(res.class), result_class_to_string(c->class));
                ASSERT_EQ(res.http_status, c->status);
                ASSERT_STREQ_NULL(res.code, c->code);
                ASSERT_STREQ_NULL(res.error_type, c->error_type);
                ASSERT_STREQ_NULL(res.message, c->message);
                ASSERT_STREQ_NULL(res.request_id, c->expect_request_id);
                ASSERT_EQ(res.transient, c->transient);
        }
}

/* The parsed denial travels with the result. */
static void test_reply_denied_details(void)
{
        static const Reply logs = { "json11-accessdenied.json", AWS_PROTOCOL_JSON11, 400,
                                    CT_JSON11, {}, NULL };
        static const Reply kms = { "json11-kms.json", AWS_PROTOCOL_JSON11, 400, CT_JSON11, {},
                                   NULL };
        static const Reply scp = { "json10-accessdenied-scp.json", AWS_PROTOCOL_JSON10, 400,
                                   CT_JSON10, { "x-amzn-query-error: AccessDenied;Sender" },
                                   NULL };
        _cleanup_(aws_result_done) AwsResult a = {}, b = {}, c = {};
        HttpResponse resp;

        response_build(&logs, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, logs.proto, 0, &a));
        response_free(&resp);
        ASSERT_STREQ(a.denied.principal,
                     "arn:aws:sts::123456789012:assumed-role/ROLE/i-0123456789abcdef0");
        ASSERT_STREQ(a.denied.action, "logs:PutLogEvents");
        ASSERT_STREQ(a.denied.resource, "arn:aws:logs:us-east-2:123456789012:log-group:"
                                        "/aws-glue/crawlers:log-stream:spotify_crawler");
        ASSERT_EQ(a.denied.policy_type, POLICY_TYPE_IDENTITY_BASED);
        ASSERT_EQ(a.denied.deny, DENY_KIND_IMPLICIT);
        ASSERT_FALSE(a.has_clock_offset);

        response_build(&kms, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, kms.proto, 0, &b));
        response_free(&resp);
        ASSERT_EQ(b.class, RESULT_CLASS_KMS_DENIED);
        ASSERT_NULL(b.denied.principal);
        ASSERT_STREQ(b.denied.resource,
                     "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/secure-ecs-app");

        response_build(&scp, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, scp.proto, 0, &c));
        response_free(&resp);
        ASSERT_EQ(c.denied.policy_type, POLICY_TYPE_SERVICE_CONTROL);
        ASSERT_EQ(c.denied.deny, DENY_KIND_EXPLICIT);
        ASSERT_NULL(c.denied.resource);
        ASSERT_STREQ(c.denied.policy_arn, "arn:aws:organizations::987654321098:policy/"
                                          "o-qv5af4abcd/service_control_policy/p-2kgnabcd");
}

static void test_transport_failures(void)
{
        static const struct {
                HttpTransport t;
                ResultClass class;
                bool transient;
        } cases[] = {
                { HTTP_TRANSPORT_DNS, RESULT_CLASS_DNS_FAILURE, false },
                { HTTP_TRANSPORT_CONNECT, RESULT_CLASS_CONNECT_FAILED, true },
                { HTTP_TRANSPORT_RESET, RESULT_CLASS_CONNECT_FAILED, true },
                { HTTP_TRANSPORT_TIMEOUT, RESULT_CLASS_TIMEOUT, true },
                { HTTP_TRANSPORT_TLS, RESULT_CLASS_TLS_FAILURE, false },
                { HTTP_TRANSPORT_PROXY, RESULT_CLASS_PROXY_FAILURE, false },
                { HTTP_TRANSPORT_TOO_LARGE, RESULT_CLASS_BAD_RESPONSE, false },
                { HTTP_TRANSPORT_BAD_RESPONSE, RESULT_CLASS_BAD_RESPONSE, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(aws_result_done) AwsResult res = {};
                HttpResponse resp = {
                        .transport = cases[i].t,
                        .error = (char *) "Operation timed out after 5000 milliseconds",
                };

                ASSERT_OK(aws_result_from_response(&resp, AWS_PROTOCOL_QUERY, &res));
                ASSERT_EQ(res.class, cases[i].class);
                ASSERT_EQ(res.transient, cases[i].transient);
                ASSERT_EQ(res.http_status, 0);
                ASSERT_NULL(res.code);
                ASSERT_STREQ(res.message, "Operation timed out after 5000 milliseconds");
        }
}

static void test_status_fallbacks(void)
{
        static const struct {
                long status;
                const char *code;
                ResultClass class;
        } cases[] = {
                { 403, "OptInRequired", RESULT_CLASS_ACCESS_DENIED },
                { 404, "NoSuchThing", RESULT_CLASS_RESOURCE_NOT_FOUND },
                { 400, "ResourceAlreadyExistsException", RESULT_CLASS_INVALID_REQUEST },
                { 409, "Conflict", RESULT_CLASS_INVALID_REQUEST },
                { 503, "SlowDown", RESULT_CLASS_THROTTLED },
                { 500, "WhateverFailure", RESULT_CLASS_SERVER_ERROR },
                { 429, NULL, RESULT_CLASS_THROTTLED },
                { 429, "TooManyRequestsException", RESULT_CLASS_THROTTLED },
                { 400, "RequestLimitExceeded", RESULT_CLASS_THROTTLED },
                { 400, "RequestTimeout", RESULT_CLASS_TIMEOUT },
                { 403, "MissingAuthenticationTokenException", RESULT_CLASS_CREDENTIALS_INVALID },
                { 400, "IncompleteSignatureException", RESULT_CLASS_INVALID_REQUEST },
                { 400, "InvalidParameterCombination", RESULT_CLASS_INVALID_REQUEST },
                { 400, "KMSDisabledException", RESULT_CLASS_KMS_DENIED },
                { 404, "ResourceNotFound", RESULT_CLASS_RESOURCE_NOT_FOUND },
                { 403, "RegionDisabledException", RESULT_CLASS_STS_REGION_DISABLED },
                { 301, NULL, RESULT_CLASS_BAD_RESPONSE },
                { 301, "PermanentRedirect", RESULT_CLASS_BAD_RESPONSE },
                { 400, NULL, RESULT_CLASS_BAD_RESPONSE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                ASSERT_EQ(aws_error_classify(cases[i].status, cases[i].code, NULL),
                          cases[i].class);

        /* The message overrides: KMS denials, and SigV4 window rejections whatever the code. */
        ASSERT_EQ(aws_error_classify(403, "AccessDenied",
                                     "User: arn:aws:sts::1:assumed-role/r/s is not authorized to "
                                     "perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:"
                                     "key/abcd because no resource-based policy allows the "
                                     "kms:Decrypt action"),
                  RESULT_CLASS_KMS_DENIED);
        ASSERT_EQ(aws_error_classify(400, "AuthFailure",
                                     "Signature not yet current: 20170424T013926Z is still later "
                                     "than 20170424T013832Z (20170424T013332Z + 5 min.)"),
                  RESULT_CLASS_CLOCK_SKEW);
}

static void test_retry_after(void)
{
        static const Reply c = { "query-throttling.xml", AWS_PROTOCOL_QUERY, 503, CT_XML,
                                 { "Retry-After: 7" }, NULL };
        static const Reply bad = { "query-throttling.xml", AWS_PROTOCOL_QUERY, 503, CT_XML,
                                   { "Retry-After: Fri, 31 Dec 1999 23:59:59 GMT" }, NULL };
        _cleanup_(aws_result_done) AwsResult a = {}, b = {};
        HttpResponse resp;

        response_build(&c, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, c.proto, 0, &a));
        response_free(&resp);
        ASSERT_EQ(a.class, RESULT_CLASS_THROTTLED);
        ASSERT_EQ(a.retry_after, 7 * USEC_PER_SEC);

        response_build(&bad, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, bad.proto, 0, &b));
        response_free(&resp);
        ASSERT_EQ(b.retry_after, 0);
}

/* ---- clock skew ----------------------------------------------------------------------------- */

static usec_t utc(int y, int mo, int d, int h, int mi, int s)
{
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                         .tm_hour = h, .tm_min = mi, .tm_sec = s };

        return (usec_t) timegm(&tm) * USEC_PER_SEC;
}

static void test_clock_skew_messages(void)
{
        int64_t off;

        /* STS, 15-minute window: X-Amz-Date 17:13:23, server 17:50:39 → local 37m16s behind. */
        ASSERT_OK(aws_clock_skew_from_message(
                "Signature expired: 20240217T171323Z is now earlier than 20240217T173539Z "
                "(20240217T175039Z - 15 min.)", &off));
        ASSERT_EQ(off, 37 * 60 + 16);

        /* 5-minute window, local clock ahead by 5m54s. */
        ASSERT_OK(aws_clock_skew_from_message(
                "Signature not yet current: 20170424T013926Z is still later than "
                "20170424T013832Z (20170424T013332Z + 5 min.)", &off));
        ASSERT_EQ(off, -(5 * 60 + 54));

        /* 20 minutes behind → +1200 (server minus local); 20 minutes ahead → -1200. */
        ASSERT_OK(aws_clock_skew_from_message(
                "Signature expired: 20260801T120000Z is now earlier than 20260801T121500Z "
                "(20260801T122000Z - 5 min.)", &off));
        ASSERT_EQ(off, 1200);
        ASSERT_OK(aws_clock_skew_from_message(
                "Signature not yet current: 20260801T124000Z is still later than "
                "20260801T122500Z (20260801T122000Z + 5 min.)", &off));
        ASSERT_EQ(off, -1200);

        /* JSON services may append the canonical request after the sentence. */
        ASSERT_OK(aws_clock_skew_from_message(
                "Signature expired: 20260801T120000Z is now earlier than 20260801T121500Z "
                "(20260801T122000Z - 5 min.)\n\nThe Canonical String for this request should "
                "have been\n'POST\n/\n'", &off));
        ASSERT_EQ(off, 1200);

        ASSERT_ERROR(aws_clock_skew_from_message("Signature expired: soon", &off), ENODATA);
        ASSERT_ERROR(aws_clock_skew_from_message(
                "Signature expired: 20260801T120000Z is now earlier than 20260801T121500Z",
                &off), ENODATA);
        ASSERT_ERROR(aws_clock_skew_from_message(
                "Signature expired: 20261301T120000Z is now earlier than x (20260801T122000Z)",
                &off), ENODATA);
        ASSERT_ERROR(aws_clock_skew_from_message("Rate exceeded", &off), ENODATA);
        ASSERT_ERROR(aws_clock_skew_from_message(NULL, &off), ENODATA);
}

static void test_clock_skew_results(void)
{
        static const Reply sts = { "query-signature-expired-15min.xml", AWS_PROTOCOL_QUERY, 403,
                                   CT_XML, { "Date: Sat, 17 Feb 2024 17:50:39 GMT" }, NULL };
        static const Reply ahead = { "query-signature-not-yet-current-5min.xml",
                                     AWS_PROTOCOL_QUERY, 403, CT_XML, {}, NULL };
        static const Reply ec2 = { "ec2-requestexpired.xml", AWS_PROTOCOL_QUERY, 400, CT_XML,
                                   { "Date: Sat, 01 Aug 2026 12:20:00 GMT" }, NULL };
        static const Reply s3 = { "s3-requesttimetooskewed.xml", AWS_PROTOCOL_QUERY, 403,
                                  "application/xml", {}, NULL };
        _cleanup_(aws_result_done) AwsResult a = {}, b = {}, c = {}, d = {}, e = {};
        HttpResponse resp;

        /* The message's timestamps win over the Date header and the local time. */
        response_build(&sts, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, sts.proto, utc(2024, 2, 17, 17, 50, 0),
                                              &a));
        response_free(&resp);
        ASSERT_EQ(a.class, RESULT_CLASS_CLOCK_SKEW);
        ASSERT_TRUE(a.has_clock_offset);
        ASSERT_EQ(a.clock_offset_sec, 2236);
        ASSERT_FALSE(a.transient);

        response_build(&ahead, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, ahead.proto, 0, &b));
        response_free(&resp);
        ASSERT_TRUE(b.has_clock_offset);
        ASSERT_EQ(b.clock_offset_sec, -354);

        /* EC2's RequestExpired has no timestamps: Date header vs. the signing time. */
        response_build(&ec2, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, ec2.proto, utc(2026, 8, 1, 12, 0, 0), &c));
        ASSERT_EQ(c.class, RESULT_CLASS_CLOCK_SKEW);
        ASSERT_STREQ(c.code, "RequestExpired");
        ASSERT_STREQ(c.request_id, "b2c3d4e5-0000-4000-8000-00000000000b");
        ASSERT_TRUE(c.has_clock_offset);
        ASSERT_EQ(c.clock_offset_sec, 1200);
        /* Unknown signing time: no offset, still clock skew. */
        ASSERT_OK(aws_result_from_response_at(&resp, ec2.proto, 0, &d));
        response_free(&resp);
        ASSERT_EQ(d.class, RESULT_CLASS_CLOCK_SKEW);
        ASSERT_FALSE(d.has_clock_offset);

        /* S3-style <RequestTime>/<ServerTime>. */
        response_build(&s3, &resp);
        ASSERT_OK(aws_result_from_response_at(&resp, s3.proto, 0, &e));
        response_free(&resp);
        ASSERT_EQ(e.class, RESULT_CLASS_CLOCK_SKEW);
        ASSERT_STREQ(e.request_id, "4442587FB7D0A2F9");
        ASSERT_TRUE(e.has_clock_offset);
        ASSERT_EQ(e.clock_offset_sec, 1200);
}

/* ---- access-denied grammar ------------------------------------------------------------------ */

#define JOHN "User: arn:aws:iam::777788889999:user/JohnDoe is not authorized to perform: "
#define JOHN_ARN "arn:aws:iam::777788889999:user/JohnDoe"
#define DG "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*"

typedef struct Denial {
        const char *message;
        int ret;
        const char *principal, *action, *resource;
        PolicyType type;
        DenyKind deny;
        const char *policy_arn;
        bool transitive;
} Denial;

static const Denial denials[] = {
        /* Every example of the IAM guide's "Troubleshooting access denied error messages". */
        { JOHN "codecommit:ListRepositories with an explicit deny in a service control policy",
          1, JOHN_ARN, "codecommit:ListRepositories", NULL, POLICY_TYPE_SERVICE_CONTROL,
          DENY_KIND_EXPLICIT, NULL, false },
        { JOHN "codecommit:ListRepositories due to an explicit deny in a Service Control Policy",
          1, JOHN_ARN, "codecommit:ListRepositories", NULL, POLICY_TYPE_SERVICE_CONTROL,
          DENY_KIND_EXPLICIT, NULL, false },
        { JOHN "ssm:GetParameter because no service control policy allows the ssm:GetParameter "
          "action", 1, JOHN_ARN, "ssm:GetParameter", NULL, POLICY_TYPE_SERVICE_CONTROL,
          DENY_KIND_IMPLICIT, NULL, false },
        { JOHN "codecommit:ListRepositories because no VPC endpoint policy allows the "
          "codecommit:ListRepositories action", 1, JOHN_ARN, "codecommit:ListRepositories", NULL,
          POLICY_TYPE_VPC_ENDPOINT, DENY_KIND_IMPLICIT, NULL, false },
        { JOHN "codedeploy:ListDeployments on resource: " DG " with an explicit deny in a VPC "
          "endpoint policy", 1, JOHN_ARN, "codedeploy:ListDeployments", DG,
          POLICY_TYPE_VPC_ENDPOINT, DENY_KIND_EXPLICIT, NULL, false },
        { JOHN "codedeploy:ListDeployments because no permissions boundary allows the "
          "codedeploy:ListDeployments action", 1, JOHN_ARN, "codedeploy:ListDeployments", NULL,
          POLICY_TYPE_PERMISSIONS_BOUNDARY, DENY_KIND_IMPLICIT, NULL, false },
        { JOHN "sagemaker:ListModels with an explicit deny in a permissions boundary", 1, JOHN_ARN,
          "sagemaker:ListModels", NULL, POLICY_TYPE_PERMISSIONS_BOUNDARY, DENY_KIND_EXPLICIT,
          NULL, false },
        { JOHN "codecommit:ListRepositories because no session policy allows the "
          "codecommit:ListRepositories action", 1, JOHN_ARN, "codecommit:ListRepositories", NULL,
          POLICY_TYPE_SESSION, DENY_KIND_IMPLICIT, NULL, false },
        { JOHN "codecommit:ListRepositories with an explicit deny in a sessions policy", 1,
          JOHN_ARN, "codecommit:ListRepositories", NULL, POLICY_TYPE_SESSION, DENY_KIND_EXPLICIT,
          NULL, false },
        { JOHN "secretsmanager:GetSecretValue because no resource-based policy allows the "
          "secretsmanager:GetSecretValue action", 1, JOHN_ARN, "secretsmanager:GetSecretValue",
          NULL, POLICY_TYPE_RESOURCE_BASED, DENY_KIND_IMPLICIT, NULL, false },
        { JOHN "secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:"
          "123456789012:secret:* with an explicit deny in a resource-based policy", 1, JOHN_ARN,
          "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*",
          POLICY_TYPE_RESOURCE_BASED, DENY_KIND_EXPLICIT, NULL, false },
        { JOHN "sts:AssumeRole because no role trust policy allows the sts:AssumeRole action", 1,
          JOHN_ARN, "sts:AssumeRole", NULL, POLICY_TYPE_ROLE_TRUST, DENY_KIND_IMPLICIT, NULL,
          false },
        { JOHN "sts:AssumeRole with an explicit deny in the role trust policy", 1, JOHN_ARN,
          "sts:AssumeRole", NULL, POLICY_TYPE_ROLE_TRUST, DENY_KIND_EXPLICIT, NULL, false },
        { JOHN "codecommit:ListRepositories because no identity-based policy allows the "
          "codecommit:ListRepositories action", 1, JOHN_ARN, "codecommit:ListRepositories", NULL,
          POLICY_TYPE_IDENTITY_BASED, DENY_KIND_IMPLICIT, NULL, false },
        { JOHN "codedeploy:ListDeployments on resource: " DG " with an explicit deny in an "
          "identity-based policy", 1, JOHN_ARN, "codedeploy:ListDeployments", DG,
          POLICY_TYPE_IDENTITY_BASED, DENY_KIND_EXPLICIT, NULL, false },
        { "User: arn:aws:sts::111122223333:assumed-role/role-name/role-session-name is not "
          "authorized to perform: SNS:Publish on resource: arn:aws:sns:us-east-1:444455556666:"
          "role-name-2 with an explicit deny in a VPC endpoint policy transitively through a "
          "service control policy", 1,
          "arn:aws:sts::111122223333:assumed-role/role-name/role-session-name", "SNS:Publish",
          "arn:aws:sns:us-east-1:444455556666:role-name-2", POLICY_TYPE_VPC_ENDPOINT,
          DENY_KIND_EXPLICIT, NULL, true },

        /* Later additions: RCPs, policy ARNs (2026), S3's variant. */
        { JOHN "s3:GetObject on resource: arn:aws:s3:::amzn-s3-demo-bucket/key with an explicit "
          "deny in a resource control policy", 1, JOHN_ARN, "s3:GetObject",
          "arn:aws:s3:::amzn-s3-demo-bucket/key", POLICY_TYPE_RESOURCE_CONTROL,
          DENY_KIND_EXPLICIT, NULL, false },
        { "An error occurred (AccessDenied) when calling the ListRoles operation: User: "
          "arn:aws:iam::123456789012:user/Matt is not authorized to perform: iam:ListRoles on "
          "resource: arn:aws:iam::123456789012:role/* with an explicit deny in a service control "
          "policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/"
          "service_control_policy/p-2kgnabcd", 1, "arn:aws:iam::123456789012:user/Matt",
          "iam:ListRoles", "arn:aws:iam::123456789012:role/*", POLICY_TYPE_SERVICE_CONTROL,
          DENY_KIND_EXPLICIT,
          "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/"
          "p-2kgnabcd", false },
        { JOHN "s3:PutObject on resource: arn:aws:s3:::b/k with an explicit deny in a resource "
          "control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/"
          "resource_control_policy/p-rcp1abcd", 1, JOHN_ARN, "s3:PutObject", "arn:aws:s3:::b/k",
          POLICY_TYPE_RESOURCE_CONTROL, DENY_KIND_EXPLICIT,
          "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/resource_control_policy/"
          "p-rcp1abcd", false },
        { JOHN "logs:CreateLogGroup with an explicit deny in a permissions boundary: "
          "arn:aws:iam::777788889999:policy/Boundary", 1, JOHN_ARN, "logs:CreateLogGroup", NULL,
          POLICY_TYPE_PERMISSIONS_BOUNDARY, DENY_KIND_EXPLICIT,
          "arn:aws:iam::777788889999:policy/Boundary", false },
        { JOHN "logs:CreateLogGroup with an explicit deny in a session policy: "
          "arn:aws:iam::777788889999:policy/SessionPolicy", 1, JOHN_ARN, "logs:CreateLogGroup",
          NULL, POLICY_TYPE_SESSION, DENY_KIND_EXPLICIT,
          "arn:aws:iam::777788889999:policy/SessionPolicy", false },
        { JOHN "cloudwatch:PutMetricData with an explicit deny in an identity-based policy: "
          "arn:aws:iam::777788889999:policy/NoMetrics.", 1, JOHN_ARN, "cloudwatch:PutMetricData",
          NULL, POLICY_TYPE_IDENTITY_BASED, DENY_KIND_EXPLICIT,
          "arn:aws:iam::777788889999:policy/NoMetrics", false },
        { "User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: "
          "s3:GetObject on resource: \"arn:aws:s3:::amzn-s3-demo-bucket/object-name\" with an "
          "explicit deny in an identity-based policy, with policy ARN: "
          "arn:aws:iam::123456789012:policy/ExampleIdentityBasedPolicy", 1,
          "arn:aws:iam::777788889999:user/MaryMajor", "s3:GetObject",
          "arn:aws:s3:::amzn-s3-demo-bucket/object-name", POLICY_TYPE_IDENTITY_BASED,
          DENY_KIND_EXPLICIT, "arn:aws:iam::123456789012:policy/ExampleIdentityBasedPolicy",
          false },

        /* The CloudWatch and Logs texts cwguard actually meets. */
        { "User: arn:aws:sts::123456789012:assumed-role/cwguard/i-0123456789abcdef0 is not "
          "authorized to perform: cloudwatch:PutMetricData because no identity-based policy "
          "allows the cloudwatch:PutMetricData action", 1,
          "arn:aws:sts::123456789012:assumed-role/cwguard/i-0123456789abcdef0",
          "cloudwatch:PutMetricData", NULL, POLICY_TYPE_IDENTITY_BASED, DENY_KIND_IMPLICIT, NULL,
          false },
        /* EC2 style: a sentence in front, a trailing '.', the encoded message after. */
        { "You are not authorized to perform this operation. User: arn:aws:sts::123456789012:"
          "assumed-role/cwguard/i-0123456789abcdef0 is not authorized to perform: "
          "ec2:DescribeTags on resource: arn:aws:ec2:us-east-1:123456789012:instance/"
          "i-0123456789abcdef0. Encoded authorization failure message: 4GIOHlTkIaWHQD0Q0m7X", 1,
          "arn:aws:sts::123456789012:assumed-role/cwguard/i-0123456789abcdef0",
          "ec2:DescribeTags", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
          POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL, false },
        { "You are not authorized to perform this operation. User: arn:aws:sts::123456789012:"
          "assumed-role/cwguard/i-0123456789abcdef0 is not authorized to perform: "
          "ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/* with an "
          "explicit deny in a service control policy. Encoded authorization failure message: x",
          1, "arn:aws:sts::123456789012:assumed-role/cwguard/i-0123456789abcdef0",
          "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*",
          POLICY_TYPE_SERVICE_CONTROL, DENY_KIND_EXPLICIT, NULL, false },
        /* Older wording: no layer named, dot after the resource. */
        { "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: "
          "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/cwguard.", 1,
          "arn:aws:iam::123456789012:user/Alice", "sts:AssumeRole",
          "arn:aws:iam::123456789012:role/cwguard", POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL,
          false },
        { "User: arn:aws:iam::123456789012:user/Alice is not authorized to perform: "
          "logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:123456789012:log-group:g "
          "with an explicit deny", 1, "arn:aws:iam::123456789012:user/Alice",
          "logs:CreateLogGroup", "arn:aws:logs:us-east-1:123456789012:log-group:g",
          POLICY_TYPE_UNKNOWN, DENY_KIND_EXPLICIT, NULL, false },
        /* A principal whose name ends in "User". */
        { "User: arn:aws:iam::123456789012:user/BackupUser is not authorized to perform: "
          "logs:PutLogEvents", 1, "arn:aws:iam::123456789012:user/BackupUser",
          "logs:PutLogEvents", NULL, POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL, false },
        /* No "User:" but an ARN right before the anchor. */
        { "arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: sns:Publish "
          "on resource: arn:aws:sns:us-east-1:123456789012:t", 1,
          "arn:aws:sts::123456789012:assumed-role/r/s", "sns:Publish",
          "arn:aws:sns:us-east-1:123456789012:t", POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL,
          false },

        /* No grammar at all. */
        { "Access Denied", 0, NULL, NULL, NULL, POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL,
          false },
        { "", 0, NULL, NULL, NULL, POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL, false },
        { "The specified KMS key does not exist or is not allowed to be used with Arn "
          "'arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/secure-ecs-app'", 0, NULL,
          NULL, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/secure-ecs-app",
          POLICY_TYPE_UNKNOWN, DENY_KIND_UNKNOWN, NULL, false },
        { "User is not authorized to perform", 0, NULL, NULL, NULL, POLICY_TYPE_UNKNOWN,
          DENY_KIND_UNKNOWN, NULL, false },
        { " is not authorized to perform: ", 1, NULL, NULL, NULL, POLICY_TYPE_UNKNOWN,
          DENY_KIND_UNKNOWN, NULL, false },
        { "User: is not authorized to perform: x:Y because no such policy allows", 1, NULL,
          "x:Y", NULL, POLICY_TYPE_UNKNOWN, DENY_KIND_IMPLICIT, NULL, false },
};

static void test_access_denied_table(void)
{
        for (size_t i = 0; i < ELEMENTSOF(denials); i++) {
                const Denial *c = &denials[i];
                _cleanup_(access_denied_done) AccessDenied d = {};
                int r;

                fprintf(stderr, "   [%zu] %.70s\n", i, c->message);
                r = access_denied_parse(c->message, &d);
                ASSERT_EQ(r, c->ret);
                ASSERT_STREQ_NULL(d.principal, c->principal);
                ASSERT_STREQ_NULL(d.action, c->action);
                ASSERT_STREQ_NULL(d.resource, c->resource);
                ASSERT_STREQ(policy_type_to_string(d.policy_type), policy_type_to_string(c->type));
                ASSERT_STREQ(deny_kind_to_string(d.deny), deny_kind_to_string(c->deny));
                ASSERT_STREQ_NULL(d.policy_arn, c->policy_arn);
                ASSERT_EQ(d.transitive_via_scp, c->transitive);
        }
        ASSERT_ERROR(access_denied_parse(NULL, &(AccessDenied) {}), EINVAL);
}

/* Hostile messages: huge, repetitive, no terminator within the cap. Must be fast and safe. */
static void test_access_denied_hostile(void)
{
        static const char *const units[] = { "User: ", "User", " is not authorized to perform",
                                             "because no ", "explicit deny in a ", ": arn:" };
        const size_t size = 1024 * 1024;
        _cleanup_free_ char *m = malloc(size + 1);
        struct timespec a, b;

        ASSERT_NOT_NULL(m);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (size_t u = 0; u < ELEMENTSOF(units); u++) {
                _cleanup_(access_denied_done) AccessDenied d = {};
                size_t n = strlen(units[u]);

                for (size_t i = 0; i < size; i++)
                        m[i] = units[u][i % n];
                m[size] = 0;
                ASSERT_OK(access_denied_parse(m, &d));
                if (d.principal)
                        ASSERT_TRUE(strlen(d.principal) <= AWS_MESSAGE_MAX);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        ASSERT_TRUE(b.tv_sec - a.tv_sec < 5);
}

static void test_string_tables(void)
{
        for (int i = 0; i < _POLICY_TYPE_MAX; i++)
                ASSERT_EQ(policy_type_from_string(policy_type_to_string(i)), i);
        for (int i = 0; i < _DENY_KIND_MAX; i++)
                ASSERT_EQ(deny_kind_from_string(deny_kind_to_string(i)), i);
        for (int i = 0; i < _AWS_PROTOCOL_MAX; i++)
                ASSERT_EQ(aws_protocol_from_string(aws_protocol_to_string(i)), i);
        ASSERT_STREQ(policy_type_to_string(POLICY_TYPE_SERVICE_CONTROL), "service-control");
        ASSERT_STREQ(policy_type_to_string(POLICY_TYPE_VPC_ENDPOINT), "vpc-endpoint");
        ASSERT_STREQ(deny_kind_to_string(DENY_KIND_IMPLICIT), "implicit");
        ASSERT_STREQ(aws_protocol_to_string(AWS_PROTOCOL_JSON10), "json-1.0");
        ASSERT_NULL(policy_type_to_string(_POLICY_TYPE_MAX));
        ASSERT_NULL(deny_kind_to_string(-1));
        ASSERT_EQ(policy_type_from_string("sessions"), _POLICY_TYPE_INVALID);
        ASSERT_EQ(deny_kind_from_string(NULL), _DENY_KIND_INVALID);
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_message_cap(void)
{
        const size_t n = 100 * 1024;
        _cleanup_free_ char *body = malloc(n + 64);
        _cleanup_(aws_result_done) AwsResult res = {};
        HttpResponse resp = { .transport = HTTP_TRANSPORT_OK, .status = 400 };
        size_t len;

        ASSERT_NOT_NULL(body);
        len = (size_t) sprintf(body, "{\"__type\":\"ThrottlingException\",\"message\":\"");
        /* Two-byte UTF-8 characters, so the cut has to respect a boundary. */
        for (size_t i = 0; i < n / 2; i++) {
                body[len++] = (char) 0xc3;
                body[len++] = (char) 0xa9;
        }
        len += (size_t) sprintf(body + len, "\\u0001\"}");
        resp.body = body;
        resp.body_size = len;

        ASSERT_OK(aws_result_from_response_at(&resp, AWS_PROTOCOL_JSON11, 0, &res));
        ASSERT_EQ(res.class, RESULT_CLASS_THROTTLED);
        ASSERT_NOT_NULL(res.message);
        ASSERT_TRUE(strlen(res.message) <= AWS_MESSAGE_MAX);
        ASSERT_EQ(strlen(res.message) % 2, 0);
        ASSERT_EQ((unsigned char) res.message[strlen(res.message) - 1], 0xa9);
}

static void test_hostile_codes(void)
{
        /* A code with spaces or control characters is no code (it would reach the journal). */
        static const char body[] = "{\"__type\":\"Access\\nDenied\",\"message\":\"a\\u001b[31mb\"}";
        static const char rid[] = "abc def";
        _cleanup_(aws_result_done) AwsResult res = {};
        HttpResponse resp = {
                .transport = HTTP_TRANSPORT_OK,
                .status = 400,
                .body = (char *) body,
                .body_size = sizeof(body) - 1,
                .request_id = (char *) rid,
        };

        ASSERT_OK(aws_result_from_response_at(&resp, AWS_PROTOCOL_JSON11, 0, &res));
        ASSERT_NULL(res.code);
        ASSERT_NULL(res.request_id);
        ASSERT_EQ(res.class, RESULT_CLASS_BAD_RESPONSE);
        ASSERT_STREQ(res.message, "a [31mb");
}

static char *nested(const char *open, const char *close, size_t depth, size_t *ret_size)
{
        size_t lo = strlen(open), lc = strlen(close), n = depth * (lo + lc);
        char *s = malloc(n + 1), *p = s;

        ASSERT_NOT_NULL(s);
        for (size_t i = 0; i < depth; i++, p += lo)
                memcpy(p, open, lo);
        for (size_t i = 0; i < depth; i++, p += lc)
                memcpy(p, close, lc);
        *p = 0;
        *ret_size = n;
        return s;
}

static void test_nesting_and_size(void)
{
        static const XmlPath paths[] = { { "/a/a", 0 } };
        _cleanup_free_ char *deep_xml = NULL, *ok_xml = NULL, *deep_json = NULL, *big = NULL;
        _cleanup_(aws_result_done) AwsResult res = {};
        struct json_object *o = NULL;
        char *v[1] = {};
        size_t n;

        deep_xml = nested("<a>", "</a>", 100000, &n);
        ASSERT_ERROR(xml_extract(deep_xml, n, paths, 1, v, 1), EBADMSG);
        ASSERT_NULL(v[0]);
        {
                HttpResponse resp = { .transport = HTTP_TRANSPORT_OK, .status = 403,
                                      .body = deep_xml, .body_size = n };

                ASSERT_OK(aws_result_from_response_at(&resp, AWS_PROTOCOL_QUERY, 0, &res));
                ASSERT_EQ(res.class, RESULT_CLASS_BAD_RESPONSE);
        }

        ok_xml = nested("<a>", "</a>", XML_DOC_MAX_DEPTH, &n);
        ASSERT_OK(xml_extract(ok_xml, n, paths, 1, v, 1));
        ASSERT_STREQ(v[0], "");
        free(v[0]);
        v[0] = NULL;

        deep_json = nested("[", "]", 100000, &n);
        ASSERT_ERROR(aws_json_parse(deep_json, n, &o), EBADMSG);

        big = malloc(AWS_BODY_MAX + 2);
        ASSERT_NOT_NULL(big);
        memset(big, ' ', AWS_BODY_MAX + 1);
        big[0] = '{';
        big[AWS_BODY_MAX] = '}';
        ASSERT_ERROR(aws_json_parse(big, AWS_BODY_MAX + 1, &o), EFBIG);
        ASSERT_ERROR(xml_extract(big, XML_DOC_MAX_SIZE + 1, paths, 1, v, 1), EFBIG);

        ASSERT_ERROR(aws_json_parse(SL("{} x"), &o), EBADMSG);
        ASSERT_ERROR(aws_json_parse("{\"a\":\"\0\"}", 9, &o), EBADMSG);
        ASSERT_ERROR(aws_json_parse(SL("\"\xff\""), &o), EBADMSG);
        ASSERT_ERROR(aws_json_parse(SL(""), &o), EBADMSG);
        ASSERT_OK(aws_json_parse(SL(" {\"a\": 1} \n"), &o));
        json_object_put(o);
        ASSERT_OK(aws_json_parse(SL("12"), &o));
        ASSERT_EQ(json_object_get_int(o), 12);
        json_object_put(o);
}

static void test_xml_extract(void)
{
        static const char doc[] =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<!-- comment --><aws:Root xmlns:aws=\"urn:x\"><aws:A>one &amp; <b>two</b>"
                "<![CDATA[<three>]]></aws:A><A>second</A><X><Y>y</Y></X></aws:Root>";
        static const XmlPath paths[] = {
                { "/Root/A", 0 },
                { "/*/X/Y", 1 },
                { "/Root/Missing", 2 },
        };
        static const XmlPath bad_paths[] = { { "Root/A", 0 } };
        char *v[3] = {};

        ASSERT_OK(xml_extract(doc, sizeof(doc) - 1, paths, ELEMENTSOF(paths), v, 3));
        ASSERT_STREQ(v[0], "one & two<three>");
        ASSERT_STREQ(v[1], "y");
        ASSERT_NULL(v[2]);
        for (size_t i = 0; i < 3; i++)
                free(v[i]);

        memset(v, 0, sizeof(v));
        ASSERT_ERROR(xml_extract(doc, sizeof(doc) - 1, bad_paths, 1, v, 1), EINVAL);
        ASSERT_ERROR(xml_extract(doc, sizeof(doc) - 1, paths, ELEMENTSOF(paths), v, 2), EINVAL);
        ASSERT_ERROR(xml_extract("<a>&unknown;</a>", 16, paths, 1, v, 3), EBADMSG);
        ASSERT_ERROR(xml_extract("<a/><b/>", 8, paths, 1, v, 3), EBADMSG);
        ASSERT_ERROR(xml_extract("", 0, paths, 1, v, 3), EBADMSG);
        ASSERT_ERROR(xml_extract("<a>\0</a>", 8, paths, 1, v, 3), EBADMSG);
}

/* ---- success bodies ------------------------------------------------------------------------- */

static void test_sts_identity(void)
{
        _cleanup_(sts_caller_identity_done) StsCallerIdentity id = {};
        _cleanup_free_ char *user = NULL, *role = NULL, *noacct = NULL, *trunc = NULL,
                            *err = NULL;
        size_t n;

        user = fixture("sts-identity-user.xml", &n);
        ASSERT_OK(sts_parse_caller_identity(user, n, &id));
        ASSERT_STREQ(id.arn, "arn:aws:iam::123456789012:user/Alice");
        ASSERT_STREQ(id.user_id, "AKIAI44QH8DHBEXAMPLE");
        ASSERT_STREQ(id.account, "123456789012");
        ASSERT_STREQ(id.request_id, "01234567-89ab-cdef-0123-456789abcdef");
        sts_caller_identity_done(&id);

        role = fixture("sts-identity-assumed-role.xml", &n);
        ASSERT_OK(sts_parse_caller_identity(role, n, &id));
        ASSERT_STREQ(id.arn,
                     "arn:aws:sts::123456789012:assumed-role/MyInstanceRole/i-0123456789abcdef0");
        ASSERT_STREQ(id.user_id, "AROA3XFRBF535PLBIFPI4:i-0123456789abcdef0");
        ASSERT_STREQ(id.account, "123456789012");
        ASSERT_STREQ(id.request_id, "f1e2d3c4-0000-4000-8000-00000000000c");
        sts_caller_identity_done(&id);

        /* Failures leave @ret alone. */
        id.arn = (char *) "sentinel";
        noacct = fixture("sts-identity-no-account.xml", &n);
        ASSERT_ERROR(sts_parse_caller_identity(noacct, n, &id), EBADMSG);
        trunc = fixture("sts-identity-truncated.xml", &n);
        ASSERT_ERROR(sts_parse_caller_identity(trunc, n, &id), EBADMSG);
        err = fixture("query-expiredtoken.xml", &n);
        ASSERT_ERROR(sts_parse_caller_identity(err, n, &id), EBADMSG);
        ASSERT_ERROR(sts_parse_caller_identity(SL(""), &id), EBADMSG);
        ASSERT_ERROR(sts_parse_caller_identity(
                SL("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x"
                "</Arn><UserId>AIDA</UserId><Account>12345</Account></GetCallerIdentityResult>"
                "</GetCallerIdentityResponse>"), &id), EBADMSG);
        ASSERT_STREQ(id.arn, "sentinel");
        id.arn = NULL;
}

/* The AWS API reference's AssumeRole example (fixture), then everything that must be refused. */
static void test_sts_assume_role(void)
{
        _cleanup_(sts_assumed_role_done) StsAssumedRole ar = {};
        _cleanup_free_ char *ok = NULL, *err = NULL, *big = NULL;
        static const struct {
                const char *from, *to;
        } bad[] = {
                { "<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>", "" },
                { "ASIAIOSFODNN7EXAMPLE", "asia-lower" },
                { "ASIAIOSFODNN7EXAMPLE", "ASIASHORT" },
                { "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>",
                  "" },
                { "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "two words" },
                { "<SessionToken>AQoD", "<SessionToken>\x01AQoD" },
                { "2019-11-09T13:34:41Z", "tomorrow" },
                { "<Expiration>2019-11-09T13:34:41Z</Expiration>", "" },
                { "arn:aws:sts::123456789012:assumed-role/demo/John", "not-an-arn" },
                { "ARO123EXAMPLE123:John", "ARO John" },
                { "AssumeRoleResult>", "GetCallerIdentityResult>" },
                { "</AssumeRoleResponse>", "" },
        };
        size_t n;

        ok = fixture("sts-assume-role.xml", &n);
        ASSERT_OK(sts_parse_assume_role(ok, n, &ar));
        ASSERT_STREQ(ar.access_key_id, "ASIAIOSFODNN7EXAMPLE");
        ASSERT_STREQ(ar.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
        ASSERT_EQ(strncmp(ar.session_token, "AQoDYXdzEPT//////////wEXAMPLE", 29), 0);
        ASSERT_EQ(ar.expiration, (usec_t) 1573306481 * USEC_PER_SEC);
        ASSERT_STREQ(ar.arn, "arn:aws:sts::123456789012:assumed-role/demo/John");
        ASSERT_STREQ(ar.assumed_role_id, "ARO123EXAMPLE123:John");
        ASSERT_STREQ(ar.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
        sts_assumed_role_done(&ar);
        ASSERT_NULL(ar.secret_access_key);

        /* Failures leave @ret alone. */
        ar.arn = (char *) "sentinel";
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *doc = NULL;
                const char *at = strstr(ok, bad[i].from);

                ASSERT_NOT_NULL(at);
                ASSERT_TRUE(asprintf(&doc, "%.*s%s%s", (int) (at - ok), ok, bad[i].to,
                                     at + strlen(bad[i].from)) > 0);
                if (sts_parse_assume_role(doc, strlen(doc), &ar) != -EBADMSG) {
                        fprintf(stderr, "case %zu accepted\n", i);
                        abort();
                }
        }
        ASSERT_ERROR(sts_parse_assume_role(ok, n / 2, &ar), EBADMSG);
        err = fixture("query-expiredtoken.xml", &n);
        ASSERT_ERROR(sts_parse_assume_role(err, n, &ar), EBADMSG);
        ASSERT_ERROR(sts_parse_assume_role(SL(""), &ar), EBADMSG);
        /* Oversized: refused before parsing. */
        big = malloc(XML_DOC_MAX_SIZE + 2);
        ASSERT_NOT_NULL(big);
        memset(big, ' ', XML_DOC_MAX_SIZE + 1);
        memcpy(big, "<AssumeRoleResponse>", 20);
        ASSERT_ERROR(sts_parse_assume_role(big, XML_DOC_MAX_SIZE + 1, &ar), EFBIG);
        ASSERT_STREQ(ar.arn, "sentinel");
        ar.arn = NULL;
}

static void test_cloudwatch_bodies(void)
{
        _cleanup_free_ char *ok = NULL, *garbage = NULL, *err = NULL, *trunc = NULL;
        size_t n;

        ok = fixture("cloudwatch-put-metric-data-ok.xml", &n);
        ASSERT_OK(cloudwatch_check_put_metric_data(ok, n));
        ASSERT_OK(cloudwatch_check_put_metric_data(SL("<PutMetricDataResponse/>")));
        /* A 200 that is not CloudWatch's answer: something in between answered. */
        garbage = fixture("garbage.bin", &n);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(garbage, n), EBADMSG);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(SL("\xff<<garbage not XML {{\n")),
                     EBADMSG);
        err = fixture("query-throttling.xml", &n);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(err, n), EBADMSG);
        trunc = fixture("truncated.xml", &n);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(trunc, n), EBADMSG);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(SL("<PutMetricDataResponse>")), EBADMSG);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(SL("{}")), EBADMSG);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(SL("")), EBADMSG);
        ASSERT_ERROR(cloudwatch_check_put_metric_data(SL("<html><body>OK</body></html>")),
                     EBADMSG);
}

static void test_logs_bodies(void)
{
        _cleanup_(logs_put_log_events_result_done) LogsPutLogEventsResult p = {};
        _cleanup_free_ char *streams = NULL, *rejected = NULL, *ok = NULL, *token = NULL;
        _cleanup_strv_free_ char **names = NULL;
        size_t n;

        streams = fixture("logs-describe-log-streams.json", &n);
        ASSERT_OK(logs_parse_describe_log_streams(streams, n, &names, &token));
        ASSERT_EQ(strv_length(names), 2);
        ASSERT_STREQ(names[0], "i-0123456789abcdef0");
        ASSERT_STREQ(names[1], "i-0123456789abcdef0-2");
        ASSERT_STREQ(token, "/v1/1785585700000/i-0123456789abcdef0-2");
        names = strv_free(names);

        ASSERT_OK(logs_parse_describe_log_streams(SL("{\"logStreams\":[]}"), &names, NULL));
        ASSERT_EQ(strv_length(names), 0);
        ASSERT_NOT_NULL(names);
        names = strv_free(names);
        ASSERT_ERROR(logs_parse_describe_log_streams(SL("{\"logStreams\":[{}]}"), &names, NULL),
                     EBADMSG);
        ASSERT_ERROR(logs_parse_describe_log_streams(SL("{\"logStreams\":{}}"), &names, NULL),
                     EBADMSG);
        ASSERT_ERROR(logs_parse_describe_log_streams(SL("[]"), &names, NULL), EBADMSG);
        ASSERT_NULL(names);

        rejected = fixture("logs-put-log-events-rejected.json", &n);
        ASSERT_OK(logs_parse_put_log_events(rejected, n, &p));
        ASSERT_EQ(p.too_new_start_index, 2);
        ASSERT_EQ(p.too_old_end_index, 0);
        ASSERT_EQ(p.expired_end_index, -1);
        ASSERT_NULL(p.rejected_entity_error_type);
        ASSERT_TRUE(logs_put_log_events_rejected(&p));
        logs_put_log_events_result_done(&p);

        ok = fixture("logs-put-log-events-ok.json", &n);
        ASSERT_OK(logs_parse_put_log_events(ok, n, &p));
        ASSERT_FALSE(logs_put_log_events_rejected(&p));
        logs_put_log_events_result_done(&p);

        ASSERT_OK(logs_parse_put_log_events(SL(""), &p));
        ASSERT_FALSE(logs_put_log_events_rejected(&p));
        ASSERT_OK(logs_parse_put_log_events(
                SL("{\"rejectedEntityInfo\":{\"errorType\":\"InvalidAttributes\"}}"), &p));
        ASSERT_STREQ(p.rejected_entity_error_type, "InvalidAttributes");
        ASSERT_TRUE(logs_put_log_events_rejected(&p));
        logs_put_log_events_result_done(&p);
        ASSERT_ERROR(logs_parse_put_log_events(
                SL("{\"rejectedLogEventsInfo\":{\"tooNewLogEventStartIndex\":\"2\"}}"), &p),
                EBADMSG);
        ASSERT_ERROR(logs_parse_put_log_events(SL("{"), &p), EBADMSG);
}

int main(void)
{
        TEST(test_replies);
        TEST(test_reply_denied_details);
        TEST(test_transport_failures);
        TEST(test_status_fallbacks);
        TEST(test_retry_after);
        TEST(test_clock_skew_messages);
        TEST(test_clock_skew_results);
        TEST(test_access_denied_table);
        TEST(test_access_denied_hostile);
        TEST(test_string_tables);
        TEST(test_message_cap);
        TEST(test_hostile_codes);
        TEST(test_nesting_and_size);
        TEST(test_xml_extract);
        TEST(test_sts_identity);
        TEST(test_sts_assume_role);
        TEST(test_cloudwatch_bodies);
        TEST(test_logs_bodies);
        return 0;
}
