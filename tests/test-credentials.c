/* SPDX-License-Identifier: MIT */
/*
 * test-credentials.c: the provider chain (environment, shared file, IMDS) and its refresh. The
 * file parser runs on inline text; the chain runs against temporary credentials files and the
 * simulator's IMDS: order of the sources, fall-through and errors, refresh on the provider's own
 * timer before expiry, rotation, static stability while IMDS is down, expiry and recovery, and
 * that no secret ever reaches a message.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "common/assume-role.h"
#include "common/credentials.h"
#include "common/http.h"
#include "common/util.h"
#include "tests/sim.h"
#include "tests/test.h"

#define KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
#define CLOSED_IMDS "http://127.0.0.1:1"

/* An environment vector from literals (the provider never writes to it). */
#define ENV(...) ((char *const *) (const char *const[]) { __VA_ARGS__, NULL })

static sd_event *event;
static HttpClient *http;
static Sim *sim;
static char tmpdir[] = "/tmp/test-credentials-XXXXXX";

/* ---------------------------------------------------------------------------------------------
 * The file parser
 */

static int parse(const char *text, const char *profile, AwsCredentials **ret, char **reterr)
{
        return credentials_file_parse(text, strlen(text), profile, ret, reterr);
}

static void test_source_strings(void)
{
        ASSERT_STREQ(credential_source_to_string(CREDENTIAL_SOURCE_ENVIRONMENT), "environment");
        ASSERT_STREQ(credential_source_to_string(CREDENTIAL_SOURCE_SHARED_FILE), "shared-file");
        ASSERT_STREQ(credential_source_to_string(CREDENTIAL_SOURCE_IMDS), "imds");
        ASSERT_NULL(credential_source_to_string(_CREDENTIAL_SOURCE_MAX));
        ASSERT_NULL(credential_source_to_string(_CREDENTIAL_SOURCE_INVALID));
        for (int i = 0; i < _CREDENTIAL_SOURCE_MAX; i++)
                ASSERT_EQ(credential_source_from_string(credential_source_to_string(i)), i);
        ASSERT_STREQ(credential_source_to_string(CREDENTIAL_SOURCE_ASSUME_ROLE), "assume-role");
        ASSERT_EQ(credential_source_from_string("assumed-role"), _CREDENTIAL_SOURCE_INVALID);
        ASSERT_EQ(credential_source_from_string(NULL), _CREDENTIAL_SOURCE_INVALID);
}

/* ---- assume-role.c: the ARN check, the request, the refresh rule, the session cache ---------- */

static void test_assume_role_helpers(void)
{
        _cleanup_(role_sessions_freep) RoleSessions *cache = NULL;
        _cleanup_free_ char *body = NULL;
        AwsCredentials base = { .source = CREDENTIAL_SOURCE_IMDS, .source_detail = (char *) "role r" };
        AwsCredentials other = { .source = CREDENTIAL_SOURCE_SHARED_FILE };
        const AwsCredentials *c;
        const char *assumed = NULL, *fallback = NULL;
        usec_t now = 1800000000 * USEC_PER_SEC;
        char name[32];

        ASSERT_TRUE(role_arn_is_valid("arn:aws:iam::123456789012:role/R"));
        ASSERT_TRUE(role_arn_is_valid("arn:aws-cn:iam::123456789012:role/a/b/R+=,.@_-"));
        ASSERT_FALSE(role_arn_is_valid(NULL));
        ASSERT_FALSE(role_arn_is_valid("arn:aws:iam::123456789012:role/"));
        ASSERT_FALSE(role_arn_is_valid("arn:aws:iam::123456789012:role/R\nX"));
        ASSERT_FALSE(role_arn_is_valid("arn:aws:iam::123456789012:instance-profile/R"));
        ASSERT_FALSE(role_arn_is_valid("arn:aws:iam::1234567890123:role/R"));
        ASSERT_FALSE(role_arn_is_valid("arn:AWS:iam::123456789012:role/R"));
        ASSERT_FALSE(role_arn_is_valid("arn:aws:iam::123456789012:role/"
                                       "R1234567890123456789012345678901234567890123456789012345678901234"));

        /* The agent's SDK names the session after the clock in nanoseconds. */
        ASSERT_STREQ(assume_role_session_name(now + 1, name), "1800000000000001000");
        ASSERT_OK(assume_role_request_body("arn:aws:iam::123456789012:role/a/R", name, 900, &body));
        ASSERT_STREQ(body, "Action=AssumeRole&DurationSeconds=900&RoleArn=arn%3Aaws%3Aiam%3A%3A"
                           "123456789012%3Arole%2Fa%2FR&RoleSessionName=1800000000000001000"
                           "&Version=2011-06-15");
        ASSERT_ERROR(assume_role_request_body(NULL, name, 0, &body), EINVAL);

        /* Renewed once less than min(5 min, half the lifetime) is left, never used expired. */
        AwsCredentials s = { .expiration = now + 15 * USEC_PER_MINUTE };
        ASSERT_FALSE(assume_role_needs_refresh(&s, now, now));
        ASSERT_FALSE(assume_role_needs_refresh(&s, now, now + 9 * USEC_PER_MINUTE));
        ASSERT_TRUE(assume_role_needs_refresh(&s, now, now + 10 * USEC_PER_MINUTE));
        ASSERT_TRUE(assume_role_needs_refresh(&s, now, now + 20 * USEC_PER_MINUTE));
        s.expiration = now + 4 * USEC_PER_SEC;
        ASSERT_FALSE(assume_role_needs_refresh(&s, now, now + USEC_PER_SEC));
        ASSERT_TRUE(assume_role_needs_refresh(&s, now, now + 2 * USEC_PER_SEC));
        ASSERT_TRUE(assume_role_needs_refresh(NULL, now, now));

        /* One session per role and base source, replaced in place; secrets taken. */
        ASSERT_OK(role_sessions_new(&cache));
        for (unsigned i = 0; i < ASSUME_ROLE_CACHE_MAX + 2; i++) {
                _cleanup_(sts_assumed_role_done) StsAssumedRole ar = {
                        .access_key_id = strdup("ASIAEXAMPLEEXAMPLE"),
                        .secret_access_key = strdup("secret"),
                        .session_token = strdup("token"),
                        .expiration = now + (i + 10) * USEC_PER_MINUTE,
                        .arn = strdup("arn:aws:sts::123456789012:assumed-role/R/1"),
                };
                char arn[64];

                (void) snprintf(arn, sizeof(arn), "arn:aws:iam::123456789012:role/R%u", i % 18);
                /* R17 was issued in the fallback region, the others in the round's. */
                ASSERT_OK(role_sessions_put(cache, arn, &base, &ar,
                                            i % 18 == 17 ? sts_fallback_region("eu-west-1") : NULL,
                                            now, &c));
                ASSERT_NULL(ar.secret_access_key);
                ASSERT_EQ(c->source, CREDENTIAL_SOURCE_ASSUME_ROLE);
                ASSERT_STREQ(c->secret_access_key, "secret");
                ASSERT_TRUE(role_sessions_size(cache) <= ASSUME_ROLE_CACHE_MAX);
        }
        ASSERT_EQ(role_sessions_size(cache), ASSUME_ROLE_CACHE_MAX);
        /* The full cache dropped the sessions closest to expiry (R0, R1). */
        ASSERT_NULL(role_sessions_get(cache, "arn:aws:iam::123456789012:role/R0", &base, now, NULL,
                                      NULL));
        c = role_sessions_get(cache, "arn:aws:iam::123456789012:role/R17", &base, now, &assumed,
                              &fallback);
        ASSERT_NOT_NULL(c);
        ASSERT_STREQ(c->source_detail, "role arn:aws:iam::123456789012:role/R17");
        ASSERT_STREQ(assumed, "arn:aws:sts::123456789012:assumed-role/R/1");
        ASSERT_STREQ(fallback, "us-east-1");
        ASSERT_NOT_NULL(role_sessions_get(cache, "arn:aws:iam::123456789012:role/R16", &base, now,
                                          NULL, &fallback));
        ASSERT_NULL(fallback);
        /* Another base credential source: not that session. */
        ASSERT_NULL(role_sessions_get(cache, "arn:aws:iam::123456789012:role/R17", &other, now,
                                      NULL, NULL));
        /* Due for renewal: not handed out. */
        ASSERT_NULL(role_sessions_get(cache, "arn:aws:iam::123456789012:role/R17", &base,
                                      now + 25 * USEC_PER_MINUTE, NULL, NULL));

        /* Where the agent goes when STS is deactivated in the region: the partition's region
         * whose STS cannot be deactivated; nowhere from that region itself. */
        ASSERT_STREQ(sts_fallback_region("eu-west-1"), "us-east-1");
        ASSERT_STREQ(sts_fallback_region("ap-southeast-7"), "us-east-1");
        ASSERT_STREQ(sts_fallback_region("cn-northwest-1"), "cn-north-1");
        ASSERT_STREQ(sts_fallback_region("us-gov-east-1"), "us-gov-west-1");
        ASSERT_NULL(sts_fallback_region("us-isob-east-1"));
        ASSERT_STREQ(sts_fallback_region("us-isob-west-1"), "us-isob-east-1");
        ASSERT_STREQ(sts_fallback_region("us-iso-west-1"), "us-iso-east-1");
        ASSERT_NULL(sts_fallback_region("us-east-1"));
        ASSERT_NULL(sts_fallback_region("cn-north-1"));
        ASSERT_NULL(sts_fallback_region("us-gov-west-1"));
        ASSERT_NULL(sts_fallback_region(NULL));
}

static void test_file_parse(void)
{
        static const char file[] =
                "# comment\n"
                "[default]\n"
                "aws_access_key_id = AKIADEFAULT\n"
                "aws_secret_access_key = defaultsecret\n"
                "\n"
                "[ AmazonCloudWatchAgent ]\n"
                "  ; indented comment\n"
                "AWS_ACCESS_KEY_ID=" KEY_ID "\n"
                "aws_secret_access_key:" SECRET "   \n"
                "aws_session_token = " TOKEN "\n"
                "region = us-east-1\n"
                "s3 =\n"
                "  max_concurrent_requests = 20\n"
                "[other]\n"
                "garbage line without delimiter\n";
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        char *err = NULL;

        ASSERT_OK(parse(file, "AmazonCloudWatchAgent", &c, &err));
        ASSERT_NULL(err);
        ASSERT_STREQ(c->access_key_id, KEY_ID);
        ASSERT_STREQ(c->secret_access_key, SECRET);
        ASSERT_STREQ(c->session_token, TOKEN);
        ASSERT_EQ(c->source, CREDENTIAL_SOURCE_SHARED_FILE);
        ASSERT_EQ(c->expiration, 0);
        c = aws_credentials_free(c);

        ASSERT_OK(parse(file, "default", &c, &err));
        ASSERT_STREQ(c->access_key_id, "AKIADEFAULT");
        ASSERT_NULL(c->session_token);
        c = aws_credentials_free(c);

        ASSERT_ERROR(parse(file, "missing", &c, &err), ENOENT);
        ASSERT_ERROR(parse(file, "profile default", &c, &err), ENOENT);
        ASSERT_NULL(c);
        ASSERT_NULL(err);

        /* CRLF, byte order mark, the last value wins, legacy token name. */
        ASSERT_OK(parse("\xEF\xBB\xBF[p]\r\naws_access_key_id = A1\r\naws_access_key_id = A2\r\n"
                        "aws_secret_access_key = S\r\naws_security_token = T\r\n",
                        "p", &c, &err));
        ASSERT_STREQ(c->access_key_id, "A2");
        ASSERT_STREQ(c->session_token, "T");
        c = aws_credentials_free(c);

        /* The same section twice: merged. */
        ASSERT_OK(parse("[p]\naws_access_key_id=A\n[q]\n[p]\naws_secret_access_key=S\n", "p", &c,
                        NULL));
        c = aws_credentials_free(c);
}

static void assert_file_error(const char *text, const char *expect)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        _cleanup_free_ char *err = NULL;

        ASSERT_ERROR(parse(text, "p", &c, &err), EBADMSG);
        ASSERT_NULL(c);
        ASSERT_NOT_NULL(err);
        fprintf(stderr, "   %s\n", err);
        ASSERT_TRUE(strstr(err, expect));
        ASSERT_FALSE(strstr(err, SECRET));
        ASSERT_FALSE(strstr(err, KEY_ID));
        ASSERT_FALSE(strchr(err, '\n'));
}

static void test_file_parse_errors(void)
{
        assert_file_error("[p]\naws_access_key_id = " KEY_ID "\n", "lacks aws_secret_access_key");
        assert_file_error("[p]\naws_secret_access_key = " SECRET "\n", "lacks aws_access_key_id");
        assert_file_error("[p]\naws_access_key_id =\naws_secret_access_key = " SECRET "\n",
                          "lacks aws_access_key_id");
        assert_file_error("[p]\naws_access_key_id = " KEY_ID "\nno delimiter " SECRET "\n",
                          "line 3: not 'key = value'");
        assert_file_error("[p]\naws_access_key_id = " KEY_ID " x\naws_secret_access_key = s\n",
                          "line 2: aws_access_key_id has an invalid value");
        assert_file_error("[p]\naws_access_key_id = " KEY_ID "\naws_secret_access_key = s\n"
                          "  " SECRET "\n",
                          "aws_secret_access_key continues");
        assert_file_error("[p]\n", "lacks aws_access_key_id");

        /* The first NUL ends the text. */
        ASSERT_ERROR(credentials_file_parse("[p]\naws_access_key_id=A\0\naws_secret_access_key=S\n",
                                            45, "p", &(AwsCredentials *) { NULL }, NULL),
                     EBADMSG);
}

/* ---------------------------------------------------------------------------------------------
 * The provider
 */

typedef struct Ctx {
        CredentialsProvider *p;
        bool done;
        unsigned n_done;
        CredentialsResult result;
        unsigned n_changes;
} Ctx;

static void on_refresh(CredentialsProvider *p, const CredentialsResult *result, void *userdata)
{
        Ctx *ctx = userdata;

        ctx->done = true;
        ctx->n_done++;
        credentials_result_done(&ctx->result);
        ctx->result = *result;
        ctx->result.message = result->message ? strdup(result->message) : NULL;
        ctx->result.imds_code = result->imds_code ? strdup(result->imds_code) : NULL;
}

static void on_change(CredentialsProvider *p, void *userdata)
{
        Ctx *ctx = userdata;

        ctx->n_changes++;
}

static void run_until(bool *flag, usec_t timeout)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;

        while (!*flag) {
                ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) < deadline);
                ASSERT_OK(sd_event_run(event, 100 * USEC_PER_MSEC));
        }
}

static void run_for(usec_t t)
{
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + t;

        while (now_usec(CLOCK_MONOTONIC) < deadline)
                ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
}

static void ctx_new(Ctx *ctx, const CredentialsOptions *o)
{
        CredentialsOptions opts = *o;

        *ctx = (Ctx) {};
        opts.imds.endpoint = opts.imds.endpoint ?: (sim ? sim->imds_url : CLOSED_IMDS);
        opts.imds.timeout = opts.imds.timeout ?: 2 * USEC_PER_SEC;
        ASSERT_OK(credentials_provider_new(event, http, &opts, &ctx->p));
        credentials_provider_set_on_change(ctx->p, on_change, ctx);
}

static void ctx_done(Ctx *ctx)
{
        credentials_provider_free(ctx->p);
        credentials_result_done(&ctx->result);
        *ctx = (Ctx) {};
}

static void refresh(Ctx *ctx)
{
        ctx->done = false;
        ASSERT_OK(credentials_provider_refresh(ctx->p, on_refresh, ctx, NULL));
        ASSERT_FALSE(ctx->done); /* never from inside refresh() */
        run_until(&ctx->done, 10 * USEC_PER_SEC);
        fprintf(stderr, "   -> %s (%s): %s\n", result_class_to_string(ctx->result.class),
                strna(credential_source_to_string(ctx->result.source)),
                strna(ctx->result.message));
}

static void assert_no_secrets(Ctx *ctx, const char *secret, const char *token)
{
        CredentialsStatus st;
        const char *texts[5];

        credentials_provider_get_status(ctx->p, &st);
        texts[0] = ctx->result.message;
        texts[1] = st.message;
        texts[2] = st.last_error_message;
        texts[3] = st.source_detail;
        texts[4] = ctx->result.imds_code;
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                if (!texts[i])
                        continue;
                if (secret)
                        ASSERT_FALSE(strstr(texts[i], secret));
                if (token)
                        ASSERT_FALSE(strstr(texts[i], token));
                ASSERT_FALSE(strchr(texts[i], '\n'));
        }
}

static char *write_file(const char *name, const char *text, mode_t mode)
{
        char *path;
        int fd;

        ASSERT_TRUE(asprintf(&path, "%s/%s", tmpdir, name) >= 0);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        ASSERT_OK(fchmod(fd, mode));
        close(fd);
        return path;
}

static const char agent_file[] = "[default]\n"
                                 "aws_access_key_id = AKIADEFAULTEXAMPLE0\n"
                                 "aws_secret_access_key = defaultSecretExample\n"
                                 "[AmazonCloudWatchAgent]\n"
                                 "aws_access_key_id = " KEY_ID "\n"
                                 "aws_secret_access_key = " SECRET "\n";

static void test_environment(void)
{
        char *const *env = ENV("HOME=/nonexistent", "AWS_ACCESS_KEY_ID=" KEY_ID,
                               "AWS_SECRET_ACCESS_KEY=" SECRET, "AWS_SESSION_TOKEN=" TOKEN);
        const AwsCredentials *c;
        CredentialsStatus st;
        Ctx ctx;

        ASSERT_ERROR(credentials_provider_get(NULL, &c), ENOKEY);
        ctx_new(&ctx, &(CredentialsOptions) { .envp = env });
        ASSERT_ERROR(credentials_provider_get(ctx.p, &c), ENOKEY);
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(ctx.result.source, CREDENTIAL_SOURCE_ENVIRONMENT);
        ASSERT_EQ(ctx.result.imds_class, _RESULT_CLASS_INVALID);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_STREQ(c->access_key_id, KEY_ID);
        ASSERT_STREQ(c->secret_access_key, SECRET);
        ASSERT_STREQ(c->session_token, TOKEN);
        ASSERT_EQ(c->source, CREDENTIAL_SOURCE_ENVIRONMENT);
        ASSERT_STREQ(c->source_detail, "environment");
        ASSERT_EQ(c->expiration, 0);

        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_OK);
        ASSERT_TRUE(st.have_credentials);
        ASSERT_EQ(st.next_refresh, 0); /* static: no timer */
        ASSERT_EQ(st.n_failures, 0);
        ASSERT_TRUE(st.last_success > 0);
        run_for(100 * USEC_PER_MSEC);
        ASSERT_EQ(ctx.n_changes, 1);
        assert_no_secrets(&ctx, SECRET, TOKEN);

        /* Same credentials again: no change notification. */
        refresh(&ctx);
        run_for(100 * USEC_PER_MSEC);
        ASSERT_EQ(ctx.n_changes, 1);
        ctx_done(&ctx);
}

static void test_environment_expiration(void)
{
        char *const *env = ENV("AWS_ACCESS_KEY_ID=" KEY_ID, "AWS_SECRET_ACCESS_KEY=" SECRET,
                               "AWS_SESSION_TOKEN=" TOKEN,
                               "AWS_CREDENTIAL_EXPIRATION=2099-01-01T00:00:00Z");
        char *const *bad = ENV("AWS_ACCESS_KEY_ID=" KEY_ID, "AWS_SECRET_ACCESS_KEY=" SECRET,
                               "AWS_CREDENTIAL_EXPIRATION=tomorrow");
        const AwsCredentials *c;
        CredentialsStatus st;
        usec_t t;
        Ctx ctx;

        ctx_new(&ctx, &(CredentialsOptions) { .envp = env });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_OK(iso8601_parse("2099-01-01T00:00:00Z", &t));
        ASSERT_EQ(c->expiration, t);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.next_refresh, t - 15 * USEC_PER_MINUTE);
        ctx_done(&ctx);

        ctx_new(&ctx, &(CredentialsOptions) { .envp = bad });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_TRUE(strstr(ctx.result.message, "AWS_CREDENTIAL_EXPIRATION"));
        ctx_done(&ctx);
}

static void test_environment_key_without_secret(void)
{
        char *const *env = ENV("AWS_ACCESS_KEY_ID=" KEY_ID, "AWS_SECRET_ACCESS_KEY=");
        const AwsCredentials *c;
        CredentialsStatus st;
        Ctx ctx;

        if (sim)
                sim_reset(sim);
        ctx_new(&ctx, &(CredentialsOptions) { .envp = env });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(ctx.result.source, CREDENTIAL_SOURCE_ENVIRONMENT);
        ASSERT_TRUE(strstr(ctx.result.message, "AWS_SECRET_ACCESS_KEY is not"));
        ASSERT_ERROR(credentials_provider_get(ctx.p, &c), ENOKEY);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(st.last_error_class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(st.n_failures, 1);
        ASSERT_FALSE(st.have_credentials);
        ASSERT_TRUE(st.next_refresh > 0); /* retried with backoff */
        assert_no_secrets(&ctx, SECRET, NULL);
        if (sim)
                ASSERT_EQ(sim_count(sim, "imds:token"), 0); /* the chain stopped there */
        ctx_done(&ctx);
}

static void test_shared_file(void)
{
        _cleanup_free_ char *path = NULL, *expect = NULL, *home_env = NULL, *file_env = NULL;
        const AwsCredentials *c;
        CredentialsStatus st;
        Ctx ctx;

        path = write_file("credentials", agent_file, 0600);
        ctx_new(&ctx, &(CredentialsOptions) { .file = path });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(ctx.result.source, CREDENTIAL_SOURCE_SHARED_FILE);
        ASSERT_FALSE(ctx.result.insecure_permissions);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_STREQ(c->access_key_id, KEY_ID);
        ASSERT_STREQ(c->secret_access_key, SECRET);
        ASSERT_NULL(c->session_token);
        ASSERT_TRUE(asprintf(&expect, "profile AmazonCloudWatchAgent in %s", path) >= 0);
        ASSERT_STREQ(c->source_detail, expect);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_FALSE(st.insecure_permissions);
        ASSERT_EQ(st.next_refresh, 0);
        assert_no_secrets(&ctx, SECRET, NULL);

        /* 0644: readable by others, flagged (the daemon warns). */
        ASSERT_OK(chmod(path, 0644));
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_OK);
        ASSERT_TRUE(ctx.result.insecure_permissions);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_TRUE(st.insecure_permissions);
        assert_no_secrets(&ctx, SECRET, NULL);
        /* 0640: readable by the group is flagged as well. */
        ASSERT_OK(chmod(path, 0640));
        refresh(&ctx);
        ASSERT_TRUE(ctx.result.insecure_permissions);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_TRUE(st.insecure_permissions);
        /* Fixed: the next refresh clears the flag (the daemon then stops warning). */
        ASSERT_OK(chmod(path, 0600));
        refresh(&ctx);
        ASSERT_FALSE(ctx.result.insecure_permissions);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_FALSE(st.insecure_permissions);
        /* The environment's keys win over the file: its mode is then irrelevant. */
        ASSERT_OK(chmod(path, 0644));
        ctx_done(&ctx);
        ctx_new(&ctx, &(CredentialsOptions) {
                .envp = ENV("AWS_ACCESS_KEY_ID=" KEY_ID, "AWS_SECRET_ACCESS_KEY=" SECRET),
                .file = path });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.source, CREDENTIAL_SOURCE_ENVIRONMENT);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_FALSE(st.insecure_permissions);
        ASSERT_OK(chmod(path, 0600));
        ctx_done(&ctx);

        /* Profile from AWS_PROFILE, file from AWS_SHARED_CREDENTIALS_FILE. */
        ASSERT_TRUE(asprintf(&file_env, "AWS_SHARED_CREDENTIALS_FILE=%s", path) >= 0);
        ctx_new(&ctx, &(CredentialsOptions) {
                .envp = ENV(file_env, "AWS_PROFILE=default") });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_STREQ(c->access_key_id, "AKIADEFAULTEXAMPLE0");
        ctx_done(&ctx);

        /* The options win over the environment. */
        ctx_new(&ctx, &(CredentialsOptions) {
                .envp = ENV("AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
                            "AWS_PROFILE=nonexistent"),
                .file = path, .profile = "default" });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_STREQ(c->access_key_id, "AKIADEFAULTEXAMPLE0");
        ctx_done(&ctx);

        /* $HOME/.aws/credentials. */
        free(path);
        ASSERT_TRUE(asprintf(&path, "%s/.aws", tmpdir) >= 0);
        ASSERT_OK(mkdir(path, 0700));
        free(path);
        path = write_file(".aws/credentials", agent_file, 0600);
        ASSERT_TRUE(asprintf(&home_env, "HOME=%s", tmpdir) >= 0);
        ctx_new(&ctx, &(CredentialsOptions) { .envp = ENV(home_env) });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_STREQ(c->access_key_id, KEY_ID);
        ASSERT_TRUE(strstr(c->source_detail, "/.aws/credentials"));
        ctx_done(&ctx);
        ASSERT_OK(unlink(path));
}

static void test_shared_file_incomplete(void)
{
        _cleanup_free_ char *path = NULL;
        CredentialsStatus st;
        Ctx ctx;

        if (sim)
                sim_reset(sim);
        path = write_file("incomplete", "[AmazonCloudWatchAgent]\naws_access_key_id = " KEY_ID
                                        "\n", 0600);
        ctx_new(&ctx, &(CredentialsOptions) { .file = path });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(ctx.result.source, CREDENTIAL_SOURCE_SHARED_FILE);
        ASSERT_TRUE(strstr(ctx.result.message, "lacks aws_secret_access_key"));
        ASSERT_TRUE(strstr(ctx.result.message, path));
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_FALSE(st.have_credentials);
        if (sim)
                ASSERT_EQ(sim_count(sim, "imds:token"), 0);
        ctx_done(&ctx);
}

static void test_no_source_at_all(void)
{
        CredentialsStatus st;
        Ctx ctx;

        /* IMDS is a closed port here: no credentials, with each source's reason. */
        ctx_new(&ctx, &(CredentialsOptions) {
                .envp = ENV("HOME=/nonexistent"),
                .imds.endpoint = CLOSED_IMDS });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(ctx.result.source, _CREDENTIAL_SOURCE_INVALID);
        ASSERT_EQ(ctx.result.imds_class, RESULT_CLASS_IMDS_UNREACHABLE);
        ASSERT_TRUE(strstr(ctx.result.message, "environment: AWS_ACCESS_KEY_ID is not set"));
        ASSERT_TRUE(strstr(ctx.result.message,
                           "shared-file: /nonexistent/.aws/credentials: does not exist"));
        ASSERT_TRUE(strstr(ctx.result.message, "imds: IMDS at " CLOSED_IMDS " is unreachable"));
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(st.source, _CREDENTIAL_SOURCE_INVALID);
        ctx_done(&ctx);
}

/* ---------------------------------------------------------------------------------------------
 * With the simulator's IMDS
 */

static void test_chain_order(void)
{
        _cleanup_free_ char *path = NULL, *nofile = NULL;
        char *const *env = ENV("AWS_ACCESS_KEY_ID=AKIAENVEXAMPLE",
                               "AWS_SECRET_ACCESS_KEY=envsecret");
        const AwsCredentials *c;
        Ctx ctx;

        sim_reset(sim);
        path = write_file("order", agent_file, 0600);

        /* env > file > IMDS */
        ctx_new(&ctx, &(CredentialsOptions) { .envp = env, .file = path });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_EQ(c->source, CREDENTIAL_SOURCE_ENVIRONMENT);
        ctx_done(&ctx);

        ctx_new(&ctx, &(CredentialsOptions) { .file = path });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_EQ(c->source, CREDENTIAL_SOURCE_SHARED_FILE);
        ctx_done(&ctx);
        ASSERT_EQ(sim_count(sim, "imds:token"), 0);

        /* Missing profile → IMDS. */
        ctx_new(&ctx, &(CredentialsOptions) { .file = path, .profile = "absent" });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(ctx.result.imds_class, RESULT_CLASS_OK);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_EQ(c->source, CREDENTIAL_SOURCE_IMDS);
        ASSERT_STREQ(c->source_detail, "role cwguard-test-role");
        ASSERT_TRUE(strncmp(c->access_key_id, "ASIA", 4) == 0);
        ASSERT_NOT_NULL(c->session_token);
        ASSERT_TRUE(c->expiration > now_usec(CLOCK_REALTIME) + 5 * USEC_PER_HOUR);
        assert_no_secrets(&ctx, c->secret_access_key, c->session_token);
        ctx_done(&ctx);

        /* Missing file → IMDS. */
        ASSERT_TRUE(asprintf(&nofile, "%s/nonexistent", tmpdir) >= 0);
        ctx_new(&ctx, &(CredentialsOptions) { .file = nofile });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_EQ(c->source, CREDENTIAL_SOURCE_IMDS);
        ctx_done(&ctx);
}

static void test_imds_failures_in_chain(void)
{
        Ctx ctx;

        /* No role: nothing anywhere → no-credentials, IMDS's own class kept alongside. */
        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"mode\": \"no-role\"}}");
        ctx_new(&ctx, &(CredentialsOptions) { .file = "/nonexistent" });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_NO_CREDENTIALS);
        ASSERT_EQ(ctx.result.imds_class, RESULT_CLASS_IMDS_NO_ROLE);
        ASSERT_EQ(ctx.result.imds_http_status, 404);
        ctx_done(&ctx);

        /* A role whose trust policy is wrong is an error, not "nothing here". */
        sim_scenario(sim, "{\"imds\": {\"mode\": \"creds-error\"}}");
        ctx_new(&ctx, &(CredentialsOptions) { .file = "/nonexistent" });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_IMDS_CREDENTIALS_ERROR);
        ASSERT_EQ(ctx.result.source, CREDENTIAL_SOURCE_IMDS);
        ASSERT_STREQ(ctx.result.imds_code, "AssumeRoleUnauthorizedAccess");
        ctx_done(&ctx);

        sim_scenario(sim, "{\"imds\": {\"mode\": \"malformed\"}}");
        ctx_new(&ctx, &(CredentialsOptions) { .file = "/nonexistent" });
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_BAD_RESPONSE);
        ctx_done(&ctx);
}

static void test_refresh_on_timer(void)
{
        _cleanup_free_ char *first = NULL;
        const AwsCredentials *c;
        CredentialsStatus st;
        usec_t deadline;
        unsigned n_keys = 1;
        Ctx ctx;

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"creds_ttl\": 4}}");
        ctx_new(&ctx, &(CredentialsOptions) { .file = "/nonexistent" });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        first = strdup(c->access_key_id);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_TRUE(st.next_refresh > 0);
        ASSERT_TRUE(st.next_refresh < st.expiration);
        ASSERT_EQ(ctx.n_done, 1);

        /* Nobody asks: the provider's own timer keeps the credentials fresh. */
        deadline = now_usec(CLOCK_MONOTONIC) + 9 * USEC_PER_SEC;
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                _cleanup_free_ char *before = NULL;

                ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0); /* never expired */
                before = strdup(c->access_key_id);
                ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
                ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
                if (!streq(before, c->access_key_id))
                        n_keys++;
        }
        fprintf(stderr, "   %u key pairs, %d credential fetches, %u changes\n", n_keys,
                sim_count(sim, "imds:credentials"), ctx.n_changes);
        ASSERT_TRUE(n_keys >= 3);
        ASSERT_TRUE(sim_count(sim, "imds:credentials") >= 3);
        ASSERT_TRUE(ctx.n_changes >= 3);
        ASSERT_EQ(ctx.n_done, 1); /* the refreshes were the timer's */
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_OK);
        ASSERT_EQ(st.n_failures, 0);
        ASSERT_EQ(sim_count(sim, "imds:token"), 1);
        ctx_done(&ctx);
}

static void test_rotate(void)
{
        _cleanup_free_ char *first = NULL;
        const AwsCredentials *c;
        unsigned changes;
        Ctx ctx;

        sim_reset(sim);
        ctx_new(&ctx, &(CredentialsOptions) { .file = "/nonexistent" });
        refresh(&ctx);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        first = strdup(c->access_key_id);
        run_for(100 * USEC_PER_MSEC);
        changes = ctx.n_changes;

        ASSERT_OK(sim_control(sim, "POST", "/imds/rotate", NULL, NULL));
        refresh(&ctx);
        ASSERT_EQ(ctx.result.class, RESULT_CLASS_OK);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), 0);
        ASSERT_FALSE(streq(first, c->access_key_id));
        run_for(100 * USEC_PER_MSEC);
        ASSERT_EQ(ctx.n_changes, changes + 1);
        ctx_done(&ctx);
}

/* A provider on IMDS credentials that live 4 s, retrying fast: their key id and expiry. */
static usec_t start_short_lived(Ctx *ctx, char **ret_first)
{
        const AwsCredentials *c;

        sim_reset(sim);
        sim_scenario(sim, "{\"imds\": {\"creds_ttl\": 4}}");
        ctx_new(ctx, &(CredentialsOptions) { .file = "/nonexistent",
                                             .retry_initial = 200 * USEC_PER_MSEC,
                                             .retry_max = 400 * USEC_PER_MSEC });
        refresh(ctx);
        ASSERT_EQ(credentials_provider_get(ctx->p, &c), 0);
        *ret_first = strdup(c->access_key_id);
        ASSERT_NOT_NULL(*ret_first);
        return c->expiration;
}

static void test_expiry_while_imds_down(void)
{
        _cleanup_free_ char *first = NULL;
        const AwsCredentials *c;
        CredentialsStatus st;
        usec_t expiration;
        bool saw_stale_ok = false;
        int r;
        Ctx ctx;

        expiration = start_short_lived(&ctx, &first);

        ASSERT_OK(sim_control(sim, "POST", "/imds/stop", NULL, NULL));

        /* Until they expire the old credentials are kept, and the failure is reported. */
        while (now_usec(CLOCK_REALTIME) + 100 * USEC_PER_MSEC < expiration) {
                ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
                r = credentials_provider_get(ctx.p, &c);
                if (now_usec(CLOCK_REALTIME) >= expiration)
                        break;
                ASSERT_EQ(r, 0);
                ASSERT_STREQ(c->access_key_id, first);
                credentials_provider_get_status(ctx.p, &st);
                ASSERT_EQ(st.class, RESULT_CLASS_OK);
                if (st.n_failures > 0) {
                        ASSERT_EQ(st.last_error_class, RESULT_CLASS_IMDS_UNREACHABLE);
                        ASSERT_TRUE(strstr(st.message, "refresh failed"));
                        ASSERT_TRUE(strstr(st.message, "role cwguard-test-role"));
                        ASSERT_EQ(st.expiration, expiration);
                        saw_stale_ok = true;
                }
        }
        ASSERT_TRUE(saw_stale_ok);

        /* Then: credentials-expired. */
        run_for(600 * USEC_PER_MSEC);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), CREDENTIALS_EXPIRED);
        ASSERT_STREQ(c->access_key_id, first);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_CREDENTIALS_EXPIRED);
        ASSERT_TRUE(strstr(st.message, "expired at"));
        ASSERT_TRUE(st.n_failures >= 2);
        ASSERT_TRUE(st.next_refresh > 0 || st.refreshing); /* still trying */
        fprintf(stderr, "   expired: %s\n", st.message);
        assert_no_secrets(&ctx, NULL, "IQoJb3JpZ2lu");

        /* IMDS back: the retry timer recovers without being asked. */
        ASSERT_OK(sim_control(sim, "POST", "/imds/start", NULL, NULL));
        ctx.done = false;
        {
                usec_t deadline = now_usec(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;

                while (credentials_provider_get(ctx.p, &c) != 0) {
                        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) < deadline);
                        ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
                }
        }
        ASSERT_FALSE(streq(c->access_key_id, first));
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_OK);
        ASSERT_EQ(st.n_failures, 0);
        ASSERT_EQ(st.last_error_class, RESULT_CLASS_OK);
        ASSERT_NULL(st.message);
        ctx_done(&ctx);
}

/*
 * The role detached (404) or its credentials document failing (Code not Success) while running:
 * IMDS's verdict is the class as soon as a refresh sees it, while the old credentials are still
 * handed out until they expire; after that the class stays IMDS's (not credentials-expired);
 * and a good document brings everything back.
 */
static void role_gone_mid_run(const char *fault, ResultClass want, const char *words)
{
        _cleanup_free_ char *first = NULL;
        const AwsCredentials *c;
        CredentialsStatus st;
        usec_t expiration;
        bool saw_verdict = false;
        int r;
        Ctx ctx;

        expiration = start_short_lived(&ctx, &first);
        sim_scenario(sim, fault);

        while (now_usec(CLOCK_REALTIME) + 100 * USEC_PER_MSEC < expiration) {
                ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
                r = credentials_provider_get(ctx.p, &c);
                if (now_usec(CLOCK_REALTIME) >= expiration)
                        break;
                ASSERT_EQ(r, 0);
                ASSERT_STREQ(c->access_key_id, first);
                credentials_provider_get_status(ctx.p, &st);
                if (st.n_failures == 0) {
                        ASSERT_EQ(st.class, RESULT_CLASS_OK);
                        continue;
                }
                /* The first failed refresh already says so. */
                ASSERT_EQ(st.class, want);
                ASSERT_EQ(st.last_error_class, want);
                ASSERT_TRUE(strstr(st.message, words));
                ASSERT_TRUE(strstr(st.message, "still valid and used until they expire"));
                ASSERT_TRUE(st.have_credentials);
                saw_verdict = true;
        }
        ASSERT_TRUE(saw_verdict);

        run_for(600 * USEC_PER_MSEC);
        ASSERT_EQ(credentials_provider_get(ctx.p, &c), CREDENTIALS_EXPIRED);
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, want);
        ASSERT_TRUE(strstr(st.message, "expired at"));
        ASSERT_TRUE(strstr(st.message, words));
        assert_no_secrets(&ctx, NULL, "IQoJb3JpZ2lu");

        sim_scenario(sim, "{\"imds\": {\"mode\": \"ok\", \"creds_code\": \"Success\"}}");
        {
                usec_t deadline = now_usec(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;

                while (credentials_provider_get(ctx.p, &c) != 0) {
                        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) < deadline);
                        ASSERT_OK(sd_event_run(event, 50 * USEC_PER_MSEC));
                }
        }
        credentials_provider_get_status(ctx.p, &st);
        ASSERT_EQ(st.class, RESULT_CLASS_OK);
        ASSERT_NULL(st.message);
        ctx_done(&ctx);
}

static void test_role_detached_mid_run(void)
{
        role_gone_mid_run("{\"imds\": {\"mode\": \"no-role\"}}", RESULT_CLASS_IMDS_NO_ROLE,
                          "No IAM role is attached");
}

static void test_credentials_code_error_mid_run(void)
{
        role_gone_mid_run("{\"imds\": {\"mode\": \"creds-error\", \"creds_code\": "
                          "\"AssumeRoleUnauthorizedAccess\"}}",
                          RESULT_CLASS_IMDS_CREDENTIALS_ERROR, "AssumeRoleUnauthorizedAccess");
}

static void on_refresh_free(CredentialsProvider *p, const CredentialsResult *result, void *userdata)
{
        Ctx *ctx = userdata;

        ctx->done = true;
        ctx->n_done++;
        credentials_provider_free(p); /* allowed from any callback */
        ctx->p = NULL;
}

static void test_callbacks(void)
{
        CredentialsRefresh *handle;
        Ctx ctx, other = {};

        sim_reset(sim);
        ctx_new(&ctx, &(CredentialsOptions) { .file = "/nonexistent" });
        ASSERT_OK(credentials_provider_refresh(ctx.p, on_refresh, &other, &handle));
        credentials_refresh_cancel(handle);
        ASSERT_OK(credentials_provider_refresh(ctx.p, on_refresh_free, &ctx, NULL));
        ASSERT_OK(credentials_provider_refresh(ctx.p, on_refresh, &other, NULL));
        run_until(&ctx.done, 10 * USEC_PER_SEC);
        run_for(200 * USEC_PER_MSEC);
        ASSERT_NULL(ctx.p);
        ASSERT_EQ(ctx.n_done, 1);
        ASSERT_FALSE(other.done); /* freed with the provider, never called */
        ASSERT_EQ(sim_count(sim, "imds:credentials"), 1); /* the three joined one run */
        ASSERT_EQ(http_client_n_active(http), 0);
        ctx_done(&ctx);
}

static void test_credentials_copy(void)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL, *d = NULL;

        c = calloc(1, sizeof(AwsCredentials));
        ASSERT_NOT_NULL(c);
        c->access_key_id = strdup(KEY_ID);
        c->secret_access_key = strdup(SECRET);
        c->expiration = 42;
        c->source = CREDENTIAL_SOURCE_IMDS;
        c->source_detail = strdup("role r");
        ASSERT_OK(aws_credentials_copy(c, &d));
        ASSERT_STREQ(d->secret_access_key, SECRET);
        ASSERT_NULL(d->session_token);
        ASSERT_EQ(d->expiration, 42);
        ASSERT_TRUE(aws_credentials_expired(d, 42));
        ASSERT_FALSE(aws_credentials_expired(d, 41));
        d->expiration = 0;
        ASSERT_FALSE(aws_credentials_expired(d, UINT64_MAX));
        ASSERT_NULL(aws_credentials_free(NULL));
}

static void cleanup_tmpdir(void)
{
        _cleanup_free_ char *cmd = NULL;

        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) >= 0 && system(cmd) != 0)
                fprintf(stderr, "warning: could not remove %s\n", tmpdir);
}

int main(void)
{
        int r;

        TEST(test_source_strings);
        TEST(test_assume_role_helpers);
        TEST(test_file_parse);
        TEST(test_file_parse_errors);
        TEST(test_credentials_copy);

        ASSERT_NOT_NULL(mkdtemp(tmpdir));
        atexit(cleanup_tmpdir);
        ASSERT_OK(sd_event_default(&event));
        ASSERT_OK(http_client_new(event, NULL, &http));

        r = sim_start(&sim);
        if (r == -EOPNOTSUPP && !getenv("CWGUARD_REQUIRE_SIM")) {
                fprintf(stderr, "simulator unavailable: the IMDS tests are skipped\n");
                sim = NULL;
        } else
                ASSERT_OK(r);

        TEST(test_environment);
        TEST(test_environment_expiration);
        TEST(test_environment_key_without_secret);
        TEST(test_shared_file);
        TEST(test_shared_file_incomplete);
        TEST(test_no_source_at_all);
        if (!sim) {
                http_client_free(http);
                sd_event_unref(event);
                return EXIT_TEST_SKIP;
        }

        TEST(test_chain_order);
        TEST(test_imds_failures_in_chain);
        TEST(test_refresh_on_timer);
        TEST(test_rotate);
        TEST(test_expiry_while_imds_down);
        TEST(test_role_detached_mid_run);
        TEST(test_credentials_code_error_mid_run);
        TEST(test_callbacks);

        sim_free(sim);
        http_client_free(http);
        sd_event_unref(event);
        return EXIT_SUCCESS;
}
