#include "identity/principals.h"

#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "identity/secret_file.h"

namespace lakeshift::identity {
namespace {

using nlohmann::json;

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  // RAND_bytes only fails when the OS entropy source is broken; a predictable secret is worse than stopping.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) std::abort();
  return bytes;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Shorten(const std::string& text) {
  return text.size() > 60 ? text.substr(0, 60) + "..." : text;
}

// One entry of the principals file; `where` is "<source>: [i]".
Result<Principal> ParseEntry(const json& entry, const std::string& where) {
  if (!entry.is_object()) return InvalidArgument(where + ": not a JSON object");
  static constexpr std::string_view kFields[] = {"client_id", "client_secret", "object_id", "groups", "superuser"};
  for (const auto& [name, value] : entry.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), name) == std::end(kFields)) {
      return InvalidArgument(where + ": unknown field \"" + Shorten(name) +
                             "\" (fields: client_id, client_secret, object_id, groups, superuser)");
    }
  }
  auto string_field = [&](const char* name, bool guid) -> Result<std::string> {
    auto it = entry.find(name);
    std::string field = where + "." + name;
    if (it == entry.end()) return InvalidArgument(field + ": missing");
    if (!it->is_string()) return InvalidArgument(field + ": not a string");
    auto value = it->get<std::string>();
    if (value.empty()) return InvalidArgument(field + ": empty");
    if (guid && !IsGuid(value)) {
      return InvalidArgument(field + ": '" + Shorten(value) + "' is not a GUID (8-4-4-4-12 hex digits)");
    }
    return guid ? Lower(value) : value;
  };
  Principal p;
  ASSIGN_OR_RETURN(p.client_id, string_field("client_id", true));
  ASSIGN_OR_RETURN(p.client_secret, string_field("client_secret", false));
  ASSIGN_OR_RETURN(p.object_id, string_field("object_id", true));
  if (auto it = entry.find("groups"); it != entry.end()) {
    if (!it->is_array()) return InvalidArgument(where + ".groups: not an array of group object ids");
    for (size_t g = 0; g < it->size(); ++g) {
      const auto& group = (*it)[g];
      std::string field = where + ".groups[" + std::to_string(g) + "]";
      if (!group.is_string()) return InvalidArgument(field + ": not a string");
      if (!IsGuid(group.get<std::string>())) {
        return InvalidArgument(field + ": '" + Shorten(group.get<std::string>()) +
                               "' is not a GUID (8-4-4-4-12 hex digits)");
      }
      std::string id = Lower(group.get<std::string>());
      if (std::find(p.groups.begin(), p.groups.end(), id) != p.groups.end()) {
        return InvalidArgument(field.append(": group ").append(id).append(" is listed twice"));
      }
      p.groups.push_back(std::move(id));
    }
  }
  if (auto it = entry.find("superuser"); it != entry.end()) {
    if (!it->is_boolean()) return InvalidArgument(where + ".superuser: not true or false");
    p.superuser = it->get<bool>();
  }
  return p;
}

}  // namespace

bool IsGuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string RandomGuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[static_cast<unsigned char>(b[i]) >> 4];
    out += kHex[static_cast<unsigned char>(b[i]) & 0x0f];
  }
  return out;
}

std::string RandomSecret() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (char c : RandomBytes(40)) out += kAlphabet[static_cast<unsigned char>(c) & 63];
  return out;
}

Result<std::vector<Principal>> ParsePrincipals(std::string_view text, std::string_view source) {
  std::string src(source);
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument(src + ": not valid JSON");
  if (!doc.is_array()) return InvalidArgument(src + ": expected a JSON list of principals");
  std::vector<Principal> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    ASSIGN_OR_RETURN(Principal p, ParseEntry(doc[i], src + ": [" + std::to_string(i) + "]"));
    for (size_t j = 0; j < out.size(); ++j) {
      std::string clash = out[j].client_id == p.client_id   ? "client_id"
                          : out[j].object_id == p.object_id ? "object_id"
                                                            : "";
      if (!clash.empty()) {
        std::string message = src;
        message.append(": [").append(std::to_string(i)).append("].").append(clash);
        message.append(": same as [").append(std::to_string(j)).append("].").append(clash);
        return InvalidArgument(std::move(message));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<Principal>> LoadPrincipalsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open principals file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError("cannot read principals file " + path);
  return ParsePrincipals(text.str(), path);
}

Result<Principal> LoadOrCreateAdmin(const std::string& data_dir) {
  std::string path = data_dir + "/admin-client-secret";
  ASSIGN_OR_RETURN(std::optional<std::string> stored, ReadSecretFile(path));
  std::string secret;
  if (stored) {
    secret = std::move(*stored);
  } else {
    ASSIGN_OR_RETURN(secret, CreateSecretFileOnce(path, RandomSecret() + "\n"));
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return InvalidArgument(path + " is empty; delete it to generate a new admin secret");
  Principal admin;
  admin.client_id = std::string(kAdminClientId);
  admin.client_secret = std::move(secret);
  admin.object_id = std::string(kAdminObjectId);
  admin.superuser = true;
  return admin;
}

Result<PrincipalDirectory> PrincipalDirectory::Create(Principal admin, std::vector<Principal> others) {
  PrincipalDirectory dir;
  dir.all_.push_back(std::move(admin));
  for (auto& p : others) {
    p.client_id = Lower(p.client_id);
    p.object_id = Lower(p.object_id);
    if (dir.FindByClientId(p.client_id) != nullptr) {
      return InvalidArgument("principal client_id " + p.client_id + " is used twice (or is the built-in admin's)");
    }
    if (dir.FindByObjectId(p.object_id) != nullptr) {
      return InvalidArgument("principal object_id " + p.object_id + " is used twice (or is the built-in admin's)");
    }
    dir.all_.push_back(std::move(p));
  }
  return dir;
}

const Principal* PrincipalDirectory::FindByClientId(std::string_view client_id) const {
  std::string id = Lower(client_id);
  for (const auto& p : all_) {
    if (p.client_id == id) return &p;
  }
  return nullptr;
}

const Principal* PrincipalDirectory::FindByObjectId(std::string_view object_id) const {
  std::string id = Lower(object_id);
  for (const auto& p : all_) {
    if (p.object_id == id) return &p;
  }
  return nullptr;
}

}  // namespace lakeshift::identity
