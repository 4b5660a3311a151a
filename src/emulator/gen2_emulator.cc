#include "emulator/gen2_emulator.h"

#include "common/log.h"
#include "emulator/gen2_account.h"
#include "emulator/gen2_auth.h"
#include "emulator/gen2_blob.h"
#include "emulator/gen2_dfs.h"
#include "http/server.h"

namespace lakeshift::emulator {
namespace {

// DFS or Blob, from the verb, the query and the headers (gen2-api.md section 4.4).
gen2::Api Classify(const Gen2Request& r) {
  const std::string& m = r.method();
  if (m == "PATCH" || r.HasQuery("resource") || r.HasQuery("action") || r.Header("x-ms-rename-source")) {
    return gen2::Api::kDfs;
  }
  if (r.HasQuery("restype") || r.HasQuery("comp")) return gen2::Api::kBlob;
  if (m == "DELETE" && !r.HasQuery("recursive")) {
    // Delete Blob and a DFS file delete look alike; the SDKs' generated clients ask for the API's body
    // format (Blob: XML, DFS: JSON), and the answers differ (202 and 200).
    auto accept = r.Header("Accept");
    if (accept && accept->find("application/xml") != std::string::npos) return gen2::Api::kBlob;
  }
  if (m == "POST" || m == "DELETE") return gen2::Api::kDfs;  // DFS lease and delete (recursive) semantics
  if (m == "PUT") return r.Header("x-ms-blob-type") ? gen2::Api::kBlob : gen2::Api::kDfs;
  return gen2::Api::kBlob;  // plain GET/HEAD: Get Blob / Get Blob Properties, as the SDKs call them
}

class Gen2EmulatorImpl final : public Gen2Emulator {
 public:
  Gen2EmulatorImpl(Gen2EmulatorOptions options, std::unique_ptr<Gen2Account> account)
      : options_(std::move(options)),
        credentials_{options_.account, options_.key, options_.identity},
        account_(std::move(account)),
        faults_(options_.faults) {}

  Status Listen() {
    http::ServerOptions server_options;
    server_options.host = options_.host;
    server_options.thread_name = "gen2";
    server_options.port = options_.port;
    server_options.worker_threads = options_.worker_threads;
    server_options.tls_cert_file = options_.tls_cert_file;
    server_options.tls_key_file = options_.tls_key_file;
    ASSIGN_OR_RETURN(server_,
                     http::Server::Start(server_options,
                                         [this](http::Request& req, http::ResponseWriter& out) { Handle(req, out); }));
    return Status::Ok();
  }

  std::string account_url() const override { return server_->base_url() + "/" + options_.account; }
  uint16_t port() const override { return server_->port(); }
  void Stop() override { server_->Stop(std::chrono::seconds(5)); }
  void RunUntilSignal() override {
    http::RunUntilSignal(*server_, std::chrono::seconds(10),
                         [this] { LOG_INFO("Gen2 emulator listening on " << account_url()); });
  }

 private:
  void Handle(http::Request& http_request, http::ResponseWriter& out) {
    auto parsed = ParseGen2Request(http_request);
    if (!parsed.ok()) {
      Gen2Request bare;
      bare.http = &http_request;
      SendError(bare, out, gen2::Api::kBlob, parsed.status());
      return;
    }
    Gen2Request& r = *parsed;
    gen2::Api api = Classify(r);
    if (InjectFault(r, api, out)) return;
    Status status = Dispatch(r, api, out);
    if (!status.ok()) {
      if (out.started()) return;  // mid-body failure: the server closes the connection
      LOG_DEBUG("gen2 " << r.method() << " " << http_request.target << ": " << status);
      http::Headers extra;
      bool bearer = r.Header("Authorization").value_or("").rfind("Bearer ", 0) == 0;
      if (bearer && gen2::ToServiceError(status, api).http_status == 401) {
        extra.Set("WWW-Authenticate", BearerChallenge(credentials_));
      }
      SendError(r, out, api, status, ErrorExtras{extra, {}});
    }
  }

  // True when the request was answered (or dropped) by an injected fault.
  bool InjectFault(const Gen2Request& r, gen2::Api api, http::ResponseWriter& out) {
    if (!faults_.options().enabled()) return false;
    switch (faults_.Next()) {
      case http::FaultAction::kNone: return false;
      case http::FaultAction::kDrop: out.Abort(); return true;
      case http::FaultAction::kError: break;
    }
    int status = faults_.options().error_status;
    http::Headers extra;
    if (faults_.options().retry_after_seconds > 0) {
      extra.Set("Retry-After", std::to_string(faults_.options().retry_after_seconds));
    }
    Status fault = status == 503 ? gen2::MakeError(503, "ServerBusy", "injected fault (--faults)")
                                 : gen2::MakeError(500, "InternalError", "injected fault (--faults)");
    SendError(r, out, api, fault, ErrorExtras{extra, {}});
    return true;
  }

  Status Dispatch(Gen2Request& r, gen2::Api api, http::ResponseWriter& out) {
    if (r.account != options_.account) {
      return gen2::MakeError(400, "InvalidUri",
                             "this emulator serves account " + options_.account + ", not " + r.account);
    }
    ASSIGN_OR_RETURN(r.caller, AuthenticateGen2(r, credentials_));
    return api == gen2::Api::kDfs ? HandleDfs(r, *account_, out) : HandleBlob(r, *account_, out);
  }

  Gen2EmulatorOptions options_;
  Gen2Credentials credentials_;
  std::unique_ptr<Gen2Account> account_;
  http::FaultInjector faults_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace

Result<std::unique_ptr<Gen2Emulator>> Gen2Emulator::Start(const Gen2EmulatorOptions& options) {
  if (options.data_dir.empty()) return InvalidArgument("the Gen2 emulator needs a data directory (--data DIR)");
  ASSIGN_OR_RETURN(auto account, Gen2Account::Open(options.data_dir, options.account));
  auto emulator = std::make_unique<Gen2EmulatorImpl>(options, std::move(account));
  RETURN_IF_ERROR(emulator->Listen().WithContext("listen on " + options.host + ":" + std::to_string(options.port)));
  return std::unique_ptr<Gen2Emulator>(std::move(emulator));
}

}  // namespace lakeshift::emulator
