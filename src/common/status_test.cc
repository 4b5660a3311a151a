#include "common/status.h"

#include <gtest/gtest.h>

#include "common/result.h"

namespace lakeshift {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status().ok());
  Status s = PathNotFound("/a/b");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: path does not exist: /a/b");
  Status with = s.WithDetail({404, "PathNotFound", "req-1"}).WithContext("copy /a/b");
  EXPECT_EQ(with.ToString(),
            "NotFound: copy /a/b: path does not exist: /a/b (HTTP 404 PathNotFound, request id req-1)");
  EXPECT_EQ(s.ToString(), "NotFound: path does not exist: /a/b");  // copies do not alias
}

TEST(StatusTest, RetryableCodes) {
  EXPECT_TRUE(Status(StatusCode::kThrottled, "x").IsRetryable());
  EXPECT_TRUE(Unavailable("x").IsRetryable());
  EXPECT_FALSE(PermissionDenied("x").IsRetryable());
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd number 3");
}

}  // namespace
}  // namespace lakeshift
