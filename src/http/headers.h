#pragma once
// HTTP message pieces shared by the server and the client: a case-insensitive header collection.
// Plain C++ (no Beast, no curl) so every module can include it cheaply.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lakeshift::http {

// ASCII case-insensitive equality, as header names and tokens compare.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Header fields in insertion order. Names compare case-insensitively; a name may repeat (Add).
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;
  using const_iterator = std::vector<Field>::const_iterator;

  Headers() = default;
  Headers(std::initializer_list<Field> fields);

  // The first value of `name`, or nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  // All values of `name`, in order.
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const;
  // Replaces every field called `name` with one field (kept at the position of the first one).
  void Set(std::string_view name, std::string_view value);
  // Appends a field, keeping existing ones of the same name.
  void Add(std::string_view name, std::string_view value);
  // Removes every field called `name`; returns how many were removed.
  size_t Remove(std::string_view name);
  void Clear() { fields_.clear(); }

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// True when a comma-separated header value (e.g. Connection, Expect) holds `token`, case-insensitively.
bool HeaderHasToken(std::string_view value, std::string_view token);

}  // namespace lakeshift::http
