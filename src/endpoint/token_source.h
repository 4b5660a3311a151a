#pragma once
// OAuth bearer tokens for the REST clients: Entra client credentials, Azure managed identity and token files,
// behind one caching, thread-safe source. The clients' TokenSource (gen1client / gen2client) is
// `std::function<Result<std::string>()>`; wrap a source with AsFunction.
//
// Errors name the token endpoint (or file) and what to check, never the secret.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/client.h"

namespace lakeshift::endpoint {

// Audiences (v1 resources) of the services; the v2.0 scope is "<resource>/.default".
inline constexpr std::string_view kDataLakeResource = "https://datalake.azure.net/";  // Gen1
inline constexpr std::string_view kStorageResource = "https://storage.azure.com/";    // Gen2
inline constexpr std::string_view kDefaultAuthorityHost = "https://login.microsoftonline.com";
inline constexpr std::string_view kImdsHost = "http://169.254.169.254";

struct AccessToken {
  std::string token;
  int64_t expires_at = 0;  // epoch seconds; 0: unknown (treated as valid for an hour)
};

using TokenFetcher = std::function<Result<AccessToken>()>;
using Clock = std::function<int64_t()>;  // epoch seconds

// Epoch seconds from the system clock.
int64_t SystemClockSeconds();

// Caches the fetcher's token and fetches a new one a few minutes before it expires (5 minutes, or half the
// lifetime of short-lived tokens). Thread-safe: one caller fetches while the others keep using the cached
// token if it is still valid, or wait for the new one. When a refresh fails while the cached token is still
// valid, the cached token is used (and the failure logged). A failure without a valid token is remembered for
// a few seconds, so that many threads do not hammer a failing token endpoint.
class CachingTokenSource {
 public:
  explicit CachingTokenSource(TokenFetcher fetcher, Clock clock = nullptr);

  Result<std::string> Get();
  // Drops the cached token, e.g. after the service refused it.
  void Invalidate();

 private:
  TokenFetcher fetcher_;
  Clock clock_;
  std::mutex fetch_mu_;  // held while fetching
  std::mutex mu_;        // guards the fields below
  AccessToken token_;
  int64_t refresh_at_ = 0;
  Status last_error_;
  int64_t error_until_ = 0;
};

// The form the REST clients take.
std::function<Result<std::string>()> AsFunction(std::shared_ptr<CachingTokenSource> source);

// Entra ID client credentials grant against <authority_host>/<tenant>/oauth2/v2.0/token with
// scope=<resource>/.default. authority_host is e.g. https://login.microsoftonline.com or the local identity
// provider's base URL (emulators.json identity.url); a missing scheme means https.
struct ClientSecretConfig {
  std::string authority_host = std::string(kDefaultAuthorityHost);
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
  std::string resource;  // v1 resource, e.g. kStorageResource
};
// The token endpoint URL for a configuration.
std::string ClientSecretTokenUrl(const ClientSecretConfig& config);
TokenFetcher ClientSecretFetcher(std::shared_ptr<http::HttpClient> http, ClientSecretConfig config);
// On-behalf-of: the confidential client of `config` exchanges a caller's access token (the assertion) for a
// token to config.resource that acts as that caller (the Gen1 compatibility gateway's exchange). An assertion
// the authority refuses (expired, forged, meant for another audience) is kUnauthenticated.
TokenFetcher OnBehalfOfFetcher(std::shared_ptr<http::HttpClient> http, ClientSecretConfig config,
                               std::string assertion);

// Azure managed identity. With identity_endpoint (App Service, Functions, Container Apps: IDENTITY_ENDPOINT and
// IDENTITY_HEADER) a GET to it with X-IDENTITY-HEADER and api-version 2019-08-01; otherwise IMDS
// <imds_host>/metadata/identity/oauth2/token?api-version=2018-02-01 with Metadata: true.
struct ManagedIdentityConfig {
  std::string identity_endpoint;
  std::string identity_header;  // a secret
  std::string imds_host = std::string(kImdsHost);
  std::string client_id;  // a user-assigned identity; empty: the system-assigned one
  std::string resource;
};
TokenFetcher ManagedIdentityFetcher(std::shared_ptr<http::HttpClient> http, ManagedIdentityConfig config);

// A file holding a token: the raw token (surrounding whitespace ignored), or JSON with "accessToken" (Azure CLI)
// or "access_token" (OAuth). Re-read when its modification time, size or inode changes. A JWT whose exp has
// passed is refused with a message saying to write a fresh token to the file. Thread-safe.
std::function<Result<std::string>()> TokenFileSource(std::string path, Clock clock = nullptr);

// The "exp" claim of a JWT, if the token is one and carries it.
std::optional<int64_t> JwtExpiry(std::string_view token);

}  // namespace lakeshift::endpoint
