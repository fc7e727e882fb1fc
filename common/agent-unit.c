/* SPDX-License-Identifier: MIT */
/*
 * agent-unit.c: asks systemd over D-Bus whether the CloudWatch agent's unit runs, and judges the
 * answer. Two asynchronous Properties.GetAll calls on the unit's object (the Unit interface, then
 * the Service interface for NRestarts and Result), each with the round's request timeout, on the
 * caller's sd-event loop: the loop never waits for systemd. The connection is the caller's (the
 * Prober keeps it across rounds). The replies are outside input: only the properties we know are
 * read, strings are made one line and capped. The judgement is a pure function over plain data,
 * so that it is tested without a bus. No logging.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "common/agent-unit.h"

#define AGENT_UNIT_STRING_MAX 64
#define AGENT_UNIT_NAME_MAX 255

struct AgentUnitQuery {
        sd_bus *bus;
        sd_bus_slot *slot;
        char *path;
        usec_t timeout;
        unsigned step;                 /* 0: the Unit interface, 1: the Service interface */
        AgentUnitCallback callback;
        void *userdata;
        AgentUnitState state;
};

void agent_unit_state_done(AgentUnitState *s)
{
        if (!s)
                return;
        free(s->load_state);
        free(s->active_state);
        free(s->sub_state);
        free(s->result);
        *s = (AgentUnitState) {};
}

AgentUnitQuery *agent_unit_query_cancel(AgentUnitQuery *q)
{
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        sd_bus_unref(q->bus);
        free(q->path);
        agent_unit_state_done(&q->state);
        return mfree(q);
}

bool agent_unit_name_is_valid(const char *s)
{
        const char *dot;
        size_t n;

        /* systemd's unit_name_is_valid(), plain names: [A-Za-z0-9:_.\\-]+ with a known-looking
         * suffix, at most 255 bytes; templates ("a@.service") are not units that run. */
        if (!s || (n = strlen(s)) == 0 || n > AGENT_UNIT_NAME_MAX)
                return false;
        if (s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.\\-@")])
                return false;
        dot = strrchr(s, '.');
        if (!dot || dot == s || !dot[1] || strstr(s, "@."))
                return false;
        return streq(dot, ".service") || streq(dot, ".scope") || streq(dot, ".target");
}

int agent_unit_bus_open(sd_event *event, sd_bus **bus)
{
        sd_bus *b = NULL;
        int r;

        if (!event || !bus)
                return -EINVAL;
        if (*bus && sd_bus_is_open(*bus) > 0)
                return 0;
        *bus = sd_bus_flush_close_unref(*bus);
        if (sd_booted() <= 0)
                return -ENOMEDIUM;
        r = sd_bus_open_system(&b);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(b, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                sd_bus_flush_close_unref(b);
                return r;
        }
        *bus = b;
        return 0;
}

/* A D-Bus string made fit for a message and a journal field. */
static int take_string(const char *v, char **field)
{
        char *s = strndup(v, AGENT_UNIT_STRING_MAX);

        if (!s)
                return -ENOMEM;
        string_one_line(s, AGENT_UNIT_STRING_MAX);
        free(*field);
        *field = s;
        return 0;
}

/* The a{sv} of a GetAll reply: the properties we know, type-checked; the rest skipped. */
static int read_properties(sd_bus_message *m, AgentUnitState *st)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents = NULL, *s;
                char **field = NULL;
                uint64_t t;
                uint32_t u;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;

                if (streq(name, "LoadState"))
                        field = &st->load_state;
                else if (streq(name, "ActiveState"))
                        field = &st->active_state;
                else if (streq(name, "SubState"))
                        field = &st->sub_state;
                else if (streq(name, "Result"))
                        field = &st->result;

                if (field && streq_ptr(contents, "s")) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0)
                                r = take_string(s, field);
                } else if (streq(name, "NRestarts") && streq_ptr(contents, "u")) {
                        r = sd_bus_message_read(m, "v", "u", &u);
                        st->n_restarts = u;
                        st->has_n_restarts = r >= 0;
                } else if (streq(name, "ActiveEnterTimestamp") && streq_ptr(contents, "t")) {
                        r = sd_bus_message_read(m, "v", "t", &t);
                        st->active_enter = t;
                } else if (streq(name, "InactiveExitTimestamp") && streq_ptr(contents, "t")) {
                        r = sd_bus_message_read(m, "v", "t", &t);
                        st->inactive_exit = t;
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int query_call(AgentUnitQuery *q, const char *interface);

static void query_finish(AgentUnitQuery *q, int error)
{
        q->callback(error, error < 0 ? NULL : &q->state, q->userdata);
        agent_unit_query_cancel(q);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        AgentUnitQuery *q = userdata;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        if (sd_bus_message_is_method_error(m, NULL)) {
                r = sd_bus_message_get_errno(m);
                /* The Service interface is optional (another unit type): keep what we have. */
                if (q->step == 1) {
                        query_finish(q, 0);
                        return 0;
                }
                query_finish(q, r > 0 ? -r : -EIO);
                return 0;
        }
        r = read_properties(m, &q->state);
        if (r < 0) {
                query_finish(q, -EBADMSG);
                return 0;
        }
        if (q->step == 0 && !streq_ptr(q->state.load_state, "not-found")) {
                q->step = 1;
                r = query_call(q, "org.freedesktop.systemd1.Service");
                if (r < 0)
                        query_finish(q, r);
                return 0;
        }
        query_finish(q, 0);
        return 0;
}

static int query_call(AgentUnitQuery *q, const char *interface)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(q->bus, &m, "org.freedesktop.systemd1", q->path,
                                           "org.freedesktop.DBus.Properties", "GetAll");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", interface);
        if (r < 0)
                return r;
        return sd_bus_call_async(q->bus, &q->slot, m, on_reply, q, q->timeout);
}

int agent_unit_query(sd_bus *bus, const char *unit, usec_t timeout, AgentUnitCallback callback,
                     void *userdata, AgentUnitQuery **ret)
{
        AgentUnitQuery *q;
        int r;

        if (!bus || !callback || !ret || !agent_unit_name_is_valid(unit))
                return -EINVAL;
        q = calloc(1, sizeof(AgentUnitQuery));
        if (!q)
                return -ENOMEM;
        q->bus = sd_bus_ref(bus);
        q->timeout = timeout;
        q->callback = callback;
        q->userdata = userdata;
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &q->path);
        if (r >= 0)
                r = query_call(q, "org.freedesktop.systemd1.Unit");
        if (r < 0) {
                agent_unit_query_cancel(q);
                return r;
        }
        *ret = q;
        return 0;
}

/* ---- judgement ------------------------------------------------------------------------------- */

int agent_unit_judge(const char *unit, const AgentUnitState *s, const AgentUnitHistory *h,
                     ResultClass *ret_class, uint64_t *ret_new_restarts, char **ret_message)
{
        char since[ISO8601_MAX] = "";
        uint64_t grown = 0;
        ResultClass c;
        int k;

        if (!unit || !s || !h || !ret_class || !ret_new_restarts || !ret_message)
                return -EINVAL;
        if (s->active_enter > 0)
                iso8601_format(s->active_enter, since);
        if (h->have_previous && s->has_n_restarts && s->n_restarts > h->previous_restarts)
                grown = s->n_restarts - h->previous_restarts;

        if (streq_ptr(s->load_state, "not-found")) {
                c = RESULT_CLASS_NOT_APPLICABLE;
                k = asprintf(ret_message, "agent not installed (no unit %s)", unit);
        } else if (!streq_ptr(s->active_state, "active")) {
                c = RESULT_CLASS_AGENT_NOT_RUNNING;
                k = asprintf(ret_message, "unit %s is %s (%s), result %s, %" PRIu64 " restarts%s",
                             unit, strna(s->active_state), strna(s->sub_state), strna(s->result),
                             s->n_restarts,
                             streq_ptr(s->sub_state, "auto-restart") ?
                                     ": systemd is restarting it" : "");
        } else if (grown > 0) {
                c = RESULT_CLASS_AGENT_NOT_RUNNING;
                k = asprintf(ret_message, "unit %s is active but restarted %" PRIu64 " times "
                                          "since the previous round (%" PRIu64 " restarts in all): "
                                          "restart-looping", unit, grown, s->n_restarts);
        } else if (!h->have_previous && s->n_restarts > 0 && s->active_enter > 0 &&
                   s->active_enter + h->window >= h->now) {
                c = RESULT_CLASS_AGENT_NOT_RUNNING;
                k = asprintf(ret_message, "unit %s restarted recently: active since %s, %" PRIu64
                                          " restarts", unit, since, s->n_restarts);
        } else {
                c = RESULT_CLASS_OK;
                k = asprintf(ret_message, "unit %s is active (%s)%s%s, %" PRIu64 " restarts", unit,
                             strna(s->sub_state), *since ? " since " : "", since, s->n_restarts);
        }
        if (k < 0) {
                *ret_message = NULL;
                return -ENOMEM;
        }
        *ret_class = c;
        *ret_new_restarts = grown;
        return 0;
}
