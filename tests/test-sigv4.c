/* SPDX-License-Identifier: MIT */
/*
 * test-sigv4: unit tests of common/sigv4.c beyond the AWS test-suite vectors (those run in
 * test-sigv4-vectors): signatures cross-checked against botocore, the signing time, the session
 * token modes, x-amz-content-sha256, the redacted canonical request, the secret staying out of
 * every output, the canonical URI/query/header rules, and refusal of bad input with -EINVAL.
 */

#include <stdio.h>
#include <string.h>

#include "common/sigv4.h"
#include "common/util.h"
#include "tests/test.h"

/* The AWS test suite's credentials and time (2015-08-30T12:36:00Z). */
#define SUITE_AKID "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define SUITE_TIME ((usec_t) 1440938160 * USEC_PER_SEC)
#define SUITE_HOST "Host:example.amazonaws.com"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* get-vanilla/header-signature.txt */
#define VANILLA_SIGNATURE "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

/* The botocore cross-checks: AWS's documentation example keys, 2024-05-01T12:34:56Z. */
#define BOTO_AKID "AKIAIOSFODNN7EXAMPLE"
#define BOTO_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define BOTO_TIME ((usec_t) 1714566896 * USEC_PER_SEC)

static const Sigv4Params suite_params = {
        .region = "us-east-1",
        .service = "service",
        .time = SUITE_TIME,
};

static int sign_get(const char *path, const char *query, char **headers, const Sigv4Params *p,
                    const char *token, Sigv4Signature *ret)
{
        const Sigv4Request req = {
                .method = "GET",
                .path = path,
                .query = query,
                .headers = headers,
        };

        return sigv4_sign(&req, p, SUITE_AKID, SUITE_SECRET, token, ret);
}

/* Line @n (0-based) of @s, in a static buffer. */
static const char *line_of(const char *s, unsigned n)
{
        static char buf[1024];
        size_t len;

        for (; n > 0; n--) {
                s = strchr(s, '\n');
                ASSERT_NOT_NULL(s);
                s++;
        }
        len = strcspn(s, "\n");
        ASSERT_TRUE(len < sizeof(buf));
        memcpy(buf, s, len);
        buf[len] = 0;
        return buf;
}

static void assert_all_null(const Sigv4Signature *s)
{
        ASSERT_NULL(s->amz_date);
        ASSERT_NULL(s->credential_scope);
        ASSERT_NULL(s->signed_headers);
        ASSERT_NULL(s->canonical_request);
        ASSERT_NULL(s->canonical_request_redacted);
        ASSERT_NULL(s->string_to_sign);
        ASSERT_NULL(s->signature);
        ASSERT_NULL(s->authorization);
        ASSERT_NULL(s->headers);
}

static void test_vanilla_fields(void)
{
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {};

        ASSERT_OK(sign_get("/", NULL, (char *[]) { (char *) SUITE_HOST, NULL }, &suite_params,
                           NULL, &s));
        ASSERT_STREQ(s.amz_date, "20150830T123600Z");
        ASSERT_STREQ(s.credential_scope, "20150830/us-east-1/service/aws4_request");
        ASSERT_STREQ(s.signed_headers, "host;x-amz-date");
        ASSERT_STREQ(s.canonical_request, "GET\n/\n\nhost:example.amazonaws.com\n"
                                          "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                                          EMPTY_SHA256);
        ASSERT_STREQ(s.canonical_request_redacted, s.canonical_request);
        ASSERT_STREQ(s.signature, VANILLA_SIGNATURE);
        ASSERT_STREQ(s.authorization,
                     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                     "aws4_request, SignedHeaders=host;x-amz-date, Signature=" VANILLA_SIGNATURE);
        ASSERT_EQ(strv_length(s.headers), 2);
        ASSERT_STREQ(s.headers[0], "X-Amz-Date: 20150830T123600Z");
        ASSERT_STREQ(s.headers[1], "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
                                   "20150830/us-east-1/service/aws4_request, "
                                   "SignedHeaders=host;x-amz-date, Signature=" VANILLA_SIGNATURE);
}

/*
 * STS GetCallerIdentity as cwguard sends it. Expected values computed once, independently, with
 * Debian's botocore 1.29.27 (/usr/bin/python3): botocore.auth.SigV4Auth(Credentials(BOTO_AKID,
 * BOTO_SECRET, token), "sts", "us-east-1").add_auth(AWSRequest("POST",
 * "https://sts.us-east-1.amazonaws.com/", data=body, headers={Host, Content-Type})) with
 * botocore.auth.datetime.datetime.utcnow patched to return 2024-05-01 12:34:56.
 */
static void test_botocore_sts_get_caller_identity(void)
{
        static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
        static const char token[] =
                "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletoken+/=";
        char *headers[] = {
                (char *) "Host: sts.us-east-1.amazonaws.com",
                (char *) "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                NULL,
        };
        const Sigv4Request req = {
                .method = "POST",
                .path = "/",
                .headers = headers,
                .body = body,
                .body_size = strlen(body),
        };
        const Sigv4Params p = { .region = "us-east-1", .service = "sts", .time = BOTO_TIME };
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {}, n = {};

        ASSERT_OK(sigv4_sign(&req, &p, BOTO_AKID, BOTO_SECRET, token, &s));
        ASSERT_STREQ(s.canonical_request,
                     "POST\n/\n\n"
                     "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
                     "host:sts.us-east-1.amazonaws.com\n"
                     "x-amz-date:20240501T123456Z\n"
                     "x-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLE//////////"
                     "wEaCXVzLWVhc3QtMSJHMEUCIQDexampletoken+/=\n\n"
                     "content-type;host;x-amz-date;x-amz-security-token\n"
                     "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843");
        ASSERT_STREQ(s.signature,
                     "3b751a2f5d759fbecf37ab78a9ccf8d8206712942e810e281184acf5092d061a");
        ASSERT_STREQ(s.authorization,
                     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240501/us-east-1/sts/"
                     "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                     "x-amz-security-token, "
                     "Signature=3b751a2f5d759fbecf37ab78a9ccf8d8206712942e810e281184acf5092d061a");
        ASSERT_EQ(strv_length(s.headers), 3);
        ASSERT_STREQ(s.headers[0], "X-Amz-Date: 20240501T123456Z");
        ASSERT_STREQ(s.headers[1], "X-Amz-Security-Token: IQoJb3JpZ2luX2VjEXAMPLE//////////"
                                   "wEaCXVzLWVhc3QtMSJHMEUCIQDexampletoken+/=");
        ASSERT_TRUE(strncmp(s.headers[2], "Authorization: ", 15) == 0);
        ASSERT_STREQ(s.headers[2] + 15, s.authorization);

        /* Same request, long-term credentials (same botocore run, token=None). */
        ASSERT_OK(sigv4_sign(&req, &p, BOTO_AKID, BOTO_SECRET, NULL, &n));
        ASSERT_STREQ(n.signature,
                     "45ed18fc351b6a4369f68255a99cae3bf5c9143c3c1d34906a28c0ec7f0ff65f");
        ASSERT_STREQ(n.signed_headers, "content-type;host;x-amz-date");
        ASSERT_EQ(strv_length(n.headers), 2);
}

/*
 * A GET with a query, a deeper path and messy repeated headers. Expected values from the same
 * botocore (SigV4Auth, service "monitoring", region "eu-west-1", same fixed time, URL
 * https://monitoring.eu-west-1.amazonaws.com/a/b?Version=2010-08-01&Namespace=AWS%2FEC2&
 * Action=ListMetrics, headers Host, "X-Custom: '  a   b\tc  '", "x-custom: second").
 */
static void test_botocore_query_and_headers(void)
{
        char *headers[] = {
                (char *) "Host: monitoring.eu-west-1.amazonaws.com",
                (char *) "X-Custom:  a   b\tc  ",
                (char *) "x-custom: second",
                NULL,
        };
        const Sigv4Request req = {
                .method = "GET",
                .path = "/a/b",
                .query = "Version=2010-08-01&Namespace=AWS%2FEC2&Action=ListMetrics",
                .headers = headers,
        };
        const Sigv4Params p = {
                .region = "eu-west-1",
                .service = "monitoring",
                .time = BOTO_TIME,
        };
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {};

        ASSERT_OK(sigv4_sign(&req, &p, BOTO_AKID, BOTO_SECRET, NULL, &s));
        ASSERT_STREQ(s.canonical_request,
                     "GET\n/a/b\nAction=ListMetrics&Namespace=AWS%2FEC2&Version=2010-08-01\n"
                     "host:monitoring.eu-west-1.amazonaws.com\n"
                     "x-amz-date:20240501T123456Z\n"
                     "x-custom:a b c,second\n\n"
                     "host;x-amz-date;x-custom\n" EMPTY_SHA256);
        ASSERT_STREQ(s.string_to_sign,
                     "AWS4-HMAC-SHA256\n20240501T123456Z\n20240501/eu-west-1/monitoring/"
                     "aws4_request\n"
                     "3556dd1d4d207d0e440b144a83c68b444fba86e709d8466a4ee4a13daee24872");
        ASSERT_STREQ(s.signature,
                     "8e0859fa4557c668967bf12ae689b06f117f75db2a32ea41143b1f5bfbc518ca");
}

/*
 * sign_body with a session token, CloudWatch Logs style. Expected values from the same botocore,
 * via S3SigV4Auth (the botocore signer that adds and signs X-Amz-Content-SHA256; the path is "/",
 * where S3's path rules change nothing): service "logs", http://logs.us-east-1.amazonaws.com/,
 * token "FwoGZXIvYXdzEXAMPLE", body {"limit":1}.
 */
static void test_botocore_sign_body(void)
{
        static const char body[] = "{\"limit\":1}";
        char *headers[] = {
                (char *) "Host: logs.us-east-1.amazonaws.com",
                (char *) "Content-Type: application/x-amz-json-1.1",
                (char *) "X-Amz-Target: Logs_20140328.DescribeLogGroups",
                NULL,
        };
        const Sigv4Request req = {
                .method = "POST",
                .path = "/",
                .headers = headers,
                .body = body,
                .body_size = strlen(body),
        };
        const Sigv4Params p = {
                .region = "us-east-1",
                .service = "logs",
                .time = BOTO_TIME,
                .sign_body = true,
        };
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {};

        ASSERT_OK(sigv4_sign(&req, &p, BOTO_AKID, BOTO_SECRET, "FwoGZXIvYXdzEXAMPLE", &s));
        ASSERT_STREQ(s.signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date;"
                                       "x-amz-security-token;x-amz-target");
        ASSERT_STREQ(s.signature,
                     "77a534dd190cd6f8b4e021e1a29814ac39de9f02f3e9dc89daac92cbaebbc8bd");
        ASSERT_EQ(strv_length(s.headers), 4);
        ASSERT_STREQ(s.headers[0], "X-Amz-Date: 20240501T123456Z");
        ASSERT_STREQ(s.headers[1], "X-Amz-Security-Token: FwoGZXIvYXdzEXAMPLE");
        ASSERT_STREQ(s.headers[2], "x-amz-content-sha256: 156fedef9af97685d0e6f43eebe55d8a"
                                   "e67fcbf34b2fea23c2b1af061b4bcdf0");
        ASSERT_TRUE(strncmp(s.headers[3], "Authorization: ", 15) == 0);
}

static void test_time(void)
{
        char *headers[] = { (char *) SUITE_HOST, NULL };
        Sigv4Params p = suite_params;
        _cleanup_(sigv4_signature_done) Sigv4Signature a = {}, b = {}, c = {}, d = {};

        /* Sub-second parts are dropped: X-Amz-Date has whole seconds. */
        p.time = SUITE_TIME + 999999;
        ASSERT_OK(sign_get("/", NULL, headers, &p, NULL, &a));
        ASSERT_STREQ(a.amz_date, "20150830T123600Z");
        ASSERT_STREQ(a.signature, VANILLA_SIGNATURE);

        /* A clock offset applied by the caller moves the date and changes the signature. */
        p.time = SUITE_TIME + 90 * USEC_PER_SEC;
        ASSERT_OK(sign_get("/", NULL, headers, &p, NULL, &b));
        ASSERT_STREQ(b.amz_date, "20150830T123730Z");
        ASSERT_STREQ(b.credential_scope, "20150830/us-east-1/service/aws4_request");
        ASSERT_STREQ(b.headers[0], "X-Amz-Date: 20150830T123730Z");
        ASSERT_TRUE(!streq(b.signature, VANILLA_SIGNATURE));

        /* Another day: the scope (and so the signing key) follows. */
        p.time = (usec_t) 1709251199 * USEC_PER_SEC; /* 2024-02-29T23:59:59Z */
        ASSERT_OK(sign_get("/", NULL, headers, &p, NULL, &c));
        ASSERT_STREQ(c.amz_date, "20240229T235959Z");
        ASSERT_STREQ(c.credential_scope, "20240229/us-east-1/service/aws4_request");
        ASSERT_STREQ(line_of(c.string_to_sign, 1), "20240229T235959Z");
        ASSERT_STREQ(line_of(c.string_to_sign, 2), "20240229/us-east-1/service/aws4_request");
        ASSERT_TRUE(strstr(c.authorization, "Credential=AKIDEXAMPLE/20240229/us-east-1/") != NULL);

        p.time = 0;
        ASSERT_OK(sign_get("/", NULL, headers, &p, NULL, &d));
        ASSERT_STREQ(d.amz_date, "19700101T000000Z");
}

static void test_session_token(void)
{
        char *headers[] = { (char *) SUITE_HOST, NULL };
        Sigv4Params p = suite_params;
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {}, o = {}, e = {};

        /* get-vanilla-with-session-token/header-signature.txt */
        ASSERT_OK(sign_get("/", NULL, headers, &p, SUITE_TOKEN, &s));
        ASSERT_STREQ(s.signature,
                     "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
        ASSERT_STREQ(s.signed_headers, "host;x-amz-date;x-amz-security-token");

        /* omit_session_token: the token is sent but not signed, so the canonical request and the
         * signature are those of the same request without a token. */
        p.omit_session_token = true;
        ASSERT_OK(sign_get("/", NULL, headers, &p, SUITE_TOKEN, &o));
        ASSERT_STREQ(o.signed_headers, "host;x-amz-date");
        ASSERT_NULL(strstr(o.canonical_request, SUITE_TOKEN));
        ASSERT_NULL(strstr(o.canonical_request, "x-amz-security-token"));
        ASSERT_STREQ(o.signature, VANILLA_SIGNATURE);
        ASSERT_EQ(strv_length(o.headers), 3);
        ASSERT_STREQ(o.headers[0], "X-Amz-Date: 20150830T123600Z");
        ASSERT_STREQ(o.headers[1], "X-Amz-Security-Token: " SUITE_TOKEN);
        ASSERT_TRUE(strncmp(o.headers[2], "Authorization: ", 15) == 0);
        ASSERT_NULL(strstr(o.authorization, "x-amz-security-token"));

        /* An empty token means none. */
        p.omit_session_token = false;
        ASSERT_OK(sign_get("/", NULL, headers, &p, "", &e));
        ASSERT_STREQ(e.signature, VANILLA_SIGNATURE);
        ASSERT_EQ(strv_length(e.headers), 2);
}

static void test_sign_body(void)
{
        static const char body[] = "Param1=value1";
        char *headers[] = {
                (char *) "Content-Type:application/x-www-form-urlencoded",
                (char *) SUITE_HOST,
                (char *) "Content-Length:13",
                NULL,
        };
        Sigv4Request req = {
                .method = "POST",
                .path = "/",
                .headers = headers,
                .body = body,
                .body_size = strlen(body),
        };
        Sigv4Params p = suite_params;
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {}, u = {}, e = {};
        const char *hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";

        p.sign_body = true;
        ASSERT_OK(sigv4_sign(&req, &p, SUITE_AKID, SUITE_SECRET, NULL, &s));
        /* post-x-www-form-urlencoded/header-signature.txt */
        ASSERT_STREQ(s.signature,
                     "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b");
        ASSERT_STREQ(s.signed_headers,
                     "content-length;content-type;host;x-amz-content-sha256;x-amz-date");
        ASSERT_STREQ(line_of(s.canonical_request, 6),
                     "x-amz-content-sha256:"
                     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
        ASSERT_STREQ(line_of(s.canonical_request, 10), hash);
        ASSERT_EQ(strv_length(s.headers), 3);
        ASSERT_STREQ(s.headers[1], "x-amz-content-sha256: 9095672bbd1f56dfc5b65f3e153adc87"
                                   "31a4a654192329106275f4c7b24d0b6e");

        /* Without sign_body the payload is still hashed into the canonical request, but no
         * header is added or signed. */
        p.sign_body = false;
        ASSERT_OK(sigv4_sign(&req, &p, SUITE_AKID, SUITE_SECRET, NULL, &u));
        ASSERT_STREQ(u.signed_headers, "content-length;content-type;host;x-amz-date");
        ASSERT_STREQ(line_of(u.canonical_request, 9), hash);
        ASSERT_EQ(strv_length(u.headers), 2);
        ASSERT_NULL(strstr(u.headers[0], "sha256"));

        /* The empty body, also with body == NULL. */
        req.body = NULL;
        req.body_size = 0;
        p.sign_body = true;
        ASSERT_OK(sigv4_sign(&req, &p, SUITE_AKID, SUITE_SECRET, NULL, &e));
        ASSERT_STREQ(e.headers[1], "x-amz-content-sha256: " EMPTY_SHA256);
}

static void test_redacted(void)
{
        char *headers[] = { (char *) SUITE_HOST, NULL };
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {};
        _cleanup_free_ char *expected = NULL;

        ASSERT_OK(sign_get("/", NULL, headers, &suite_params, SUITE_TOKEN, &s));
        ASSERT_NOT_NULL(strstr(s.canonical_request, "x-amz-security-token:" SUITE_TOKEN "\n"));
        ASSERT_NULL(strstr(s.canonical_request_redacted, SUITE_TOKEN));
        ASSERT_NULL(strstr(s.canonical_request_redacted, "6e86291e"));
        ASSERT_OK(strextend_printf(&expected, "GET\n/\n\nhost:example.amazonaws.com\n"
                                              "x-amz-date:20150830T123600Z\n"
                                              "x-amz-security-token:<redacted>\n\n"
                                              "host;x-amz-date;x-amz-security-token\n%s",
                                   EMPTY_SHA256));
        ASSERT_STREQ(s.canonical_request_redacted, expected);
        /* Nothing else carries the token but the header line meant for the wire. */
        ASSERT_NULL(strstr(s.string_to_sign, SUITE_TOKEN));
        ASSERT_NULL(strstr(s.authorization, SUITE_TOKEN));
        ASSERT_NULL(strstr(s.signed_headers, SUITE_TOKEN));
}

static void assert_no_secret(const Sigv4Signature *s, const char *secret)
{
        const char *fields[] = {
                s->amz_date, s->credential_scope, s->signed_headers, s->canonical_request,
                s->canonical_request_redacted, s->string_to_sign, s->signature, s->authorization,
        };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                ASSERT_NOT_NULL(fields[i]);
                ASSERT_NULL(strstr(fields[i], secret));
        }
        STRV_FOREACH(h, s->headers)
                ASSERT_NULL(strstr(*h, secret));
}

static void test_secret_never_in_output(void)
{
        static const char secret[] = "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr";
        static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
        char *headers[] = { (char *) SUITE_HOST, (char *) "X-Foo: bar", NULL };
        const Sigv4Request req = {
                .method = "POST",
                .path = "/x",
                .query = "a=b",
                .headers = headers,
                .body = body,
                .body_size = strlen(body),
        };
        Sigv4Params p = suite_params;
        _cleanup_(sigv4_signature_done) Sigv4Signature a = {}, b = {};

        p.sign_body = true;
        ASSERT_OK(sigv4_sign(&req, &p, SUITE_AKID, secret, SUITE_TOKEN, &a));
        assert_no_secret(&a, secret);
        assert_no_secret(&a, "S3cr3t");
        p.omit_session_token = true;
        ASSERT_OK(sigv4_sign(&req, &p, SUITE_AKID, SUITE_SECRET, SUITE_TOKEN, &b));
        assert_no_secret(&b, SUITE_SECRET);
        assert_no_secret(&b, "wJalrXUtnFEMI");
}

static void test_canonical_uri(void)
{
        static const struct {
                const char *path;
                bool normalize;
                const char *expected;
        } table[] = {
                { "/", true, "/" },
                { "/a/b/../c/./d//", true, "/a/c/d/" },
                { "/a/b/..", true, "/a/" },
                { "/..", true, "/" },
                { "/../../a", true, "/a" },
                { "/a/.", true, "/a/" },
                { "/.a/..b/...", true, "/.a/..b/..." },
                { "//a/./b/../", false, "//a/./b/../" },
                /* The wire path is already encoded once; SigV4 (non-S3) encodes it again. */
                { "/a%20b", true, "/a%2520b" },
                { "/a%20b", false, "/a%2520b" },
                { "/a b/c+d=e", true, "/a%20b/c%2Bd%3De" },
                { "/\xe1\x88\xb4", true, "/%E1%88%B4" },
                { "/-._~AZaz09!*'()", true, "/-._~AZaz09%21%2A%27%28%29" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_(sigv4_signature_done) Sigv4Signature s = {};
                Sigv4Params p = suite_params;

                p.no_path_normalization = !table[i].normalize;
                ASSERT_OK(sign_get(table[i].path, NULL, (char *[]) { (char *) SUITE_HOST, NULL },
                                   &p, NULL, &s));
                ASSERT_STREQ(line_of(s.canonical_request, 1), table[i].expected);
        }
}

static void test_canonical_query(void)
{
        static const struct {
                const char *query;
                const char *expected;
        } table[] = {
                { NULL, "" },
                { "", "" },
                { "&&", "" },
                { "Param2=value2&Param1=value1", "Param1=value1&Param2=value2" },
                { "Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2" },
                { "b=2&a=1&a=0&c&~=x+y&d=a%2fb&e=sp ace",
                  "a=0&a=1&b=2&c=&d=a%2Fb&e=sp%20ace&~=x%2By" },
                { "&a=1&", "a=1" },
                { "a==b&=x", "=x&a=%3Db" },
                { "a=%zz&b=%4&c=%", "a=%25zz&b=%254&c=%25" },
                { "\xe1\x88\xb4=bar&%E1%88%B4=baz", "%E1%88%B4=bar&%E1%88%B4=baz" },
                { "k=%7e%2D%41", "k=~-A" },
                { "X-Amz-Expires=3600&x-amz-date=1", "X-Amz-Expires=3600&x-amz-date=1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_(sigv4_signature_done) Sigv4Signature s = {};

                ASSERT_OK(sign_get("/", table[i].query,
                                   (char *[]) { (char *) SUITE_HOST, NULL }, &suite_params, NULL,
                                   &s));
                ASSERT_STREQ(line_of(s.canonical_request, 2), table[i].expected);
        }
}

static void test_canonical_headers(void)
{
        char *headers[] = {
                (char *) "Host: example.amazonaws.com:8443",
                (char *) "My-Header:  a \t  b  ",
                (char *) "X-Empty:",
                (char *) "X-Blank: \t ",
                (char *) "B:3",
                (char *) "A:1",
                (char *) "a: 2",
                (char *) "X-Utf8: caf\xc3\xa9",
                NULL,
        };
        _cleanup_(sigv4_signature_done) Sigv4Signature s = {};

        ASSERT_OK(sign_get("/", NULL, headers, &suite_params, NULL, &s));
        ASSERT_STREQ(s.signed_headers, "a;b;host;my-header;x-amz-date;x-blank;x-empty;x-utf8");
        ASSERT_STREQ(s.canonical_request, "GET\n/\n\n"
                                          "a:1,2\n"
                                          "b:3\n"
                                          "host:example.amazonaws.com:8443\n"
                                          "my-header:a b\n"
                                          "x-amz-date:20150830T123600Z\n"
                                          "x-blank:\n"
                                          "x-empty:\n"
                                          "x-utf8:caf\xc3\xa9\n\n"
                                          "a;b;host;my-header;x-amz-date;x-blank;x-empty;x-utf8\n"
                                          EMPTY_SHA256);
}

static void test_invalid(void)
{
        static const char *const bad_headers[][3] = {
                { "Host example.amazonaws.com", NULL },       /* no ':' */
                { SUITE_HOST, ":value", NULL },               /* empty name */
                { SUITE_HOST, "My Header:value", NULL },      /* space in the name */
                { SUITE_HOST, "My-Header :value", NULL },     /* space before ':' */
                { SUITE_HOST, "X:a\r\nEvil: 1", NULL },       /* header injection */
                { SUITE_HOST, "X:a\nb", NULL },
                { SUITE_HOST, "X:a\x01", NULL },
                { "X-Foo:bar", NULL },                        /* no Host */
                { "Host:", NULL },                            /* empty Host */
                { SUITE_HOST, "host:other", NULL },           /* two Hosts */
                { SUITE_HOST, "X-Amz-Date:20150830T123600Z", NULL },
                { SUITE_HOST, "Authorization:AWS4-HMAC-SHA256 x", NULL },
                { SUITE_HOST, "x-amz-security-token:t", NULL },
                { SUITE_HOST, "X-Amz-Content-SHA256:UNSIGNED-PAYLOAD", NULL },
                { NULL },                                     /* no headers at all */
        };
        char *good[] = { (char *) SUITE_HOST, NULL };
        const Sigv4Request ok = { .method = "GET", .path = "/", .headers = good };
        Sigv4Signature s = {};
        Sigv4Request req;
        Sigv4Params p;

        for (size_t i = 0; i < ELEMENTSOF(bad_headers); i++) {
                req = ok;
                req.headers = (char **) bad_headers[i];
                ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s),
                             EINVAL);
                assert_all_null(&s);
        }
        req = ok;
        req.headers = NULL;
        ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);

        ASSERT_ERROR(sigv4_sign(NULL, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
        ASSERT_ERROR(sigv4_sign(&ok, NULL, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
        ASSERT_ERROR(sigv4_sign(&ok, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, NULL), EINVAL);

        /* Method, path, query, body. */
        static const char *const bad_methods[] = { NULL, "", "GE T", "GET\n", "G(T" };
        for (size_t i = 0; i < ELEMENTSOF(bad_methods); i++) {
                req = ok;
                req.method = bad_methods[i];
                ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s),
                             EINVAL);
        }
        static const char *const bad_paths[] = { NULL, "", "a/b", "/a?b=c", "/a#frag", "/a\nb",
                                                 "/a\x7f" };
        for (size_t i = 0; i < ELEMENTSOF(bad_paths); i++) {
                req = ok;
                req.path = bad_paths[i];
                ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s),
                             EINVAL);
        }
        req = ok;
        req.query = "a=b#c";
        ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
        req.query = "a=b\r\n";
        ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
        req = ok;
        req.body_size = 3;
        ASSERT_ERROR(sigv4_sign(&req, &suite_params, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);

        /* Region, service, time. */
        static const char *const bad_parts[] = { NULL, "", "us/east", "us east", "a,b", "a=b",
                                                 "a\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad_parts); i++) {
                p = suite_params;
                p.region = bad_parts[i];
                ASSERT_ERROR(sigv4_sign(&ok, &p, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
                p = suite_params;
                p.service = bad_parts[i];
                ASSERT_ERROR(sigv4_sign(&ok, &p, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
                ASSERT_ERROR(sigv4_sign(&ok, &suite_params, bad_parts[i], SUITE_SECRET, NULL,
                                        &s),
                             EINVAL);
        }
        p = suite_params;
        p.time = USEC_INFINITY;
        ASSERT_ERROR(sigv4_sign(&ok, &p, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);
        p.time = (usec_t) 253402300800 * USEC_PER_SEC; /* year 10000 */
        ASSERT_ERROR(sigv4_sign(&ok, &p, SUITE_AKID, SUITE_SECRET, NULL, &s), EINVAL);

        /* Credentials. */
        ASSERT_ERROR(sigv4_sign(&ok, &suite_params, SUITE_AKID, NULL, NULL, &s), EINVAL);
        ASSERT_ERROR(sigv4_sign(&ok, &suite_params, SUITE_AKID, "", NULL, &s), EINVAL);
        ASSERT_ERROR(sigv4_sign(&ok, &suite_params, SUITE_AKID, SUITE_SECRET, "tok\r\nX: y", &s),
                     EINVAL);

        /* Nothing was ever written to the output. */
        assert_all_null(&s);

        /* The last valid year still works. */
        p.time = (usec_t) 253402300799 * USEC_PER_SEC;
        ASSERT_OK(sigv4_sign(&ok, &p, SUITE_AKID, SUITE_SECRET, NULL, &s));
        ASSERT_STREQ(s.amz_date, "99991231T235959Z");
        sigv4_signature_done(&s);
}

static void test_signature_done(void)
{
        Sigv4Signature s = {};

        sigv4_signature_done(NULL);
        sigv4_signature_done(&s);
        ASSERT_OK(sign_get("/", NULL, (char *[]) { (char *) SUITE_HOST, NULL }, &suite_params,
                           NULL, &s));
        sigv4_signature_done(&s);
        assert_all_null(&s);
        sigv4_signature_done(&s);
}

int main(void)
{
        TEST(test_vanilla_fields);
        TEST(test_botocore_sts_get_caller_identity);
        TEST(test_botocore_query_and_headers);
        TEST(test_botocore_sign_body);
        TEST(test_time);
        TEST(test_session_token);
        TEST(test_sign_body);
        TEST(test_redacted);
        TEST(test_secret_never_in_output);
        TEST(test_canonical_uri);
        TEST(test_canonical_query);
        TEST(test_canonical_headers);
        TEST(test_invalid);
        TEST(test_signature_done);
        return 0;
}
