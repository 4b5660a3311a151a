#include "http/retry.h"

#include <gtest/gtest.h>

#include <ctime>

namespace lakeshift::http {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, ExponentialBackoffWithoutJitterDoublesAndCaps) {
  RetryPolicy policy;
  policy.base_delay = milliseconds(800);
  policy.max_delay = milliseconds(60000);
  policy.jitter = 0;
  struct Case {
    int attempt;
    int64_t expected_ms;
  };
  for (const Case& c : {Case{1, 800}, Case{2, 1600}, Case{3, 3200}, Case{4, 6400}, Case{5, 12800}, Case{6, 25600},
                        Case{7, 51200}, Case{8, 60000}, Case{20, 60000}, Case{100, 60000}}) {
    EXPECT_EQ(policy.DelayFor(c.attempt, nullptr).count(), c.expected_ms) << "attempt " << c.attempt;
  }
}

TEST(RetryPolicyTest, JitterStaysWithinBounds) {
  RetryPolicy policy;
  policy.base_delay = milliseconds(1000);
  policy.max_delay = milliseconds(5000);
  policy.jitter = 0.25;
  struct Case {
    int attempt;
    int64_t low, high;
  };
  for (const Case& c : {Case{1, 750, 1250}, Case{2, 1500, 2500}, Case{3, 3000, 5000}, Case{4, 3750, 6250}}) {
    for (int i = 0; i < 200; ++i) {
      int64_t d = policy.DelayFor(c.attempt, nullptr).count();
      EXPECT_GE(d, c.low) << "attempt " << c.attempt;
      EXPECT_LE(d, c.high) << "attempt " << c.attempt;
    }
  }
}

TEST(RetryPolicyTest, ServerHintsTakePrecedenceAndAreCapped) {
  RetryPolicy policy;
  policy.jitter = 0.5;
  policy.max_delay = milliseconds(10000);
  struct Case {
    Headers headers;
    int64_t expected_ms;
  };
  int64_t soon = static_cast<int64_t>(std::time(nullptr)) + 3600;
  std::vector<Case> cases = {
      {{{"Retry-After", "2"}}, 2000},
      {{{"retry-after", "0"}}, 0},
      {{{"Retry-After", "120"}}, 10000},  // capped
      {{{"retry-after-ms", "1500"}}, 1500},
      {{{"x-ms-retry-after-ms", "250"}}, 250},
      {{{"x-ms-retry-after-ms", "250"}, {"Retry-After", "7"}}, 250},  // the ms headers win
      {{{"Retry-After", FormatHttpDate(soon)}}, 10000},
      {{{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}}, 0},  // in the past
  };
  for (const Case& c : cases) {
    EXPECT_EQ(policy.DelayFor(3, &c.headers).count(), c.expected_ms) << c.headers.begin()->second;
  }
  Headers junk{{"Retry-After", "soon"}};
  policy.jitter = 0;
  EXPECT_EQ(policy.DelayFor(1, &junk).count(), 800);  // unparseable: backoff
}

TEST(RetryPolicyTest, HttpDateRoundTrip) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

TEST(RetryPolicyTest, NoneDisablesEverything) {
  RetryPolicy none = RetryPolicy::None();
  EXPECT_EQ(none.max_retries, 0);
  EXPECT_TRUE(none.retry_statuses.empty());
  EXPECT_FALSE(none.retry_connection_errors);
  std::vector<milliseconds> slept;
  none.sleep = [&](milliseconds d) { slept.push_back(d); };
  none.Sleep(milliseconds(5));
  EXPECT_EQ(slept, std::vector<milliseconds>{milliseconds(5)});
}

}  // namespace
}  // namespace lakeshift::http
