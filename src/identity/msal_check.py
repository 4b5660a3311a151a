"""MSAL for Python against the local identity provider (run by obo_test.cc).

Usage: msal_check.py HOST:PORT TENANT CLIENT_ID CLIENT_SECRET GEN1_TOKEN
Prints one JSON line: whether MSAL refused an http:// authority, and the tokens it acquired over https://
authority URLs that a requests session carries over plain HTTP (the stand-in for a TLS front end).
"""

import json
import sys

import msal
import requests


class PlainHttpSession(requests.Session):
    """Sends https://HOST:PORT requests to http://HOST:PORT; everything else is refused."""

    def __init__(self, host_port):
        super().__init__()
        self.trust_env = False  # no proxies from the environment
        self.host_port = host_port

    def request(self, method, url, *args, **kwargs):
        for scheme in ("https://", "http://"):
            if url.startswith(scheme + self.host_port + "/"):
                return super().request(method, "http://" + url[len(scheme):], *args, **kwargs)
        raise ValueError("unexpected request outside the local identity provider: " + url)


def main():
    host_port, tenant, client_id, secret, gen1_token = sys.argv[1:6]
    result = {}
    try:
        msal.ConfidentialClientApplication(
            client_id, client_credential=secret, authority="http://%s/%s" % (host_port, tenant),
            http_client=PlainHttpSession(host_port))
        result["http_authority_refused"] = False
    except ValueError:
        result["http_authority_refused"] = True

    app = msal.ConfidentialClientApplication(
        client_id, client_credential=secret, authority="https://%s/%s" % (host_port, tenant),
        http_client=PlainHttpSession(host_port),
        # MSAL asks login.microsoftonline.com about unknown hosts unless told where to ask.
        instance_discovery="https://%s/common/discovery/instance" % host_port)
    cc = app.acquire_token_for_client(["https://storage.azure.com/.default"])
    if "access_token" not in cc:
        raise SystemExit("client credentials failed: %r" % cc)
    result["client_credentials_token"] = cc["access_token"]
    obo = app.acquire_token_on_behalf_of(gen1_token, ["https://storage.azure.com/.default"])
    if "access_token" not in obo:
        raise SystemExit("on-behalf-of failed: %r" % obo)
    result["on_behalf_of_token"] = obo["access_token"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
