/* SPDX-License-Identifier: MIT */
/*
 * credentials-file.c: the two local sources of the provider chain, decided at once without the
 * loop: the environment (AWS_ACCESS_KEY_ID and friends, read from the vector the provider was
 * given, never getenv) and the shared credentials file, with its INI parser. The parser is pure
 * and exported for tests and fuzzing; it takes the named profile's keys the way botocore's
 * configparser reads them and refuses values that could not be credentials. Every copy of a
 * secret it makes is wiped. The file source reads one small local file (capped at 1 MiB) and
 * reports why it found nothing as text for the provider's "no credentials" message. No logging,
 * no globals; the provider in credentials.c owns everything these functions return.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/credentials-internal.h"
#include "common/credentials.h"

#define CREDENTIALS_FILE_MAX (1024U * 1024U)
#define KEY_ID_MAX 128U
#define SECRET_MAX 256U
#define SESSION_TOKEN_MAX 16384U

/* A key, secret or token: non-empty, bounded, no whitespace or control characters. */
static bool credential_value_ok(const char *s, size_t max)
{
        size_t n = strlen(s);

        if (n == 0 || n > max)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= ' ' || *p == 127)
                        return false;
        return true;
}

/* The value of @name in @envp, or NULL if it is unset or empty. */
static const char *strv_env_get(char *const *envp, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; envp && envp[i]; i++)
                if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
                        return isempty(envp[i] + n + 1) ? NULL : envp[i] + n + 1;
        return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The shared credentials file
 */

static char *strip(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && strchr(" \t\r", e[-1]))
                *--e = 0;
        return s;
}

typedef enum FileKey {
        FILE_KEY_NONE = -1,
        FILE_KEY_ID,
        FILE_KEY_SECRET,
        FILE_KEY_TOKEN,
} FileKey;

static FileKey file_key_from_name(const char *k)
{
        if (strcasecmp(k, "aws_access_key_id") == 0)
                return FILE_KEY_ID;
        if (strcasecmp(k, "aws_secret_access_key") == 0)
                return FILE_KEY_SECRET;
        if (strcasecmp(k, "aws_session_token") == 0 || strcasecmp(k, "aws_security_token") == 0)
                return FILE_KEY_TOKEN;
        return FILE_KEY_NONE;
}

static const char *const file_key_names[] = {
        [FILE_KEY_ID] = "aws_access_key_id",
        [FILE_KEY_SECRET] = "aws_secret_access_key",
        [FILE_KEY_TOKEN] = "aws_session_token",
};

static void file_error(char **reterr, const char *fmt, ...) _printf_(2, 3);
static void file_error(char **reterr, const char *fmt, ...)
{
        va_list ap;

        if (!reterr)
                return;
        va_start(ap, fmt);
        *reterr = credentials_format_message(fmt, ap);
        va_end(ap);
}

static void erase_values(char *(*values)[3])
{
        for (size_t i = 0; i < ELEMENTSOF(*values); i++)
                erase_and_free((*values)[i]);
}

int credentials_file_parse(const char *data, size_t size, const char *profile,
                           AwsCredentials **ret, char **reterr_message)
{
        _cleanup_erase_free_ char *copy = NULL;
        _cleanup_(erase_values) char *values[3] = {};
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        static const size_t max[3] = { KEY_ID_MAX, SECRET_MAX, SESSION_TOKEN_MAX };
        FileKey last = FILE_KEY_NONE;
        bool in_profile = false, found = false;
        unsigned line_no = 0;
        const char *nul;
        size_t n;
        char *p;

        if (!data || !profile || !ret)
                return -EINVAL;

        /* A private NUL-terminated copy (wiped on return: it holds the secrets); an embedded NUL
         * ends the text, as it would for any C reader of the file. */
        nul = memchr(data, 0, size);
        n = nul ? (size_t) (nul - data) : size;
        copy = malloc(n + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, data, n);
        copy[n] = 0;
        p = copy;
        if (strncmp(p, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte order mark */
                p += 3;

        while (p) {
                char *line = p, *s, *eq;
                FileKey k;

                p = strchr(p, '\n');
                if (p)
                        *p++ = 0;
                line_no++;

                s = strip(line);
                if (*s == 0 || *s == '#' || *s == ';')
                        continue;

                if (s != line) {
                        /* configparser: an indented line continues the previous value. Our keys
                         * are single tokens, so a continuation of one of them is an error. */
                        if (in_profile && last != FILE_KEY_NONE) {
                                file_error(reterr_message,
                                           "profile '%s', line %u: %s continues on an indented "
                                           "line", profile, line_no, file_key_names[last]);
                                return -EBADMSG;
                        }
                        continue;
                }

                if (*s == '[') {
                        char *end = strchr(s, ']');

                        last = FILE_KEY_NONE;
                        if (!end) {
                                in_profile = false;
                                continue;
                        }
                        *end = 0;
                        in_profile = streq(strip(s + 1), profile);
                        found = found || in_profile;
                        continue;
                }

                if (!in_profile)
                        continue;

                eq = strpbrk(s, "=:");
                if (!eq) {
                        file_error(reterr_message, "profile '%s', line %u: not 'key = value'",
                                   profile, line_no);
                        return -EBADMSG;
                }
                *eq = 0;
                k = file_key_from_name(strip(s));
                last = k;
                if (k == FILE_KEY_NONE)
                        continue;

                s = strip(eq + 1);
                if (*s != 0 && !credential_value_ok(s, max[k])) {
                        file_error(reterr_message,
                                   "profile '%s', line %u: %s has an invalid value (whitespace, "
                                   "control characters or too long)",
                                   profile, line_no, file_key_names[k]);
                        return -EBADMSG;
                }
                erase_and_free(values[k]);
                values[k] = NULL;
                if (*s != 0) {
                        values[k] = strdup(s);
                        if (!values[k])
                                return -ENOMEM;
                }
        }

        if (!found)
                return -ENOENT;
        for (FileKey k = FILE_KEY_ID; k <= FILE_KEY_SECRET; k++)
                if (!values[k]) {
                        file_error(reterr_message, "profile '%s' lacks %s", profile,
                                   file_key_names[k]);
                        return -EBADMSG;
                }

        c = calloc(1, sizeof(AwsCredentials));
        if (!c)
                return -ENOMEM;
        c->source = CREDENTIAL_SOURCE_SHARED_FILE;
        c->access_key_id = TAKE_PTR(values[FILE_KEY_ID]);
        c->secret_access_key = TAKE_PTR(values[FILE_KEY_SECRET]);
        c->session_token = TAKE_PTR(values[FILE_KEY_TOKEN]);
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The sources
 */

int credentials_source_environment(char *const *envp, AwsCredentials **ret,
                                   CredentialsResult *res, char **reasons)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        const char *id, *secret, *token, *exp;

        id = strv_env_get(envp, "AWS_ACCESS_KEY_ID");
        secret = strv_env_get(envp, "AWS_SECRET_ACCESS_KEY");
        token = strv_env_get(envp, "AWS_SESSION_TOKEN") ?: strv_env_get(envp, "AWS_SECURITY_TOKEN");
        exp = strv_env_get(envp, "AWS_CREDENTIAL_EXPIRATION");

        res->source = CREDENTIAL_SOURCE_ENVIRONMENT;
        res->class = RESULT_CLASS_NO_CREDENTIALS;
        if (!id) {
                (void) strextend_printf(reasons, "environment: AWS_ACCESS_KEY_ID is not set%s",
                                        secret ? " (AWS_SECRET_ACCESS_KEY is, and is ignored)"
                                               : "");
                return SOURCE_ABSENT;
        }
        if (!secret) {
                credentials_set_message(&res->message,
                                        "AWS_ACCESS_KEY_ID is set in the environment but "
                                        "AWS_SECRET_ACCESS_KEY is not");
                return SOURCE_FAILED;
        }
        if (!credential_value_ok(id, KEY_ID_MAX) || !credential_value_ok(secret, SECRET_MAX) ||
            (token && !credential_value_ok(token, SESSION_TOKEN_MAX))) {
                credentials_set_message(&res->message,
                                        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or "
                                        "AWS_SESSION_TOKEN in the environment holds whitespace or "
                                        "control characters, or is too long");
                return SOURCE_FAILED;
        }

        c = calloc(1, sizeof(AwsCredentials));
        if (!c)
                return -ENOMEM;
        c->source = CREDENTIAL_SOURCE_ENVIRONMENT;
        if (exp && iso8601_parse(exp, &c->expiration) < 0) {
                credentials_set_message(&res->message,
                                        "AWS_CREDENTIAL_EXPIRATION in the environment is not an "
                                        "ISO 8601 UTC time");
                return SOURCE_FAILED;
        }
        if (credentials_strdup_or_null(id, &c->access_key_id) < 0 ||
            credentials_strdup_or_null(secret, &c->secret_access_key) < 0 ||
            credentials_strdup_or_null(token, &c->session_token) < 0 ||
            credentials_strdup_or_null("environment", &c->source_detail) < 0)
                return -ENOMEM;

        res->class = RESULT_CLASS_OK;
        *ret = TAKE_PTR(c);
        return SOURCE_FOUND;
}

int credentials_source_shared_file(char *const *envp, const char *file, const char *profile,
                                   AwsCredentials **ret, CredentialsResult *res, char **reasons)
{
        _cleanup_(aws_credentials_freep) AwsCredentials *c = NULL;
        _cleanup_free_ char *path_buf = NULL, *err = NULL;
        _cleanup_free_ char *data = NULL;
        const char *path, *home;
        struct stat st;
        size_t size;
        int r;

        res->source = CREDENTIAL_SOURCE_SHARED_FILE;
        res->class = RESULT_CLASS_NO_CREDENTIALS;

        profile = profile ?: strv_env_get(envp, "AWS_PROFILE") ?: CREDENTIALS_DEFAULT_PROFILE;
        path = file ?: strv_env_get(envp, "AWS_SHARED_CREDENTIALS_FILE");
        if (!path) {
                home = strv_env_get(envp, "HOME");
                if (!home) {
                        (void) strextend_printf(reasons, "; shared-file: no file given and HOME "
                                                         "is not set");
                        return SOURCE_ABSENT;
                }
                if (asprintf(&path_buf, "%s/.aws/credentials", home) < 0) {
                        path_buf = NULL;
                        return -ENOMEM;
                }
                path = path_buf;
        }

        if (stat(path, &st) < 0) {
                (void) strextend_printf(reasons, "; shared-file: %s: %s", path,
                                        errno == ENOENT ? "does not exist" : strerror(errno));
                return SOURCE_ABSENT;
        }
        r = read_file_capped(path, CREDENTIALS_FILE_MAX, &data, &size);
        if (r < 0) {
                /* Unreadable is "nothing here" as for botocore, but the reason is kept. */
                (void) strextend_printf(reasons, "; shared-file: cannot read %s: %s", path,
                                        strerror(-r));
                return SOURCE_ABSENT;
        }

        r = credentials_file_parse(data, size, profile, &c, &err);
        OPENSSL_cleanse(data, size);
        if (r == -ENOENT) {
                (void) strextend_printf(reasons, "; shared-file: no profile '%s' in %s", profile,
                                        path);
                return SOURCE_ABSENT;
        }
        /* "readable by group/other": the daemon warns, the result only says so. */
        res->insecure_permissions = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                credentials_set_message(&res->message, "%s in %s", err ?: "malformed profile",
                                        path);
                return SOURCE_FAILED;
        }

        if (asprintf(&c->source_detail, "profile %s in %s", profile, path) < 0) {
                c->source_detail = NULL;
                return -ENOMEM;
        }
        res->class = RESULT_CLASS_OK;
        *ret = TAKE_PTR(c);
        return SOURCE_FOUND;
}
