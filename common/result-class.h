#pragma once
/* SPDX-License-Identifier: MIT */
/* result-class.h: the stable diagnosis classes every probe result carries. */

#include <errno.h>

#include "common/http.h"
#include "common/macro.h"

/*
 * One class per distinct operator remedy. The strings are a public contract: they appear in the
 * journal (CWGUARD_CLASS=), the status JSON and `cwguardctl`, and operators alert on them. Append
 * new classes; never rename or renumber-by-meaning an existing string.
 */
typedef enum ResultClass {
        RESULT_CLASS_OK,
        RESULT_CLASS_ACCESS_DENIED,
        RESULT_CLASS_KMS_DENIED,
        RESULT_CLASS_CREDENTIALS_EXPIRED,
        RESULT_CLASS_CREDENTIALS_INVALID,
        RESULT_CLASS_SIGNATURE_MISMATCH,
        RESULT_CLASS_CLOCK_SKEW,
        RESULT_CLASS_NO_CREDENTIALS,
        RESULT_CLASS_IMDS_UNREACHABLE,
        RESULT_CLASS_IMDS_TOKEN_TIMEOUT,
        RESULT_CLASS_IMDS_TOKEN_REFUSED,
        RESULT_CLASS_IMDS_NO_ROLE,
        RESULT_CLASS_IMDS_CREDENTIALS_ERROR,
        RESULT_CLASS_BAD_RESPONSE,
        RESULT_CLASS_RESOURCE_NOT_FOUND,
        RESULT_CLASS_INVALID_REQUEST,
        RESULT_CLASS_THROTTLED,
        RESULT_CLASS_SERVER_ERROR,
        RESULT_CLASS_DNS_FAILURE,
        RESULT_CLASS_CONNECT_FAILED,
        RESULT_CLASS_TIMEOUT,
        RESULT_CLASS_TLS_FAILURE,
        RESULT_CLASS_PROXY_FAILURE,
        RESULT_CLASS_STS_REGION_DISABLED, /* STS deactivated in the region (AssumeRole) */
        RESULT_CLASS_NOT_APPLICABLE,   /* the check does not apply here (reported with ok: true) */
        RESULT_CLASS_AGENT_NOT_RUNNING, /* the agent's unit is not active, or restart-looping */
        RESULT_CLASS_AGENT_ERRORS,     /* the agent's log has new error lines */
        _RESULT_CLASS_MAX,
        _RESULT_CLASS_INVALID = -EINVAL,
} ResultClass;

/**
 * result_class_to_string() - the stable name ("ok", "access-denied", ...), NULL if out of range.
 */
const char *result_class_to_string(ResultClass c) _const_;

/**
 * result_class_from_string() - the inverse; _RESULT_CLASS_INVALID for an unknown name.
 */
ResultClass result_class_from_string(const char *s) _pure_;

/**
 * result_class_from_transport() - the class of a transport failure (OK for HTTP_TRANSPORT_OK).
 *
 * TOO_LARGE and BAD_RESPONSE map to bad-response; RESET to connect-failed; OTHER to
 * connect-failed as well, since whatever happened, no answer came back from the endpoint.
 */
ResultClass result_class_from_transport(HttpTransport t) _const_;

/**
 * result_class_is_transient() - whether a retry may help (throttling, 5xx, timeouts, resets).
 */
bool result_class_is_transient(ResultClass c) _const_;
