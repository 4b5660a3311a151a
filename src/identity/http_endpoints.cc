// The identity provider's HTTP surface: routing, discovery documents, JWKS, instance discovery.

#include <nlohmann/json.hpp>
#include <vector>

#include "common/log.h"
#include "encoding/percent.h"
#include "http/url.h"
#include "identity/provider.h"
#include "identity/provider_internal.h"

namespace lakeshift::identity {
namespace {

using nlohmann::ordered_json;

constexpr uint64_t kMaxTokenRequestBytes = 1 << 20;

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

void SendJson(http::ResponseWriter& writer, int status, std::string_view body, bool cacheable,
              const std::string& trace_id = "", const std::string& correlation_id = "") {
  http::Headers headers{{"Content-Type", "application/json; charset=utf-8"}};
  if (cacheable) {
    headers.Add("Cache-Control", "max-age=86400, private");
    headers.Add("Access-Control-Allow-Origin", "*");
  } else {
    headers.Add("Cache-Control", "no-store, no-cache");
    headers.Add("Pragma", "no-cache");
  }
  if (!trace_id.empty()) headers.Add("x-ms-request-id", trace_id);
  if (!correlation_id.empty()) headers.Add("client-request-id", correlation_id);
  Status sent = writer.Send(status, std::move(headers), body);
  if (!sent.ok()) LOG_DEBUG("identity: response not sent: " << sent);
}

// An Entra-style error for requests that never reach the token logic (bad tenant, wrong method, bad path).
void SendError(const IdentityProvider& provider, http::ResponseWriter& writer, const http::Request& request,
               const Status& error) {
  std::string trace_id = RandomGuid();
  std::string correlation_id = request.headers.Get("client-request-id").value_or(RandomGuid());
  std::string body;
  int status = internal::EntraErrorBody(error, provider.public_base_url(), trace_id, correlation_id, body);
  SendJson(writer, status, body, false, trace_id, correlation_id);
}

Status TenantNotFound(std::string_view tenant) {
  return internal::EntraError(400, "invalid_request", 90002,
                              "Tenant '" + std::string(tenant) +
                                  "' not found. Check to make sure you have the correct tenant ID and are signing into "
                                  "the correct cloud.");
}

// The OpenID configuration Entra serves. For "common"/"organizations" the issuer keeps Entra's literal
// "{tenantid}" placeholder, which clients substitute.
std::string OpenIdConfiguration(const IdentityProvider& provider, std::string_view tenant, bool v2) {
  bool specific = !http::EqualsIgnoreCase(tenant, "common") && !http::EqualsIgnoreCase(tenant, "organizations");
  std::string base = provider.public_base_url();
  std::string path_tenant = specific ? provider.tenant_id() : std::string(tenant);
  std::string authority = base + "/" + path_tenant;
  std::string issuer_tenant = specific ? provider.tenant_id() : "{tenantid}";
  std::string oauth = authority + (v2 ? "/oauth2/v2.0" : "/oauth2");
  ordered_json j;
  j["token_endpoint"] = oauth + "/token";
  // Entra also lists private_key_jwt; this provider takes client secrets only.
  j["token_endpoint_auth_methods_supported"] = {"client_secret_post", "client_secret_basic"};
  j["jwks_uri"] = authority + (v2 ? "/discovery/v2.0/keys" : "/discovery/keys");
  j["response_modes_supported"] = {"query", "fragment", "form_post"};
  j["subject_types_supported"] = {"pairwise"};
  j["id_token_signing_alg_values_supported"] = {"RS256"};
  j["response_types_supported"] = {"code", "id_token", "code id_token", v2 ? "id_token token" : "token id_token"};
  j["scopes_supported"] = {"openid", "profile", "email", "offline_access"};
  j["issuer"] = base + "/" + issuer_tenant + (v2 ? "/v2.0" : "/");
  j["request_uri_parameter_supported"] = false;
  j["userinfo_endpoint"] = v2 ? "https://graph.microsoft.com/oidc/userinfo" : authority + "/openid/userinfo";
  j["authorization_endpoint"] = oauth + "/authorize";
  j["device_authorization_endpoint"] = oauth + "/devicecode";
  j["http_logout_supported"] = true;
  j["frontchannel_logout_supported"] = true;
  j["end_session_endpoint"] = oauth + "/logout";
  j["claims_supported"] = {"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "name", "tid", "ver"};
  j["tenant_region_scope"] = "WW";
  j["cloud_instance_name"] = "microsoftonline.com";
  j["cloud_graph_host_name"] = "graph.windows.net";
  j["msgraph_host"] = "graph.microsoft.com";
  return Dump(j);
}

// GET /common/discovery/instance: MSAL's check that an authority host is known, and where its metadata lives.
std::string InstanceDiscovery(const IdentityProvider& provider, std::string_view query) {
  std::string tenant = "common";
  bool v2 = true;
  std::string authority_host;
  if (auto params = encoding::ParseQueryString(query); params.ok()) {
    for (const auto& p : *params) {
      if (p.name != "authorization_endpoint") continue;
      auto url = http::ParseUrl(p.value);
      if (!url.ok()) continue;
      std::string origin = url->Origin();
      authority_host = origin.substr(origin.find("://") + 3);
      std::string_view path = url->path;
      if (path.starts_with('/')) path.remove_prefix(1);
      if (size_t slash = path.find('/'); slash != std::string_view::npos && slash > 0) {
        tenant = std::string(path.substr(0, slash));
      }
      v2 = url->path.find("/oauth2/v2.0/") != std::string::npos;
    }
  }
  std::string base = provider.public_base_url();
  std::string own_host = base.substr(base.find("://") == std::string::npos ? 0 : base.find("://") + 3);
  std::vector<std::string> aliases = {own_host};
  if (!authority_host.empty() && authority_host != own_host) aliases.push_back(authority_host);
  ordered_json j;
  j["tenant_discovery_endpoint"] = base + "/" + tenant + (v2 ? "/v2.0" : "") + "/.well-known/openid-configuration";
  j["api-version"] = "1.1";
  j["metadata"] = {{{"preferred_network", own_host}, {"preferred_cache", own_host}, {"aliases", aliases}}};
  return Dump(j);
}

// The request path as decoded segments ("/a/b%20c" -> {"a", "b c"}); empty on a bad escape.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = path.starts_with('/') ? 1 : 0;
  while (start < path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    auto segment = encoding::PercentDecode(path.substr(start, end - start));
    if (!segment.ok()) return {};
    out.push_back(std::move(segment).value());
    start = end + 1;
  }
  return out;
}

bool Matches(const std::vector<std::string>& segments, std::initializer_list<std::string_view> tail) {
  if (segments.size() != tail.size() + 1) return false;
  size_t i = 1;
  for (std::string_view want : tail) {
    if (!http::EqualsIgnoreCase(segments[i++], want)) return false;
  }
  return true;
}

}  // namespace

void HandleIdentityRequest(const IdentityProvider& provider, http::Request& request, http::ResponseWriter& writer) {
  std::vector<std::string> seg = Segments(request.path);
  bool v2_token = Matches(seg, {"oauth2", "v2.0", "token"});
  bool v1_token = Matches(seg, {"oauth2", "token"});
  bool v2_keys = Matches(seg, {"discovery", "v2.0", "keys"});
  bool v1_keys = Matches(seg, {"discovery", "keys"});
  bool v2_config = Matches(seg, {"v2.0", ".well-known", "openid-configuration"});
  bool v1_config = Matches(seg, {".well-known", "openid-configuration"});
  bool instance = Matches(seg, {"discovery", "instance"});
  if (!(v2_token || v1_token || v2_keys || v1_keys || v2_config || v1_config || instance)) {
    SendJson(writer, 404, Dump({{"error", "not_found"}, {"error_description", "No such endpoint: " + request.path}}),
             false);
    return;
  }
  const std::string& tenant = seg[0];
  bool is_post = request.method == "POST";
  if ((v2_token || v1_token) != is_post) {
    std::string allowed = is_post ? "GET" : "POST";
    SendError(provider, writer, request,
              internal::EntraError(
                  400, "invalid_request", 900561,
                  "The endpoint only accepts " + allowed + " requests. Received a " + request.method + " request."));
    return;
  }
  if (!instance && !provider.IsOwnTenant(tenant)) {
    // Read (and drop) the body first so the connection stays usable.
    if (is_post) request.ReadBodyToString(kMaxTokenRequestBytes).status().IgnoreError();
    SendError(provider, writer, request, TenantNotFound(tenant));
    return;
  }
  if (v2_token || v1_token) {
    auto body = request.ReadBodyToString(kMaxTokenRequestBytes);
    if (!body.ok()) {
      const ServiceDetail* detail = body.status().detail();
      int status = detail != nullptr && detail->http_status == 413 ? 413 : 400;
      SendJson(writer, status, Dump({{"error", "invalid_request"}, {"error_description", body.status().message()}}),
               false);
      return;
    }
    TokenEndpointRequest token_request;
    token_request.tenant = tenant;
    token_request.version = v2_token ? EndpointVersion::kV2 : EndpointVersion::kV1;
    token_request.content_type = request.headers.Get("Content-Type").value_or("");
    token_request.body = std::move(body).value();
    token_request.authorization = request.headers.Get("Authorization").value_or("");
    token_request.correlation_id = request.headers.Get("client-request-id").value_or("");
    EndpointResponse response = provider.Token(token_request);
    SendJson(writer, response.status, response.body, false, response.trace_id, response.correlation_id);
  } else if (v2_keys || v1_keys) {
    SendJson(writer, 200, provider.keys().ToJwksJson(v2_keys ? provider.IssuerV2() : ""), true);
  } else if (v2_config || v1_config) {
    SendJson(writer, 200, OpenIdConfiguration(provider, tenant, v2_config), true);
  } else {
    SendJson(writer, 200, InstanceDiscovery(provider, request.query), true);
  }
}

http::Handler MakeIdentityHandler(const IdentityProvider& provider) {
  return [&provider](http::Request& request, http::ResponseWriter& writer) {
    HandleIdentityRequest(provider, request, writer);
  };
}

Result<KeySet> FetchKeySet(http::HttpClient& client, const std::string& jwks_url) {
  http::ClientRequest request;
  request.url = jwks_url;
  request.headers.Set("Accept", "application/json");
  ASSIGN_OR_RETURN(http::ClientResponse response, client.Send(request));
  if (response.status != 200) {
    return Unavailable("GET " + http::RedactTarget(jwks_url) + " answered " + std::to_string(response.status) + ": " +
                       response.body.substr(0, 300));
  }
  auto keys = KeySet::FromJwksJson(response.body);
  if (!keys.ok()) return keys.status().WithContext("GET " + jwks_url + ": ");
  return keys;
}

}  // namespace lakeshift::identity
