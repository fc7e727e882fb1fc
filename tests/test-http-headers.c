/* SPDX-License-Identifier: MIT */
/*
 * test-http-headers.c: the response-header parser of the HTTP client (http-response.c) without
 * curl or a network: raw lines as libcurl's CURLOPT_HEADERFUNCTION delivers them go straight
 * into http_response_add_header_line(). Covers the field split and trimming, interim responses,
 * obs-fold, the RFC 9110 §5.5 treatment of CR/LF/NUL, lines that are not headers, both caps, and
 * the captured convenience fields. test-http.c checks the same behaviour end to end via libcurl.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http-internal.h"
#include "tests/test.h"

/* Feed a header block line by line (each line keeps its LF), like libcurl does. */
static int feed(HttpResponse *r, size_t *bytes, const char *block, size_t size)
{
        for (size_t off = 0; off < size;) {
                const char *lf = memchr(block + off, '\n', size - off);
                size_t n = lf ? (size_t) (lf - (block + off)) + 1 : size - off;
                int k;

                k = http_response_add_header_line(r, block + off, n, bytes);
                if (k < 0)
                        return k;
                off += n;
        }
        return 0;
}
#define FEED(r, bytes, s) feed((r), (bytes), (s), sizeof(s) - 1)

static void test_aws_response(void)
{
        static const char block[] = "HTTP/1.1 100 Continue\r\n"
                                    "X-Interim: yes\r\n"
                                    "\r\n"
                                    "HTTP/1.1 400 Bad Request\r\n"
                                    "x-amzn-RequestId: 5b1e2d3c-0000-4a6e-9d1f-111111111111\r\n"
                                    "x-amzn-query-error: Throttling;Sender\r\n"
                                    "Content-Type: text/xml\r\n"
                                    "Content-Length: 277\r\n"
                                    "Date: Sun, 22 Nov 2026 14:00:00 GMT\r\n"
                                    "x-amz-request-id: legacy\r\n"
                                    "Date: Mon, 23 Nov 2026 00:00:00 GMT\r\n"
                                    "Connection: close\r\n"
                                    "\r\n";
        HttpResponse r = {};
        size_t bytes = 0;

        ASSERT_OK(FEED(&r, &bytes, block));
        ASSERT_EQ(bytes, sizeof(block) - 1);
        /* Only the final response's fields, in order. */
        ASSERT_NULL(http_response_header(&r, "X-Interim"));
        ASSERT_EQ(r.n_headers, 8);
        ASSERT_STREQ(r.headers[0].name, "x-amzn-RequestId");
        ASSERT_STREQ(r.headers[7].value, "close");

        /* Captured only on request, the first of a name wins, x-amzn-RequestId beats the S3 one. */
        ASSERT_NULL(r.date);
        ASSERT_OK(http_response_capture_fields(&r));
        ASSERT_STREQ(r.date, "Sun, 22 Nov 2026 14:00:00 GMT");
        ASSERT_STREQ(r.request_id, "5b1e2d3c-0000-4a6e-9d1f-111111111111");
        ASSERT_STREQ(r.query_error, "Throttling;Sender");
        ASSERT_STREQ(r.content_type, "text/xml");
        http_response_done(&r);

        /* Without x-amzn-RequestId the S3-style id is taken; absent fields stay NULL. */
        ASSERT_OK(FEED(&r, &bytes, "HTTP/1.1 200 OK\r\nx-amz-request-id: s3-id\r\n\r\n"));
        ASSERT_OK(http_response_capture_fields(&r));
        ASSERT_STREQ(r.request_id, "s3-id");
        ASSERT_NULL(r.date);
        ASSERT_NULL(r.query_error);
        ASSERT_NULL(r.content_type);
        http_response_done(&r);
}

static void test_trim_and_fold(void)
{
        static const char block[] = "HTTP/1.1 200 OK\r\n"
                                    "X-Spaces: \t padded value \t\r\n"
                                    "X-Empty:\r\n"
                                    "  X-Lead : v\r\n" /* a fold: joins X-Empty */
                                    "X-Fold: first\r\n"
                                    "\tsecond\r\n"
                                    "   \r\n"          /* an empty fold adds nothing */
                                    "X-Colons: a:b::c\r\n"
                                    "X-Bare-LF: yes\n";
        HttpResponse r = {};
        size_t bytes = 0;

        ASSERT_OK(FEED(&r, &bytes, block));
        ASSERT_EQ(r.n_headers, 5);
        ASSERT_STREQ(http_response_header(&r, "x-spaces"), "padded value");
        ASSERT_STREQ(http_response_header(&r, "X-Empty"), "X-Lead : v");
        ASSERT_STREQ(http_response_header(&r, "X-Fold"), "first second");
        ASSERT_STREQ(http_response_header(&r, "X-Colons"), "a:b::c");
        ASSERT_STREQ(http_response_header(&r, "X-Bare-LF"), "yes");
        http_response_done(&r);

        /* A fold with nothing to continue is dropped. */
        ASSERT_OK(FEED(&r, &bytes, "HTTP/1.1 200 OK\r\n continued\r\nX-A: 1\r\n"));
        ASSERT_EQ(r.n_headers, 1);
        http_response_done(&r);
}

static void test_not_headers(void)
{
        static const char block[] = "HTTP/1.1 200 OK\r\n"
                                    "ThisLineHasNoColon\r\n"
                                    ": no name\r\n"
                                    " \t: still no name\r\n"
                                    "X-Ok: 1\r\n";
        static const char bad_name[] = "Bad\0Name: v\r\nBad\rName: v\r\n";
        HttpResponse r = {};
        size_t bytes = 0;

        ASSERT_OK(FEED(&r, &bytes, block));
        /* " \t: still no name" is an obs-fold, with no field yet to continue: dropped. */
        ASSERT_EQ(r.n_headers, 1);
        ASSERT_STREQ(r.headers[0].name, "X-Ok");
        http_response_done(&r);

        ASSERT_OK(FEED(&r, &bytes, bad_name));
        ASSERT_EQ(r.n_headers, 0);
        http_response_done(&r);

        /* A zero-length line (never sent by libcurl) is harmless. */
        ASSERT_OK(http_response_add_header_line(&r, "", 0, &bytes));
        ASSERT_EQ(r.n_headers, 0);
}

static void test_control_bytes(void)
{
        static const char block[] = "X-Cr: a\rb\r\n"
                                    "X-Nul: sec\0ret\r\n"
                                    "X-Edge: \0\rv\r\0\r\n"
                                    "X-Bin: \xff\xfe\x80" "abc\r\n";
        HttpResponse r = {};
        size_t bytes = 0;

        /* RFC 9110 §5.5: CR, LF and NUL inside a value become SP; nothing is cut short. */
        ASSERT_OK(FEED(&r, &bytes, block));
        ASSERT_EQ(r.n_headers, 4);
        ASSERT_STREQ(http_response_header(&r, "X-Cr"), "a b");
        ASSERT_STREQ(http_response_header(&r, "X-Nul"), "sec ret");
        ASSERT_STREQ(http_response_header(&r, "X-Edge"), "v");
        ASSERT_STREQ(http_response_header(&r, "X-Bin"), "\xff\xfe\x80" "abc");
        http_response_done(&r);
}

static void test_caps(void)
{
        HttpResponse r = {};
        size_t bytes = 0;
        char line[64];
        int k = 0;

        /* Field count: the one past HTTP_MAX_HEADERS fails, the response stays consistent. */
        for (unsigned i = 0; i <= HTTP_MAX_HEADERS; i++) {
                int n = snprintf(line, sizeof(line), "X-H%u: %u\r\n", i, i);

                k = http_response_add_header_line(&r, line, (size_t) n, &bytes);
                if (k < 0)
                        break;
        }
        ASSERT_ERROR(k, E2BIG);
        ASSERT_EQ(r.n_headers, HTTP_MAX_HEADERS);
        /* ...but a new response starts from zero, and ignored lines never count. */
        ASSERT_OK(http_response_add_header_line(&r, "HTTP/1.1 200 OK\r\n", 17, &bytes));
        ASSERT_EQ(r.n_headers, 0);
        http_response_done(&r);

        /* Bytes: counted over the whole exchange, interim responses and blank lines included. */
        bytes = HTTP_MAX_HEADER_BYTES - 4;
        ASSERT_OK(http_response_add_header_line(&r, "\r\n", 2, &bytes));
        ASSERT_OK(http_response_add_header_line(&r, "\r\n", 2, &bytes));
        ASSERT_EQ(bytes, HTTP_MAX_HEADER_BYTES);
        ASSERT_ERROR(http_response_add_header_line(&r, "\r\n", 2, &bytes), EMSGSIZE);
        /* The counter saturates rather than wrapping around. */
        bytes = SIZE_MAX - 1;
        ASSERT_ERROR(http_response_add_header_line(&r, "X: 1\r\n", 6, &bytes), EMSGSIZE);
        ASSERT_EQ(bytes, SIZE_MAX);
        http_response_done(&r);
}

int main(void)
{
        TEST(test_aws_response);
        TEST(test_trim_and_fold);
        TEST(test_not_headers);
        TEST(test_control_bytes);
        TEST(test_caps);
        return 0;
}
