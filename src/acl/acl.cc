// Parsing and formatting of ACL entries, specs and modes, and the AclState accessors. The transformations
// (SETACL and friends) are in acl_transform.cc.

#include "acl/acl.h"

#include <algorithm>

#include "acl/acl_internal.h"

namespace lakeshift::acl {
namespace {

constexpr std::string_view kSpecForm = "[default:]user|group|mask|other:[id]:perm, e.g. \"user::rwx\"";

std::string_view TypeName(EntryType type) {
  switch (type) {
    case EntryType::kUser: return "user";
    case EntryType::kGroup: return "group";
    case EntryType::kMask: return "mask";
    case EntryType::kOther: return "other";
  }
  return "?";
}

bool ParseType(std::string_view text, EntryType& type) {
  for (EntryType t : {EntryType::kUser, EntryType::kGroup, EntryType::kMask, EntryType::kOther}) {
    if (text == TypeName(t)) {
      type = t;
      return true;
    }
  }
  return false;
}

// Built by appending: GCC 12 gives a false -Wrestrict for `"\"" + std::string(...)` (GCC bug 105329).
std::string Quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out += text;
  out += '"';
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

Result<AclEntry> ParseEntry(std::string_view text, bool perms_required) {
  const std::vector<std::string_view> parts = Split(text, ':');
  AclEntry entry;
  size_t i = 0;
  if (parts[0] == "default") {
    entry.scope = Scope::kDefault;
    ++i;
  }
  if (i >= parts.size() || parts[i].empty()) {
    return InvalidArgument("missing entry type (expected user, group, mask or other)");
  }
  if (!ParseType(parts[i], entry.type)) {
    return InvalidArgument("unknown entry type \"" + std::string(parts[i]) +
                           "\" (expected user, group, mask or other)");
  }
  ++i;
  const size_t rest = parts.size() - i;  // id and permission
  if (rest > 2) {
    return InvalidArgument("too many ':'-separated fields (expected " + std::string(kSpecForm) +
                           "; an id cannot contain ':')");
  }
  if (perms_required && rest < 2) {
    return InvalidArgument("missing permission (expected " + std::string(kSpecForm) + ")");
  }
  if (rest >= 1) entry.name = std::string(parts[i]);
  if (entry.is_named() && (entry.type == EntryType::kMask || entry.type == EntryType::kOther)) {
    const char* article = entry.type == EntryType::kOther ? "an " : "a ";
    return InvalidArgument(article + std::string(TypeName(entry.type)) + " entry cannot have an id (got \"" +
                           entry.name + "\")");
  }
  // A removal spec may still carry a permission (it is ignored), but it must be well formed.
  if (rest == 2 && (perms_required || !parts[i + 1].empty())) {
    ASSIGN_OR_RETURN(entry.perm, ParsePerm(parts[i + 1]));
  }
  return entry;
}

}  // namespace

std::string EntryKey(const AclEntry& entry) {
  return entry.ToString(/*include_perm=*/false) + (entry.is_named() ? "" : "::");
}

int CompareEntries(const AclEntry& a, const AclEntry& b) {
  if (a.scope != b.scope) return a.scope < b.scope ? -1 : 1;
  if (a.type != b.type) return a.type < b.type ? -1 : 1;
  return a.name.compare(b.name) < 0 ? -1 : (a.name == b.name ? 0 : 1);  // unnamed ("") sorts first
}

void SortCanonical(std::vector<AclEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const AclEntry& a, const AclEntry& b) { return CompareEntries(a, b) < 0; });
}

const AclEntry* FindEntry(const std::vector<AclEntry>& entries, EntryType type, std::string_view name) {
  for (const AclEntry& e : entries) {
    if (e.type == type && e.name == name) return &e;
  }
  return nullptr;
}

AclEntry* FindEntry(std::vector<AclEntry>& entries, EntryType type, std::string_view name) {
  for (AclEntry& e : entries) {
    if (e.type == type && e.name == name) return &e;
  }
  return nullptr;
}

std::string AclEntry::ToString(bool include_perm) const {
  std::string out = scope == Scope::kDefault ? "default:" : "";
  out += TypeName(type);
  if (include_perm) {
    out += ":" + name + ":" + FormatPerm(perm);
  } else if (is_named()) {
    out += ":" + name;  // "user:<id>"; unnamed entries are just "mask" / "default:user", as the DFS SDKs send them
  }
  return out;
}

Result<Perm> ParsePerm(std::string_view text) {
  static constexpr char kLetters[] = {'r', 'w', 'x'};
  bool ok = text.size() == 3;
  Perm perm = 0;
  for (size_t i = 0; ok && i < 3; ++i) {
    if (text[i] == kLetters[i]) {
      perm |= static_cast<Perm>(4 >> i);
    } else if (text[i] != '-') {
      ok = false;
    }
  }
  if (!ok) {
    return InvalidArgument("bad permission \"" + std::string(text) +
                           "\" (expected 3 characters of r, w, x or -, in that order, e.g. \"r-x\")");
  }
  return perm;
}

std::string FormatPerm(Perm perm) {
  std::string out = "---";
  if (perm & kRead) out[0] = 'r';
  if (perm & kWrite) out[1] = 'w';
  if (perm & kExecute) out[2] = 'x';
  return out;
}

Result<std::vector<AclEntry>> ParseAclSpec(std::string_view spec, bool perms_required) {
  if (Trim(spec).empty()) return InvalidArgument("empty ACL spec (expected " + std::string(kSpecForm) + ")");
  std::vector<AclEntry> entries;
  const std::vector<std::string_view> pieces = Split(spec, ',');
  for (size_t k = 0; k < pieces.size(); ++k) {
    const std::string_view piece = Trim(pieces[k]);
    const std::string where = "ACL entry " + std::to_string(k + 1);
    if (piece.empty()) return InvalidArgument(where + " is empty (doubled or trailing comma?)");
    Result<AclEntry> entry = ParseEntry(piece, perms_required);
    if (!entry.ok()) return InvalidArgument(where + " \"" + std::string(piece) + "\": " + entry.status().message());
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

std::string FormatAclSpec(const std::vector<AclEntry>& entries, bool include_perm) {
  std::string out;
  for (const AclEntry& e : entries) {
    if (!out.empty()) out += ",";
    out += e.ToString(include_perm);
  }
  return out;
}

Result<Mode> ParseOctalMode(std::string_view text) {
  const std::string quoted = Quoted(text);
  if (text.size() != 3 && text.size() != 4) {
    return InvalidArgument("bad octal mode " + quoted + ": expected 3 or 4 octal digits like 750 or 0750");
  }
  Mode mode = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '7') {
      return InvalidArgument("bad octal mode " + quoted + ": '" + std::string(1, text[i]) + "' at position " +
                             std::to_string(i + 1) + " is not an octal digit");
    }
    mode = static_cast<Mode>(mode * 8 + (text[i] - '0'));
  }
  if (mode > (kStickyBit | 0777)) {
    return InvalidArgument("bad octal mode " + quoted +
                           ": the leading digit may only be 0 or 1 (the sticky bit); setuid/setgid are not supported");
  }
  return mode;
}

void AppendOctalMode(std::string& out, Mode mode) {
  if (mode & kStickyBit) out += '1';
  for (int shift = 6; shift >= 0; shift -= 3) out += static_cast<char>('0' + ((mode >> shift) & 7));
}

std::string FormatOctalMode(Mode mode) {
  std::string out;
  AppendOctalMode(out, mode);
  return out;
}

Result<Mode> ParseSymbolicMode(std::string_view text) {
  const std::string quoted = Quoted(text);
  std::string_view body = text;
  if (body.size() == 10 && body.back() == '+') body.remove_suffix(1);
  if (body.size() != 9) {
    return InvalidArgument("bad symbolic mode " + quoted +
                           ": expected 9 characters like rwxr-x--- (optionally t/T last for the sticky bit, and a "
                           "trailing '+')");
  }
  static constexpr char kLetters[] = {'r', 'w', 'x'};
  Mode mode = 0;
  for (size_t i = 0; i < 9; ++i) {
    const char c = body[i];
    const char letter = kLetters[i % 3];
    const Mode bit = static_cast<Mode>(0400 >> i);
    if (c == letter) {
      mode |= bit;
    } else if (i == 8 && (c == 't' || c == 'T')) {
      mode |= kStickyBit | (c == 't' ? bit : 0);
    } else if (c != '-') {
      std::string allowed = std::string(1, letter) + " or -";
      if (i == 8) allowed = "x, -, t or T";
      return InvalidArgument("bad symbolic mode " + quoted + ": character " + std::to_string(i + 1) + " '" +
                             std::string(1, c) + "' must be " + allowed);
    }
  }
  return mode;
}

std::string FormatSymbolicMode(Mode mode, bool extended_acl) {
  std::string out = FormatPerm((mode >> 6) & 7) + FormatPerm((mode >> 3) & 7) + FormatPerm(mode & 7);
  if (mode & kStickyBit) out[8] = (mode & kExecute) ? 't' : 'T';
  if (extended_acl) out += '+';
  return out;
}

Result<Mode> ParseMode(std::string_view text) {
  const bool digits =
      !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) return ParseOctalMode(text);
  if (text.size() == 9 || text.size() == 10) return ParseSymbolicMode(text);
  return InvalidArgument("bad permission \"" + std::string(text) +
                         "\": expected octal like 0750 or symbolic like rwxr-x---");
}

AclState AclState::FromMode(std::string owner, std::string group, Mode mode) {
  AclState state;
  state.owner = std::move(owner);
  state.group = std::move(group);
  state.sticky = (mode & kStickyBit) != 0;
  state.access = {
      {Scope::kAccess, EntryType::kUser, "", static_cast<Perm>((mode >> 6) & 7)},
      {Scope::kAccess, EntryType::kGroup, "", static_cast<Perm>((mode >> 3) & 7)},
      {Scope::kAccess, EntryType::kOther, "", static_cast<Perm>(mode & 7)},
  };
  return state;
}

Mode AclState::mode() const {
  Mode m = static_cast<Mode>((owner_perm() << 6) | (effective_mask() << 3) | other_perm());
  return sticky ? static_cast<Mode>(m | kStickyBit) : m;
}

bool AclState::has_extended_acl() const {
  // Any access entry beyond user::, group::, other:: (a named entry, or a mask left after the last named entry
  // was removed: Gen1 reports aclBit=true then), or a default ACL.
  return access.size() > 3 || !default_acl.empty();
}

Perm AclState::owner_perm() const {
  const AclEntry* e = FindEntry(access, EntryType::kUser, "");
  return e ? e->perm : 0;
}

Perm AclState::group_perm() const {
  const AclEntry* e = FindEntry(access, EntryType::kGroup, "");
  return e ? e->perm : 0;
}

Perm AclState::other_perm() const {
  const AclEntry* e = FindEntry(access, EntryType::kOther, "");
  return e ? e->perm : 0;
}

Perm AclState::effective_mask() const {
  const AclEntry* mask = FindEntry(access, EntryType::kMask, "");
  return mask ? mask->perm : group_perm();
}

std::vector<AclEntry> AclState::AllEntries() const {
  std::vector<AclEntry> all = access;
  SortCanonical(all);
  std::vector<AclEntry> defaults = default_acl;
  SortCanonical(defaults);
  all.insert(all.end(), defaults.begin(), defaults.end());
  return all;
}

}  // namespace lakeshift::acl
