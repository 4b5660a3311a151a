#pragma once
// Shared access signatures signed with the account key: account SAS and service SAS (container, blob, blob
// snapshot or version, directory) as the Blob and DFS endpoints accept them, and generators that produce the
// same tokens as the official SDKs (azure-storage-blob / -file-datalake for Python). User delegation SAS needs
// Entra ID and is rejected.
//
// Account SAS string-to-sign: account \n sp \n ss \n srt \n st \n se \n sip \n spr \n sv \n [ses \n]
//   (ses from version 2020-12-06).
// Service SAS string-to-sign: sp \n st \n se \n /blob/account/container[/path] \n si \n sip \n spr \n sv
//   [\n sr \n snapshot-or-version-id] (from 2018-11-09) [\n ses] (from 2020-12-06) \n rscc \n rscd \n rsce \n
//   rscl \n rsct. The resource is derived from the request: the container for sr=c, the blob for sr=b/bs/bv,
//   the first sdd path segments for sr=d. Versions before 2015-04-05 are not supported.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sas_permissions.h"
#include "common/result.h"

namespace lakeshift::auth {

// The SAS version the generators use by default: what python3-azure 20230112 (azure-storage-blob 12.15.0b1,
// azure-storage-file-datalake 12.10.0b1) signs.
inline constexpr std::string_view kDefaultSasVersion = "2021-12-02";
// The oldest version accepted (the first with account SAS, sip and spr).
inline constexpr std::string_view kOldestSasVersion = "2015-04-05";

// The SAS fields of a query string, percent-decoded, as sent.
struct SasToken {
  std::string version;              // sv
  std::string services;             // ss (account SAS): b f q t
  std::string resource_types;       // srt (account SAS): s c o
  std::string resource;             // sr (service SAS): c b bs bv d
  std::string permissions;          // sp
  std::string start;                // st
  std::string expiry;               // se
  std::string ip;                   // sip: "a.b.c.d" or "a.b.c.d-e.f.g.h"
  std::string protocol;             // spr: "https" or "https,http"
  std::string identifier;           // si: a stored access policy of the container
  std::string encryption_scope;     // ses
  std::string directory_depth;      // sdd (sr=d)
  std::string cache_control;        // rscc, and the other response header overrides
  std::string content_disposition;  // rscd
  std::string content_encoding;     // rsce
  std::string content_language;     // rscl
  std::string content_type;         // rsct
  std::string snapshot;             // the request's snapshot= (signed for sr=bs)
  std::string version_id;           // the request's versionid= (signed for sr=bv)
  std::string signature;            // sig
  bool user_delegation = false;     // skoid, sktid, skt, ske, sks or skv present

  bool IsAccountSas() const { return !services.empty() || !resource_types.empty(); }
};

// True when the raw query string carries a "sig" parameter, i.e. the request claims SAS authorization.
bool HasSasSignature(std::string_view query);
// Reads the SAS fields of a raw query string. Errors are 403 AuthenticationFailed (malformed escapes, no sig).
Result<SasToken> ParseSas(std::string_view query);

enum class SasResourceType : uint8_t { kService, kContainer, kObject };  // srt letters s, c, o

// A container's stored access policy, for tokens with si.
struct StoredAccessPolicy {
  std::string permissions;  // letters, may be empty
  std::string start;        // ISO 8601, may be empty
  std::string expiry;
};

// What the request needs. The views must outlive the VerifySas call.
struct SasRequestContext {
  char service = 'b';  // Blob and DFS endpoints are both the blob service
  SasResourceType resource_type = SasResourceType::kObject;
  // "/blob/<account>", "/blob/<account>/<container>" or "/blob/<account>/<container>/<path>", with the path
  // percent-DECODED and without a trailing '/'. For a DFS listing under a directory with a directory SAS, pass
  // the directory as the path.
  std::string_view canonical_resource;
  // The token must hold every letter of at least one option; no options means no letter is needed.
  std::vector<SasPermissions> permission_options;
  // Options for account SAS, whose letters differ for some operations; nullopt uses permission_options.
  std::optional<std::vector<SasPermissions>> account_permission_options;
  std::string_view client_ip;  // IPv4, or IPv4-mapped IPv6; checked only when the token has sip
  std::string_view protocol = "http";
  // Looks up (container, si); unset means stored access policies are not supported.
  std::function<std::optional<StoredAccessPolicy>(std::string_view, std::string_view)> stored_policy;
};

// Errors (see auth_errors.h): malformed, unsupported, expired, not yet valid or badly signed tokens and user
// delegation SAS -> 403 AuthenticationFailed; ss without the service -> AuthorizationServiceMismatch; srt or
// sr not covering the resource -> AuthorizationResourceTypeMismatch; missing letters ->
// AuthorizationPermissionMismatch; sip / spr -> AuthorizationSourceIPMismatch / AuthorizationProtocolMismatch.
// A key that is not base64 -> kInvalidArgument.
Status VerifySas(const SasToken& token, const SasRequestContext& context, std::string_view key_base64,
                 int64_t now_epoch_ms);

// The strings-to-sign, exposed for tests and diagnostics. `signed_resource` is "/blob/account/container[/path]".
std::string AccountSasStringToSign(const SasToken& token, std::string_view account);
std::string ServiceSasStringToSign(const SasToken& token, std::string_view signed_resource);

// "2026-03-02T10:20:30Z", the SDKs' format for st and se.
std::string FormatSasTime(int64_t epoch_ms);

struct AccountSasOptions {
  std::string services = "b";
  std::string resource_types = "sco";
  SasPermissions permissions;
  std::string start;  // optional
  std::string expiry;
  std::string ip;
  std::string protocol;
  std::string version = std::string(kDefaultSasVersion);
  std::string encryption_scope;
};

struct ServiceSasOptions {
  std::string container;
  std::string path;        // decoded; empty for a container SAS
  bool directory = false;  // sr=d, sdd = number of path segments
  std::string snapshot;    // sr=bs
  std::string version_id;  // sr=bv
  SasPermissions permissions;
  std::string start;
  std::string expiry;
  std::string identifier;
  std::string ip;
  std::string protocol;
  std::string version = std::string(kDefaultSasVersion);
  std::string encryption_scope;
  std::string cache_control;
  std::string content_disposition;
  std::string content_encoding;
  std::string content_language;
  std::string content_type;
};

// The query string (without '?'), fields in the Python SDK's order and encoding.
Result<std::string> MakeAccountSas(std::string_view account, std::string_view key_base64,
                                   const AccountSasOptions& options);
Result<std::string> MakeServiceSas(std::string_view account, std::string_view key_base64,
                                   const ServiceSasOptions& options);

}  // namespace lakeshift::auth
