#include "naming/gen2_names.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace lakeshift::naming {
namespace {

std::string ProblemOf(std::string_view name) {
  return Gen2ComponentProblem(name).value_or("");
}
std::string PathProblemOf(std::string_view path) {
  return Gen2PathProblem(path).value_or("");
}

TEST(Gen2ComponentProblem, FineNames) {
  for (const char* name : {"file.txt",
                           "12,+3#456?.txt",
                           "with space",
                           " leading and trailing ",
                           "per%cent",
                           "plus+sign",
                           "unicode-ÄÖÜ-日本語",
                           "emoji-😀",
                           "semi;colon",
                           "a=b&c",
                           ".hidden",
                           "a.b.c",
                           "...x",
                           "~tilde",
                           "quote\"s",
                           "<angle>",
                           "star*",
                           "pipe|",
                           "'",
                           "x\u00A0y" /* NBSP */}) {
    EXPECT_EQ(Gen2ComponentProblem(name), std::nullopt) << name;
  }
  EXPECT_EQ(Gen2ComponentProblem(std::string(255, 'a')), std::nullopt);
  // 85 three-byte characters: 255 bytes.
  std::string cjk;
  for (int i = 0; i < 85; ++i) cjk += "日";
  EXPECT_EQ(Gen2ComponentProblem(cjk), std::nullopt);
}

TEST(Gen2ComponentProblem, OnlySpacesOrTabs) {
  for (const char* name : {" ", "   ", "\t", "\t\t", " \t "}) {
    EXPECT_EQ(ProblemOf(name), "consists only of spaces or tabs") << "[" << name << "]";
  }
  EXPECT_EQ(Gen2ComponentProblem(" a "), std::nullopt);
}

TEST(Gen2ComponentProblem, TrailingDot) {
  for (const char* name : {"a.", ".", "..", "...", "name.txt.", " ."}) {
    EXPECT_EQ(ProblemOf(name), "ends with '.'") << name;
  }
  EXPECT_EQ(Gen2ComponentProblem(".a"), std::nullopt);
}

TEST(Gen2ComponentProblem, ColonBackslashSlashAnywhere) {
  for (const char* name : {":", ":a", "a:", "a:b", "C:", "12:00:00"})
    EXPECT_EQ(ProblemOf(name), "contains ':'") << name;
  EXPECT_EQ(ProblemOf("a\\b"), "contains '\\' (the Blob API turns it into '/')");
  EXPECT_EQ(ProblemOf("\\"), "contains '\\' (the Blob API turns it into '/')");
  EXPECT_EQ(ProblemOf("a/b"), "contains '/'");
}

TEST(Gen2ComponentProblem, ControlCharacters) {
  EXPECT_EQ(ProblemOf(std::string("a\0b", 3)), "contains the control character U+0000");
  EXPECT_EQ(ProblemOf("a\tb"), "contains the control character U+0009");
  EXPECT_EQ(ProblemOf("line\n"), "contains the control character U+000A");
  EXPECT_EQ(ProblemOf("\x1f"), "contains the control character U+001F");
  EXPECT_EQ(ProblemOf("del\x7f"), "contains the control character U+007F");
  EXPECT_EQ(ProblemOf("c1\u0081"), "contains the control character U+0081");
  EXPECT_EQ(ProblemOf("c1\u009f"), "contains the control character U+009F");
  EXPECT_EQ(Gen2ComponentProblem("\u00a0"), std::nullopt);  // just past the C1 block
}

TEST(Gen2ComponentProblem, FirstProblemInNameOrderWins) {
  EXPECT_EQ(ProblemOf("a:b\\c"), "contains ':'");
  EXPECT_EQ(ProblemOf("a\\b:c"), "contains '\\' (the Blob API turns it into '/')");
  EXPECT_EQ(ProblemOf("a:b."), "contains ':'");
}

TEST(Gen2ComponentProblem, InvalidUnicode) {
  EXPECT_EQ(ProblemOf("\xff"), "is not valid UTF-8 (byte 0xFF at offset 0)");
  EXPECT_EQ(ProblemOf("ab\xc3"), "is not valid UTF-8 (byte 0xC3 at offset 2)");            // truncated sequence
  EXPECT_EQ(ProblemOf("\xc0\xaf"), "is not valid UTF-8 (byte 0xC0 at offset 0)");          // overlong '/'
  EXPECT_EQ(ProblemOf("\xed\xa0\x80"), "is not valid UTF-8 (byte 0xED at offset 0)");      // a UTF-16 surrogate
  EXPECT_EQ(ProblemOf("\xf4\x90\x80\x80"), "is not valid UTF-8 (byte 0xF4 at offset 0)");  // above U+10FFFF
  EXPECT_EQ(ProblemOf("x\ue000"), "contains the private-use code point U+E000, which Azure rejects");
  EXPECT_EQ(ProblemOf("\U000F0000"), "contains the private-use code point U+F0000, which Azure rejects");
  EXPECT_EQ(ProblemOf("\ufdd0"), "contains the Unicode noncharacter U+FDD0, which Azure rejects");
  EXPECT_EQ(ProblemOf("\uffff"), "contains the Unicode noncharacter U+FFFF, which Azure rejects");
  EXPECT_EQ(ProblemOf("\U0001FFFE"), "contains the Unicode noncharacter U+1FFFE, which Azure rejects");
  EXPECT_EQ(Gen2ComponentProblem("\ufffd"), std::nullopt);  // the replacement character is a character
}

TEST(Gen2ComponentProblem, EmptyAndTooLong) {
  EXPECT_EQ(ProblemOf(""), "is empty");
  EXPECT_EQ(ProblemOf(std::string(256, 'a')), "is 256 bytes long; Gen2 allows at most 255 per name");
  std::string cjk;
  for (int i = 0; i < 86; ++i) cjk += "日";  // 86 characters, 258 bytes
  EXPECT_EQ(ProblemOf(cjk), "is 258 bytes long; Gen2 allows at most 255 per name");
}

TEST(Gen2PathProblem, FinePaths) {
  for (const char* path :
       {"/", "/a", "a", "/a/b/c.txt", "/data/12,+3#456?.txt", "/unicode-ÄÖÜ-日本語/emoji-😀", "/with space/ x "}) {
    EXPECT_EQ(Gen2PathProblem(path), std::nullopt) << path;
  }
}

TEST(Gen2PathProblem, Shape) {
  EXPECT_EQ(PathProblemOf(""), "is empty");
  EXPECT_EQ(PathProblemOf("/a/"), "ends with '/'");
  EXPECT_EQ(PathProblemOf("/a//b"), "contains '//' (an empty path segment)");
  EXPECT_EQ(PathProblemOf("//a"), "contains '//' (an empty path segment)");
  EXPECT_EQ(PathProblemOf("//"), "ends with '/'");
}

TEST(Gen2PathProblem, NamesTheBadComponent) {
  EXPECT_EQ(PathProblemOf("/ok/a:b/c"), "component 2 \"a:b\" contains ':'");
  EXPECT_EQ(PathProblemOf("/dir./f"), "component 1 \"dir.\" ends with '.'");
  EXPECT_EQ(PathProblemOf("/a/  "), "component 2 \"  \" consists only of spaces or tabs");
  EXPECT_EQ(PathProblemOf("/a/\tx"), "component 2 \"\\x09x\" contains the control character U+0009");
  EXPECT_EQ(PathProblemOf("a/b\\c"), "component 2 \"b\\x5Cc\" contains '\\' (the Blob API turns it into '/')");
}

TEST(Gen2PathProblem, SegmentCount) {
  std::string ok;
  for (int i = 0; i < 254; ++i) ok += "/d";
  EXPECT_EQ(Gen2PathProblem(ok), std::nullopt);
  EXPECT_EQ(PathProblemOf(ok + "/d"), "has 255 path segments; Gen2 allows at most 254");
}

TEST(Gen2PathProblem, LengthInUtf16Units) {
  // 1024 characters without the leading '/': fine; 1025: too long.
  std::string ok;
  for (char c : {'a', 'b', 'c', 'd'}) ok.append("/").append(200, c);
  ok.append("/").append(220, 'e');
  ASSERT_EQ(ok.size() - 1, 1024u);
  EXPECT_EQ(Gen2PathProblem(ok), std::nullopt);
  EXPECT_EQ(PathProblemOf(ok + "e"), "is 1025 characters long; Gen2 allows at most 1024");
  // Three-byte characters count once, four-byte ones (outside the BMP) twice.
  std::string cjk = "/";
  for (int i = 0; i < 4; ++i) {
    if (i > 0) cjk += "/";
    for (int j = 0; j < 80; ++j) cjk += "日";  // 240 bytes, 80 characters
  }
  EXPECT_EQ(Gen2PathProblem(cjk), std::nullopt);  // 323 characters, 963 bytes
  std::string emoji = "/";
  for (int i = 0; i < 9; ++i) {
    if (i > 0) emoji += "/";
    for (int j = 0; j < 57; ++j) emoji += "😀";  // 228 bytes, 114 UTF-16 units
  }
  EXPECT_EQ(PathProblemOf(emoji), "is 1034 characters long; Gen2 allows at most 1024");
}

TEST(Gen2SafeName, FineNamesAreUnchanged) {
  for (const char* name : {"file.txt", "12,+3#456?.txt", "per%cent", "unicode-ÄÖÜ-日本語", "%3A", ".hidden"}) {
    EXPECT_EQ(Gen2SafeName(name), name);
  }
}

TEST(Gen2SafeName, EscapesOnlyTheProblem) {
  EXPECT_EQ(Gen2SafeName("a:b"), "a%3Ab");
  EXPECT_EQ(Gen2SafeName("12:00:00.log"), "12%3A00%3A00.log");
  EXPECT_EQ(Gen2SafeName("a\\b"), "a%5Cb");
  EXPECT_EQ(Gen2SafeName("name."), "name%2E");
  EXPECT_EQ(Gen2SafeName("."), "%2E");
  EXPECT_EQ(Gen2SafeName(".."), ".%2E");
  EXPECT_EQ(Gen2SafeName("a.."), "a.%2E");
  EXPECT_EQ(Gen2SafeName(" "), "%20");
  EXPECT_EQ(Gen2SafeName("  "), "%20%20");
  EXPECT_EQ(Gen2SafeName(" \t"), "%20%09");
  EXPECT_EQ(Gen2SafeName("a\tb"), "a%09b");
  EXPECT_EQ(Gen2SafeName("x y:"), "x y%3A");         // other spaces stay
  EXPECT_EQ(Gen2SafeName("50%:"), "50%25%3A");       // '%' is escaped in a renamed name
  EXPECT_EQ(Gen2SafeName("日本:語"), "日本%3A語");   // other Unicode stays
  EXPECT_EQ(Gen2SafeName("\xff"), "%FF");            // invalid UTF-8 bytes
  EXPECT_EQ(Gen2SafeName("x\ue000"), "x%EE%80%80");  // private use
  EXPECT_EQ(Gen2SafeName("c1\u0085"), "c1%C2%85");
  EXPECT_EQ(Gen2SafeName("a/b"), "a%2Fb");
  EXPECT_EQ(Gen2SafeName(std::string("\0", 1)), "%00");
}

TEST(Gen2SafeName, LongNamesGetAHash) {
  std::string long_name(300, 'a');
  std::string safe = Gen2SafeName(long_name);
  EXPECT_EQ(safe.size(), 255u);
  EXPECT_EQ(safe.substr(0, 221), std::string(221, 'a'));
  EXPECT_EQ(safe.substr(221, 2), "%~");
  EXPECT_EQ(Gen2ComponentProblem(safe), std::nullopt);
  EXPECT_EQ(Gen2SafeName(long_name), safe);  // deterministic
  EXPECT_NE(Gen2SafeName(std::string(301, 'a')), safe);

  // Escaping can push a name over the limit; the cut never splits an escape or a character.
  std::string colons(100, ':');
  std::string safe_colons = Gen2SafeName(colons);
  EXPECT_LE(safe_colons.size(), 255u);
  EXPECT_EQ(safe_colons.find("%~"), 219u);  // 73 escapes of 3 bytes
  EXPECT_EQ(Gen2ComponentProblem(safe_colons), std::nullopt);
  std::string cjk;
  for (int i = 0; i < 100; ++i) cjk += "日";
  std::string safe_cjk = Gen2SafeName(cjk);
  EXPECT_EQ(safe_cjk.find("%~"), 219u);  // 73 whole characters
  EXPECT_EQ(Gen2ComponentProblem(safe_cjk), std::nullopt);
  EXPECT_EQ(Gen2SafeName("").substr(0, 2), "%~");
  EXPECT_EQ(Gen2ComponentProblem(Gen2SafeName("")), std::nullopt);
}

TEST(Gen2SafeName, MayEqualAnExistingFineName) {
  // Documented limit: only bad names are renamed, so a replacement can be a fine name that exists already.
  EXPECT_EQ(Gen2SafeName("a:b"), Gen2SafeName("a%3Ab"));
  EXPECT_EQ(Gen2SafeName(" "), "%20");
}

// Percent-decoding a renamed name (without the hash form) gives the original back.
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

TEST(Gen2SafeName, InjectiveAndAlwaysFine) {
  std::vector<std::string> bad = {"a:b",
                                  "a%3Ab:",
                                  "a%3Ab.",
                                  "a:b.",
                                  "a%3A:b",
                                  "a::b",
                                  "a%:b",
                                  "a%25:b",
                                  ":",
                                  "::",
                                  "%3A:",
                                  ".",
                                  "..",
                                  "...",
                                  "%2E.",
                                  "a.",
                                  "a%2E.",
                                  " ",
                                  "  ",
                                  "\t",
                                  " \t",
                                  "\t ",
                                  "%20:",
                                  "%20\t",
                                  "%09\t",
                                  "a\\b",
                                  "a%5Cb:",
                                  "a\tb",
                                  "a%09b:",
                                  "a\\",
                                  "\\.",
                                  "x\ue000",
                                  "x%EE%80%80:",
                                  std::string("\0", 1),
                                  std::string("\0\0", 2),
                                  "\xff",
                                  "%FF:",
                                  "\xc3",
                                  "\xc3\x28",
                                  "é:",
                                  "e\u0301:",
                                  std::string(256, 'a'),
                                  std::string(257, 'a'),
                                  std::string(300, ':'),
                                  std::string(299, ':') + ".",
                                  std::string(255, 'a') + ":",
                                  ""};
  std::set<std::string> seen;
  for (const std::string& name : bad) {
    ASSERT_TRUE(Gen2ComponentProblem(name).has_value()) << "test name should be bad: " << name;
    std::string safe = Gen2SafeName(name);
    EXPECT_EQ(Gen2ComponentProblem(safe), std::nullopt) << name << " -> " << safe;
    EXPECT_TRUE(seen.insert(safe).second) << "two names map to " << safe;
    EXPECT_EQ(Gen2SafeName(name), safe) << "not deterministic: " << name;
    if (safe.find("%~") == std::string::npos) {
      EXPECT_EQ(PercentDecode(safe), name) << safe;
    }
  }
}

}  // namespace
}  // namespace lakeshift::naming
