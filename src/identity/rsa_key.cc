// RsaKey on OpenSSL 3 EVP: generation, PEM, JWK components, RS256 sign/verify.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "encoding/base64.h"
#include "encoding/digest.h"
#include "identity/jwt.h"

namespace lakeshift::identity {

struct RsaKey::Impl {
  EVP_PKEY* pkey = nullptr;
  bool has_private = false;
  std::string kid;
  std::string n;  // base64url
  std::string e;  // base64url
  ~Impl() { EVP_PKEY_free(pkey); }
};

namespace {

constexpr int kMinBits = 2048;
constexpr int kMaxBits = 8192;

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

// The oldest queued OpenSSL error as text, clearing the queue so later calls on this thread start clean.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  std::string text = "unknown OpenSSL error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

Result<std::string> BnParam(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return Internal(std::string("cannot read RSA parameter ") + name + ": " + OpenSslError());
  }
  BnPtr bn(raw);
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return encoding::Base64UrlEncode(bytes);
}

// RFC 7638: SHA-256 over the canonical JSON of the required members, in lexicographic order.
Result<std::string> Thumbprint(const std::string& n, const std::string& e) {
  ASSIGN_OR_RETURN(std::string digest, encoding::Sha256(R"({"e":")" + e + R"(","kty":"RSA","n":")" + n + R"("})"));
  return encoding::Base64UrlEncode(digest);
}

// Takes ownership of pkey and fills in the derived members.
Result<std::shared_ptr<RsaKey::Impl>> Wrap(EVP_PKEY* pkey, bool has_private, std::string kid) {
  auto impl = std::make_shared<RsaKey::Impl>();
  impl->pkey = pkey;
  impl->has_private = has_private;
  int bits = EVP_PKEY_get_bits(pkey);
  if (!EVP_PKEY_is_a(pkey, "RSA")) return InvalidArgument("not an RSA key");
  if (bits < kMinBits || bits > kMaxBits) {
    return InvalidArgument("RSA key of " + std::to_string(bits) + " bits; " + std::to_string(kMinBits) + " to " +
                           std::to_string(kMaxBits) + " are accepted");
  }
  ASSIGN_OR_RETURN(impl->n, BnParam(pkey, OSSL_PKEY_PARAM_RSA_N));
  ASSIGN_OR_RETURN(impl->e, BnParam(pkey, OSSL_PKEY_PARAM_RSA_E));
  if (kid.empty()) {
    ASSIGN_OR_RETURN(kid, Thumbprint(impl->n, impl->e));
  }
  impl->kid = std::move(kid);
  return impl;
}

// Never prompt for a passphrase on the terminal: encrypted keys are an error.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

}  // namespace

Result<RsaKey> RsaKey::Generate(int bits) {
  if (bits < kMinBits || bits > kMaxBits) {
    return InvalidArgument("RSA key size " + std::to_string(bits) + " is outside " + std::to_string(kMinBits) + ".." +
                           std::to_string(kMaxBits));
  }
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<unsigned>(bits)) != 1 ||
      EVP_PKEY_generate(ctx.get(), &pkey) != 1) {
    return Internal("RSA key generation failed: " + OpenSslError());
  }
  ASSIGN_OR_RETURN(auto impl, Wrap(pkey, true, ""));
  return RsaKey(std::move(impl));
}

Result<RsaKey> RsaKey::FromPrivatePem(std::string_view pem, std::string_view source) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Internal("BIO_new_mem_buf failed");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (pkey == nullptr) {
    return InvalidArgument(std::string(source) + ": not an unencrypted PEM private key (" + OpenSslError() + ")");
  }
  auto impl = Wrap(pkey, true, "");
  if (!impl.ok()) return impl.status().WithContext(std::string(source) + ": ");
  return RsaKey(std::move(impl).value());
}

Result<RsaKey> RsaKey::FromPublicComponents(std::string_view kid, std::string_view n_b64url,
                                            std::string_view e_b64url) {
  auto n_bytes = encoding::Base64UrlDecode(n_b64url);
  if (!n_bytes.ok()) return n_bytes.status().WithContext("RSA modulus 'n': ");
  auto e_bytes = encoding::Base64UrlDecode(e_b64url);
  if (!e_bytes.ok()) return e_bytes.status().WithContext("RSA exponent 'e': ");
  if (e_bytes->empty() || e_bytes->size() > 8) return InvalidArgument("RSA exponent 'e' has a bad length");
  BnPtr n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes->data()), static_cast<int>(n_bytes->size()), nullptr));
  BnPtr e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes->data()), static_cast<int>(e_bytes->size()), nullptr));
  if (!n || !e) return Internal("BN_bin2bn failed");
  if (!BN_is_odd(e.get()) || BN_is_one(e.get())) return InvalidArgument("RSA exponent 'e' is not an odd number > 1");

  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return Internal("building RSA parameters failed: " + OpenSslError());
  }
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return InvalidArgument("not a usable RSA public key: " + OpenSslError());
  }
  ASSIGN_OR_RETURN(auto impl, Wrap(pkey, false, std::string(kid)));
  return RsaKey(std::move(impl));
}

const std::string& RsaKey::kid() const {
  return impl_->kid;
}
bool RsaKey::has_private_key() const {
  return impl_->has_private;
}
const std::string& RsaKey::modulus_b64url() const {
  return impl_->n;
}
const std::string& RsaKey::exponent_b64url() const {
  return impl_->e;
}

Result<std::string> RsaKey::PrivatePem() const {
  if (!impl_->has_private) return InvalidArgument("key '" + impl_->kid + "' has no private half");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Internal("writing the private key as PEM failed: " + OpenSslError());
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

Result<std::string> RsaKey::Sign(std::string_view data) const {
  if (!impl_->has_private) return InvalidArgument("key '" + impl_->kid + "' cannot sign: it has no private half");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t size = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, bytes, data.size()) != 1) {
    return Internal("RS256 signing failed: " + OpenSslError());
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, bytes, data.size()) != 1) {
    return Internal("RS256 signing failed: " + OpenSslError());
  }
  signature.resize(size);
  return signature;
}

bool RsaKey::Verify(std::string_view data, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (!ok) ERR_clear_error();  // a bad signature queues errors; keep the thread's queue clean
  return ok;
}

}  // namespace lakeshift::identity
