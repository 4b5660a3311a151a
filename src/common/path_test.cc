#include "common/path.h"

#include <gtest/gtest.h>

namespace lakeshift::path {
namespace {

TEST(PathTest, NormalizeAcceptsAndCanonicalises) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : {Case{"/", "/"}, Case{"/a", "/a"}, Case{"/a/", "/a"}, Case{"/a b/c,+#?%.txt", "/a b/c,+#?%.txt"},
                        Case{"/日本語/ÄÖÜ", "/日本語/ÄÖÜ"}, Case{"/...", "/..."}}) {
    auto r = Normalize(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status();
    EXPECT_EQ(*r, c.out);
  }
}

TEST(PathTest, NormalizeRejectsWithPreciseErrors) {
  struct Case {
    std::string in;
    const char* fragment;
  };
  for (const Case& c : {Case{"", "empty path"}, Case{"a/b", "not absolute"}, Case{"/a//b", "empty segment"},
                        Case{"/a/../b", "\"..\" segment"}, Case{"/a/./b", "\".\" segment"},
                        Case{std::string("/a\0b", 4), "NUL"}, Case{"/" + std::string(256, 'x'), "limit is 255"}}) {
    auto r = Normalize(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos) << r.status().message();
  }
}

TEST(PathTest, ParentBaseJoinSplit) {
  EXPECT_EQ(Parent("/a/b/c"), "/a/b");
  EXPECT_EQ(Parent("/a"), "/");
  EXPECT_EQ(Parent("/"), "/");
  EXPECT_EQ(BaseName("/a/b/c"), "c");
  EXPECT_EQ(BaseName("/"), "");
  EXPECT_EQ(Join("/", "b"), "/b");
  EXPECT_EQ(Join("/a", "b"), "/a/b");
  EXPECT_EQ(Split("/a/b"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(Split("/").empty());
}

TEST(PathTest, AncestorRelations) {
  EXPECT_TRUE(IsAncestor("/", "/a"));
  EXPECT_TRUE(IsAncestor("/a", "/a/b"));
  EXPECT_FALSE(IsAncestor("/a", "/ab"));
  EXPECT_FALSE(IsAncestor("/a", "/a"));
  EXPECT_FALSE(IsAncestor("/", "/"));
  EXPECT_EQ(Ancestors("/a/b/c"), (std::vector<std::string>{"/", "/a", "/a/b"}));
  EXPECT_TRUE(Ancestors("/").empty());
}

}  // namespace
}  // namespace lakeshift::path
