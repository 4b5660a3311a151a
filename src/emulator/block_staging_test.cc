#include "emulator/block_staging.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "gen2/errors.h"
#include "testing/status_macros.h"
#include "testing/temp_dir.h"

namespace lakeshift::emulator {
namespace {

size_t CountBlockFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir + "/data")) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

std::string ServiceCode(const Status& s) {
  return gen2::ToServiceError(s, gen2::Api::kBlob).code;
}

class BlockStagingTest : public testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    staging_.reset();
    auto opened = BlockStaging::Open(dir_.path() + "/blocks", [this] { return now_; });
    ASSERT_OK(opened);
    staging_ = std::move(*opened);
  }
  Result<int64_t> Stage(const std::string& path, const std::string& id, std::string_view data) {
    fs::StringInputStream in(data);
    return staging_->Stage(path, id, 3, in);
  }
  std::vector<std::string> Ids(const std::string& path) {
    auto blocks = staging_->Uncommitted(path);
    EXPECT_TRUE(blocks.ok()) << blocks.status();
    std::vector<std::string> out;
    if (blocks.ok()) {
      for (const StagedBlock& b : *blocks) out.push_back(b.block.id);
    }
    return out;
  }
  std::string Read(const StagedBlock& block) { return *fs::ReadAll(**staging_->OpenBlock(block)); }

  testing_util::TempDir dir_;
  int64_t now_ = 1'700'000'000'000;
  std::unique_ptr<BlockStaging> staging_;
};

TEST_F(BlockStagingTest, StagesReplacesAndKeepsStagingOrder) {
  EXPECT_EQ(*Stage("/f", "QUFB", "first"), 5);
  ASSERT_OK(Stage("/f", "QkJC", "second"));
  ASSERT_OK(Stage("/f", "QUFB", "again"));  // same id: replaced, and now the latest staged
  ASSERT_OK(Stage("/g", "QUFB", "other blob"));
  auto blocks = staging_->Uncommitted("/f");
  ASSERT_OK(blocks);
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].block, (gen2::BlobBlock{"QkJC", 6}));
  EXPECT_EQ((*blocks)[1].block, (gen2::BlobBlock{"QUFB", 5}));
  EXPECT_EQ(Read((*blocks)[1]), "again");
  EXPECT_EQ(CountBlockFiles(dir_.path() + "/blocks"), 3u);  // the replaced block's file is gone
}

TEST_F(BlockStagingTest, IdsOfOneBlobShareALength) {
  ASSERT_OK(Stage("/f", "QUFB", "x"));
  fs::StringInputStream in("y");
  auto longer = staging_->Stage("/f", "QUFBQQ==", 4, in);
  EXPECT_EQ(ServiceCode(longer.status()), "InvalidBlobOrBlock");
  EXPECT_EQ(Ids("/f"), std::vector<std::string>{"QUFB"});
  EXPECT_EQ(CountBlockFiles(dir_.path() + "/blocks"), 1u);
}

TEST_F(BlockStagingTest, AFailedUploadStagesNothing) {
  class Broken final : public fs::InputStream {
   public:
    Result<size_t> Read(char*, size_t) override { return IoError("client went away"); }
  } broken;
  EXPECT_FALSE(staging_->Stage("/f", "QUFB", 3, broken).ok());
  EXPECT_TRUE(Ids("/f").empty());
  EXPECT_EQ(CountBlockFiles(dir_.path() + "/blocks"), 0u);
}

TEST_F(BlockStagingTest, SurvivesReopenAndCommitDropsUncommitted) {
  ASSERT_OK(Stage("/dir/f", "QUFB", "kept"));
  Reopen();
  EXPECT_EQ(Ids("/dir/f"), std::vector<std::string>{"QUFB"});
  CommittedBlocks list{{{"QUFB", 4}}, 10, 20, 4};
  ASSERT_OK(staging_->SetCommitted("/dir/f", list));
  EXPECT_TRUE(Ids("/dir/f").empty());
  EXPECT_EQ(CountBlockFiles(dir_.path() + "/blocks"), 0u);
  Reopen();
  auto committed = staging_->Committed("/dir/f");
  ASSERT_OK(committed);
  ASSERT_TRUE(committed->has_value());
  EXPECT_EQ((*committed)->blocks, list.blocks);
  fs::FileInfo info;
  info.creation_time_ms = 10;
  info.modification_time_ms = 20;
  info.size = 4;
  EXPECT_TRUE((*committed)->Describes(info));
  info.modification_time_ms = 21;  // changed since (a DFS append and flush)
  EXPECT_FALSE((*committed)->Describes(info));
}

TEST_F(BlockStagingTest, ForgetAndMoveFollowTheNamespace) {
  ASSERT_OK(Stage("/d/a", "QUFB", "a"));
  ASSERT_OK(Stage("/d/sub/b", "QUFB", "b"));
  ASSERT_OK(Stage("/d-other", "QUFB", "c"));
  ASSERT_OK(staging_->SetCommitted("/d/c", {{{"QUFB", 1}}, 1, 1, 1}));
  ASSERT_OK(staging_->Move("/d", "/e"));
  EXPECT_TRUE(Ids("/d/a").empty());
  EXPECT_EQ(Ids("/e/a"), std::vector<std::string>{"QUFB"});
  EXPECT_EQ(Ids("/e/sub/b"), std::vector<std::string>{"QUFB"});
  EXPECT_TRUE(staging_->Committed("/e/c")->has_value());
  EXPECT_EQ(Ids("/d-other"), std::vector<std::string>{"QUFB"});  // a sibling with a longer name stays
  ASSERT_OK(staging_->Forget("/e", /*subtree=*/true));
  EXPECT_TRUE(Ids("/e/a").empty());
  EXPECT_TRUE(Ids("/e/sub/b").empty());
  EXPECT_FALSE(staging_->Committed("/e/c")->has_value());
  EXPECT_EQ(Ids("/d-other"), std::vector<std::string>{"QUFB"});
  EXPECT_EQ(CountBlockFiles(dir_.path() + "/blocks"), 1u);
}

TEST_F(BlockStagingTest, UncommittedBlocksExpireAfterAWeekWithoutPutBlock) {
  ASSERT_OK(Stage("/old", "QUFB", "old"));
  now_ += BlockStaging::kUncommittedLifetimeMs - 1000;
  ASSERT_OK(Stage("/new", "QUFB", "new"));
  now_ += 2000;
  Reopen();  // expiry runs at open (and at most hourly on Put Block)
  EXPECT_TRUE(Ids("/old").empty());
  EXPECT_EQ(Ids("/new"), std::vector<std::string>{"QUFB"});
  EXPECT_EQ(CountBlockFiles(dir_.path() + "/blocks"), 1u);
}

TEST_F(BlockStagingTest, CommitsOfOneBlobAreSerialised) {
  auto first = staging_->LockForCommit("/f");
  auto other = staging_->LockForCommit("/g");  // another blob does not wait
  std::atomic<bool> second_in{false};
  std::thread t([&] {
    auto second = staging_->LockForCommit("/f");
    second_in = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_in);
  first.reset();
  t.join();
  EXPECT_TRUE(second_in);
}

}  // namespace
}  // namespace lakeshift::emulator
