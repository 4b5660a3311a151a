#include "store/node_table.h"

#include <nlohmann/json.hpp>

namespace lakeshift::store {
namespace {

constexpr const char* kColumns =
    "id, parent_id, name, is_dir, size, data_key, owner, grp, sticky, access_acl, default_acl, creation_ms, "
    "modification_ms, access_ms, change_ms, expiry_ms, etag, content_md5, content_headers, properties";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS nodes (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  is_dir INTEGER NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  data_key TEXT,
  owner TEXT NOT NULL,
  grp TEXT NOT NULL,
  sticky INTEGER NOT NULL DEFAULT 0,
  access_acl TEXT NOT NULL,
  default_acl TEXT NOT NULL DEFAULT '',
  creation_ms INTEGER NOT NULL,
  modification_ms INTEGER NOT NULL,
  access_ms INTEGER NOT NULL,
  change_ms INTEGER NOT NULL,
  expiry_ms INTEGER NOT NULL DEFAULT 0,
  etag TEXT NOT NULL,
  content_md5 TEXT NOT NULL DEFAULT '',
  content_headers TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS nodes_by_parent_name ON nodes(parent_id, name);
CREATE INDEX IF NOT EXISTS nodes_expiring ON nodes(expiry_ms) WHERE expiry_ms > 0;
CREATE TABLE IF NOT EXISTS staged (
  data_key TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  PRIMARY KEY (data_key, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inline_content (data_key TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_unlink (data_key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
)sql";

constexpr const char* kSubtreeCte =
    "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id) ";

std::string HeadersToJson(const fs::ContentHeaders& h) {
  if (h == fs::ContentHeaders{}) return "";
  nlohmann::json j = {{"type", h.content_type},
                      {"encoding", h.content_encoding},
                      {"language", h.content_language},
                      {"disposition", h.content_disposition},
                      {"cache", h.cache_control}};
  return j.dump();
}

fs::ContentHeaders HeadersFromJson(const std::string& text) {
  fs::ContentHeaders h;
  if (text.empty()) return h;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return h;
  h.content_type = j.value("type", "");
  h.content_encoding = j.value("encoding", "");
  h.content_language = j.value("language", "");
  h.content_disposition = j.value("disposition", "");
  h.cache_control = j.value("cache", "");
  return h;
}

std::string PropertiesToJson(const fs::Properties& p) {
  return p.empty() ? "" : nlohmann::json(p).dump();
}

fs::Properties PropertiesFromJson(const std::string& text) {
  if (text.empty()) return {};
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return {};
  return j.get<fs::Properties>();
}

std::string AclSpec(const std::vector<acl::AclEntry>& entries) {
  return acl::FormatAclSpec(entries);
}

void BindNode(Statement& s, const Node& n, int first) {
  s.Bind(first, n.parent_id)
      .Bind(first + 1, n.name)
      .Bind(first + 2, int64_t{n.is_dir})
      .Bind(first + 3, n.size)
      .BindOptional(first + 4, n.is_dir ? std::optional<std::string>() : std::optional<std::string>(n.data_key))
      .Bind(first + 5, n.acl.owner)
      .Bind(first + 6, n.acl.group)
      .Bind(first + 7, int64_t{n.acl.sticky})
      .Bind(first + 8, AclSpec(n.acl.access))
      .Bind(first + 9, AclSpec(n.acl.default_acl))
      .Bind(first + 10, n.creation_ms)
      .Bind(first + 11, n.modification_ms)
      .Bind(first + 12, n.access_ms)
      .Bind(first + 13, n.change_ms)
      .Bind(first + 14, n.expiry_ms)
      .Bind(first + 15, n.etag)
      .Bind(first + 16, n.content_md5)
      .Bind(first + 17, HeadersToJson(n.content))
      .Bind(first + 18, PropertiesToJson(n.properties));
}

}  // namespace

fs::FileInfo Node::ToFileInfo(std::string path) const {
  fs::FileInfo info;
  info.path = std::move(path);
  info.type = is_dir ? fs::FileType::kDirectory : fs::FileType::kFile;
  info.size = is_dir ? 0 : size;
  info.owner = acl.owner;
  info.group = acl.group;
  info.mode = acl.mode();
  info.has_extended_acl = acl.has_extended_acl();
  info.creation_time_ms = creation_ms;
  info.modification_time_ms = modification_ms;
  info.access_time_ms = access_ms;
  info.change_time_ms = change_ms;
  info.expiry_time_ms = expiry_ms;
  info.etag = etag;
  info.content_md5 = content_md5;
  info.content = content;
  info.properties = properties;
  return info;
}

Status NodeTable::CreateSchema(const Node& root) {
  RETURN_IF_ERROR(db_.Exec(kSchema));
  ASSIGN_OR_RETURN(std::optional<Node> existing, FindById(kRootId));
  if (existing) return Status::Ok();
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare(std::string("INSERT INTO nodes (id, parent_id, name, is_dir, size, "
                                                          "data_key, owner, grp, sticky, access_acl, default_acl, "
                                                          "creation_ms, modification_ms, access_ms, change_ms, "
                                                          "expiry_ms, etag, content_md5, content_headers, "
                                                          "properties) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                                          "?, ?, ?, ?, ?, ?, ?, ?)")));
  BindNode(*s, root, 1);
  return s->Run();
}

Result<Node> NodeTable::ReadRow(Statement& s) {
  Node n;
  n.id = s.Int(0);
  n.parent_id = s.Int(1);
  n.name = s.Text(2);
  n.is_dir = s.Int(3) != 0;
  n.size = s.Int(4);
  n.data_key = s.Text(5);
  n.acl.owner = s.Text(6);
  n.acl.group = s.Text(7);
  n.acl.sticky = s.Int(8) != 0;
  ASSIGN_OR_RETURN(n.acl.access, acl::ParseAclSpec(s.Text(9)));
  std::string default_spec = s.Text(10);
  if (!default_spec.empty()) {
    ASSIGN_OR_RETURN(n.acl.default_acl, acl::ParseAclSpec(default_spec));
  }
  n.creation_ms = s.Int(11);
  n.modification_ms = s.Int(12);
  n.access_ms = s.Int(13);
  n.change_ms = s.Int(14);
  n.expiry_ms = s.Int(15);
  n.etag = s.Text(16);
  n.content_md5 = s.Text(17);
  n.content = HeadersFromJson(s.Text(18));
  n.properties = PropertiesFromJson(s.Text(19));
  return n;
}

Result<std::optional<Node>> NodeTable::FindChild(int64_t parent_id, const std::string& name, int64_t now_ms) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare(std::string("SELECT ") + kColumns +
                                              " FROM nodes WHERE parent_id = ? AND name = ? AND "
                                              "(expiry_ms = 0 OR expiry_ms > ?)"));
  s->Bind(1, parent_id).Bind(2, name).Bind(3, now_ms);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Node>();
  ASSIGN_OR_RETURN(Node n, ReadRow(*s));
  return std::optional<Node>(std::move(n));
}

Result<std::optional<Node>> NodeTable::FindById(int64_t id) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare(std::string("SELECT ") + kColumns + " FROM nodes WHERE id = ?"));
  s->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Node>();
  ASSIGN_OR_RETURN(Node n, ReadRow(*s));
  return std::optional<Node>(std::move(n));
}

Result<std::vector<Node>> NodeTable::ListChildren(int64_t parent_id, const std::string& after,
                                                  const std::string& before, int limit, int64_t now_ms) {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM nodes WHERE parent_id = ?1 AND id != 1 AND name > ?2 AND (expiry_ms = 0 OR expiry_ms > ?3)";
  if (!before.empty()) sql += " AND name < ?5";
  sql += " ORDER BY name LIMIT ?4";
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
  s->Bind(1, parent_id).Bind(2, after).Bind(3, now_ms).Bind(4, int64_t{limit});
  if (!before.empty()) s->Bind(5, before);
  std::vector<Node> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Node n, ReadRow(*s));
    out.push_back(std::move(n));
  }
  return out;
}

Result<bool> NodeTable::HasChildren(int64_t parent_id, int64_t now_ms) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT 1 FROM nodes WHERE parent_id = ? AND id != 1 AND "
                                              "(expiry_ms = 0 OR expiry_ms > ?) LIMIT 1"));
  s->Bind(1, parent_id).Bind(2, now_ms);
  return s->Step();
}

Result<std::vector<Node>> NodeTable::Subtree(int64_t id) {
  ASSIGN_OR_RETURN(Statement * s,
                   db_.Prepare(std::string(kSubtreeCte) + "SELECT " + kColumns + " FROM nodes WHERE id IN sub"));
  s->Bind(1, id);
  std::vector<Node> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Node n, ReadRow(*s));
    out.push_back(std::move(n));
  }
  return out;
}

Result<int64_t> NodeTable::Insert(const Node& node) {
  ASSIGN_OR_RETURN(Statement * s,
                   db_.Prepare("INSERT INTO nodes (parent_id, name, is_dir, size, data_key, owner, grp, sticky, "
                               "access_acl, default_acl, creation_ms, modification_ms, access_ms, change_ms, "
                               "expiry_ms, etag, content_md5, content_headers, properties) VALUES (?, ?, ?, ?, ?, "
                               "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  BindNode(*s, node, 1);
  RETURN_IF_ERROR(s->Run());
  return db_.LastInsertRowId();
}

Status NodeTable::Update(const Node& node) {
  ASSIGN_OR_RETURN(Statement * s,
                   db_.Prepare("UPDATE nodes SET parent_id = ?, name = ?, is_dir = ?, size = ?, data_key = ?, "
                               "owner = ?, grp = ?, sticky = ?, access_acl = ?, default_acl = ?, creation_ms = ?, "
                               "modification_ms = ?, access_ms = ?, change_ms = ?, expiry_ms = ?, etag = ?, "
                               "content_md5 = ?, content_headers = ?, properties = ? WHERE id = ?"));
  BindNode(*s, node, 1);
  s->Bind(20, node.id);
  return s->Run();
}

Status NodeTable::Move(int64_t id, int64_t new_parent_id, const std::string& new_name) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("UPDATE nodes SET parent_id = ?, name = ? WHERE id = ?"));
  s->Bind(1, new_parent_id).Bind(2, new_name).Bind(3, id);
  return s->Run();
}

Status NodeTable::DeleteSubtree(int64_t id) {
  ASSIGN_OR_RETURN(Statement * keys,
                   db_.Prepare(std::string(kSubtreeCte) +
                               "INSERT OR IGNORE INTO pending_unlink (data_key) SELECT data_key FROM nodes "
                               "WHERE id IN sub AND data_key IS NOT NULL"));
  keys->Bind(1, id);
  RETURN_IF_ERROR(keys->Run());
  ASSIGN_OR_RETURN(Statement * staged,
                   db_.Prepare(std::string(kSubtreeCte) +
                               "DELETE FROM staged WHERE data_key IN (SELECT data_key FROM nodes WHERE id IN sub)"));
  staged->Bind(1, id);
  RETURN_IF_ERROR(staged->Run());
  ASSIGN_OR_RETURN(Statement * inlined, db_.Prepare(std::string(kSubtreeCte) +
                                                    "DELETE FROM inline_content WHERE data_key IN (SELECT data_key "
                                                    "FROM nodes WHERE id IN sub)"));
  inlined->Bind(1, id);
  RETURN_IF_ERROR(inlined->Run());
  ASSIGN_OR_RETURN(Statement * nodes, db_.Prepare(std::string(kSubtreeCte) + "DELETE FROM nodes WHERE id IN sub"));
  nodes->Bind(1, id);
  return nodes->Run();
}

Result<int> NodeTable::PurgeExpired(int64_t now_ms) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT id FROM nodes WHERE expiry_ms > 0 AND expiry_ms <= ?"));
  s->Bind(1, now_ms);
  std::vector<int64_t> ids;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    ids.push_back(s->Int(0));
  }
  for (int64_t id : ids) RETURN_IF_ERROR(DeleteSubtree(id));
  return static_cast<int>(ids.size());
}

Result<std::vector<StagedRange>> NodeTable::StagedRanges(const std::string& data_key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT start, end FROM staged WHERE data_key = ? ORDER BY start"));
  s->Bind(1, data_key);
  std::vector<StagedRange> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Int(0), s->Int(1)});
  }
  return out;
}

Status NodeTable::AddStagedRange(const std::string& data_key, int64_t start, int64_t end) {
  ASSIGN_OR_RETURN(Statement * overlap, db_.Prepare("SELECT min(start), max(end) FROM staged WHERE data_key = ? AND "
                                                    "start <= ? AND end >= ?"));
  overlap->Bind(1, data_key).Bind(2, end).Bind(3, start);
  ASSIGN_OR_RETURN(bool row, overlap->Step());
  int64_t merged_start = start;
  int64_t merged_end = end;
  if (row && !overlap->IsNull(0)) {
    merged_start = std::min(start, overlap->Int(0));
    merged_end = std::max(end, overlap->Int(1));
  }
  ASSIGN_OR_RETURN(Statement * del, db_.Prepare("DELETE FROM staged WHERE data_key = ? AND start <= ? AND end >= ?"));
  del->Bind(1, data_key).Bind(2, end).Bind(3, start);
  RETURN_IF_ERROR(del->Run());
  ASSIGN_OR_RETURN(Statement * ins, db_.Prepare("INSERT INTO staged (data_key, start, end) VALUES (?, ?, ?)"));
  ins->Bind(1, data_key).Bind(2, merged_start).Bind(3, merged_end);
  return ins->Run();
}

Status NodeTable::TrimStaged(const std::string& data_key, int64_t position, bool keep_beyond) {
  if (!keep_beyond) {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare("DELETE FROM staged WHERE data_key = ?"));
    s->Bind(1, data_key);
    return s->Run();
  }
  ASSIGN_OR_RETURN(Statement * drop, db_.Prepare("DELETE FROM staged WHERE data_key = ? AND end <= ?"));
  drop->Bind(1, data_key).Bind(2, position);
  RETURN_IF_ERROR(drop->Run());
  // A range straddling the position keeps only its part beyond it.
  ASSIGN_OR_RETURN(Statement * cut,
                   db_.Prepare("UPDATE staged SET start = ?2 WHERE data_key = ?1 AND start < ?2 AND end > ?2"));
  cut->Bind(1, data_key).Bind(2, position);
  return cut->Run();
}

Result<std::optional<std::string>> NodeTable::InlineContent(const std::string& data_key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT bytes FROM inline_content WHERE data_key = ?"));
  s->Bind(1, data_key);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<std::string>();
  std::optional<std::string> bytes(s->Blob(0));
  s->Reset();
  return bytes;
}

Result<std::optional<int64_t>> NodeTable::InlineSize(const std::string& data_key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT length(bytes) FROM inline_content WHERE data_key = ?"));
  s->Bind(1, data_key);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s->Int(0));
}

Status NodeTable::PutInline(const std::string& data_key, std::string_view bytes) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("INSERT OR REPLACE INTO inline_content (data_key, bytes) VALUES (?, ?)"));
  s->Bind(1, data_key).BindBlob(2, bytes);
  return s->Run();
}

Status NodeTable::TruncateInline(const std::string& data_key, int64_t size) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("UPDATE inline_content SET bytes = substr(bytes, 1, ?2) "
                                              "WHERE data_key = ?1 AND length(bytes) > ?2"));
  s->Bind(1, data_key).Bind(2, size);
  return s->Run();
}

Status NodeTable::DeleteInline(const std::string& data_key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("DELETE FROM inline_content WHERE data_key = ?"));
  s->Bind(1, data_key);
  return s->Run();
}

Status NodeTable::QueueUnlink(const std::string& data_key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("INSERT OR IGNORE INTO pending_unlink (data_key) VALUES (?)"));
  s->Bind(1, data_key);
  return s->Run();
}

Result<std::vector<std::string>> NodeTable::PendingUnlinks() {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT data_key FROM pending_unlink"));
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(s->Text(0));
  }
  return out;
}

Status NodeTable::ClearUnlink(const std::string& data_key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("DELETE FROM pending_unlink WHERE data_key = ?"));
  s->Bind(1, data_key);
  return s->Run();
}

Result<std::string> NodeTable::GetMeta(const std::string& key) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT value FROM meta WHERE key = ?"));
  s->Bind(1, key);
  ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Text(0) : std::string();
}

Status NodeTable::SetMeta(const std::string& key, const std::string& value) {
  ASSIGN_OR_RETURN(Statement * s, db_.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
  s->Bind(1, key).Bind(2, value);
  return s->Run();
}

}  // namespace lakeshift::store
