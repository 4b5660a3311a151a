#pragma once
// The Gen1 compatibility gateway: speaks the Gen1 REST API and routes every request by the cutover phase that
// the migration records in its journal (migrate/cutover.h):
//   pass-through  forwarded to Gen1 unchanged (Gen1Proxy), so applications can move to the gateway early;
//   frozen        reads forwarded to Gen1; writes answered 429 ThrottledException with Retry-After, which the
//                 Gen1 SDKs retry (Python and Java back off 1, 4, 16, 64 s), while the final sync runs;
//   switched      served from Gen2 by the WebHDFS front-end over the Gen2 client, acting as the caller: the
//                 caller's Gen1 bearer token is exchanged on-behalf-of for a Gen2 token (the gateway's own Entra
//                 app makes the exchange), so Gen2's ACLs decide every request. A token the identity provider
//                 will not exchange (expired, forged, for another audience such as management) gets 401.
// The phase is read from the journal for every request, so a freeze takes effect at once on every gateway.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "endpoint/token_source.h"

namespace lakeshift::gateway {

struct GatewayOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;       // 0 picks a free port
  std::string tls_cert_file;  // HTTPS (what the Gen1 SDKs speak) with this PEM certificate and key
  std::string tls_key_file;
  int worker_threads = 64;

  std::string journal_file;  // the migration's journal (SQLite)
  // Gen1: the service base URL ("https://<account>.azuredatalakestore.net", the emulator's "https://host:port").
  std::string gen1_endpoint;
  // Gen2: the DFS base URL ("https://<account>.dfs.core.windows.net", the emulator's "https://host:port/<account>")
  // and the filesystem that holds the migrated account.
  std::string gen2_endpoint;
  std::string gen2_filesystem = "gen1";
  // The gateway's Entra application (resource: https://storage.azure.com/), for the on-behalf-of exchange.
  endpoint::ClientSecretConfig obo;
  std::string ca_file;  // extra CA bundle for https upstreams (the emulators' ca_file)
  // Object ids of the Gen2 account's superusers (its Owners / Storage Blob Data Owners), for the checks the gateway
  // answers itself (CHECKACCESS, listing "/"): Gen2 does not tell who they are.
  std::vector<std::string> superusers;
  std::chrono::seconds freeze_retry_after{5};
};

class Gateway {
 public:
  static Result<std::unique_ptr<Gateway>> Start(const GatewayOptions& options);
  virtual ~Gateway() = default;
  virtual std::string url() const = 0;  // "https://127.0.0.1:8443"; WebHDFS URLs are <url>/webhdfs/v1/<path>
  virtual uint16_t port() const = 0;
  virtual void Stop() = 0;
  virtual void RunUntilSignal() = 0;
};

}  // namespace lakeshift::gateway
