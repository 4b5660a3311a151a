#include "http/url.h"

#include <gtest/gtest.h>

namespace lakeshift::http {
namespace {

TEST(UrlTest, ParsesParts) {
  auto url = ParseUrl("HTTP://example.com:8080/a/b%20c?x=1&y=2#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/a/b%20c");
  EXPECT_EQ(url->query, "x=1&y=2");
  EXPECT_EQ(url->Origin(), "http://example.com:8080");
  EXPECT_EQ(url->Target(), "/a/b%20c?x=1&y=2");
}

TEST(UrlTest, DefaultsAndIpv6) {
  auto url = ParseUrl("https://[::1]");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->Origin(), "https://[::1]");
}

TEST(UrlTest, RejectsBadUrls) {
  EXPECT_FALSE(ParseUrl("example.com/a").ok());
  EXPECT_FALSE(ParseUrl("ftp://example.com/").ok());
  EXPECT_FALSE(ParseUrl("http://:80/").ok());
  EXPECT_FALSE(ParseUrl("http://h:99999/").ok());
  EXPECT_FALSE(ParseUrl("http://user:pw@h/").ok());
}

TEST(UrlTest, PercentCoding) {
  EXPECT_EQ(*PercentDecode("a%2Fb%20c+d"), "a/b c+d");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_FALSE(PercentDecode("%4").ok());
  EXPECT_FALSE(PercentDecode("%zz").ok());
  EXPECT_EQ(PercentEncode("a b/ü"), "a%20b%2F%C3%BC");
  EXPECT_EQ(PercentEncode("a b/c", true), "a%20b/c");
}

TEST(UrlTest, RedactsSecretParameters) {
  EXPECT_EQ(RedactQuery("sig=abc&sv=2020&se=x"), "sig=REDACTED&sv=2020&se=x");
  EXPECT_EQ(RedactQuery("code=1&client_secret=2&token=3&access_token=4&MyPassword=5&op=LIST"),
            "code=REDACTED&client_secret=REDACTED&token=REDACTED&access_token=REDACTED&MyPassword=REDACTED&op=LIST");
  EXPECT_EQ(RedactQuery("client%5Fsecret=s"), "client%5Fsecret=REDACTED");
  EXPECT_EQ(RedactQuery("flag&sig"), "flag&sig");  // no value, nothing to hide
  EXPECT_EQ(RedactTarget("/fs/p?resource=file&sig=x"), "/fs/p?resource=file&sig=REDACTED");
  EXPECT_EQ(RedactTarget("https://a.dfs.core.windows.net/f?sig=x"), "https://a.dfs.core.windows.net/f?sig=REDACTED");
  EXPECT_EQ(RedactTarget("/no/query"), "/no/query");
}

}  // namespace
}  // namespace lakeshift::http
