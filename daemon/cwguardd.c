/* SPDX-License-Identifier: MIT */
/*
 * cwguardd: the always-on sidecar. Thin by design: parse the command line, build the one
 * Manager, run its event loop, and speak the end of the sd_notify protocol (STOPPING=1). All the
 * logic is in manager.c; outside systemd it runs the same, logging to stderr.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cwguard-config.h"
#include "daemon/journal.h"
#include "daemon/log.h"
#include "daemon/manager.h"

static const char *arg_config = NULL;
static const char *arg_status_file = NULL;

static void help(void)
{
        printf("Usage: cwguardd [OPTIONS]\n\n"
               "Probe, on a timer, that this host can ship CloudWatch metrics and logs.\n\n"
               "  -c, --config FILE        configuration (default %s)\n"
               "  -s, --status-file PATH   status snapshot (default $RUNTIME_DIRECTORY/status.json)\n"
               "  -h, --help               this text\n"
               "      --version            the version\n", CONFIG_DEFAULT_PATH);
}

static int parse_argv(int argc, char *argv[])
{
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "status-file", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:s:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case 's':
                        arg_status_file = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("cwguardd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int run(int argc, char *argv[])
{
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *status_file = NULL;
        const char *rundir;
        int r;

        /* It holds AWS credentials: no core dump of it, and no ptrace or /proc/PID/mem by
         * other processes of its user (LimitCORE=0 covers only the unit). */
        (void) prctl(PR_SET_DUMPABLE, 0);
        (void) log_open(/* journal_socket= */ NULL);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        if (!arg_status_file && (rundir = getenv("RUNTIME_DIRECTORY"))) {
                /* RuntimeDirectory= may list several, separated by ':': the first is ours. */
                if (asprintf(&status_file, "%.*s/status.json", (int) strcspn(rundir, ":"),
                             rundir) < 0)
                        return log_oom();
                arg_status_file = status_file;
        }

        journal_log_event(JOURNAL_EVENT_STARTED, "cwguardd %s starting", PACKAGE_VERSION);
        r = manager_new(arg_config, arg_status_file, environ, &m);
        if (r < 0)
                return r;
        r = manager_start(m);
        if (r < 0)
                return r;
        r = manager_run(m);
        journal_log_event(JOURNAL_EVENT_STOPPING, "cwguardd stopping");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

/* However run() ended, tell systemd we are going and why (shown by `systemctl status`). */
static int notify_stopping(int r)
{
        if (r < 0)
                (void) sd_notifyf(false, "STOPPING=1\nERRNO=%i\nEXIT_STATUS=%i", -r, EXIT_FAILURE);
        else
                (void) sd_notify(false, "STOPPING=1");
        return r;
}

int main(int argc, char *argv[])
{
        return notify_stopping(run(argc, argv)) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
