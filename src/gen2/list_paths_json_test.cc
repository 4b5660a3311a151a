#include "gen2/list_paths_json.h"

#include <gtest/gtest.h>

#include <vector>

namespace lakeshift::gen2 {
namespace {

Result<std::vector<ListPathsEntry>> Parse(std::string_view body) {
  std::vector<ListPathsEntry> out;
  Status s = ParseListPaths(body, [&](ListPathsEntry& e) { out.push_back(std::move(e)); });
  if (!s.ok()) return s;
  return out;
}

TEST(ListPathsJsonTest, ReadsTheServiceFormAndTheEmulatorForm) {
  // The service: every value a string. Older versions and the emulator: numbers and booleans as JSON.
  auto r =
      Parse(R"({"paths":[{"contentLength":"0","creationTime":"133766400000000000","etag":"0x8DC1","expiryTime":"0",)"
            R"("group":"$superuser","isDirectory":"true","lastModified":"Thu, 26 Nov 2026 10:00:00 GMT",)"
            R"("name":"dir","owner":"$superuser","permissions":"rwxr-x---"},)"
            "\n {\"name\": \"dir/f\", \"isDirectory\": false, \"contentLength\": 42, \"etag\": null} ] }");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  const ListPathsEntry& d = (*r)[0];
  EXPECT_EQ(d.name, "dir");
  EXPECT_EQ(d.is_directory, "true");
  EXPECT_EQ(d.content_length, "0");
  EXPECT_EQ(d.creation_time, "133766400000000000");
  EXPECT_EQ(d.expiry_time, "0");
  EXPECT_EQ(d.etag, "0x8DC1");
  EXPECT_EQ(d.owner, "$superuser");
  EXPECT_EQ(d.group, "$superuser");
  EXPECT_EQ(d.permissions, "rwxr-x---");
  EXPECT_EQ(d.last_modified, "Thu, 26 Nov 2026 10:00:00 GMT");
  const ListPathsEntry& f = (*r)[1];
  EXPECT_EQ(f.name, "dir/f");
  EXPECT_EQ(f.is_directory, "false");
  EXPECT_EQ(f.content_length, "42");
  EXPECT_EQ(f.etag, "");
  EXPECT_EQ(f.owner, "");  // missing keys stay empty
}

TEST(ListPathsJsonTest, UnescapesNamesAndSkipsUnknownValuesOfAnyShape) {
  auto r = Parse(R"({"x-before":{"a":[1,2.5e3,{"b":null}],"c":"\"}"},"paths":[)"
                 R"({"name":"a\u00e9\ud83d\ude00\/b\\c\"d\te","encryptionContext":[{"k":["v",true]}],"etag":"e"}],)"
                 R"("after":-0.5})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "a\xc3\xa9\xf0\x9f\x98\x80/b\\c\"d\te");
  EXPECT_EQ((*r)[0].etag, "e");
  auto empty = Parse(R"({"paths":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ListPathsJsonTest, MalformedAnswersAreErrors) {
  for (std::string_view bad :
       {"", "[]", "{}", R"({"other":[]})", R"({"paths":[{"name":"a"})", R"({"paths":[{"name":"a"},]})",
        R"({"paths":[{"name":"a\q"}]})", R"({"paths":[{"name":"\ud83d"}]})", R"({"paths":[{"name":"a","etag":tru}]})",
        R"({"paths":[{"name":"a","etag":{"x":1}}]})", R"({"paths":[]} trailing)", "{\"paths\":[{\"name\":\"a\nb\"}]}",
        R"({"paths":[{"name":"a","x":01x}]})"}) {
    EXPECT_EQ(Parse(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// Strings are scanned eight bytes at a time: put each special character at every offset of a long name.
TEST(ListPathsJsonTest, SpecialCharactersAreFoundAtEveryOffset) {
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t at = 0; at <= plain.size(); ++at) {
    for (auto [escaped, raw] : {std::pair<std::string_view, std::string_view>{"\\\"", "\""},
                                {"\\\\", "\\"},
                                {"\\n", "\n"},
                                {"\\u00e9", "\xc3\xa9"},
                                {"\xc3\xa9", "\xc3\xa9"}}) {
      std::string name = plain.substr(0, at) + std::string(escaped) + plain.substr(at);
      auto r = Parse(R"({"paths":[{"name":")" + name + R"(","etag":"e"}]})");
      ASSERT_TRUE(r.ok()) << name << ": " << r.status();
      ASSERT_EQ(r->size(), 1u);
      EXPECT_EQ((*r)[0].name, plain.substr(0, at) + std::string(raw) + plain.substr(at)) << name;
      EXPECT_EQ((*r)[0].etag, "e");
    }
    // A raw control character (which JSON requires escaped) is refused wherever it is.
    for (char control : {'\x01', '\t', '\x1f'}) {
      std::string name = plain.substr(0, at) + control + plain.substr(at);
      EXPECT_EQ(Parse(R"({"paths":[{"name":")" + name + R"("}]})").status().code(), StatusCode::kInvalidArgument)
          << at << " " << static_cast<int>(control);
    }
  }
}

// Entries reuse one set of strings: a key missing from an entry must not keep the previous entry's value.
TEST(ListPathsJsonTest, MissingKeysAreEmptyInEveryEntry) {
  auto r = Parse(R"({"paths":[{"name":"a","owner":"o","expiryTime":"5"},{"name":"b"}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].name, "b");
  EXPECT_EQ((*r)[1].owner, "");
  EXPECT_EQ((*r)[1].expiry_time, "");
}

}  // namespace
}  // namespace lakeshift::gen2
