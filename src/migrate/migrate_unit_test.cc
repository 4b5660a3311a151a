// Unit tests of the engine's parts that need no store: the journal, identity mapping, target plans, the
// buffer pool and the thread pool.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>

#include "migrate/concurrency.h"
#include "migrate/cutover.h"
#include "migrate/journal.h"
#include "migrate/metadata.h"
#include "migrate/migrator.h"
#include "migrate/transfer.h"
#include "store/local_store.h"
#include "testing/temp_dir.h"

namespace lakeshift::migrate {
namespace {

constexpr const char* kA = "a11ce000-0000-4000-8000-000000000001";
constexpr const char* kB = "b0b00000-0000-4000-8000-000000000002";
constexpr const char* kX = "0c0c0c0c-0000-4000-8000-000000000009";

TEST(JournalTest, KeepsItemsAcrossReopenAndListsUnseenDeepestFirst) {
  testing_util::TempDir dir;
  std::string file = dir.path() + "/j.db";
  {
    auto j = OpenSqliteJournal(file);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    ASSERT_TRUE((*j)->Bind("src", "dst").ok());
    auto run = (*j)->BeginRun("test");
    ASSERT_TRUE(run.ok());
    for (const char* p : {"/a", "/a/b", "/a/b/c.txt", "/z.txt"}) {
      JournalItem item;
      item.path = p;
      item.target_path = p;
      item.type = std::string(p).find('.') == std::string::npos ? fs::FileType::kDirectory : fs::FileType::kFile;
      item.state = ItemState::kDone;
      item.seen_run = *run;
      item.copies = 1;
      ASSERT_TRUE((*j)->Put(item).ok());
    }
    ASSERT_TRUE((*j)->FinishRun(*run, "ok", "{}").ok());
  }
  auto j = OpenSqliteJournal(file);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)->Bind("src", "dst").ok());
  EXPECT_EQ((*j)->Bind("src", "other").code(), StatusCode::kInvalidArgument);
  auto last = (*j)->LastRun();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->outcome, "ok");
  auto run = (*j)->BeginRun("test");
  ASSERT_TRUE(run.ok());
  auto z = (*j)->Get("/z.txt");
  ASSERT_TRUE(z.ok() && z->has_value());
  EXPECT_EQ((*z)->copies, 1);
  JournalItem seen = **z;
  seen.seen_run = *run;
  ASSERT_TRUE((*j)->Put(seen).ok());
  std::vector<std::string> unseen;
  ASSERT_TRUE((*j)->ForEachUnseen(*run,
                                  [&](const JournalItem& item) {
                                    unseen.push_back(item.path);
                                    return (*j)->Remove(item.path);  // the visitor may change rows
                                  })
                  .ok());
  EXPECT_EQ(unseen, (std::vector<std::string>{"/a/b/c.txt", "/a/b", "/a"}));
  auto gone = (*j)->Get("/a");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

// Writers share commits (group commit): every Put that returned is in the file, each row as its writer left it.
TEST(JournalTest, ConcurrentPutsAreAllCommitted) {
  testing_util::TempDir dir;
  std::string file = dir.path() + "/j.db";
  constexpr int kWriters = 16;
  constexpr int kEach = 150;
  {
    auto j = OpenSqliteJournal(file);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    std::vector<std::future<Status>> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.push_back(std::async(std::launch::async, [&journal = **j, w]() -> Status {
        for (int i = 0; i < kEach; ++i) {
          JournalItem item;
          item.path = "/w" + std::to_string(w) + "/f" + std::to_string(i);
          item.target_path = item.path;
          item.state = ItemState::kCopying;
          RETURN_IF_ERROR(journal.Put(item));
          item.state = ItemState::kDone;
          item.copies = w * 1000 + i;
          RETURN_IF_ERROR(journal.Put(item));
        }
        return Status::Ok();
      }));
    }
    for (auto& w : writers) EXPECT_TRUE(w.get().ok());
  }
  auto j = OpenSqliteJournal(file);
  ASSERT_TRUE(j.ok());
  int rows = 0;
  ASSERT_TRUE((*j)->ForEach([&](const JournalItem& item) {
                    ++rows;
                    int w = std::stoi(item.path.substr(2));
                    int i = std::stoi(item.path.substr(item.path.find("/f") + 2));
                    EXPECT_EQ(item.state, ItemState::kDone) << item.path;
                    EXPECT_EQ(item.copies, w * 1000 + i) << item.path;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(rows, kWriters * kEach);
}

// The gateway asks for a listing page at a time: answers line up with the question, across query batches.
TEST(JournalTest, KeptTimesOnlyForFinishedCopiesStillAtTheirEtag) {
  testing_util::TempDir dir;
  auto j = OpenSqliteJournal(dir.path() + "/j.db");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  constexpr int kFiles = 600;  // more than one batch of bound parameters
  for (int i = 0; i < kFiles; ++i) {
    JournalItem item;
    item.path = "/src/f" + std::to_string(i);
    item.target_path = "/dst/f" + std::to_string(i);
    item.state = i % 7 == 3 ? ItemState::kCopying : ItemState::kDone;
    item.target_etag = i % 11 == 5 ? "" : "etag-" + std::to_string(i);
    item.modification_time_ms = 1000 + i;
    item.access_time_ms = 2000 + i;
    ASSERT_TRUE((*j)->Put(item).ok());
  }
  // Asked in reverse order, with a changed etag here and there and paths the journal does not have.
  std::vector<std::string> paths;
  std::vector<std::string> etags;
  for (int i = kFiles + 20; i-- > 0;) {
    paths.push_back("/dst/f" + std::to_string(i));
    etags.push_back(i % 13 == 0 ? "changed" : "etag-" + std::to_string(i));
  }
  std::vector<TargetVersion> asked;
  for (size_t k = 0; k < paths.size(); ++k) asked.push_back({paths[k], etags[k]});
  auto kept = (*j)->GetKeptTimes(asked);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->size(), asked.size());
  int found = 0;
  for (size_t k = 0; k < asked.size(); ++k) {
    int i = std::stoi(paths[k].substr(6));
    bool expected = i < kFiles && i % 7 != 3 && i % 11 != 5 && i % 13 != 0;
    ASSERT_EQ((*kept)[k].has_value(), expected) << paths[k];
    if (!expected) continue;
    ++found;
    EXPECT_EQ((*kept)[k]->modification_time_ms, 1000 + i);
    EXPECT_EQ((*kept)[k]->access_time_ms, 2000 + i);
  }
  EXPECT_GT(found, kFiles / 2);
  auto none = (*j)->GetKeptTimes({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// Read ahead of a listing page: one range of the index, bounded, saying how far it got.
TEST(JournalTest, KeptUnderReadsOneDirectoryFromAPointAndSaysWhereItStopped) {
  testing_util::TempDir dir;
  auto j = OpenSqliteJournal(dir.path() + "/j.db");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto put = [&](const std::string& target, ItemState state, const std::string& etag, int64_t mtime) {
    JournalItem item;
    item.path = "/src" + target;
    item.target_path = target;
    item.state = state;
    item.target_etag = etag;
    item.modification_time_ms = mtime;
    item.access_time_ms = mtime + 1;
    ASSERT_TRUE((*j)->Put(item).ok());
  };
  put("/d/a", ItemState::kDone, "ea", 1);
  put("/d/a/x", ItemState::kDone, "ex", 2);
  put("/d/b", ItemState::kDone, "eb", 3);
  put("/d/c", ItemState::kCopying, "ec", 4);  // not finished
  put("/d/e", ItemState::kDone, "", 5);       // no etag recorded
  put("/d.x", ItemState::kDone, "o1", 6);     // outside /d, on either side of its range
  put("/d0", ItemState::kDone, "o2", 7);
  put("/dz", ItemState::kDone, "o3", 8);

  auto all = (*j)->GetKeptUnder("/d", "", 100);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->read_through.empty());
  ASSERT_EQ(all->by_target_path.size(), 3u);
  EXPECT_EQ(all->by_target_path.at("/d/a").target_etag, "ea");
  EXPECT_EQ(all->by_target_path.at("/d/a/x").times.modification_time_ms, 2);
  EXPECT_EQ(all->by_target_path.at("/d/b").times.access_time_ms, 4);

  EXPECT_EQ(all->read_after, "/d/");
  auto after_a = (*j)->GetKeptUnder("/d/", "a", 100);  // a trailing slash means the same directory
  ASSERT_TRUE(after_a.ok());
  EXPECT_EQ(after_a->read_after, "/d/a");
  EXPECT_EQ(after_a->by_target_path.count("/d/a"), 0u);
  EXPECT_EQ(after_a->by_target_path.count("/d/b"), 1u);

  auto cut = (*j)->GetKeptUnder("/d", "", 2);  // reads /d/a and /d/a/x, stops before /d/b
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->read_through, "/d/a/x");
  EXPECT_EQ(cut->by_target_path.size(), 2u);

  auto none = (*j)->GetKeptUnder("/d", "", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->read_through, "/d/");  // nothing read: only what sorts before the starting point is covered
  EXPECT_TRUE(none->by_target_path.empty());

  auto root = (*j)->GetKeptUnder("/", "", 100);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->by_target_path.size(), 6u);
  EXPECT_TRUE(root->read_through.empty());
}

TEST(JournalTest, AnUnreadableFileIsAClearError) {
  testing_util::TempDir dir;
  auto j = OpenSqliteJournal(dir.path() + "/missing-dir/j.db");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("cannot open the journal"), std::string::npos) << j.status().message();
}

acl::AclState SampleAcl() {
  acl::AclState s = acl::AclState::FromMode(kA, kB, 0750);
  auto entries = acl::ParseAclSpec(std::string("user::rwx,user:") + kX + ":r-x,group::r-x,mask::r-x,other::---");
  EXPECT_TRUE(entries.ok());
  s.access = *entries;
  return s;
}

TEST(CutoverTest, PhasesAreSharedThroughTheJournalFile) {
  testing_util::TempDir dir;
  std::string file = dir.path() + "/j.db";
  auto migrator = OpenSqliteJournal(file);
  ASSERT_TRUE(migrator.ok()) << migrator.status();
  auto gateway = OpenSqliteJournal(file);  // another process's view of the same file
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  auto fresh = ReadCutover(**gateway);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->phase, CutoverPhase::kPassThrough);
  EXPECT_EQ(fresh->changed_ms, 0);
  ASSERT_TRUE(WriteCutover(**migrator, CutoverPhase::kFrozen, "final sync").ok());
  auto frozen = ReadCutover(**gateway);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(frozen->phase, CutoverPhase::kFrozen);
  EXPECT_EQ(frozen->note, "final sync");
  EXPECT_GT(frozen->changed_ms, 0);
  ASSERT_TRUE(WriteCutover(**migrator, CutoverPhase::kSwitched, "complete migration").ok());
  EXPECT_EQ(ReadCutover(**gateway)->phase, CutoverPhase::kSwitched);
  // A phase this version does not know is an error, not pass-through.
  ASSERT_TRUE((*migrator)->SetValue("cutover.phase", "sideways").ok());
  auto unknown = ReadCutover(**gateway);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("sideways"), std::string::npos);
  for (CutoverPhase p : {CutoverPhase::kPassThrough, CutoverPhase::kFrozen, CutoverPhase::kSwitched}) {
    EXPECT_EQ(*ParseCutoverPhase(CutoverPhaseName(p)), p);
  }
}

TEST(MetadataTest, IdentityMapTranslatesOwnersGroupsAndEntries) {
  IdentityMap map;
  map.Add(kA, "a2000000-0000-4000-8000-000000000001");
  std::set<std::string> unmapped;
  auto kept = MapIdentities(SampleAcl(), map, UnmappedPolicy::kKeep, &unmapped);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->owner, "a2000000-0000-4000-8000-000000000001");
  EXPECT_EQ(kept->group, kB);
  EXPECT_EQ(unmapped, (std::set<std::string>{kB, kX}));
  auto dropped = MapIdentities(SampleAcl(), map, UnmappedPolicy::kDrop, nullptr);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->group, "");
  EXPECT_EQ(dropped->ToSpec().find(kX), std::string::npos) << dropped->ToSpec();
  auto stopped = MapIdentities(SampleAcl(), map, UnmappedPolicy::kStop, nullptr);
  EXPECT_EQ(stopped.status().code(), StatusCode::kInvalidArgument);
  // Host account names from a local directory never pass through as they are.
  acl::AclState local = acl::AclState::FromMode("alice", "staff", 0640);
  auto host = MapIdentities(local, IdentityMap{}, UnmappedPolicy::kKeep, nullptr, /*host_accounts=*/true);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->owner, "");
  EXPECT_EQ(host->mode(), 0640);
}

TEST(MetadataTest, IdentityMapCsvNamesTheBadLine) {
  testing_util::TempDir dir;
  std::string file = dir.path() + "/map.csv";
  std::ofstream(file) << "source,target\n" << kA << "," << kB << "\n# comment\nnot a pair\n";
  auto map = IdentityMap::LoadCsv(file);
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("line 4"), std::string::npos) << map.status().message();
}

TEST(MetadataTest, PlanCarriesTheWholeAclAndTheStickyBitSeparately) {
  fs::Capabilities gen2;
  gen2.acls = gen2.set_owner = gen2.properties = gen2.expiry = true;
  SourceMetadata meta;
  meta.acl = SampleAcl();
  meta.acl.sticky = true;
  meta.modification_time_ms = 1234;
  meta.expiry_time_ms = 99;
  TargetPlan file = PlanTarget(meta.acl, meta, /*is_directory=*/false, gen2);
  ASSERT_TRUE(file.create.acl.has_value());
  EXPECT_EQ(acl::FormatAclSpec(*file.create.acl), meta.acl.ToSpec());
  EXPECT_FALSE(file.create.permission.has_value());
  ASSERT_TRUE(file.after_create.has_value());
  EXPECT_EQ(*file.after_create->mode, meta.acl.mode());
  EXPECT_EQ(file.create.properties[kSourceModificationTimeProperty], "1234");
  EXPECT_EQ(file.create.expiry_time_ms, 99);
  fs::Capabilities posix;
  posix.set_times = true;
  TargetPlan local = PlanTarget(meta.acl, meta, /*is_directory=*/true, posix);
  EXPECT_EQ(local.create.permission, meta.acl.mode());
  EXPECT_EQ(local.create.umask, 0);
  EXPECT_TRUE(local.create.properties.empty());
  EXPECT_NE(MetadataSignature(meta), MetadataSignature(SourceMetadata{}));
}

TEST(ConcurrencyTest, BufferPoolNeverHandsOutMoreThanItsCount) {
  BufferPool pool(3, 1024);
  std::atomic<int> out{0}, peak{0};
  {
    ThreadPool threads(8, 64);
    for (int i = 0; i < 64; ++i) {
      threads.Submit([&] {
        BufferPool::Lease lease = pool.Acquire();
        int now = ++out;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        lease->assign(100, 'x');
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --out;
      });
    }
    threads.Wait();
  }
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 1);
}

// More large files at once than the pool has buffers for a window each: every copy must still finish (files
// never wait for buffers while holding some).
TEST(TransferTest, ManyLargeFilesShareASmallBufferPool) {
  testing_util::TempDir dir;
  store::LocalStoreOptions o;
  o.directory = dir.path() + "/store";
  o.policy = &acl::AclPolicy::Gen2();
  auto store = store::LocalStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto fs = (*store)->AsSuperuser();
  std::string data(20 * 1024 + 7, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fs::WriteFile(*fs, "/src/f" + std::to_string(i), data).ok());
  BufferPool buffers(3, 1024);
  ThreadPool ranges(4, 16);
  TransferContext context{&buffers, &ranges, nullptr, 8};
  auto done = std::async(std::launch::async, [&] {
    std::vector<std::future<Status>> copies;
    for (int i = 0; i < 6; ++i) {
      copies.push_back(std::async(std::launch::async, [&, i]() -> Status {
        std::string name = "/src/f" + std::to_string(i);
        ASSIGN_OR_RETURN(fs::FileInfo info, fs->GetFileInfo(name));
        return CopyFileContent(*fs, name, info, *fs, "/dst/f" + std::to_string(i), fs::CreateOptions{}, true, context)
            .status();
      }));
    }
    Status all;
    for (auto& c : copies) {
      Status s = c.get();
      if (!s.ok()) all = s;
    }
    return all;
  });
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the copies deadlocked";
  Status s = done.get();
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(*fs::ReadFile(*fs, "/dst/f" + std::to_string(i)), data);
}

TEST(PathTest, JoinPathKeepsRootsAndRelativePathsApart) {
  EXPECT_EQ(JoinPath("/", "/a"), "/a");
  EXPECT_EQ(JoinPath("/x", "/"), "/x");
  EXPECT_EQ(JoinPath("/x", "/a/b"), "/x/a/b");
}

}  // namespace
}  // namespace lakeshift::migrate
