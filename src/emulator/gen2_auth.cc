#include "emulator/gen2_auth.h"

#include "auth/auth_errors.h"
#include "auth/sas.h"
#include "auth/shared_key.h"
#include "encoding/time_format.h"
#include "identity/provider.h"

namespace lakeshift::emulator {
namespace {

using auth::SasPermissions;

std::vector<SasPermissions> Options(std::initializer_list<const char*> letters) {
  std::vector<SasPermissions> out;
  for (const char* l : letters) out.push_back(SasPermissions::Of(l));
  return out;
}

// The DataLake SAS letters an operation needs: the token must hold all letters of one option.
std::vector<SasPermissions> RequiredPermissions(const Gen2Request& r) {
  const std::string& m = r.method();
  std::string comp = r.Query("comp").value_or("");
  if (r.filesystem.empty()) {
    if (comp == "properties") return Options({m == "PUT" ? "w" : "r"});  // Blob service properties
    return Options({"l"});                                               // list filesystems / containers
  }
  if (!r.has_path) {
    if (m == "PUT" && comp.empty()) return Options({"c"});
    if (m == "DELETE") return Options({"d"});
    if (m == "GET" && (r.HasQuery("recursive") || comp == "list")) return Options({"l"});
    if (m == "PUT" || m == "PATCH") return Options({"w"});
    return Options({"r"});
  }
  if (m == "GET") return Options({"r"});
  if (m == "HEAD") {
    return r.Query("action") == "getAccessControl" ? Options({"e", "r"}) : Options({"r"});
  }
  if (m == "DELETE") return Options({"d"});
  if (m == "PUT") {
    if (r.Header("x-ms-rename-source")) return Options({"m"});
    if (!comp.empty()) return Options({"w"});
    return Options({"c", "w"});
  }
  if (m == "PATCH") {
    std::string action = r.Query("action").value_or("");
    if (action == "append") return Options({"a", "w"});
    if (action == "setAccessControl") {
      bool owner = r.Header("x-ms-owner") || r.Header("x-ms-group");
      bool perms = r.Header("x-ms-permissions") || r.Header("x-ms-acl");
      if (owner && perms) return Options({"op"});
      return owner ? Options({"o"}) : Options({"p"});
    }
    if (action == "setAccessControlRecursive") return Options({"p"});
    return Options({"w"});
  }
  return Options({"w"});
}

std::string ClientIp(const std::string& remote) {
  if (!remote.empty() && remote.front() == '[') return remote.substr(1, remote.find(']') - 1);
  return remote.substr(0, remote.rfind(':'));
}

Result<acl::Caller> AuthenticateSas(const Gen2Request& r, const Gen2Credentials& credentials) {
  ASSIGN_OR_RETURN(auth::SasToken token, auth::ParseSas(r.http->query));
  auth::SasRequestContext context;
  context.resource_type = r.filesystem.empty() ? auth::SasResourceType::kService
                          : r.has_path         ? auth::SasResourceType::kObject
                                               : auth::SasResourceType::kContainer;
  std::string resource = "/blob/" + credentials.account;
  if (!r.filesystem.empty()) resource += "/" + r.filesystem;
  if (r.has_path) resource += r.path;
  // A DFS listing under a directory is authorized against that directory.
  if (!r.has_path && r.HasQuery("recursive")) {
    if (auto dir = r.Query("directory"); dir && !dir->empty()) resource += "/" + *dir;
  }
  context.canonical_resource = resource;
  context.permission_options = RequiredPermissions(r);
  std::string ip = ClientIp(r.http->remote_address);
  context.client_ip = ip;
  context.protocol = r.http->tls ? "https" : "http";
  RETURN_IF_ERROR(auth::VerifySas(token, context, credentials.key, encoding::NowEpochMillis()));
  // A SAS authorizes the request itself; what it creates belongs to "$superuser", as with Shared Key.
  return acl::Caller::Superuser("$superuser");
}

// The service's AuthenticationErrorDetail for a token that failed validation.
std::string TokenFailureDetail(const Status& status) {
  auto reason = identity::TokenErrorOf(status);
  if (!reason) return status.message();
  switch (*reason) {
    case identity::TokenError::kExpired: return "Lifetime validation failed. The token is expired.";
    case identity::TokenError::kNotYetValid: return "Lifetime validation failed. The token is not yet valid.";
    case identity::TokenError::kWrongAudience: return "Audience validation failed. Audience did not match.";
    case identity::TokenError::kWrongIssuer: return "Issuer validation failed. Issuer did not match.";
    case identity::TokenError::kBadSignature:
    case identity::TokenError::kUnknownKey: return "Signature validation failed. " + status.message();
    case identity::TokenError::kMalformed:
    case identity::TokenError::kBadAlgorithm: return "The token is not a valid JWT: " + status.message();
  }
  return status.message();
}

// OAuth callers act as their object id; the provider's superusers (the account's "Storage Blob Data Owners")
// bypass ACLs, everyone else is checked against them.
Result<acl::Caller> AuthenticateBearer(std::string_view token, const Gen2Credentials& credentials) {
  if (credentials.identity == nullptr) {
    return auth::InvalidBearerToken(
        "this emulator was started without an identity provider; run `lakeshift emulate --data DIR` for OAuth");
  }
  auto claims = credentials.identity->VerifyAccessToken(token, identity::kStorageAudience);
  if (!claims.ok()) return auth::InvalidBearerToken(TokenFailureDetail(claims.status()));
  acl::Caller caller;
  caller.user = claims->oid;
  caller.groups = claims->groups;
  caller.superuser = credentials.identity->IsSuperuser(claims->oid);
  return caller;
}

}  // namespace

std::string BearerChallenge(const Gen2Credentials& credentials) {
  std::string authority =
      credentials.identity != nullptr ? credentials.identity->Authority() : "https://login.microsoftonline.com/common";
  return "Bearer authorization_uri=" + authority + "/oauth2/authorize resource_id=https://storage.azure.com";
}

Result<acl::Caller> AuthenticateGen2(const Gen2Request& r, const Gen2Credentials& credentials) {
  auto header = r.Header("Authorization");
  if (header && header->rfind("SharedKey ", 0) == 0) {
    auth::SignableRequest signable{r.http->method, r.http->path, r.http->query, r.http->headers};
    RETURN_IF_ERROR(auth::VerifySharedKey(signable, credentials.account, credentials.key, encoding::NowEpochMillis()));
    // Shared Key callers act as the account: superusers, and the owner "$superuser" of what they create.
    return acl::Caller::Superuser("$superuser");
  }
  if (header) {
    if (auto token = identity::ParseBearer(*header)) return AuthenticateBearer(*token, credentials);
  }
  if (auth::HasSasSignature(r.http->query)) return AuthenticateSas(r, credentials);
  if (header) return auth::InvalidAuthenticationInfo("unsupported Authorization scheme");
  return auth::NoAuthenticationInformation();
}

}  // namespace lakeshift::emulator
