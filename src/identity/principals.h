#pragma once
// The service principals the local identity provider knows: a built-in admin (superuser on both stores) plus
// those of a principals file, a JSON list of
//   {"client_id": GUID, "client_secret": "...", "object_id": GUID, "groups": [GUID, ...], "superuser": bool}
// ("groups" and "superuser" are optional). GUIDs are stored lower case.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lakeshift::identity {

struct Principal {
  std::string client_id;  // application (client) id
  std::string client_secret;
  std::string object_id;            // service principal object id: the token's "oid", the stores' owner id
  std::vector<std::string> groups;  // group object ids, in the file's order
  bool superuser = false;           // superuser on both stores
};

// Fixed ids of the built-in admin, so ACLs and scripts can name it; its secret is generated per data directory.
inline constexpr std::string_view kAdminClientId = "1a5e0b2c-7d3f-4e8a-9b61-2c4d8f0e7a13";
inline constexpr std::string_view kAdminObjectId = "0d1f6c3a-58b2-4f7e-a9c4-6e2b1d8f3a57";

// True for a GUID in 8-4-4-4-12 hex form (either case, no braces).
bool IsGuid(std::string_view text);
// A random (version 4) GUID, lower case.
std::string RandomGuid();
// A random client secret of 40 URL-safe characters.
std::string RandomSecret();

// Parses a principals document. `source` (a file name) prefixes errors, which name the entry index and field,
// e.g. "principals.json: [2].object_id: 'abc' is not a GUID". Unknown fields are errors (they are typos).
Result<std::vector<Principal>> ParsePrincipals(std::string_view json, std::string_view source);
Result<std::vector<Principal>> LoadPrincipalsFile(const std::string& path);

// The admin principal of a data directory: the secret is read from <dir>/admin-client-secret, or generated and
// written there (mode 0600) on first use. The directory must exist.
Result<Principal> LoadOrCreateAdmin(const std::string& data_dir);

// All principals, looked up by client id or object id (case-insensitively). Immutable once built.
class PrincipalDirectory {
 public:
  // The admin comes first. Duplicate client ids or object ids (also against the admin) are errors.
  static Result<PrincipalDirectory> Create(Principal admin, std::vector<Principal> others);

  const Principal* FindByClientId(std::string_view client_id) const;
  const Principal* FindByObjectId(std::string_view object_id) const;
  const Principal& admin() const { return all_.front(); }
  const std::vector<Principal>& all() const { return all_; }

 private:
  std::vector<Principal> all_;
};

}  // namespace lakeshift::identity
