// IdentityProvider: state (key, principals, URLs), token minting helpers, verification, Entra error bodies.

#include "identity/provider.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "encoding/time_format.h"
#include "identity/provider_internal.h"
#include "identity/secret_file.h"

namespace lakeshift::identity {

namespace internal {

Status EntraError(int http_status, std::string_view error, int code, std::string_view description) {
  StatusCode status_code = http_status == 401 ? StatusCode::kUnauthenticated : StatusCode::kInvalidArgument;
  return Status(status_code, "AADSTS" + std::to_string(code) + ": " + std::string(description))
      .WithDetail(ServiceDetail{http_status, std::string(error), ""});
}

int EntraErrorBody(const Status& status, std::string_view base_url, std::string_view trace_id,
                   std::string_view correlation_id, std::string& body) {
  const ServiceDetail* detail = status.detail();
  const std::string& message = status.message();
  int http_status = 500;
  std::string error = "server_error";
  int code = 0;
  std::string description = message;
  if (detail != nullptr && detail->http_status != 0 && message.starts_with("AADSTS")) {
    http_status = detail->http_status;
    error = detail->service_code;
    code = static_cast<int>(std::strtol(message.c_str() + 6, nullptr, 10));
  } else {
    // Not an Entra error: a bug or a disk failure. Say so without pretending to be an AADSTS code.
    description = "AADSTS50000: There was an error issuing a token or an authorization code. " + status.ToString();
    code = 50000;
  }
  std::string timestamp = EntraTimestamp(NowSeconds());
  description += "\r\nTrace ID: " + std::string(trace_id) + "\r\nCorrelation ID: " + std::string(correlation_id) +
                 "\r\nTimestamp: " + timestamp;
  nlohmann::ordered_json j = {{"error", error},
                              {"error_description", description},
                              {"error_codes", {code}},
                              {"timestamp", timestamp},
                              {"trace_id", trace_id},
                              {"correlation_id", correlation_id},
                              {"error_uri", std::string(base_url) + "/error?code=" + std::to_string(code)}};
  body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return http_status;
}

std::string EntraTimestamp(int64_t epoch_seconds) {
  std::string text = encoding::FormatRfc3339(epoch_seconds * 1000000000);
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

int64_t NowSeconds() {
  return encoding::NowEpochMillis() / 1000;
}

}  // namespace internal

namespace {

Status MakeDataDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("create directory " + dir, errno);
  return Status::Ok();
}

Result<RsaKey> LoadOrCreateKey(const std::string& dir) {
  std::string path = dir + "/signing-key.pem";
  ASSIGN_OR_RETURN(std::optional<std::string> pem, ReadSecretFile(path));
  if (!pem) {
    ASSIGN_OR_RETURN(RsaKey fresh, RsaKey::Generate());
    ASSIGN_OR_RETURN(std::string fresh_pem, fresh.PrivatePem());
    // Another process may have won the race to create the file: use whichever key landed.
    ASSIGN_OR_RETURN(pem, CreateSecretFileOnce(path, fresh_pem));
    LOG_INFO("identity: generated signing key " << fresh.kid() << " in " << path);
  }
  return RsaKey::FromPrivatePem(*pem, path);
}

}  // namespace

IdentityProvider::IdentityProvider(ProviderOptions options, RsaKey key, PrincipalDirectory principals)
    : options_(std::move(options)), key_(std::move(key)), principals_(std::move(principals)) {
  keys_.Add(key_);
  SetPublicBaseUrl(options_.public_base_url);
}

Result<std::unique_ptr<IdentityProvider>> IdentityProvider::Open(ProviderOptions options) {
  if (options.data_dir.empty()) return InvalidArgument("identity provider: no data directory given");
  if (!IsGuid(options.tenant_id)) {
    return InvalidArgument("identity provider: tenant id '" + options.tenant_id + "' is not a GUID");
  }
  for (auto& c : options.tenant_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (options.tenant_domain.empty() || options.tenant_domain.find('/') != std::string::npos) {
    return InvalidArgument("identity provider: bad tenant domain '" + options.tenant_domain + "'");
  }
  if (options.token_lifetime_seconds < 60 || options.token_lifetime_seconds > 86400) {
    return InvalidArgument("identity provider: token lifetime must be 60..86400 seconds");
  }
  for (size_t i = 0; i < options.principals.size(); ++i) {
    const Principal& p = options.principals[i];
    if (p.client_id.empty() || p.client_secret.empty() || p.object_id.empty()) {
      return InvalidArgument("identity provider: principal " + std::to_string(i) +
                             " lacks a client id, secret or object id");
    }
  }
  RETURN_IF_ERROR(MakeDataDir(options.data_dir));
  ASSIGN_OR_RETURN(RsaKey key, LoadOrCreateKey(options.data_dir));
  ASSIGN_OR_RETURN(Principal admin, LoadOrCreateAdmin(options.data_dir));
  if (!options.admin_client_secret.empty()) admin.client_secret = options.admin_client_secret;
  ASSIGN_OR_RETURN(PrincipalDirectory principals, PrincipalDirectory::Create(std::move(admin), options.principals));
  return std::unique_ptr<IdentityProvider>(
      new IdentityProvider(std::move(options), std::move(key), std::move(principals)));
}

std::string IdentityProvider::public_base_url() const {
  std::lock_guard<std::mutex> lock(base_url_mutex_);
  return base_url_;
}

void IdentityProvider::SetPublicBaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::lock_guard<std::mutex> lock(base_url_mutex_);
  base_url_ = std::move(url);
}

std::string IdentityProvider::Authority() const {
  return public_base_url() + "/" + options_.tenant_id;
}
std::string IdentityProvider::IssuerV1() const {
  return Authority() + "/";
}
std::string IdentityProvider::IssuerV2() const {
  return Authority() + "/v2.0";
}

bool IdentityProvider::IsSuperuser(std::string_view object_id) const {
  const Principal* p = principals_.FindByObjectId(object_id);
  return p != nullptr && p->superuser;
}

bool IdentityProvider::IsOwnTenant(std::string_view tenant) const {
  return http::EqualsIgnoreCase(tenant, options_.tenant_id) || http::EqualsIgnoreCase(tenant, options_.tenant_domain) ||
         http::EqualsIgnoreCase(tenant, "common") || http::EqualsIgnoreCase(tenant, "organizations");
}

Result<std::string> IdentityProvider::Mint(std::string_view claims_json) const {
  return SignJwt(key_, claims_json);
}

Result<Claims> IdentityProvider::VerifyAccessToken(std::string_view token, std::string_view audience) const {
  return VerifyAccessToken(token, std::vector<std::string>{std::string(audience)});
}

Result<Claims> IdentityProvider::VerifyAccessToken(std::string_view token,
                                                   const std::vector<std::string>& audiences) const {
  std::string key;
  for (const std::string& audience : audiences) key += audience + "\n";
  key += token;
  const int64_t now = encoding::NowEpochMillis() / 1000;  // the clock VerifyToken uses
  {
    std::lock_guard<std::mutex> lock(verified_mutex_);
    if (auto it = verified_.find(key); it != verified_.end()) {
      const Claims& c = it->second;
      if (now <= c.expires_at + options_.leeway_seconds && now + options_.leeway_seconds >= c.not_before) return c;
      verified_.erase(it);  // expired: verify again, which gives the reason
    }
  }
  VerifyOptions options;
  options.audiences = audiences;
  options.issuers = {IssuerV1(), IssuerV2()};
  options.leeway_seconds = options_.leeway_seconds;
  ASSIGN_OR_RETURN(Claims claims, VerifyToken(token, keys_, options));
  std::lock_guard<std::mutex> lock(verified_mutex_);
  if (verified_.size() >= 4096) verified_.clear();  // bounded: tokens live an hour, clients reuse theirs
  verified_.emplace(std::move(key), claims);
  return claims;
}

}  // namespace lakeshift::identity
