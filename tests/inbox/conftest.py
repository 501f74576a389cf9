"""A real IMAP server for the inbox's tests: Debian's Dovecot, started unprivileged on loopback.

- ``dovecot`` (session): one Dovecot for the test run, on free ports of 127.0.0.1: ``port``
  (plain IMAP, offering STARTTLS) and ``tls_port`` (TLS from the start), with a certificate
  signed by a certificate authority made for the run (``ca_file``). Its config,
  mail (maildir) and log are in a temporary folder, removed after. As root (CI), it runs as
  the ``dovecot`` user (Dovecot refuses to serve IMAP as root).
- ``imap_server`` (each test): a new user with an empty mailbox on that server, to put
  messages in (``append``), look at (``uids``, ``folder_uids``), renumber
  (``change_uidvalidity``), or reach through a connection that drops (``cutting_proxy``).
- ``make_mailbox`` (each test): a :class:`~clearway.inbox.models.Mailbox` for that user,
  its password in the environment variable it names.

Without Dovecot (``apt-get install dovecot-imapd``) the tests that need it are skipped, loudly;
in CI (``CI=true``) they fail instead.
"""

import contextlib
import datetime as dt
import imaplib
import itertools
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clearway.inbox.fetch import quoted_folder
from clearway.inbox.models import Mailbox, Security
from clearway.services.models import Service

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
DOVEADM = os.environ.get("DOVEADM", "/usr/bin/doveadm")
_users = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"Dovecot did not start listening on port {port}:\n{text}")


def _make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority for this run, and a certificate it signed for 127.0.0.1 and
    localhost: (CA certificate, server certificate, server key), as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Clearway test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


class DovecotServer:
    """Dovecot on free ports of 127.0.0.1, everything in one temporary folder."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="clearway-imap-"))
        self.folder.chmod(0o755)  # the unprivileged server must reach its files
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot" if _has_user("dovecot") else "nobody")
        else:
            account = pwd.getpwuid(os.geteuid())
        self.uid, self.gid, self.user = account.pw_uid, account.pw_gid, account.pw_name
        self.group_name = _group_name(self.gid)
        self.port, self.tls_port = _free_port(), _free_port()
        self.ca_file, cert_file, key_file = _make_certificates(self.folder)
        #: Every user's password (each test has a user, and a mailbox, of its own).
        self.password = secrets.token_urlsafe(12)
        self.log = self.folder / "dovecot.log"
        self.mail = self.folder / "mail"
        for sub in ("run", "state", "mail"):
            (self.folder / sub).mkdir()
        self.config = self.folder / "dovecot.conf"
        self.config.write_text(self._config(cert_file, key_file))
        if os.geteuid() == 0:
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, self.uid, self.gid)
        self.process: subprocess.Popen[bytes] | None = None

    def _config(self, cert_file: Path, key_file: Path) -> str:
        f = self.folder
        return f"""
base_dir = {f}/run
state_dir = {f}/state
log_path = {self.log}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert_file}
ssl_key = <{key_file}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {self.user}
default_internal_group = {self.group_name}
default_login_user = {self.user}
first_valid_uid = {self.uid}
last_valid_uid = {self.uid}
first_valid_gid = {self.gid}
mail_location = maildir:{self.mail}/%u
mail_max_userip_connections = 50
# No delay after a wrong password (the tests try one), and no penalty for it after
# (the auth penalty is off when its socket is: service anvil, below).
auth_failure_delay = 0
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  chroot =
}}
"""

    def start(self) -> None:
        as_other = os.geteuid() == 0
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "stderr.log").open("wb"),
            user=self.uid if as_other else None,
            group=self.gid if as_other else None,
            extra_groups=[] if as_other else None,
        )
        _wait_for_port(self.port, self.process, self.log)
        _wait_for_port(self.tls_port, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this server's config (as the server's user)."""
        as_other = os.geteuid() == 0
        done = subprocess.run(
            [DOVEADM, "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            user=self.uid if as_other else None,
            group=self.gid if as_other else None,
            extra_groups=[] if as_other else None,
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {done.stderr}")
        return done.stdout


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _need_dovecot() -> None:
    if os.access(DOVECOT, os.X_OK) and os.access(DOVEADM, os.X_OK):
        return
    message = (
        f"Dovecot is not installed ({DOVECOT}): the inbox's tests need a real IMAP server. "
        "Install it with 'sudo apt-get install dovecot-imapd' (or set DOVECOT=/path/to/dovecot)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    _need_dovecot()
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


class CuttingProxy:
    """A TCP relay on 127.0.0.1 in front of the server that, on its first connection, cuts
    the connection once the server has started sending the ``cut_at``-th message body (the
    ``BODY[]`` literals of FETCH answers): the messages before it arrive whole, that one half."""

    def __init__(self, target_port: int, cut_at: int) -> None:
        self.target_port = target_port
        self.cut_at = cut_at
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            cutting = not self.cut.is_set()
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, cutting), daemon=True
            ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, cutting: bool) -> None:
        seen = 0
        tail = b""
        marker = re.compile(rb"BODY\[\] \{\d+\}\r\n")
        try:
            while data := source.recv(65536):
                if cutting and not self.cut.is_set():
                    window = tail + data
                    for found in marker.finditer(window):
                        if found.start() < len(tail):
                            continue  # counted with the last piece
                        seen += 1
                        if seen == self.cut_at:
                            upto = found.end() - len(tail) + 100  # a little of the body
                            sink.sendall(data[:upto])
                            self.cut.set()
                            raise ConnectionAbortedError
                    tail = window[-64:]
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for side in (source, sink):
                with contextlib.suppress(OSError):
                    side.shutdown(socket.SHUT_RDWR)
                side.close()

    def close(self) -> None:
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@dataclass
class ImapServer:
    """A user with an empty mailbox on the test run's Dovecot."""

    server: DovecotServer
    username: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int:
        return self.server.tls_port

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    @contextlib.contextmanager
    def connection(self) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4(self.host, self.port, timeout=30)
        try:
            imap.login(self.username, self.password)
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """Deliver a message to a folder (made if missing) by IMAP APPEND; its UID."""
        with self.connection() as imap:
            if folder != "INBOX":
                imap.create(quoted_folder(folder))
            answer: Any = imap.append(quoted_folder(folder), "", "", raw)
            kind, data = answer
            assert kind == "OK", data
            found = re.search(rb"APPENDUID \d+ (\d+)", data[0])
            assert found, data
            return int(found.group(1))

    def create_folder(self, folder: str) -> None:
        with self.connection() as imap:
            kind, data = imap.create(quoted_folder(folder))
            assert kind == "OK", data

    def folder_uids(self, folder: str = "INBOX") -> list[int]:
        """The UIDs of the messages in a folder now (deleted ones are gone)."""
        with self.connection() as imap:
            kind, _ = imap.select(quoted_folder(folder), readonly=True)
            assert kind == "OK"
            kind, data = imap.uid("SEARCH", "ALL")
            return [int(uid) for uid in data[0].split()]

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        with self.connection() as imap:
            imap.select(quoted_folder(folder), readonly=True)
            _, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
            found = {}
            for item in data:
                if isinstance(item, bytes) and (
                    match := re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", item)
                ):
                    found[int(match.group(1))] = match.group(2).decode()
            return found

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.connection() as imap:
            imap.select(quoted_folder(folder), readonly=True)
            return int(imap.response("UIDVALIDITY")[1][0])

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        """Renumber the folder as a mail server migration would (a new UIDVALIDITY)."""
        new = self.uidvalidity(folder) + 1000
        self.server.doveadm(
            "mailbox", "update", "-u", self.username, "--uid-validity", str(new), folder
        )
        return new

    @contextlib.contextmanager
    def cutting_proxy(self, cut_at: int) -> Iterator[CuttingProxy]:
        proxy = CuttingProxy(self.port, cut_at)
        try:
            yield proxy
        finally:
            proxy.close()


@pytest.fixture
def imap_server(dovecot: DovecotServer) -> ImapServer:
    """A new user with an empty mailbox on the test run's Dovecot (see the module's docstring)."""
    return ImapServer(dovecot, f"user{next(_users)}", dovecot.password)


@pytest.fixture
def make_mailbox(
    imap_server: ImapServer, service: Service, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Callable[..., Mailbox]:
    """make_mailbox(**fields): a Mailbox reading ``imap_server`` over plain IMAP on loopback
    (``security=Security.TLS`` etc. to change), its password in the environment."""
    settings.CLEARWAY_INBOX_CA_FILE = str(imap_server.ca_file)
    names = itertools.count(1)

    def make(**fields: Any) -> Mailbox:
        number = next(names)
        env = f"CLEARWAY_TEST_INBOX_PASSWORD_{number}"
        monkeypatch.setenv(env, imap_server.password)
        values: dict[str, Any] = {
            "service": service,
            "name": f"Test inbox {number}",
            "host": imap_server.host,
            "port": imap_server.port,
            "security": Security.NONE,
            "username": imap_server.username,
            "password_env": env,
        }
        values.update(fields)
        return Mailbox.objects.create(**values)

    return make
