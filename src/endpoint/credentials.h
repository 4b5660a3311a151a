#pragma once
// Which credential a location uses, decided from ConnectOptions and the environment alone (no requests), so
// that the rules can be tested with a fake environment. The precedence is in endpoint.h.

#include <cstdint>
#include <string>

#include "common/result.h"
#include "endpoint/endpoint.h"
#include "endpoint/token_source.h"

namespace lakeshift::endpoint {

enum class CredentialKind : uint8_t {
  kNone,
  kHadoopSimple,  // WebHDFS user.name
  kSharedKey,
  kSas,
  kClientSecret,
  kManagedIdentity,
  kTokenFile,
};

struct CredentialPlan {
  CredentialKind kind = CredentialKind::kNone;
  // For reports (Connection::credential_kind), never the secret.
  std::string description;
  // Where the credential came from, for hints in messages: "AZURE_STORAGE_KEY", "the URL", "--token-file", ...
  std::string source;
  std::string resource;        // token audience for the bearer kinds
  std::string account;         // kSharedKey
  std::string key;             // kSharedKey (secret)
  std::string sas;             // kSas (secret), without '?'
  ClientSecretConfig entra;    // kClientSecret (client_secret is a secret)
  ManagedIdentityConfig msi;   // kManagedIdentity (identity_header is a secret)
  std::string token_file;      // kTokenFile
  std::string hadoop_user;     // kHadoopSimple
  std::string ca_file;         // from ConnectOptions::ca_file or LAKESHIFT_CA_FILE; may be empty
  std::string ca_file_source;  // "--ca-file" or "LAKESHIFT_CA_FILE"

  bool uses_tokens() const {
    return kind == CredentialKind::kClientSecret || kind == CredentialKind::kManagedIdentity ||
           kind == CredentialKind::kTokenFile;
  }
};

// Errors: kInvalidArgument for incomplete or inconsistent settings (some AZURE_* variables but not all, a key
// that is not base64, AZURE_STORAGE_ACCOUNT naming another account, a SAS without sig) and when no credential
// is available for a service that needs one, listing what to set. Messages never contain secrets.
Result<CredentialPlan> SelectCredential(const Location& location, const ConnectOptions& options);

// What to do after the service refused the credential (401) or denied access (403), for Probe's messages.
std::string RefusedHint(const CredentialPlan& plan, const Location& location);
std::string DeniedHint(const CredentialPlan& plan, const Location& location);

}  // namespace lakeshift::endpoint
