#include "encoding/digest.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>

namespace lakeshift::encoding {

struct Hasher::State {
  EVP_MD_CTX* ctx = nullptr;
  const char* name = "";
  std::string error;  // first failure; reported by Finish()
  bool finished = false;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(HashAlgorithm algorithm) : state_(std::make_unique<State>()) {
  const EVP_MD* md = algorithm == HashAlgorithm::kMd5 ? EVP_md5() : EVP_sha256();
  state_->name = algorithm == HashAlgorithm::kMd5 ? "MD5" : "SHA-256";
  state_->ctx = EVP_MD_CTX_new();
  if (state_->ctx == nullptr || md == nullptr || EVP_DigestInit_ex(state_->ctx, md, nullptr) != 1) {
    state_->error = std::string("cannot initialise ") + state_->name + " in OpenSSL";
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::Update(std::string_view bytes) {
  if (!state_ || !state_->error.empty() || state_->finished) return;
  if (EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) != 1) {
    state_->error = std::string(state_->name) + " update failed in OpenSSL";
  }
}

Result<std::string> Hasher::Finish() {
  if (!state_) return Internal("Hasher used after move");
  if (!state_->error.empty()) return Internal(state_->error);
  if (state_->finished) return Internal(std::string(state_->name) + " Hasher::Finish called twice");
  state_->finished = true;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(state_->ctx, out, &size) != 1) {
    return Internal(std::string(state_->name) + " finalisation failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

Result<std::string> Md5(std::string_view bytes) {
  Hasher h(HashAlgorithm::kMd5);
  h.Update(bytes);
  return h.Finish();
}

Result<std::string> Sha256(std::string_view bytes) {
  Hasher h(HashAlgorithm::kSha256);
  h.Update(bytes);
  return h.Finish();
}

namespace {

// The HMAC keyed with the last key this thread used: signing every request with one account key then costs no
// algorithm fetch and no key setup (OpenSSL 3's HMAC() does both on every call).
struct ThreadHmac {
  std::string key;
  EVP_MAC_CTX* ctx = nullptr;
  ~ThreadHmac() { EVP_MAC_CTX_free(ctx); }
};

EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // kept for the process's life
  return mac;
}

}  // namespace

Result<std::string> HmacSha256(std::string_view key, std::string_view message) {
  thread_local ThreadHmac cached;
  if (HmacAlgorithm() == nullptr) return Internal("HMAC is not available in OpenSSL");
  // HMAC wants a non-null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const auto* key_ptr = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (cached.ctx == nullptr || cached.key != key) {
    EVP_MAC_CTX_free(cached.ctx);
    cached.key.clear();
    cached.ctx = EVP_MAC_CTX_new(HmacAlgorithm());
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
    if (cached.ctx == nullptr || EVP_MAC_init(cached.ctx, key_ptr, key.size(), params) != 1) {
      EVP_MAC_CTX_free(cached.ctx);
      cached.ctx = nullptr;
      return Internal("HMAC-SHA256 key setup failed in OpenSSL");
    }
    cached.key = std::string(key);
  } else if (EVP_MAC_init(cached.ctx, nullptr, 0, nullptr) != 1) {  // same key: start over with it
    return Internal("HMAC-SHA256 failed in OpenSSL");
  }
  const auto* msg_ptr = message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t size = 0;
  if (EVP_MAC_update(cached.ctx, msg_ptr, message.size()) != 1 ||
      EVP_MAC_final(cached.ctx, out, &size, sizeof out) != 1) {
    return Internal("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string HexEncode(std::string_view bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += kHex[u >> 4];
    out += kHex[u & 15];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return InvalidArgument("bad hex \"" + std::string(hex.substr(0, 80)) + "\": odd length " +
                           std::to_string(hex.size()));
  }
  auto value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = value(hex[i]);
    const int lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      const size_t bad = hi < 0 ? i : i + 1;
      return InvalidArgument("bad hex \"" + std::string(hex.substr(0, 80)) + "\": character at offset " +
                             std::to_string(bad) + " is not a hex digit");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string Crc64(std::string_view bytes) {
  static const auto kTable = [] {
    std::array<uint64_t, 256> t{};
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ 0x9A6C9329AC4BC9B5ULL : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint64_t crc = ~uint64_t{0};
  for (unsigned char b : bytes) crc = kTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  crc = ~crc;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  return out;
}

}  // namespace lakeshift::encoding
