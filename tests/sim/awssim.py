#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""awssim: the local AWS simulator behind every cwguard test and the README demo.

IMDSv2, STS, CloudWatch and CloudWatch Logs on loopback, speaking the real wire formats and
checking every SigV4 signature with botocore. The contract is tests/sim/PROTOCOL.md; the pieces
live in tests/sim/awssimlib/. Needs Debian's python3-botocore and the openssl CLI; exits 77 when
either is missing (the C harness turns that into -EOPNOTSUPP, i.e. "skip").
"""

import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

EXIT_UNSUPPORTED = 77

try:
    import botocore.auth  # noqa: F401  (only: is it installed?)
except ImportError:
    sys.stderr.write('awssim: python3-botocore is not installed for %s\n' % sys.executable)
    sys.exit(EXIT_UNSUPPORTED)

from awssimlib import net  # noqa: E402
from awssimlib.aws import AwsHandler  # noqa: E402
from awssimlib.control import ControlHandler  # noqa: E402
from awssimlib.imds import ImdsHandler  # noqa: E402
from awssimlib.state import ScenarioError, SimState  # noqa: E402


class App:
    def __init__(self, args):
        self.args = args
        self.sim = SimState()
        self.imds = None
        self.imds_port = 0
        self.listeners_lock = threading.Lock()
        self.servers = {}
        self.ports = {}
        self.dropping = {}
        self.certs = None
        self.drop = None
        self.ready = {}

    def start(self):
        a = self.args
        self.certs = certs = net.make_certs(a.state_dir)
        bind = a.bind
        host = '[%s]' % bind if ':' in bind else bind
        for name in ('aws', 'aws_wrongname'):
            self.servers[name] = self.new_server(name, 0)
            self.ports[name] = self.servers[name].server_port
        control = net.SimServer((bind, 0), ControlHandler, self.sim, 'control', app=self)
        self.imds_start()
        black = net.Blackhole(bind, self.sim)
        proxy = net.Proxy(bind, self.sim)
        self.drop = net.SynDrop(bind)
        for s in (self.servers['aws'], self.servers['aws_wrongname'], control):
            net.serve(s)
        black.start()
        proxy.start()
        aws, wrong = self.servers['aws'], self.servers['aws_wrongname']
        self.ready = {
            'pid': os.getpid(), 'ca': certs['ca.pem'], 'state_dir': a.state_dir,
            'aws': aws.server_port, 'aws_url': 'https://localhost:%d' % aws.server_port,
            'aws_wrongname': wrong.server_port,
            'aws_wrongname_url': 'https://localhost:%d' % wrong.server_port,
            'imds': self.imds_port, 'imds_url': 'http://%s:%d' % (host, self.imds_port),
            'control': control.server_port,
            'control_url': 'http://%s:%d' % (host, control.server_port),
            'blackhole': black.port, 'blackhole_url': 'https://localhost:%d' % black.port,
            'proxy': proxy.port, 'proxy_url': 'http://%s:%d' % (host, proxy.port),
            'drop': self.drop.port, 'drop_url': 'https://%s:%d' % (host, self.drop.port),
        }

    def new_server(self, name, port):
        """One of the AWS listeners (TLS, `aws` or `aws_wrongname`) on @port (0: any)."""
        cert = 'server' if name == 'aws' else 'wrong'
        return net.SimServer((self.args.bind, port), AwsHandler, self.sim, name, app=self,
                             ssl_ctx=net.tls_context(self.certs[cert + '.pem'],
                                                     self.certs[cert + '.key']),
                             conn_field='connections')

    def imds_start(self):
        """(Re)open the IMDS listener, on the same port as before when it ran already."""
        with self.listeners_lock:
            if self.imds is not None:
                return
            self.imds = net.SimServer((self.args.bind, self.imds_port), ImdsHandler, self.sim,
                                      'imds', app=self, conn_field='imds_connections')
            self.imds_port = self.imds.server_port
            net.serve(self.imds)

    @staticmethod
    def close_servers(servers):
        """Close the listening sockets (connect refused) and cut the open connections, all
        listeners at once (each loop notices its shutdown within its poll interval); returns
        how many connections were cut."""
        threads = [threading.Thread(target=s.shutdown) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in servers:
            s.server_close()
        return sum(s.cut_connections() for s in servers)

    def imds_stop(self):
        with self.listeners_lock:
            if self.imds is None:
                return 0
            s, self.imds = self.imds, None
            return self.close_servers([s])

    def aws_stop(self, drop=False, imds=False):
        """Take the `aws` and `aws_wrongname` listeners (and with @imds the IMDS one) down:
        close the listening sockets and cut every connection they have open, requests in
        flight included (the client sees the connection closed without an answer). Then
        connections are refused, or with @drop their SYNs go unanswered (net.SynDrop on the
        same ports): a connect timeout. Returns how many connections were cut."""
        with self.listeners_lock:
            names = [n for n in ('aws', 'aws_wrongname') if self.servers.get(n) is not None]
            servers = [self.servers[n] for n in names]
            if imds and self.imds is not None:
                servers.append(self.imds)
                self.imds = None
            for n in names:
                self.servers[n] = None
            cut = self.close_servers(servers)
            for name in ('aws', 'aws_wrongname'):
                d = self.dropping.pop(name, None)
                if d is not None:
                    d.close()
                if drop:
                    self.dropping[name] = net.SynDrop(self.args.bind, self.ports[name])
        return cut

    def aws_start(self):
        """Listen again (normally) on the same ports."""
        with self.listeners_lock:
            for name in ('aws', 'aws_wrongname'):
                d = self.dropping.pop(name, None)
                if d is not None:
                    d.close()
                if self.servers.get(name) is None:
                    self.servers[name] = self.new_server(name, self.ports[name])
                    net.serve(self.servers[name])

    def restart(self, down=0.0):
        """The simulator restarting: aws_stop() and imds_stop() (requests in flight are cut),
        @down seconds with connections refused, then both listen again on the same ports (IMDS
        only when it was running). State, scenario and records are kept, as a restarted
        service keeps what is in its database. Returns how many connections were cut."""
        imds_was_up = self.imds is not None
        cut = self.aws_stop(imds=True)
        self.sim.bump('restarts')
        if down > 0:
            time.sleep(down)
        self.aws_start()
        if imds_was_up:
            self.imds_start()
        return cut


def write_ready(path, ready):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(ready, f)
        f.write('\n')
    os.rename(tmp, path)


def main():
    p = argparse.ArgumentParser(description='Local AWS simulator for cwguard tests.')
    p.add_argument('--state-dir', required=True)
    p.add_argument('--ready-file')
    p.add_argument('--scenario', help='JSON file merged into the default scenario')
    p.add_argument('--bind', default='127.0.0.1')
    p.add_argument('--remove-state-dir', action='store_true',
                   help='remove the state directory when stopped by SIGTERM/SIGINT')
    args = p.parse_args()

    def on_signal(*_):
        if args.remove_state_dir:
            shutil.rmtree(args.state_dir, ignore_errors=True)
        os._exit(0)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if shutil.which('openssl') is None:
        sys.stderr.write('awssim: the openssl command is not installed\n')
        return EXIT_UNSUPPORTED
    os.makedirs(args.state_dir, exist_ok=True)
    app = App(args)
    if args.scenario:
        try:
            with open(args.scenario) as f:
                app.sim.post_scenario(json.load(f))
        except (OSError, ValueError, ScenarioError) as e:
            sys.stderr.write('awssim: bad scenario %s: %s\n' % (args.scenario, e))
            return 2
    try:
        app.start()
    except subprocess.CalledProcessError as e:
        sys.stderr.write('awssim: openssl failed: %s\n' % e.stderr.decode(errors='replace'))
        return 1
    write_ready(args.ready_file or os.path.join(args.state_dir, 'ready.json'), app.ready)
    sys.stdout.write(json.dumps(app.ready) + '\n')
    sys.stdout.flush()
    threading.Event().wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())
