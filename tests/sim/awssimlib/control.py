# SPDX-License-Identifier: MIT
"""The `control` listener: the JSON API that tests use to steer the simulator (PROTOCOL.md)."""

import copy
import json
from urllib.parse import parse_qs, urlsplit

from .net import BaseHandler
from .state import ScenarioError, action_match


class ControlHandler(BaseHandler):
    server_version = 'awssim'

    def send_json(self, status, obj):
        self.send_full(status, [('Content-Type', 'application/json')],
                       json.dumps(obj, indent=1).encode() + b'\n')

    def do_GET(self):
        self.read_body()
        app = self.server.app
        u = urlsplit(self.path)
        if u.path == '/scenario':
            return self.send_json(200, app.sim.get_scenario())
        if u.path == '/requests':
            q = parse_qs(u.query)
            with app.sim.lock:
                recs = copy.deepcopy(app.sim.records)
            if 'action' in q:
                recs = [r for r in recs if any(action_match(a, r['action']) or a == r['action']
                                               for a in q['action'])]
            return self.send_json(200, recs)
        if u.path == '/stats':
            return self.send_json(200, app.sim.stats())
        if u.path == '/ready':
            return self.send_json(200, app.ready)
        return self.send_json(404, {'error': 'no such control endpoint: %s' % u.path})

    def do_POST(self):
        body = self.read_body()
        app = self.server.app
        path = urlsplit(self.path).path
        try:
            data = json.loads(body.decode() or 'null')
        except ValueError as e:
            return self.send_json(400, {'error': 'bad JSON: %s' % e})
        try:
            if path == '/scenario':
                app.sim.post_scenario(data if data is not None else {})
                return self.send_json(200, app.sim.get_scenario())
            if path == '/reset':
                app.sim.reset()
                app.aws_start()
                app.imds_start()
                return self.send_json(200, {})
            if path == '/clear':
                app.sim.clear_records()
                return self.send_json(200, {})
            if path == '/imds/rotate':
                k = app.sim.imds_rotate()
                return self.send_json(200, {'access_key_id': k.access_key_id})
            if path == '/imds/expire-tokens':
                app.sim.imds_expire_tokens()
                return self.send_json(200, {})
            if path == '/imds/stop':
                app.imds_stop()
                return self.send_json(200, {})
            if path == '/imds/start':
                app.imds_start()
                return self.send_json(200, {})
            if path == '/aws/stop':
                drop = (data or {}).get('drop', False)
                if not isinstance(data, (dict, type(None))) or set(data or {}) - {'drop'} or \
                        not isinstance(drop, bool):
                    raise ScenarioError('aws/stop takes {"drop": true|false}')
                return self.send_json(200, {'cut': app.aws_stop(drop)})
            if path == '/aws/start':
                app.aws_start()
                return self.send_json(200, {})
            if path == '/restart':
                down = (data or {}).get('down', 0)
                if not isinstance(data, (dict, type(None))) or \
                        set(data or {}) - {'down'} or isinstance(down, bool) or \
                        not isinstance(down, (int, float)) or not 0 <= down <= 60:
                    raise ScenarioError('restart takes {"down": seconds (0..60)}')
                cut = app.restart(down)
                return self.send_json(200, {'restarts': app.sim.stats()['restarts'], 'cut': cut})
        except ScenarioError as e:
            return self.send_json(400, {'error': str(e)})
        except OSError as e:
            return self.send_json(500, {'error': str(e)})
        return self.send_json(404, {'error': 'no such control endpoint: %s' % path})
