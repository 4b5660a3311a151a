#pragma once
// The Gen1 emulator: one ADLS Gen1 account served with the WebHDFS front-end over a local store that follows
// the Gen1 ACL rules. Callers authenticate with bearer tokens of the local identity provider (audience
// https://datalake.azure.net/); the provider's superusers are the account's Owners, everyone else is checked
// against the ACLs. Run alone, it serves its own identity provider on the same port.

#include <memory>
#include <string>

#include "common/result.h"
#include "http/fault_injection.h"

namespace lakeshift::identity {
class IdentityProvider;
}

namespace lakeshift::emulator {

inline constexpr const char* kGen1RootGroup = "00000000-0000-0000-0000-000000000000";

struct Gen1EmulatorOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8081;  // 0 picks a free port
  std::string data_dir;  // store/ (and identity/ when serving its own provider)
  int worker_threads = 32;
  std::string tls_cert_file;  // HTTPS with this PEM certificate and key (both or neither)
  std::string tls_key_file;
  // Trusted for bearer tokens. Null: the emulator opens a provider in <data>/identity and serves its
  // endpoints on its own port (everything outside /webhdfs/v1 and /WebHdfsExt). Must outlive the emulator.
  const identity::IdentityProvider* identity = nullptr;
  // With its own provider: a JSON list of principals besides the built-in admin (identity::LoadPrincipalsFile).
  std::string principals_file;
  http::FaultOptions faults;
};

class Gen1Emulator {
 public:
  static Result<std::unique_ptr<Gen1Emulator>> Start(const Gen1EmulatorOptions& options);
  virtual ~Gen1Emulator() = default;
  // "http://127.0.0.1:8081": WebHDFS URLs are <url>/webhdfs/v1/<path>.
  virtual std::string url() const = 0;
  virtual uint16_t port() const = 0;
  // The provider the emulator trusts (its own when it serves one).
  virtual const identity::IdentityProvider& identity() const = 0;
  virtual void Stop() = 0;
  virtual void RunUntilSignal() = 0;
};

}  // namespace lakeshift::emulator
