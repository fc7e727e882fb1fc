# SPDX-License-Identifier: MIT
"""Listeners: threaded HTTP/1.1 keep-alive servers (TLS or plain) that count connections and TLS
handshakes, the shared request-handler base (body reading, full responses, transport faults),
the CONNECT proxy, the blackhole listener and the openssl-generated CA and certificates.
"""

import email.utils
import ipaddress
import os
import select
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEBUG = bool(os.environ.get('AWSSIM_DEBUG'))


class BaseHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every response carries Content-Length and a Date header taken
    from the simulator's (shifted) clock."""

    protocol_version = 'HTTP/1.1'
    server_version = None
    sys_version = ''
    timeout = None
    # Seconds between body bytes of the next full response (the `drip` fault); None: at once.
    drip = None

    @property
    def sim(self):
        return self.server.sim

    def setup(self):
        super().setup()
        self.conn_seq = self.server.sim.next_seq()

    def send_response(self, code, message=None):
        """BaseHTTPRequestHandler's, minus the Server header where the real service sends none."""
        self.log_request(code)
        self.send_response_only(code, message)
        if self.server_version:
            self.send_header('Server', self.server_version)
        self.send_header('Date', self.date_time_string())

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(self.sim.now() if timestamp is None else timestamp,
                                      usegmt=True)

    def log_message(self, fmt, *args):
        if DEBUG:
            sys.stderr.write('awssim %s: %s\n' % (self.server.listener, fmt % args))

    def raw_headers(self):
        return list(self.headers.items())

    def header(self, name):
        return self.headers.get(name)

    def read_body(self):
        """The request body (Content-Length or chunked); always consumed so keep-alive works."""
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(3)
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n > 0 else b''

    def send_full(self, status, headers, body, reason=None):
        self.send_response(status, reason)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        drip, self.drip = self.drip, None
        if self.command == 'HEAD':
            pass
        elif drip:
            self.drip_body(body, drip)
        else:
            self.wfile.write(body)
        self.wfile.flush()

    def drip_body(self, body, interval):
        """The `drip` fault: the headers at once, then the body one byte every @interval
        seconds, until it is all sent or the client gives up (then the connection closes)."""
        try:
            self.wfile.flush()
            for i in range(len(body)):
                time.sleep(interval)
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
        except (OSError, ValueError):
            self.close_connection = True

    # -- transport faults -------------------------------------------------------------------------
    def fault_hang(self):
        """Never answer: keep the connection open until the client gives up (or the sim exits)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            while self.connection.recv(65536):
                pass
        except (OSError, ValueError):
            pass

    def fault_close(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def fault_truncate(self, status, headers, body):
        """Announce more bytes than are sent, then close."""
        self.close_connection = True
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body) + 1024))
        self.end_headers()
        self.wfile.write(body[:max(1, len(body) // 2)])
        self.wfile.flush()
        self.fault_close()

    def fault_oversize(self, headers, size):
        self.send_response(200)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(size))
        self.end_headers()
        chunk = b'x' * 65536
        left = size
        try:
            while left > 0:
                n = min(left, len(chunk))
                self.wfile.write(chunk[:n])
                left -= n
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class SimServer(ThreadingHTTPServer):
    """One listener. Counts accepted connections (and completed TLS handshakes for TLS
    listeners) and remembers the open ones so that they can be cut (IMDS stop)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, sim, listener, app=None, ssl_ctx=None, conn_field=None):
        self.sim = sim
        self.app = app
        self.listener = listener
        self.ssl_ctx = ssl_ctx
        self.conn_field = conn_field
        self.active = set()
        self.active_lock = threading.Lock()
        if ':' in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, handler)

    def server_bind(self):
        # Skip HTTPServer's getfqdn() (a reverse DNS lookup).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        if self.conn_field:
            self.sim.bump(self.conn_field)
        sock = request
        if self.ssl_ctx is not None:
            request.settimeout(10)
            try:
                sock = self.ssl_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            sock.settimeout(None)
            self.sim.bump('tls_handshakes')
        with self.active_lock:
            self.active.add(sock)
        try:
            self.RequestHandlerClass(sock, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            with self.active_lock:
                self.active.discard(sock)
            if sock is not request:
                try:
                    sock.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        if DEBUG:
            super().handle_error(request, client_address)

    def cut_connections(self):
        """Shut down every open connection; returns how many there were."""
        with self.active_lock:
            socks = list(self.active)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(socks)


def serve(server):
    t = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2},
                         daemon=True, name=server.listener)
    t.start()
    return t


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


# -- blackhole ----------------------------------------------------------------------------------
class _Listener:
    """A TCP listener on an ephemeral port of @bind; each accepted connection goes to
    self._handle(conn) on its own thread."""

    name = 'listener'

    def __init__(self, bind, sim):
        fam = socket.AF_INET6 if ':' in bind else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((bind, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.sim = sim

    def start(self):
        threading.Thread(target=self._accept, daemon=True, name=self.name).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self._accepted(c)
            threading.Thread(target=self._handle, args=(c,), daemon=True).start()

    def _accepted(self, c):
        pass


class Blackhole(_Listener):
    """Accepts TCP connections and never sends a byte; a connection lives until the peer closes."""

    name = 'blackhole'

    def _accepted(self, c):
        self.sim.bump('blackhole_connections')

    def _handle(self, c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        finally:
            c.close()


class SynDrop:
    """A port where SYNs go unanswered: a listener with backlog 0 that never accepts, its one
    queue slot taken by a connection of our own. Linux then drops every further SYN (the
    accept queue is full), so a client's connect() neither succeeds nor is refused: a real
    connect timeout, as behind a firewall that drops packets, without leaving the loopback or
    needing nftables."""

    def __init__(self, bind, port=0):
        fam = socket.AF_INET6 if ':' in bind else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((bind, port))
        self.sock.listen(0)
        self.addr = self.sock.getsockname()[:2]
        self.port = self.addr[1]
        self.fillers = []
        # Backlog 0 still queues one connection (more on some kernels): fill whatever there is.
        for _ in range(8):
            f = socket.socket(fam, socket.SOCK_STREAM)
            f.setblocking(False)
            try:
                f.connect(self.addr)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                f.close()
                continue
            self.fillers.append(f)
        time.sleep(0.05)

    def close(self):
        for f in self.fillers:
            f.close()
        self.fillers = []
        self.sock.close()


# -- CONNECT proxy ------------------------------------------------------------------------------
def _loopback(host):
    host = host.strip('[]')
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Proxy(_Listener):
    """A minimal forward proxy: `CONNECT host:port` to loopback targets only (else 403)."""

    name = 'proxy'

    @staticmethod
    def _reply(c, status, reason):
        c.sendall(('HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
                   % (status, reason)).encode())

    def _handle(self, c):
        try:
            c.settimeout(30)
            buf = b''
            while b'\r\n\r\n' not in buf:
                d = c.recv(4096)
                if not d or len(buf) > 65536:
                    return
                buf += d
            head, _, rest = buf.partition(b'\r\n\r\n')
            line = head.split(b'\r\n')[0].decode('latin-1').split()
            if len(line) != 3 or line[0] != 'CONNECT':
                self._reply(c, 405, 'Method Not Allowed')
                return
            host, _, port = line[1].rpartition(':')
            if not _loopback(host) or not port.isdigit():
                self.sim.bump('proxy_refused')
                self._reply(c, 403, 'Forbidden')
                return
            try:
                t = socket.create_connection((host.strip('[]'), int(port)), timeout=5)
            except OSError:
                self._reply(c, 502, 'Bad Gateway')
                return
            self.sim.bump('proxy_tunnels')
            c.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
            if rest:
                t.sendall(rest)
            self._relay(c, t)
        except OSError:
            pass
        finally:
            c.close()

    @staticmethod
    def _relay(a, b):
        a.settimeout(None)
        b.settimeout(None)
        try:
            socks = [a, b]
            while True:
                r, _, _ = select.select(socks, [], [])
                for s in r:
                    d = s.recv(65536)
                    if not d:
                        return
                    (b if s is a else a).sendall(d)
        except OSError:
            pass
        finally:
            b.close()


# -- certificates -------------------------------------------------------------------------------
def _openssl(*args):
    subprocess.run(('openssl',) + args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_certs(d):
    """DIR/ca.pem (+ca.key), DIR/server.pem (localhost, 127.0.0.1, ::1) and DIR/wrong.pem
    (wrong.example only); generated once, reused when all are present."""
    files = {n: os.path.join(d, n) for n in ('ca.pem', 'ca.key', 'server.pem', 'server.key',
                                              'wrong.pem', 'wrong.key')}
    if all(os.path.exists(p) for p in files.values()):
        return files
    # ECDSA P-256 by default (fast to generate); AWSSIM_KEY=rsa makes RSA-2048 keys instead,
    # what real AWS endpoints present (packaging/hot-text/gen profiles both). Certificates
    # already in DIR are reused whatever their type.
    key_type = os.environ.get('AWSSIM_KEY', 'ec')
    if key_type == 'ec':
        newkey = ('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes')
    elif key_type == 'rsa':
        newkey = ('-newkey', 'rsa:2048', '-nodes')
    else:
        raise ValueError('AWSSIM_KEY must be "ec" or "rsa", not %r' % key_type)
    tmp = os.path.join(d, 'tmp.%d' % os.getpid())
    _openssl('req', '-x509', *newkey, '-keyout', files['ca.key'] + '.tmp',
             '-out', files['ca.pem'] + '.tmp', '-days', '3650', '-subj', '/CN=cwguard awssim CA',
             '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    for name, san in (('server', 'DNS:localhost,IP:127.0.0.1,IP:::1'),
                      ('wrong', 'DNS:wrong.example')):
        cn = 'localhost' if name == 'server' else 'wrong.example'
        _openssl('req', *newkey, '-keyout', files[name + '.key'] + '.tmp', '-out', tmp + '.csr',
                 '-subj', '/CN=' + cn)
        with open(tmp + '.ext', 'w') as f:
            f.write('subjectAltName=%s\nbasicConstraints=CA:FALSE\n'
                    'keyUsage=critical,digitalSignature,keyEncipherment\n'
                    'extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n'
                    'authorityKeyIdentifier=keyid,issuer\n' % san)
        _openssl('x509', '-req', '-in', tmp + '.csr', '-CA', files['ca.pem'] + '.tmp',
                 '-CAkey', files['ca.key'] + '.tmp', '-set_serial',
                 str(int(time.time() * 1000) + (name == 'wrong')), '-days', '3650',
                 '-extfile', tmp + '.ext', '-out', files[name + '.pem'] + '.tmp')
        os.unlink(tmp + '.csr')
        os.unlink(tmp + '.ext')
    for p in files.values():
        os.rename(p + '.tmp', p)
    return files
