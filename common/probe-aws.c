/* SPDX-License-Identifier: MIT */
/*
 * probe-aws.c: the signed probes of a round — identity (STS GetCallerIdentity), metrics
 * (CloudWatch PutMetricData, query protocol) and logs (CloudWatch Logs PutLogEvents, creating the
 * probe stream when it is missing). Each makes real, signed requests with the host's credentials
 * through aws-call.c, so a denial is met exactly as the agent meets it, and copies what AWS said
 * into the ProbeResult. Every PutMetricData is billed: the heartbeat namespace gets the one
 * per-host Heartbeat metric, any other namespace one dimensionless cwguard_probe data point that
 * a whole fleet shares. Runs on the round's event loop; never logs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/aws-response.h"
#include "common/json-util.h"
#include "common/round-internal.h"

/* A successful call whose Date header is further off than this is reported as clock skew:
 * CloudWatch and Logs reject signatures more than 5 minutes off (STS allows 15). */
#define CLOCK_SKEW_LIMIT_SEC 300

enum {
        LOGS_STEP_NONE,
        LOGS_STEP_PUT,
        LOGS_STEP_CREATE_STREAM,
        LOGS_STEP_CREATE_GROUP,
        LOGS_STEP_PUT_AGAIN,
};

static ProbeResult *run_result(ProbeRun *run)
{
        return &run->round->report.probes[run->index];
}

static int run_call(ProbeRun *run, AwsProtocol proto, const char *target, const char *body,
                    AwsCallCallback cb)
{
        Round *rd = run->round;
        /* The latest moment a retry may start. Every attempt must end (its own timeout) a
         * margin before the round does, so that it is the request's own outcome that is
         * reported, not the budget's cut; and the probes before the heartbeat leave it the time
         * of one attempt. */
        usec_t reserve = rd->timeout + rd->timeout / 10 + (run->heartbeat ? 0 : rd->timeout);
        usec_t deadline = rd->deadline > reserve ? rd->deadline - reserve : 0;
        AwsCallOptions o = {
                .endpoint = rd->endpoints[run->service],
                .region = rd->region,
                .service = probe_service_to_string(run->service),
                .protocol = proto,
                .target = target,
                .body = body,
                .body_size = strlen(body),
                .timeout = rd->timeout,
                .deadline = deadline,
        };

        /* The role's session when the agent assumes one for this service, never the base
         * credentials then (round_role_block() has made sure there is a session). */
        return aws_call_start(rd->prober->http, round_run_credentials(run), &o, cb, run,
                              &run->call);
}

/*
 * A 2xx whose body is not the answer the operation has: bad-response. When the Content-Type is
 * not one AWS sends, say so: a proxy, web filter or captive portal answered in its place.
 */
static void run_bad_answer(ProbeRun *run, const AwsCallOutcome *o, const char *operation)
{
        static const char *const aws_types[] = {
                "text/xml", "application/xml", "application/json", "application/x-amz-json-",
        };
        ProbeResult *res = run_result(run);
        const char *ct = o->content_type;
        bool foreign = false;
        char *msg = NULL;

        res->ok = false;
        res->class = RESULT_CLASS_BAD_RESPONSE;
        if (ct) {
                foreign = true;
                for (size_t i = 0; i < ELEMENTSOF(aws_types); i++)
                        if (strncasecmp(ct, aws_types[i], strlen(aws_types[i])) == 0)
                                foreign = false;
        }
        int r = foreign ? asprintf(&msg, "the %s answer could not be parsed: its Content-Type "
                                   "is \"%s\", which AWS does not send (a proxy, web filter or "
                                   "captive portal in the path may have answered)", operation,
                                   ct) :
                          asprintf(&msg, "the %s answer could not be parsed", operation);
        if (r < 0)
                msg = NULL;
        free_and_replace(res->aws_message, msg);
}

static void run_done(ProbeRun *run)
{
        run->finished = true;
        round_op_done(run->round);
}

/* ---- identity ---------------------------------------------------------------------------- */

static void on_identity(AwsCall *call, AwsCallOutcome *o, void *userdata)
{
        ProbeRun *run = userdata;
        Round *rd = run->round;
        ProbeResult *res = run_result(run);
        StsCallerIdentity id = {};

        run->call = NULL;
        round_result_from_outcome(rd, res, o, "GetCallerIdentity");
        if (res->ok) {
                if (sts_parse_caller_identity(o->body, o->body_size, &id) < 0)
                        run_bad_answer(run, o, "GetCallerIdentity");
                else {
                        ProbeIdentity *pi = &rd->report.identity;

                        free_and_replace(pi->arn, id.arn);
                        free_and_replace(pi->account, id.account);
                        free_and_replace(pi->user_id, id.user_id);
                        if (!res->request_id)
                                res->request_id = TAKE_PTR(id.request_id);
                        if (!rd->report.host.account_id)
                                (void) free_and_strdup(&rd->report.host.account_id, pi->account);
                }
                sts_caller_identity_done(&id);
        }
        /* The Date header of any answer tells how far off our clock is (1 s resolution). */
        if (!res->has_clock_offset && o->server_time > 0 && o->local_time > 0) {
                res->has_clock_offset = true;
                res->clock_offset_sec = (int64_t) (o->server_time / USEC_PER_SEC) -
                                        (int64_t) (o->local_time / USEC_PER_SEC);
        }
        if (res->ok && res->has_clock_offset &&
            (res->clock_offset_sec > CLOCK_SKEW_LIMIT_SEC ||
             res->clock_offset_sec < -CLOCK_SKEW_LIMIT_SEC)) {
                res->ok = false;
                res->class = RESULT_CLASS_CLOCK_SKEW;
        }
        run_done(run);
}

int probe_identity_start(ProbeRun *run)
{
        return run_call(run, AWS_PROTOCOL_QUERY, NULL, "Action=GetCallerIdentity&Version=2011-06-15",
                        on_identity);
}

/* ---- metrics ----------------------------------------------------------------------------- */

static int form_add(char **body, const char *key, const char *value)
{
        int r;

        r = strextend_printf(body, "%s%s=", *body ? "&" : "", key);
        if (r < 0)
                return r;
        return aws_form_escape(body, value);
}

static int metric_add(char **body, unsigned n, const char *name, double value, const char *unit,
                      char *const *dimensions)
{
        char key[96], num[32];
        unsigned d = 0;
        int r;

        (void) snprintf(key, sizeof(key), "MetricData.member.%u.MetricName", n);
        r = form_add(body, key, name);
        if (r < 0)
                return r;
        (void) snprintf(key, sizeof(key), "MetricData.member.%u.Value", n);
        (void) snprintf(num, sizeof(num), "%g", value);
        r = form_add(body, key, num);
        if (r < 0)
                return r;
        (void) snprintf(key, sizeof(key), "MetricData.member.%u.Unit", n);
        r = form_add(body, key, unit);
        if (r < 0)
                return r;
        for (char *const *p = dimensions; p && p[0] && p[1]; p += 2) {
                d++;
                (void) snprintf(key, sizeof(key), "MetricData.member.%u.Dimensions.member.%u.Name",
                                n, d);
                r = form_add(body, key, p[0]);
                if (r < 0)
                        return r;
                (void) snprintf(key, sizeof(key), "MetricData.member.%u.Dimensions.member.%u.Value",
                                n, d);
                r = form_add(body, key, p[1]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void on_metrics(AwsCall *call, AwsCallOutcome *o, void *userdata)
{
        ProbeRun *run = userdata;
        ProbeResult *res = run_result(run);

        run->call = NULL;
        round_result_from_outcome(run->round, res, o, "PutMetricData");
        /* A 200 that is not CloudWatch's answer came from something in between. */
        if (res->ok && cloudwatch_check_put_metric_data(o->body, o->body_size) < 0)
                run_bad_answer(run, o, "PutMetricData");
        run_done(run);
}

/* Value 1 when every other probe of the round is ok, 0 otherwise (endpoints still waiting for
 * their warm evidence do not count: a failure there shows in the probes that used them). */
static int heartbeat_failing(Round *rd, const ProbeRun *self)
{
        int n = 0;

        for (size_t i = 0; i < rd->report.n_probes; i++) {
                const ProbeRun *run = &rd->runs[i];

                if (run == self || !run->finished)
                        continue;
                if (!rd->report.probes[i].ok)
                        n++;
        }
        return n;
}

int probe_metrics_start(ProbeRun *run)
{
        Round *rd = run->round;
        ProbeResult *res = run_result(run);
        _cleanup_free_ char *body = NULL;
        int r;

        r = form_add(&body, "Action", "PutMetricData");
        if (r >= 0)
                r = form_add(&body, "Version", "2010-08-01");
        if (r >= 0)
                r = form_add(&body, "Namespace", res->target);
        if (r < 0)
                return r;

        if (run->heartbeat) {
                const char *instance = rd->report.host.instance_id ?: rd->report.host.hostname;
                const char *asg = round_auto_scaling_group(rd);
                char *dims[5] = { (char *) "InstanceId", (char *) instance };
                int failing = heartbeat_failing(rd, run);

                if (asg) {
                        dims[2] = (char *) "AutoScalingGroupName";
                        dims[3] = (char *) asg;
                }
                rd->report.heartbeat_value = failing == 0 ? 1 : 0;
                r = metric_add(&body, 1, ROUND_HEARTBEAT_METRIC, rd->report.heartbeat_value,
                               "Count", dims);
                if (r >= 0 && rd->heartbeat_detail)
                        r = metric_add(&body, 2, ROUND_FAILING_METRIC, failing, "Count", dims);
        } else
                /* No per-instance dimension: the whole fleet shares this one custom metric. */
                r = metric_add(&body, 1, ROUND_PROBE_METRIC, 1, "Count", NULL);
        if (r < 0)
                return r;

        return run_call(run, AWS_PROTOCOL_QUERY, NULL, body, on_metrics);
}

/* ---- logs -------------------------------------------------------------------------------- */

static int logs_body(ProbeRun *run, bool with_event, bool with_stream, char **ret)
{
        Round *rd = run->round;
        ProbeResult *res = run_result(run);
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        char when[ISO8601_MAX];
        char *s;

        if (!o || json_object_object_add(o, "logGroupName",
                                         json_object_new_string(res->target)) < 0)
                return -ENOMEM;
        if (with_stream &&
            json_object_object_add(o, "logStreamName", json_object_new_string(rd->log_stream)) < 0)
                return -ENOMEM;
        if (with_event) {
                usec_t now = now_usec(CLOCK_REALTIME);
                _cleanup_free_ char *msg = NULL;
                json_object *events, *ev;

                if (asprintf(&msg, "cwguard probe: %s can write to this log group (%s)",
                             rd->report.host.instance_id ?: rd->report.host.hostname,
                             iso8601_format(now, when)) < 0)
                        return -ENOMEM;
                events = json_object_new_array();
                if (!events || json_object_object_add(o, "logEvents", events) < 0) {
                        json_object_put(events);
                        return -ENOMEM;
                }
                ev = json_object_new_object();
                if (!ev || json_object_array_add(events, ev) < 0) {
                        json_object_put(ev);
                        return -ENOMEM;
                }
                if (json_object_object_add(ev, "timestamp",
                                           json_object_new_int64((int64_t) (now / USEC_PER_MSEC))) < 0 ||
                    json_object_object_add(ev, "message", json_object_new_string(msg)) < 0)
                        return -ENOMEM;
        }
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int logs_step(ProbeRun *run, unsigned step);

static bool message_has(const ProbeResult *res, const char *what)
{
        return res->aws_message && strstr(res->aws_message, what);
}

static void on_logs(AwsCall *call, AwsCallOutcome *o, void *userdata)
{
        static const char *const ops[] = {
                [LOGS_STEP_PUT] = "PutLogEvents",
                [LOGS_STEP_CREATE_STREAM] = "CreateLogStream",
                [LOGS_STEP_CREATE_GROUP] = "CreateLogGroup",
                [LOGS_STEP_PUT_AGAIN] = "PutLogEvents",
        };
        ProbeRun *run = userdata;
        Round *rd = run->round;
        ProbeResult *res = run_result(run);
        bool exists;
        unsigned next = LOGS_STEP_NONE;

        run->call = NULL;
        round_result_from_outcome(rd, res, o, ops[run->step]);
        exists = res->class == RESULT_CLASS_INVALID_REQUEST &&
                 streq_ptr(res->aws_error_code, "ResourceAlreadyExistsException");

        switch (run->step) {
        case LOGS_STEP_PUT:
                if (res->class != RESULT_CLASS_RESOURCE_NOT_FOUND)
                        break;
                /* "The specified log stream does not exist." — make it, as the agent does. A
                 * missing group is only created when configured to. */
                if (!message_has(res, "log group"))
                        next = LOGS_STEP_CREATE_STREAM;
                else if (rd->create_log_group)
                        next = LOGS_STEP_CREATE_GROUP;
                break;
        case LOGS_STEP_CREATE_GROUP:
                if (res->ok || exists)
                        next = LOGS_STEP_CREATE_STREAM;
                break;
        case LOGS_STEP_CREATE_STREAM:
                if (res->ok || exists)
                        next = LOGS_STEP_PUT_AGAIN;
                else if (res->class == RESULT_CLASS_RESOURCE_NOT_FOUND && rd->create_log_group &&
                         message_has(res, "log group"))
                        next = LOGS_STEP_CREATE_GROUP;
                break;
        }
        /* Never loop: each step runs at most once. */
        if (next != LOGS_STEP_NONE && !(run->steps_done & (1U << next)) &&
            logs_step(run, next) >= 0)
                return;

        if (res->ok && run->step != LOGS_STEP_PUT && run->step != LOGS_STEP_PUT_AGAIN)
                res->ok = false; /* unreachable in practice: creation succeeded, the put failed */
        if (res->ok) {
                LogsPutLogEventsResult pr = {};

                if (logs_parse_put_log_events(o->body, o->body_size, &pr) < 0)
                        run_bad_answer(run, o, "PutLogEvents");
                else if (pr.too_new_start_index == 0 || pr.too_old_end_index >= 0 ||
                           pr.expired_end_index >= 0) {
                        /* Our one event was dropped: its timestamp (our clock) is hours off. */
                        res->ok = false;
                        res->class = RESULT_CLASS_CLOCK_SKEW;
                        (void) free_and_strdup(&res->aws_message,
                                               pr.too_new_start_index == 0 ?
                                               "CloudWatch Logs rejected the probe event as too "
                                               "new (more than 2 hours in the future)" :
                                               "CloudWatch Logs rejected the probe event as too old "
                                               "or beyond the log group's retention");
                }
                logs_put_log_events_result_done(&pr);
        }
        run_done(run);
}

static int logs_step(ProbeRun *run, unsigned step)
{
        static const char *const targets[] = {
                [LOGS_STEP_PUT] = "Logs_20140328.PutLogEvents",
                [LOGS_STEP_CREATE_STREAM] = "Logs_20140328.CreateLogStream",
                [LOGS_STEP_CREATE_GROUP] = "Logs_20140328.CreateLogGroup",
                [LOGS_STEP_PUT_AGAIN] = "Logs_20140328.PutLogEvents",
        };
        _cleanup_free_ char *body = NULL;
        bool put = step == LOGS_STEP_PUT || step == LOGS_STEP_PUT_AGAIN;
        int r;

        r = logs_body(run, put, step != LOGS_STEP_CREATE_GROUP, &body);
        if (r < 0)
                return r;
        run->step = step;
        run->steps_done |= 1U << step;
        return run_call(run, AWS_PROTOCOL_JSON11, targets[step], body, on_logs);
}

int probe_logs_start(ProbeRun *run)
{
        if (!run->round->log_stream)
                return -EINVAL;
        return logs_step(run, LOGS_STEP_PUT);
}

/* ---- log stream names -------------------------------------------------------------------- */

int round_expand_log_stream(const char *template, const char *instance_id, const char *hostname,
                            const char *ip_address, char **ret)
{
        static const char *const keys[] = { "{instance_id}", "{hostname}", "{local_hostname}",
                                            "{ip_address}" };
        _cleanup_free_ char *out = NULL;
        size_t n;
        int r;

        if (!template || !hostname)
                return -EINVAL;
        for (const char *p = template; *p;) {
                const char *values[] = { instance_id ?: hostname, hostname, hostname,
                                         ip_address ?: "unknown" };
                size_t i;

                for (i = 0; i < ELEMENTSOF(keys); i++)
                        if (strncmp(p, keys[i], strlen(keys[i])) == 0)
                                break;
                if (i < ELEMENTSOF(keys)) {
                        r = strextend_printf(&out, "%s", values[i]);
                        p += strlen(keys[i]);
                } else {
                        r = strextend_printf(&out, "%c", *p);
                        p++;
                }
                if (r < 0)
                        return r;
        }
        if (!out || !*out)
                return -EINVAL;
        /* Stream names are [^:*]{1,512}; control characters would only confuse operators. */
        for (char *q = out; *q; q++)
                if (*q == ':' || *q == '*' || (unsigned char) *q < 0x20 || *q == 0x7f)
                        *q = '_';
        n = strlen(out);
        if (n > 512)
                out[512] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}
