#include "emulator/gen2_blob.h"

#include "common/log.h"
#include "common/path.h"
#include "emulator/gen2_blocks.h"
#include "emulator/gen2_dfs.h"
#include "emulator/gen2_lease_ops.h"
#include "emulator/gen2_list_blobs.h"
#include "emulator/gen2_service.h"
#include "encoding/base64.h"
#include "encoding/digest.h"
#include "encoding/time_format.h"
#include "gen2/wire.h"

namespace lakeshift::emulator {
namespace {

using gen2::Api;
using gen2::MakeError;
using gen2::XmlEscape;

Status Send(const Gen2Request& r, http::ResponseWriter& out, int status, const http::Headers& extra = {},
            std::string_view body = "") {
  return SendBlob(r, out, status, extra, body);
}

fs::Properties MetadataFrom(const Gen2Request& r) {
  return BlobMetadataFrom(r);
}

http::Headers ContainerHeaders(const FilesystemInfo& info) {
  http::Headers h{{"ETag", gen2::QuotedEtag(info.etag)},
                  {"Last-Modified", encoding::FormatRfc1123(info.last_modified_ms)},
                  {"x-ms-lease-state", "available"},
                  {"x-ms-lease-status", "unlocked"},
                  {"x-ms-has-immutability-policy", "false"},
                  {"x-ms-has-legal-hold", "false"},
                  {"x-ms-default-encryption-scope", "$account-encryption-key"},
                  {"x-ms-deny-encryption-scope-override", "false"},
                  {"x-ms-immutable-storage-with-versioning-enabled", "false"}};
  for (const auto& [name, value] : info.metadata) h.Set("x-ms-meta-" + name, value);
  return h;
}

Status ListContainers(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(int64_t max, QueryInt(r, "maxresults", 5000));
  std::string prefix = r.Query("prefix").value_or("");
  std::string marker = r.Query("marker").value_or("");
  // Markers name the next container as /<account>/<name>, as the service's do.
  const std::string marker_prefix = "/" + account.name() + "/";
  std::string from = marker.starts_with(marker_prefix) ? marker.substr(marker_prefix.size()) : marker;
  ASSIGN_OR_RETURN(FilesystemPage page, account.ListFilesystems(prefix, from, static_cast<int>(max)));
  bool with_metadata = r.Query("include").value_or("").find("metadata") != std::string::npos;
  std::string base = "http://" + r.Header("Host").value_or("127.0.0.1") + "/" + account.name();
  std::string xml = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"" +
                    XmlEscape(base) + "/\">";
  if (!prefix.empty()) xml += "<Prefix>" + XmlEscape(prefix) + "</Prefix>";
  if (!marker.empty()) xml += "<Marker>" + XmlEscape(marker) + "</Marker>";
  if (r.HasQuery("maxresults")) xml += "<MaxResults>" + std::to_string(max) + "</MaxResults>";
  xml += "<Containers>";
  for (const FilesystemInfo& f : page.items) {
    xml += "<Container><Name>" + XmlEscape(f.name) + "</Name><Properties><Last-Modified>" +
           encoding::FormatRfc1123(f.last_modified_ms) + "</Last-Modified><Etag>\"" + f.etag + "\"</Etag>" +
           LeaseXml(FilesystemLease(f.name, account)) +
           "<DefaultEncryptionScope>$account-encryption-key</DefaultEncryptionScope>"
           "<DenyEncryptionScopeOverride>false</DenyEncryptionScopeOverride><HasImmutabilityPolicy>false"
           "</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold><ImmutableStorageWithVersioningEnabled>false"
           "</ImmutableStorageWithVersioningEnabled></Properties>";
    if (with_metadata) {
      xml += "<Metadata>";
      for (const auto& [k, v] : f.metadata) xml += "<" + k + ">" + XmlEscape(v) + "</" + k + ">";
      xml += "</Metadata>";
    }
    xml += "</Container>";
  }
  std::string next = page.next_marker.empty() ? "" : marker_prefix + page.next_marker;
  xml += "</Containers><NextMarker>" + XmlEscape(next) + "</NextMarker></EnumerationResults>";
  return Send(r, out, 200, {{"Content-Type", "application/xml"}}, xml);
}

Status ContainerOp(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  RETURN_IF_ERROR(gen2::ValidateFilesystemName(r.filesystem));
  const std::string& m = r.method();
  std::string comp = r.Query("comp").value_or("");
  auto missing = [&](const Status& s) {
    return s.code() == StatusCode::kNotFound ? MakeError(404, "ContainerNotFound", "container " + r.filesystem) : s;
  };
  if (m == "PUT" && comp.empty()) {
    bool shared_key = r.caller.user == "$superuser";
    auto created = account.CreateFilesystem(r.filesystem, MetadataFrom(r), r.caller.user,
                                            shared_key ? "$superuser" : r.caller.user);
    if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists) {
      return MakeError(409, "ContainerAlreadyExists", "container " + r.filesystem + " already exists");
    }
    RETURN_IF_ERROR(created.status());
    return Send(r, out, 201,
                {{"ETag", gen2::QuotedEtag(created->etag)},
                 {"Last-Modified", encoding::FormatRfc1123(created->last_modified_ms)},
                 {"Content-Length", "0"}});
  }
  if (m == "PUT" && comp == "rename") {
    // Accounts with a hierarchical namespace cannot rename containers: the service refuses the comp value.
    SendError(r, out, Api::kBlob, MakeError(400, "InvalidQueryParameterValue", "container rename is not supported"),
              {.xml_details = {{"QueryParameterName", "comp"}, {"QueryParameterValue", "rename"}}});
    return Status::Ok();
  }
  if (m == "PUT" && comp == "metadata") {
    RETURN_IF_ERROR(CheckFilesystemRead(r, account, Api::kBlob));  // a lease binds metadata only when named
    auto info = account.SetFilesystemMetadata(r.filesystem, MetadataFrom(r));
    if (!info.ok()) return missing(info.status());
    return Send(
        r, out, 200,
        {{"ETag", gen2::QuotedEtag(info->etag)}, {"Last-Modified", encoding::FormatRfc1123(info->last_modified_ms)}});
  }
  if (m == "DELETE" && comp.empty()) {
    RETURN_IF_ERROR(CheckFilesystemWrite(r, account, Api::kBlob));
    Status s = account.DeleteFilesystem(r.filesystem);
    if (!s.ok()) return missing(s);
    return Send(r, out, 202, {{"Content-Length", "0"}});
  }
  if (m == "GET" && comp == "list") {
    ASSIGN_OR_RETURN(auto store, FileSystemFor(r, account, Api::kBlob));
    return ListBlobs(r, *store, out);
  }
  if ((m == "GET" || m == "HEAD") && (comp.empty() || comp == "metadata")) {
    auto info = account.GetFilesystem(r.filesystem);
    if (!info.ok()) return missing(info.status());
    RETURN_IF_ERROR(CheckFilesystemRead(r, account, Api::kBlob));
    http::Headers h = ContainerHeaders(*info);
    AddLeaseHeaders(h, FilesystemLease(r.filesystem, account));
    return Send(r, out, 200, h);
  }
  return MakeError(400, "UnsupportedQueryParameter",
                   "container operation comp=" + comp + " with " + m + " is not supported by the emulator yet");
}

// Put Blob: the whole body in one request, committed atomically with the MD5 the service computes.
Status PutBlob(Gen2Request& r, fs::FileSystem& store, BlockStaging& blocks, http::ResponseWriter& out) {
  std::string type = r.Header("x-ms-blob-type").value_or("");
  if (type != "BlockBlob") {
    return MakeError(400, "InvalidHeaderValue", "only BlockBlob blobs exist on an HNS account, not \"" + type + "\"");
  }
  fs::PutOptions put;
  ASSIGN_OR_RETURN(put.create.conditions, ParseConditions(r));
  put.create.properties = MetadataFrom(r);
  put.create.content = BlobContentHeadersFrom(r, /*content_type_fallback=*/true);
  if (auto md5 = r.Header("x-ms-blob-content-md5")) put.content_md5 = *md5;
  put.compute_md5 = true;
  r.http->SetBodyLimit(5000ULL << 20);
  Md5CheckingBody body(r.http->body(), r.Header("Content-MD5"));
  auto info = store.PutFile(r.path, body, put);
  if (!info.ok()) return BodyLimitError(info.status());
  // Put Blob discards the blob's uncommitted blocks, and the blob has no block list any more.
  Status forgotten = blocks.Forget(info->path, /*subtree=*/false);
  if (!forgotten.ok()) LOG_WARNING("gen2 blob: block state of " << info->path << " not cleared: " << forgotten);
  return Send(r, out, 201,
              {{"ETag", gen2::QuotedEtag(info->etag)},
               {"Last-Modified", encoding::FormatRfc1123(info->change_time_ms)},
               {"Content-MD5", body.md5()},
               {"x-ms-request-server-encrypted", "true"},
               {"Content-Length", "0"}});
}

Status SetBlobMetadata(Gen2Request& r, fs::FileSystem& store, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(fs::Conditions conditions, ParseConditions(r));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.SetProperties(r.path, MetadataFrom(r), std::nullopt, conditions));
  return Send(r, out, 200,
              {{"ETag", gen2::QuotedEtag(info.etag)},
               {"Last-Modified", encoding::FormatRfc1123(info.change_time_ms)},
               {"x-ms-request-server-encrypted", "true"}});
}

Status SetBlobHttpHeaders(Gen2Request& r, fs::FileSystem& store, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(fs::Conditions conditions, ParseConditions(r));
  ASSIGN_OR_RETURN(fs::FileInfo current, store.GetFileInfo(r.path));
  // Set Blob Properties replaces every content header.
  fs::ContentHeaders h = BlobContentHeadersFrom(r, /*content_type_fallback=*/false);
  ASSIGN_OR_RETURN(fs::FileInfo info, store.SetProperties(r.path, current.properties, h, conditions));
  if (info.is_file()) {  // like the other content headers, an MD5 not given is cleared
    ASSIGN_OR_RETURN(info, store.SetContentMd5(r.path, r.Header("x-ms-blob-content-md5").value_or(""), {}));
  }
  return Send(r, out, 200,
              {{"ETag", gen2::QuotedEtag(info.etag)}, {"Last-Modified", encoding::FormatRfc1123(info.change_time_ms)}});
}

Status SetExpiry(Gen2Request& r, fs::FileSystem& store, http::ResponseWriter& out) {
  std::string option = r.Header("x-ms-expiry-option").value_or("");
  std::string time = r.Header("x-ms-expiry-time").value_or("");
  fs::ExpirySpec spec;
  if (option == "NeverExpire") {
    spec.kind = fs::ExpirySpec::Kind::kNever;
  } else if (option == "RelativeToNow" || option == "RelativeToCreation") {
    spec.kind =
        option == "RelativeToNow" ? fs::ExpirySpec::Kind::kRelativeToNow : fs::ExpirySpec::Kind::kRelativeToCreation;
    try {
      spec.ms = std::stoll(time);
    } catch (...) {
      return MakeError(400, "InvalidHeaderValue", "x-ms-expiry-time \"" + time + "\" is not a number of ms");
    }
  } else if (option == "Absolute") {
    spec.kind = fs::ExpirySpec::Kind::kAbsolute;
    auto at = encoding::ParseRfc1123(time);
    if (!at.ok()) return MakeError(400, "InvalidHeaderValue", "x-ms-expiry-time: " + at.status().message());
    spec.ms = *at;
  } else {
    return MakeError(400, "InvalidHeaderValue", "x-ms-expiry-option \"" + option + "\" is not valid");
  }
  ASSIGN_OR_RETURN(fs::FileInfo info, store.SetExpiry(r.path, spec));
  return Send(r, out, 200,
              {{"ETag", gen2::QuotedEtag(info.etag)}, {"Last-Modified", encoding::FormatRfc1123(info.change_time_ms)}});
}

// Delete Blob: a file, or an empty directory (HNS); its staged blocks and block list go with it.
Status DeleteBlob(Gen2Request& r, fs::FileSystem& store, BlockStaging& blocks, http::ResponseWriter& out) {
  fs::DeleteOptions options;
  ASSIGN_OR_RETURN(options.conditions, ParseConditions(r));
  ASSIGN_OR_RETURN(fs::FileInfo info, store.GetFileInfo(r.path));
  RETURN_IF_ERROR(store.Delete(info.path, options));
  Status forgotten = blocks.Forget(info.path, /*subtree=*/true);
  if (!forgotten.ok()) LOG_WARNING("gen2 blob: block state of " << info.path << " not cleared: " << forgotten);
  return Send(r, out, 202, {{"Content-Length", "0"}});
}

// Get Account Information, valid on any resource: how clients (AzCopy) learn that the account has a
// hierarchical namespace.
Status AccountInfo(Gen2Request& r, http::ResponseWriter& out) {
  http::Headers h{{"x-ms-sku-name", "Standard_LRS"},
                  {"x-ms-account-kind", "StorageV2"},
                  {"x-ms-is-hns-enabled", "true"},
                  {"Content-Length", "0"}};
  return Send(r, out, 200, h);
}

Result<std::shared_ptr<BlockStaging>> BlocksFor(const Gen2Request& r, Gen2Account& account) {
  auto blocks = account.Blocks(r.filesystem);
  if (!blocks.ok() && blocks.status().code() == StatusCode::kNotFound) {
    return MakeError(404, "ContainerNotFound", "container " + r.filesystem);
  }
  return blocks;
}

}  // namespace

Status SendBlob(const Gen2Request& r, http::ResponseWriter& out, int status, const http::Headers& extra,
                std::string_view body) {
  http::Headers h = CommonHeaders(r, Api::kBlob);
  for (const auto& [name, value] : extra) h.Set(name, value);
  return out.Send(status, std::move(h), body);
}

fs::Properties BlobMetadataFrom(const Gen2Request& r) {
  fs::Properties props;
  for (const auto& [name, value] : r.http->headers) {
    if (name.size() > 10 && http::EqualsIgnoreCase(std::string_view(name).substr(0, 10), "x-ms-meta-")) {
      props[name.substr(10)] = value;
    }
  }
  return props;
}

fs::ContentHeaders BlobContentHeadersFrom(const Gen2Request& r, bool content_type_fallback) {
  fs::ContentHeaders h;
  h.content_type = r.Header("x-ms-blob-content-type").value_or("");
  if (h.content_type.empty() && content_type_fallback) h.content_type = r.Header("Content-Type").value_or("");
  h.content_encoding = r.Header("x-ms-blob-content-encoding").value_or("");
  h.content_language = r.Header("x-ms-blob-content-language").value_or("");
  h.content_disposition = r.Header("x-ms-blob-content-disposition").value_or("");
  h.cache_control = r.Header("x-ms-blob-cache-control").value_or("");
  return h;
}

Status HandleBlob(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  const std::string& m = r.method();
  if ((m == "GET" || m == "HEAD") && r.Query("restype") == "account" && r.Query("comp") == "properties") {
    return AccountInfo(r, out);
  }
  if (r.filesystem.empty()) {
    if (m == "GET" && r.Query("comp") == "list") return ListContainers(r, account, out);
    if (r.Query("restype") == "service" && r.Query("comp") == "properties") {
      return HandleServiceProperties(r, account, out);
    }
    return MakeError(400, "UnsupportedQueryParameter", "this account-level Blob operation is not supported yet");
  }
  std::string comp = r.Query("comp").value_or("");
  if (m == "PUT" && comp == "lease") return HandleLeaseRequest(r, account, Api::kBlob, out);
  if (!r.has_path) return ContainerOp(r, account, out);
  ASSIGN_OR_RETURN(auto store, FileSystemFor(r, account, Api::kBlob));
  if ((m == "PUT" &&
       (comp.empty() || comp == "metadata" || comp == "properties" || comp == "block" || comp == "blocklist")) ||
      (m == "DELETE" && comp.empty())) {
    RETURN_IF_ERROR(CheckPathWrite(r, account, Api::kBlob));  // a leased blob is written only with its lease
  }
  if (comp.empty() && m == "PUT") {
    ASSIGN_OR_RETURN(auto blocks, BlocksFor(r, account));
    return PutBlob(r, *store, *blocks, out);
  }
  if (comp.empty() && m == "DELETE") {
    ASSIGN_OR_RETURN(auto blocks, BlocksFor(r, account));
    return DeleteBlob(r, *store, *blocks, out);
  }
  if (comp == "block" && m == "PUT") {
    ASSIGN_OR_RETURN(auto blocks, BlocksFor(r, account));
    return PutBlock(r, *blocks, out);
  }
  if (comp == "blocklist" && (m == "PUT" || m == "GET")) {
    ASSIGN_OR_RETURN(auto blocks, BlocksFor(r, account));
    return m == "PUT" ? PutBlockList(r, *store, *blocks, out) : GetBlockList(r, *store, *blocks, out);
  }
  if (m == "PUT" && comp == "metadata") return SetBlobMetadata(r, *store, out);
  if (m == "PUT" && comp == "properties") return SetBlobHttpHeaders(r, *store, out);
  if (m == "PUT" && comp == "expiry") return SetExpiry(r, *store, out);
  if (m == "HEAD" && comp.empty()) {
    ASSIGN_OR_RETURN(fs::FileInfo info, store->GetFileInfo(r.path));
    RETURN_IF_ERROR(CheckPathRead(r, account, Api::kBlob));
    http::Headers h = PathPropertyHeaders(info, PathLease(r, account));
    h.Remove("x-ms-properties");
    return SendHead(r, out, Api::kBlob, h, info.size);
  }
  if (m == "GET" && comp.empty()) return SendFileContent(r, account, *store, out, Api::kBlob);
  return MakeError(400, "UnsupportedQueryParameter",
                   "blob operation comp=" + comp + " with " + m + " is not supported by the emulator yet");
}

}  // namespace lakeshift::emulator
