#pragma once
// Base64 (RFC 4648 section 4, with padding) for Shared Key signatures, Content-MD5 and x-ms-properties values,
// and base64url (section 5, no padding) for JWT segments.

#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::encoding {

std::string Base64Encode(std::string_view bytes);
// Strict: length a multiple of 4, only A-Z a-z 0-9 + / and trailing '=' padding, zero pad bits. Errors name
// the offset of the first bad character.
Result<std::string> Base64Decode(std::string_view text);

std::string Base64UrlEncode(std::string_view bytes);  // '-' and '_', no padding
// Accepts the text with or without '=' padding; rejects '+', '/', other characters and non-zero pad bits.
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace lakeshift::encoding
