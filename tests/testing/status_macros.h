#pragma once
// gtest assertions for Status and Result values.

#include <gtest/gtest.h>

#include "common/result.h"

#define ASSERT_OK(expr)                                                     \
  do {                                                                      \
    const auto& _st_ = (expr);                                              \
    ASSERT_TRUE(_st_.ok()) << #expr << ": " << ::lakeshift::StatusOf(_st_); \
  } while (false)
#define EXPECT_OK(expr)                                                     \
  do {                                                                      \
    const auto& _st_ = (expr);                                              \
    EXPECT_TRUE(_st_.ok()) << #expr << ": " << ::lakeshift::StatusOf(_st_); \
  } while (false)
#define EXPECT_CODE(expr, expected)                                                                              \
  do {                                                                                                           \
    const auto& _res_ = (expr);                                                                                  \
    EXPECT_EQ(::lakeshift::StatusOf(_res_).code(), (expected)) << #expr << ": " << ::lakeshift::StatusOf(_res_); \
  } while (false)
// Declares `lhs` from a Result, failing the test (and returning) when it holds an error.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(LAKESHIFT_CONCAT(_assert_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)         \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status(); \
  lhs = std::move(tmp).value()
