#pragma once
// `lakeshift emulate` with no store name: the local identity provider and the stores together, sharing one
// TLS certificate, with a connection file <data>/emulators.json that scripts and tests read. Its shape is a
// public interface (keep it stable; keys may be added):
//   {"tenant_id": ..., "identity": {"url", "authority", "token_url", "token_url_v1", "jwks_url"},
//    "gen1": {"url", "webhdfs_url"}, "gen2": {"url", "account", "key"}, "admin": {"client_id", "client_secret",
//    "object_id"}, "principals": [{"client_id", "client_secret", "object_id", "groups", "superuser"}], "ca_file": PEM
//    path}
// ("ca_file" only when serving HTTPS).

#include <memory>
#include <string>

#include "common/result.h"
#include "http/fault_injection.h"

namespace lakeshift::emulator {

struct LocalEmulatorsOptions {
  std::string data_dir;  // identity/, gen2/, tls/ and emulators.json live here
  std::string host = "127.0.0.1";
  uint16_t identity_port = 10005;  // 0 picks free ports
  uint16_t gen2_port = 10004;
  uint16_t gen1_port = 8081;
  std::string account;  // empty: the development account and key
  std::string key;
  std::string principals_file;  // more principals besides the built-in admin; empty for none
  // HTTPS with a self-signed certificate kept in <data>/tls (created once). Real OAuth clients (MSAL, the
  // Azure SDKs) refuse bearer tokens and authorities over plain HTTP.
  bool tls = true;
  http::FaultOptions faults;  // applied by the stores, not the identity provider
};

class LocalEmulators {
 public:
  static Result<std::unique_ptr<LocalEmulators>> Start(const LocalEmulatorsOptions& options);
  virtual ~LocalEmulators() = default;
  // The text written to emulators.json.
  virtual const std::string& connection_json() const = 0;
  virtual std::string connection_file() const = 0;
  // Human-readable lines: each service's URL and credentials.
  virtual std::string Summary() const = 0;
  virtual void Stop() = 0;
};

}  // namespace lakeshift::emulator
