/* SPDX-License-Identifier: MIT */
/*
 * fuzz-aws-error.c: every parser of AWS reply bodies on the same bytes. The first input byte
 * picks the protocol (bits 0-1), the HTTP status (bits 2-4), whether a Content-Type is sent
 * (bit 5), and whether a query-error / ErrorType / Date header pair is sent (bit 6); the rest
 * is the body. Besides aws_result_from_response_at() the body also goes through the STS
 * (GetCallerIdentity, AssumeRole) and Logs success parsers, since they share the XML and JSON
 * readers.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/aws-error.h"
#include "common/aws-response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const long statuses[8] = { 200, 400, 403, 404, 429, 500, 503, 301 };
        static const char *const content_types[_AWS_PROTOCOL_MAX] = {
                "text/xml", "application/x-amz-json-1.0", "application/x-amz-json-1.1",
        };
        HttpHeader headers[3] = {
                { (char *) "x-amzn-query-error", (char *) "AccessDenied;Sender" },
                { (char *) "x-amzn-ErrorType", (char *) "ThrottlingException:http://x/#y" },
                { (char *) "Date", (char *) "Sat, 01 Aug 2026 12:20:00 GMT" },
        };
        _cleanup_(sts_caller_identity_done) StsCallerIdentity id = {};
        _cleanup_(sts_assumed_role_done) StsAssumedRole role = {};
        _cleanup_(logs_put_log_events_result_done) LogsPutLogEventsResult put = {};
        _cleanup_(aws_result_done) AwsResult res = {};
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *body = NULL, *token = NULL;
        HttpResponse resp = { .transport = HTTP_TRANSPORT_OK };
        AwsProtocol proto;
        uint8_t sel;

        if (size < 1)
                return 0;
        sel = data[0];
        data++, size--;

        /* The HTTP layer hands over NUL-terminated bodies. */
        body = malloc(size + 1);
        if (!body)
                return 0;
        memcpy(body, data, size);
        body[size] = 0;

        proto = (AwsProtocol) ((sel & 3) % _AWS_PROTOCOL_MAX);
        resp.status = statuses[(sel >> 2) & 7];
        resp.body = body;
        resp.body_size = size;
        if (sel & 0x20)
                resp.content_type = (char *) content_types[proto];
        if (sel & 0x40) {
                resp.headers = headers;
                resp.n_headers = ELEMENTSOF(headers);
        }

        if (aws_result_from_response_at(&resp, proto, 1785585600 * USEC_PER_SEC, &res) < 0)
                return 0;

        (void) sts_parse_caller_identity(body, size, &id);
        (void) sts_parse_assume_role(body, size, &role);
        (void) logs_parse_describe_log_streams(body, size, &names, &token);
        (void) logs_parse_put_log_events(body, size, &put);
        return 0;
}
