#include "auth/crypto_util.h"

#include "encoding/base64.h"
#include "encoding/digest.h"

namespace lakeshift::auth {

Result<std::string> DecodeAccountKey(std::string_view key_base64) {
  Result<std::string> key = encoding::Base64Decode(key_base64);
  if (!key.ok() || key->empty()) {
    // The decoder's message may quote the key; secrets stay out of errors and logs.
    return InvalidArgument("the storage account key is not valid base64 (" + std::to_string(key_base64.size()) +
                           " characters)");
  }
  return key;
}

Result<std::string> SignWithKeyBytes(std::string_view key_bytes, std::string_view text) {
  ASSIGN_OR_RETURN(std::string mac, encoding::HmacSha256(key_bytes, text));
  return encoding::Base64Encode(mac);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace lakeshift::auth
