/* SPDX-License-Identifier: MIT */
/*
 * sim.c: the C side of the local AWS simulator (tests/sim/awssim.py, contract in
 * tests/sim/PROTOCOL.md). sim_start() forks and execs the simulator with a private state
 * directory, waits for its ready file and parses it; sim_control() and friends talk to its
 * control port with blocking libcurl easy calls; sim_free() stops it and removes the directory.
 *
 * Test-only code: everything here blocks, and failures in the shorthands abort the test. The
 * child gets PR_SET_PDEATHSIG(SIGTERM) so that a crashing test never leaves a simulator behind.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "common/macro.h"
#include "tests/sim.h"

/* awssim.py exits with this when it cannot run here (python3-botocore or openssl missing). */
#define SIM_EXIT_UNSUPPORTED 77
#define SIM_START_TIMEOUT_MS 20000
#define SIM_STOP_TIMEOUT_MS 5000
#define SIM_CONTROL_TIMEOUT_S 60L

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static void sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void) remove(path);
        return 0;
}

static void rm_rf(const char *path)
{
        (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The script: $CWGUARD_SIM, else $CWGUARD_SOURCE_ROOT/tests/sim/awssim.py, else next to this
 * source file (__FILE__ is absolute or relative to the build directory). */
static char *sim_script_path(void)
{
        const char *e = getenv("CWGUARD_SIM");
        char *p = NULL;

        if (!isempty(e))
                return strdup(e);
        e = getenv("CWGUARD_SOURCE_ROOT");
        if (!isempty(e))
                return asprintf(&p, "%s/tests/sim/awssim.py", e) < 0 ? NULL : p;

        const char *slash = strrchr(__FILE__, '/');
        int n = slash ? (int) (slash - __FILE__) : 1;
        return asprintf(&p, "%.*s/sim/awssim.py", n, slash ? __FILE__ : ".") < 0 ? NULL : p;
}

static _noreturn_ void sim_exec_child(const char *python, const char *script, const char *dir,
                                      const char *ready, pid_t parent)
{
        sigset_t all;
        int fd;

        /* Die with the test; if it is already gone, don't start at all. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);

        /* Callers on sd-event block SIGTERM; the mask survives exec and would make the
         * simulator deaf to sim_free(). */
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGPIPE, SIG_DFL);

        /* The ready JSON is also printed on stdout; keep the test's output clean. */
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) dup2(fd, STDOUT_FILENO);
                if (fd != STDOUT_FILENO)
                        (void) close(fd);
        }
        (void) close_range(3, UINT_MAX, 0);

        /* --remove-state-dir: a test that aborts never reaches sim_free(), but PDEATHSIG still
         * stops the simulator, which then removes the directory itself. */
        execl(python, python, script, "--state-dir", dir, "--ready-file", ready,
              "--remove-state-dir", (char *) NULL);
        fprintf(stderr, "sim: cannot execute %s: %m\n", python);
        _exit(errno == ENOENT ? SIM_EXIT_UNSUPPORTED : 127);
}

static int json_str(json_object *o, const char *key, char **ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int json_port(json_object *o, const char *key, int *ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        *ret = json_object_get_int(v);
        return *ret > 0 && *ret < 65536 ? 0 : -EBADMSG;
}

static int sim_parse_ready(Sim *s, const char *path)
{
        _cleanup_(json_object_putp) json_object *o = json_object_from_file(path);
        int r;

        if (!o || !json_object_is_type(o, json_type_object))
                return -EBADMSG;

        struct {
                const char *key;
                char **str;
                int *port;
        } fields[] = {
                { "ca", &s->ca, NULL },
                { "aws_url", &s->aws_url, NULL },
                { "aws_wrongname_url", &s->aws_wrongname_url, NULL },
                { "imds_url", &s->imds_url, NULL },
                { "control_url", &s->control_url, NULL },
                { "blackhole_url", &s->blackhole_url, NULL },
                { "proxy_url", &s->proxy_url, NULL },
                { "aws", NULL, &s->aws_port },
                { "aws_wrongname", NULL, &s->aws_wrongname_port },
                { "imds", NULL, &s->imds_port },
                { "control", NULL, &s->control_port },
                { "blackhole", NULL, &s->blackhole_port },
                { "proxy", NULL, &s->proxy_port },
        };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                r = fields[i].str ? json_str(o, fields[i].key, fields[i].str)
                                  : json_port(o, fields[i].key, fields[i].port);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Reap the child if it exited; returns the errno sim_start() should report, or 0 if alive. */
static int sim_check_exited(Sim *s)
{
        int status;
        pid_t p = waitpid(s->pid, &status, WNOHANG);

        if (p == 0)
                return 0;
        s->pid = 0;
        if (p < 0)
                return -ECHILD;
        if (WIFEXITED(status) && WEXITSTATUS(status) == SIM_EXIT_UNSUPPORTED)
                return -EOPNOTSUPP;
        fprintf(stderr, "sim: simulator exited early (status 0x%x)\n", (unsigned) status);
        return -EIO;
}

int sim_start(Sim **ret)
{
        _cleanup_free_ char *script = NULL, *ready = NULL, *tmpl = NULL;
        const char *python = getenv("CWGUARD_PYTHON");
        const char *tmpdir = getenv("TMPDIR");
        Sim *s;
        int r;

        if (isempty(python))
                python = "/usr/bin/python3";
        if (isempty(tmpdir))
                tmpdir = "/tmp";
        script = sim_script_path();
        if (!script || asprintf(&tmpl, "%s/cwguard-sim-XXXXXX", tmpdir) < 0)
                return -ENOMEM;
        if (access(script, R_OK) < 0) {
                r = -errno;
                fprintf(stderr, "sim: %s: %m\n", script);
                return r;
        }
        if (!mkdtemp(tmpl))
                return -errno;

        s = calloc(1, sizeof(Sim));
        if (!s) {
                rm_rf(tmpl);
                return -ENOMEM;
        }
        s->state_dir = TAKE_PTR(tmpl);
        if (asprintf(&ready, "%s/ready.json", s->state_dir) < 0) {
                sim_free(s);
                return -ENOMEM;
        }

        pid_t parent = getpid();
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                sim_free(s);
                return r;
        }
        if (pid == 0)
                sim_exec_child(python, script, s->state_dir, ready, parent);
        s->pid = pid;

        for (long waited = 0;; waited += 20) {
                if (access(ready, F_OK) == 0) {
                        r = sim_parse_ready(s, ready);
                        if (r < 0) {
                                fprintf(stderr, "sim: cannot parse %s\n", ready);
                                sim_free(s);
                                return r;
                        }
                        break;
                }
                r = sim_check_exited(s);
                if (r < 0) {
                        sim_free(s);
                        return r;
                }
                if (waited >= SIM_START_TIMEOUT_MS) {
                        fprintf(stderr, "sim: no ready file after %d ms\n", SIM_START_TIMEOUT_MS);
                        sim_free(s);
                        return -ETIMEDOUT;
                }
                sleep_ms(20);
        }

        *ret = s;
        return 0;
}

Sim *sim_free(Sim *s)
{
        if (!s)
                return NULL;

        if (s->pid > 0) {
                int status;

                (void) kill(s->pid, SIGTERM);
                for (long waited = 0;; waited += 20) {
                        pid_t p = waitpid(s->pid, &status, WNOHANG);
                        if (p != 0)
                                break;
                        if (waited >= SIM_STOP_TIMEOUT_MS) {
                                (void) kill(s->pid, SIGKILL);
                                (void) waitpid(s->pid, &status, 0);
                                break;
                        }
                        sleep_ms(20);
                }
        }
        if (s->state_dir)
                rm_rf(s->state_dir);

        free(s->state_dir);
        free(s->ca);
        free(s->aws_url);
        free(s->aws_wrongname_url);
        free(s->imds_url);
        free(s->control_url);
        free(s->blackhole_url);
        free(s->proxy_url);
        free(s);
        return NULL;
}

typedef struct Buf {
        char *data;
        size_t len;
} Buf;

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
        Buf *b = userdata;
        size_t add = size * n;
        char *d = realloc(b->data, b->len + add + 1);

        if (!d)
                return 0;
        memcpy(d + b->len, p, add);
        b->len += add;
        d[b->len] = '\0';
        b->data = d;
        return add;
}

int sim_control(Sim *s, const char *method, const char *path, const char *json, char **ret_body)
{
        _cleanup_(curl_easy_cleanupp) CURL *c = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *hdrs = NULL;
        _cleanup_free_ char *url = NULL;
        Buf body = {};
        long code = 0;
        CURLcode cr;

        if (!s || !s->control_url || !method || !path)
                return -EINVAL;
        if (asprintf(&url, "%s%s", s->control_url, path) < 0)
                return -ENOMEM;
        c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        if (!hdrs)
                return -ENOMEM;

        (void) curl_easy_setopt(c, CURLOPT_URL, url);
        (void) curl_easy_setopt(c, CURLOPT_PROXY, "");   /* never via $http_proxy */
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(c, CURLOPT_TIMEOUT, SIM_CONTROL_TIMEOUT_S);
        (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        if (streq(method, "POST")) {
                (void) curl_easy_setopt(c, CURLOPT_POST, 1L);
                (void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, json ?: "");
        } else if (!streq(method, "GET"))
                (void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

        cr = curl_easy_perform(c);
        if (cr == CURLE_OK)
                (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (cr != CURLE_OK || code != 200) {
                fprintf(stderr, "sim: %s %s: %s%s\n", method, path,
                        cr != CURLE_OK ? curl_easy_strerror(cr) : "HTTP error: ",
                        cr != CURLE_OK ? "" : strempty(body.data));
                free(body.data);
                return -EIO;
        }
        if (ret_body)
                *ret_body = body.data ?: strdup("");
        else
                free(body.data);
        if (ret_body && !*ret_body)
                return -ENOMEM;
        return 0;
}

void sim_scenario(Sim *s, const char *json)
{
        if (sim_control(s, "POST", "/scenario", json, NULL) < 0) {
                fprintf(stderr, "sim: scenario rejected: %s\n", strna(json));
                abort();
        }
}

void sim_reset(Sim *s)
{
        if (sim_control(s, "POST", "/reset", "{}", NULL) < 0) {
                fprintf(stderr, "sim: reset failed\n");
                abort();
        }
}

int sim_count(Sim *s, const char *action)
{
        _cleanup_free_ char *body = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *reqs, *n;
        int r;

        r = sim_control(s, "GET", "/stats", NULL, &body);
        if (r < 0)
                return r;
        o = json_tokener_parse(body);
        if (!o || !json_object_object_get_ex(o, "requests", &reqs))
                return -EBADMSG;
        if (!json_object_object_get_ex(reqs, action, &n))
                return 0;
        return json_object_get_int(n);
}
