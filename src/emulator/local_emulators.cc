#include "emulator/local_emulators.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emulator/gen1_emulator.h"
#include "emulator/gen2_emulator.h"
#include "http/self_signed_cert.h"
#include "http/server.h"
#include "identity/provider.h"

namespace lakeshift::emulator {
namespace {

namespace stdfs = std::filesystem;

// The certificate of an earlier run, so clients that trust it keep working; a new one otherwise.
Result<std::pair<std::string, std::string>> LoadOrCreateCert(const std::string& dir) {
  std::string cert = dir + "/cert.pem";
  std::string key = dir + "/key.pem";
  std::error_code ec;
  if (stdfs::exists(cert, ec) && stdfs::exists(key, ec)) return std::make_pair(cert, key);
  ASSIGN_OR_RETURN(http::SelfSignedCert generated, http::GenerateSelfSignedCert({}, dir));
  return std::make_pair(generated.cert_file, generated.key_file);
}

// Written to a temporary file and renamed, mode 0600: it holds the account key and secrets.
Status WritePrivateFile(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return IoError("cannot write " + tmp);
    out << content;
    if (!out.flush()) return IoError("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  stdfs::rename(tmp, path, ec);
  if (ec) return IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

class LocalEmulatorsImpl final : public LocalEmulators {
 public:
  Status Start(const LocalEmulatorsOptions& o) {
    if (o.data_dir.empty()) return InvalidArgument("the emulators need a data directory (--data DIR)");
    std::error_code ec;
    stdfs::create_directories(o.data_dir, ec);
    if (ec) return IoError("cannot create " + o.data_dir + ": " + ec.message());
    data_dir_ = stdfs::absolute(o.data_dir).lexically_normal().string();
    if (o.tls) {
      ASSIGN_OR_RETURN(auto cert, LoadOrCreateCert(data_dir_ + "/tls"));
      cert_file_ = cert.first;
      key_file_ = cert.second;
    }

    identity::ProviderOptions provider_options;
    provider_options.data_dir = data_dir_ + "/identity";
    if (!o.principals_file.empty()) {
      ASSIGN_OR_RETURN(provider_options.principals, identity::LoadPrincipalsFile(o.principals_file));
    }
    ASSIGN_OR_RETURN(provider_, identity::IdentityProvider::Open(provider_options));
    http::ServerOptions identity_server;
    identity_server.host = o.host;
    identity_server.thread_name = "identity";
    identity_server.port = o.identity_port;
    identity_server.tls_cert_file = cert_file_;
    identity_server.tls_key_file = key_file_;
    identity_server.worker_threads = 4;
    auto server = http::Server::Start(identity_server, identity::MakeIdentityHandler(*provider_));
    if (!server.ok()) {
      return server.status().WithContext("identity provider: listen on " + o.host + ":" +
                                         std::to_string(o.identity_port));
    }
    identity_server_ = std::move(server).value();
    provider_->SetPublicBaseUrl(identity_server_->base_url());

    Gen2EmulatorOptions gen2;
    gen2.host = o.host;
    gen2.port = o.gen2_port;
    gen2.data_dir = data_dir_ + "/gen2";
    if (!o.account.empty()) gen2.account = o.account;
    if (!o.key.empty()) gen2.key = o.key;
    gen2.tls_cert_file = cert_file_;
    gen2.tls_key_file = key_file_;
    gen2.identity = provider_.get();
    gen2.faults = o.faults;
    ASSIGN_OR_RETURN(gen2_, Gen2Emulator::Start(gen2));
    gen2_account_ = gen2.account;
    gen2_key_ = gen2.key;

    Gen1EmulatorOptions gen1;
    gen1.host = o.host;
    gen1.port = o.gen1_port;
    gen1.data_dir = data_dir_ + "/gen1";
    gen1.tls_cert_file = cert_file_;
    gen1.tls_key_file = key_file_;
    gen1.identity = provider_.get();
    gen1.faults = o.faults;
    ASSIGN_OR_RETURN(gen1_, Gen1Emulator::Start(gen1));

    json_ = ConnectionJson();
    return WritePrivateFile(connection_file(), json_);
  }

  const std::string& connection_json() const override { return json_; }
  std::string connection_file() const override { return data_dir_ + "/emulators.json"; }

  std::string Summary() const override {
    const identity::Principal& admin = provider_->admin();
    std::ostringstream out;
    out << "Identity provider: " << provider_->public_base_url() << " (tenant " << provider_->tenant_id() << ")\n"
        << "Gen1 emulator: " << gen1_->url() << "/webhdfs/v1/ (bearer tokens for https://datalake.azure.net/)\n"
        << "Gen2 emulator: " << gen2_->account_url() << " (account " << gen2_account_ << ", key " << gen2_key_ << ")\n"
        << "Admin principal: client id " << admin.client_id << ", secret " << admin.client_secret << ", object id "
        << admin.object_id << "\n";
    if (!cert_file_.empty()) out << "TLS certificate (trust it as a CA): " << cert_file_ << "\n";
    out << "Connection details: " << connection_file();
    return out.str();
  }

  void Stop() override {
    if (gen1_) gen1_->Stop();
    if (gen2_) gen2_->Stop();
    if (identity_server_) identity_server_->Stop(std::chrono::seconds(5));
  }

 private:
  std::string ConnectionJson() const {
    using nlohmann::json;
    std::string base = provider_->public_base_url();
    std::string authority = provider_->Authority();
    const identity::Principal& admin = provider_->admin();
    json principals = json::array();
    for (const identity::Principal& p : provider_->principals().all()) {
      if (p.object_id == admin.object_id) continue;
      principals.push_back({{"client_id", p.client_id},
                            {"client_secret", p.client_secret},
                            {"object_id", p.object_id},
                            {"groups", p.groups},
                            {"superuser", p.superuser}});
    }
    json doc = {
        {"tenant_id", provider_->tenant_id()},
        {"identity",
         {{"url", base},
          {"authority", authority},
          {"token_url", authority + "/oauth2/v2.0/token"},
          {"token_url_v1", authority + "/oauth2/token"},
          {"jwks_url", authority + "/discovery/v2.0/keys"}}},
        {"gen1", {{"url", gen1_->url()}, {"webhdfs_url", gen1_->url() + "/webhdfs/v1"}}},
        {"gen2", {{"url", gen2_->account_url()}, {"account", gen2_account_}, {"key", gen2_key_}}},
        {"admin",
         {{"client_id", admin.client_id}, {"client_secret", admin.client_secret}, {"object_id", admin.object_id}}},
        {"principals", principals},
    };
    if (!cert_file_.empty()) doc["ca_file"] = cert_file_;
    return doc.dump(2) + "\n";
  }

  std::string data_dir_;
  std::string cert_file_;
  std::string key_file_;
  std::unique_ptr<identity::IdentityProvider> provider_;
  std::unique_ptr<http::Server> identity_server_;
  std::unique_ptr<Gen2Emulator> gen2_;
  std::unique_ptr<Gen1Emulator> gen1_;
  std::string gen2_account_;
  std::string gen2_key_;
  std::string json_;
};

}  // namespace

Result<std::unique_ptr<LocalEmulators>> LocalEmulators::Start(const LocalEmulatorsOptions& options) {
  auto emulators = std::make_unique<LocalEmulatorsImpl>();
  Status started = emulators->Start(options);
  if (!started.ok()) {
    emulators->Stop();
    return started;
  }
  return std::unique_ptr<LocalEmulators>(std::move(emulators));
}

}  // namespace lakeshift::emulator
