#pragma once
/* SPDX-License-Identifier: MIT */
/* macro.h: cleanup attributes, ownership helpers and small compiler conveniences. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _const_ __attribute__((const))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_ __attribute__((sentinel))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))
#define _public_ __attribute__((visibility("default")))
#define _fallthrough_ __attribute__((fallthrough))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define CLAMP(x, lo, hi) MIN(MAX((x), (lo)), (hi))
#define STRLEN(s) (sizeof("" s "") - 1)

/* Take ownership of a pointer (or fd): return it and leave NULL (or -1) behind. */
#define TAKE_PTR(p)                                \
        ({                                         \
                typeof(p) *_pp_ = &(p);            \
                typeof(p) _p_ = *_pp_;             \
                *_pp_ = NULL;                      \
                _p_;                               \
        })
#define TAKE_FD(fd)                                \
        ({                                         \
                int *_fdp_ = &(fd);                \
                int _fd_ = *_fdp_;                 \
                *_fdp_ = -1;                       \
                _fd_;                              \
        })

/* A cleanup function for a "T *" from a destructor "f(T *)"; the destructor must accept NULL or
 * is only called for non-NULL values. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                \
        static inline void func##p(type *p)                    \
        {                                                      \
                if (*p)                                        \
                        func(*p);                              \
        }

/* Return -errno from a libc call that returns -1 and sets errno. */
#define RET_NERRNO(expr)                                       \
        ({                                                     \
                typeof(expr) _r_ = (expr);                     \
                _r_ < 0 ? -errno : _r_;                        \
        })

/* errno is positive; some callers want a guaranteed negative value even for errno == 0. */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

static inline void freep(void *p)
{
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free(p) as an expression: "return mfree(x);" in destructors that return NULL. */
static inline void *mfree(void *p)
{
        free(p);
        return NULL;
}

/* Free @a and move @b into it, leaving @b NULL. */
#define free_and_replace(a, b)                                 \
        ({                                                     \
                free(a);                                       \
                (a) = (b);                                     \
                (b) = NULL;                                    \
                0;                                             \
        })

static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -1;
}
static inline void closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline const char *strna(const char *s)
{
        return s ?: "n/a";
}
static inline const char *strempty(const char *s)
{
        return s ?: "";
}
static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return streq(a, b);
}
static inline bool isempty(const char *s)
{
        return !s || !*s;
}

static inline const char *empty_to_null(const char *s)
{
        return isempty(s) ? NULL : s;
}

/* Replace the string *p owns with a copy of s (NULL allowed). Returns 0 or -ENOMEM. */
static inline int free_and_strdup(char **p, const char *s)
{
        char *t = NULL;

        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*p);
        *p = t;
        return 0;
}

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
