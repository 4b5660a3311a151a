#include "endpoint/credentials.h"

#include <cstdlib>
#include <vector>

#include "auth/sas.h"
#include "encoding/base64.h"

namespace lakeshift::endpoint {
namespace {

constexpr std::string_view kEntraVariables =
    "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal; AZURE_AUTHORITY_HOST for an "
    "authority other than https://login.microsoftonline.com, e.g. the local identity provider's identity.url from "
    "emulators.json)";

constexpr std::string_view kOtherWays =
    ", or use the managed identity (--managed-identity) or a token file (--source-token-file / "
    "--target-token-file)";

std::string Trim(const char* value) {
  if (value == nullptr) return "";
  std::string_view text(value);
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

class Environment {
 public:
  explicit Environment(const std::function<const char*(const char*)>& getenv) : getenv_(getenv) {}
  std::string operator()(const char* name) const {
    if (getenv_) return Trim(getenv_(name));
    return Trim(std::getenv(name));  // NOLINT(concurrency-mt-unsafe): nothing here changes the environment
  }

 private:
  const std::function<const char*(const char*)>& getenv_;
};

struct EntraSettings {
  std::string tenant, client, secret, authority;
  bool complete() const { return !tenant.empty() && !client.empty() && !secret.empty(); }
  bool any() const { return !tenant.empty() || !secret.empty(); }  // a client id alone may be for managed identity
  std::string missing() const {
    std::vector<std::string> names;
    if (tenant.empty()) names.emplace_back("AZURE_TENANT_ID");
    if (client.empty()) names.emplace_back("AZURE_CLIENT_ID");
    if (secret.empty()) names.emplace_back("AZURE_CLIENT_SECRET");
    std::string out;
    for (size_t i = 0; i < names.size(); ++i)
      out += (i == 0 ? "" : (i + 1 == names.size() ? " and " : ", ")) + names[i];
    return out;
  }
};

std::string ServiceName(const Location& location) {
  switch (location.kind) {
    case Kind::kGen1: return "Gen1 account " + location.account;
    case Kind::kWebHdfs: return "WebHDFS service " + location.endpoint;
    case Kind::kGen2: return "Gen2 account " + location.account;
    case Kind::kLocal: return "local path";
  }
  return "service";
}

Result<CredentialPlan> EntraPlan(const Location& location, const EntraSettings& entra, std::string_view resource) {
  if (!entra.complete()) {
    return InvalidArgument("incomplete Entra client credentials for " + ServiceName(location) + " (" + location.url +
                           "): set " + entra.missing() +
                           " as well (AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                           "AZURE_CLIENT_SECRET go together)");
  }
  CredentialPlan plan;
  plan.kind = CredentialKind::kClientSecret;
  plan.description = "Entra client credentials";
  plan.source = "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET";
  plan.resource = std::string(resource);
  if (!entra.authority.empty()) plan.entra.authority_host = entra.authority;
  plan.entra.tenant_id = entra.tenant;
  plan.entra.client_id = entra.client;
  plan.entra.client_secret = entra.secret;
  plan.entra.resource = std::string(resource);
  return plan;
}

Result<CredentialPlan> ManagedIdentityPlan(const Location& location, const Environment& env,
                                           std::string_view resource) {
  CredentialPlan plan;
  plan.kind = CredentialKind::kManagedIdentity;
  plan.description = "managed identity";
  plan.source = "managed identity";
  plan.resource = std::string(resource);
  plan.msi.resource = std::string(resource);
  plan.msi.client_id = env("AZURE_CLIENT_ID");
  plan.msi.identity_endpoint = env("IDENTITY_ENDPOINT");
  plan.msi.identity_header = env("IDENTITY_HEADER");
  if (!plan.msi.identity_endpoint.empty() && plan.msi.identity_header.empty()) {
    return InvalidArgument(
        "managed identity for " + location.url +
        ": IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not (App Service and Functions set both)");
  }
  if (std::string imds = env("AZURE_POD_IDENTITY_AUTHORITY_HOST"); !imds.empty()) plan.msi.imds_host = imds;
  return plan;
}

CredentialPlan TokenFilePlan(const ConnectOptions& options, std::string_view resource) {
  CredentialPlan plan;
  plan.kind = CredentialKind::kTokenFile;
  plan.description = "token file";
  plan.source = "token file " + options.token_file;
  plan.resource = std::string(resource);
  plan.token_file = options.token_file;
  return plan;
}

Result<CredentialPlan> Gen1Plan(const Location& location, const ConnectOptions& options, const Environment& env,
                                const EntraSettings& entra) {
  std::string_view resource = kDataLakeResource;
  if (!options.token_file.empty()) return TokenFilePlan(options, resource);
  if (options.managed_identity) return ManagedIdentityPlan(location, env, resource);
  if (entra.complete() || entra.any()) return EntraPlan(location, entra, resource);
  if (location.kind == Kind::kWebHdfs) {
    CredentialPlan plan;
    if (std::string user = env("HADOOP_USER_NAME"); !user.empty()) {
      plan.kind = CredentialKind::kHadoopSimple;
      plan.description = "Hadoop simple auth (user.name=" + user + ")";
      plan.source = "HADOOP_USER_NAME";
      plan.hadoop_user = user;
    } else {
      plan.kind = CredentialKind::kNone;
      plan.description = "none";
      plan.source = "no credential";
    }
    return plan;
  }
  return InvalidArgument("no credentials for " + ServiceName(location) + " (" + location.url + "): set " +
                         std::string(kEntraVariables) + std::string(kOtherWays));
}

Result<CredentialPlan> Gen2Plan(const Location& location, const ConnectOptions& options, const Environment& env,
                                const EntraSettings& entra) {
  std::string_view resource = kStorageResource;
  CredentialPlan plan;
  if (!location.sas.empty()) {
    plan.kind = CredentialKind::kSas;
    plan.description = "SAS (from the URL)";
    plan.source = "the SAS in the URL";
    plan.sas = location.sas;
    return plan;
  }
  if (!options.token_file.empty()) return TokenFilePlan(options, resource);
  if (options.managed_identity) return ManagedIdentityPlan(location, env, resource);
  if (std::string key = env("AZURE_STORAGE_KEY"); !key.empty()) {
    std::string account = env("AZURE_STORAGE_ACCOUNT");
    if (!account.empty() && account != location.account) {
      return InvalidArgument("AZURE_STORAGE_KEY is the key of account " + account +
                             " (AZURE_STORAGE_ACCOUNT), but the URL " + location.url + " names account " +
                             location.account);
    }
    auto decoded = encoding::Base64Decode(key);
    if (!decoded.ok() || decoded->empty()) {
      return InvalidArgument("AZURE_STORAGE_KEY is not a base64 account key (copy key1 or key2 of account " +
                             location.account + ")");
    }
    plan.kind = CredentialKind::kSharedKey;
    plan.description = "shared key";
    plan.source = "AZURE_STORAGE_KEY";
    plan.account = location.account;
    plan.key = key;
    return plan;
  }
  if (std::string sas = env("AZURE_STORAGE_SAS_TOKEN"); !sas.empty()) {
    if (sas.front() == '?') sas.erase(0, 1);
    if (!auth::HasSasSignature(sas)) {
      return InvalidArgument("AZURE_STORAGE_SAS_TOKEN is not a SAS token (it has no sig= parameter)");
    }
    plan.kind = CredentialKind::kSas;
    plan.description = "SAS";
    plan.source = "AZURE_STORAGE_SAS_TOKEN";
    plan.sas = sas;
    return plan;
  }
  if (entra.complete() || entra.any()) return EntraPlan(location, entra, resource);
  std::string message = "no credentials for " + ServiceName(location) + " (" + location.url +
                        "): set AZURE_STORAGE_KEY (an account key), AZURE_STORAGE_SAS_TOKEN (or put a SAS in the "
                        "URL), or " +
                        std::string(kEntraVariables) + std::string(kOtherWays);
  if (location.path_style())
    message += "; for the local Gen2 emulator, AZURE_STORAGE_KEY is gen2.key in emulators.json";
  return InvalidArgument(std::move(message));
}

}  // namespace

Result<CredentialPlan> SelectCredential(const Location& location, const ConnectOptions& options) {
  Environment env(options.getenv);
  std::string ca_file = options.ca_file;
  std::string ca_source = "--ca-file";
  if (ca_file.empty()) {
    ca_file = env("LAKESHIFT_CA_FILE");
    ca_source = "LAKESHIFT_CA_FILE";
  }
  EntraSettings entra{env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"), env("AZURE_CLIENT_SECRET"),
                      env("AZURE_AUTHORITY_HOST")};
  Result<CredentialPlan> plan = Status(StatusCode::kInternal, "no plan");
  switch (location.kind) {
    case Kind::kLocal: {
      CredentialPlan none;
      none.description = "none";
      none.source = "no credential";
      plan = std::move(none);
      break;
    }
    case Kind::kGen1:
    case Kind::kWebHdfs: plan = Gen1Plan(location, options, env, entra); break;
    case Kind::kGen2: plan = Gen2Plan(location, options, env, entra); break;
  }
  if (plan.ok() && !ca_file.empty()) {
    plan->ca_file = ca_file;
    plan->ca_file_source = ca_source;
  }
  return plan;
}

std::string RefusedHint(const CredentialPlan& plan, const Location& location) {
  switch (plan.kind) {
    case CredentialKind::kNone:
    case CredentialKind::kHadoopSimple:
      return "the service wants credentials: set " + std::string(kEntraVariables) + std::string(kOtherWays);
    case CredentialKind::kSharedKey:
      return "check that AZURE_STORAGE_KEY is a current key of account " + location.account +
             (location.path_style() ? " (for the local Gen2 emulator: gen2.key in emulators.json)" : "");
    case CredentialKind::kSas:
      return "check " + plan.source + ": it must be signed for account " + location.account +
             " with a current key, and be valid now (st= and se=)";
    case CredentialKind::kClientSecret:
      return "the service did not accept the token of client " + plan.entra.client_id + " from " +
             ClientSecretTokenUrl(plan.entra) +
             "; check that AZURE_TENANT_ID is the account's tenant and AZURE_AUTHORITY_HOST the authority the "
             "service trusts";
    case CredentialKind::kManagedIdentity:
      return "the service did not accept the managed identity's token; check that the account is in the identity's "
             "tenant";
    case CredentialKind::kTokenFile:
      return "check the token in " + plan.token_file + ": it must be a current token for " + plan.resource +
             " from the account's tenant";
  }
  return "check the credentials";
}

std::string DeniedHint(const CredentialPlan& plan, const Location& location) {
  bool gen2 = location.kind == Kind::kGen2;
  switch (plan.kind) {
    case CredentialKind::kNone:
    case CredentialKind::kHadoopSimple:
      return "the service denies this caller; set HADOOP_USER_NAME to a user with access, or use Entra "
             "credentials (" +
             std::string(kEntraVariables) + ")";
    case CredentialKind::kSharedKey:
      return "a shared key has full access, so the account may forbid shared key authorization "
             "(allowSharedKeyAccess) or its network rules deny this client";
    case CredentialKind::kSas:
      return "check the permissions (sp=) and scope (sr= or srt=) of " + plan.source +
             "; migrating into a filesystem needs all of racwdlmeop on the filesystem (sr=c) or an account SAS "
             "with srt=sco";
    case CredentialKind::kClientSecret:
    case CredentialKind::kManagedIdentity:
    case CredentialKind::kTokenFile: {
      std::string who = plan.kind == CredentialKind::kClientSecret      ? "client " + plan.entra.client_id
                        : plan.kind == CredentialKind::kManagedIdentity ? "the managed identity"
                                                                        : "the token's principal";
      if (gen2) {
        return "give " + who +
               " the Storage Blob Data Owner role on the account or filesystem (Contributor cannot set owners and "
               "ACLs), or ACL permissions on the path and execute on its parents; role assignments can take a few "
               "minutes to apply";
      }
      return "give " + who +
             " the Owner role on the Gen1 account (a superuser), or read and execute ACL permissions on the path "
             "and execute on its parents";
    }
  }
  return "check the permissions";
}

}  // namespace lakeshift::endpoint
