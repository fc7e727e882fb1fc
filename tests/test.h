#pragma once
/* SPDX-License-Identifier: MIT */
/* test.h: the tiny assertion kit of cwguard's plain-C unit tests. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each failed assertion prints the expression, the values and the location, then aborts the test
 * binary: meson reports the test as failed and the output says exactly what differed.
 */
#define ASSERT_TRUE(expr)                                                                  \
        do {                                                                               \
                if (!(expr)) {                                                             \
                        fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", __FILE__,    \
                                __LINE__, __func__, #expr);                                \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_FALSE(expr) ASSERT_TRUE(!(expr))

#define ASSERT_EQ(a, b)                                                                    \
        do {                                                                               \
                intmax_t _a_ = (intmax_t) (a), _b_ = (intmax_t) (b);                       \
                if (_a_ != _b_) {                                                          \
                        fprintf(stderr, "%s:%d: %s: %s == %s failed: %jd != %jd\n",        \
                                __FILE__, __LINE__, __func__, #a, #b, _a_, _b_);           \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_NE(a, b)                                                                    \
        do {                                                                               \
                intmax_t _a_ = (intmax_t) (a), _b_ = (intmax_t) (b);                       \
                if (_a_ == _b_) {                                                          \
                        fprintf(stderr, "%s:%d: %s: %s != %s failed: both %jd\n",          \
                                __FILE__, __LINE__, __func__, #a, #b, _a_);                \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_OK(expr)                                                                    \
        do {                                                                               \
                intmax_t _r_ = (intmax_t) (expr);                                          \
                if (_r_ < 0) {                                                             \
                        fprintf(stderr, "%s:%d: %s: %s failed: %jd (%s)\n", __FILE__,      \
                                __LINE__, __func__, #expr, _r_, strerror((int) -_r_));     \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_ERROR(expr, err)                                                            \
        do {                                                                               \
                intmax_t _r_ = (intmax_t) (expr);                                          \
                if (_r_ != -(intmax_t) (err)) {                                            \
                        fprintf(stderr, "%s:%d: %s: %s == -%s failed: got %jd\n",          \
                                __FILE__, __LINE__, __func__, #expr, #err, _r_);           \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_STREQ(a, b)                                                                 \
        do {                                                                               \
                const char *_a_ = (a), *_b_ = (b);                                         \
                if (!_a_ || !_b_ || strcmp(_a_, _b_) != 0) {                               \
                        fprintf(stderr, "%s:%d: %s: %s == %s failed: \"%s\" != \"%s\"\n",  \
                                __FILE__, __LINE__, __func__, #a, #b, _a_ ?: "(null)",     \
                                _b_ ?: "(null)");                                          \
                        abort();                                                           \
                }                                                                          \
        } while (0)
#define ASSERT_NULL(expr) ASSERT_TRUE((expr) == NULL)

/* @a equals @b, or both are NULL. */
#define ASSERT_STREQ_NULL(a, b)                                                            \
        do {                                                                               \
                const char *_e_ = (b);                                                     \
                if (_e_)                                                                   \
                        ASSERT_STREQ(a, _e_);                                              \
                else                                                                       \
                        ASSERT_NULL(a);                                                    \
        } while (0)

/* A string literal or pointer and its length, for (data, size) parsers. */
#define SL(s) (s), strlen(s)
#define ASSERT_NOT_NULL(expr) ASSERT_TRUE((expr) != NULL)

/* Announce and run one test function. */
#define TEST(fn)                                                                           \
        do {                                                                               \
                fprintf(stderr, "== %s\n", #fn);                                           \
                fn();                                                                      \
        } while (0)

/* Exit code that tells meson the test was skipped (e.g. a tool is not installed). */
#define EXIT_TEST_SKIP 77
