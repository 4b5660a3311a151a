#pragma once
// The local identity provider: Entra ID's token endpoints (v1 and v2.0; client credentials and on-behalf-of),
// JWKS, OpenID configuration and MSAL instance discovery, so that real clients and the emulators work with
// OAuth end to end on one machine. Tokens are RS256 JWTs signed with a key kept in the data directory.
//
// Endpoints (mounted with MakeIdentityHandler):
//   POST /<tenant>/oauth2/v2.0/token                      scope=...
//   POST /<tenant>/oauth2/token                           resource=...
//   GET  /<tenant>/discovery/v2.0/keys, /<tenant>/discovery/keys
//   GET  /<tenant>/v2.0/.well-known/openid-configuration, /<tenant>/.well-known/openid-configuration
//   GET  /common/discovery/instance?api-version=1.1&authorization_endpoint=...
// <tenant> is the tenant id, the tenant domain, "common" or "organizations".

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "http/client.h"
#include "http/server.h"
#include "identity/jwt.h"
#include "identity/principals.h"

namespace lakeshift::identity {

// Resources the provider issues tokens for (v1 `resource` values; the v2.0 scope is "<resource>/.default",
// hence "https://datalake.azure.net//.default"). Besides these, a principal's client id (or "api://<client id>")
// is a resource too, for the standard on-behalf-of flow where callers get a token for the middle tier first.
inline constexpr std::string_view kStorageAudience = "https://storage.azure.com/";        // Gen2
inline constexpr std::string_view kDataLakeAudience = "https://datalake.azure.net/";      // Gen1
inline constexpr std::string_view kManagementAudience = "https://management.azure.com/";  // ARM
inline constexpr std::string_view kDefaultTenantId = "4f1c2e7a-9b3d-4c8e-a5f0-7d2b6e1c9a38";
inline constexpr std::string_view kDefaultTenantDomain = "lakeshift.onmicrosoft.com";

inline constexpr std::string_view kGrantClientCredentials = "client_credentials";
inline constexpr std::string_view kGrantJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct ProviderOptions {
  // Holds signing-key.pem and admin-client-secret (both 0600); created (0700) when missing.
  std::string data_dir;
  // "http(s)://host:port" that clients use; issuer and endpoint URLs are built from it. May be set later with
  // SetPublicBaseUrl (a server on port 0 learns its port only when bound).
  std::string public_base_url;
  std::string tenant_id = std::string(kDefaultTenantId);
  std::string tenant_domain = std::string(kDefaultTenantDomain);
  std::vector<Principal> principals;  // besides the built-in admin, e.g. from LoadPrincipalsFile
  std::string admin_client_secret;    // when set, replaces the admin secret kept in the data directory
  int64_t token_lifetime_seconds = 3599;
  // Clock skew allowed when verifying tokens (assertions and VerifyAccessToken).
  int64_t leeway_seconds = 60;
  // Audiences an on-behalf-of assertion may carry besides the requesting app's own client id / api:// URI:
  // the Gen1-compat gateway exchanges callers' Gen1 tokens, which it receives in the Data Lake's stead.
  std::vector<std::string> obo_assertion_audiences = {std::string(kDataLakeAudience)};
};

enum class EndpointVersion : uint8_t { kV1, kV2 };

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
};

struct IssuedToken {
  std::string access_token;
  std::string resource;    // the resource as requested (v1 echoes it), e.g. "https://storage.azure.com/"
  std::string scope;       // delegated scopes granted by on-behalf-of, else empty
  int64_t not_before = 0;  // epoch seconds
  int64_t expires_at = 0;  // epoch seconds
  int64_t expires_in = 0;  // seconds from now
};

// A token endpoint request as the HTTP layer hands it over (also built directly by tests).
struct TokenEndpointRequest {
  std::string tenant;  // the path's tenant segment, decoded
  EndpointVersion version = EndpointVersion::kV2;
  std::string content_type;    // only application/x-www-form-urlencoded bodies are read, as Entra does
  std::string body;            // the form
  std::string authorization;   // Authorization header (HTTP Basic client credentials), or empty
  std::string correlation_id;  // client-request-id header, echoed in errors; generated when empty
};

// A JSON answer of an endpoint: status and body.
struct EndpointResponse {
  int status = 200;
  std::string body;
  std::string trace_id;        // x-ms-request-id
  std::string correlation_id;  // client-request-id
};

class IdentityProvider {
 public:
  // Creates the data directory, loads or generates the signing key and the admin secret, validates principals.
  static Result<std::unique_ptr<IdentityProvider>> Open(ProviderOptions options);

  const std::string& tenant_id() const { return options_.tenant_id; }
  const std::string& tenant_domain() const { return options_.tenant_domain; }
  std::string public_base_url() const;
  void SetPublicBaseUrl(std::string url);  // trailing '/' removed
  // "<base>/<tenant id>/": the "iss" of v1.0 tokens (Entra: https://sts.windows.net/<tid>/).
  std::string IssuerV1() const;
  // "<base>/<tenant id>/v2.0": the "iss" of v2.0 tokens.
  std::string IssuerV2() const;
  // "<base>/<tenant id>": the authority URL clients are configured with.
  std::string Authority() const;

  const PrincipalDirectory& principals() const { return principals_; }
  const Principal& admin() const { return principals_.admin(); }
  bool IsSuperuser(std::string_view object_id) const;
  const RsaKey& signing_key() const { return key_; }
  const KeySet& keys() const { return keys_; }

  // The grants without HTTP. Errors are Entra's: message "AADSTS<code>: <description>", ServiceDetail with the
  // HTTP status (400, or 401 for invalid_client) and the OAuth error ("invalid_client", ...) as service_code.
  // `target` is the v1 resource or the v2.0 scope list.
  Result<IssuedToken> IssueClientCredentials(const ClientCredentials& client, EndpointVersion version,
                                             std::string_view target) const;
  Result<IssuedToken> IssueOnBehalfOf(const ClientCredentials& client, EndpointVersion version, std::string_view target,
                                      std::string_view assertion) const;

  // POST .../token: the whole endpoint, with Entra's success and error bodies.
  EndpointResponse Token(const TokenEndpointRequest& request) const;

  // Verifies a token this provider issued (signature, lifetime with the leeway, either issuer) for one of
  // the audiences. Errors as VerifyToken's (TokenErrorOf tells the reason).
  Result<Claims> VerifyAccessToken(std::string_view token, std::string_view audience) const;
  Result<Claims> VerifyAccessToken(std::string_view token, const std::vector<std::string>& audiences) const;

  // True when `tenant` (a path segment) names this tenant: its id, its domain, "common" or "organizations".
  bool IsOwnTenant(std::string_view tenant) const;

 private:
  IdentityProvider(ProviderOptions options, RsaKey key, PrincipalDirectory principals);
  Result<std::string> Mint(std::string_view claims_json) const;

  ProviderOptions options_;
  RsaKey key_;
  KeySet keys_;
  PrincipalDirectory principals_;
  mutable std::mutex base_url_mutex_;
  std::string base_url_;
  // Tokens already verified (key: the audiences and the token), so a client's every request does not pay an
  // RSA verification; an entry is used only while its token is still within its validity.
  mutable std::mutex verified_mutex_;
  mutable std::unordered_map<std::string, Claims> verified_;
};

// Serves the endpoints above; any other path gets 404. Never throws; errors become Entra-style JSON bodies.
void HandleIdentityRequest(const IdentityProvider& provider, http::Request& request, http::ResponseWriter& writer);
// A handler for http::Server::Start. The provider must outlive the server.
http::Handler MakeIdentityHandler(const IdentityProvider& provider);

// HTTP Basic client credentials (RFC 6749 2.3.1: id and secret form-encoded, then "id:secret" in base64).
Result<ClientCredentials> ParseBasicCredentials(std::string_view authorization);

// Fetches and parses a JWKS document, e.g. "<authority>/discovery/v2.0/keys", for verifying tokens in a
// process other than the provider's.
Result<KeySet> FetchKeySet(http::HttpClient& client, const std::string& jwks_url);

}  // namespace lakeshift::identity
