#include "gen2client/append_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace lakeshift::gen2client {
namespace {

TEST(AppendTrackerTest, EndIsCommittedPlusContiguousStagedBytes) {
  AppendTracker t;
  EXPECT_FALSE(t.KnownEnd("/f").has_value());
  t.Learn("/f", 10, "e1");
  EXPECT_EQ(t.KnownEnd("/f"), 10);
  t.Staged("/f", 20, 30);  // a gap: not contiguous
  EXPECT_EQ(t.KnownEnd("/f"), 10);
  t.Staged("/f", 10, 20);
  EXPECT_EQ(t.KnownEnd("/f"), 30);
  t.Staged("/f", 25, 25);  // empty: nothing
  EXPECT_EQ(t.KnownEnd("/f"), 30);
}

TEST(AppendTrackerTest, StagedBytesCountWhileTheEtagIsTheOneTheyWereAppendedTo) {
  AppendTracker t;
  t.Learn("/f", 0, "e1");
  t.Staged("/f", 0, 100);
  t.Learn("/f", 0, "e1");  // asked again, nothing flushed meanwhile: the staged bytes still count
  EXPECT_EQ(t.KnownEnd("/f"), 100);
  // Another process re-created the file (or flushed without retaining): the staged bytes are gone.
  t.Learn("/f", 0, "e2");
  EXPECT_EQ(t.KnownEnd("/f"), 0);
  // Etags are compared without quotes (flush answers carry them quoted, HEADs are parsed).
  t.Committed("/f", 5, "\"e3\"");
  t.Staged("/f", 5, 9);
  t.Learn("/f", 5, "e3");
  EXPECT_EQ(t.KnownEnd("/f"), 9);
  t.Learn("/f", 5, "W/\"e3\"");
  EXPECT_EQ(t.KnownEnd("/f"), 9);
  // This process's own metadata change: a new etag, the staged bytes still there.
  t.Touched("/f", "\"e4\"");
  t.Learn("/f", 5, "e4");
  EXPECT_EQ(t.KnownEnd("/f"), 9);
  // Ranges staged while no etag was known (the entry was evicted or forgotten meanwhile) are this process's own.
  t.Forget("/f");
  t.Staged("/f", 9, 12);
  t.Learn("/f", 9, "e5");
  EXPECT_EQ(t.KnownEnd("/f"), 12);
}

TEST(AppendTrackerTest, LearningACommittedLengthDropsTheRangesItCovers) {
  AppendTracker t;
  t.Committed("/f", 0, "e1");
  t.Staged("/f", 0, 10);
  t.Staged("/f", 10, 20);
  t.Learn("/f", 10, "e1");  // etag unchanged (a retained flush elsewhere): only covered ranges go
  EXPECT_EQ(t.KnownEnd("/f"), 20);
}

TEST(AppendTrackerTest, CommittedClearsStagedRanges) {
  AppendTracker t;
  t.Learn("/f", 0, "e1");
  t.Staged("/f", 0, 10);
  t.Staged("/f", 50, 60);
  t.Committed("/f", 10, "e2");
  EXPECT_EQ(t.KnownEnd("/f"), 10);
  t.Staged("/f", 10, 12);
  EXPECT_EQ(t.KnownEnd("/f"), 12);
}

TEST(AppendTrackerTest, ForgetDropsThePathAndEverythingUnderIt) {
  AppendTracker t;
  for (const char* p : {"/d", "/d/a", "/d/sub/b", "/dd", "/e"}) t.Learn(p, 1, "e");
  t.Forget("/d");
  EXPECT_FALSE(t.Knows("/d"));
  EXPECT_FALSE(t.Knows("/d/a"));
  EXPECT_FALSE(t.Knows("/d/sub/b"));
  EXPECT_TRUE(t.Knows("/dd"));  // a sibling whose name starts the same
  EXPECT_TRUE(t.Knows("/e"));
  t.Forget("/");
  EXPECT_FALSE(t.Knows("/dd"));
  EXPECT_FALSE(t.Knows("/e"));
}

TEST(AppendTrackerTest, StaysBoundedAndKeepsFilesWithStagedBytesLongest) {
  AppendTracker t(/*max_files=*/4);
  t.Learn("/busy", 0, "e");
  t.Staged("/busy", 0, 7);
  for (int i = 0; i < 10; ++i) t.Learn("/idle" + std::to_string(i), i, "e");
  EXPECT_EQ(t.KnownEnd("/busy"), 7);
  int known = 0;
  for (int i = 0; i < 10; ++i) known += t.Knows("/idle" + std::to_string(i)) ? 1 : 0;
  EXPECT_LE(known + 1, 4);
  EXPECT_TRUE(t.Knows("/idle9"));  // the newest is always kept
}

TEST(AppendTrackerTest, RangesAreKeptMergedWhateverTheOrder) {
  AppendTracker t;
  t.Learn("/f", 0, "e");
  t.Staged("/f", 30, 40);
  t.Staged("/f", 10, 20);
  t.Staged("/f", 50, 60);
  EXPECT_EQ(t.KnownEnd("/f"), 0);
  t.Staged("/f", 20, 30);  // joins [10,20) and [30,40)
  t.Staged("/f", 0, 10);
  EXPECT_EQ(t.KnownEnd("/f"), 40);
  t.Staged("/f", 35, 55);  // overlaps [10,40) and [50,60)
  EXPECT_EQ(t.KnownEnd("/f"), 60);
  t.Staged("/f", 5, 15);  // inside
  EXPECT_EQ(t.KnownEnd("/f"), 60);
  for (int64_t i = 60; i < 100060; i += 4) t.Staged("/f", i, i + 4);  // 25,000 sequential appends: one range
  EXPECT_EQ(t.KnownEnd("/f"), 100060);
}

TEST(AppendTrackerTest, ConcurrentCallersSeeEachOthersRanges) {
  AppendTracker t;
  t.Learn("/f", 0, "e");
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int64_t w = 0; w < 8; ++w) {
    threads.emplace_back([&t, w] {
      for (int64_t i = 0; i < 100; ++i) t.Staged("/f", (w * 100 + i) * 10, (w * 100 + i + 1) * 10);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(t.KnownEnd("/f"), 8000);
}

}  // namespace
}  // namespace lakeshift::gen2client
