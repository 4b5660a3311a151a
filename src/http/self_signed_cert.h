#pragma once
// A self-signed TLS certificate for the local emulators and the tests: the server loads cert.pem and
// key.pem (ServerOptions::tls_cert_file / tls_key_file) and clients trust cert.pem as their CA file
// (ClientOptions::ca_file, curl --cacert, Python's cafile=).
//
// Plain C++ header: OpenSSL appears only in self_signed_cert.cc.

#include <string>
#include <vector>

#include "common/result.h"

namespace lakeshift::http {

struct SelfSignedCert {
  std::string cert_file;           // <out_dir>/cert.pem
  std::string key_file;            // <out_dir>/key.pem (mode 0600, unencrypted)
  std::string cert_pem;            // the contents of cert_file
  std::string sha256_fingerprint;  // "AB:CD:..." over the DER certificate, for logs and humans
};

// The names a local emulator answers to: localhost, 127.0.0.1, ::1 and the Azure-style account host
// names *.blob.localhost, *.dfs.localhost and *.azuredatalakestore.localhost.
std::vector<std::string> DefaultLocalCertNames();

// Generates an EC P-256 key and a self-signed certificate valid from an hour ago for 365 days, with one
// subjectAltName entry per element of dns_names_and_ips (an IPv4/IPv6 literal becomes an IP entry, anything
// else a DNS entry; a leading "*." is a wildcard). An empty list means DefaultLocalCertNames(). The
// certificate is its own CA (basicConstraints CA:TRUE, pathlen 0), so it can be a client's trust anchor.
// Creates out_dir if needed and replaces cert.pem and key.pem there atomically.
// Errors: kInvalidArgument for a malformed name, kIoError when the files cannot be written.
Result<SelfSignedCert> GenerateSelfSignedCert(const std::vector<std::string>& dns_names_and_ips,
                                              const std::string& out_dir);

}  // namespace lakeshift::http
