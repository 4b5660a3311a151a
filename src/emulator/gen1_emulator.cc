#include "emulator/gen1_emulator.h"

#include <cctype>
#include <filesystem>

#include "common/log.h"
#include "gen1/errors.h"
#include "http/server.h"
#include "identity/provider.h"
#include "store/local_store.h"
#include "webhdfs/webhdfs_frontend.h"
#include "webhdfs/webhdfs_request.h"

namespace lakeshift::emulator {
namespace {

// The service's AuthenticationErrorDetail-like reason for a token that failed validation.
std::string TokenFailure(const Status& status) {
  auto reason = identity::TokenErrorOf(status);
  if (!reason) return status.message();
  switch (*reason) {
    case identity::TokenError::kExpired: return "Token Expired";
    case identity::TokenError::kWrongAudience:
      return "Invalid audience: tokens for the Gen1 service have the audience https://datalake.azure.net/";
    default: return "Invalid token: " + status.message();
  }
}

class Gen1EmulatorImpl final : public Gen1Emulator {
 public:
  explicit Gen1EmulatorImpl(Gen1EmulatorOptions options) : options_(std::move(options)), faults_(options_.faults) {}

  Status Open() {
    // The store creates only its own directory; <data> itself may be new (`lakeshift emulate` passes <data>/gen1).
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    if (ec) return IoError("cannot create " + options_.data_dir + ": " + ec.message());
    if (options_.identity == nullptr) {
      identity::ProviderOptions po;
      po.data_dir = options_.data_dir + "/identity";
      if (!options_.principals_file.empty()) {
        ASSIGN_OR_RETURN(po.principals, identity::LoadPrincipalsFile(options_.principals_file));
      }
      ASSIGN_OR_RETURN(own_identity_, identity::IdentityProvider::Open(po));
      provider_ = own_identity_.get();
    } else {
      provider_ = options_.identity;
    }
    store::LocalStoreOptions so;
    so.directory = options_.data_dir + "/store";
    so.policy = &acl::AclPolicy::Gen1();
    // The account creator owns "/"; its owning group is the all-zero GUID (accounts made after Sept 2018).
    so.root_owner = provider_->admin().object_id;
    so.root_group = kGen1RootGroup;
    so.root_mode = 0770;
    ASSIGN_OR_RETURN(store_, store::LocalStore::Open(so));

    webhdfs::FrontEndOptions fo;
    fo.bind = [this](const http::Request& request) { return Bind(request); };
    fo.www_authenticate = "Bearer authorization_uri=" + provider_->Authority() +
                          "/oauth2/authorize, resource_id=https://datalake.azure.net/";
    frontend_ = std::make_unique<webhdfs::WebHdfsFrontEnd>(fo);

    http::ServerOptions server_options;
    server_options.host = options_.host;
    server_options.thread_name = "gen1";
    server_options.port = options_.port;
    server_options.worker_threads = options_.worker_threads;
    server_options.tls_cert_file = options_.tls_cert_file;
    server_options.tls_key_file = options_.tls_key_file;
    ASSIGN_OR_RETURN(server_,
                     http::Server::Start(server_options,
                                         [this](http::Request& req, http::ResponseWriter& out) { Handle(req, out); }));
    if (own_identity_) own_identity_->SetPublicBaseUrl(server_->base_url());
    return Status::Ok();
  }

  std::string url() const override { return server_->base_url(); }
  uint16_t port() const override { return server_->port(); }
  const identity::IdentityProvider& identity() const override { return *provider_; }
  void Stop() override {
    if (server_) server_->Stop(std::chrono::seconds(5));
  }
  void RunUntilSignal() override {
    http::RunUntilSignal(*server_, std::chrono::seconds(10),
                         [this] { LOG_INFO("Gen1 emulator listening on " << url()); });
  }

 private:
  void Handle(http::Request& request, http::ResponseWriter& out) {
    if (!webhdfs::IsWebHdfsPath(request.path)) {
      if (own_identity_) {
        identity::HandleIdentityRequest(*own_identity_, request, out);
      } else {
        frontend_->SendError(request, out, "", request.path,
                             gen1::MakeError(404, "FileNotFoundException",
                                             "no such endpoint: " + request.path + " (use /webhdfs/v1/<path>)"));
      }
      return;
    }
    if (faults_.options().enabled()) {
      switch (faults_.Next()) {
        case http::FaultAction::kNone: break;
        case http::FaultAction::kDrop: out.Abort(); return;
        case http::FaultAction::kError: {
          http::Headers extra;
          if (faults_.options().retry_after_seconds > 0) {
            extra.Set("Retry-After", std::to_string(faults_.options().retry_after_seconds));
          }
          int status = faults_.options().error_status;
          frontend_->SendError(request, out, "", request.path,
                               gen1::MakeError(status, "RuntimeException", "injected fault (--faults)"), extra);
          return;
        }
      }
    }
    frontend_->Handle(request, out);
  }

  // Bearer tokens for the Data Lake audience; superusers bypass the ACLs.
  Result<std::shared_ptr<fs::FileSystem>> Bind(const http::Request& request) {
    auto header = request.headers.Get("Authorization");
    if (!header) return gen1::MakeError(401, "SecurityException", "Authorization header missing: send a bearer token");
    auto token = identity::ParseBearer(*header);
    if (!token) return gen1::MakeError(401, "SecurityException", "Authorization is not a bearer token");
    auto claims = provider_->VerifyAccessToken(*token, identity::kDataLakeAudience);
    if (!claims.ok()) return gen1::MakeError(401, "SecurityException", TokenFailure(claims.status()));
    acl::Caller caller;
    caller.user = claims->oid;
    caller.groups = claims->groups;
    caller.superuser = provider_->IsSuperuser(claims->oid);
    return store_->ForCaller(std::move(caller));
  }

  Gen1EmulatorOptions options_;
  http::FaultInjector faults_;
  std::unique_ptr<identity::IdentityProvider> own_identity_;
  const identity::IdentityProvider* provider_ = nullptr;
  std::shared_ptr<store::LocalStore> store_;
  std::unique_ptr<webhdfs::WebHdfsFrontEnd> frontend_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace

Result<std::unique_ptr<Gen1Emulator>> Gen1Emulator::Start(const Gen1EmulatorOptions& options) {
  if (options.data_dir.empty()) return InvalidArgument("the Gen1 emulator needs a data directory (--data DIR)");
  auto emulator = std::make_unique<Gen1EmulatorImpl>(options);
  RETURN_IF_ERROR(
      emulator->Open().WithContext("Gen1 emulator on " + options.host + ":" + std::to_string(options.port)));
  return std::unique_ptr<Gen1Emulator>(std::move(emulator));
}

}  // namespace lakeshift::emulator
