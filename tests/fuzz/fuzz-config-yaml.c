/* SPDX-License-Identifier: MIT */
/*
 * fuzz-config-yaml.c: arbitrary bytes as cwguard.yaml. Whatever the input, config_load_string()
 * must return a Config or an error, never crash, hang or leak; a loaded Config then goes through
 * the environment overrides, the derived endpoint URLs and the duration formatter, and an error
 * through the formatter, so every consumer-facing path sees fuzzed values.
 */

#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char region[] = "AWS_REGION=eu-west-1";
        static char url[] = "AWS_ENDPOINT_URL=https://localhost:4566";
        static char imds[] = "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1338/";
        char *envp[] = { region, url, imds, NULL };
        _cleanup_(config_freep) Config *c = NULL;
        ConfigError e = CONFIG_ERROR_NULL;
        char *s = NULL;
        int r;

        r = config_load_string((const char *) data, size, "fuzz.yaml", &c, &e);
        if (r < 0) {
                if (config_error_format(&e, &s) >= 0)
                        free(s);
                config_error_done(&e);
                return 0;
        }

        if (config_apply_environment(c, envp, &e) < 0) {
                config_error_done(&e);
                return 0;
        }
        for (ConfigService i = 0; i < _CONFIG_SERVICE_MAX; i++)
                if (config_endpoint_url(c, i, /* region= */ NULL, &s) >= 0)
                        free(s);
        for (ConfigSetting i = 0; i < _CONFIG_SETTING_MAX; i++)
                (void) config_setting_get(c, i);
        {
                char buf[CONFIG_DURATION_STR_MAX];
                usec_t v;

                if (config_parse_duration(config_format_duration(c->interval, buf), &v) < 0 ||
                    v != c->interval)
                        abort(); /* the formatter's output must read back */
        }
        return 0;
}
