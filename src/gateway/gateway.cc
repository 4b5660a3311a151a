#include "gateway/gateway.h"

#include <algorithm>
#include <cctype>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "common/log.h"
#include "encoding/base64.h"
#include "encoding/digest.h"
#include "encoding/time_format.h"
#include "gateway/gen1_on_gen2.h"
#include "gateway/proxy.h"
#include "gen1/errors.h"
#include "gen2client/dfs_client.h"
#include "gen2client/gen2_filesystem.h"
#include "http/server.h"
#include "migrate/cutover.h"
#include "webhdfs/webhdfs_frontend.h"
#include "webhdfs/webhdfs_request.h"

namespace lakeshift::gateway {
namespace {

// The claims of a JWT, read without verifying it: the identity provider verifies the token when the gateway
// exchanges it, and only tokens it exchanged are used. An empty object when the token is not a JWT.
nlohmann::json UnverifiedClaims(std::string_view token) {
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) return nlohmann::json::object();
  auto payload = encoding::Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload.ok()) return nlohmann::json::object();
  auto claims = nlohmann::json::parse(*payload, nullptr, false);
  return claims.is_object() ? claims : nlohmann::json::object();
}

// When the caller's token expires (epoch seconds), so a cached exchange does not outlive it. 0: not said.
int64_t ExpiryOf(const nlohmann::json& claims) {
  return claims.contains("exp") && claims["exp"].is_number() ? claims["exp"].get<int64_t>() : 0;
}

// The caller a token names (object id and groups), for the checks the gateway answers itself (CHECKACCESS).
acl::Caller CallerOf(const nlohmann::json& claims) {
  acl::Caller caller;
  if (claims.contains("oid") && claims["oid"].is_string()) caller.user = claims["oid"].get<std::string>();
  if (claims.contains("groups") && claims["groups"].is_array()) {
    for (const auto& g : claims["groups"]) {
      if (g.is_string()) caller.groups.push_back(g.get<std::string>());
    }
  }
  return caller;
}

class GatewayImpl final : public Gateway {
 public:
  explicit GatewayImpl(GatewayOptions options) : options_(std::move(options)) {}

  Status Open() {
    ASSIGN_OR_RETURN(journal_, migrate::OpenSqliteJournal(options_.journal_file));
    ASSIGN_OR_RETURN(migrate::CutoverState state, migrate::ReadCutover(*journal_));
    LOG_INFO("gateway: the migration in " << options_.journal_file << " is in phase "
                                          << migrate::CutoverPhaseName(state.phase));
    http::ClientOptions client_options;
    client_options.ca_file = options_.ca_file;
    client_options.max_connections = static_cast<size_t>(options_.worker_threads) * 2;
    client_options.retry = http::RetryPolicy::None();
    client_options.expect_continue = false;  // the body is already here: no round trip to ask whether to send it
    http_ = std::make_shared<http::HttpClient>(client_options);
    proxy_ = std::make_unique<Gen1Proxy>(options_.gen1_endpoint, http_);

    webhdfs::FrontEndOptions fo;
    fo.bind = [this](const http::Request& request) { return BindGen2(request); };
    fo.www_authenticate = "Bearer authorization_uri=" + options_.obo.authority_host + "/" + options_.obo.tenant_id +
                          "/oauth2/authorize, resource_id=https://datalake.azure.net/";
    frontend_ = std::make_unique<webhdfs::WebHdfsFrontEnd>(fo);

    http::ServerOptions so;
    so.host = options_.host;
    so.thread_name = "gateway";
    so.port = options_.port;
    so.worker_threads = options_.worker_threads;
    so.tls_cert_file = options_.tls_cert_file;
    so.tls_key_file = options_.tls_key_file;
    ASSIGN_OR_RETURN(server_, http::Server::Start(so, [this](http::Request& request, http::ResponseWriter& out) {
                       Handle(request, out);
                     }));
    return Status::Ok();
  }

  std::string url() const override { return server_->base_url(); }
  uint16_t port() const override { return server_->port(); }
  void Stop() override {
    if (server_) server_->Stop(std::chrono::seconds(5));
  }
  void RunUntilSignal() override {
    http::RunUntilSignal(*server_, std::chrono::seconds(10), [this] { LOG_INFO("gateway listening on " << url()); });
  }

 private:
  void Handle(http::Request& request, http::ResponseWriter& out) {
    if (!webhdfs::IsWebHdfsPath(request.path)) {
      frontend_->SendError(request, out, "", request.path,
                           gen1::MakeError(404, "FileNotFoundException",
                                           "no such endpoint: " + request.path + " (use /webhdfs/v1/<path>)"));
      return;
    }
    auto phase = migrate::ReadCutoverPhase(*journal_);
    if (!phase.ok()) {
      LOG_WARNING("gateway: cannot read the cutover phase: " << phase.status());
      frontend_->SendError(
          request, out, "", request.path,
          gen1::MakeError(503, "RuntimeException", "the gateway cannot read the migration journal; retry shortly"),
          {{"Retry-After", "1"}});
      return;
    }
    bool read = request.method == "GET" || request.method == "HEAD";
    switch (*phase) {
      case migrate::CutoverPhase::kPassThrough: return PassThrough(request, out);
      case migrate::CutoverPhase::kFrozen:
        if (read) return PassThrough(request, out);
        frontend_->SendError(
            request, out, "", request.path,
            gen1::MakeError(429, "ThrottledException",
                            "writes are paused while the account moves to Data Lake Storage Gen2; retry in a few "
                            "seconds"),
            {{"Retry-After", std::to_string(options_.freeze_retry_after.count())}});
        return;
      case migrate::CutoverPhase::kSwitched: frontend_->Handle(request, out); return;
    }
  }

  void PassThrough(http::Request& request, http::ResponseWriter& out) {
    std::string host = request.headers.Get("Host").value_or(options_.host + ":" + std::to_string(port()));
    std::string public_base = std::string(request.tls ? "https://" : "http://") + host;
    Status s = proxy_->Forward(request, out, public_base);
    if (!s.ok()) {
      LOG_WARNING("gateway: Gen1 did not answer " << request.method << " " << request.path << ": " << s);
      frontend_->SendError(request, out, "", request.path,
                           gen1::MakeError(502, "RuntimeException",
                                           "the gateway could not reach Data Lake Storage Gen1: " + s.message()),
                           {{"Retry-After", "1"}});
    }
  }

  // After the switch: a Gen2 client acting as the caller, through an on-behalf-of exchange of the caller's token.
  Result<std::shared_ptr<fs::FileSystem>> BindGen2(const http::Request& request) {
    auto header = request.headers.Get("Authorization");
    if (!header) return gen1::MakeError(401, "SecurityException", "Authorization header missing: send a bearer token");
    std::string_view token = *header;
    if (token.size() < 7 || !http::EqualsIgnoreCase(token.substr(0, 7), "Bearer ")) {
      return gen1::MakeError(401, "SecurityException", "Authorization is not a bearer token");
    }
    token.remove_prefix(7);
    ASSIGN_OR_RETURN(std::string digest, encoding::Sha256(token));
    int64_t now = encoding::NowEpochMillis() / 1000;
    {
      std::lock_guard lock(callers_mu_);
      auto it = callers_.find(digest);
      if (it != callers_.end() && (it->second.expires_at == 0 || it->second.expires_at > now)) return it->second.fs;
      if (it != callers_.end()) callers_.erase(it);
    }
    nlohmann::json claims = UnverifiedClaims(token);
    int64_t expires_at = ExpiryOf(claims);
    if (expires_at != 0 && expires_at <= now) return gen1::MakeError(401, "SecurityException", "Token Expired");
    auto source = std::make_shared<endpoint::CachingTokenSource>(
        endpoint::OnBehalfOfFetcher(http_, options_.obo, std::string(token)));
    auto first = source->Get();  // the exchange verifies the caller's token
    if (!first.ok()) {
      if (first.status().code() == StatusCode::kUnauthenticated) {
        return gen1::MakeError(401, "SecurityException", first.status().message());
      }
      LOG_WARNING("gateway: on-behalf-of exchange failed: " << first.status());
      return gen1::MakeError(503, "RuntimeException",
                             "the gateway could not get a Gen2 token for the caller; retry shortly");
    }
    gen2client::DfsClientOptions dfs_options;
    dfs_options.endpoint = options_.gen2_endpoint;
    auto client = std::make_shared<gen2client::DfsClient>(
        dfs_options, gen2client::Gen2Credential::Bearer(endpoint::AsFunction(source)), http_);
    auto gen2 = std::make_shared<gen2client::Gen2FileSystem>(client, options_.gen2_filesystem, appends_);
    acl::Caller caller = CallerOf(claims);
    caller.superuser =
        std::find(options_.superusers.begin(), options_.superusers.end(), caller.user) != options_.superusers.end();
    std::shared_ptr<fs::FileSystem> fs = Gen1OnGen2(
        std::move(gen2), std::move(caller), [this](std::vector<fs::FileInfo>& files) { ApplyPreservedTimes(files); },
        [this](const std::string& path, const std::string& etag, int64_t mtime, int64_t atime) {
          Status s =
              journal_->SetValue(kSetTimesKey + path, etag + " " + std::to_string(mtime) + " " + std::to_string(atime));
          if (s.ok()) s = journal_->SetValue(kSetTimesMarker, "1");
          if (!s.ok()) LOG_WARNING("gateway: cannot record the times set on " << path << ": " << s);
        },
        [this](const std::string& dir, const std::string& after, int max) { return TimesForPage(dir, after, max); });
    std::lock_guard lock(callers_mu_);
    if (callers_.size() >= kMaxCallers) callers_.clear();
    callers_[digest] = Caller{fs, expires_at};
    return fs;
  }

  // The times to show for files while Gen2 holds the very version they belong to: the times SETTIMES gave a
  // file through a gateway since the switch (journal settings "gateway.settimes:<path>" = "<etag> <mtime>
  // <atime>"; looked up only once any exists), or else the source times the migration copied it with.
  // `prefetched`, when given, holds what the journal kept under the listed directory (read while Gen2 listed);
  // files past what it covers are looked up by path.
  void ApplyPreservedTimes(std::vector<fs::FileInfo>& files, const migrate::KeptUnder* prefetched = nullptr) {
    std::vector<size_t> positions;  // of the files among `files`
    std::vector<std::optional<migrate::KeptTimes>> kept;
    std::vector<migrate::TargetVersion> unread;  // the files `prefetched` does not cover
    std::vector<size_t> unread_at;               // their places in `kept`
    for (size_t i = 0; i < files.size(); ++i) {
      const fs::FileInfo& f = files[i];
      if (!f.is_file()) continue;
      positions.push_back(i);
      kept.emplace_back();
      // Covered: strictly after where the read started, and not past where it stopped.
      if (prefetched && f.path > prefetched->read_after &&
          (prefetched->read_through.empty() || f.path <= prefetched->read_through)) {
        auto it = prefetched->by_target_path.find(f.path);
        if (it != prefetched->by_target_path.end() && it->second.target_etag == f.etag) kept.back() = it->second.times;
        continue;
      }
      unread.push_back({f.path, f.etag});
      unread_at.push_back(kept.size() - 1);
    }
    if (positions.empty()) return;
    if (!unread.empty()) {
      auto looked_up = journal_->GetKeptTimes(unread);
      if (looked_up.ok()) {
        for (size_t k = 0; k < unread.size(); ++k) kept[unread_at[k]] = (*looked_up)[k];
      } else {  // those files show Gen2's times; the others still get theirs
        LOG_WARNING("gateway: cannot read the preserved times: " << looked_up.status());
      }
    }
    auto any_set = journal_->GetValue(kSetTimesMarker);
    bool look_for_set = any_set.ok() && any_set->has_value();
    for (size_t k = 0; k < positions.size(); ++k) {
      fs::FileInfo& f = files[positions[k]];
      if (look_for_set) {
        if (auto set = journal_->GetValue(kSetTimesKey + f.path); set.ok() && *set) {
          std::istringstream in(**set);
          std::string etag;
          int64_t mtime = 0;
          int64_t atime = 0;
          if (in >> etag >> mtime >> atime && etag == f.etag) {
            f.modification_time_ms = mtime;
            f.access_time_ms = atime;
            continue;
          }
        }
      }
      if (const std::optional<migrate::KeptTimes>& times = kept[k]) {
        f.modification_time_ms = times->modification_time_ms;
        f.access_time_ms = times->access_time_ms;
      }
    }
  }

  // For a listing page: reads what the journal kept under `dir` on another thread while Gen2 lists, up to twice
  // the page in rows (deeper items count too; a directory of big subdirectories falls back to lookups by path).
  gateway::PreservedTimes TimesForPage(const std::string& dir, const std::string& after, int max) {
    size_t rows = 2 * static_cast<size_t>(max > 0 ? max : fs::ListOptions{}.max_results) + 64;
    std::shared_ptr<std::future<Result<migrate::KeptUnder>>> read;
    try {
      read = std::make_shared<std::future<Result<migrate::KeptUnder>>>(
          std::async(std::launch::async,
                     [journal = journal_.get(), dir, after, rows] { return journal->GetKeptUnder(dir, after, rows); }));
    } catch (const std::system_error& e) {  // no thread to be had: look the files up by path afterwards
      LOG_WARNING("gateway: cannot start reading the preserved times ahead: " << e.what());
      return [this](std::vector<fs::FileInfo>& files) { ApplyPreservedTimes(files); };
    }
    return [this, read](std::vector<fs::FileInfo>& files) {
      Result<migrate::KeptUnder> kept = read->get();
      if (!kept.ok()) LOG_WARNING("gateway: cannot read the preserved times under a directory: " << kept.status());
      ApplyPreservedTimes(files, kept.ok() ? &*kept : nullptr);
    };
  }
  static constexpr const char* kSetTimesMarker = "gateway.settimes";
  static constexpr const char* kSetTimesKey = "gateway.settimes:";

  struct Caller {
    std::shared_ptr<fs::FileSystem> fs;
    int64_t expires_at = 0;
  };
  static constexpr size_t kMaxCallers = 10000;

  GatewayOptions options_;
  std::unique_ptr<migrate::Journal> journal_;
  std::shared_ptr<http::HttpClient> http_;
  std::unique_ptr<Gen1Proxy> proxy_;
  std::unique_ptr<webhdfs::WebHdfsFrontEnd> frontend_;
  std::unique_ptr<http::Server> server_;
  std::mutex callers_mu_;
  std::unordered_map<std::string, Caller> callers_;
  // Shared by every caller's Gen2 client: Gen1 appends by one caller are seen by the next (BadOffset checks).
  std::shared_ptr<gen2client::AppendTracker> appends_ = std::make_shared<gen2client::AppendTracker>();
};

}  // namespace

Result<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options) {
  if (options.journal_file.empty()) return InvalidArgument("the gateway needs the migration's journal (--journal)");
  if (options.gen1_endpoint.empty()) return InvalidArgument("the gateway needs the Gen1 account (--gen1)");
  if (options.gen2_endpoint.empty()) return InvalidArgument("the gateway needs the Gen2 account (--gen2)");
  auto gateway = std::make_unique<GatewayImpl>(options);
  RETURN_IF_ERROR(gateway->Open().WithContext("gateway on " + options.host + ":" + std::to_string(options.port)));
  return std::unique_ptr<Gateway>(std::move(gateway));
}

}  // namespace lakeshift::gateway
