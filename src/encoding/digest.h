#pragma once
// Hashes for Content-MD5 / x-ms-content-md5 (computed while streaming), Shared Key signing (HMAC-SHA256) and
// SHA-256, on OpenSSL EVP. Digests are raw bytes; HexEncode or Base64Encode them for the wire.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::encoding {

enum class HashAlgorithm : uint8_t { kMd5, kSha256 };

// Incremental hash: Update() any number of times, then Finish() once. Move-only.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(std::string_view bytes);
  // The digest (16 bytes for MD5, 32 for SHA-256). An OpenSSL failure at any step (e.g. MD5 disabled by a FIPS
  // policy) or a second Finish() is reported here.
  Result<std::string> Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Result<std::string> Md5(std::string_view bytes);
Result<std::string> Sha256(std::string_view bytes);
Result<std::string> HmacSha256(std::string_view key, std::string_view message);

// Azure Storage's CRC-64 (x-ms-content-crc64): polynomial 0x9A6C9329AC4BC9B5 (reflected), all ones in and out,
// as the 8 bytes the service sends (little-endian). Base64Encode it for the header.
std::string Crc64(std::string_view bytes);

std::string HexEncode(std::string_view bytes);        // lower case
Result<std::string> HexDecode(std::string_view hex);  // either case; errors name the offset

}  // namespace lakeshift::encoding
