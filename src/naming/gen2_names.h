#pragma once
// Names a Gen2 (ADLS Gen2 / Blob with a hierarchical namespace) target cannot hold, and a deterministic
// replacement for the `--names rename` policy.
//
// Rules (Azure "Naming and Referencing Containers, Blobs, and Metadata", the Gen1 compatibility layer's list of
// unsupported names, and the service's observed behaviour):
//   component: not empty; valid UTF-8; not only spaces and/or tabs; no '/', ':' or '\' (Blob turns '\' into '/');
//              no control characters (U+0000-U+001F, U+007F, U+0080-U+009F); no private-use code points
//              (U+E000-U+F8FF, planes 15-16) or noncharacters (U+FDD0-U+FDEF, U+xxFFFE/U+xxFFFF), which the service
//              rejects as invalid Unicode; does not end with '.' (so "." and ".." are out too); at most 255 UTF-8
//              bytes.
//   path:      every component as above; no empty segment ("//") and no trailing '/'; at most 254 segments; at
//              most 1024 characters, counted as the service does in UTF-16 code units, without the leading '/'.
// Names such as "12,+3#456?.txt", "with space" or "unicode-ÄÖÜ-日本語" are fine: clients percent-encode them.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lakeshift::naming {

inline constexpr size_t kMaxGen2PathChars = 1024;  // UTF-16 code units, without the leading '/'
inline constexpr size_t kMaxGen2PathSegments = 254;
inline constexpr size_t kMaxGen2NameBytes = 255;  // one component, UTF-8 bytes

// One path the target cannot hold and why, for reports.
struct NameProblem {
  std::string path;
  std::string reason;  // human text, e.g. "ends with '.'"
};

// The first problem of one path component for a Gen2 target ("ends with '.'", "contains ':'", ...); nullopt when
// the name is fine.
std::optional<std::string> Gen2ComponentProblem(std::string_view name);

// The first problem of a whole path ("/a/b" or "a/b"; "/" is the root and fine): its shape, each component (the
// reason names the component, e.g. `component 2 "x:y" contains ':'`), the segment count and the length.
std::optional<std::string> Gen2PathProblem(std::string_view path);

// A name a Gen2 target can hold, for the `--names rename` policy; the name itself when it has no problem.
//
// Scheme: in a name that has a problem, every byte that is part of the problem is written as %XX (upper-case hex of
// the UTF-8 byte) and every '%' as %25: ':' -> %3A, '\' -> %5C, a control character or invalid UTF-8 byte -> %XX, a
// private-use or noncharacter code point -> its UTF-8 bytes, a trailing '.' -> %2E ("a." -> "a%2E", ".." -> ".%2E"),
// and a name of only spaces and tabs has all of them escaped ("  " -> "%20%20"). Everything else, other Unicode
// included, stays as it is, so the result reads like the original and percent-decoding it gives the original back.
// When the escaped name would be longer than 255 bytes it becomes its first bytes (cut on a character boundary),
// "%~" and 32 hex digits of the SHA-256 of the original name.
//
// Injective over names that have a problem: the escaped form decodes back to its original, a hashed form contains
// "%~" (never produced by escaping) and differs from other hashed forms unless 128-bit hashes collide. A replacement
// can still equal an unrelated *fine* name that already exists (a real file named "a%3Ab" next to "a:b"); the caller
// must check that the target name is free.
std::string Gen2SafeName(std::string_view name);

}  // namespace lakeshift::naming
