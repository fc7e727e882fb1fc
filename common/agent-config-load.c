/* SPDX-License-Identifier: MIT */
/*
 * agent-config-load.c: finding and reading the CloudWatch agent's JSON configuration on disk, as
 * the agent does at start: the main file, then every fragment under amazon-cloudwatch-agent.d/
 * (walked in name order, links to files followed, *.tmp skipped), merged in the byte order of
 * their paths by agent_config_parse(). It is the only part of discovery that does I/O: local
 * files only, never blocking on a FIFO or device, at most AGENT_FILES_MAX files of
 * AGENT_DOCUMENT_MAX bytes. What cannot be read is an error line in the result, not a failure,
 * and "no agent installed" (neither path exists) stays distinct from "installed but broken".
 * No logging, no globals, no loop.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/agent-config-internal.h"
#include "common/agent-config.h"
#include "common/util.h"

/* Read a regular file of at most @max bytes without ever blocking on a FIFO or device. */
static int read_regular_file(const char *path, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;

        return read_fd_capped(fd, max, ret, ret_size);
}

static int strcmp_ptr(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool endswith_tmp(const char *name)
{
        size_t n = strlen(name);

        return n >= 4 && streq(name + n - 4, ".tmp");
}

/*
 * Collect the fragments under @dir in the order of the agent's filepath.Walk (names in byte
 * order, depth first) into @walk. As translator/cmdutil/translatorutil.go at start
 * (multi-config "remove"): every file that is not "*.tmp"; a symbolic link is followed to a
 * file, never into a directory; a dangling link is ignored.
 */
static int walk_fragments(AgentConfig *c, const char *dir, unsigned depth, char ***walk)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *shown = NULL;
        size_t n;
        DIR *d;
        int r = 0;

        shown = agent_display_name(dir);
        if (!shown)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return agent_error(c, "%s: cannot read the directory: %s; the agent stops reading "
                                      "its configuration directory here", shown, strerror(errno));
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;

        n = strv_length(names);
        if (n > 1)
                qsort(names, n, sizeof(char *), strcmp_ptr);

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL, *ps = NULL;
                struct stat st;

                if (asprintf(&p, "%s/%s", dir, names[i]) < 0) {
                        p = NULL;
                        return -ENOMEM;
                }
                ps = agent_display_name(p);
                if (!ps)
                        return -ENOMEM;
                if (lstat(p, &st) < 0) {
                        r = agent_error(c, "%s: cannot access: %s", ps, strerror(errno));
                        if (r < 0)
                                return r;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (depth + 1 >= AGENT_DIR_DEPTH_MAX) {
                                r = agent_error(c, "%s: nested more than %u directories deep; "
                                                   "not read", ps, AGENT_DIR_DEPTH_MAX);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        r = walk_fragments(c, p, depth + 1, walk);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (S_ISLNK(st.st_mode)) {
                        if (stat(p, &st) < 0) {
                                r = agent_note(c, "%s: dangling symbolic link; ignored, as the "
                                                  "agent does", ps);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (S_ISDIR(st.st_mode))
                                continue; /* the agent does not follow links into directories */
                }
                if (!S_ISREG(st.st_mode)) {
                        r = agent_note(c, "%s: not a regular file; skipped", ps);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (endswith_tmp(names[i])) {
                        r = agent_note(c, "%s: skipped (the agent reads *.tmp files only when "
                                          "it is reconfigured, not at start)", ps);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (strv_length(*walk) >= AGENT_FILES_MAX) {
                        r = agent_error(c, "%s: more than %u configuration files; not read", ps,
                                        AGENT_FILES_MAX);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = strv_extend(walk, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_document(AgentConfig *c, const char *path, bool *ret_failed)
{
        _cleanup_free_ char *data = NULL, *shown = NULL;
        size_t size = 0;
        int r;

        *ret_failed = false;
        r = read_regular_file(path, AGENT_DOCUMENT_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* The agent reads a file of any size: only cwguard leaves a large one out. */
                *ret_failed = r != -EFBIG;
                shown = agent_display_name(path);
                if (!shown)
                        return -ENOMEM;
                if (r == -EFBIG)
                        return agent_error(c, "%s: larger than %u KiB; not read", shown,
                                           AGENT_DOCUMENT_MAX / 1024);
                if (r == -EBADFD)
                        return agent_error(c, "%s: not a regular file; not read", shown);
                return agent_error(c, "%s: cannot read: %s", shown, strerror(-r));
        }
        r = agent_config_parse(data, size, path, c);
        if (r == -EBADMSG) {
                *ret_failed = true;
                return 0;
        }
        return r;
}

int agent_config_load(const char *path, AgentConfig *ret)
{
        _cleanup_(agent_config_done) AgentConfig c = {};
        _cleanup_strv_free_ char **walk = NULL, **order = NULL;
        _cleanup_free_ char *dir = NULL, *shown = NULL, *dir_shown = NULL;
        _cleanup_free_ bool *failed = NULL;
        bool main_exists = false, dir_exists = false;
        const char *slash;
        struct stat st;
        size_t n_walk, n;
        int r;

        if (isempty(path) || !ret)
                return -EINVAL;

        /* The fragments live in amazon-cloudwatch-agent.d beside the main file. */
        slash = strrchr(path, '/');
        if (!slash)
                r = asprintf(&dir, "%s", AGENT_CONFIG_DIR_NAME);
        else
                r = asprintf(&dir, "%.*s/%s", (int) (slash - path), path, AGENT_CONFIG_DIR_NAME);
        if (r < 0) {
                dir = NULL;
                return -ENOMEM;
        }
        shown = agent_display_name(path);
        dir_shown = agent_display_name(dir);
        if (!shown || !dir_shown)
                return -ENOMEM;

        /* "No agent" is neither the file nor the directory; anything else is an installation
         * whose configuration may be broken, and says why. */
        if (stat(path, &st) == 0) {
                main_exists = true;
                if (S_ISREG(st.st_mode))
                        r = strv_extend(&order, path);
                else
                        r = agent_error(&c, "%s: not a regular file; not read", shown);
        } else if (errno != ENOENT && errno != ENOTDIR) {
                main_exists = true;
                r = agent_error(&c, "%s: cannot access: %s", shown, strerror(errno));
        } else
                r = 0;
        if (r < 0)
                return r;

        if (stat(dir, &st) == 0) {
                dir_exists = true;
                if (S_ISDIR(st.st_mode))
                        r = walk_fragments(&c, dir, 0, &walk);
                else
                        r = agent_error(&c, "%s: not a directory; not read", dir_shown);
        } else if (errno != ENOENT && errno != ENOTDIR) {
                dir_exists = true;
                r = agent_error(&c, "%s: cannot access: %s", dir_shown, strerror(errno));
        } else
                r = 0;
        if (r < 0)
                return r;

        c.installed = main_exists || dir_exists;
        if (!c.installed) {
                *ret = c;
                c = (AgentConfig) {};
                return 0;
        }

        /* mergeJsonConfig.go: the documents are merged in the byte order of their paths (so
         * amazon-cloudwatch-agent.d/... comes before amazon-cloudwatch-agent.json). */
        n_walk = strv_length(walk);
        STRV_FOREACH(p, walk) {
                r = strv_extend(&order, *p);
                if (r < 0)
                        return r;
        }
        n = strv_length(order);
        if (n == 0) {
                r = agent_note(&c, "%s: no JSON configuration here or in %s/; nothing to derive",
                               shown, dir_shown);
                if (r < 0)
                        return r;
        }
        if (n > 1)
                qsort(order, n, sizeof(char *), strcmp_ptr);

        failed = calloc(n_walk + 1, sizeof(bool));
        if (!failed)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                bool f;

                r = load_document(&c, order[i], &f);
                if (r < 0)
                        return r;
                if (streq(order[i], path)) {
                        if (f) {
                                r = agent_error(&c, "%s: the agent does not start when it "
                                                    "cannot read this file", shown);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                for (size_t k = 0; k < n_walk; k++)
                        if (streq(walk[k], order[i]))
                                failed[k] = f;
        }

        /* translatorutil.go: a fragment the agent cannot read or parse ends its filepath.Walk;
         * it starts with what it had read before. cwguard still reads the rest, and says what
         * the agent leaves out. */
        for (size_t k = 0; k < n_walk; k++)
                if (failed[k]) {
                        _cleanup_free_ char *ws = agent_display_name(walk[k]);

                        if (!ws)
                                return -ENOMEM;
                        if (k + 1 < n_walk) {
                                r = agent_error(&c, "%s: the agent stops reading %s/ at this "
                                                    "file and ignores the %zu file(s) after it",
                                                ws, dir_shown, n_walk - k - 1);
                                if (r < 0)
                                        return r;
                        }
                        break;
                }

        r = agent_config_apply_defaults(&c);
        if (r < 0)
                return r;
        *ret = c;
        c = (AgentConfig) {};
        return 0;
}
