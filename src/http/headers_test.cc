#include "http/headers.h"

#include <gtest/gtest.h>

namespace lakeshift::http {
namespace {

TEST(HeadersTest, GetIsCaseInsensitive) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  EXPECT_EQ(h.Get("content-type"), "text/plain");
  EXPECT_EQ(h.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_FALSE(h.Get("Content-Length").has_value());
  EXPECT_TRUE(h.Has("content-TYPE"));
}

TEST(HeadersTest, AddKeepsDuplicatesSetReplacesThem) {
  Headers h;
  h.Add("X-A", "1");
  h.Add("X-B", "2");
  h.Add("x-a", "3");
  EXPECT_EQ(h.GetAll("X-A"), (std::vector<std::string>{"1", "3"}));
  h.Set("X-a", "4");
  EXPECT_EQ(h.GetAll("x-a"), (std::vector<std::string>{"4"}));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.begin()->first, "X-A");  // position of the first field is kept
  EXPECT_EQ(h.begin()->second, "4");
}

TEST(HeadersTest, IterationFollowsInsertionOrder) {
  Headers h{{"B", "1"}, {"A", "2"}};
  h.Add("C", "3");
  std::vector<std::string> names;
  for (const auto& [name, value] : h) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "A", "C"}));
}

TEST(HeadersTest, RemoveDropsEveryField) {
  Headers h{{"A", "1"}, {"B", "2"}, {"a", "3"}};
  EXPECT_EQ(h.Remove("A"), 2u);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.Remove("A"), 0u);
}

TEST(HeadersTest, HeaderHasToken) {
  EXPECT_TRUE(HeaderHasToken("keep-alive, Close", "close"));
  EXPECT_TRUE(HeaderHasToken("100-continue", "100-Continue"));
  EXPECT_FALSE(HeaderHasToken("closed", "close"));
  EXPECT_FALSE(HeaderHasToken("", "close"));
}

}  // namespace
}  // namespace lakeshift::http
