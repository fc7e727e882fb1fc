/* SPDX-License-Identifier: MIT */
/*
 * cwguardctl: the operator's command. One binary dispatching verbs from a table (kmod's model):
 * `check` runs one round in the foreground with exactly the daemon's code (daemon/runtime.c,
 * common/round.c) and prints the results; `policy` prints the least-privilege IAM policy for the
 * configured probes; `cost` what they add to the AWS bill. Exit status: 0 all ok, 1 some probe
 * failing, 2 usage, configuration or runtime error. Nothing secret is ever printed: the report
 * holds no secret to begin with.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "common/cost.h"
#include "common/json-util.h"
#include "common/policy.h"
#include "common/status.h"
#include "daemon/check-output.h"
#include "cwguard-config.h"
#include "daemon/runtime.h"

#define EXIT_FAILING 1
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3
#define STATUS_FILE_DEFAULT "/run/cwguard/status.json"
#define STATUS_STALE_MIN (5 * USEC_PER_SEC)


static const char *arg_config = NULL;
static bool arg_json = false;
static bool arg_debug = false;
static const char *arg_account_id = NULL;
static const char *arg_status_file = NULL;
static const char *arg_instance_id = NULL;
static const char *arg_format = NULL;
static const char *arg_sns_topic = NULL;

static int load_config(Config **ret)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = runtime_load_config(arg_config, environ, ret, &text);
        if (r < 0)
                fprintf(stderr, "cwguardctl: %s\n", strna(text));
        return r;
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
        {
                _cleanup_free_ char *line = NULL;

                if (asprintf(&line, "%s%s", c->path, c->from_file ? "" : " (absent: defaults)") < 0)
                        line = NULL;
                check_output_print(stdout, &st.report, line, arg_debug, isatty(STDOUT_FILENO));
                check_output_print_agent(stdout, c);
        }
        if (fflush(stdout) != 0)
                return EXIT_USAGE;
        return probe_report_n_failing(&st.report) > 0 ? EXIT_FAILING : EXIT_SUCCESS;

fail:
        fprintf(stderr, "cwguardctl: check could not run: %s\n", strerror(-r));
        return EXIT_USAGE;
}

/* The namespaces the billed rounds send to, as common/round.c does: the heartbeat's first (it
 * needs the same permission, and is a billed request like the others), each name once. */
static int probed_namespaces(const Config *c, char ***ret)
{
        _cleanup_strv_free_ char **namespaces = NULL;
        int r;

        r = strv_extend(&namespaces, c->heartbeat.namespace);
        STRV_FOREACH(ns, c->probes.metrics)
                if (r >= 0 && !strv_contains(namespaces, *ns))
                        r = strv_extend(&namespaces, *ns);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(namespaces);
        return 0;
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

        r = probed_namespaces(c, &namespaces);
        if (r < 0)
                goto fail;

        PolicyOptions po = {
                .region = c->region,
                .account_id = arg_account_id,
                .namespaces = namespaces,
                .log_groups = c->probes.logs,
                .create_log_group = c->probes.create_log_group,
                .metrics_role_arn = config_metrics_role_arn(c),
                .logs_role_arn = config_logs_role_arn(c),
                .identity_role_arn = c->credentials.role_arn,
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

/* ---- cost --------------------------------------------------------------------------------- */

static int verb_cost(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_strv_free_ char **namespaces = NULL, **groups = NULL;
        _cleanup_free_ char *text = NULL, *line = NULL;
        CostEstimate e;
        int r;

        r = load_config(&c);
        if (r < 0)
                return EXIT_USAGE;

        r = probed_namespaces(c, &namespaces);
        STRV_FOREACH(g, c->probes.logs)
                if (r >= 0 && !strv_contains(groups, *g))
                        r = strv_extend(&groups, *g);
        if (r < 0)
                goto fail;

        CostInput in = {
                .interval = c->interval,
                .heartbeat_interval = c->heartbeat.interval,
                .n_namespaces = (unsigned) strv_length(namespaces),
                .heartbeat_detail = c->heartbeat.detail,
                .n_log_groups = (unsigned) strv_length(groups),
                /* On EC2 the probe's message names the instance id. */
                .log_message_bytes = cost_log_message_bytes(COST_EC2_INSTANCE_ID_LEN),
                .n_alarms = 1,  /* cwguardctl alarm */
        };
        r = cost_estimate(&in, &e);
        if (r < 0)
                goto fail;
        if (arg_json)
                r = cost_format_json(&in, &e, c->path, &text);
        else {
                if (asprintf(&line, "%s%s", c->path,
                             c->from_file ? "" : " (absent: defaults)") < 0)
                        line = NULL;
                r = cost_format_text(&in, &e, line, &text);
        }
        if (r < 0)
                goto fail;
        fputs(text, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_USAGE;

fail:
        fprintf(stderr, "cwguardctl: cannot estimate the cost: %s\n", strerror(-r));
        return EXIT_USAGE;
}

/* ---- status ------------------------------------------------------------------------------- */

static const char *json_str(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
               json_object_get_string(v) : NULL;
}

static double json_num(json_object *o, const char *key, double fallback)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) ||
            !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
                return fallback;
        return json_object_get_double(v);
}

static int verb_status(void)
{
        _cleanup_(probe_report_done) ProbeReport rep = {};
        _cleanup_(json_object_putp) json_object *doc = NULL;
        _cleanup_free_ char *data = NULL, *line = NULL;
        const char *path = arg_status_file ?: STATUS_FILE_DEFAULT;
        json_object *daemon = NULL, *hb = NULL;
        usec_t generated, now = now_usec(CLOCK_REALTIME);
        double interval;
        size_t size;
        long pid;
        bool running;
        int r;

        r = read_file_capped(path, STATUS_JSON_MAX, &data, &size);
        if (r < 0) {
                /* With --json stdout stays JSON (or empty) for jq; the why goes to stderr. */
                fprintf(arg_json ? stderr : stdout,
                        "cwguardd is not running: no status snapshot at %s (%s).\n", path,
                        strerror(-r));
                return EXIT_NOT_RUNNING;
        }
        r = status_json_parse(data, size, &doc);
        if (r >= 0)
                r = status_report_from_json(doc, &rep);
        if (r < 0) {
                fprintf(stderr, "cwguardctl: %s is not a cwguard status snapshot: %s\n", path,
                        strerror(-r));
                return EXIT_USAGE;
        }
        if (arg_json) {
                fputs(data, stdout);
                if (size == 0 || data[size - 1] != '\n')
                        fputc('\n', stdout);
        }

        (void) json_object_object_get_ex(doc, "daemon", &daemon);
        (void) json_object_object_get_ex(doc, "heartbeat", &hb);
        pid = (long) json_num(daemon, "pid", 0);
        interval = json_num(daemon, "interval_s", 60);
        generated = rep.generated_at;
        /* kill(pid, 0): EPERM still means it exists (cwguardd runs as a dynamic user). */
        running = pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM);

        if (!arg_json) {
                if (asprintf(&line, "%s (daemon pid %ld, started %s, %.0f rounds)",
                             strna(json_str(daemon, "config")), pid,
                             strna(json_str(daemon, "started_at")),
                             json_num(daemon, "rounds", 0)) < 0)
                        line = NULL;
                check_output_print(stdout, &rep, line, false, isatty(STDOUT_FILENO));
                printf("Heartbeat: last sent %s, %s.\n",
                       json_str(hb, "last_sent_at") ?: "never",
                       json_str(hb, "class") ?: "not tried yet");
        }

        /* Stale: older than three intervals, and never under STATUS_STALE_MIN (the snapshot's
         * times are whole seconds, intervals may be shorter). */
        if (!running || generated == 0 ||
            now > generated + MAX((usec_t) (3 * interval * USEC_PER_SEC), STATUS_STALE_MIN)) {
                fprintf(arg_json ? stderr : stdout,
                        "%s: the snapshot is %llus old (written every %.0fs)%s.\n",
                        running ? "cwguardd looks stuck" : "cwguardd is not running",
                        (unsigned long long) ((now - MIN(now, generated)) / USEC_PER_SEC),
                        interval, running ? "" : ", its last results are shown");
                return EXIT_NOT_RUNNING;
        }
        return probe_report_n_failing(&rep) > 0 ? EXIT_FAILING : EXIT_SUCCESS;
}

/* ---- alarm -------------------------------------------------------------------------------- */

/* It ends up in a shell command: only what an instance id can hold ("i-" and hex). */
static bool instance_id_is_valid(const char *s)
{
        size_t n = strlen(s);

        return n > 2 && n <= 32 && strncmp(s, "i-", 2) == 0 &&
               strspn(s + 2, "0123456789abcdef") == n - 2;
}

typedef struct InstanceLookup {
        unsigned pending;
        ResultClass class;
        char *message;
        char *instance_id;
        bool asg_done;
        char *asg;
} InstanceLookup;

static void on_identity(ImdsClient *imds, ImdsResult *result, ImdsIdentity *identity, void *ud)
{
        InstanceLookup *l = ud;

        l->pending--;
        l->class = result->class;
        l->message = TAKE_PTR(result->message);
        if (result->class == RESULT_CLASS_OK)
                l->instance_id = TAKE_PTR(identity->instance_id);
}

static void on_asg_tag(ImdsClient *imds, ImdsResult *result, const char *value, void *ud)
{
        InstanceLookup *l = ud;

        l->pending--;
        if (result->class == RESULT_CLASS_OK && free_and_strdup(&l->asg, value) >= 0)
                l->asg_done = true;
}

/*
 * This instance's id from the IMDS identity document and, when @want_asg, its
 * aws:autoscaling:groupName tag (NULL when IMDS has none), with the configured IMDS settings:
 * the same lookups the daemon makes, so the alarm names the dimensions its heartbeat carries.
 */
static int lookup_instance(const Config *c, bool want_asg, char **ret_id, char **ret_asg)
{
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(runtime_freep) Runtime *rt = NULL;
        _cleanup_free_ char *message = NULL, *id = NULL, *asg = NULL;
        InstanceLookup l = {};
        ImdsClient *imds = NULL;
        int r;

        r = sd_event_new(&event);
        if (r >= 0)
                r = runtime_new(event, c, environ, &rt);
        if (r >= 0) {
                imds = credentials_provider_get_imds(rt->credentials);
                r = imds_fetch_identity(imds, on_identity, &l, NULL);
        }
        if (r >= 0) {
                l.pending++;
                if (want_asg) {
                        r = imds_fetch_tag(imds, IMDS_TAG_AUTO_SCALING_GROUP, on_asg_tag, &l, NULL);
                        if (r >= 0)
                                l.pending++;
                }
        }
        while (r >= 0 && l.pending > 0)
                r = sd_event_run(event, UINT64_MAX);
        message = l.message;
        id = l.instance_id;
        asg = l.asg;
        if (r < 0)
                return r;
        if (l.class != RESULT_CLASS_OK) {
                fprintf(stderr, "cwguardctl: cannot find this instance's id from IMDS (%s): %s; "
                                "pass --instance-id\n", result_class_to_string(l.class),
                        strna(message));
                return -ENXIO;
        }
        if (want_asg && !l.asg_done) {
                fprintf(stderr, "cwguardctl: cannot read the instance tag %s from IMDS; set "
                                "heartbeat.auto_scaling_group to the group's name or \"\"\n",
                        IMDS_TAG_AUTO_SCALING_GROUP);
                return -ENXIO;
        }
        *ret_id = TAKE_PTR(id);
        *ret_asg = TAKE_PTR(asg);
        return 0;
}

/* 'text' for a POSIX shell: a ' inside becomes '\'' (configuration values reach the command). */
static char *shell_quote(const char *v, char **buf)
{
        char *q;

        free(*buf);
        *buf = q = malloc(strlen(v) * 4 + 3);
        if (!q)
                return (char *) "''";
        *q++ = '\'';
        for (; *v; v++)
                if (*v == '\'') {
                        memcpy(q, "'\\''", 4);
                        q += 4;
                } else
                        *q++ = *v;
        *q++ = '\'';
        *q = 0;
        return *buf;
}

/* "text" for YAML: backslash and double quote escaped; control characters cannot occur (the
 * configuration refuses them). */
static char *yaml_quote(const char *v, char **buf)
{
        char *q;

        free(*buf);
        *buf = q = malloc(strlen(v) * 2 + 3);
        if (!q)
                return (char *) "\"\"";
        *q++ = '"';
        for (; *v; v++) {
                if (*v == '"' || *v == '\\')
                        *q++ = '\\';
                *q++ = *v;
        }
        *q++ = '"';
        *q = 0;
        return *buf;
}

static int verb_alarm(void)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *looked_up = NULL, *tag_asg = NULL, *q1 = NULL, *q2 = NULL;
        const char *instance = arg_instance_id;
        const char *ns, *asg;
        unsigned period;
        int r;

        r = load_config(&c);
        if (r < 0)
                return EXIT_USAGE;
        asg = c->heartbeat.auto_scaling_group;
        if (!instance) {
                r = lookup_instance(c, c->heartbeat.auto_scaling_group_from_tags, &looked_up,
                                    &tag_asg);
                if (r < 0)
                        return EXIT_USAGE;
                if (!instance_id_is_valid(looked_up)) {
                        fprintf(stderr, "cwguardctl: IMDS gave an odd instance id; pass "
                                        "--instance-id\n");
                        return EXIT_USAGE;
                }
                instance = looked_up;
                asg = asg ?: tag_asg;
        } else if (c->heartbeat.auto_scaling_group_from_tags)
                fprintf(stderr, "cwguardctl: note: heartbeat.auto_scaling_group is auto: if %s "
                                "exposes its aws:autoscaling:groupName tag in instance metadata, "
                                "its heartbeat also carries AutoScalingGroupName; run this on the "
                                "instance, or set heartbeat.auto_scaling_group\n", instance);
        ns = c->heartbeat.namespace;
        /* CloudWatch periods are 10, 20, 30 s or multiples of 60 s: one period per heartbeat,
         * rounded up to whole minutes (a standard-resolution alarm, the cheapest). Heartbeats
         * come every interval plus a splay of up to 10 %, so now and then one period holds
         * none: the alarm wants two breaching periods in a row, and any two in a row hold at
         * least one heartbeat of a healthy host. */
        period = (unsigned) ((c->heartbeat.interval + 59 * USEC_PER_SEC) / (60 * USEC_PER_SEC)) * 60;

        if (streq_ptr(arg_format, "cloudformation")) {
                printf("Resources:\n"
                       "  CwguardHeartbeatAlarm:\n"
                       "    Type: AWS::CloudWatch::Alarm\n"
                       "    Properties:\n"
                       "      AlarmName: cwguard-heartbeat-%s\n"
                       "      AlarmDescription: \"cwguard on %s: a failing probe (Heartbeat 0) or a broken path to CloudWatch (no data)\"\n"
                       "      Namespace: %s\n"
                       "      MetricName: Heartbeat\n"
                       "      Dimensions:\n"
                       "        - Name: InstanceId\n"
                       "          Value: %s\n",
                       instance, instance, yaml_quote(ns, &q1), instance);
                if (asg)
                        printf("        - Name: AutoScalingGroupName\n"
                               "          Value: %s\n", yaml_quote(asg, &q2));
                printf("      Statistic: Minimum\n"
                       "      Period: %u\n"
                       "      EvaluationPeriods: 2\n"
                       "      DatapointsToAlarm: 2\n"
                       "      Threshold: 1\n"
                       "      ComparisonOperator: LessThanThreshold\n"
                       "      TreatMissingData: breaching\n", period);
                if (arg_sns_topic)
                        printf("      AlarmActions:\n        - %s\n      OKActions:\n        - %s\n",
                               arg_sns_topic, arg_sns_topic);
        } else {
                printf("aws cloudwatch put-metric-alarm \\\n"
                       "  --alarm-name cwguard-heartbeat-%s \\\n"
                       "  --alarm-description 'cwguard on %s: a failing probe (Heartbeat 0) or a broken path to CloudWatch (no data)' \\\n"
                       "  --namespace %s --metric-name Heartbeat \\\n"
                       "  --dimensions Name=InstanceId,Value=%s",
                       instance, instance, shell_quote(ns, &q1), instance);
                if (asg) {
                        _cleanup_free_ char *dim = NULL;

                        if (asprintf(&dim, "Name=AutoScalingGroupName,Value=%s", asg) < 0)
                                return EXIT_USAGE;
                        printf(" %s", shell_quote(dim, &q2));
                }
                printf(" \\\n  --statistic Minimum --period %u --evaluation-periods 2 "
                       "--datapoints-to-alarm 2 \\\n"
                       "  --threshold 1 --comparison-operator LessThanThreshold \\\n"
                       "  --treat-missing-data breaching", period);
                if (c->region)
                        printf(" \\\n  --region %s", c->region);
                if (arg_sns_topic)
                        printf(" \\\n  --alarm-actions %s --ok-actions %s", arg_sns_topic,
                               arg_sns_topic);
                putchar('\n');
        }
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_USAGE;
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
        { "status", verb_status, "[--status-file PATH] [--json]",
          "show what the running cwguardd found in its last round" },
        { "alarm", verb_alarm,
          "[--config FILE] [--instance-id ID] [--format cli|cloudformation] [--sns-topic ARN]",
          "print the CloudWatch alarm on this host's Heartbeat" },
        { "cost", verb_cost, "[--config FILE] [--json]",
          "estimate this host's monthly AWS charges" },
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
                   "      --json           check, status, cost: one JSON document instead of text\n"
                   "      --debug          check: each AWS request's canonical request, string\n"
                   "                       to sign and response headers (never a secret)\n"
                   "      --account-id ID  policy: the account for the log group ARNs (default *)\n"
                   "      --status-file P  status: the snapshot (default %s)\n"
                   "      --instance-id ID alarm: the instance (default: this one, from IMDS)\n"
                   "      --format F       alarm: cli (aws put-metric-alarm) or cloudformation\n"
                   "      --sns-topic ARN  alarm: notify this SNS topic on ALARM and OK\n"
                   "  -h, --help           this text\n"
                   "      --version        the version\n\n"
                   "Exit status: 0 all probes ok, 1 some probe failing, 2 usage, configuration\n"
                   "or runtime error, 3 (status) cwguardd not running or its snapshot stale.\n",
                CONFIG_DEFAULT_PATH, STATUS_FILE_DEFAULT);
}

static int parse_argv(int argc, char *argv[], const Verb **ret_verb)
{
        enum { ARG_JSON = 0x100, ARG_DEBUG, ARG_ACCOUNT_ID, ARG_VERSION, ARG_STATUS_FILE,
               ARG_INSTANCE_ID, ARG_FORMAT, ARG_SNS_TOPIC };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, ARG_JSON },
                { "debug", no_argument, NULL, ARG_DEBUG },
                { "account-id", required_argument, NULL, ARG_ACCOUNT_ID },
                { "status-file", required_argument, NULL, ARG_STATUS_FILE },
                { "instance-id", required_argument, NULL, ARG_INSTANCE_ID },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "sns-topic", required_argument, NULL, ARG_SNS_TOPIC },
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
                case ARG_STATUS_FILE:
                        arg_status_file = optarg;
                        break;
                case ARG_INSTANCE_ID:
                        if (!instance_id_is_valid(optarg)) {
                                fprintf(stderr, "cwguardctl: --instance-id takes i- and hex digits\n");
                                return -EINVAL;
                        }
                        arg_instance_id = optarg;
                        break;
                case ARG_FORMAT:
                        if (!streq(optarg, "cli") && !streq(optarg, "cloudformation")) {
                                fprintf(stderr, "cwguardctl: --format is cli or cloudformation\n");
                                return -EINVAL;
                        }
                        arg_format = optarg;
                        break;
                case ARG_SNS_TOPIC:
                        if (strncmp(optarg, "arn:", 4) != 0 || strlen(optarg) > 256 ||
                            strcspn(optarg, "'\"\\ \t\n$`") != strlen(optarg)) {
                                fprintf(stderr, "cwguardctl: --sns-topic takes an SNS topic ARN\n");
                                return -EINVAL;
                        }
                        arg_sns_topic = optarg;
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

        /* It holds AWS credentials: no core dump of it, and no ptrace or /proc/PID/mem by
         * other processes of its user (LimitCORE=0 covers only the unit). */
        (void) prctl(PR_SET_DUMPABLE, 0);
        r = parse_argv(argc, argv, &verb);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        return verb->run();
}

int main(int argc, char *argv[])
{
        return run(argc, argv);
}
