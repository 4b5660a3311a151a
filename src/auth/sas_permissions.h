#pragma once
// SAS permission letters as a bitset. Which letters an operation needs is the front-end's choice; this type
// parses, combines and prints them.
//   DataLake (sp of a file system, directory or file SAS): r a c w d l m e o p
//     read, add, create, write, delete, list, move, execute, manage ownership, manage access control
//   Blob adds: x (delete version), y (permanent delete), t (tags), f (filter by tags), i (immutability policy)
//   Account SAS: r w d x y l a c u p f t i, where u is update and p is process (queues)

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lakeshift::auth {

class SasPermissions {
 public:
  enum Bit : uint32_t {
    kRead = 1u << 0,             // r
    kAdd = 1u << 1,              // a
    kCreate = 1u << 2,           // c
    kWrite = 1u << 3,            // w
    kDelete = 1u << 4,           // d
    kDeleteVersion = 1u << 5,    // x
    kPermanentDelete = 1u << 6,  // y
    kList = 1u << 7,             // l
    kTag = 1u << 8,              // t
    kFilterByTags = 1u << 9,     // f
    kMove = 1u << 10,            // m
    kExecute = 1u << 11,         // e
    kOwnership = 1u << 12,       // o
    kAccessControl = 1u << 13,   // p (process, for an account SAS)
    kImmutability = 1u << 14,    // i
    kUpdate = 1u << 15,          // u
  };

  // The order the SDKs print letters in. kService: "racwdxyltfmeopi" (then u); kAccount: "rwdxylacupfti"
  // (then m e o).
  enum class Order : uint8_t { kService, kAccount };

  constexpr SasPermissions() = default;
  constexpr explicit SasPermissions(uint32_t bits) : bits_(bits) {}

  // Letters in any order; repeats are allowed, unknown letters are an error (kInvalidArgument).
  static Result<SasPermissions> Parse(std::string_view letters);
  // For constants in code: unknown letters are ignored.
  static SasPermissions Of(std::string_view letters);

  std::string ToString(Order order = Order::kService) const;

  bool empty() const { return bits_ == 0; }
  uint32_t bits() const { return bits_; }
  bool Has(SasPermissions wanted) const { return (bits_ & wanted.bits_) == wanted.bits_; }
  // The letters of `wanted` that this set lacks.
  SasPermissions Missing(SasPermissions wanted) const { return SasPermissions(wanted.bits_ & ~bits_); }

  friend SasPermissions operator|(SasPermissions a, SasPermissions b) { return SasPermissions(a.bits_ | b.bits_); }
  friend bool operator==(SasPermissions a, SasPermissions b) = default;

 private:
  uint32_t bits_ = 0;
};

}  // namespace lakeshift::auth
