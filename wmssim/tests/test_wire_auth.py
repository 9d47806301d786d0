"""Authentication through pywinrm: Basic, NTLM with message encryption, HTTPS, refusals."""

from __future__ import annotations

import base64
import http.client
import ssl

import pytest
import requests
from winrm.exceptions import InvalidCredentialsError

from wmssim.wire import auth as auth_module


def test_basic_over_http_runs_a_command(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="basic"))
    result = served.session().run_cmd("hostname", ["-s"])
    assert result.status_code == 0
    assert result.std_out == b"hostname -s"
    assert dict(served.host.messages) == {
        "Create": 1, "Command": 1, "Receive": 1, "Signal": 1, "Delete": 1,
    }
    assert served.host.commands == 1
    assert served.server.stats.statuses[401] == 0  # Basic rides on every POST, no challenge


def test_ntlm_over_http_encrypts_every_body(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    protocol = served.protocol()
    shell = protocol.open_shell()
    # pywinrm set up message encryption, so the server must have answered in kind
    assert protocol.transport.encryption is not None
    command = protocol.run_command(shell, "whoami", ["/all"])
    out, err, rc = protocol.get_command_output(shell, command)
    protocol.cleanup_command(shell, command)
    protocol.close_shell(shell)
    assert (out, err, rc) == (b"whoami /all", b"", 0)
    # one 401 without credentials, one 401 carrying the challenge, then only 200s
    assert served.server.stats.statuses[401] == 2
    assert served.host.messages["Create"] == 1


def test_ntlm_refuses_unencrypted_bodies_over_http(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    session = served.session(message_encryption="never")
    with pytest.raises(InvalidCredentialsError):
        session.run_cmd("hostname")
    assert served.host.messages["Create"] == 0


def test_ntlm_accepts_a_password_with_a_colon(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm", password="a:b:c"))
    assert served.session().run_cmd("ver").status_code == 0


def test_ntlm_accepts_the_local_domain_forms(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm", computer_name="WMS-LAB-01"))
    for user in (".\\admin", "WMS-LAB-01\\admin", "ADMIN"):
        assert served.session(username=user).run_cmd("ver").status_code == 0, user


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_wrong_password_is_rejected_with_401(wire_serve, wire_spec_factory, auth):
    served = wire_serve(wire_spec_factory(auth=auth))
    with pytest.raises(InvalidCredentialsError):
        served.session(password="not-the-password").run_cmd("hostname")
    assert served.host.messages == {}
    assert served.host.commands == 0
    # and the right password still works afterwards
    assert served.session().run_cmd("hostname").status_code == 0


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_auth_failure_fault_rejects_the_right_password(wire_serve, wire_spec_factory, auth):
    spec = wire_spec_factory(auth=auth)
    spec.faults.auth_failure = True
    served = wire_serve(spec)
    with pytest.raises(InvalidCredentialsError):
        served.session().run_cmd("hostname")
    assert served.host.messages == {}


def test_wrong_scheme_is_rejected(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    with pytest.raises(InvalidCredentialsError):
        served.session(transport="basic").run_cmd("hostname")
    served = wire_serve(wire_spec_factory(auth="basic", name="basic-02"))
    with pytest.raises(InvalidCredentialsError):
        served.session(transport="ntlm").run_cmd("hostname")


@pytest.mark.parametrize("inner", ["basic", "ntlm"])
def test_https_with_certificate_validation(wire_serve, wire_spec_factory, wire_tls, inner):
    served = wire_serve(wire_spec_factory(auth="https", https_auth=inner), tls=wire_tls)
    session = served.session(server_cert_validation="validate", ca_trust_path=str(wire_tls.ca_cert))
    result = session.run_cmd("hostname")
    assert (result.status_code, result.std_out) == (0, b"hostname ")
    # no message encryption inside TLS
    assert session.protocol.transport.encryption is None


def test_https_ntlm_checks_channel_bindings(wire_serve, wire_spec_factory, wire_tls):
    served = wire_serve(wire_spec_factory(auth="https", https_auth="ntlm"), tls=wire_tls)
    ca = str(wire_tls.ca_cert)
    # without bindings (CbtHardeningLevel Relaxed) and with the right ones
    assert served.session(ca_trust_path=ca, send_cbt=False).run_cmd("a").status_code == 0
    assert served.session(ca_trust_path=ca, send_cbt=True).run_cmd("b").status_code == 0


def test_https_ntlm_refuses_wrong_channel_bindings(wire_serve, wire_spec_factory, wire_tls, monkeypatch):
    served = wire_serve(wire_spec_factory(auth="https", https_auth="ntlm"), tls=wire_tls)
    import requests_ntlm.requests_ntlm as rn

    monkeypatch.setattr(rn, "_get_certificate_hash", lambda der: b"\x01" * 32)
    with pytest.raises(InvalidCredentialsError):
        served.session(ca_trust_path=str(wire_tls.ca_cert)).run_cmd("hostname")


def test_https_with_the_wrong_ca_fails(wire_serve, wire_spec_factory, wire_tls, tmp_path):
    from wmssim.wire.tls import generate_tls_material

    other = generate_tls_material(tmp_path / "other")
    served = wire_serve(wire_spec_factory(auth="https", https_auth="basic"), tls=wire_tls)
    session = served.session(server_cert_validation="validate", ca_trust_path=str(other.ca_cert))
    with pytest.raises(requests.exceptions.SSLError):
        session.run_cmd("hostname")
    # the server is still fine for a client that trusts the right CA
    good = served.session(server_cert_validation="validate", ca_trust_path=str(wire_tls.ca_cert))
    assert good.run_cmd("hostname").status_code == 0


def test_certificate_names_127_0_0_1_and_localhost(wire_tls):
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(wire_tls.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert oct(wire_tls.key.stat().st_mode & 0o777) == "0o600"
    assert not list(wire_tls.directory.glob("*ca*.key"))  # the CA key never touches the disk
    context = ssl.create_default_context(cafile=str(wire_tls.ca_cert))
    assert context.cert_store_stats()["x509_ca"] == 1


def test_broken_authorization_headers_get_401(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    garbage = [
        "Negotiate",
        "Negotiate !!!not-base64!!!",
        "Negotiate " + base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00short").decode(),
        "Negotiate " + base64.b64encode(b"NTLMSSP\x00\x01\x00\x00\x00").decode(),
        "Negotiate " + base64.b64encode(b"\x60\x82kerberos-ish").decode(),
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer abc.def",
        "",
    ]
    for value in garbage:
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
        conn.request("POST", "/wsman", body=b"", headers={"Authorization": value})
        response = conn.getresponse()
        response.read()
        assert response.status == 401, value
        conn.close()
    assert served.session().run_cmd("hostname").status_code == 0


def test_ntlm_credential_file_is_private_and_removed(wire_serve, wire_spec_factory, wire_loop):
    served = wire_serve(wire_spec_factory(auth="ntlm", computer_name="WMS"))
    path = served.server.auth.user_file
    assert path is not None and path.exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    twin = wire_serve(wire_spec_factory(auth="ntlm", name="wire-02", computer_name="WMS"))
    assert twin.server.auth.user_file == path  # same credentials, same file
    other = wire_serve(wire_spec_factory(auth="ntlm", name="wire-03", computer_name="WMS",
                                         password="Another-1"))
    assert other.server.auth.user_file != path
    for handle in (served, twin, other):
        wire_loop.run(handle.server.stop())
    assert not path.exists()
    assert auth_module.USER_FILES.directory is None or not any(
        auth_module.USER_FILES.directory.iterdir()
    )
    assert "NTLM_USER_FILE" not in __import__("os").environ


def test_session_reuses_one_connection(wire_serve, wire_spec_factory):
    served = wire_serve(wire_spec_factory(auth="ntlm"))
    session = served.session()
    for _ in range(3):
        assert session.run_cmd("x").status_code == 0
    # pywinrm closes the session after Delete: one TCP connection (and one handshake) per run
    assert served.server.stats.connections == 3
