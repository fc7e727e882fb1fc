/* SPDX-License-Identifier: MIT */
/*
 * test-log.c: daemon/log.c and daemon/journal.c without journald: log_open() with no socket
 * chooses stderr, and each entry is then one readable line (the message, then the CWGUARD_*
 * facts it does not already say). Return values, errno, levels, the printf-argument walk of
 * log_struct(), the string tables, the transitions and the class -> MESSAGE_ID table. The
 * same code against a real journald is tests/journal/.
 */

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/catalog-ids.h"
#include "daemon/journal.h"
#include "daemon/log.h"
#include "tests/test.h"

/* ---- capturing stderr -------------------------------------------------------------------- */

static FILE *capture_file;
static int capture_saved_fd = -1;

static void capture_start(void)
{
        fflush(stderr);
        capture_file = tmpfile();
        ASSERT_NOT_NULL(capture_file);
        capture_saved_fd = dup(STDERR_FILENO);
        ASSERT_TRUE(capture_saved_fd >= 0);
        ASSERT_TRUE(dup2(fileno(capture_file), STDERR_FILENO) >= 0);
}

/* Stop capturing; return what was written (caller frees). */
static char *capture_end(void)
{
        char *buf;
        long n;

        fflush(stderr);
        ASSERT_TRUE(dup2(capture_saved_fd, STDERR_FILENO) >= 0);
        close(capture_saved_fd);
        capture_saved_fd = -1;

        n = ftell(capture_file);
        ASSERT_TRUE(n >= 0);
        buf = calloc(1, (size_t) n + 1);
        ASSERT_NOT_NULL(buf);
        rewind(capture_file);
        ASSERT_EQ(fread(buf, 1, (size_t) n, capture_file), n);
        fclose(capture_file);
        capture_file = NULL;
        return buf;
}

#define ASSERT_OUTPUT(expected, ...)                                                       \
        do {                                                                               \
                _cleanup_free_ char *_out_ = NULL;                                         \
                capture_start();                                                           \
                __VA_ARGS__;                                                               \
                _out_ = capture_end();                                                     \
                ASSERT_STREQ(_out_, expected);                                             \
        } while (0)

static size_t count_char(const char *s, char c)
{
        size_t n = 0;

        for (; *s; s++)
                n += *s == c;
        return n;
}

/* ---- log.c ------------------------------------------------------------------------------- */

static void test_open(void)
{
        ASSERT_EQ(log_open("/nonexistent/journal/socket"), LOG_TARGET_STDERR);
        ASSERT_EQ(log_get_target(), LOG_TARGET_STDERR);
        /* A path that exists but is no socket is not the journal either. */
        ASSERT_EQ(log_open("/dev/null"), LOG_TARGET_STDERR);
        ASSERT_EQ(log_get_max_level(), LOG_INFO);
}

static void test_plain(void)
{
        ASSERT_OUTPUT("hello world\n", log_info("hello %s", "world"));
        ASSERT_OUTPUT("notice 3\n", log_notice("notice %d", 3));
        ASSERT_OUTPUT("warned\n", log_warning("warned"));
        ASSERT_OUTPUT("errored\n", log_error("errored"));
        /* One entry is one line: control characters become spaces. */
        ASSERT_OUTPUT("two lines  and an escape [2J\n",
                      log_info("two lines\n and an escape\x1b[2J"));
        /* C1 too (U+009B is an 8-bit CSI in UTF-8): two bytes, two spaces; other UTF-8 stays. */
        ASSERT_OUTPUT("csi   31m caf\xc3\xa9 \xc2\xa0 end\n",
                      log_info("csi \xc2\x9b" "31m caf\xc3\xa9 \xc2\xa0 end"));
}

static void test_errno(void)
{
        int r;

        errno = EBADF;
        ASSERT_OUTPUT("Failed to open 'x': No such file or directory\n",
                      r = log_error_errno(-ENOENT, "Failed to open '%s': %m", "x"));
        ASSERT_EQ(r, -ENOENT);
        ASSERT_EQ(errno, EBADF);

        /* A positive errno is accepted too; the return value is always negative. */
        ASSERT_OUTPUT("denied: Permission denied, ignoring\n",
                      r = log_warning_errno(EACCES, "denied: %m, ignoring"));
        ASSERT_EQ(r, -EACCES);

        ASSERT_OUTPUT("made up: Invalid argument\n",
                      r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "made up: %m"));
        ASSERT_EQ(r, -EINVAL);
        ASSERT_TRUE(ERRNO_IS_SYNTHETIC(SYNTHETIC_ERRNO(EINVAL)));
        ASSERT_TRUE(ERRNO_IS_SYNTHETIC(-SYNTHETIC_ERRNO(EINVAL)));
        ASSERT_FALSE(ERRNO_IS_SYNTHETIC(-EINVAL));
        ASSERT_EQ(ERRNO_VALUE(-SYNTHETIC_ERRNO(EIO)), EIO);

        ASSERT_OUTPUT("no error\n", r = log_info_errno(0, "no error"));
        ASSERT_EQ(r, 0);

        ASSERT_OUTPUT("Out of memory.\n", r = log_oom());
        ASSERT_EQ(r, -ENOMEM);
        ASSERT_EQ(errno, EBADF);
}

static int evaluated;

static int side_effect(void)
{
        return ++evaluated;
}

static void test_levels(void)
{
        int r;

        ASSERT_OUTPUT("", log_debug("hidden %d", side_effect()));
        ASSERT_EQ(evaluated, 0);  /* filtered out before the arguments are evaluated */

        log_set_max_level(LOG_DEBUG);
        ASSERT_OUTPUT("shown 1\n", log_debug("shown %d", side_effect()));
        ASSERT_EQ(evaluated, 1);

        log_set_max_level(LOG_WARNING);
        ASSERT_OUTPUT("", log_info("hidden"));
        ASSERT_OUTPUT("", r = log_notice_errno(-EIO, "hidden: %m"));
        ASSERT_EQ(r, -EIO);  /* the error is returned even when nothing is logged */
        ASSERT_OUTPUT("still shown\n", log_warning("still shown"));

        log_set_max_level(100);
        ASSERT_EQ(log_get_max_level(), LOG_DEBUG);
        log_set_max_level(-5);
        ASSERT_EQ(log_get_max_level(), LOG_EMERG);
        log_set_max_level(LOG_INFO);
}

static void test_struct(void)
{
        int r;

        /* The facts the message does not say follow it; the probe id (in the message) and
         * fields without the CWGUARD_ prefix do not. */
        ASSERT_OUTPUT("logs:/app: denied 5 [class=access-denied ok=0 note='two words']\n",
                      log_struct(LOG_INFO,
                                 LOG_MESSAGE_ID(CWGUARD_MESSAGE_PROBE_ACCESS_DENIED),
                                 "CWGUARD_PROBE=%s", "logs:/app",
                                 "CWGUARD_CLASS=%s", "access-denied",
                                 "CWGUARD_OK=%d", 0,
                                 "OTHER=%s", "hidden",
                                 "CWGUARD_EMPTY=",
                                 "CWGUARD_NOTE=%s", "two words",
                                 LOG_MESSAGE("logs:/app: denied %d", 5)));

        /* Each field's arguments are stepped over by type, whatever the types are. */
        ASSERT_OUTPUT("m x [a=42 b=1099511627776 c=2.5 d=7 e='    3' f=x g=(nil) h=-3 i=1.500000 "
                      "j=-9 k=100% l=0x1f]\n",
                      log_struct(LOG_NOTICE,
                                 "CWGUARD_A=%d", 42,
                                 "CWGUARD_B=%lld", 1LL << 40,
                                 "CWGUARD_C=%.1f", 2.5,
                                 "CWGUARD_D=%zu", (size_t) 7,
                                 "CWGUARD_E=%*d", 5, 3,
                                 "CWGUARD_F=%c", 'x',
                                 "CWGUARD_G=%p", NULL,
                                 "CWGUARD_H=%hd", (short) -3,
                                 "CWGUARD_I=%Lf", 1.5L,
                                 "CWGUARD_J=%jd", (intmax_t) -9,
                                 "CWGUARD_K=%d%%", 100,
                                 "CWGUARD_L=%#lx", 31UL,
                                 LOG_MESSAGE("m %s", "x")));

        /* A newline in a value stays in that value (quoted, blanked). */
        ASSERT_OUTPUT("inject [x='1 CWGUARD_CLASS=ok']\n",
                      log_struct(LOG_INFO, "CWGUARD_X=%s", "1\nCWGUARD_CLASS=ok",
                                 LOG_MESSAGE("inject")));

        errno = EBADF;
        ASSERT_OUTPUT("struct: Permission denied\n",
                      r = log_struct_errno(LOG_ERR, -EACCES, LOG_MESSAGE("struct: %m")));
        ASSERT_EQ(r, -EACCES);
        ASSERT_EQ(errno, EBADF);

        ASSERT_OUTPUT("", log_struct(LOG_DEBUG, LOG_MESSAGE("hidden %d", side_effect())));

        {
                struct iovec iov[] = {
                        { (char *) "MESSAGE=vector", STRLEN("MESSAGE=vector") },
                        { (char *) "CWGUARD_BIN=a\0b", STRLEN("CWGUARD_BIN=a") + 2 },
                };
                ASSERT_OUTPUT("vector [bin='a b']\n", log_struct_iovec(LOG_INFO, iov, 2));
        }
}

/* ---- journal.c ---------------------------------------------------------------------------- */

static void test_tables(void)
{
        for (ProbeTransition t = 0; t < _PROBE_TRANSITION_MAX; t++) {
                ASSERT_NOT_NULL(probe_transition_to_string(t));
                ASSERT_EQ(probe_transition_from_string(probe_transition_to_string(t)), t);
        }
        ASSERT_NULL(probe_transition_to_string(_PROBE_TRANSITION_MAX));
        ASSERT_NULL(probe_transition_to_string(_PROBE_TRANSITION_INVALID));
        ASSERT_EQ(probe_transition_from_string("nope"), _PROBE_TRANSITION_INVALID);
        ASSERT_STREQ(probe_transition_to_string(PROBE_TRANSITION_STEADY_FAILING),
                     "steady-failing");

        for (JournalEvent e = 0; e < _JOURNAL_EVENT_MAX; e++) {
                ASSERT_NOT_NULL(journal_event_to_string(e));
                ASSERT_EQ(journal_event_from_string(journal_event_to_string(e)), e);
        }
        ASSERT_NULL(journal_event_to_string(_JOURNAL_EVENT_MAX));
        ASSERT_NULL(journal_event_message_id(_JOURNAL_EVENT_MAX));

        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_STARTED),
                     CWGUARD_MESSAGE_DAEMON_STARTED);
        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_READY), CWGUARD_MESSAGE_DAEMON_READY);
        ASSERT_NULL(journal_event_message_id(JOURNAL_EVENT_RELOADED));
        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_CONFIG_INVALID),
                     CWGUARD_MESSAGE_CONFIG_REJECTED);
        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_RELOAD_REJECTED),
                     CWGUARD_MESSAGE_CONFIG_REJECTED);
        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_HEARTBEAT_FAILED),
                     CWGUARD_MESSAGE_HEARTBEAT_FAILED);
        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_HEARTBEAT_RECOVERED),
                     CWGUARD_MESSAGE_HEARTBEAT_RECOVERED);
        ASSERT_STREQ(journal_event_message_id(JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE),
                     CWGUARD_MESSAGE_CREDENTIALS_UNAVAILABLE);
        ASSERT_NULL(journal_event_message_id(JOURNAL_EVENT_STOPPING));

        ASSERT_EQ(journal_event_priority(JOURNAL_EVENT_READY), LOG_INFO);
        ASSERT_EQ(journal_event_priority(JOURNAL_EVENT_CONFIG_INVALID), LOG_ERR);
        ASSERT_EQ(journal_event_priority(JOURNAL_EVENT_RELOAD_REJECTED), LOG_WARNING);
        ASSERT_EQ(journal_event_priority(JOURNAL_EVENT_HEARTBEAT_FAILED), LOG_ERR);
        ASSERT_EQ(journal_event_priority(JOURNAL_EVENT_HEARTBEAT_RECOVERED), LOG_NOTICE);
        ASSERT_EQ(journal_event_priority(JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE), LOG_ERR);
}

static bool is_id128_hex(const char *s)
{
        if (!s || strlen(s) != 32)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s) && !(*s >= 'a' && *s <= 'f'))
                        return false;
        return true;
}

static void test_catalog_ids(void)
{
        const char *seen[_RESULT_CLASS_MAX + _JOURNAL_EVENT_MAX + 1] = {};
        size_t n = 0;

        for (ResultClass c = 0; c < _RESULT_CLASS_MAX; c++) {
                const char *id = catalog_id_for_class(c);

                if (c == RESULT_CLASS_OK || c == RESULT_CLASS_NOT_APPLICABLE) {
                        ASSERT_NULL(id);
                        continue;
                }
                /* Every failure class has an id, and no two classes share one. */
                if (!is_id128_hex(id)) {
                        fprintf(stderr, "class %s: bad id\n", result_class_to_string(c));
                        ASSERT_TRUE(false);
                }
                for (size_t i = 0; i < n; i++)
                        ASSERT_TRUE(!streq(seen[i], id));
                seen[n++] = id;
        }
        ASSERT_NULL(catalog_id_for_class(_RESULT_CLASS_MAX));
        ASSERT_NULL(catalog_id_for_class(_RESULT_CLASS_INVALID));
        ASSERT_STREQ(catalog_id_for_class(RESULT_CLASS_ACCESS_DENIED),
                     CWGUARD_MESSAGE_PROBE_ACCESS_DENIED);

        /* The event ids differ from the class ids (two events may share one). */
        for (JournalEvent e = 0; e < _JOURNAL_EVENT_MAX; e++) {
                const char *id = journal_event_message_id(e);

                if (!id)
                        continue;
                ASSERT_TRUE(is_id128_hex(id));
                for (ResultClass c = 0; c < _RESULT_CLASS_MAX; c++)
                        ASSERT_TRUE(!streq_ptr(catalog_id_for_class(c), id));
                ASSERT_TRUE(!streq(id, CWGUARD_MESSAGE_PROBE_RECOVERED));
        }
}

static void test_transition_between(void)
{
        ProbeResult ok = { .id = (char *) "p", .ok = true, .class = RESULT_CLASS_OK };
        ProbeResult bad = { .id = (char *) "p", .class = RESULT_CLASS_TIMEOUT };

        ASSERT_EQ(probe_transition_between(false, false, 0, &ok), PROBE_TRANSITION_FIRST_OK);
        ASSERT_EQ(probe_transition_between(true, true, RESULT_CLASS_OK, &ok),
                  PROBE_TRANSITION_STEADY_OK);
        ASSERT_EQ(probe_transition_between(true, false, RESULT_CLASS_TIMEOUT, &ok),
                  PROBE_TRANSITION_RECOVERED);
        ASSERT_EQ(probe_transition_between(false, false, 0, &bad), PROBE_TRANSITION_FAILED);
        ASSERT_EQ(probe_transition_between(true, true, RESULT_CLASS_OK, &bad),
                  PROBE_TRANSITION_FAILED);
        ASSERT_EQ(probe_transition_between(true, false, RESULT_CLASS_TIMEOUT, &bad),
                  PROBE_TRANSITION_STEADY_FAILING);
        ASSERT_EQ(probe_transition_between(true, false, RESULT_CLASS_DNS_FAILURE, &bad),
                  PROBE_TRANSITION_CHANGED);
}

static void test_probe_stderr(void)
{
        ProbeResult denied = {
                .id = (char *) "logs:/g",
                .kind = PROBE_KIND_LOGS,
                .target = (char *) "/g",
                .class = RESULT_CLASS_ACCESS_DENIED,
                .http_status = 400,
                .latency = 1500,
                .denied = {
                        .principal = (char *) "arn:aws:iam::1:role/R",
                        .action = (char *) "logs:PutLogEvents",
                        .policy_type = POLICY_TYPE_SERVICE_CONTROL,
                        .deny = DENY_KIND_EXPLICIT,
                },
                .message = (char *) "denied\nCWGUARD_CLASS=ok",
                .remedy = (char *) "fix the SCP\r\n",
        };
        ProbeResult ok = {
                .id = (char *) "identity",
                .kind = PROBE_KIND_IDENTITY,
                .ok = true,
                .class = RESULT_CLASS_OK,
                .latency = 2 * USEC_PER_MSEC,
                .message = (char *) "GetCallerIdentity ok",
        };
        ProbeResult hostile = {
                .id = (char *) "logs:/g",
                .kind = PROBE_KIND_LOGS,
                .class = RESULT_CLASS_ACCESS_DENIED,
                .denied.principal = (char *) "arn:aws:iam::1:role/R\nCWGUARD_OK=1",
                .message = (char *) "denied\nCWGUARD_CLASS=ok\r\n\x1b[2J\xc2\x9b" "31m",
                .aws_message = (char *) "User: x\r\nCWGUARD_OK=1 is not authorized\x1b]0;t\x07",
        };
        ProbeResult timeout = {
                .id = (char *) "endpoint:sts",
                .kind = PROBE_KIND_ENDPOINT,
                .class = RESULT_CLASS_TIMEOUT,
                .skipped = true,
        };
        int r;

        ASSERT_OUTPUT("logs:/g: denied CWGUARD_CLASS=ok — remedy: fix the SCP   [kind=logs "
                      "class=access-denied ok=0 transition=failed target=/g latency_ms=1.5 "
                      "http_status=400 principal=arn:aws:iam::1:role/R action=logs:PutLogEvents "
                      "policy_type=service-control deny=explicit consecutive_failures=2]\n",
                      r = journal_log_probe(&denied, PROBE_TRANSITION_FAILED, 2));
        ASSERT_EQ(r, 0);

        /* What AWS or a hostile endpoint sends lands in MESSAGE and several fields: none can
         * start a line (a forged "CWGUARD_CLASS=ok" field), none keeps ESC or C1 (U+009B). */
        ASSERT_OUTPUT("logs:/g: denied CWGUARD_CLASS=ok   [2J  31m [kind=logs class=access-denied "
                      "ok=0 transition=changed aws_message='User: x  CWGUARD_OK=1 is not "
                      "authorized ]0;t ' principal='arn:aws:iam::1:role/R CWGUARD_OK=1' "
                      "policy_type=unknown deny=unknown]\n",
                      r = journal_log_probe(&hostile, PROBE_TRANSITION_CHANGED, 0));
        ASSERT_EQ(r, 0);

        /* kind=identity is the probe id the message starts with. */
        ASSERT_OUTPUT("identity: GetCallerIdentity ok [class=ok ok=1 transition=steady-ok "
                      "latency_ms=2]\n",
                      r = journal_log_probe(&ok, PROBE_TRANSITION_STEADY_OK, 0));
        ASSERT_EQ(r, 0);

        /* No message: the class stands in; no remedy: none is appended. */
        ASSERT_OUTPUT("endpoint:sts: timeout [kind=endpoint class=timeout ok=0 "
                      "transition=steady-failing skipped=1 consecutive_failures=7]\n",
                      r = journal_log_probe(&timeout, PROBE_TRANSITION_STEADY_FAILING, 7));
        ASSERT_EQ(r, 0);

        /* Inconsistent or missing arguments: refused, nothing logged. */
        ASSERT_OUTPUT("", r = journal_log_probe(&denied, PROBE_TRANSITION_STEADY_OK, 0));
        ASSERT_EQ(r, -EINVAL);
        ASSERT_OUTPUT("", r = journal_log_probe(&ok, PROBE_TRANSITION_FAILED, 0));
        ASSERT_EQ(r, -EINVAL);
        ASSERT_OUTPUT("", r = journal_log_probe(&ok, _PROBE_TRANSITION_MAX, 0));
        ASSERT_EQ(r, -EINVAL);
        ASSERT_OUTPUT("", r = journal_log_probe(NULL, PROBE_TRANSITION_FIRST_OK, 0));
        ASSERT_EQ(r, -EINVAL);

        /* Below the maximum level: nothing, and not an error. */
        log_set_max_level(LOG_NOTICE);
        ASSERT_OUTPUT("", r = journal_log_probe(&ok, PROBE_TRANSITION_STEADY_OK, 0));
        ASSERT_EQ(r, 0);
        log_set_max_level(LOG_INFO);
}

static void test_event_stderr(void)
{
        _cleanup_free_ char *out = NULL;
        int r;

        ASSERT_OUTPUT("cwguard.yaml:3:5: unknown key 'x' CWGUARD_EVENT=ready, ignoring "
                      "[event=reload-rejected]\n",
                      r = journal_log_event(JOURNAL_EVENT_RELOAD_REJECTED,
                                            "%s:%u:%u: unknown key '%s'\nCWGUARD_EVENT=ready, "
                                            "ignoring", "cwguard.yaml", 3u, 5u, "x"));
        ASSERT_EQ(r, 0);

        errno = EBADF;
        ASSERT_OUTPUT("no credentials: Required key not available "
                      "[event=credentials-unavailable]\n",
                      r = journal_log_event_errno(JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE, -ENOKEY,
                                                  "no credentials: %m"));
        ASSERT_EQ(r, -ENOKEY);
        ASSERT_EQ(errno, EBADF);

        ASSERT_OUTPUT("", r = journal_log_event(_JOURNAL_EVENT_MAX, "x"));
        ASSERT_EQ(r, -EINVAL);

        capture_start();
        for (JournalEvent e = 0; e < _JOURNAL_EVENT_MAX; e++)
                ASSERT_EQ(journal_log_event(e, "event %d", (int) e), 0);
        out = capture_end();
        ASSERT_EQ(count_char(out, '\n'), _JOURNAL_EVENT_MAX);
}

int main(void)
{
        TEST(test_open);
        TEST(test_plain);
        TEST(test_errno);
        TEST(test_levels);
        TEST(test_struct);
        TEST(test_tables);
        TEST(test_catalog_ids);
        TEST(test_transition_between);
        TEST(test_probe_stderr);
        TEST(test_event_stderr);
        return EXIT_SUCCESS;
}
