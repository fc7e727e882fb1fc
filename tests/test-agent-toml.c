/* SPDX-License-Identifier: MIT */
/*
 * test-agent-toml.c: the common-config.toml subset parser. The documented example, the file the
 * agent ships (all commented out), the agent's own sample with [imds], escapes and literal
 * strings, CRLF line ends, a byte order mark, the size cap, the notes for what the agent ignores
 * and every refusal, each with its exact "FILE:LINE:COL: ..." message.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent-toml.h"
#include "common/util.h"
#include "tests/test.h"

#define SUBSET "is not part of the subset cwguard reads (cwguard reads comments, [table] headers " \
               "and bare keys set to \"basic\" or 'literal' strings)"

static char *fixture_path(const char *name)
{
        char *p = NULL;

        ASSERT_TRUE(asprintf(&p, "%s/agent/%s", getenv("CWGUARD_FIXTURES") ?: "tests/fixtures",
                             name) >= 0);
        return p;
}

static int parse(const char *text, AgentToml *t, char **err)
{
        return agent_toml_parse(text, strlen(text), NULL, t, err);
}

#define ASSERT_VALUE(v, s, l)                                                              \
        do {                                                                               \
                ASSERT_STREQ_NULL((v).value, s);                                           \
                ASSERT_EQ((v).line, l);                                                    \
        } while (0)

static void assert_documented(const AgentToml *t, unsigned first)
{
        ASSERT_VALUE(t->profile, "AmazonCloudWatchAgent", first);
        ASSERT_VALUE(t->credentials_file, "/root/.aws/credentials", first + 1);
        ASSERT_VALUE(t->http_proxy, "http://proxy:8080", first + 5);
        ASSERT_VALUE(t->https_proxy, "http://proxy:8080", first + 6);
        ASSERT_VALUE(t->no_proxy, "169.254.169.254,localhost", first + 7);
        ASSERT_VALUE(t->ca_bundle_path, "/etc/pki/ca.pem", first + 10);
        ASSERT_EQ(t->imds_retries, -1);
        ASSERT_EQ(t->imds_retries_line, 0);
        ASSERT_NULL(t->notes);
}

static void test_documented_example(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *path = fixture_path("common-config.toml"), *err = NULL;

        ASSERT_EQ(agent_toml_load(path, &t, &err), 0);
        ASSERT_NULL(err);
        assert_documented(&t, 5);
}

static void test_shipped_file(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *path = fixture_path("common-config-shipped.toml"), *err = NULL;

        /* As installed: everything commented out, so the agent's defaults apply. */
        ASSERT_EQ(agent_toml_load(path, &t, &err), 0);
        ASSERT_VALUE(t.profile, NULL, 0);
        ASSERT_VALUE(t.credentials_file, NULL, 0);
        ASSERT_VALUE(t.http_proxy, NULL, 0);
        ASSERT_VALUE(t.ca_bundle_path, NULL, 0);
        ASSERT_EQ(t.imds_retries, -1);
        ASSERT_NULL(t.notes);
        ASSERT_NULL(err);
}

static void test_imds_sample(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *path = fixture_path("common-config-imds.toml"), *err = NULL;

        ASSERT_EQ(agent_toml_load(path, &t, &err), 0);
        ASSERT_VALUE(t.profile, "AmazonCloudWatchAgent", 3);
        ASSERT_VALUE(t.credentials_file, NULL, 0);
        ASSERT_VALUE(t.http_proxy, "http://127.0.0.1:3280", 6);
        ASSERT_VALUE(t.https_proxy, "https://127.0.0.1:3280", 7);
        ASSERT_VALUE(t.no_proxy, "254.1.1.1", 8);
        ASSERT_VALUE(t.ca_bundle_path, "/etc/test/ca_bundle.pem", 11);
        ASSERT_EQ(t.imds_retries, 2);
        ASSERT_EQ(t.imds_retries_line, 14);
        ASSERT_NULL(t.notes);
}

static void test_crlf_and_bom(void)
{
        _cleanup_free_ char *path = fixture_path("common-config.toml"), *data = NULL,
                            *crlf = NULL, *err = NULL;
        size_t size, n = 0;
        AgentToml t = {};

        ASSERT_OK(read_file_capped(path, AGENT_TOML_MAX, &data, &size));
        crlf = malloc(3 + 2 * size + 1);
        ASSERT_NOT_NULL(crlf);
        memcpy(crlf, "\xEF\xBB\xBF", 3);
        n = 3;
        for (size_t i = 0; i < size; i++) {
                if (data[i] == '\n')
                        crlf[n++] = '\r';
                crlf[n++] = data[i];
        }

        ASSERT_EQ(agent_toml_parse(crlf, n, NULL, &t, &err), 0);
        assert_documented(&t, 5);
        agent_toml_done(&t);
        ASSERT_EQ(agent_toml_parse(crlf + 3, n - 3, NULL, &t, &err), 0);
        assert_documented(&t, 5);
        agent_toml_done(&t);

        /* Positions count from after the mark; a lone CR is not a line end. */
        ASSERT_ERROR(agent_toml_parse("\xEF\xBB\xBF[ssl\r\n", 9, NULL, &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:1:5: invalid TOML: expected ']' to close the table "
                          "header");
        ASSERT_ERROR(parse("[ssl]\rca_bundle_path = 'x'\n", &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:1:6: invalid TOML: a carriage return not followed "
                          "by a newline");
        ASSERT_ERROR(parse("# c\r\r\n", &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:1:4: invalid TOML: a carriage return not followed "
                          "by a newline");
}

static void test_strings(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *err = NULL;
        const char *text =
                "[credentials]\n"
                "shared_credential_profile = \"caf\\u00e9 \\U0001F600 \\\"q\\\" \\\\\"\n"
                "shared_credential_file = 'C:\\Users\\agent\\.aws\\credentials'\n"
                "[proxy] # trailing comment\n"
                "http_proxy=\"http://p\\u0072oxy:8080\"# no blank before the comment\n"
                "\thttps_proxy\t=\t''\n"
                "[ ssl ]\n"
                "ca_bundle_path = \"/etc/pki/\\u4e2d.pem\"   \n";

        ASSERT_EQ(parse(text, &t, &err), 0);
        ASSERT_NULL(err);
        ASSERT_VALUE(t.profile, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\", 2);
        ASSERT_VALUE(t.credentials_file, "C:\\Users\\agent\\.aws\\credentials", 3);
        ASSERT_VALUE(t.http_proxy, "http://proxy:8080", 5);
        ASSERT_VALUE(t.https_proxy, "", 6);
        ASSERT_VALUE(t.no_proxy, NULL, 0);
        ASSERT_VALUE(t.ca_bundle_path, "/etc/pki/\xe4\xb8\xad.pem", 8);
        ASSERT_EQ(strv_length(t.notes), 1);
        ASSERT_STREQ(t.notes[0], "common-config.toml:6: https_proxy is empty");

        /* Escapes that make control characters are fine in TOML but not in a setting. */
        agent_toml_done(&t);
        ASSERT_ERROR(parse("[proxy]\nno_proxy = \"a\\nb\"\n", &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:2:12: the value of 'no_proxy' holds a control "
                          "character");
        ASSERT_ERROR(parse("[proxy]\nno_proxy = \"a\\tb\"\n", &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:2:12: the value of 'no_proxy' holds a control "
                          "character");
        ASSERT_ERROR(parse("[proxy]\nno_proxy = \"a\\u0000b\"\n", &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:2:12: the string holds a NUL character");
        /* ... and are kept out of notes for keys the agent ignores. */
        ASSERT_EQ(parse("[proxy]\nother = \"a\\nb\"\n", &t, &err), 0);
        ASSERT_EQ(strv_length(t.notes), 1);
        ASSERT_STREQ(t.notes[0], "common-config.toml:2: the key 'other' in [proxy] is not one the "
                                 "agent reads; ignored");
}

static void test_notes(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *err = NULL;
        const char *text = "region = \"us-east-1\"\n"
                           "[Credentials]\n"
                           "SHARED_CREDENTIAL_PROFILE = \"p\"\n"
                           "role_arn = \"arn:aws:iam::123456789012:role/x\"\n"
                           "[logs]\n"
                           "level = \"debug\"\n"
                           "[imds]\n"
                           "imds_retries = 0 # none\n";

        ASSERT_EQ(parse(text, &t, &err), 0);
        ASSERT_VALUE(t.profile, "p", 3);
        ASSERT_EQ(t.imds_retries, 0);
        ASSERT_EQ(t.imds_retries_line, 8);
        ASSERT_EQ(strv_length(t.notes), 5);
        ASSERT_STREQ(t.notes[0], "common-config.toml:1: the top-level key 'region' is not one the "
                                 "agent reads; ignored");
        ASSERT_STREQ(t.notes[1], "common-config.toml:2: [Credentials] read as [credentials] (the "
                                 "agent's TOML decoder matches names regardless of case)");
        ASSERT_STREQ(t.notes[2], "common-config.toml:3: 'SHARED_CREDENTIAL_PROFILE' read as "
                                 "'shared_credential_profile' (the agent's TOML decoder matches "
                                 "names regardless of case)");
        ASSERT_STREQ(t.notes[3], "common-config.toml:4: the key 'role_arn' in [credentials] is not "
                                 "one the agent reads; ignored");
        ASSERT_STREQ(t.notes[4], "common-config.toml:5: the table [logs] is not one the agent "
                                 "reads; ignored, as the agent ignores it");
}

static void test_refusals(void)
{
        const struct {
                const char *text;
                const char *error;
        } cases[] = {
                /* Valid TOML outside the subset. */
                { "[proxy]\nno_proxy = [\"a\", \"b\"]\n", "2:12: an array " SUBSET },
                { "[proxy]\nno_proxy = { a = \"b\" }\n", "2:12: an inline table " SUBSET },
                { "[proxy]\nno_proxy = true\n", "2:12: a boolean " SUBSET },
                { "[proxy]\nno_proxy = false\n", "2:12: a boolean " SUBSET },
                { "[proxy]\nno_proxy = 8080\n", "2:12: a number or date " SUBSET },
                { "[proxy]\nno_proxy = -1.5\n", "2:12: a number or date " SUBSET },
                { "[proxy]\nno_proxy = inf\n", "2:12: a number or date " SUBSET },
                { "[proxy]\nno_proxy = 1979-05-27T07:32:00Z\n", "2:12: a number or date " SUBSET },
                { "[proxy]\nno_proxy = \"\"\"a\"\"\"\n", "2:12: a multi-line string " SUBSET },
                { "[proxy]\nno_proxy = '''a'''\n", "2:12: a multi-line string " SUBSET },
                { "[[proxy]]\n", "1:1: an array of tables ([[...]]) " SUBSET },
                { "[proxy]\nhttp.proxy = \"x\"\n", "2:5: a dotted key " SUBSET },
                { "[proxy]\nhttp_proxy . x = \"x\"\n", "2:12: a dotted key " SUBSET },
                { "[proxy]\n\"http_proxy\" = \"x\"\n", "2:1: a quoted key " SUBSET },
                { "[proxy]\n'http_proxy' = \"x\"\n", "2:1: a quoted key " SUBSET },
                { "[proxy.inner]\n", "1:7: a dotted table name " SUBSET },
                { "[\"proxy\"]\n", "1:2: a quoted table name " SUBSET },
                { "[imds]\nimds_retries = 1_000\n", "2:16: a number other than a plain decimal "
                                                    "integer " SUBSET },
                { "[imds]\nimds_retries = 010\n", "2:16: a number other than a plain decimal "
                                                  "integer " SUBSET },
                { "[imds]\nimds_retries = 1234567890\n", "2:16: a number other than a plain "
                                                         "decimal integer " SUBSET },
                /* Found by fuzz-agent-toml: ten digits overflowed an int before the check. */
                { "[imds]\nimds_retries = 2222222222\n", "2:16: a number other than a plain "
                                                         "decimal integer " SUBSET },
                { "[imds]\nimds_retries = 2.5\n", "2:16: a number other than a plain decimal "
                                                  "integer " SUBSET },
                { "[imds]\nimds_retries = -1\n", "2:16: a number or date " SUBSET },
                { "[imds]\nimds_retries = \"2\"\n", "2:16: imds_retries must be an integer; the "
                                                    "agent fails to decode a string here" },
                /* Duplicates: invalid TOML, or two spellings of one setting for the agent. */
                { "[proxy]\nhttp_proxy = \"a\"\nhttp_proxy = \"b\"\n",
                  "3:1: invalid TOML: the key 'http_proxy' is defined twice (first on line 2)" },
                { "[proxy]\nhttp_proxy = \"a\"\nHTTP_PROXY = \"b\"\n",
                  "3:1: the key 'HTTP_PROXY' repeats 'http_proxy' of line 2; the agent reads "
                  "names regardless of case, so both would set one value" },
                { "[proxy]\n[ssl]\n[proxy]\n",
                  "3:1: invalid TOML: the table [proxy] is defined twice (first on line 1)" },
                { "[ssl]\n[SSL]\n", "2:1: the table [SSL] repeats [ssl] of line 1; the agent "
                                    "reads names regardless of case, so both would set one "
                                    "table" },
                { "other = \"x\"\n[other]\n", "2:1: the table [other] clashes with the key "
                                              "'other' of line 1" },
                { "proxy = \"http://p:8080\"\n", "1:1: 'proxy' must be a table [proxy], not a "
                                                 "key; the agent fails to decode this file" },
                /* Not TOML at all. */
                { "[proxy]\nhttp_proxy \"x\"\n",
                  "2:12: invalid TOML: expected '=' after the key 'http_proxy'" },
                { "[proxy]\nhttp_proxy =\n", "2:13: invalid TOML: the key 'http_proxy' has no "
                                             "value" },
                { "[proxy]\nhttp_proxy = # c\n", "2:14: invalid TOML: the key 'http_proxy' has "
                                                 "no value" },
                { "[proxy]\nhttp_proxy = x\n", "2:14: invalid TOML: not a value" },
                { "[proxy]\nhttp_proxy = \"x\n", "2:14: invalid TOML: the string does not end "
                                                 "on its line" },
                { "[proxy]\nhttp_proxy = 'x", "2:14: invalid TOML: the string does not end on "
                                              "its line" },
                { "[proxy]\nhttp_proxy = \"\\q\"\n", "2:15: invalid TOML: an unknown escape "
                                                     "sequence" },
                { "[proxy]\nhttp_proxy = \"\\u12\"\n", "2:15: invalid TOML: \\u needs 4 "
                                                       "hexadecimal digits" },
                { "[proxy]\nhttp_proxy = \"\\uD800\"\n", "2:15: invalid TOML: \\uD800 is not a "
                                                         "Unicode scalar value" },
                { "[proxy]\nhttp_proxy = \"\\U00110000\"\n", "2:15: invalid TOML: \\U00110000 "
                                                             "is not a Unicode scalar value" },
                { "[proxy]\nhttp_proxy = \"a\x01\"\n", "2:16: invalid TOML: a control character "
                                                       "in a string (write it as an escape)" },
                { "[proxy]\nhttp_proxy = 'a\x7f'\n", "2:16: invalid TOML: a control character "
                                                     "in a string (write it as an escape)" },
                { "# a\x1b[31m\n", "1:4: invalid TOML: a control character in a comment" },
                { "# caf\xc3\n", "1:6: invalid TOML: not UTF-8" },
                { "[proxy]\nhttp_proxy = \"\xed\xa0\x80\"\n", "2:15: invalid TOML: not UTF-8" },
                { "[proxy]\nhttp_proxy = \"a\" \"b\"\n", "2:18: invalid TOML: unexpected text "
                                                         "after the value" },
                { "[proxy] x\n", "1:9: invalid TOML: unexpected text after the table header" },
                { "[proxy\n", "1:7: invalid TOML: expected ']' to close the table header" },
                { "[]\n", "1:2: invalid TOML: a table header without a name" },
                { "= \"x\"\n", "1:1: invalid TOML: expected a key, a [table] header or a "
                               "comment" },
                { "caf\xc3\xa9 = \"x\"\n", "1:4: invalid TOML: expected '=' after the key "
                                           "'caf'" },
                { "\x01\n", "1:1: invalid TOML: expected a key, a [table] header or a comment" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *err = NULL, *want = NULL;
                AgentToml t = { .profile.value = (char *) "untouched" };

                ASSERT_TRUE(asprintf(&want, "common-config.toml:%s", cases[i].error) >= 0);
                ASSERT_ERROR(parse(cases[i].text, &t, &err), EBADMSG);
                ASSERT_STREQ(err, want);
                /* On failure the result is left alone. */
                ASSERT_STREQ(t.profile.value, "untouched");
        }
}

static void test_size(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *big = NULL, *err = NULL, *many = NULL;
        size_t n = 0;

        big = malloc(AGENT_TOML_MAX + 1);
        ASSERT_NOT_NULL(big);
        memset(big, '#', AGENT_TOML_MAX + 1);
        ASSERT_ERROR(agent_toml_parse(big, AGENT_TOML_MAX + 1, "/etc/x.toml", &t, &err), EFBIG);
        ASSERT_STREQ(err, "/etc/x.toml: larger than 64 KiB; not a common-config.toml");
        /* One long comment at exactly the limit is fine. */
        ASSERT_EQ(agent_toml_parse(big, AGENT_TOML_MAX, NULL, &t, &err), 0);

        /* More keys than any common-config.toml. */
        many = malloc(AGENT_TOML_MAX);
        ASSERT_NOT_NULL(many);
        n = (size_t) sprintf(many, "[t]\n");
        for (unsigned i = 0; i < AGENT_TOML_ENTRIES_MAX; i++)
                n += (size_t) sprintf(many + n, "k%u = ''\n", i);
        agent_toml_done(&t);
        ASSERT_ERROR(agent_toml_parse(many, n, NULL, &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:257:1: more than 256 keys and tables; this is not a "
                          "common-config.toml");

        /* A value longer than any path or URL. */
        n = (size_t) sprintf(many, "[ssl]\nca_bundle_path = '");
        memset(many + n, 'a', AGENT_TOML_VALUE_MAX + 1);
        n += AGENT_TOML_VALUE_MAX + 1;
        n += (size_t) sprintf(many + n, "'\n");
        ASSERT_ERROR(agent_toml_parse(many, n, NULL, &t, &err), EBADMSG);
        ASSERT_STREQ(err, "common-config.toml:2:18: the value of 'ca_bundle_path' is longer than "
                          "4096 bytes");
}

static void test_load(void)
{
        _cleanup_(agent_toml_done) AgentToml t = {};
        _cleanup_free_ char *err = NULL, *dir = strdup("/tmp/test-agent-toml.XXXXXX"),
                            *fifo = NULL, *want = NULL;

        ASSERT_ERROR(agent_toml_load("/nonexistent/common-config.toml", &t, &err), ENOENT);
        ASSERT_NULL(err);
        ASSERT_ERROR(agent_toml_load("", &t, &err), EINVAL);

        ASSERT_NOT_NULL(dir);
        ASSERT_NOT_NULL(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&fifo, "%s/fifo", dir) >= 0);
        ASSERT_EQ(mkfifo(fifo, 0600), 0);
        /* Never blocks on a FIFO. */
        ASSERT_ERROR(agent_toml_load(fifo, &t, &err), EBADFD);
        ASSERT_TRUE(asprintf(&want, "%s: not a regular file", fifo) >= 0);
        ASSERT_STREQ(err, want);
        ASSERT_ERROR(agent_toml_load(dir, &t, &err), EBADFD);
        ASSERT_EQ(unlink(fifo), 0);
        ASSERT_EQ(rmdir(dir), 0);

        ASSERT_ERROR(agent_toml_parse(NULL, 0, NULL, &t, &err), EINVAL);
        ASSERT_ERROR(agent_toml_parse("", 0, NULL, NULL, &err), EINVAL);
        /* An empty file is a valid, empty configuration; no reason is asked for. */
        ASSERT_EQ(agent_toml_parse("", 0, NULL, &t, NULL), 0);
        ASSERT_EQ(t.imds_retries, -1);
}

int main(void)
{
        TEST(test_documented_example);
        TEST(test_shipped_file);
        TEST(test_imds_sample);
        TEST(test_crlf_and_bom);
        TEST(test_strings);
        TEST(test_notes);
        TEST(test_refusals);
        TEST(test_size);
        TEST(test_load);
        return 0;
}
