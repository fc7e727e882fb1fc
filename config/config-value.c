/* SPDX-License-Identifier: MIT */
/*
 * config-value.c: the rules a single configuration value must follow, apart from where it came
 * from. The same checks serve a YAML key (config.c) and the AWS SDK variable standing in for it
 * (config-env.c), so a region or an endpoint URL is judged identically wherever it is written.
 * Each check takes one NUL-terminated string and returns NULL or a static reason, quoting the AWS
 * API rule it implements; durations are parsed and formatted here for the same reason (the
 * parser's bounds are the ones error messages print back). Pure: no allocation, no logging, no
 * state. Deliberate limits: URLs are checked only as far as catching typos, not resolved.
 */

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/assume-role.h"
#include "common/agent-unit.h"
#include "config/config-internal.h"

/* ---- Strings ------------------------------------------------------------------------------- */

/*
 * Control characters in any string we keep could rewrite a terminal or forge a journal field
 * when the value is printed, so they are refused everywhere: C0 (tab and newline included), DEL,
 * C1 (U+0080..U+009F, i.e. 0xC2 0x80..0x9F in UTF-8) and NUL (a double-quoted "\0" would
 * otherwise silently truncate the value).
 */
bool config_string_has_control(const char *s, size_t n)
{
        if (strlen(s) != n || string_has_cc(s, /* ok= */ NULL))
                return true;
        for (size_t i = 0; i + 1 < n; i++)
                if ((unsigned char) s[i] == 0xc2 && (unsigned char) s[i + 1] >= 0x80 &&
                    (unsigned char) s[i + 1] <= 0x9f)
                        return true;
        return false;
}

/* ---- Checks -------------------------------------------------------------------------------- */

const char *config_check_region(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
                return "a region is 1 to 32 characters of [a-z0-9-], e.g. us-east-1";
        return NULL;
}

static bool scheme_is(const char *s, const char *scheme, const char **ret_rest)
{
        size_t n = strlen(scheme);

        if (strncasecmp(s, scheme, n) != 0 || !(s[n] == ':' && s[n + 1] == '/' && s[n + 2] == '/'))
                return false;
        *ret_rest = s + n + 3;
        return true;
}

/*
 * Just enough of RFC 3986 to catch typos before the first request: a scheme from @schemes,
 * an authority with a host (a name, an IPv4 address or a bracketed IPv6 address) and an
 * optional port, then an optional path. User information only where @userinfo (proxies).
 */
static const char *check_url(const char *s, const char *const *schemes, bool userinfo)
{
        const char *rest = NULL, *host, *end, *port = NULL;
        size_t n;

        if (strlen(s) > 2048)
                return "the URL is longer than 2048 characters";
        for (const char *const *sc = schemes; *sc && !rest; sc++)
                (void) scheme_is(s, *sc, &rest);
        if (!rest)
                return schemes[1] ? "must be an http:// or https:// URL"
                                  : "must be an https:// URL";
        if (strpbrk(s, " \"<>\\^`{|}"))
                return "the URL contains a space or a character that must be escaped";
        if (strpbrk(rest, "?#"))
                return "the URL must not have a query or a fragment";

        n = strcspn(rest, "/");
        host = memrchr(rest, '@', n);
        if (host) {
                if (!userinfo)
                        return "the URL must not contain user information";
                host++;
        } else
                host = rest;
        end = rest + n;

        if (*host == '[') {
                const char *close = memchr(host, ']', (size_t) (end - host));

                if (!close || close == host + 1 ||
                    strspn(host + 1, "0123456789abcdefABCDEF:.") != (size_t) (close - host - 1))
                        return "the URL has an invalid IPv6 address";
                if (close + 1 < end && close[1] != ':')
                        return "the URL has an invalid host";
                if (close + 1 < end)
                        port = close + 2;
        } else {
                const char *colon = memchr(host, ':', (size_t) (end - host));
                size_t hn = (size_t) ((colon ?: end) - host);

                if (hn == 0)
                        return "the URL has no host";
                for (size_t i = 0; i < hn; i++)
                        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-_", host[i]))
                                return "the URL has an invalid host";
                if (colon)
                        port = colon + 1;
        }
        if (port) {
                size_t pn = (size_t) (end - port);
                unsigned long v = 0;

                if (pn < 1 || pn > 5 || strspn(port, "0123456789") < pn)
                        return "the URL has an invalid port";
                for (size_t i = 0; i < pn; i++)
                        v = v * 10 + (unsigned long) (port[i] - '0');
                if (v < 1 || v > 65535)
                        return "the URL has an invalid port";
        }
        return NULL;
}

const char *config_check_aws_url(const char *s)
{
        static const char *const schemes[] = { "https", NULL };

        return check_url(s, schemes, /* userinfo= */ false);
}

const char *config_check_imds_url(const char *s)
{
        static const char *const schemes[] = { "http", "https", NULL };

        return check_url(s, schemes, /* userinfo= */ false);
}

const char *config_check_proxy_url(const char *s)
{
        /* The schemes libcurl knows for proxies. "" is libcurl's "no proxy, whatever the
         * environment says". */
        static const char *const schemes[] = { "http", "https", "socks4", "socks4a", "socks5",
                                               "socks5h", NULL };
        const char *reason;

        if (!*s)
                return NULL;
        reason = check_url(s, schemes, /* userinfo= */ true);
        if (reason && strstr(reason, "must be"))
                return "must be an http://, https:// or socks5h:// (etc.) URL, or \"\" for none";
        return reason;
}

const char *config_check_no_proxy(const char *s)
{
        return strlen(s) > 4096 ? "the list is longer than 4096 characters" : NULL;
}

const char *config_check_path(const char *s)
{
        if (s[0] != '/')
                return "must be an absolute path";
        if (strlen(s) >= PATH_MAX)
                return "the path is too long";
        return NULL;
}

const char *config_check_path_or_empty(const char *s)
{
        return isempty(s) ? NULL : config_check_path(s);
}

const char *config_check_role_arn(const char *s)
{
        return role_arn_check(s);
}

/* agent.unit: a unit name systemd would accept, or "" (no agent:unit probe). */
const char *config_check_unit(const char *s)
{
        if (isempty(s) || agent_unit_name_is_valid(s))
                return NULL;
        return "not a unit name (e.g. amazon-cloudwatch-agent.service), or \"\" to disable the "
               "agent:unit probe";
}

const char *config_check_profile(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > 128 || strpbrk(s, "[]"))
                return "a profile name is 1 to 128 characters, without '[' or ']'";
        return NULL;
}

/* PutMetricData: Namespace "min 1, max 255, pattern [^:].*"; "You can use ASCII characters for
 * the namespace, except for control characters"; "AWS/" is reserved for AWS services. */
const char *config_check_namespace(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > 255)
                return "a namespace is 1 to 255 characters";
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] >= 0x80)
                        return "a namespace is ASCII only";
        if (s[0] == ':')
                return "a namespace must not start with ':'";
        if (strncmp(s, "AWS/", 4) == 0)
                return "a namespace must not start with 'AWS/' (reserved for AWS services)";
        return NULL;
}

/* CreateLogGroup/PutLogEvents: logGroupName 1-512 of [\.\-_/#A-Za-z0-9]+. */
const char *config_check_log_group(const char *s)
{
        size_t n = strlen(s);

        if (n < 1 || n > 512 ||
            strspn(s, "._-/#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n)
                return "a log group name is 1 to 512 characters of [.-_/#A-Za-z0-9]";
        return NULL;
}

/* logStreamName 1-512 of [^:*]*; the {placeholders} are expanded per host by the logs probe. */
const char *config_check_log_stream(const char *s)
{
        static const char *const placeholders[] = { "instance_id", "hostname", "local_hostname",
                                                    "ip_address", NULL };
        size_t n = strlen(s);

        if (n < 1 || n > 512)
                return "a log stream name is 1 to 512 characters";
        if (strpbrk(s, ":*"))
                return "a log stream name must not contain ':' or '*'";
        for (const char *p = s; *p; p++) {
                const char *close;
                bool known = false;

                if (*p == '}')
                        return "unbalanced '}' (placeholders are written {name})";
                if (*p != '{')
                        continue;
                close = strchr(p, '}');
                if (!close)
                        return "unterminated placeholder (placeholders are written {name})";
                for (const char *const *ph = placeholders; *ph; ph++)
                        if (strlen(*ph) == (size_t) (close - p - 1) &&
                            strncmp(p + 1, *ph, strlen(*ph)) == 0)
                                known = true;
                if (!known)
                        return "unknown placeholder (known: {instance_id}, {hostname}, "
                               "{local_hostname}, {ip_address})";
                p = close;
        }
        return NULL;
}

/* An AutoScalingGroupName is 1-255 characters; "" means "no such dimension", "auto" (the
 * default) "the instance's aws:autoscaling:groupName tag". */
const char *config_check_auto_scaling_group(const char *s)
{
        if (strlen(s) > 255)
                return "an Auto Scaling group name is at most 255 characters";
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return "an Auto Scaling group name holds no control characters";
        return NULL;
}

/* ---- Scalars ------------------------------------------------------------------------------- */

int config_parse_duration(const char *s, usec_t *ret)
{
        static const struct {
                const char *suffix;
                usec_t unit;
        } units[] = {
                { "ms", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },
                { "m", USEC_PER_MINUTE },
                { "h", USEC_PER_HOUR },
                { "", USEC_PER_SEC },
        };
        uint64_t whole = 0, frac = 0, frac_scale = 1;
        bool overflow = false;
        usec_t unit = 0, v;
        const char *p;

        if (!s)
                return -EINVAL;
        /* "-1" is a number, just not an allowed one; "-x" is not a number at all. */
        if (s[0] == '-')
                return s[1] >= '0' && s[1] <= '9' ? -ERANGE : -EINVAL;
        if (!(s[0] >= '0' && s[0] <= '9'))
                return -EINVAL;

        for (p = s; *p >= '0' && *p <= '9'; p++) {
                if (whole > (UINT64_MAX - 9) / 10)
                        overflow = true;
                else
                        whole = whole * 10 + (uint64_t) (*p - '0');
        }
        if (*p == '.') {
                p++;
                if (!(*p >= '0' && *p <= '9'))
                        return -EINVAL;
                /* Nine digits are more than a microsecond of an hour needs; the rest must still
                 * be digits but do not count. */
                for (; *p >= '0' && *p <= '9'; p++)
                        if (frac_scale < 1000000000) {
                                frac = frac * 10 + (uint64_t) (*p - '0');
                                frac_scale *= 10;
                        }
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(p, units[i].suffix)) {
                        unit = units[i].unit;
                        break;
                }
        if (unit == 0)
                return -EINVAL;

        if (overflow || whole > (UINT64_MAX - unit) / unit)
                return -ERANGE;
        /* frac < 10^9 and unit <= 3.6 * 10^9: the product stays below 2^64. */
        v = whole * unit + frac * unit / frac_scale;
        if (v < CONFIG_DURATION_MIN || v > CONFIG_DURATION_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}

const char *config_format_duration(usec_t t, char buf[static CONFIG_DURATION_STR_MAX])
{
        if (t > 0 && t % USEC_PER_HOUR == 0)
                snprintf(buf, CONFIG_DURATION_STR_MAX, "%" PRIu64 "h", t / USEC_PER_HOUR);
        else if (t > 0 && t % USEC_PER_MINUTE == 0)
                snprintf(buf, CONFIG_DURATION_STR_MAX, "%" PRIu64 "m", t / USEC_PER_MINUTE);
        else if (t > 0 && t % USEC_PER_SEC == 0)
                snprintf(buf, CONFIG_DURATION_STR_MAX, "%" PRIu64 "s", t / USEC_PER_SEC);
        else if (t % USEC_PER_MSEC == 0)
                snprintf(buf, CONFIG_DURATION_STR_MAX, "%" PRIu64 "ms", t / USEC_PER_MSEC);
        else {
                char *e;

                snprintf(buf, CONFIG_DURATION_STR_MAX, "%" PRIu64 ".%06" PRIu64,
                         t / USEC_PER_SEC, t % USEC_PER_SEC);
                for (e = buf + strlen(buf) - 1; *e == '0'; e--)
                        *e = 0;
        }
        return buf;
}

/* YAML 1.1 spellings of the booleans we accept. */
int config_parse_boolean(const char *s, bool *ret)
{
        static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", NULL };
        static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", NULL };

        for (size_t i = 0; yes[i]; i++) {
                if (streq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (streq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/* Normalise "http://169.254.169.254/" to what callers append "/latest/..." to. */
void config_strip_one_slash(char *s)
{
        size_t n = strlen(s);

        if (n > 0 && s[n - 1] == '/')
                s[n - 1] = 0;
}
