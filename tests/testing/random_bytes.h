#pragma once
// Reproducible pseudo-random bytes for tests.

#include <cstddef>
#include <random>
#include <string>

namespace lakeshift::testing_util {

inline std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace lakeshift::testing_util
