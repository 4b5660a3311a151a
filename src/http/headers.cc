#include "http/headers.h"

#include <algorithm>

namespace lakeshift::http {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

Headers::Headers(std::initializer_list<Field> fields) : fields_(fields) {}

std::optional<std::string> Headers::Get(std::string_view name) const {
  for (const Field& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) return f.second;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const Field& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) out.push_back(f.second);
  }
  return out;
}

bool Headers::Has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(), [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
}

void Headers::Set(std::string_view name, std::string_view value) {
  auto first =
      std::find_if(fields_.begin(), fields_.end(), [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
  if (first == fields_.end()) {
    Add(name, value);
    return;
  }
  first->second.assign(value);
  auto rest = std::remove_if(first + 1, fields_.end(), [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
  fields_.erase(rest, fields_.end());
}

void Headers::Add(std::string_view name, std::string_view value) {
  fields_.emplace_back(name, value);
}

size_t Headers::Remove(std::string_view name) {
  auto rest =
      std::remove_if(fields_.begin(), fields_.end(), [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
  size_t removed = static_cast<size_t>(fields_.end() - rest);
  fields_.erase(rest, fields_.end());
  return removed;
}

bool HeaderHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace lakeshift::http
