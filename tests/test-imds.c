/* SPDX-License-Identifier: MIT */
/*
 * test-imds.c: the IMDS document parsers against fixtures (AWS's own examples, the real-instance
 * formatting, error documents, malformed and oversized input), then the client against the
 * simulator's IMDSv2 endpoint: token caching and renewal after a 401, and every failure class.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "common/http.h"
#include "common/imds.h"
#include "common/util.h"
#include "tests/sim.h"
#include "tests/test.h"

static void *mfree_test(void *p)
{
        free(p);
        return NULL;
}

static char *fixture(const char *name, size_t *ret_size)
{
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("CWGUARD_FIXTURES") ?: "tests/fixtures";
        char *data;

        ASSERT_TRUE(asprintf(&path, "%s/imds/%s", dir, name) >= 0);
        ASSERT_OK(read_file_capped(path, 1024 * 1024, &data, ret_size));
        return data;
}

static int parse_credentials_fixture(const char *name, ImdsCredentials *ret)
{
        _cleanup_free_ char *data = NULL;
        size_t size;

        data = fixture(name, &size);
        return imds_parse_credentials(data, size, ret);
}

static void test_parse_credentials_doc_example(void)
{
        _cleanup_(imds_credentials_done) ImdsCredentials c = {};
        usec_t t;

        ASSERT_EQ(parse_credentials_fixture("credentials-doc-example.json", &c), 0);
        ASSERT_STREQ(c.code, "Success");
        ASSERT_STREQ(c.type, "AWS-HMAC");
        ASSERT_STREQ(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
        ASSERT_STREQ(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        ASSERT_STREQ(c.token, "token");
        ASSERT_OK(iso8601_parse("2017-05-17T15:09:54Z", &t));
        ASSERT_EQ(c.expiration, t);
        ASSERT_OK(iso8601_parse("2012-04-26T16:39:16Z", &t));
        ASSERT_EQ(c.last_updated, t);
        ASSERT_NULL(c.message);
        ASSERT_NULL(c.role);
}

static void test_parse_credentials_real_format(void)
{
        _cleanup_(imds_credentials_done) ImdsCredentials c = {};

        ASSERT_EQ(parse_credentials_fixture("credentials-real-format.json", &c), 0);
        ASSERT_STREQ(c.access_key_id, "ASIAEXAMPLEREALFMT01");
        ASSERT_TRUE(strncmp(c.token, "IQoJb3JpZ2luX2Vj", 16) == 0);
        ASSERT_TRUE(strlen(c.token) > 900);
        /* ~6 h 17 min after LastUpdated, as observed on a real instance. */
        ASSERT_EQ(c.expiration - c.last_updated, (6 * 3600 + 17 * 60 + 18) * USEC_PER_SEC);

        /* Without "Code" the credential fields alone decide. */
        imds_credentials_done(&c);
        ASSERT_EQ(parse_credentials_fixture("credentials-no-code.json", &c), 0);
        ASSERT_NULL(c.code);
        ASSERT_STREQ(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
}

static void test_parse_credentials_error_document(void)
{
        _cleanup_(imds_credentials_done) ImdsCredentials c = {};

        ASSERT_EQ(parse_credentials_fixture("credentials-assume-role-unauthorized.json", &c),
                  IMDS_DOCUMENT_ERROR);
        ASSERT_STREQ(c.code, "AssumeRoleUnauthorizedAccess");
        ASSERT_TRUE(strstr(c.message, "EC2 cannot assume the role cwguard-test-role."));
        ASSERT_NULL(c.access_key_id);
        ASSERT_NULL(c.secret_access_key);
        ASSERT_NULL(c.token);
}

static void test_parse_credentials_malformed(void)
{
        static const char *const bad[] = {
                "credentials-truncated.json",      "credentials-wrong-type.json",
                "credentials-missing-token.json",  "credentials-bad-expiration.json",
                "credentials-not-object.json",     "credentials-trailing-garbage.json",
                "credentials-control-chars.json",  "credentials-huge-token.json",
                "credentials-huge-document.json",  "deep-nesting.json",
                "not-json-404.html",               "identity-doc-example.json",
                "info.json",
        };
        static const char *const inline_bad[] = {
                "",
                "{",
                "{}",
                "null",
                "\"Success\"",
                "{\"Code\": 1}",
                "{\"Code\": \"Failure\", \"Message\": 7}",
                "{\"Code\": \"Success\", \"AccessKeyId\": \"\", \"SecretAccessKey\": \"s\", "
                "\"Token\": \"t\", \"Expiration\": \"2017-05-17T15:09:54Z\"}",
                "{\"Code\": \"Success\", \"AccessKeyId\": \"A B\", \"SecretAccessKey\": \"s\", "
                "\"Token\": \"t\", \"Expiration\": \"2017-05-17T15:09:54Z\"}",
                "{\"Code\": \"Success\", \"AccessKeyId\": \"A\\u0000B\", \"SecretAccessKey\": "
                "\"s\", \"Token\": \"t\", \"Expiration\": \"2017-05-17T15:09:54Z\"}",
                "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", \"Token\": \"t\", "
                "\"Expiration\": \"2017-05-17T15:09:54Z\", \"LastUpdated\": \"yesterday\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ImdsCredentials c = {};

                fprintf(stderr, "   %s\n", bad[i]);
                ASSERT_ERROR(parse_credentials_fixture(bad[i], &c), EBADMSG);
                ASSERT_NULL(c.access_key_id);
        }
        for (size_t i = 0; i < ELEMENTSOF(inline_bad); i++) {
                ImdsCredentials c = {};

                ASSERT_ERROR(imds_parse_credentials(inline_bad[i], strlen(inline_bad[i]), &c),
                             EBADMSG);
        }
        /* Embedded NUL in the raw bytes, and no terminating NUL at all. */
        ASSERT_ERROR(imds_parse_credentials("{\"Code\"\0: 1}", 12, &(ImdsCredentials) {}),
                     EBADMSG);
        ASSERT_ERROR(imds_parse_credentials("{}", 1, &(ImdsCredentials) {}), EBADMSG);
        ASSERT_ERROR(imds_parse_credentials(NULL, 0, &(ImdsCredentials) {}), EBADMSG);
}

static void test_parse_identity(void)
{
        _cleanup_(imds_identity_done) ImdsIdentity i = {};
        _cleanup_free_ char *data = NULL;
        size_t size;

        data = fixture("identity-doc-example.json", &size);
        ASSERT_OK(imds_parse_identity(data, size, &i));
        ASSERT_STREQ(i.account_id, "123456789012");
        ASSERT_STREQ(i.instance_id, "i-1234567890abcdef0");
        ASSERT_STREQ(i.region, "us-west-2");
        ASSERT_STREQ(i.availability_zone, "us-west-2b");
        ASSERT_STREQ(i.instance_type, "t2.micro");
        ASSERT_STREQ(i.image_id, "ami-5fb8c835");
        ASSERT_STREQ(i.private_ip, "10.158.112.84");
        ASSERT_STREQ(i.architecture, "x86_64");

        for (const char *const *f = (const char *const[]) { "identity-missing-region.json",
                                                            "identity-wrong-type.json",
                                                            "credentials-truncated.json",
                                                            "not-json-404.html", NULL };
             *f; f++) {
                _cleanup_free_ char *d = NULL;
                ImdsIdentity j = {};

                d = fixture(*f, &size);
                ASSERT_ERROR(imds_parse_identity(d, size, &j), EBADMSG);
                ASSERT_NULL(j.account_id);
        }
}

static void test_parse_info(void)
{
        _cleanup_(imds_info_done) ImdsInfo i = {};
        _cleanup_free_ char *data = NULL;
        size_t size;
        usec_t t;

        data = fixture("info.json", &size);
        ASSERT_EQ(imds_parse_info(data, size, &i), 0);
        ASSERT_STREQ(i.code, "Success");
        ASSERT_STREQ(i.instance_profile_arn,
                     "arn:aws:iam::896453262835:instance-profile/baskinc-role");
        ASSERT_STREQ(i.instance_profile_id, "AIPA5BOGHHXZELSK34VU4");
        ASSERT_OK(iso8601_parse("2020-04-02T18:50:40Z", &t));
        ASSERT_EQ(i.last_updated, t);
        ASSERT_NULL(i.message);
        imds_info_done(&i);

        data = mfree_test(data);
        data = fixture("info-no-role.json", &size);
        ASSERT_EQ(imds_parse_info(data, size, &i), 0);
        ASSERT_TRUE(strstr(i.message, "does not contain a role"));
        imds_info_done(&i);

        free(data);
        data = fixture("info-profile-not-found.json", &size);
        ASSERT_EQ(imds_parse_info(data, size, &i), IMDS_DOCUMENT_ERROR);
        ASSERT_STREQ(i.code, "InstanceProfileNotFound");
        ASSERT_NULL(i.instance_profile_arn);
        imds_info_done(&i);

        free(data);
        data = fixture("info-missing-arn.json", &size);
        ASSERT_ERROR(imds_parse_info(data, size, &i), EBADMSG);
        free(data);
        data = fixture("credentials-truncated.json", &size);
        ASSERT_ERROR(imds_parse_info(data, size, &i), EBADMSG);
}

static void test_parse_role_listing(void)
{
        char *role = NULL;

        ASSERT_OK(imds_parse_role_listing("cwguard-test-role", 17, &role));
        ASSERT_STREQ(role, "cwguard-test-role");
        role = mfree_test(role);
        ASSERT_OK(imds_parse_role_listing("first+role=a,b.c@d_e\r\nsecond\n", 30, &role));
        ASSERT_STREQ(role, "first+role=a,b.c@d_e");
        role = mfree_test(role);

        ASSERT_ERROR(imds_parse_role_listing("", 0, &role), ENODATA);
        ASSERT_ERROR(imds_parse_role_listing("\n", 1, &role), ENODATA);
        ASSERT_ERROR(imds_parse_role_listing("../../etc", 9, &role), EBADMSG);
        ASSERT_ERROR(imds_parse_role_listing("a/b", 3, &role), EBADMSG);
        ASSERT_ERROR(imds_parse_role_listing("a b", 3, &role), EBADMSG);
        ASSERT_ERROR(imds_parse_role_listing("a\0b", 3, &role), EBADMSG);
        ASSERT_ERROR(imds_parse_role_listing("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                             "aaaaaaaaaaaaaaaaaa", 66, &role),
                     EBADMSG);
        ASSERT_NULL(role);
}

static void test_parse_tag_value(void)
{
        static const struct {
                const char *data;
                size_t size;
                const char *want; /* NULL: -EBADMSG */
        } cases[] = {
                { "web-asg", 7, "web-asg" },
                { "web-asg\n", 8, "web-asg" },
                { "caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "caf\xc3\xa9 \xf0\x9f\x98\x80" },
                { "", 0, NULL },
                { "\n", 1, NULL },
                { "a\nb", 3, NULL },
                { "a\0b", 3, NULL },
                { "a\x1b[31mb", 8, NULL },       /* a terminal escape */
                { "a\x7f", 2, NULL },
                { "\xc3", 1, NULL },             /* truncated sequence */
                { "\xc0\xaf", 2, NULL },         /* overlong '/' */
                { "\xed\xa0\x80", 3, NULL },     /* a surrogate */
                { "\xf4\x90\x80\x80", 4, NULL }, /* above U+10FFFF */
                { "\xff", 1, NULL },
        };
        _cleanup_free_ char *big = NULL;
        char *v = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (!cases[i].want) {
                        ASSERT_ERROR(imds_parse_tag_value(cases[i].data, cases[i].size, &v),
                                     EBADMSG);
                        ASSERT_NULL(v);
                        continue;
                }
                ASSERT_OK(imds_parse_tag_value(cases[i].data, cases[i].size, &v));
                ASSERT_STREQ(v, cases[i].want);
                v = mfree_test(v);
        }

        big = malloc(IMDS_TAG_VALUE_MAX + 1);
        ASSERT_NOT_NULL(big);
        memset(big, 'a', IMDS_TAG_VALUE_MAX + 1);
        ASSERT_OK(imds_parse_tag_value(big, IMDS_TAG_VALUE_MAX, &v));
        v = mfree_test(v);
        ASSERT_ERROR(imds_parse_tag_value(big, IMDS_TAG_VALUE_MAX + 1, &v), EBADMSG);

        ASSERT_TRUE(imds_tag_key_is_valid(IMDS_TAG_AUTO_SCALING_GROUP));
        ASSERT_TRUE(imds_tag_key_is_valid("Name"));
        ASSERT_FALSE(imds_tag_key_is_valid(""));
        ASSERT_FALSE(imds_tag_key_is_valid(NULL));
        ASSERT_FALSE(imds_tag_key_is_valid("../iam/info"));
        ASSERT_FALSE(imds_tag_key_is_valid("a b"));
        ASSERT_FALSE(imds_tag_key_is_valid("a?b"));
}

/* ---------------------------------------------------------------------------------------------
 * Against the simulator
 */

typedef struct Call {
        bool done;
        ImdsResult result;
        ImdsCredentials creds;
        ImdsIdentity identity;
        ImdsInfo info;
        ImdsHealth health;
        unsigned n_calls;
} Call;

static void call_done(Call *c)
{
        imds_result_done(&c->result);
        imds_credentials_done(&c->creds);
        imds_identity_done(&c->identity);
        imds_info_done(&c->info);
        *c = (Call) {};
}

static void take_result(Call *call, ImdsResult *result)
{
        call->done = true;
        call->n_calls++;
        call->result = *result;
        *result = (ImdsResult) {};
}

static void on_credentials(ImdsClient *c, ImdsResult *result, ImdsCredentials *creds, void *u)
{
        Call *call = u;

        take_result(call, result);
        call->creds = *creds;
        *creds = (ImdsCredentials) {};
}

static void on_identity(ImdsClient *c, ImdsResult *result, ImdsIdentity *identity, void *u)
{
        Call *call = u;

        take_result(call, result);
        call->identity = *identity;
        *identity = (ImdsIdentity) {};
}

static void on_info(ImdsClient *c, ImdsResult *result, ImdsInfo *info, void *u)
{
        Call *call = u;

        take_result(call, result);
        call->info = *info;
        *info = (ImdsInfo) {};
}

static void on_health(ImdsClient *c, ImdsResult *result, const ImdsHealth *health,
                      ImdsIdentity *identity, void *u)
{
        Call *call = u;

        take_result(call, result);
        call->health = *health;
        /* The check hands over the identity document it fetched (the round needs its region
         * and instance id without a second GET). */
        if (health->get_ok)
                ASSERT_STREQ(identity->instance_id, "i-0123456789abcdef0");
}

static sd_event *event;
static HttpClient *http;
static Sim *sim;

static void run_until(bool *done, usec_t timeout)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;

        while (!*done) {
                ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) < deadline);
                ASSERT_OK(sd_event_run(event, 100 * USEC_PER_MSEC));
        }
}

/* Dispatch whatever is pending for a while (to prove that nothing more happens). */
static void run_for(usec_t t)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + t;

        while (now_usec(CLOCK_MONOTONIC) < deadline)
                ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
}

static ImdsClient *client_new(const ImdsOptions *extra)
{
        ImdsOptions o = extra ? *extra : (ImdsOptions) {};
        ImdsClient *c;

        o.endpoint = o.endpoint ?: sim->imds_url;
        o.timeout = o.timeout ?: 2 * USEC_PER_SEC;
        ASSERT_OK(imds_client_new(event, http, &o, &c));
        return c;
}

static void fetch_credentials(ImdsClient *c, Call *call)
{
        *call = (Call) {};
        ASSERT_OK(imds_fetch_credentials(c, on_credentials, call, NULL));
        ASSERT_FALSE(call->done); /* never called from inside the start function */
        run_until(&call->done, 10 * USEC_PER_SEC);
        ASSERT_EQ(call->n_calls, 1);
        fprintf(stderr, "   -> %s: %s\n", result_class_to_string(call->result.class),
                strna(call->result.message));
}

static void assert_no_secret(const Call *call)
{
        /* The token and the credentials must never show up in a message. */
        if (!call->result.message)
                return;
        ASSERT_FALSE(strstr(call->result.message, "IQoJb3JpZ2lu"));
        if (call->creds.secret_access_key)
                ASSERT_FALSE(strstr(call->result.message, call->creds.secret_access_key));
}

static void test_sim_credentials_and_token_cache(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {}, b = {}, d = {};
        usec_t now = now_usec(CLOCK_REALTIME);

        sim_reset(sim);
        c = client_new(NULL);
        ASSERT_FALSE(imds_client_has_token(c));

        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_NULL(a.result.message);
        ASSERT_EQ(a.result.http_status, 200);
        ASSERT_TRUE(a.result.token_used);
        ASSERT_TRUE(a.result.latency > 0);
        ASSERT_STREQ(a.creds.role, "cwguard-test-role");
        ASSERT_STREQ(a.creds.code, "Success");
        ASSERT_TRUE(strncmp(a.creds.access_key_id, "ASIA", 4) == 0);
        ASSERT_TRUE(strlen(a.creds.secret_access_key) >= 40);
        ASSERT_TRUE(strncmp(a.creds.token, "IQoJb3JpZ2luX2Vj", 16) == 0);
        ASSERT_TRUE(a.creds.expiration > now + 5 * USEC_PER_HOUR);
        ASSERT_TRUE(imds_client_has_token(c));

        /* Several GETs, several operations at once: one token. */
        ASSERT_OK(imds_fetch_identity(c, on_identity, &b, NULL));
        ASSERT_OK(imds_fetch_info(c, on_info, &d, NULL));
        run_until(&b.done, 10 * USEC_PER_SEC);
        run_until(&d.done, 10 * USEC_PER_SEC);
        ASSERT_EQ(b.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(d.result.class, RESULT_CLASS_OK);
        ASSERT_STREQ(d.info.code, "Success");
        ASSERT_STREQ(d.info.instance_profile_arn,
                     "arn:aws:iam::123456789012:instance-profile/cwguard-test-role");
        call_done(&a);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);

        ASSERT_EQ(sim_count(sim, "imds:token"), 1);
        ASSERT_EQ(sim_count(sim, "imds:role"), 2);
        ASSERT_EQ(sim_count(sim, "imds:credentials"), 2);
        ASSERT_EQ(sim_count(sim, "imds:identity"), 1);
        ASSERT_EQ(sim_count(sim, "imds:info"), 1);

        call_done(&a);
        call_done(&b);
        call_done(&d);
}

static void test_sim_concurrent_operations_share_token(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call calls[4] = {};

        sim_reset(sim);
        c = client_new(NULL);
        ASSERT_OK(imds_fetch_credentials(c, on_credentials, &calls[0], NULL));
        ASSERT_OK(imds_fetch_identity(c, on_identity, &calls[1], NULL));
        ASSERT_OK(imds_fetch_info(c, on_info, &calls[2], NULL));
        ASSERT_OK(imds_fetch_credentials(c, on_credentials, &calls[3], NULL));
        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                run_until(&calls[i].done, 10 * USEC_PER_SEC);
                ASSERT_EQ(calls[i].result.class, RESULT_CLASS_OK);
        }
        ASSERT_EQ(sim_count(sim, "imds:token"), 1);
        for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                call_done(&calls[i]);
}

static void test_sim_retoken_after_401(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        c = client_new(NULL);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "imds:token"), 1);
        call_done(&a);

        ASSERT_OK(sim_control(sim, "POST", "/imds/expire-tokens", NULL, NULL));
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "imds:token"), 2);
        ASSERT_EQ(sim_count(sim, "imds:role"), 3); /* the 401, then the retry */
        call_done(&a);

        /* The new token is cached again. */
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "imds:token"), 2);
        call_done(&a);

        /* A token that expires is renewed before use, without a 401 first. */
        imds_client_free(c);
        c = client_new(&(ImdsOptions) { .token_ttl_sec = 1 });
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        call_done(&a);
        run_for(1100 * USEC_PER_MSEC);
        ASSERT_FALSE(imds_client_has_token(c));
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(sim_count(sim, "imds:token"), 4);
        call_done(&a);
}

static void test_sim_unreachable(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL, *warm = NULL;
        Call a = {};

        sim_reset(sim);
        warm = client_new(NULL);
        fetch_credentials(warm, &a); /* has a token cached when IMDS goes away */
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        call_done(&a);

        ASSERT_OK(sim_control(sim, "POST", "/imds/stop", NULL, NULL));
        c = client_new(NULL);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_UNREACHABLE);
        ASSERT_NE(a.result.transport, HTTP_TRANSPORT_OK);
        ASSERT_EQ(a.result.http_status, 0);
        ASSERT_TRUE(strstr(a.result.message, sim->imds_url));
        call_done(&a);

        fetch_credentials(warm, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_UNREACHABLE);
        call_done(&a);

        ASSERT_OK(sim_control(sim, "POST", "/imds/start", NULL, NULL));
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        call_done(&a);
}

static void test_sim_token_blackhole(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"token-blackhole\"}}");
        c = client_new(&(ImdsOptions) { .timeout = 300 * USEC_PER_MSEC });
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_TOKEN_TIMEOUT);
        ASSERT_EQ(a.result.transport, HTTP_TRANSPORT_TIMEOUT);
        ASSERT_TRUE(strstr(a.result.message, "hop limit to 2"));
        ASSERT_TRUE(strstr(a.result.message, "--http-put-response-hop-limit 2"));
        ASSERT_TRUE(a.result.latency >= 250 * USEC_PER_MSEC);
        ASSERT_TRUE(a.result.latency < 3 * USEC_PER_SEC);
        ASSERT_EQ(sim_count(sim, "imds:role"), 0);
        call_done(&a);

        /* The probe's view: reachable, but no token. */
        ASSERT_OK(imds_check(c, on_health, &a, NULL));
        run_until(&a.done, 10 * USEC_PER_SEC);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_TOKEN_TIMEOUT);
        ASSERT_TRUE(a.health.reachable);
        ASSERT_FALSE(a.health.token_ok);
        ASSERT_FALSE(a.health.get_ok);
        call_done(&a);
}

static void test_sim_token_refused(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"token-refused\"}}");
        c = client_new(NULL);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_TOKEN_REFUSED);
        ASSERT_EQ(a.result.http_status, 403);
        call_done(&a);
        c = imds_client_free(c);

        /* allow_v1, but this IMDS still requires tokens for GETs (401): refused after one try. */
        c = client_new(&(ImdsOptions) { .allow_v1 = true });
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_TOKEN_REFUSED);
        ASSERT_EQ(a.result.http_status, 401);
        call_done(&a);
        c = imds_client_free(c);

        /* IMDSv1 allowed on both sides: success without a token. */
        sim_scenario(sim, "{\"imds\": {\"allow_v1\": true}}");
        c = client_new(&(ImdsOptions) { .allow_v1 = true });
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_FALSE(a.result.token_used);
        ASSERT_TRUE(strncmp(a.creds.access_key_id, "ASIA", 4) == 0);
        call_done(&a);
        ASSERT_OK(imds_check(c, on_health, &a, NULL));
        run_until(&a.done, 10 * USEC_PER_SEC);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_TRUE(a.health.reachable);
        ASSERT_FALSE(a.health.token_ok);
        ASSERT_TRUE(a.health.v1_fallback);
        ASSERT_TRUE(a.health.get_ok);
        call_done(&a);
}

static void test_sim_no_role(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"no-role\"}}");
        c = client_new(NULL);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_NO_ROLE);
        ASSERT_EQ(a.result.http_status, 404);
        ASSERT_NULL(a.creds.access_key_id);
        call_done(&a);

        ASSERT_OK(imds_fetch_info(c, on_info, &a, NULL));
        run_until(&a.done, 10 * USEC_PER_SEC);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_NO_ROLE);
        call_done(&a);
}

static void test_sim_credentials_error(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"creds-error\"}}");
        c = client_new(NULL);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_CREDENTIALS_ERROR);
        ASSERT_EQ(a.result.http_status, 200);
        ASSERT_STREQ(a.result.code, "AssumeRoleUnauthorizedAccess");
        ASSERT_STREQ(a.creds.code, "AssumeRoleUnauthorizedAccess");
        ASSERT_TRUE(strstr(a.result.message, "cwguard-test-role"));
        ASSERT_TRUE(strstr(a.result.message, "ec2.amazonaws.com"));
        ASSERT_NULL(a.creds.access_key_id);
        call_done(&a);

        sim_scenario(sim, "{\"imds\": {\"creds_code\": \"InternalError\", "
                          "\"creds_message\": \"line one\\nline two\"}}");
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_CREDENTIALS_ERROR);
        ASSERT_STREQ(a.result.code, "InternalError");
        ASSERT_TRUE(strstr(a.result.message, "line one line two"));
        ASSERT_FALSE(strchr(a.result.message, '\n'));
        call_done(&a);
}

static void test_sim_malformed(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"malformed\"}}");
        c = client_new(NULL);
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_BAD_RESPONSE);
        ASSERT_EQ(a.result.http_status, 200);
        ASSERT_NULL(a.creds.access_key_id);
        assert_no_secret(&a);
        call_done(&a);

        /* Faults: a throttled credentials GET, an oversized one, a garbage token. */
        sim_reset(sim);
        sim_scenario(sim, "{\"faults\": [{\"action\": \"imds:credentials\", \"type\": \"status\", "
                          "\"status\": 503, \"count\": 1}]}");
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_THROTTLED);
        ASSERT_EQ(a.result.http_status, 503);
        call_done(&a);

        sim_scenario(sim, "{\"faults\": [{\"action\": \"imds:credentials\", \"type\": "
                          "\"oversize\", \"size\": 200000, \"count\": 1}]}");
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_BAD_RESPONSE);
        ASSERT_EQ(a.result.transport, HTTP_TRANSPORT_TOO_LARGE);
        call_done(&a);

        imds_client_drop_token(c);
        sim_scenario(sim, "{\"faults\": [{\"action\": \"imds:token\", \"type\": \"garbage\", "
                          "\"count\": 1}]}");
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_BAD_RESPONSE);
        ASSERT_EQ(a.result.http_status, 200);
        call_done(&a);

        /* Token PUT answered 400 (invalid TTL): bad-response; 405: IMDSv2 refused. */
        sim_scenario(sim, "{\"faults\": [{\"action\": \"imds:token\", \"type\": \"status\", "
                          "\"status\": 400, \"count\": 1}]}");
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_BAD_RESPONSE);
        ASSERT_EQ(a.result.http_status, 400);
        call_done(&a);
        sim_scenario(sim, "{\"faults\": [{\"action\": \"imds:token\", \"type\": \"status\", "
                          "\"status\": 405, \"count\": 1}]}");
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_TOKEN_REFUSED);
        ASSERT_EQ(a.result.http_status, 405);
        call_done(&a);

        /* A credentials GET that never answers: the token was fine, IMDS is not answering. */
        sim_scenario(sim, "{\"faults\": [{\"action\": \"imds:credentials\", \"type\": "
                          "\"hang\", \"count\": 1}]}");
        imds_client_free(c);
        c = client_new(&(ImdsOptions) { .timeout = 300 * USEC_PER_MSEC });
        fetch_credentials(c, &a);
        ASSERT_EQ(a.result.class, RESULT_CLASS_IMDS_UNREACHABLE);
        ASSERT_EQ(a.result.transport, HTTP_TRANSPORT_TIMEOUT);
        ASSERT_TRUE(strstr(a.result.message, "security-credentials/cwguard-test-role"));
        call_done(&a);
}

static void test_sim_identity(void)
{
        _cleanup_(imds_client_freep) ImdsClient *c = NULL;
        Call a = {};

        sim_reset(sim);
        c = client_new(NULL);
        ASSERT_OK(imds_fetch_identity(c, on_identity, &a, NULL));
        run_until(&a.done, 10 * USEC_PER_SEC);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_STREQ(a.identity.account_id, "123456789012");
        ASSERT_STREQ(a.identity.instance_id, "i-0123456789abcdef0");
        ASSERT_STREQ(a.identity.region, "us-east-1");
        ASSERT_STREQ(a.identity.availability_zone, "us-east-1a");
        ASSERT_STREQ(a.identity.instance_type, "t3.micro");
        ASSERT_STREQ(a.identity.image_id, "ami-0abcdef1234567890");
        ASSERT_STREQ(a.identity.private_ip, "10.0.0.10");
        call_done(&a);

        /* The health check always PUTs a fresh token. */
        ASSERT_OK(imds_check(c, on_health, &a, NULL));
        run_until(&a.done, 10 * USEC_PER_SEC);
        ASSERT_EQ(a.result.class, RESULT_CLASS_OK);
        ASSERT_TRUE(a.health.reachable);
        ASSERT_TRUE(a.health.token_ok);
        ASSERT_TRUE(a.health.get_ok);
        ASSERT_FALSE(a.health.v1_fallback);
        ASSERT_TRUE(a.health.token_latency > 0);
        ASSERT_TRUE(a.health.get_latency > 0);
        ASSERT_EQ(sim_count(sim, "imds:token"), 2);
        call_done(&a);
}

static void on_credentials_free_client(ImdsClient *c, ImdsResult *result, ImdsCredentials *creds,
                                       void *u)
{
        Call *call = u;

        take_result(call, result);
        imds_client_free(c); /* allowed: the other operation is cancelled silently */
}

static void test_sim_cancel_and_free_in_callback(void)
{
        ImdsClient *c;
        ImdsOperation *op;
        Call a = {}, b = {}, d = {};

        sim_reset(sim);
        c = client_new(NULL);
        ASSERT_OK(imds_fetch_credentials(c, on_credentials, &a, &op));
        imds_operation_cancel(op);
        ASSERT_OK(imds_fetch_credentials(c, on_credentials_free_client, &b, NULL));
        ASSERT_OK(imds_fetch_credentials(c, on_credentials, &d, NULL));
        run_until(&b.done, 10 * USEC_PER_SEC);
        run_for(300 * USEC_PER_MSEC);
        ASSERT_FALSE(a.done);
        ASSERT_FALSE(d.done);
        ASSERT_EQ(b.result.class, RESULT_CLASS_OK);
        call_done(&b);
        ASSERT_EQ(http_client_n_active(http), 0);
}

static void test_client_options(void)
{
        ImdsClient *c = NULL;

        ASSERT_ERROR(imds_client_new(event, http, &(ImdsOptions) { .endpoint = "169.254.169.254" },
                                     &c),
                     EINVAL);
        ASSERT_ERROR(imds_client_new(event, http,
                                     &(ImdsOptions) { .endpoint = "http://a\nb" }, &c),
                     EINVAL);
        ASSERT_ERROR(imds_client_new(event, http, &(ImdsOptions) { .token_ttl_sec = 21601 }, &c),
                     EINVAL);
        ASSERT_OK(imds_client_new(event, http, NULL, &c));
        ASSERT_FALSE(imds_client_has_token(c));
        imds_client_free(c);
}

int main(void)
{
        int r;

        TEST(test_parse_credentials_doc_example);
        TEST(test_parse_credentials_real_format);
        TEST(test_parse_credentials_error_document);
        TEST(test_parse_credentials_malformed);
        TEST(test_parse_identity);
        TEST(test_parse_info);
        TEST(test_parse_role_listing);
        TEST(test_parse_tag_value);

        ASSERT_OK(sd_event_default(&event));
        ASSERT_OK(http_client_new(event, NULL, &http));
        TEST(test_client_options);

        r = sim_start(&sim);
        if (r == -EOPNOTSUPP && !getenv("CWGUARD_REQUIRE_SIM")) {
                fprintf(stderr, "simulator unavailable, skipping the simulator tests\n");
                http_client_free(http);
                sd_event_unref(event);
                return EXIT_TEST_SKIP;
        }
        ASSERT_OK(r);

        TEST(test_sim_credentials_and_token_cache);
        TEST(test_sim_concurrent_operations_share_token);
        TEST(test_sim_retoken_after_401);
        TEST(test_sim_unreachable);
        TEST(test_sim_token_blackhole);
        TEST(test_sim_token_refused);
        TEST(test_sim_no_role);
        TEST(test_sim_credentials_error);
        TEST(test_sim_malformed);
        TEST(test_sim_identity);
        TEST(test_sim_cancel_and_free_in_callback);

        sim_free(sim);
        http_client_free(http);
        sd_event_unref(event);
        return EXIT_SUCCESS;
}
