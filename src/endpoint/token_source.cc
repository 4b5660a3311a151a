#include "endpoint/token_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.h"
#include "encoding/base64.h"
#include "encoding/percent.h"
#include "encoding/time_format.h"
#include "http/url.h"

namespace lakeshift::endpoint {
namespace {

// A token is not used within this many seconds of its expiry (clock skew, the request's own duration).
constexpr int64_t kExpirySkewSeconds = 30;
// Refresh this long before expiry (or at half the lifetime of shorter-lived tokens).
constexpr int64_t kRefreshMarginSeconds = 300;
// Lifetime assumed when the answer does not say.
constexpr int64_t kUnknownLifetimeSeconds = 3600;
// A failed fetch (without a valid cached token) is answered from memory for this long.
constexpr int64_t kErrorHoldSeconds = 5;
// After a failed refresh while the cached token is still valid, try again after this long.
constexpr int64_t kRefreshRetrySeconds = 30;

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::optional<int64_t> ParseInt(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return static_cast<int64_t>(value.get<double>());
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

// The first line of an Entra error description (the rest are trace, correlation and timestamp lines).
std::string FirstLine(std::string text) {
  if (size_t nl = text.find_first_of("\r\n"); nl != std::string::npos) text.resize(nl);
  return text;
}

// What to check for an AADSTS error code.
std::string EntraHint(const std::string& description) {
  auto has = [&](std::string_view code) { return description.find(code) != std::string::npos; };
  if (has("AADSTS7000215") || has("AADSTS7000222") || has("AADSTS7000216")) {
    return "check AZURE_CLIENT_SECRET (the secret's value, not its id; it may have expired)";
  }
  if (has("AADSTS700016")) return "check AZURE_CLIENT_ID and that the application is registered in AZURE_TENANT_ID";
  if (has("AADSTS90002") || has("AADSTS900023") || has("AADSTS90013")) return "check AZURE_TENANT_ID";
  if (has("AADSTS500011")) return "the service principal of the resource is missing in the tenant";
  return "check AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_AUTHORITY_HOST";
}

// A token from an OAuth JSON answer: access_token, and expires_on (epoch seconds) or expires_in.
Result<AccessToken> TokenFromJson(const std::string& body, int64_t now, std::string_view what) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string()) {
    return Unauthenticated(std::string(what) + ": the answer holds no access_token");
  }
  AccessToken token;
  token.token = doc["access_token"].get<std::string>();
  if (token.token.empty()) return Unauthenticated(std::string(what) + ": the answer's access_token is empty");
  if (doc.contains("expires_on")) {
    if (auto on = ParseInt(doc["expires_on"]); on && *on > 0) token.expires_at = *on;
  }
  if (token.expires_at == 0 && doc.contains("expires_in")) {
    if (auto in = ParseInt(doc["expires_in"]); in && *in > 0) token.expires_at = now + *in;
  }
  return token;
}

// "HTTP 401 invalid_client: AADSTS7000215: ..." from an OAuth error answer (or the status alone).
std::string OAuthErrorText(const http::ClientResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (!doc.is_object()) return text + " (the answer is not an OAuth error; is this the right endpoint?)";
  if (doc.contains("error") && doc["error"].is_string()) text += " " + doc["error"].get<std::string>();
  if (doc.contains("error_description") && doc["error_description"].is_string()) {
    text += ": " + FirstLine(doc["error_description"].get<std::string>());
  } else if (doc.contains("message") && doc["message"].is_string()) {
    text += ": " + FirstLine(doc["message"].get<std::string>());
  }
  return text;
}

StatusCode CodeForTokenAnswer(int status) {
  if (status == 429) return StatusCode::kThrottled;
  if (status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kUnauthenticated;
}

std::string NormalizeAuthorityHost(std::string host) {
  host = Trim(host);
  if (host.empty()) host = std::string(kDefaultAuthorityHost);
  if (host.find("://") == std::string::npos) host = "https://" + host;
  while (!host.empty() && host.back() == '/') host.pop_back();
  return host;
}

std::string WithoutTrailingSlash(std::string_view resource) {
  std::string out(resource);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

int64_t SystemClockSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

CachingTokenSource::CachingTokenSource(TokenFetcher fetcher, Clock clock)
    : fetcher_(std::move(fetcher)), clock_(clock ? std::move(clock) : Clock(SystemClockSeconds)) {}

Result<std::string> CachingTokenSource::Get() {
  auto usable = [&](int64_t now) { return !token_.token.empty() && now < token_.expires_at - kExpirySkewSeconds; };
  std::unique_lock fetch_lock(fetch_mu_, std::defer_lock);
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_();
    if (!token_.token.empty() && now < refresh_at_) return token_.token;
    if (!usable(now) && !last_error_.ok() && now < error_until_) return last_error_;
    // Time to refresh. While another caller fetches, a still-valid token serves everyone else.
    if (usable(now) && !fetch_lock.try_lock()) return token_.token;
  }
  if (!fetch_lock.owns_lock()) fetch_lock.lock();
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_();
    if (!token_.token.empty() && now < refresh_at_) return token_.token;  // fetched while we waited
    if (!usable(now) && !last_error_.ok() && now < error_until_) return last_error_;
  }
  Result<AccessToken> fetched = fetcher_();
  std::lock_guard lock(mu_);
  int64_t now = clock_();
  if (!fetched.ok()) {
    if (usable(now)) {
      LOG_WARNING("token refresh failed, using the current token until it expires: " << fetched.status());
      refresh_at_ = now + kRefreshRetrySeconds;
      return token_.token;
    }
    token_ = {};
    refresh_at_ = 0;
    last_error_ = fetched.status();
    error_until_ = now + kErrorHoldSeconds;
    return last_error_;
  }
  token_ = std::move(fetched).value();
  if (token_.expires_at <= 0) token_.expires_at = now + kUnknownLifetimeSeconds;
  int64_t lifetime = std::max<int64_t>(token_.expires_at - now, 0);
  refresh_at_ = token_.expires_at - std::min(kRefreshMarginSeconds, lifetime / 2);
  last_error_ = Status::Ok();
  return token_.token;
}

void CachingTokenSource::Invalidate() {
  std::lock_guard lock(mu_);
  token_ = {};
  refresh_at_ = 0;
}

std::function<Result<std::string>()> AsFunction(std::shared_ptr<CachingTokenSource> source) {
  return [source = std::move(source)]() { return source->Get(); };
}

std::string ClientSecretTokenUrl(const ClientSecretConfig& config) {
  return NormalizeAuthorityHost(config.authority_host) + "/" + encoding::PercentEncodeComponent(config.tenant_id) +
         "/oauth2/v2.0/token";
}

namespace {

// A confidential client's grant at the v2.0 token endpoint: client credentials, or on-behalf-of with an assertion.
Result<AccessToken> FetchWithClientSecret(http::HttpClient& http, const ClientSecretConfig& config,
                                          const std::string* assertion) {
  std::string url = ClientSecretTokenUrl(config);
  std::string what = std::string(assertion ? "Entra on-behalf-of" : "Entra") + " token request to " + url;
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.Set("Accept", "application/json");
  std::vector<encoding::QueryParam> form = {{"client_id", config.client_id},
                                            {"client_secret", config.client_secret},
                                            {"scope", WithoutTrailingSlash(config.resource) + "/.default"}};
  if (assertion) {
    form.push_back({"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"});
    form.push_back({"requested_token_use", "on_behalf_of"});
    form.push_back({"assertion", *assertion});
  } else {
    form.push_back({"grant_type", "client_credentials"});
  }
  request.body_string = encoding::BuildQueryString(form);
  int64_t now = SystemClockSeconds();
  auto response = http.Send(request);
  if (!response.ok()) {
    std::string hint =
        "; check AZURE_AUTHORITY_HOST (" + NormalizeAuthorityHost(config.authority_host) + ") and the network";
    if (response.status().message().find("SSL") != std::string::npos ||
        response.status().message().find("certificate") != std::string::npos) {
      hint += ", and trust the authority's certificate with LAKESHIFT_CA_FILE (the emulators' ca_file)";
    }
    return Status(response.status().code(), what + " failed: " + response.status().message() + hint);
  }
  if (response->status != 200) {
    std::string text = OAuthErrorText(*response);
    // An assertion the authority refuses is the caller's fault, not the configuration's.
    if (assertion && response->status == 400) return Unauthenticated(what + " refused the caller's token: " + text);
    return Status(CodeForTokenAnswer(response->status), what + " failed: " + text + "; " + EntraHint(text));
  }
  return TokenFromJson(response->body, now, what);
}

}  // namespace

TokenFetcher ClientSecretFetcher(std::shared_ptr<http::HttpClient> http, ClientSecretConfig config) {
  return [http = std::move(http), config = std::move(config)]() -> Result<AccessToken> {
    return FetchWithClientSecret(*http, config, nullptr);
  };
}

TokenFetcher OnBehalfOfFetcher(std::shared_ptr<http::HttpClient> http, ClientSecretConfig config,
                               std::string assertion) {
  return [http = std::move(http), config = std::move(config), assertion = std::move(assertion)]() {
    return FetchWithClientSecret(*http, config, &assertion);
  };
}

TokenFetcher ManagedIdentityFetcher(std::shared_ptr<http::HttpClient> http, ManagedIdentityConfig config) {
  return [http = std::move(http), config = std::move(config)]() -> Result<AccessToken> {
    http::ClientRequest request;
    std::vector<encoding::QueryParam> query;
    bool app_service = !config.identity_endpoint.empty();
    std::string base;
    if (app_service) {
      base = config.identity_endpoint;
      query = {{"api-version", "2019-08-01"}, {"resource", config.resource}};
      request.headers.Set("X-IDENTITY-HEADER", config.identity_header);
    } else {
      base = WithoutTrailingSlash(config.imds_host) + "/metadata/identity/oauth2/token";
      query = {{"api-version", "2018-02-01"}, {"resource", config.resource}};
      request.headers.Set("Metadata", "true");
    }
    if (!config.client_id.empty()) query.push_back({"client_id", config.client_id});
    request.url = base + (base.find('?') == std::string::npos ? "?" : "&") + encoding::BuildQueryString(query);
    std::string what = "managed identity token request to " + base;
    int64_t now = SystemClockSeconds();
    auto response = http->Send(request);
    if (!response.ok()) {
      std::string hint =
          app_service ? "; check IDENTITY_ENDPOINT"
                      : "; managed identity works only on Azure (a VM or scale set with an identity, AKS, or App "
                        "Service / Functions, which set IDENTITY_ENDPOINT and IDENTITY_HEADER)";
      return Status(response.status().code(), what + " failed: " + response.status().message() + hint);
    }
    if (response->status != 200) {
      std::string text = OAuthErrorText(*response);
      std::string hint;
      if (app_service && (response->status == 401 || response->status == 403)) {
        hint = "; check IDENTITY_HEADER";
      } else if (config.client_id.empty()) {
        hint =
            "; assign a managed identity to this resource, or set AZURE_CLIENT_ID to the client id of a "
            "user-assigned identity";
      } else {
        hint = "; check that AZURE_CLIENT_ID names a user-assigned identity of this resource";
      }
      return Status(CodeForTokenAnswer(response->status), what + " failed: " + text + hint);
    }
    return TokenFromJson(response->body, now, what);
  };
}

std::optional<int64_t> JwtExpiry(std::string_view token) {
  size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = encoding::Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload.ok()) return std::nullopt;
  auto doc = nlohmann::json::parse(*payload, nullptr, false);
  if (!doc.is_object() || !doc.contains("exp")) return std::nullopt;
  return ParseInt(doc["exp"]);
}

namespace {

class TokenFile {
 public:
  TokenFile(std::string path, Clock clock) : path_(std::move(path)), clock_(std::move(clock)) {}

  Result<std::string> Get() {
    std::lock_guard lock(mu_);
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      int err = errno;
      return Unauthenticated("token file " + path_ + " cannot be read: " + ErrnoError("stat", err).message());
    }
    if (!loaded_ || st.st_mtim.tv_sec != mtime_.tv_sec || st.st_mtim.tv_nsec != mtime_.tv_nsec || st.st_size != size_ ||
        st.st_ino != inode_) {
      RETURN_IF_ERROR(Load());
      mtime_ = st.st_mtim;
      size_ = st.st_size;
      inode_ = st.st_ino;
      loaded_ = true;
    }
    if (expiry_ && clock_() >= *expiry_) {
      return Unauthenticated("the token in " + path_ + " expired at " + encoding::FormatRfc1123(*expiry_ * 1000) +
                             "; write a fresh token to the file (it is re-read when it changes)");
    }
    return token_;
  }

 private:
  Status Load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return Unauthenticated("token file " + path_ + " cannot be opened");
    std::ostringstream text;
    text << in.rdbuf();
    std::string content = Trim(text.str());
    if (!content.empty() && content.front() == '{') {
      auto doc = nlohmann::json::parse(content, nullptr, false);
      std::string token;
      if (doc.is_object()) {
        for (const char* key : {"accessToken", "access_token"}) {
          if (doc.contains(key) && doc[key].is_string()) token = doc[key].get<std::string>();
        }
      }
      if (token.empty()) {
        return Unauthenticated("token file " + path_ +
                               " holds JSON without an accessToken or access_token string; write the token itself "
                               "or `az account get-access-token` output");
      }
      content = std::move(token);
    }
    if (content.empty()) return Unauthenticated("token file " + path_ + " is empty");
    if (content.find_first_of(" \t\r\n") != std::string::npos) {
      return Unauthenticated("token file " + path_ + " holds more than one word; write only the token");
    }
    token_ = std::move(content);
    expiry_ = JwtExpiry(token_);
    return Status::Ok();
  }

  std::string path_;
  Clock clock_;
  std::mutex mu_;
  bool loaded_ = false;
  struct timespec mtime_ {};
  off_t size_ = 0;
  ino_t inode_ = 0;
  std::string token_;
  std::optional<int64_t> expiry_;
};

}  // namespace

std::function<Result<std::string>()> TokenFileSource(std::string path, Clock clock) {
  auto file = std::make_shared<TokenFile>(std::move(path), clock ? std::move(clock) : Clock(SystemClockSeconds));
  return [file]() { return file->Get(); };
}

}  // namespace lakeshift::endpoint
