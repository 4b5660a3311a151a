#include "gen2/blob_xml.h"

#include <gtest/gtest.h>

#include "gen2/errors.h"
#include "testing/status_macros.h"

namespace lakeshift::gen2 {
namespace {

using Kind = BlockListKind;

TEST(BlockListXmlTest, ParsesWhatTheSdksSend) {
  auto refs = ParseBlockList(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- comment -->\n<BlockList>\n"
      "  <Latest>QUFB</Latest>\n  <Committed> QkJC </Committed><Uncommitted>Q0ND</Uncommitted>\n"
      "  <Latest>RE&#x52;E=</Latest></BlockList>\n");
  ASSERT_OK(refs);
  std::vector<BlockRef> expected = {
      {Kind::kLatest, "QUFB"}, {Kind::kCommitted, "QkJC"}, {Kind::kUncommitted, "Q0ND"}, {Kind::kLatest, "RERE="}};
  EXPECT_EQ(*refs, expected);
  EXPECT_TRUE(ParseBlockList("<BlockList/>")->empty());
  EXPECT_TRUE(ParseBlockList("<BlockList></BlockList>")->empty());
}

TEST(BlockListXmlTest, RejectsMalformedBodies) {
  for (const char* bad :
       {"", "<Other/>", "<BlockList><Latest>a</Latest>", "<BlockList><Latest>a</Committed></BlockList>",
        "<BlockList><Block>a</Block></BlockList>", "<BlockList><Latest/></BlockList>",
        "<BlockList></BlockList>trailing", "<BlockList><Latest>&bogus;</Latest></BlockList>"}) {
    auto refs = ParseBlockList(bad);
    ASSERT_FALSE(refs.ok()) << bad;
    EXPECT_EQ(ToServiceError(refs.status(), Api::kBlob).code, "InvalidXmlDocument") << bad;
    EXPECT_EQ(ToServiceError(refs.status(), Api::kBlob).http_status, 400);
  }
}

TEST(BlockListXmlTest, RendersGetBlockList) {
  std::vector<BlobBlock> committed = {{"QUFB", 5}};
  std::vector<BlobBlock> uncommitted;
  EXPECT_EQ(RenderBlockList(&committed, &uncommitted),
            "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><CommittedBlocks><Block><Name>QUFB"
            "</Name><Size>5</Size></Block></CommittedBlocks><UncommittedBlocks></UncommittedBlocks></BlockList>");
  EXPECT_EQ(RenderBlockList(nullptr, &committed).find("CommittedBlocks><Block>"), std::string::npos);
}

TEST(ListBlobsXmlTest, DirectoriesAreZeroLengthBlobsMarkedAsFolders) {
  fs::FileInfo dir;
  dir.path = "/a/dir";
  dir.type = fs::FileType::kDirectory;
  dir.etag = "0x1";
  dir.properties = {{"k", "v&w"}};
  std::string xml = ListBlobsBlobXml(dir, "a/dir", {.metadata = true}, "");
  EXPECT_NE(xml.find("<Name>a/dir</Name>"), std::string::npos);
  EXPECT_NE(xml.find("<ResourceType>directory</ResourceType>"), std::string::npos);
  EXPECT_NE(xml.find("<Content-Length>0</Content-Length>"), std::string::npos);
  EXPECT_NE(xml.find("<Metadata><hdi_isfolder>true</hdi_isfolder><k>v&amp;w</k></Metadata>"), std::string::npos);
  EXPECT_EQ(xml.find("<Owner>"), std::string::npos);

  fs::FileInfo file;
  file.path = "/x<y";
  file.size = 7;
  file.owner = "$superuser";
  file.content_md5 = "md5==";
  xml = ListBlobsBlobXml(file, "x<y", {.permissions = true}, "user::rw-");
  EXPECT_NE(xml.find("<Name>x&lt;y</Name>"), std::string::npos);
  EXPECT_NE(xml.find("<ResourceType>file</ResourceType><Content-Length>7</Content-Length>"
                     "<Content-Type>application/octet-stream</Content-Type>"),
            std::string::npos);
  EXPECT_NE(xml.find("<Content-MD5>md5==</Content-MD5>"), std::string::npos);
  EXPECT_NE(xml.find("<Owner>$superuser</Owner>"), std::string::npos);
  EXPECT_NE(xml.find("<Acl>user::rw-</Acl>"), std::string::npos);
  EXPECT_EQ(xml.find("<Metadata>"), std::string::npos);
  // Names XML cannot carry go out percent-encoded.
  EXPECT_NE(ListBlobsPrefixXml("a\x01/").find("<Name Encoded=\"true\">a%01/</Name>"), std::string::npos);
}

}  // namespace
}  // namespace lakeshift::gen2
