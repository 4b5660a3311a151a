// The token endpoint: client authentication, resource/scope resolution, the client-credentials and
// on-behalf-of grants, and Entra's response and error bodies.

#include <openssl/crypto.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "encoding/base64.h"
#include "encoding/digest.h"
#include "encoding/percent.h"
#include "identity/provider.h"
#include "identity/provider_internal.h"

namespace lakeshift::identity {
namespace {

using internal::EntraError;
using nlohmann::ordered_json;

constexpr std::string_view kFirstPartyResources[] = {kStorageAudience, kDataLakeAudience, kManagementAudience};
// Scopes MSAL adds to user flows; they ask for id and refresh tokens, which this provider does not issue.
constexpr std::string_view kReservedScopes[] = {"openid", "profile", "offline_access", "email"};
constexpr std::string_view kDelegatedScope = "user_impersonation";
// Entra backdates iat/nbf by five minutes to absorb clock skew between it and resource servers.
constexpr int64_t kBackdateSeconds = 300;

Status BadRequest(int code, std::string_view description) {
  return EntraError(400, "invalid_request", code, description);
}
Status MissingParameter(std::string_view name) {
  return BadRequest(900144, "The request body must contain the following parameter: '" + std::string(name) + "'.");
}
Status InvalidUserInput(std::string_view detail) {
  return BadRequest(90013, "Invalid input received from the user. " + std::string(detail));
}
Status InvalidScope(int code, std::string_view description) {
  return EntraError(400, "invalid_scope", code, description);
}

// The resource a token is for, and the audience it will carry.
struct Target {
  std::string resource;  // as requested (v1 resource, or the v2 scope without its last segment)
  std::string aud;
  int token_version = 1;
  std::vector<std::string> scope_names;  // last segments of the v2 scopes (".default", "user_impersonation")
};

// First-party resources issue v1.0 tokens whatever the endpoint, as Entra does (their accessTokenAcceptedVersion
// is unset). App registrations get v2.0 tokens from the v2.0 endpoint, with their client id as audience.
Result<Target> ResolveResource(const IdentityProvider& provider, std::string_view resource, EndpointVersion version) {
  Target target;
  target.resource = std::string(resource);
  for (std::string_view known : kFirstPartyResources) {
    if (AudienceMatches(resource, known)) {
      target.aud = target.resource;
      return target;
    }
  }
  std::string_view app = resource;
  if (app.starts_with("api://")) app.remove_prefix(6);
  if (IsGuid(app)) {
    if (const Principal* p = provider.principals().FindByClientId(app)) {
      target.token_version = version == EndpointVersion::kV2 ? 2 : 1;
      target.aud = version == EndpointVersion::kV2 ? p->client_id : target.resource;
      return target;
    }
  }
  return EntraError(400, "invalid_resource", 500011,
                    "The resource principal named " + std::string(resource) + " was not found in the tenant named " +
                        provider.tenant_domain() +
                        ". This can happen if the application has not been installed by the administrator of the "
                        "tenant or consented to by any user in the tenant. You might have sent your authentication "
                        "request to the wrong tenant.");
}

// A v2.0 scope list: one resource, every scope "<resource>/<name>"; client credentials only take "/.default".
Result<Target> ResolveScope(const IdentityProvider& provider, std::string_view scope, bool client_credentials) {
  if (scope.empty()) return MissingParameter("scope");
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= scope.size()) {
    size_t end = std::min(scope.find(' ', start), scope.size());
    std::string item(scope.substr(start, end - start));
    bool reserved =
        std::find(std::begin(kReservedScopes), std::end(kReservedScopes), item) != std::end(kReservedScopes);
    if (!item.empty() && !reserved) items.push_back(std::move(item));
    start = end + 1;
  }
  auto not_default = [&](std::string_view s) {
    return InvalidScope(1002012, "The provided value for scope " + std::string(s) +
                                     " is not valid. Client credential flows must have a scope value with /.default "
                                     "suffixed to the resource identifier (application ID URI).");
  };
  if (items.empty()) {
    if (client_credentials) return not_default(scope);
    return InvalidScope(70011, "The provided value for the input parameter 'scope' isn't valid. The scope " +
                                   std::string(scope) + " isn't valid.");
  }
  std::string resource;
  std::vector<std::string> names;
  for (const auto& item : items) {
    size_t slash = item.rfind('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == item.size()) {
      return InvalidScope(
          70011, "The provided value for the input parameter 'scope' isn't valid. The scope " + item + " isn't valid.");
    }
    std::string item_resource = item.substr(0, slash);
    if (!resource.empty() && item_resource != resource) {
      return InvalidScope(28000,
                          "Provided value for the input parameter scope is not valid because it contains more "
                          "than one resource. Scope " +
                              std::string(scope) + " is not valid.");
    }
    resource = std::move(item_resource);
    names.push_back(item.substr(slash + 1));
    if (client_credentials && names.back() != ".default") return not_default(item);
  }
  ASSIGN_OR_RETURN(Target target, ResolveResource(provider, resource, EndpointVersion::kV2));
  target.scope_names = std::move(names);
  return target;
}

Result<Target> ResolveTarget(const IdentityProvider& provider, EndpointVersion version, std::string_view target,
                             bool client_credentials) {
  if (version == EndpointVersion::kV2) return ResolveScope(provider, target, client_credentials);
  if (target.empty()) return EntraError(400, "invalid_resource", 50001, "Resource identifier is not provided.");
  return ResolveResource(provider, target, version);
}

Result<const Principal*> Authenticate(const IdentityProvider& provider, const ClientCredentials& client,
                                      std::string_view grant_type) {
  if (client.client_id.empty()) return MissingParameter("client_id");
  const Principal* p = provider.principals().FindByClientId(client.client_id);
  if (p == nullptr) {
    return EntraError(400, "unauthorized_client", 700016,
                      "Application with identifier '" + client.client_id + "' was not found in the directory '" +
                          provider.tenant_domain() +
                          "'. This can happen if the application has not been installed by the administrator of the "
                          "tenant or consented to by any user in the tenant. You may have sent your authentication "
                          "request to the wrong tenant.");
  }
  if (client.client_secret.empty()) {
    return EntraError(401, "invalid_client", 7000216,
                      "'client_assertion', 'client_secret' or 'request' is required for the '" +
                          std::string(grant_type) +
                          "' grant type. (This local identity provider accepts client secrets only.)");
  }
  const std::string& want = p->client_secret;
  bool match = client.client_secret.size() == want.size() &&
               CRYPTO_memcmp(client.client_secret.data(), want.data(), want.size()) == 0;
  if (!match) {
    return EntraError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      "secret value, not the client secret ID, for a secret added to app '" +
                          p->client_id + "'.");
  }
  return p;
}

// 16 random bytes in base64url, like Entra's "uti".
std::string RandomTokenId() {
  std::string hex = RandomGuid();
  hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
  return encoding::Base64UrlEncode(encoding::HexDecode(hex).ValueOr(hex));
}

// The payload of an access token, in Entra's member order. `scp` empty means an app-only token.
std::string BuildClaims(const IdentityProvider& provider, const Target& target, std::string_view client_id,
                        const Principal& subject, const std::string& scp, int64_t now, int64_t expires_at) {
  bool v1 = target.token_version == 1;
  ordered_json c;
  c["aud"] = target.aud;
  c["iss"] = v1 ? provider.IssuerV1() : provider.IssuerV2();
  c["iat"] = now - kBackdateSeconds;
  c["nbf"] = now - kBackdateSeconds;
  c["exp"] = expires_at;
  c[v1 ? "appid" : "azp"] = client_id;
  c[v1 ? "appidacr" : "azpacr"] = "1";  // 1: authenticated with a client secret
  if (!subject.groups.empty()) c["groups"] = subject.groups;
  if (scp.empty()) {
    if (v1) c["idp"] = provider.IssuerV1();
    c["idtyp"] = "app";
  }
  c["oid"] = subject.object_id;
  if (!scp.empty()) c["scp"] = scp;
  c["sub"] = subject.object_id;
  c["tid"] = provider.tenant_id();
  c["uti"] = RandomTokenId();
  c["ver"] = v1 ? "1.0" : "2.0";
  return c.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// Maps a failed assertion check to Entra's on-behalf-of errors.
Status AssertionError(const Status& status) {
  std::optional<TokenError> error = TokenErrorOf(status);
  if (!error) return status;
  switch (*error) {
    case TokenError::kMalformed:
    case TokenError::kBadAlgorithm: return BadRequest(50027, "JWT token is invalid or malformed. " + status.message());
    case TokenError::kExpired:
    case TokenError::kNotYetValid:
      return EntraError(400, "invalid_grant", 500133,
                        "Assertion is not within its valid time range. Ensure that the access token is not expired "
                        "before using it for user assertion, or request a new token. " +
                            status.message());
    default:
      return EntraError(400, "invalid_grant", 50013,
                        "Assertion failed signature validation. [Reason - " + status.message() + "]");
  }
}

void AddV1Times(ordered_json& body, const IssuedToken& token) {
  body["expires_in"] = std::to_string(token.expires_in);
  body["ext_expires_in"] = std::to_string(token.expires_in);
  body["expires_on"] = std::to_string(token.expires_at);
  body["not_before"] = std::to_string(token.not_before);
  body["resource"] = token.resource;
}

std::string SuccessBody(const IssuedToken& token, EndpointVersion version) {
  ordered_json body = {{"token_type", "Bearer"}};
  if (!token.scope.empty()) body["scope"] = token.scope;
  if (version == EndpointVersion::kV1) {
    AddV1Times(body, token);
  } else {
    body["expires_in"] = token.expires_in;
    body["ext_expires_in"] = token.expires_in;
  }
  body["access_token"] = token.access_token;
  return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

bool IsFormContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return http::EqualsIgnoreCase(media, "application/x-www-form-urlencoded");
}

}  // namespace

Result<ClientCredentials> ParseBasicCredentials(std::string_view authorization) {
  if (authorization.size() < 6 || !http::EqualsIgnoreCase(authorization.substr(0, 6), "Basic ")) {
    return InvalidArgument("Authorization header is not HTTP Basic");
  }
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  auto decoded = encoding::Base64Decode(encoded);
  if (!decoded.ok()) return decoded.status().WithContext("HTTP Basic credentials: ");
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return InvalidArgument("HTTP Basic credentials have no ':' between id and secret");
  auto id = encoding::PercentDecode(std::string_view(*decoded).substr(0, colon), true);
  auto secret = encoding::PercentDecode(std::string_view(*decoded).substr(colon + 1), true);
  if (!id.ok()) return id.status().WithContext("HTTP Basic client id: ");
  if (!secret.ok()) return secret.status().WithContext("HTTP Basic client secret: ");
  return ClientCredentials{std::move(id).value(), std::move(secret).value()};
}

Result<IssuedToken> IdentityProvider::IssueClientCredentials(const ClientCredentials& client, EndpointVersion version,
                                                             std::string_view target) const {
  ASSIGN_OR_RETURN(const Principal* app, Authenticate(*this, client, kGrantClientCredentials));
  ASSIGN_OR_RETURN(Target resolved, ResolveTarget(*this, version, target, true));
  int64_t now = internal::NowSeconds();
  IssuedToken token;
  token.resource = resolved.resource;
  token.not_before = now - kBackdateSeconds;
  token.expires_in = options_.token_lifetime_seconds;
  token.expires_at = now + token.expires_in;
  ASSIGN_OR_RETURN(token.access_token,
                   Mint(BuildClaims(*this, resolved, app->client_id, *app, "", now, token.expires_at)));
  LOG_DEBUG("identity: client credentials token for " << app->client_id << ", audience " << resolved.aud);
  return token;
}

Result<IssuedToken> IdentityProvider::IssueOnBehalfOf(const ClientCredentials& client, EndpointVersion version,
                                                      std::string_view target, std::string_view assertion) const {
  ASSIGN_OR_RETURN(const Principal* middle, Authenticate(*this, client, kGrantJwtBearer));
  if (assertion.empty()) return MissingParameter("assertion");
  VerifyOptions verify;
  verify.issuers = {IssuerV1(), IssuerV2()};
  verify.leeway_seconds = options_.leeway_seconds;
  Result<Claims> caller = VerifyToken(assertion, keys_, verify);
  if (!caller.ok()) return AssertionError(caller.status());

  // The assertion must be meant for the middle tier (or, for the gateway, for the service it stands in for).
  std::vector<std::string> accepted = {middle->client_id, "api://" + middle->client_id};
  accepted.insert(accepted.end(), options_.obo_assertion_audiences.begin(), options_.obo_assertion_audiences.end());
  bool audience_ok = false;
  for (const auto& have : caller->aud) {
    for (const auto& want : accepted) audience_ok = audience_ok || AudienceMatches(have, want);
  }
  if (!audience_ok) {
    std::string have = caller->aud.empty() ? "" : caller->aud.front();
    return EntraError(400, "invalid_grant", 500131,
                      "Assertion audience does not match the Client app presenting the assertion. The audience in "
                      "the assertion was '" +
                          have + "' and the expected audience is '" + middle->client_id +
                          "' or one of the Application Uris of this application with App ID '" + middle->client_id +
                          "'. The downstream client must request a token for the expected audience (the application "
                          "that made the OBO request) and this application should use that token as the assertion.");
  }
  // Groups come from the directory now, not from the assertion, as Entra computes them per token.
  const Principal* subject = principals_.FindByObjectId(caller->oid);
  if (subject == nullptr) {
    return EntraError(400, "invalid_grant", 50034,
                      "The user account " + caller->oid + " does not exist in the " + tenant_id() +
                          " directory. To sign into this application, the account must be added to the directory.");
  }

  ASSIGN_OR_RETURN(Target resolved, ResolveTarget(*this, version, target, false));
  std::vector<std::string> names = resolved.scope_names;
  if (names.empty() || (names.size() == 1 && names[0] == ".default")) names = {std::string(kDelegatedScope)};
  bool first_party = resolved.token_version == 1 && !IsGuid(resolved.aud) && !resolved.aud.starts_with("api://");
  std::string scp;
  for (const auto& name : names) {
    if (name == ".default" || (first_party && name != kDelegatedScope)) {
      return InvalidScope(70011, "The provided value for the input parameter 'scope' isn't valid. The scope " +
                                     resolved.resource + "/" + name + " isn't valid.");
    }
    scp += (scp.empty() ? "" : " ") + name;
  }
  int64_t now = internal::NowSeconds();
  IssuedToken token;
  token.resource = resolved.resource;
  token.not_before = now - kBackdateSeconds;
  token.expires_in = options_.token_lifetime_seconds;
  token.expires_at = now + token.expires_in;
  for (const auto& name : names) {
    if (!token.scope.empty()) token.scope += ' ';
    token.scope += version == EndpointVersion::kV2 ? resolved.resource + "/" + name : name;
  }
  ASSIGN_OR_RETURN(token.access_token,
                   Mint(BuildClaims(*this, resolved, middle->client_id, *subject, scp, now, token.expires_at)));
  LOG_DEBUG("identity: on-behalf-of token for " << subject->object_id << " via " << middle->client_id << ", audience "
                                                << resolved.aud);
  return token;
}

EndpointResponse IdentityProvider::Token(const TokenEndpointRequest& request) const {
  EndpointResponse response;
  response.trace_id = RandomGuid();
  response.correlation_id = request.correlation_id.empty() ? RandomGuid() : request.correlation_id;
  auto result = [&]() -> Result<IssuedToken> {
    if (!IsOwnTenant(request.tenant)) {
      return BadRequest(90002, "Tenant '" + request.tenant +
                                   "' not found. Check to make sure you have the correct tenant ID and are signing "
                                   "into the correct cloud.");
    }
    std::vector<encoding::QueryParam> form;
    if (IsFormContentType(request.content_type)) {
      auto parsed = encoding::ParseQueryString(request.body, true);
      if (!parsed.ok()) return InvalidUserInput("The body is not a valid form: " + parsed.status().message());
      form = std::move(parsed).value();
    }
    auto param = [&](std::string_view name) -> Result<std::string> {
      const encoding::QueryParam* found = nullptr;
      for (const auto& p : form) {
        if (p.name != name) continue;
        if (found != nullptr) return InvalidUserInput("The parameter '" + std::string(name) + "' appears twice.");
        found = &p;
      }
      return found ? found->value : std::string();
    };
    ASSIGN_OR_RETURN(std::string grant_type, param("grant_type"));
    if (grant_type.empty()) return MissingParameter("grant_type");
    if (grant_type != kGrantClientCredentials && grant_type != kGrantJwtBearer) {
      return EntraError(400, "unsupported_grant_type", 70003,
                        "The app requested an unsupported grant type '" + grant_type + "'.");
    }
    ClientCredentials client;
    ASSIGN_OR_RETURN(client.client_id, param("client_id"));
    ASSIGN_OR_RETURN(client.client_secret, param("client_secret"));
    if (!request.authorization.empty() && http::EqualsIgnoreCase(request.authorization.substr(0, 6), "Basic ")) {
      auto basic = ParseBasicCredentials(request.authorization);
      if (!basic.ok()) {
        return EntraError(
            401, "invalid_client", 7000216,
            "The client credentials in the Authorization header are not valid: " + basic.status().message());
      }
      if ((!client.client_id.empty() && !http::EqualsIgnoreCase(client.client_id, basic->client_id)) ||
          (!client.client_secret.empty() && client.client_secret != basic->client_secret)) {
        return InvalidUserInput("The client credentials in the body differ from those in the Authorization header.");
      }
      client = std::move(basic).value();
    }
    std::string target_name = request.version == EndpointVersion::kV2 ? "scope" : "resource";
    ASSIGN_OR_RETURN(std::string target, param(target_name));
    if (grant_type == kGrantClientCredentials) return IssueClientCredentials(client, request.version, target);
    ASSIGN_OR_RETURN(std::string use, param("requested_token_use"));
    if (use.empty()) return MissingParameter("requested_token_use");
    if (use != "on_behalf_of") {
      return InvalidUserInput("requested_token_use '" + use + "' is not supported; only 'on_behalf_of' is.");
    }
    ASSIGN_OR_RETURN(std::string assertion, param("assertion"));
    return IssueOnBehalfOf(client, request.version, target, assertion);
  }();
  if (result.ok()) {
    response.body = SuccessBody(*result, request.version);
  } else {
    response.status = internal::EntraErrorBody(result.status(), public_base_url(), response.trace_id,
                                               response.correlation_id, response.body);
  }
  return response;
}

}  // namespace lakeshift::identity
