#pragma once
// Who is calling the Gen2 emulator: Shared Key (a superuser acting as "$superuser"), SAS, or an OAuth
// bearer token (checked against the ACLs). Errors carry the service's codes.

#include "acl/access.h"
#include "common/result.h"
#include "emulator/gen2_request.h"

namespace lakeshift::emulator {

struct Gen2Credentials {
  std::string account;
  std::string key;  // base64
};

Result<acl::Caller> AuthenticateGen2(const Gen2Request& request, const Gen2Credentials& credentials);

}  // namespace lakeshift::emulator
