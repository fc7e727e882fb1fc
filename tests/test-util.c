/* SPDX-License-Identifier: MIT */
/* test-util.c: the generic helpers: timestamps, string vectors, hex, capped file reads. */

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/test.h"

static void test_iso8601(void)
{
        char buf[ISO8601_MAX];
        usec_t t;

        ASSERT_OK(iso8601_parse("2015-08-30T12:36:00Z", &t));
        ASSERT_EQ(t, 1440938160ULL * USEC_PER_SEC);
        ASSERT_STREQ(iso8601_format(t, buf), "2015-08-30T12:36:00Z");
        ASSERT_OK(iso8601_parse("2015-08-30T12:36:00.250Z", &t));
        ASSERT_EQ(t, 1440938160ULL * USEC_PER_SEC + 250000);
        ASSERT_ERROR(iso8601_parse("2015-08-30 12:36:00Z", &t), EINVAL);
        ASSERT_ERROR(iso8601_parse("2015-08-30T12:36:00", &t), EINVAL);
        ASSERT_ERROR(iso8601_parse("2015-13-30T12:36:00Z", &t), EINVAL);
        ASSERT_ERROR(iso8601_parse("", &t), EINVAL);
        ASSERT_ERROR(iso8601_parse(NULL, &t), EINVAL);
        ASSERT_ERROR(iso8601_parse("2015-08-30T12:36:00Zjunk", &t), EINVAL);
}

static void test_http_date(void)
{
        usec_t t;

        ASSERT_OK(http_date_parse("Sun, 30 Aug 2015 12:36:00 GMT", &t));
        ASSERT_EQ(t, 1440938160ULL * USEC_PER_SEC);
        ASSERT_ERROR(http_date_parse("Sun, 30 Foo 2015 12:36:00 GMT", &t), EINVAL);
        ASSERT_ERROR(http_date_parse("Sun, 30 Aug 2015 12:36:00 UTC", &t), EINVAL);
        ASSERT_ERROR(http_date_parse("garbage", &t), EINVAL);
}

static void test_strv(void)
{
        _cleanup_strv_free_ char **l = NULL, **c = NULL;

        ASSERT_EQ(strv_length(l), 0);
        ASSERT_OK(strv_extend(&l, "a"));
        ASSERT_OK(strv_extend(&l, "b"));
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_TRUE(strv_contains(l, "b"));
        ASSERT_FALSE(strv_contains(l, "c"));
        ASSERT_OK(strv_copy(l, &c));
        ASSERT_STREQ(c[1], "b");
        ASSERT_NULL(c[2]);
        ASSERT_OK(strv_extendf(&l, "%s:%u: %s", "f.toml", 3u, "c"));
        ASSERT_STREQ(l[2], "f.toml:3: c");
        ASSERT_NULL(l[3]);
}

static void test_hex(void)
{
        char out[9];

        hexlify("\x01\xab\xff\x00", 4, out);
        ASSERT_STREQ(out, "01abff00");
}

static void test_read_file_capped(void)
{
        char path[] = "/tmp/cwguard-test-util-XXXXXX";
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -1;
        size_t n;

        fd = mkstemp(path);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, "hello", 5), 5);
        ASSERT_OK(read_file_capped(path, 100, &data, &n));
        ASSERT_STREQ(data, "hello");
        ASSERT_EQ(n, 5);
        ASSERT_ERROR(read_file_capped(path, 4, &data, &n), EFBIG);
        ASSERT_ERROR(read_file_capped("/nonexistent/x", 4, &data, &n), ENOENT);
        unlink(path);
}

static void test_string_has_cc(void)
{
        ASSERT_FALSE(string_has_cc("plain text", NULL));
        ASSERT_TRUE(string_has_cc("a\nb", NULL));
        ASSERT_FALSE(string_has_cc("a\nb", "\n"));
        ASSERT_TRUE(string_has_cc("esc\033[31m", NULL));
}

static void test_string_one_line(void)
{
        /* C0, DEL and C1 (U+009B, the 8-bit CSI, is 0xC2 0x9B) all become spaces; other
         * UTF-8 (é, U+00A0) stays; the cut never splits a sequence. */
        char s[] = "a\nCWGUARD_CLASS=ok\r\x1b[2J\x7f\xc2\x9b" "31m\xc3\xa9\xc2\xa0\xc2\x85z";
        char t[] = "ab\xc3\xa9";

        ASSERT_TRUE(utf8_is_c1("\xc2\x80"));
        ASSERT_TRUE(utf8_is_c1("\xc2\x9f"));
        ASSERT_FALSE(utf8_is_c1("\xc2\xa0"));
        ASSERT_FALSE(utf8_is_c1("\xc2"));
        string_one_line(s, SIZE_MAX);
        ASSERT_STREQ(s, "a CWGUARD_CLASS=ok  [2J   31m\xc3\xa9\xc2\xa0  z");
        string_one_line(t, 3);
        ASSERT_STREQ(t, "ab");
}

static void test_strextend(void)
{
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(strextend_printf(&s, "%s=%d", "a", 1));
        ASSERT_OK(strextend_printf(&s, ",%s", "b"));
        ASSERT_STREQ(s, "a=1,b");
}

/* u64_round() is llround() on [0, 2^63): halves away from zero, exact near the edges of a
 * double's precision, and integers above 2^52 unchanged. */
static void test_u64_round(void)
{
        ASSERT_EQ(u64_round(0.0), 0);
        ASSERT_EQ(u64_round(0.49999999999999994), 0);    /* x + 0.5 would give 1 */
        ASSERT_EQ(u64_round(0.5), 1);
        ASSERT_EQ(u64_round(1.4999), 1);
        ASSERT_EQ(u64_round(2.5), 3);
        ASSERT_EQ(u64_round(43199.5), 43200);
        ASSERT_EQ(u64_round(4503599627370495.5), 4503599627370496ULL);  /* 2^52 - 0.5 */
        ASSERT_EQ(u64_round(9007199254740993.0), 9007199254740992ULL);  /* 2^53 + 1 as a double */
        ASSERT_EQ(u64_round(1e18), 1000000000000000000ULL);
        /* status-parse.c: a duration written as ms with 3 decimals comes back to the µs. */
        ASSERT_EQ(u64_round(1234.567 * 1000.0), 1234567);
        ASSERT_EQ(u64_round(0.001 * 1000.0), 1);
}

int main(void)
{
        TEST(test_iso8601);
        TEST(test_http_date);
        TEST(test_strv);
        TEST(test_hex);
        TEST(test_read_file_capped);
        TEST(test_string_has_cc);
        TEST(test_string_one_line);
        TEST(test_strextend);
        TEST(test_u64_round);
        return 0;
}
