#include "gen2/blob_xml.h"

#include "encoding/percent.h"
#include "encoding/time_format.h"
#include "gen2/errors.h"
#include "gen2/wire.h"

namespace lakeshift::gen2 {
namespace {

Status BadXml(const std::string& why) {
  return MakeError(400, "InvalidXmlDocument", "block list: " + why);
}

// A cursor over the block list text with the few XML pieces the body can hold.
class XmlCursor {
 public:
  explicit XmlCursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  bool StartsWith(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  // Whitespace, comments and processing instructions (the XML declaration).
  Status SkipMisc() {
    while (true) {
      while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
      if (StartsWith("<!--")) {
        RETURN_IF_ERROR(SkipPast("-->"));
      } else if (StartsWith("<?")) {
        RETURN_IF_ERROR(SkipPast("?>"));
      } else {
        return Status::Ok();
      }
    }
  }

  // "<Name>", "<Name/>" or "</Name>" (attributes are ignored). Sets closing/self_closing.
  Result<std::string> Tag(bool* closing, bool* self_closing) {
    if (AtEnd() || text_[pos_] != '<') return BadXml("expected an element at offset " + std::to_string(pos_));
    size_t end = text_.find('>', pos_);
    if (end == std::string_view::npos) return BadXml("unterminated tag at offset " + std::to_string(pos_));
    std::string_view inside = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    *closing = !inside.empty() && inside.front() == '/';
    if (*closing) inside.remove_prefix(1);
    *self_closing = !inside.empty() && inside.back() == '/';
    if (*self_closing) inside.remove_suffix(1);
    size_t name_end = 0;
    while (name_end < inside.size() && !IsSpace(inside[name_end])) ++name_end;
    if (name_end == 0) return BadXml("empty tag name");
    return std::string(inside.substr(0, name_end));
  }

  // Character data up to the next '<', with entities decoded and surrounding whitespace trimmed.
  Result<std::string> Text() {
    size_t end = text_.find('<', pos_);
    if (end == std::string_view::npos) return BadXml("unterminated element text");
    std::string_view raw = text_.substr(pos_, end - pos_);
    pos_ = end;
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos) return BadXml("unterminated entity");
      std::string_view entity = raw.substr(i + 1, semi - i - 1);
      i = semi;
      if (entity == "amp") {
        out += '&';
      } else if (entity == "lt") {
        out += '<';
      } else if (entity == "gt") {
        out += '>';
      } else if (entity == "quot") {
        out += '"';
      } else if (entity == "apos") {
        out += '\'';
      } else if (entity.size() > 1 && entity[0] == '#') {
        bool hex = entity[1] == 'x' || entity[1] == 'X';
        std::string digits(entity.substr(hex ? 2 : 1));
        unsigned long code = 0;
        try {
          size_t used = 0;
          code = std::stoul(digits, &used, hex ? 16 : 10);
          if (used != digits.size()) throw std::invalid_argument("digits");
        } catch (...) {
          return BadXml("bad character reference &" + std::string(entity) + ";");
        }
        if (code == 0 || code > 0x7F) return BadXml("character reference outside ASCII in a block id");
        out += static_cast<char>(code);
      } else {
        return BadXml("unknown entity &" + std::string(entity) + ";");
      }
    }
    size_t first = 0;
    while (first < out.size() && IsSpace(out[first])) ++first;
    size_t last = out.size();
    while (last > first && IsSpace(out[last - 1])) --last;
    return out.substr(first, last - first);
  }

 private:
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  Status SkipPast(std::string_view end) {
    size_t at = text_.find(end, pos_);
    if (at == std::string_view::npos) return BadXml("unterminated markup at offset " + std::to_string(pos_));
    pos_ = at + end.size();
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void AppendElement(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) {
    out += "<" + std::string(name) + " />";
    return;
  }
  out += "<" + std::string(name) + ">" + XmlEscape(value) + "</" + std::string(name) + ">";
}

void AppendBlocks(std::string& out, std::string_view element, const std::vector<BlobBlock>& blocks) {
  out += "<" + std::string(element) + ">";
  for (const BlobBlock& b : blocks) {
    out += "<Block><Name>" + XmlEscape(b.id) + "</Name><Size>" + std::to_string(b.size) + "</Size></Block>";
  }
  out += "</" + std::string(element) + ">";
}

// Names with characters XML 1.0 cannot carry go out percent-encoded, flagged Encoded="true".
std::string NameXml(std::string_view name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return "<Name Encoded=\"true\">" + encoding::PercentEncodePath(name) + "</Name>";
    }
  }
  return "<Name>" + XmlEscape(name) + "</Name>";
}

}  // namespace

Result<std::vector<BlockRef>> ParseBlockList(std::string_view xml) {
  if (xml.substr(0, 3) == "\xEF\xBB\xBF") xml.remove_prefix(3);
  XmlCursor c(xml);
  RETURN_IF_ERROR(c.SkipMisc());
  bool closing = false;
  bool self_closing = false;
  ASSIGN_OR_RETURN(std::string root, c.Tag(&closing, &self_closing));
  if (root != "BlockList" || closing) return BadXml("the root element must be BlockList, not " + root);
  std::vector<BlockRef> refs;
  while (!self_closing) {
    RETURN_IF_ERROR(c.SkipMisc());
    ASSIGN_OR_RETURN(std::string name, c.Tag(&closing, &self_closing));
    if (closing) {
      if (name != "BlockList") return BadXml("unexpected closing tag " + name);
      break;
    }
    BlockRef ref;
    if (name == "Latest") {
      ref.kind = BlockListKind::kLatest;
    } else if (name == "Committed") {
      ref.kind = BlockListKind::kCommitted;
    } else if (name == "Uncommitted") {
      ref.kind = BlockListKind::kUncommitted;
    } else {
      return BadXml("unexpected element " + name + " (expected Latest, Committed or Uncommitted)");
    }
    if (self_closing) return BadXml("empty " + name + " element");
    ASSIGN_OR_RETURN(ref.id, c.Text());
    ASSIGN_OR_RETURN(std::string end, c.Tag(&closing, &self_closing));
    if (!closing || end != name) return BadXml(name + " is not closed");
    refs.push_back(std::move(ref));
    self_closing = false;
  }
  RETURN_IF_ERROR(c.SkipMisc());
  if (!c.AtEnd()) return BadXml("content after the BlockList element");
  return refs;
}

std::string RenderBlockList(const std::vector<BlobBlock>* committed, const std::vector<BlobBlock>* uncommitted) {
  std::string out = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  if (committed) AppendBlocks(out, "CommittedBlocks", *committed);
  if (uncommitted) AppendBlocks(out, "UncommittedBlocks", *uncommitted);
  return out + "</BlockList>";
}

std::string ListBlobsBlobXml(const fs::FileInfo& info, std::string_view name, const ListBlobsInclude& include,
                             std::string_view acl) {
  std::string out = "<Blob>" + NameXml(name) + "<Properties>";
  AppendElement(out, "Creation-Time", encoding::FormatRfc1123(info.creation_time_ms));
  AppendElement(out, "Last-Modified",
                encoding::FormatRfc1123(std::max(info.modification_time_ms, info.change_time_ms)));
  AppendElement(out, "Etag", info.etag);
  AppendElement(out, "ResourceType", info.is_directory() ? "directory" : "file");
  AppendElement(out, "Content-Length", std::to_string(info.size));
  std::string type = info.content.content_type;
  if (type.empty() && info.is_file()) type = "application/octet-stream";
  AppendElement(out, "Content-Type", type);
  AppendElement(out, "Content-Encoding", info.content.content_encoding);
  AppendElement(out, "Content-Language", info.content.content_language);
  AppendElement(out, "Content-CRC64", "");
  AppendElement(out, "Content-MD5", info.content_md5);
  AppendElement(out, "Cache-Control", info.content.cache_control);
  AppendElement(out, "Content-Disposition", info.content.content_disposition);
  AppendElement(out, "BlobType", "BlockBlob");
  AppendElement(out, "AccessTier", "Hot");
  AppendElement(out, "AccessTierInferred", "true");
  AppendElement(out, "LeaseStatus", "unlocked");
  AppendElement(out, "LeaseState", "available");
  AppendElement(out, "ServerEncrypted", "true");
  if (include.permissions) {
    AppendElement(out, "Owner", info.owner);
    AppendElement(out, "Group", info.group);
    AppendElement(out, "Permissions", FormatPermissions(info));
    AppendElement(out, "Acl", acl);
  }
  if (info.expiry_time_ms) AppendElement(out, "Expiry-Time", encoding::FormatRfc1123(info.expiry_time_ms));
  out += "</Properties>";
  if (include.metadata) {
    fs::Properties metadata = info.properties;
    if (info.is_directory()) metadata.emplace("hdi_isfolder", "true");  // how HNS directories show as blobs
    out += "<Metadata>";
    for (const auto& [key, value] : metadata) AppendElement(out, key, value);
    out += "</Metadata>";
  }
  return out + "<OrMetadata /></Blob>";
}

std::string ListBlobsPrefixXml(std::string_view name) {
  return "<BlobPrefix>" + NameXml(name) + "</BlobPrefix>";
}

}  // namespace lakeshift::gen2
