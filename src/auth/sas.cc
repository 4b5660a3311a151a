#include "auth/sas.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "auth/auth_errors.h"
#include "auth/crypto_util.h"
#include "encoding/percent.h"
#include "encoding/time_format.h"
#include "http/headers.h"

namespace lakeshift::auth {
namespace {

constexpr std::string_view kNotWellFormed = "Signature fields not well formed.";

Status Malformed(std::string_view why) {
  return AuthenticationFailed(std::string(kNotWellFormed) + " " + std::string(why));
}

bool IsVersionDate(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9')) return false;
  }
  return true;
}

// st / se: "YYYY-MM-DD", "YYYY-MM-DDThh:mm<zone>", "YYYY-MM-DDThh:mm:ss[.f]<zone>"; zone "Z" or "+hh:mm".
Result<int64_t> ParseSasTime(std::string_view field, std::string_view text) {
  std::string full(text);
  if (full.size() == 10) full += "T00:00:00Z";
  if (full.size() > 16 && full[10] == 'T' && full[13] == ':' && full[16] != ':') full.insert(16, ":00");
  Result<int64_t> ns = encoding::ParseRfc3339(full);
  if (!ns.ok()) {
    return Malformed("The " + std::string(field) + " value '" + std::string(text) +
                     "' is not an ISO 8601 UTC time such as 2026-03-02T10:20:30Z.");
  }
  const int64_t q = *ns / 1000000;
  return q * 1000000 > *ns ? q - 1 : q;
}

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  if (text.starts_with("::ffff:")) text.remove_prefix(7);  // IPv4-mapped IPv6
  uint32_t out = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const size_t used = static_cast<size_t>(end - text.data());
    if (ec != std::errc() || used == 0 || used > 3 || value > 255) return std::nullopt;
    out = (out << 8) | value;
    text.remove_prefix(used);
  }
  if (!text.empty()) return std::nullopt;
  return out;
}

Status CheckIp(std::string_view sip, std::string_view client_ip) {
  if (sip.empty()) return Status::Ok();
  const size_t dash = sip.find('-');
  const std::optional<uint32_t> low = ParseIpv4(sip.substr(0, dash));
  const std::optional<uint32_t> high = dash == std::string_view::npos ? low : ParseIpv4(sip.substr(dash + 1));
  if (!low || !high || *low > *high) return Malformed("The sip value '" + std::string(sip) + "' is not an IPv4 range.");
  const std::optional<uint32_t> client = ParseIpv4(client_ip);
  if (!client || *client < *low || *client > *high) return AuthorizationSourceIPMismatch(client_ip);
  return Status::Ok();
}

Status CheckProtocol(std::string_view spr, std::string_view protocol) {
  if (spr.empty() || spr == "https,http" || spr == "http,https") return Status::Ok();
  if (spr != "https") return Malformed("The spr value '" + std::string(spr) + "' is neither https nor https,http.");
  if (protocol != "https") {
    return AuthorizationProtocolMismatch("The SAS allows only https; the lakeshift emulator was reached over " +
                                         std::string(protocol) + ".");
  }
  return Status::Ok();
}

Status CheckTimes(std::string_view start, std::string_view expiry, int64_t now_ms) {
  if (expiry.empty()) return AuthenticationFailed("se is mandatory. Cannot be empty");
  ASSIGN_OR_RETURN(int64_t se, ParseSasTime("se", expiry));
  std::optional<int64_t> st;
  if (!start.empty()) {
    ASSIGN_OR_RETURN(st, ParseSasTime("st", start));
  }
  const auto rfc = [](int64_t ms) { return encoding::FormatRfc1123(ms); };
  if (st && *st > se) {
    return AuthenticationFailed("Signed expiry time [" + rfc(se) + "] must be after signed start time [" + rfc(*st) +
                                "]");
  }
  if ((st && now_ms < *st) || now_ms > se) {
    return AuthenticationFailed("Signature not valid in the specified time frame: Start [" +
                                (st ? rfc(*st) : std::string("none")) + "] - Expiry [" + rfc(se) + "] - Current [" +
                                rfc(now_ms) + "]");
  }
  return Status::Ok();
}

Status CheckPermissions(std::string_view letters, const std::vector<SasPermissions>& options) {
  Result<SasPermissions> granted = SasPermissions::Parse(letters);
  if (!granted.ok()) return Malformed(granted.status().message());
  if (options.empty()) return Status::Ok();
  std::string needed;
  for (const SasPermissions& option : options) {
    if (granted->Has(option)) return Status::Ok();
    needed += (needed.empty() ? "'" : " or '") + option.ToString() + "'";
  }
  return AuthorizationPermissionMismatch("The SAS grants '" + std::string(letters) + "'; this operation needs " +
                                         needed + ".");
}

struct ResourceParts {
  std::string_view account;
  std::string_view container;
  std::string_view path;  // may contain '/'
};

Result<ResourceParts> SplitResource(std::string_view resource) {
  if (!resource.starts_with("/blob/")) {
    return Internal("SAS canonical resource must start with /blob/: " + std::string(resource));
  }
  resource.remove_prefix(6);
  ResourceParts parts;
  size_t slash = resource.find('/');
  parts.account = resource.substr(0, slash);
  if (slash != std::string_view::npos) {
    resource.remove_prefix(slash + 1);
    slash = resource.find('/');
    parts.container = resource.substr(0, slash);
    if (slash != std::string_view::npos) parts.path = resource.substr(slash + 1);
  }
  if (parts.account.empty()) return Internal("SAS canonical resource has no account");
  return parts;
}

// The resource a service SAS is signed for, derived from the request as the service does.
Result<std::string> SignedResource(const SasToken& token, const SasRequestContext& context,
                                   const ResourceParts& parts) {
  const std::string_view sr = token.resource;
  const std::string container = "/blob/" + std::string(parts.account) + "/" + std::string(parts.container);
  if (sr == "c" || sr == "d") {
    if (context.resource_type == SasResourceType::kService || parts.container.empty()) {
      return AuthorizationResourceTypeMismatch("A container or directory SAS cannot authorize account operations.");
    }
    if (sr == "c") return container;
    int depth = 0;
    const auto [end, ec] = std::from_chars(token.directory_depth.data(),
                                           token.directory_depth.data() + token.directory_depth.size(), depth);
    if (ec != std::errc() || end != token.directory_depth.data() + token.directory_depth.size() || depth < 1) {
      return Malformed("sr=d needs sdd, the directory depth (1 or more), got '" + token.directory_depth + "'.");
    }
    std::string out = container;
    std::string_view rest = parts.path;
    for (int i = 0; i < depth && !rest.empty(); ++i) {
      const size_t slash = rest.find('/');
      out += '/';
      out += rest.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    return out;
  }
  if (sr == "b" || sr == "bs" || sr == "bv") {
    if (context.resource_type != SasResourceType::kObject || parts.path.empty()) {
      return AuthorizationResourceTypeMismatch("A blob SAS (sr=" + std::string(sr) +
                                               ") authorizes operations on that blob only.");
    }
    return container + "/" + std::string(parts.path);
  }
  if (sr == "s" || sr == "f") {
    return AuthorizationServiceMismatch("sr=" + std::string(sr) + " is a file service SAS.");
  }
  return Malformed("Unknown sr value '" + std::string(sr) + "'.");
}

Status CheckSignature(const SasToken& token, std::string_view key, const std::string& text) {
  ASSIGN_OR_RETURN(std::string expected, SignWithKeyBytes(key, text));
  if (!ConstantTimeEquals(expected, token.signature)) {
    return AuthenticationFailed("Signature did not match. String to sign used was " + text);
  }
  return Status::Ok();
}

Status VerifyAccountSas(const SasToken& token, const SasRequestContext& context, std::string_view key,
                        const ResourceParts& parts, int64_t now_ms) {
  if (token.services.empty()) return AuthenticationFailed("ss is mandatory. Cannot be empty");
  if (token.resource_types.empty()) return AuthenticationFailed("srt is mandatory. Cannot be empty");
  if (token.permissions.empty()) return AuthenticationFailed("sp is mandatory. Cannot be empty");
  if (!token.identifier.empty()) return Malformed("An account SAS cannot refer to a stored access policy (si).");
  RETURN_IF_ERROR(CheckSignature(token, key, AccountSasStringToSign(token, parts.account)));
  RETURN_IF_ERROR(CheckTimes(token.start, token.expiry, now_ms));
  RETURN_IF_ERROR(CheckIp(token.ip, context.client_ip));
  RETURN_IF_ERROR(CheckProtocol(token.protocol, context.protocol));
  if (token.services.find(context.service) == std::string::npos) {
    return AuthorizationServiceMismatch("The account SAS covers the services '" + token.services + "', not '" +
                                        std::string(1, context.service) + "'.");
  }
  constexpr std::string_view kTypeLetters = "sco";
  const char type = kTypeLetters[static_cast<size_t>(context.resource_type)];
  if (token.resource_types.find(type) == std::string::npos) {
    return AuthorizationResourceTypeMismatch("The account SAS covers the resource types '" + token.resource_types +
                                             "'; this operation needs '" + std::string(1, type) + "'.");
  }
  return CheckPermissions(token.permissions, context.account_permission_options.value_or(context.permission_options));
}

Status VerifyServiceSas(const SasToken& token, const SasRequestContext& context, std::string_view key,
                        const ResourceParts& parts, int64_t now_ms) {
  ASSIGN_OR_RETURN(std::string resource, SignedResource(token, context, parts));
  std::string permissions = token.permissions;
  std::string start = token.start;
  std::string expiry = token.expiry;
  std::optional<StoredAccessPolicy> policy;
  if (!token.identifier.empty()) {
    if (!context.stored_policy) {
      return AuthenticationFailed("Stored access policies (si) are not supported here; sign the SAS with sp and se.");
    }
    policy = context.stored_policy(parts.container, token.identifier);
    if (!policy) {
      return AuthenticationFailed("The signed identifier '" + token.identifier +
                                  "' is not a stored access policy of the container.");
    }
  } else if (permissions.empty()) {
    return AuthenticationFailed("sp is mandatory. Cannot be empty");
  }
  RETURN_IF_ERROR(CheckSignature(token, key, ServiceSasStringToSign(token, resource)));
  if (policy) {
    for (auto [mine, theirs, name] :
         {std::tuple{&permissions, &policy->permissions, "sp"}, std::tuple{&start, &policy->start, "st"},
          std::tuple{&expiry, &policy->expiry, "se"}}) {
      if (!mine->empty() && !theirs->empty()) {
        return AuthenticationFailed(std::string(name) + " is given by both the SAS and the stored access policy.");
      }
      if (mine->empty()) *mine = *theirs;
    }
    if (permissions.empty()) return AuthenticationFailed("sp is mandatory. Cannot be empty");
  }
  RETURN_IF_ERROR(CheckTimes(start, expiry, now_ms));
  RETURN_IF_ERROR(CheckIp(token.ip, context.client_ip));
  RETURN_IF_ERROR(CheckProtocol(token.protocol, context.protocol));
  return CheckPermissions(permissions, context.permission_options);
}

std::string SignedTimestamp(const SasToken& token) {
  if (token.resource == "bs") return token.snapshot;
  if (token.resource == "bv") return token.version_id;
  return {};
}

void AddField(std::string& query, std::string_view name, std::string_view value) {
  if (value.empty()) return;  // the SDKs leave out empty fields
  if (!query.empty()) query += '&';
  query += name;
  query += '=';
  query += encoding::PercentEncodePath(value);  // Python's quote(): '/' stays, ':' '+' '=' are escaped
}

}  // namespace

bool HasSasSignature(std::string_view query) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    if (http::EqualsIgnoreCase(piece.substr(0, piece.find('=')), "sig")) return true;
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return false;
}

Result<SasToken> ParseSas(std::string_view query) {
  Result<std::vector<encoding::QueryParam>> params = encoding::ParseQueryString(query, /*plus_as_space=*/true);
  // The decoder's message would quote the query, signature included; secrets stay out of errors and logs.
  if (!params.ok()) return Malformed("The query string has a malformed percent-escape.");
  SasToken t;
  const std::pair<std::string_view, std::string*> fields[] = {{"sv", &t.version},
                                                              {"ss", &t.services},
                                                              {"srt", &t.resource_types},
                                                              {"sr", &t.resource},
                                                              {"sp", &t.permissions},
                                                              {"st", &t.start},
                                                              {"se", &t.expiry},
                                                              {"sip", &t.ip},
                                                              {"spr", &t.protocol},
                                                              {"si", &t.identifier},
                                                              {"ses", &t.encryption_scope},
                                                              {"sdd", &t.directory_depth},
                                                              {"rscc", &t.cache_control},
                                                              {"rscd", &t.content_disposition},
                                                              {"rsce", &t.content_encoding},
                                                              {"rscl", &t.content_language},
                                                              {"rsct", &t.content_type},
                                                              {"snapshot", &t.snapshot},
                                                              {"versionid", &t.version_id},
                                                              {"sig", &t.signature}};
  for (const encoding::QueryParam& p : *params) {
    for (const auto& [name, field] : fields) {
      if (http::EqualsIgnoreCase(p.name, name)) *field = p.value;
    }
    for (std::string_view ud : {"skoid", "sktid", "skt", "ske", "sks", "skv"}) {
      if (http::EqualsIgnoreCase(p.name, ud)) t.user_delegation = true;
    }
  }
  // An unescaped '+' in base64 arrives as a space; base64 has no spaces, so this restores it.
  for (char& c : t.signature) {
    if (c == ' ') c = '+';
  }
  if (t.signature.empty()) return AuthenticationFailed("sig is mandatory. Cannot be empty");
  return t;
}

std::string AccountSasStringToSign(const SasToken& token, std::string_view account) {
  std::string out;
  for (std::string_view field :
       {std::string_view(account), std::string_view(token.permissions), std::string_view(token.services),
        std::string_view(token.resource_types), std::string_view(token.start), std::string_view(token.expiry),
        std::string_view(token.ip), std::string_view(token.protocol), std::string_view(token.version)}) {
    out += field;
    out += '\n';
  }
  if (token.version >= "2020-12-06") out += token.encryption_scope + "\n";
  return out;
}

std::string ServiceSasStringToSign(const SasToken& token, std::string_view signed_resource) {
  std::string out = token.permissions + "\n" + token.start + "\n" + token.expiry + "\n" + std::string(signed_resource) +
                    "\n" + token.identifier + "\n" + token.ip + "\n" + token.protocol + "\n" + token.version;
  if (token.version >= "2018-11-09") out += "\n" + token.resource + "\n" + SignedTimestamp(token);
  if (token.version >= "2020-12-06") out += "\n" + token.encryption_scope;
  for (const std::string* field : {&token.cache_control, &token.content_disposition, &token.content_encoding,
                                   &token.content_language, &token.content_type}) {
    out += "\n" + *field;
  }
  return out;
}

Status VerifySas(const SasToken& token, const SasRequestContext& context, std::string_view key_base64,
                 int64_t now_epoch_ms) {
  if (token.user_delegation) {
    return AuthenticationFailed(
        "User delegation SAS is not supported by the lakeshift emulator (it has no Entra ID); use an account SAS "
        "or a service SAS signed with the account key.");
  }
  if (token.signature.empty()) return AuthenticationFailed("sig is mandatory. Cannot be empty");
  if (token.version.empty()) return AuthenticationFailed("sv is mandatory. Cannot be empty");
  if (!IsVersionDate(token.version)) return Malformed("The sv value '" + token.version + "' is not a version.");
  if (token.version < kOldestSasVersion) {
    return AuthenticationFailed("SAS version sv=" + token.version + " is not supported; use " +
                                std::string(kOldestSasVersion) + " or later.");
  }
  const bool account_sas = token.IsAccountSas();
  if (!account_sas && token.resource.empty()) return Malformed("A SAS needs either sr or ss and srt.");
  if (account_sas && !token.resource.empty()) return Malformed("A SAS cannot have both sr and ss/srt.");
  ASSIGN_OR_RETURN(std::string key, DecodeAccountKey(key_base64));
  ASSIGN_OR_RETURN(ResourceParts parts, SplitResource(context.canonical_resource));
  return account_sas ? VerifyAccountSas(token, context, key, parts, now_epoch_ms)
                     : VerifyServiceSas(token, context, key, parts, now_epoch_ms);
}

std::string FormatSasTime(int64_t epoch_ms) {
  const int64_t q = epoch_ms / 1000;
  const int64_t seconds = q * 1000 > epoch_ms ? q - 1 : q;
  return encoding::FormatRfc3339(seconds * 1000000000, 0, 0);
}

Result<std::string> MakeAccountSas(std::string_view account, std::string_view key_base64,
                                   const AccountSasOptions& options) {
  ASSIGN_OR_RETURN(std::string key, DecodeAccountKey(key_base64));
  SasToken t;
  t.version = options.version;
  t.services = options.services;
  t.resource_types = options.resource_types;
  t.permissions = options.permissions.ToString(SasPermissions::Order::kAccount);
  t.start = options.start;
  t.expiry = options.expiry;
  t.ip = options.ip;
  t.protocol = options.protocol;
  t.encryption_scope = options.encryption_scope;
  ASSIGN_OR_RETURN(std::string sig, SignWithKeyBytes(key, AccountSasStringToSign(t, account)));
  std::string query;
  for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"st", t.start},
                             {"se", t.expiry},
                             {"sp", t.permissions},
                             {"sip", t.ip},
                             {"spr", t.protocol},
                             {"sv", t.version},
                             {"ss", t.services},
                             {"srt", t.resource_types},
                             {"ses", t.encryption_scope},
                             {"sig", sig}}) {
    AddField(query, name, value);
  }
  return query;
}

Result<std::string> MakeServiceSas(std::string_view account, std::string_view key_base64,
                                   const ServiceSasOptions& options) {
  ASSIGN_OR_RETURN(std::string key, DecodeAccountKey(key_base64));
  std::string_view path = options.path;
  while (path.starts_with('/')) path.remove_prefix(1);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (options.container.empty()) return InvalidArgument("a service SAS needs a container");
  if (options.directory && path.empty()) return InvalidArgument("a directory SAS needs a directory path");
  SasToken t;
  t.version = options.version;
  t.resource = path.empty()                  ? "c"
               : options.directory           ? "d"
               : !options.snapshot.empty()   ? "bs"
               : !options.version_id.empty() ? "bv"
                                             : "b";
  if (options.directory) t.directory_depth = std::to_string(std::count(path.begin(), path.end(), '/') + 1);
  t.permissions = options.permissions.ToString(SasPermissions::Order::kService);
  t.start = options.start;
  t.expiry = options.expiry;
  t.identifier = options.identifier;
  t.ip = options.ip;
  t.protocol = options.protocol;
  t.encryption_scope = options.encryption_scope;
  t.snapshot = options.snapshot;
  t.version_id = options.version_id;
  t.cache_control = options.cache_control;
  t.content_disposition = options.content_disposition;
  t.content_encoding = options.content_encoding;
  t.content_language = options.content_language;
  t.content_type = options.content_type;
  std::string resource = "/blob/" + std::string(account) + "/" + options.container;
  if (!path.empty()) resource += "/" + std::string(path);
  ASSIGN_OR_RETURN(std::string sig, SignWithKeyBytes(key, ServiceSasStringToSign(t, resource)));
  std::string query;
  for (auto [name, value] : {std::pair<std::string_view, std::string_view>{"st", t.start},
                             {"se", t.expiry},
                             {"sp", t.permissions},
                             {"sip", t.ip},
                             {"spr", t.protocol},
                             {"sv", t.version},
                             {"si", t.identifier},
                             {"sr", t.resource},
                             {"rscc", t.cache_control},
                             {"rscd", t.content_disposition},
                             {"rsce", t.content_encoding},
                             {"rscl", t.content_language},
                             {"rsct", t.content_type},
                             {"ses", t.encryption_scope},
                             {"sdd", t.directory_depth},
                             {"sig", sig}}) {
    AddField(query, name, value);
  }
  return query;
}

}  // namespace lakeshift::auth
