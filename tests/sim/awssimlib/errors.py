# SPDX-License-Identifier: MIT
"""AWS error shapes: query XML (STS, CloudWatch query), awsJson1_0 query-compatible (CloudWatch
JSON, `x-amzn-query-error`) and awsJson1_1 (Logs); and the access-denied message grammar
(aws-wire-formats.md §2.2, §2.3, §3.3, §5).
"""

import json
from xml.sax.saxutils import escape

XMLNS = {
    'sts': 'https://sts.amazonaws.com/doc/2011-06-15/',
    'monitoring': 'http://monitoring.amazonaws.com/doc/2010-08-01/',
}

# Common (coral) errors: name -> (query code, query status, JSON code, JSON status, message).
COMMON = {
    'missing-auth': ('MissingAuthenticationToken', 403, 'MissingAuthenticationTokenException', 400,
                     'Request is missing Authentication Token'),
    'incomplete': ('IncompleteSignature', 400, 'IncompleteSignatureException', 400, None),
    'invalid-token': ('InvalidClientTokenId', 403, 'UnrecognizedClientException', 400,
                      'The security token included in the request is invalid.'),
    'expired-token': ('ExpiredToken', 403, 'ExpiredTokenException', 400,
                      'The security token included in the request is expired'),
    'signature': ('SignatureDoesNotMatch', 403, 'InvalidSignatureException', 400,
                  'The request signature we calculated does not match the signature you '
                  'provided. Check your AWS Secret Access Key and signing method. Consult the '
                  'service documentation for details.'),
    'access-denied': ('AccessDenied', 403, 'AccessDeniedException', 400, None),
    'throttle': ('Throttling', 400, 'ThrottlingException', 400, 'Rate exceeded'),
    'unknown-op': ('InvalidAction', 400, 'UnknownOperationException', 400, None),
}

# Namespaces of the JSON `__type` for errors raised by the shared front end, not the service model.
CORAL_NS = {
    'ThrottlingException': 'com.amazon.coral.availability#',
}


class AwsError(Exception):
    """An error answer: build with AwsError.common(kind, ...) or AwsError.service(...)."""

    def __init__(self, query_code, query_status, json_code, json_status, message,
                 json_ns=None, cw_type=None):
        super().__init__(message)
        self.query_code = query_code
        self.query_status = query_status
        self.json_code = json_code
        self.json_status = json_status
        self.message = message
        self.json_ns = json_ns          # None: plain __type (Logs service errors)
        self.cw_type = cw_type          # CloudWatch JSON __type (modelled errors)

    @classmethod
    def common(cls, kind, message=None):
        qc, qs, jc, js, default = COMMON[kind]
        return cls(qc, qs, jc, js, message if message is not None else default,
                   json_ns=CORAL_NS.get(jc, 'com.amazon.coral.service#'))

    @classmethod
    def logs(cls, code, message, status=400):
        return cls(code, status, code, status, message)

    @classmethod
    def cloudwatch(cls, code, message, status=400, shape=None):
        """A modelled CloudWatch error: query code + the JSON shape name (e.g.
        InvalidParameterValue / InvalidParameterValueException)."""
        return cls(code, status, shape or code, status, message,
                   json_ns='com.amazonaws.cloudwatch#', cw_type=shape or code)

    @property
    def sender(self):
        return 'Sender' if self.query_status < 500 else 'Receiver'


def query_error_body(service, err, request_id):
    return ('<ErrorResponse xmlns="%s">\n'
            '  <Error>\n'
            '    <Type>%s</Type>\n'
            '    <Code>%s</Code>\n'
            '    <Message>%s</Message>\n'
            '  </Error>\n'
            '  <RequestId>%s</RequestId>\n'
            '</ErrorResponse>\n' % (XMLNS.get(service, XMLNS['monitoring']), err.sender,
                                    escape(err.query_code), escape(err.message), request_id)
            ).encode()


def render_error(proto, service, err, request_id, query_mode=False):
    """(status, headers, body) of an error for a request of protocol proto:
    'query' | 'json1.0' (CloudWatch JSON) | 'json1.1' (Logs)."""
    if proto == 'query':
        return err.query_status, [('Content-Type', 'text/xml')], \
            query_error_body(service, err, request_id)
    if proto == 'json1.0':
        # awsQueryCompatible: the query code and status travel in x-amzn-query-error, the JSON
        # shape name in __type (aws-wire-formats.md §2.3).
        body = json.dumps({'__type': (err.json_ns or 'com.amazon.coral.service#') +
                           (err.cw_type or err.json_code), 'message': err.message}).encode()
        hdrs = [('Content-Type', 'application/x-amz-json-1.0')]
        if query_mode:
            hdrs.append(('x-amzn-query-error', '%s;%s' % (err.query_code, err.sender)))
        return err.query_status, hdrs, body
    body = json.dumps({'__type': (err.json_ns or '') + err.json_code,
                       'message': err.message}).encode()
    return err.json_status, [('Content-Type', 'application/x-amz-json-1.1')], body


# -- access denied (§5.1) ------------------------------------------------------------------------
LAYERS = {
    'identity-based': ('an', 'identity-based policy'),
    'service-control': ('a', 'service control policy'),
    'resource-control': ('a', 'resource control policy'),
    'permissions-boundary': ('a', 'permissions boundary'),
    'session': ('a', 'session policy'),
    'resource-based': ('a', 'resource-based policy'),
    'vpc-endpoint': ('a', 'VPC endpoint policy'),
}


def access_denied_message(principal_arn, action, resource, policy_type, deny, policy_arn=None):
    """`User: <arn> is not authorized to perform: <action>[ on resource: <arn>] because no <layer>
    allows the <action> action` / `... with an explicit deny in a|an <layer>`, plus the 2026
    `: <policy_arn>` suffix."""
    article, layer = LAYERS[policy_type]
    msg = 'User: %s is not authorized to perform: %s' % (principal_arn, action)
    if resource:
        msg += ' on resource: %s' % resource
    if deny == 'explicit':
        msg += ' with an explicit deny in %s %s' % (article, layer)
    else:
        msg += ' because no %s allows the %s action' % (layer, action)
    if policy_arn:
        msg += ': %s' % policy_arn
    return msg


def fault_error(service, proto, status, code=None, message=None):
    """The service's real error for an injected `status` fault."""
    if status == 'throttle':
        err = AwsError.common('throttle')
        if code or message:
            err.query_code = err.json_code = code or err.query_code
            err.message = message or err.message
        return err
    if status == 429:
        err = AwsError.common('throttle')
        err.query_status = err.json_status = 429
    elif status >= 500:
        if service == 'logs':
            err = AwsError.logs('ServiceUnavailableException',
                                'The service cannot complete the request.', status)
        elif status == 503:
            err = AwsError('ServiceUnavailable', 503, 'ServiceUnavailableException', 503,
                           'The request has failed due to a temporary failure of the server.',
                           json_ns='com.amazon.coral.service#')
        elif service == 'monitoring':
            err = AwsError.cloudwatch('InternalServiceError', 'The request processing has failed '
                                      'because of an unknown error, exception or failure.',
                                      status, shape='InternalServiceFault')
        else:
            err = AwsError('InternalFailure', status, 'InternalFailure', status,
                           'The request processing has failed because of an unknown error, '
                           'exception or failure.', json_ns='com.amazon.coral.service#')
    else:
        err = AwsError('InvalidRequest', status, 'InvalidRequestException', status,
                       'The request is invalid.', json_ns='com.amazon.coral.service#')
    err.query_status = err.json_status = status
    if code:
        err.query_code = err.json_code = code
        err.cw_type = None
    if message:
        err.message = message
    return err
