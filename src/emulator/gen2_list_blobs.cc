#include "emulator/gen2_list_blobs.h"

#include "common/path.h"
#include "emulator/gen2_blob.h"
#include "encoding/base64.h"
#include "gen2/blob_xml.h"
#include "gen2/wire.h"

namespace lakeshift::emulator {
namespace {

using gen2::MakeError;
using gen2::XmlEscape;

// Where a listing stopped, carried in NextMarker (opaque to clients): the blob name of the last item
// consumed, whether that directory's BlobPrefix went out too (delimiter "/"), and the BlobPrefix that a
// delimiter other than "/" was collapsing items into.
struct Cursor {
  std::string name;
  bool prefix_done = false;
  std::string group;
};

std::string EncodeMarker(const Cursor& c) {
  return encoding::Base64Encode(std::string(c.prefix_done ? "1" : "0") + std::to_string(c.name.size()) + ":" + c.name +
                                c.group);
}

Result<Cursor> DecodeMarker(const std::string& marker) {
  auto bad = [&] { return MakeError(400, "InvalidQueryParameterValue", "marker \"" + marker + "\" is not valid"); };
  auto text = encoding::Base64Decode(marker);
  if (!text.ok() || text->size() < 3 || ((*text)[0] != '0' && (*text)[0] != '1')) return bad();
  size_t colon = text->find(':');
  if (colon == std::string::npos) return bad();
  size_t length = 0;
  try {
    length = std::stoul(text->substr(1, colon - 1));
  } catch (...) {
    return bad();
  }
  if (colon + 1 + length > text->size()) return bad();
  return Cursor{text->substr(colon + 1, length), (*text)[0] == '1', text->substr(colon + 1 + length)};
}

// The items under a directory (its whole subtree in pre-order, or one level), one store page at a time.
class Walk {
 public:
  Walk(fs::FileSystem& store, std::string dir, bool recursive, std::string start_after, int page_size)
      : store_(store), dir_(std::move(dir)) {
    options_.recursive = recursive;
    options_.start_after = std::move(start_after);
    options_.max_results = page_size;
  }

  // The next item, or nullptr at the end.
  Result<const fs::FileInfo*> Next() {
    while (index_ >= page_.entries.size()) {
      if (done_) return nullptr;
      ASSIGN_OR_RETURN(page_, store_.List(dir_, options_));
      index_ = 0;
      done_ = page_.continuation.empty();
      options_.start_after = page_.continuation;
    }
    return &page_.entries[index_++];
  }

 private:
  fs::FileSystem& store_;
  std::string dir_;
  fs::ListOptions options_;
  fs::ListPage page_;
  size_t index_ = 0;
  bool done_ = false;
};

Result<gen2::ListBlobsInclude> ParseInclude(const Gen2Request& r) {
  gen2::ListBlobsInclude include;
  std::string list = r.Query("include").value_or("");
  size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    size_t end = std::min(list.find(',', start), list.size());
    std::string item = list.substr(start, end - start);
    for (char& c : item) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (item == "metadata") {
      include.metadata = true;
    } else if (item == "permissions") {
      include.permissions = true;
    } else if (item != "snapshots" && item != "uncommittedblobs" && item != "copy" && item != "deleted" &&
               item != "tags" && item != "versions" && item != "immutabilitypolicy" && item != "legalhold" &&
               item != "deletedwithversions") {
      // Accepted values that add nothing here: no snapshots, versions, tags or soft delete in the emulator.
      return MakeError(400, "InvalidQueryParameterValue", "include value \"" + item + "\" is not valid");
    }
    start = end + 1;
  }
  return include;
}

// Collects the entries of one page and remembers where it stopped.
class Page {
 public:
  Page(fs::FileSystem& store, gen2::ListBlobsInclude include, int max, Cursor start)
      : store_(store), include_(include), max_(max), last_(std::move(start)) {}

  // Adds an entry that leaves the listing at `after`; false when the page is already full.
  bool Add(const std::string& xml, Cursor after) {
    if (count_ == max_) {
      more_ = true;
      return false;
    }
    body_ += xml;
    ++count_;
    last_ = std::move(after);
    return true;
  }
  // Records an item consumed without an entry of its own (collapsed into the current BlobPrefix).
  void Skip(Cursor after) { last_ = std::move(after); }

  Result<std::string> BlobXml(const fs::FileInfo& info, const std::string& name) {
    std::string acl;
    if (include_.permissions) {
      ASSIGN_OR_RETURN(acl::AclState state, store_.GetAccessControl(info.path));
      acl = state.ToSpec();
    }
    return gen2::ListBlobsBlobXml(info, name, include_, acl);
  }

  const std::string& body() const { return body_; }
  std::string next_marker() const { return more_ ? EncodeMarker(last_) : ""; }
  const Cursor& last() const { return last_; }

 private:
  fs::FileSystem& store_;
  gen2::ListBlobsInclude include_;
  int max_;
  int count_ = 0;
  bool more_ = false;
  Cursor last_;
  std::string body_;
};

// The entries for one item; false when the page filled up before all of them went in.
Result<bool> AddItem(Page& page, const fs::FileInfo& info, const std::string& prefix, const std::string& delimiter) {
  std::string name = info.path.substr(1);
  if (delimiter.empty()) {
    ASSIGN_OR_RETURN(std::string xml, page.BlobXml(info, name));
    return page.Add(xml, {name, false, ""});
  }
  if (delimiter == "/") {
    ASSIGN_OR_RETURN(std::string xml, page.BlobXml(info, name));
    if (!page.Add(xml, {name, false, ""})) return false;
    if (info.is_directory()) return page.Add(gen2::ListBlobsPrefixXml(name + "/"), {name, true, ""});
    return true;
  }
  std::string group = page.last().group;
  size_t at = name.find(delimiter, prefix.size());
  if (at == std::string::npos) {
    ASSIGN_OR_RETURN(std::string xml, page.BlobXml(info, name));
    return page.Add(xml, {name, false, group});
  }
  std::string collapsed = name.substr(0, at + delimiter.size());
  if (collapsed == group) {
    page.Skip({name, true, group});
    return true;
  }
  return page.Add(gen2::ListBlobsPrefixXml(collapsed), {name, true, collapsed});
}

}  // namespace

Status ListBlobs(Gen2Request& r, fs::FileSystem& store, http::ResponseWriter& out) {
  std::string prefix = r.Query("prefix").value_or("");
  std::string delimiter = r.Query("delimiter").value_or("");
  std::string marker = r.Query("marker").value_or("");
  ASSIGN_OR_RETURN(int64_t max, QueryInt(r, "maxresults", 5000));
  if (max < 1) return MakeError(400, "OutOfRangeQueryParameterValue", "maxresults must be at least 1");
  max = std::min<int64_t>(max, 5000);
  ASSIGN_OR_RETURN(gen2::ListBlobsInclude include, ParseInclude(r));
  std::string showonly = r.Query("showonly").value_or("");
  if (!showonly.empty() && showonly != "deleted") {
    return MakeError(400, "InvalidQueryParameterValue", "showonly \"" + showonly + "\" is not valid");
  }
  Cursor start;
  if (!marker.empty()) {
    ASSIGN_OR_RETURN(start, DecodeMarker(marker));
  }

  // The prefix names a directory to walk (up to its last '/') and what the names below it start with.
  size_t slash = prefix.rfind('/');
  std::string base = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);  // "a/b/" or ""
  std::string name_prefix = prefix.substr(base.size());
  Page page(store, include, static_cast<int>(max), start);
  bool listable = showonly.empty();
  std::string dir = "/";
  if (!base.empty()) {
    auto normalized = path::Normalize("/" + base);
    listable = listable && normalized.ok();
    if (normalized.ok()) dir = *normalized;
  }
  if (listable) {
    auto info = store.GetFileInfo(dir);
    listable = info.ok() && info->is_directory();
    if (!info.ok() && info.status().code() != StatusCode::kNotFound &&
        info.status().code() != StatusCode::kNotADirectory && info.status().code() != StatusCode::kInvalidArgument) {
      return info.status();
    }
  }
  if (!marker.empty() && start.name.compare(0, base.size(), base) != 0) {
    return MakeError(400, "InvalidQueryParameterValue", "marker does not belong to prefix \"" + prefix + "\"");
  }

  bool full = false;
  std::string start_after = name_prefix;
  if (listable && !marker.empty()) {
    start_after = start.name.substr(base.size());
    if (delimiter == "/" && !start.prefix_done) {
      // The page ended between a directory's blob and its BlobPrefix.
      auto info = store.GetFileInfo("/" + start.name);
      if (info.ok() && info->is_directory()) {
        full = !page.Add(gen2::ListBlobsPrefixXml(start.name + "/"), {start.name, true, ""});
      }
    }
  } else if (listable && !name_prefix.empty()) {
    // The item named exactly by the prefix comes first; the walk resumes after it.
    auto exact = store.GetFileInfo(path::Join(dir, name_prefix));
    if (exact.ok()) {
      ASSIGN_OR_RETURN(bool fitted, AddItem(page, *exact, prefix, delimiter));
      full = !fitted;
    }
  }
  if (listable && !full) {
    Walk walk(store, dir, /*recursive=*/delimiter != "/", start_after,
              static_cast<int>(std::min<int64_t>(max + 1, 5000)));
    while (true) {
      ASSIGN_OR_RETURN(const fs::FileInfo* item, walk.Next());
      if (!item) break;
      // Siblings come in name order, so the first name outside the prefix ends the matching range.
      if (item->path.compare(1, prefix.size(), prefix) != 0) break;
      ASSIGN_OR_RETURN(bool fitted, AddItem(page, *item, prefix, delimiter));
      if (!fitted) break;
    }
  }

  std::string scheme = r.http->tls ? "https://" : "http://";
  std::string endpoint = scheme + r.Header("Host").value_or("127.0.0.1") + "/" + r.account + "/";
  std::string xml = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"" +
                    XmlEscape(endpoint) + "\" ContainerName=\"" + XmlEscape(r.filesystem) + "\">";
  if (r.HasQuery("prefix")) xml += "<Prefix>" + XmlEscape(prefix) + "</Prefix>";
  if (!marker.empty()) xml += "<Marker>" + XmlEscape(marker) + "</Marker>";
  if (r.HasQuery("maxresults")) xml += "<MaxResults>" + std::to_string(max) + "</MaxResults>";
  if (!delimiter.empty()) xml += "<Delimiter>" + XmlEscape(delimiter) + "</Delimiter>";
  xml += "<Blobs>" + page.body() + "</Blobs><NextMarker>" + XmlEscape(page.next_marker()) +
         "</NextMarker></EnumerationResults>";
  return SendBlob(r, out, 200, {{"Content-Type", "application/xml"}}, xml);
}

}  // namespace lakeshift::emulator
