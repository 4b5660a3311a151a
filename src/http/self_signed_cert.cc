// GenerateSelfSignedCert on OpenSSL 3.

#include "http/self_signed_cert.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>

namespace lakeshift::http {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

constexpr long kValiditySeconds = 365L * 24 * 60 * 60;
constexpr long kBackdateSeconds = 60 * 60;  // tolerate a little clock skew between processes and machines

// The OpenSSL error queue as one line (and cleared), for messages.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status OpenSslFailure(std::string_view what) {
  return Internal("generating a self-signed certificate: " + std::string(what) + " failed: " + OpenSslErrors());
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// A DNS name for a certificate: letters, digits, '-' and '.', labels of 1..63 bytes, optionally "*." first.
bool IsValidDnsName(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslFailure(std::string("extension ") + value);
  return Status::Ok();
}

Result<std::string> ToPem(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return OpenSslFailure("PEM encoding");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// Writes path atomically (temporary file, then rename) with the given mode.
Status WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("creating " + tmp, errno);
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError("writing " + tmp, err);
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  int err = ::fchmod(fd, mode) != 0 ? errno : 0;  // the mode of an existing temporary file, too
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return ErrnoError("writing " + tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("renaming " + tmp + " to " + path, err);
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultLocalCertNames() {
  return {"localhost", "127.0.0.1", "::1", "*.blob.localhost", "*.dfs.localhost", "*.azuredatalakestore.localhost"};
}

Result<SelfSignedCert> GenerateSelfSignedCert(const std::vector<std::string>& dns_names_and_ips,
                                              const std::string& out_dir) {
  std::vector<std::string> names = dns_names_and_ips.empty() ? DefaultLocalCertNames() : dns_names_and_ips;
  for (const std::string& name : names) {
    if (!IsIpAddress(name) && !IsValidDnsName(name)) {
      return InvalidArgument("\"" + name + "\" is neither an IP address nor a DNS name for a TLS certificate");
    }
  }
  if (out_dir.empty()) return InvalidArgument("GenerateSelfSignedCert needs an output directory");
  ERR_clear_error();

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslFailure("EC P-256 key generation");

  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslFailure("X509_new");
  BnPtr serial(BN_new());  // 127 random bits: positive and unique enough to never collide with an earlier run
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslFailure("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr) {
    return OpenSslFailure("validity period");
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return OpenSslFailure("X509_set_pubkey");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string common_name = IsIpAddress(names.front()) || names.front().starts_with("*.")
                                      ? std::string("lakeshift local emulator")
                                      : names.front();
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("lakeshift"), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), subject) != 1) {
    return OpenSslFailure("subject name");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));

  NamesPtr alt_names(sk_GENERAL_NAME_new_null());
  if (!alt_names) return OpenSslFailure("subjectAltName");
  for (const std::string& name : names) {
    GENERAL_NAME* entry = nullptr;
    if (IsIpAddress(name)) {
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
      if (ip == nullptr) return OpenSslFailure("IP address " + name);
      entry = GENERAL_NAME_new();
      if (entry == nullptr) {
        ASN1_OCTET_STRING_free(ip);
        return OpenSslFailure("GENERAL_NAME_new");
      }
      GENERAL_NAME_set0_value(entry, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (dns == nullptr || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
        ASN1_IA5STRING_free(dns);
        return OpenSslFailure("DNS name " + name);
      }
      entry = GENERAL_NAME_new();
      if (entry == nullptr) {
        ASN1_IA5STRING_free(dns);
        return OpenSslFailure("GENERAL_NAME_new");
      }
      GENERAL_NAME_set0_value(entry, GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(alt_names.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      return OpenSslFailure("subjectAltName");
    }
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, alt_names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslFailure("subjectAltName");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return OpenSslFailure("signing");

  SelfSignedCert result;
  ASSIGN_OR_RETURN(result.cert_pem, ToPem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); }));
  ASSIGN_OR_RETURN(std::string key_pem, ToPem([&](BIO* bio) {
                     return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
                   }));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &digest_len) != 1) return OpenSslFailure("fingerprint");
  for (unsigned int i = 0; i < digest_len; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof(hex), i == 0 ? "%02X" : ":%02X", digest[i]);
    result.sha256_fingerprint += hex;
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("creating " + out_dir + ": " + ec.message());
  result.cert_file = (std::filesystem::path(out_dir) / "cert.pem").string();
  result.key_file = (std::filesystem::path(out_dir) / "key.pem").string();
  RETURN_IF_ERROR(WriteFileAtomically(result.key_file, key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomically(result.cert_file, result.cert_pem, 0644));
  return result;
}

}  // namespace lakeshift::http
