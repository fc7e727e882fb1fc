/* SPDX-License-Identifier: MIT */
/*
 * result-class.c: the string table of the diagnosis classes and the mapping from transport
 * outcomes. One table feeds the journal field, the status JSON and the CLI, so a class is spelt
 * the same everywhere.
 */

#include "common/result-class.h"

static const char *const result_class_table[_RESULT_CLASS_MAX] = {
        [RESULT_CLASS_OK] = "ok",
        [RESULT_CLASS_ACCESS_DENIED] = "access-denied",
        [RESULT_CLASS_KMS_DENIED] = "kms-denied",
        [RESULT_CLASS_CREDENTIALS_EXPIRED] = "credentials-expired",
        [RESULT_CLASS_CREDENTIALS_INVALID] = "credentials-invalid",
        [RESULT_CLASS_SIGNATURE_MISMATCH] = "signature-mismatch",
        [RESULT_CLASS_CLOCK_SKEW] = "clock-skew",
        [RESULT_CLASS_NO_CREDENTIALS] = "no-credentials",
        [RESULT_CLASS_IMDS_UNREACHABLE] = "imds-unreachable",
        [RESULT_CLASS_IMDS_TOKEN_TIMEOUT] = "imds-token-timeout",
        [RESULT_CLASS_IMDS_TOKEN_REFUSED] = "imds-token-refused",
        [RESULT_CLASS_IMDS_NO_ROLE] = "imds-no-role",
        [RESULT_CLASS_IMDS_CREDENTIALS_ERROR] = "imds-credentials-error",
        [RESULT_CLASS_BAD_RESPONSE] = "bad-response",
        [RESULT_CLASS_RESOURCE_NOT_FOUND] = "resource-not-found",
        [RESULT_CLASS_INVALID_REQUEST] = "invalid-request",
        [RESULT_CLASS_THROTTLED] = "throttled",
        [RESULT_CLASS_SERVER_ERROR] = "server-error",
        [RESULT_CLASS_DNS_FAILURE] = "dns-failure",
        [RESULT_CLASS_CONNECT_FAILED] = "connect-failed",
        [RESULT_CLASS_TIMEOUT] = "timeout",
        [RESULT_CLASS_TLS_FAILURE] = "tls-failure",
        [RESULT_CLASS_PROXY_FAILURE] = "proxy-failure",
        [RESULT_CLASS_STS_REGION_DISABLED] = "sts-region-disabled",
        [RESULT_CLASS_NOT_APPLICABLE] = "not-applicable",
        [RESULT_CLASS_AGENT_NOT_RUNNING] = "agent-not-running",
        [RESULT_CLASS_AGENT_ERRORS] = "agent-errors",
};

DEFINE_STRING_TABLE_LOOKUP(result_class, ResultClass, _RESULT_CLASS_MAX);

ResultClass result_class_from_transport(HttpTransport t)
{
        switch (t) {
        case HTTP_TRANSPORT_OK:
                return RESULT_CLASS_OK;
        case HTTP_TRANSPORT_DNS:
                return RESULT_CLASS_DNS_FAILURE;
        case HTTP_TRANSPORT_TIMEOUT:
                return RESULT_CLASS_TIMEOUT;
        case HTTP_TRANSPORT_TLS:
                return RESULT_CLASS_TLS_FAILURE;
        case HTTP_TRANSPORT_PROXY:
                return RESULT_CLASS_PROXY_FAILURE;
        case HTTP_TRANSPORT_TOO_LARGE:
        case HTTP_TRANSPORT_BAD_RESPONSE:
                return RESULT_CLASS_BAD_RESPONSE;
        case HTTP_TRANSPORT_CONNECT:
        case HTTP_TRANSPORT_RESET:
        case HTTP_TRANSPORT_OTHER:
        default:
                return RESULT_CLASS_CONNECT_FAILED;
        }
}

bool result_class_is_transient(ResultClass c)
{
        switch (c) {
        case RESULT_CLASS_THROTTLED:
        case RESULT_CLASS_SERVER_ERROR:
        case RESULT_CLASS_TIMEOUT:
        case RESULT_CLASS_CONNECT_FAILED:
                return true;
        default:
                return false;
        }
}
