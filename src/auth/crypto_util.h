#pragma once
// Small helpers shared by Shared Key and SAS; internal to the auth module.

#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::auth {

// The raw bytes of a base64 account key; kInvalidArgument (naming no key material) when it is not base64.
Result<std::string> DecodeAccountKey(std::string_view key_base64);
// base64(HMAC-SHA256(key_bytes, text)).
Result<std::string> SignWithKeyBytes(std::string_view key_bytes, std::string_view text);
// Comparison whose time depends only on the lengths, so a signature cannot be guessed byte by byte.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace lakeshift::auth
