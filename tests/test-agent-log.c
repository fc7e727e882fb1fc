/* SPDX-License-Identifier: MIT */
/*
 * test-agent-log.c: the agent's log as the agent:log probe reads it — the line classifier on the
 * agent's real line formats (tests/fixtures/agent/logs/), the daemon's since-mode across
 * rename rotation, copytruncate, a partial last line and the per-round cap, the one-shot window
 * mode with timestamps in and out of the window and continuation lines, hostile bytes in the
 * quoted line; and the agent:unit judgement (not installed, stopped, restart-looping, restarted
 * recently, fine) on plain data.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent-log.h"
#include "common/agent-unit.h"
#include "tests/test.h"

static char tmpdir[] = "/tmp/cwguard-test-agent-log-XXXXXX";

static char *fixture(const char *name)
{
        const char *dir = getenv("CWGUARD_FIXTURES");
        char *p;

        ASSERT_TRUE(asprintf(&p, "%s/agent/logs/%s", dir ?: "tests/fixtures", name) > 0);
        return p;
}

static void scan_fixture(const char *name, AgentLogScan *s)
{
        _cleanup_free_ char *path = fixture(name), *data = NULL;
        size_t n;

        ASSERT_OK(read_file_capped(path, 1 << 20, &data, &n));
        ASSERT_OK(agent_log_scan_buffer(data, n, 0, 0, s));
}

static void write_file(const char *path, const char *mode, const char *text)
{
        FILE *f = fopen(path, mode);

        ASSERT_NOT_NULL(f);
        ASSERT_EQ(fputs(text, f) >= 0, true);
        ASSERT_EQ(fclose(f), 0);
}

static void assert_one_line(const char *s)
{
        ASSERT_NOT_NULL(s);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                ASSERT_TRUE(*p >= 0x20 && *p != 0x7f);
                ASSERT_FALSE(p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F);
        }
}

static void test_line_parse(void)
{
        AgentLogLine l;

        agent_log_line_parse(SL("2024-01-02T15:04:05Z E! [outputs.cloudwatchlogs] boom"), &l);
        ASSERT_EQ(l.timestamp, (usec_t) 1704207845 * USEC_PER_SEC);
        ASSERT_EQ(l.level, 'E');
        ASSERT_TRUE(l.error);
        ASSERT_FALSE(l.access_denied);

        /* Go's RFC3339 with a zone offset and fractions. */
        agent_log_line_parse(SL("2024-01-02T17:04:05.123+02:00 W! [agent] careful"), &l);
        ASSERT_EQ(l.timestamp, (usec_t) 1704207845 * USEC_PER_SEC);
        ASSERT_EQ(l.level, 'W');
        ASSERT_FALSE(l.error);

        agent_log_line_parse(SL("2024-01-02T15:04:05Z W! Metric buffer overflow; 20 metrics have "
                                "been dropped."), &l);
        ASSERT_TRUE(l.error);
        agent_log_line_parse(SL("2024-01-02T15:04:05Z I! dropped nothing"), &l);
        ASSERT_FALSE(l.error);
        agent_log_line_parse(SL("2024-01-02T15:04:05Z I! x: AccessDeniedException: no"), &l);
        ASSERT_TRUE(l.error);
        ASSERT_TRUE(l.access_denied);
        agent_log_line_parse(SL("2024-01-02T15:04:05Z D! All 3 retries to a/b failed for "
                                "PutLogEvents, request dropped."), &l);
        ASSERT_TRUE(l.error);

        /* No timestamp (a continuation), a bad date, a level without '!'. */
        agent_log_line_parse(SL(" because no identity-based policy allows it"), &l);
        ASSERT_EQ(l.timestamp, 0u);
        ASSERT_EQ(l.level, 0);
        ASSERT_FALSE(l.error);
        agent_log_line_parse(SL("2024-13-02T15:04:05Z E! x"), &l);
        ASSERT_EQ(l.timestamp, 0u);
        ASSERT_FALSE(l.error);
        agent_log_line_parse(SL("2024-01-02T15:04:05Z E x"), &l);
        ASSERT_EQ(l.level, 0);
        agent_log_line_parse("", 0, &l);
        ASSERT_FALSE(l.error);
}

static void test_fixtures(void)
{
        _cleanup_(agent_log_scan_done) AgentLogScan s = {};

        scan_fixture("agent-errors.log", &s);
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_EQ(s.last_line_at, (usec_t) 1704207845 * USEC_PER_SEC);
        ASSERT_TRUE(strstr(s.last_line, "E! [outputs.cloudwatchlogs] Aws error received") != NULL);
        ASSERT_TRUE(s.access_denied);
        ASSERT_STREQ(s.aws_error_code, "AccessDeniedException");
        /* Diagnosed exactly as a probe's own AccessDenied. */
        ASSERT_STREQ(s.denied.principal,
                     "arn:aws:sts::123456789012:assumed-role/CloudWatchAgentRole/i-0abc");
        ASSERT_STREQ(s.denied.action, "logs:PutLogEvents");
        ASSERT_STREQ(s.denied.resource,
                     "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:i-0abc");
        ASSERT_EQ(s.denied.policy_type, POLICY_TYPE_IDENTITY_BASED);
        ASSERT_EQ(s.denied.deny, DENY_KIND_IMPLICIT);
        agent_log_scan_done(&s);

        scan_fixture("unrecognized-client.log", &s);
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_FALSE(s.access_denied);
        ASSERT_NULL(s.denied.action);
        ASSERT_TRUE(strstr(s.last_line, "UnrecognizedClientException") != NULL);
        agent_log_scan_done(&s);

        scan_fixture("dropped.log", &s);
        ASSERT_EQ(s.error_lines, 2u);
        ASSERT_TRUE(strstr(s.last_line, "Metric buffer overflow") != NULL);
        agent_log_scan_done(&s);

        /* The continuation lines belong to the E! record: the whole denial is parsed. */
        scan_fixture("multiline.log", &s);
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.denied.action, "logs:PutLogEvents");
        ASSERT_EQ(s.denied.policy_type, POLICY_TYPE_IDENTITY_BASED);
        ASSERT_TRUE(strstr(s.last_line, "because no identity-based policy") != NULL);
        assert_one_line(s.last_line);
}

static void test_hostile_bytes(void)
{
        _cleanup_(agent_log_scan_done) AgentLogScan s = {};
        _cleanup_free_ char *big = NULL;
        static const char hostile[] =
                "2024-01-02T15:04:05Z E! \x1b[31mred\x1b[0m \r\nCWGUARD_OK=1\n"
                "2024-01-02T15:04:06Z E! bad utf8 \xff\xfe C1 \xc2\x9b" "2J surrogate \xed\xa0\x80"
                " overlong \xc0\xaf nul \0 after\x7f tab\tend\n";

        ASSERT_OK(agent_log_scan_buffer(hostile, sizeof(hostile) - 1, 0, 0, &s));
        ASSERT_EQ(s.error_lines, 2u);
        assert_one_line(s.last_line);
        ASSERT_NULL(strchr(s.last_line, '\x1b'));
        ASSERT_NULL(strstr(s.last_line, "\xff"));
        ASSERT_NULL(strstr(s.last_line, "\xed\xa0\x80"));
        ASSERT_TRUE(strstr(s.last_line, "bad utf8 ?? C1") != NULL);

        /* Capped: a 100 kB error line is quoted in at most AGENT_LOG_QUOTE_MAX (+ "..."). */
        big = malloc(100000 + 64);
        ASSERT_NOT_NULL(big);
        strcpy(big, "2024-01-02T15:04:05Z E! ");
        memset(big + strlen(big), 'x', 100000);
        big[100000 + 24] = '\n';
        ASSERT_OK(agent_log_scan_buffer(big, 100000 + 25, 0, 0, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_TRUE(strlen(s.last_line) <= AGENT_LOG_QUOTE_MAX + 3);
        ASSERT_TRUE(strstr(s.last_line, "...") != NULL);
}

static void test_since(void)
{
        _cleanup_free_ char *path = NULL, *rotated = NULL;
        _cleanup_(agent_log_scan_done) AgentLogScan s = {};
        AgentLogCursor c = AGENT_LOG_CURSOR_NULL;

        ASSERT_TRUE(asprintf(&path, "%s/agent.log", tmpdir) > 0);
        ASSERT_TRUE(asprintf(&rotated, "%s/agent.log.1", tmpdir) > 0);

        /* Not there yet: the cursor waits for the file and then reads it from its start. */
        ASSERT_ERROR(agent_log_scan_since(&c, path, &s), ENOENT);
        ASSERT_TRUE(c.active);
        write_file(path, "w", "2024-01-02T15:00:00Z E! old, before the daemon looked\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_TRUE(c.fd >= 0);

        /* Nothing new. */
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 0u);
        ASSERT_NULL(s.last_line);

        /* New lines; the last has no newline yet: held back for the next round. */
        write_file(path, "a", "2024-01-02T15:01:00Z I! fine\n"
                              "2024-01-02T15:01:01Z E! first new error\n"
                              "2024-01-02T15:01:02Z E! half writ");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.last_line, "2024-01-02T15:01:01Z E! first new error");
        write_file(path, "a", "ten\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.last_line, "2024-01-02T15:01:02Z E! half written");

        /* Rename rotation: the tail of the old file (through the descriptor held), then the
         * new file from its start. */
        write_file(path, "a", "2024-01-02T15:02:00Z E! tail of the old file\n");
        ASSERT_EQ(rename(path, rotated), 0);
        write_file(path, "w", "2024-01-02T15:02:01Z I! new file\n"
                              "2024-01-02T15:02:02Z E! first of the new file\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_TRUE(s.rotated);
        ASSERT_EQ(s.error_lines, 2u);
        ASSERT_STREQ(s.last_line, "2024-01-02T15:02:02Z E! first of the new file");

        /* Rotated away and not recreated yet: the old file is finished, then nothing. */
        write_file(path, "a", "2024-01-02T15:03:00Z E! last words\n");
        ASSERT_EQ(unlink(rotated), 0);
        ASSERT_EQ(rename(path, rotated), 0);
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.last_line, "2024-01-02T15:03:00Z E! last words");
        ASSERT_ERROR(agent_log_scan_since(&c, path, &s), ENOENT);
        write_file(path, "w", "2024-01-02T15:04:00Z E! recreated\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);

        /* copytruncate: the same file, shorter than the cursor: read again from 0. */
        write_file(path, "a", "2024-01-02T15:05:00Z I! a long line to be truncated away later\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 0u);
        ASSERT_EQ(truncate(path, 0), 0);
        write_file(path, "a", "2024-01-02T15:06:00Z E! after truncation\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_TRUE(s.truncated);
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.last_line, "2024-01-02T15:06:00Z E! after truncation");

        agent_log_cursor_done(&c);
        ASSERT_EQ(c.fd, -1);
        (void) unlink(path);
        (void) unlink(rotated);
}

static void test_cap(void)
{
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_(agent_log_scan_done) AgentLogScan s = {};
        AgentLogCursor c = AGENT_LOG_CURSOR_NULL;
        FILE *f;
        size_t written = 0;

        ASSERT_TRUE(asprintf(&path, "%s/big.log", tmpdir) > 0);
        write_file(path, "w", "2024-01-02T15:00:00Z I! start\n");
        ASSERT_OK(agent_log_scan_window(path, (usec_t) 1704207600 * USEC_PER_SEC,
                                        10 * USEC_PER_MINUTE, &c, &s));

        /* 5 MiB since the last round, an error at its start and one at its end. */
        f = fopen(path, "a");
        ASSERT_NOT_NULL(f);
        fputs("2024-01-02T15:00:01Z E! lost in the skipped part\n", f);
        ASSERT_TRUE(asprintf(&line, "2024-01-02T15:00:02Z I! %0100d\n", 0) > 0);
        while (written < 5 * 1024 * 1024)
                written += (size_t) fprintf(f, "%s", line);
        fputs("2024-01-02T15:00:03Z E! at the end\n", f);
        ASSERT_EQ(fclose(f), 0);

        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.last_line, "2024-01-02T15:00:03Z E! at the end");
        ASSERT_TRUE(s.skipped_bytes > 4 * 1024 * 1024);
        ASSERT_TRUE(s.bytes_read <= AGENT_LOG_TAIL);

        /* The window mode reads the tail of a big file only. */
        ASSERT_OK(agent_log_scan_window(path, (usec_t) 1704207600 * USEC_PER_SEC,
                                        10 * USEC_PER_MINUTE, NULL, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_TRUE(s.bytes_read <= AGENT_LOG_TAIL);
        agent_log_cursor_done(&c);
        (void) unlink(path);
}

static void test_window(void)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_(agent_log_scan_done) AgentLogScan s = {};
        AgentLogCursor c = AGENT_LOG_CURSOR_NULL;
        usec_t now = (usec_t) 1704207600 * USEC_PER_SEC; /* 2024-01-02T15:00:00Z */

        ASSERT_TRUE(asprintf(&path, "%s/window.log", tmpdir) > 0);
        write_file(path, "w",
                   " E! a continuation before any timestamp: no time, not counted\n"
                   "2024-01-02T14:40:00Z E! twenty minutes ago: outside\n"
                   "2024-01-02T14:55:00Z E! five minutes ago: inside\n"
                   "2024-01-02T14:59:00Z I! [outputs.cloudwatchlogs] one minute ago\n"
                   "  AccessDeniedException: User: arn:aws:iam::123456789012:user/u is not "
                   "authorized to perform: logs:CreateLogStream\n"
                   "2024-01-02T15:30:00Z E! half an hour in the future: outside\n"
                   "2024-01-02T14:59:30Z E! being writ");
        ASSERT_OK(agent_log_scan_window(path, now, 10 * USEC_PER_MINUTE, &c, &s));
        ASSERT_EQ(s.error_lines, 2u);
        ASSERT_EQ(s.last_line_at, now - USEC_PER_MINUTE);
        ASSERT_STREQ(s.denied.action, "logs:CreateLogStream");
        ASSERT_STREQ(s.denied.principal, "arn:aws:iam::123456789012:user/u");

        /* The cursor sits before the partial line: the daemon's next round reads it. */
        ASSERT_TRUE(c.active);
        write_file(path, "a", "ten\n");
        ASSERT_OK(agent_log_scan_since(&c, path, &s));
        ASSERT_EQ(s.error_lines, 1u);
        ASSERT_STREQ(s.last_line, "2024-01-02T14:59:30Z E! being written");

        /* A wider window takes the older error in. */
        ASSERT_OK(agent_log_scan_window(path, now, USEC_PER_HOUR, NULL, &s));
        ASSERT_EQ(s.error_lines, 4u);

        ASSERT_ERROR(agent_log_scan_window("/nonexistent/agent.log", now, USEC_PER_HOUR, NULL, &s),
                     ENOENT);
        if (geteuid() != 0) {
                ASSERT_EQ(chmod(path, 0), 0);
                ASSERT_ERROR(agent_log_scan_window(path, now, USEC_PER_HOUR, NULL, &s), EACCES);
        }
        ASSERT_TRUE(asprintf(&text, "%s", tmpdir) > 0);
        ASSERT_ERROR(agent_log_scan_window(text, now, USEC_PER_HOUR, NULL, &s), EBADFD);
        agent_log_cursor_done(&c);
        (void) unlink(path);
}

static void judge(const AgentUnitState *st, const AgentUnitHistory *h, ResultClass expect,
                  uint64_t expect_grown, const char *needle)
{
        _cleanup_free_ char *msg = NULL;
        ResultClass c;
        uint64_t grown;

        ASSERT_OK(agent_unit_judge("amazon-cloudwatch-agent.service", st, h, &c, &grown, &msg));
        if (c != expect || !strstr(msg, needle))
                fprintf(stderr, "class %s, message '%s'\n", result_class_to_string(c), msg);
        ASSERT_EQ(c, expect);
        ASSERT_EQ(grown, expect_grown);
        ASSERT_TRUE(strstr(msg, needle) != NULL);
}

static void test_unit_judge(void)
{
        usec_t now = (usec_t) 1704207600 * USEC_PER_SEC;
        AgentUnitHistory first = { .now = now, .window = 10 * USEC_PER_MINUTE };
        AgentUnitHistory later = { .have_previous = true, .previous_restarts = 2, .now = now,
                                   .window = 10 * USEC_PER_MINUTE };
        AgentUnitState st = {
                .load_state = (char *) "not-found", .active_state = (char *) "inactive",
                .sub_state = (char *) "dead",
        };

        judge(&st, &first, RESULT_CLASS_NOT_APPLICABLE, 0,
              "agent not installed (no unit amazon-cloudwatch-agent.service)");

        st = (AgentUnitState) { .load_state = (char *) "loaded", .active_state = (char *) "failed",
                                .sub_state = (char *) "failed", .result = (char *) "exit-code",
                                .n_restarts = 0, .has_n_restarts = true };
        judge(&st, &first, RESULT_CLASS_AGENT_NOT_RUNNING, 0,
              "is failed (failed), result exit-code");
        st.active_state = (char *) "inactive";
        st.sub_state = (char *) "dead";
        st.result = (char *) "success";
        judge(&st, &later, RESULT_CLASS_AGENT_NOT_RUNNING, 0, "is inactive (dead)");
        st.active_state = (char *) "activating";
        st.sub_state = (char *) "auto-restart";
        st.n_restarts = 7;
        judge(&st, &later, RESULT_CLASS_AGENT_NOT_RUNNING, 5, "systemd is restarting it");

        /* Active, but restarted since the previous round: restart-looping. */
        st = (AgentUnitState) { .load_state = (char *) "loaded", .active_state = (char *) "active",
                                .sub_state = (char *) "running", .n_restarts = 5,
                                .has_n_restarts = true, .active_enter = now - USEC_PER_HOUR };
        judge(&st, &later, RESULT_CLASS_AGENT_NOT_RUNNING, 3,
              "restarted 3 times since the previous round");
        /* No growth: fine, however many restarts before. */
        later.previous_restarts = 5;
        judge(&st, &later, RESULT_CLASS_OK, 0, "is active (running) since 2024-01-02T14:00:00Z");
        /* One-shot: restarts, and the current activation is recent. */
        judge(&st, &first, RESULT_CLASS_OK, 0, "5 restarts");
        st.active_enter = now - 2 * USEC_PER_MINUTE;
        judge(&st, &first, RESULT_CLASS_AGENT_NOT_RUNNING, 0, "restarted recently");
        st.n_restarts = 0;
        judge(&st, &first, RESULT_CLASS_OK, 0, "0 restarts");

        ASSERT_TRUE(agent_unit_name_is_valid("amazon-cloudwatch-agent.service"));
        ASSERT_TRUE(agent_unit_name_is_valid("cwagent@main.service"));
        ASSERT_FALSE(agent_unit_name_is_valid(""));
        ASSERT_FALSE(agent_unit_name_is_valid("amazon-cloudwatch-agent"));
        ASSERT_FALSE(agent_unit_name_is_valid("a b.service"));
        ASSERT_FALSE(agent_unit_name_is_valid("cwagent@.service"));
        ASSERT_FALSE(agent_unit_name_is_valid("../x.service"));
}

int main(void)
{
        ASSERT_NOT_NULL(mkdtemp(tmpdir));

        TEST(test_line_parse);
        TEST(test_fixtures);
        TEST(test_hostile_bytes);
        TEST(test_since);
        TEST(test_cap);
        TEST(test_window);
        TEST(test_unit_judge);

        ASSERT_EQ(rmdir(tmpdir), 0);
        return 0;
}
