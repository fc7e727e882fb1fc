/* SPDX-License-Identifier: MIT */
/*
 * test-journal.c: the C half of the journald integration test. Run by run-journal-test inside a
 * private mount namespace where a real systemd-journald owns /run/systemd/journal/socket, it
 * logs a fixed scenario through daemon/log.c and daemon/journal.c: probe results for every
 * transition (with a hostile AWS message that tries to inject fields), each daemon event, and
 * plain, errno and structured messages. check-journal.py then reads the entries back with
 * journalctl and asserts on every field. What can be checked without reading the journal
 * (the target chosen, return values, errno kept) is asserted here.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/catalog-ids.h"
#include "daemon/journal.h"
#include "daemon/log.h"
#include "tests/test.h"

/* The same text in a result's message, AWS message and remedy: newlines that try to start
 * fields of their own, and a terminal escape. */
#define HOSTILE "\nCWGUARD_CLASS=ok\nMESSAGE_ID=" CWGUARD_MESSAGE_PROBE_RECOVERED "\r\x1b[2J"

static void emit_probes(void)
{
        ProbeResult ok = {
                .id = (char *) "identity",
                .kind = PROBE_KIND_IDENTITY,
                .endpoint = (char *) "https://sts.eu-west-1.amazonaws.com",
                .ok = true,
                .class = RESULT_CLASS_OK,
                .latency = 12345,
                .attempts = 1,
                .http_status = 200,
                .request_id = (char *) "req-ok-1",
                .message = (char *) "GetCallerIdentity answered as "
                                    "arn:aws:sts::123456789012:assumed-role/CWAgent/i-0abc",
                .operation = (char *) "GetCallerIdentity",
        };
        ProbeResult denied = {
                .id = (char *) "logs:/aws/ec2/app",
                .kind = PROBE_KIND_LOGS,
                .target = (char *) "/aws/ec2/app",
                .endpoint = (char *) "https://logs.eu-west-1.amazonaws.com",
                .ok = false,
                .class = RESULT_CLASS_ACCESS_DENIED,
                .latency = 80 * USEC_PER_MSEC,
                .attempts = 1,
                .http_status = 400,
                .aws_error_code = (char *) "AccessDeniedException",
                .request_id = (char *) "0f9d3c2e-1b2a-4c5d-8e9f-0a1b2c3d4e5f",
                .aws_message = (char *) "User: arn:aws:sts::123456789012:assumed-role/CWAgent/"
                                        "i-0abc is not authorized" HOSTILE,
                .denied = {
                        .principal = (char *) "arn:aws:sts::123456789012:assumed-role/CWAgent/"
                                              "i-0abc",
                        .action = (char *) "logs:PutLogEvents",
                        .resource = (char *) "arn:aws:logs:eu-west-1:123456789012:log-group:"
                                             "/aws/ec2/app:log-stream:i-0abc",
                        .policy_type = POLICY_TYPE_SERVICE_CONTROL,
                        .deny = DENY_KIND_EXPLICIT,
                        .policy_arn = (char *) "arn:aws:organizations::111122223333:policy/"
                                               "o-abc/service_control_policy/p-1234",
                },
                .message = (char *) "PutLogEvents into '/aws/ec2/app' is denied by a service "
                                    "control policy" HOSTILE,
                .remedy = (char *) "Remove the explicit deny of logs:PutLogEvents from SCP "
                                   "p-1234 in the management account" HOSTILE,
                .operation = (char *) "PutLogEvents",
        };
        /* A denial AWS says less about: PutMetricData has no resource, the layer is unknown. */
        ProbeResult denied_metrics = {
                .id = (char *) "metrics:CWAgent",
                .kind = PROBE_KIND_METRICS,
                .target = (char *) "CWAgent",
                .endpoint = (char *) "https://monitoring.eu-west-1.amazonaws.com",
                .class = RESULT_CLASS_ACCESS_DENIED,
                .http_status = 403,
                .aws_error_code = (char *) "AccessDenied",
                .request_id = (char *) "req-denied-metrics",
                .denied = {
                        .principal = (char *) "arn:aws:sts::123456789012:assumed-role/CWAgent/"
                                              "i-0abc",
                        .action = (char *) "cloudwatch:PutMetricData",
                },
                .message = (char *) "PutMetricData into 'CWAgent' is denied",
                .remedy = (char *) "Allow cloudwatch:PutMetricData",
        };
        ProbeResult throttled = {
                .id = (char *) "metrics:CWAgent",
                .kind = PROBE_KIND_METRICS,
                .target = (char *) "CWAgent",
                .endpoint = (char *) "https://monitoring.eu-west-1.amazonaws.com",
                .class = RESULT_CLASS_THROTTLED,
                .latency = 1500 * USEC_PER_MSEC,
                .attempts = 3,
                .http_status = 400,
                .aws_error_code = (char *) "Throttling",
                .request_id = (char *) "req-throttled-3",
                .message = (char *) "PutMetricData into 'CWAgent' is throttled",
                .remedy = (char *) "Request a higher PutMetricData quota",
                .operation = (char *) "PutMetricData",
        };
        ProbeResult recovered = {
                .id = (char *) "endpoint:logs",
                .kind = PROBE_KIND_ENDPOINT,
                .target = (char *) "logs",
                .endpoint = (char *) "https://logs.eu-west-1.amazonaws.com",
                .ok = true,
                .class = RESULT_CLASS_OK,
                .latency = 3 * USEC_PER_MSEC,
                .message = (char *) "DNS, TCP and TLS to logs.eu-west-1.amazonaws.com ok",
                .net = {
                        .host = (char *) "logs.eu-west-1.amazonaws.com",
                        .address = (char *) "10.0.1.5",
                        .scope = ADDRESS_SCOPE_PRIVATE,
                        .fresh = true,
                },
        };
        ProbeResult changed = {
                .id = (char *) "imds",
                .kind = PROBE_KIND_IMDS,
                .endpoint = (char *) "http://169.254.169.254",
                .class = RESULT_CLASS_IMDS_TOKEN_TIMEOUT,
                .message = (char *) "the IMDSv2 token PUT was never answered",
                .remedy = (char *) "Raise the hop limit to 2",
        };
        ProbeResult skipped = {
                .id = (char *) "metrics:Other",
                .kind = PROBE_KIND_METRICS,
                .target = (char *) "Other",
                .class = RESULT_CLASS_NO_CREDENTIALS,
                .skipped = true,
                .message = (char *) "not sent: no credentials",
                .remedy = (char *) "Attach an instance profile",
        };
        ProbeResult skew = {
                .id = (char *) "identity",
                .kind = PROBE_KIND_IDENTITY,
                .class = RESULT_CLASS_CLOCK_SKEW,
                .has_clock_offset = true,
                .clock_offset_sec = -1200,
                .http_status = 403,
                .aws_error_code = (char *) "SignatureDoesNotMatch",
                .message = (char *) "the local clock is 20 minutes ahead",
                .remedy = (char *) "Start chronyd",
        };

        ASSERT_OK(journal_log_probe(&ok, PROBE_TRANSITION_FIRST_OK, 0));
        ASSERT_OK(journal_log_probe(&denied, PROBE_TRANSITION_FAILED, 1));
        ASSERT_OK(journal_log_probe(&denied_metrics, PROBE_TRANSITION_FAILED, 1));
        ASSERT_OK(journal_log_probe(&throttled, PROBE_TRANSITION_CHANGED, 2));
        ASSERT_OK(journal_log_probe(&throttled, PROBE_TRANSITION_STEADY_FAILING, 3));
        ASSERT_OK(journal_log_probe(&recovered, PROBE_TRANSITION_RECOVERED, 0));
        ASSERT_OK(journal_log_probe(&changed, PROBE_TRANSITION_CHANGED, 4));
        ASSERT_OK(journal_log_probe(&skew, PROBE_TRANSITION_FAILED, 1));
        ASSERT_OK(journal_log_probe(&skipped, PROBE_TRANSITION_STEADY_FAILING, 2));
        /* Refused without logging: an ok transition for a failing result. */
        ASSERT_ERROR(journal_log_probe(&denied, PROBE_TRANSITION_STEADY_OK, 0), EINVAL);
}

static void emit_events(void)
{
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_STARTED, "cwguardd %s starting", "0.1.0"), 0);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_READY, "cwguardd ready: probes every %us", 60u),
                  0);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_RELOADED, "Configuration reloaded"), 0);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_CONFIG_INVALID,
                                    "/etc/cwguard/cwguard.yaml:7:3: unknown key 'intervall'"),
                  0);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_RELOAD_REJECTED,
                                    "/etc/cwguard/cwguard.yaml:9:12: 'interval' must be a "
                                    "duration\nCWGUARD_EVENT=ready, ignoring"),
                  0);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_HEARTBEAT_FAILED,
                                    "Heartbeat to namespace '%s' failed (%s)", "CWGuard",
                                    "access-denied"),
                  0);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_HEARTBEAT_RECOVERED,
                                    "Heartbeat to namespace '%s' is accepted again", "CWGuard"),
                  0);
        errno = EBADF;
        ASSERT_EQ(journal_log_event_errno(JOURNAL_EVENT_CREDENTIALS_UNAVAILABLE, -ENOKEY,
                                          "No credentials from IMDS: %m"),
                  -ENOKEY);
        ASSERT_EQ(errno, EBADF);
        ASSERT_EQ(journal_log_event(JOURNAL_EVENT_STOPPING, "cwguardd stopping"), 0);
        ASSERT_ERROR(journal_log_event(_JOURNAL_EVENT_MAX, "never logged"), EINVAL);
}

static void emit_plain(void)
{
        log_info("plain info %d", 1);
        log_debug("plain debug, filtered out");
        errno = EBADF;
        ASSERT_EQ(log_error_errno(-ENOENT, "Failed to open '%s': %m", "/nonexistent"), -ENOENT);
        ASSERT_EQ(errno, EBADF);
        ASSERT_EQ(log_warning_errno(SYNTHETIC_ERRNO(EINVAL), "Synthetic: %m, ignoring"),
                  -EINVAL);
        ASSERT_EQ(log_notice_errno(0, "no error"), 0);
        log_struct(LOG_NOTICE,
                   "CWGUARD_TEST_INT=%d", 42,
                   "CWGUARD_TEST_LL=%lld", 1LL << 40,
                   "CWGUARD_TEST_DOUBLE=%.1f", 2.5,
                   "CWGUARD_TEST_SIZE=%zu", (size_t) 7,
                   "CWGUARD_TEST_WIDTH=%*d", 5, 3,
                   "CWGUARD_TEST_INJECT=%s", "x\nCWGUARD_CLASS=ok",
                   LOG_MESSAGE("structured %s %d", "entry", 7));
        ASSERT_EQ(log_struct_errno(LOG_ERR, -EACCES, "CWGUARD_TEST_ERRNO=1",
                                   LOG_MESSAGE("structured errno: %m")),
                  -EACCES);
}

int main(int argc, char *argv[])
{
        if (log_open(NULL) != LOG_TARGET_JOURNAL) {
                fprintf(stderr, "no journal socket at " LOG_JOURNAL_SOCKET "\n");
                return EXIT_FAILURE;
        }
        emit_probes();
        emit_events();
        emit_plain();
        return EXIT_SUCCESS;
}
