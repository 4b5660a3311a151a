#pragma once
// Who is calling the Gen2 emulator: Shared Key (a superuser acting as "$superuser"), SAS, or an OAuth
// bearer token (checked against the ACLs). Errors carry the service's codes.

#include "acl/access.h"
#include "common/result.h"
#include "emulator/gen2_request.h"

namespace lakeshift::identity {
class IdentityProvider;
}

namespace lakeshift::emulator {

struct Gen2Credentials {
  std::string account;
  std::string key;  // base64
  // Verifies bearer tokens (audience https://storage.azure.com/) and says who is a superuser; null: OAuth
  // requests are refused.
  const identity::IdentityProvider* identity = nullptr;
};

// The WWW-Authenticate challenge of a 401 answer to a bearer request, as the service sends it:
// "Bearer authorization_uri=<authority>/oauth2/authorize resource_id=https://storage.azure.com".
std::string BearerChallenge(const Gen2Credentials& credentials);

Result<acl::Caller> AuthenticateGen2(const Gen2Request& request, const Gen2Credentials& credentials);

}  // namespace lakeshift::emulator
