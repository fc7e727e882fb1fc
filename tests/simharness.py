# SPDX-License-Identifier: MIT
"""The local AWS simulator (tests/sim/awssim.py) for the Python integration tests: start it in
a private directory, steer it through the control port, stop it. Exits 77 (skip) when it cannot
run here (python3-botocore missing) unless CWGUARD_REQUIRE_SIM is set."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

SIM = os.environ.get('CWGUARD_SIM', '')
PYTHON = os.environ.get('CWGUARD_PYTHON') or '/usr/bin/python3'


class Simulator:
    def __init__(self, prefix='cwguard-test-'):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        ready = os.path.join(self.dir, 'ready.json')
        self.proc = subprocess.Popen([PYTHON, SIM, '--state-dir', self.dir + '/sim',
                                      '--ready-file', ready],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(300):
            if os.path.exists(ready):
                break
            if self.proc.poll() is not None:
                if self.proc.returncode == 77 and not os.environ.get('CWGUARD_REQUIRE_SIM'):
                    sys.exit(77)
                raise RuntimeError('simulator failed: ' + self.proc.stderr.read().decode())
            time.sleep(0.05)
        with open(ready) as f:
            self.info = json.load(f)

    def control(self, path, body=None, method='POST'):
        data = json.dumps(body if body is not None else {}).encode() if method == 'POST' else None
        req = urllib.request.Request(self.info['control_url'] + path, data,
                                     {'Content-Type': 'application/json'}, method=method)
        return json.loads(urllib.request.urlopen(req).read() or b'null')

    def requests(self, action):
        return self.control('/requests?action=' + action, method='GET')

    def config(self, state_dir, interval='60s', extra=''):
        """A cwguard.yaml pointing every endpoint at the simulator."""
        i = self.info
        return f"""region: us-east-1
interval: {interval}
timeout: 2s
endpoints:
  monitoring: {i['aws_url']}
  logs: {i['aws_url']}
  sts: {i['aws_url']}
ca_bundle: {i['ca']}
proxy:
  url: ""
imds:
  endpoint: {i['imds_url']}
credentials:
  file: {state_dir}/no-such-credentials
{extra}"""

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
