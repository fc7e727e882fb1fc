/* SPDX-License-Identifier: MIT */
/*
 * cwguardctl: the operator's command. One binary dispatching verbs from a table (kmod's model):
 * `check` runs one round in the foreground with exactly the daemon's code (daemon/runtime.c,
 * common/round.c) and prints the results; `policy` prints the least-privilege IAM policy for the
 * configured probes. Exit status: 0 all ok, 1 some probe failing, 2 usage, configuration or
 * runtime error. Nothing secret is ever printed: the report holds no secret to begin with.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "common/policy.h"
#include "common/status.h"
#include "daemon/check-output.h"
#include "cwguard-config.h"
#include "daemon/runtime.h"

#define EXIT_FAILING 1
#define EXIT_USAGE 2


static const char *arg_config = NULL;
static bool arg_json = false;
static bool arg_debug = false;
static const char *arg_account_id = NULL;

static int load_config(Config **ret)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(config_error_done) ConfigError e = CONFIG_ERROR_NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = config_load(arg_config, &c, &e);
        if (r >= 0)
                r = config_apply_environment(c, environ, &e);
        if (r < 0) {
                if (e.message && config_error_format(&e, &text) >= 0)
                        fprintf(stderr, "cwguardctl: %s\n", text);
                else
                        fprintf(stderr, "cwguardctl: cannot load '%s': %s\n",
                                arg_config ?: CONFIG_DEFAULT_PATH, strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

typedef struct CheckState {
        bool done;
        ProbeReport report;
} CheckState;

static void on_round(Prober *p, ProbeReport *report, void *userdata)
{
        CheckState *st = userdata;

        st->report = *report;
        *report = (ProbeReport) {};
        st->done = true;
}

static void check_state_done(CheckState *st)
{
        probe_report_done(&st->report);
}

static int verb_check(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(runtime_freep) Runtime *rt = NULL;
        _cleanup_(check_state_done) CheckState st = {};
        RoundOptions o;
        int r;

        r = load_config(&c);
        if (r < 0)
                return EXIT_USAGE;

        r = sd_event_new(&event);
        if (r < 0)
                goto fail;
        r = runtime_new(event, c, environ, &rt);
        if (r < 0)
                goto fail;

        runtime_round_options(rt, c, /* billed= */ true, &o);
        o.force_endpoint_check = true;
        o.debug = arg_debug;
        r = prober_start_round(rt->prober, &o, on_round, &st);
        if (r < 0)
                goto fail;
        while (!st.done) {
                r = sd_event_run(event, UINT64_MAX);
                if (r < 0)
                        goto fail;
        }

        if (arg_json) {
                _cleanup_free_ char *text = NULL;

                r = status_report_format(&st.report,
                                         STATUS_JSON_PRETTY | (arg_debug ? STATUS_JSON_DEBUG : 0),
                                         &text);
                if (r < 0)
                        goto fail;
                fputs(text, stdout);
        } else
                check_output_print(stdout, &st.report, c, arg_debug, isatty(STDOUT_FILENO));
        if (fflush(stdout) != 0)
                return EXIT_USAGE;
        return probe_report_n_failing(&st.report) > 0 ? EXIT_FAILING : EXIT_SUCCESS;

fail:
        fprintf(stderr, "cwguardctl: check could not run: %s\n", strerror(-r));
        return EXIT_USAGE;
}

static int verb_policy(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_strv_free_ char **namespaces = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = load_config(&c);
        if (r < 0)
                return EXIT_USAGE;

        /* The heartbeat goes into its own namespace: it needs the same permission. */
        r = strv_extend(&namespaces, c->heartbeat.namespace);
        STRV_FOREACH(ns, c->probes.metrics)
                if (r >= 0 && !strv_contains(namespaces, *ns))
                        r = strv_extend(&namespaces, *ns);
        if (r < 0)
                goto fail;

        PolicyOptions po = {
                .region = c->region,
                .account_id = arg_account_id,
                .namespaces = namespaces,
                .log_groups = c->probes.logs,
                .create_log_group = c->probes.create_log_group,
        };
        r = policy_format(&po, &text);
        if (r < 0)
                goto fail;
        fputs(text, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_USAGE;

fail:
        fprintf(stderr, "cwguardctl: cannot build the policy: %s\n", strerror(-r));
        return EXIT_USAGE;
}

typedef struct Verb {
        const char *name;
        int (*run)(void);
        const char *options;
        const char *help;
} Verb;

static const Verb verbs[] = {
        { "check", verb_check, "[--config FILE] [--json] [--debug]",
          "run one round of probes now and print the diagnosis" },
        { "policy", verb_policy, "[--config FILE] [--account-id ID]",
          "print the least-privilege IAM policy for the configured probes" },
};

static void help(FILE *f)
{
        fprintf(f, "Usage: cwguardctl COMMAND [OPTIONS]\n\n"
                   "Check that this host can ship CloudWatch metrics and logs, and why not.\n\n"
                   "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-7s %-38s %s\n", verbs[i].name, verbs[i].options, verbs[i].help);
        fprintf(f, "\nOptions:\n"
                   "  -c, --config FILE    configuration file (default %s)\n"
                   "      --json           check: one JSON document instead of the table\n"
                   "      --debug          check: each AWS request's canonical request, string\n"
                   "                       to sign and response headers (never a secret)\n"
                   "      --account-id ID  policy: the account for the log group ARNs (default *)\n"
                   "  -h, --help           this text\n"
                   "      --version        the version\n\n"
                   "Exit status: 0 all probes ok, 1 some probe failing, 2 usage, configuration\n"
                   "or runtime error.\n", CONFIG_DEFAULT_PATH);
}

static int parse_argv(int argc, char *argv[], const Verb **ret_verb)
{
        enum { ARG_JSON = 0x100, ARG_DEBUG, ARG_ACCOUNT_ID, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, ARG_JSON },
                { "debug", no_argument, NULL, ARG_DEBUG },
                { "account-id", required_argument, NULL, ARG_ACCOUNT_ID },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        /* GNU getopt permutes: options may come before or after the verb. */
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_DEBUG:
                        arg_debug = true;
                        break;
                case ARG_ACCOUNT_ID:
                        if (strlen(optarg) != 12 || strspn(optarg, "0123456789") != 12) {
                                fprintf(stderr, "cwguardctl: --account-id takes 12 digits\n");
                                return -EINVAL;
                        }
                        arg_account_id = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_VERSION:
                        printf("cwguardctl %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }

        if (optind >= argc) {
                help(stderr);
                return -EINVAL;
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "cwguardctl: unexpected argument '%s'\n", argv[optind + 1]);
                return -EINVAL;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name)) {
                        *ret_verb = &verbs[i];
                        return 1;
                }
        fprintf(stderr, "cwguardctl: unknown command '%s' (see --help)\n", argv[optind]);
        return -EINVAL;
}

static int run(int argc, char *argv[])
{
        const Verb *verb = NULL;
        int r;

        r = parse_argv(argc, argv, &verb);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        return verb->run();
}

int main(int argc, char *argv[])
{
        return run(argc, argv);
}
