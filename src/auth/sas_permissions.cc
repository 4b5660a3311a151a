#include "auth/sas_permissions.h"

namespace lakeshift::auth {
namespace {

// Letters in bit order (bit i is kLetters[i]).
constexpr std::string_view kLetters = "racwdxyltfmeopiu";
constexpr std::string_view kServiceOrder = "racwdxyltfmeopiu";
constexpr std::string_view kAccountOrder = "rwdxylacupftimeo";

int BitIndex(char letter) {
  const size_t at = kLetters.find(letter);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

Result<SasPermissions> SasPermissions::Parse(std::string_view letters) {
  uint32_t bits = 0;
  for (char c : letters) {
    const int index = BitIndex(c);
    if (index < 0) {
      return InvalidArgument("unknown SAS permission letter '" + std::string(1, c) + "' in \"" + std::string(letters) +
                             "\" (known: " + std::string(kLetters) + ")");
    }
    bits |= 1u << index;
  }
  return SasPermissions(bits);
}

SasPermissions SasPermissions::Of(std::string_view letters) {
  uint32_t bits = 0;
  for (char c : letters) {
    const int index = BitIndex(c);
    if (index >= 0) bits |= 1u << index;
  }
  return SasPermissions(bits);
}

std::string SasPermissions::ToString(Order order) const {
  std::string out;
  for (char c : order == Order::kService ? kServiceOrder : kAccountOrder) {
    const int index = BitIndex(c);  // every letter of both orders is known
    if (index >= 0 && (bits_ & (1u << index)) != 0) out += c;
  }
  return out;
}

}  // namespace lakeshift::auth
