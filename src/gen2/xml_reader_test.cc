#include "gen2/xml_reader.h"

#include <gtest/gtest.h>

namespace lakeshift::gen2 {
namespace {

TEST(XmlReaderTest, ReadsWhatTheSdksSend) {
  auto doc = ParseXml(
      "\xEF\xBB\xBF<?xml version='1.0' encoding='utf-8'?>\n<!-- a comment -->\n<StorageServiceProperties>\n"
      "  <Logging><Version>1.0</Version><Delete>true</Delete></Logging>\n"
      "  <Cors><CorsRule><AllowedOrigins>a.com &amp; b.com</AllowedOrigins></CorsRule><CorsRule /></Cors>\n"
      "  <Empty attr=\"x\"></Empty>\n"
      "</StorageServiceProperties>");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->name, "StorageServiceProperties");
  ASSERT_EQ(doc->children.size(), 3u);
  EXPECT_EQ(doc->Child("Logging")->Child("Delete")->text, "true");
  EXPECT_EQ(doc->Child("Cors")->children.size(), 2u);
  EXPECT_EQ(doc->Child("Cors")->children[0].Child("AllowedOrigins")->text, "a.com & b.com");
  EXPECT_EQ(doc->Child("Empty")->text, "");
  EXPECT_EQ(doc->Child("Missing"), nullptr);
}

TEST(XmlReaderTest, RefusesBrokenDocuments) {
  for (const char* bad : {"", "text", "<a>", "<a></b>", "<a>&nope;</a>", "<a></a><b></b>", "<a><!DOCTYPE x></a>",
                          "<a>&amp</a>", "<></>"}) {
    auto doc = ParseXml(bad);
    ASSERT_FALSE(doc.ok()) << bad;
    EXPECT_EQ(doc.status().detail()->service_code, "InvalidXmlDocument") << bad;
  }
}

}  // namespace
}  // namespace lakeshift::gen2
