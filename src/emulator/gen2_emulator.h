#pragma once
// The Gen2 emulator: one HTTP server that serves the DFS and the Blob APIs of one storage account from
// local stores (path-style URLs http://host:port/<account>/<filesystem>/<path>). Requests are classified
// per request by verb, query and headers (gen2-api.md section 4.4), never by user agent.

#include <functional>
#include <memory>
#include <string>

#include "acl/access.h"
#include "common/result.h"
#include "http/fault_injection.h"

namespace lakeshift::identity {
class IdentityProvider;
}

namespace lakeshift::emulator {

// The well-known development account of the Azure storage emulators.
inline constexpr const char* kDevAccountName = "devstoreaccount1";
inline constexpr const char* kDevAccountKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct Gen2EmulatorOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 10004;  // 0 picks a free port
  std::string data_dir;
  std::string account = kDevAccountName;
  std::string key = kDevAccountKey;  // base64 account key for Shared Key and SAS
  int worker_threads = 32;
  // HTTPS with this PEM certificate and key (both or neither); the account URL becomes https://.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Trusted for OAuth bearer tokens; null refuses them. Must outlive the emulator.
  const identity::IdentityProvider* identity = nullptr;
  // Injected failures and latency, for other components' tests.
  http::FaultOptions faults;
};

class Gen2Emulator {
 public:
  static Result<std::unique_ptr<Gen2Emulator>> Start(const Gen2EmulatorOptions& options);
  virtual ~Gen2Emulator() = default;
  // "http://127.0.0.1:10004/devstoreaccount1"
  virtual std::string account_url() const = 0;
  virtual uint16_t port() const = 0;
  virtual void Stop() = 0;
  // Blocks until SIGINT/SIGTERM, then stops gracefully.
  virtual void RunUntilSignal() = 0;
};

}  // namespace lakeshift::emulator
