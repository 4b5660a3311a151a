#include "emulator/gen2_service.h"

#include "gen2/wire.h"
#include "gen2/xml_reader.h"

namespace lakeshift::emulator {
namespace {

using gen2::MakeError;
using gen2::XmlElement;

constexpr uint64_t kMaxDocumentBytes = 64 * 1024;

// What a new storage account answers.
constexpr const char* kDefaults =
    "<StorageServiceProperties><Logging><Version>1.0</Version><Read>false</Read><Write>false</Write><Delete>false"
    "</Delete><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging><HourMetrics><Version>1.0"
    "</Version><Enabled>true</Enabled><IncludeAPIs>true</IncludeAPIs><RetentionPolicy><Enabled>true</Enabled><Days>7"
    "</Days></RetentionPolicy></HourMetrics><MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled>"
    "<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics><Cors /><DeleteRetentionPolicy>"
    "<Enabled>false</Enabled></DeleteRetentionPolicy><StaticWebsite><Enabled>false</Enabled></StaticWebsite>"
    "</StorageServiceProperties>";

std::string Leaf(std::string_view name, std::string_view value) {
  return "<" + std::string(name) + ">" + gen2::XmlEscape(value) + "</" + std::string(name) + ">";
}

std::string TextOf(const XmlElement& parent, std::string_view name, std::string_view fallback = "") {
  const XmlElement* child = parent.Child(name);
  return child ? child->text : std::string(fallback);
}

Result<std::string> BoolOf(const XmlElement& parent, std::string_view name) {
  std::string v = TextOf(parent, name, "false");
  if (v != "true" && v != "false") {
    return MakeError(400, "InvalidXmlNodeValue", parent.name + "/" + std::string(name) + " must be true or false");
  }
  return v;
}

// <RetentionPolicy><Enabled/>[<Days/>]</RetentionPolicy>; Days (1..365) only while enabled.
Result<std::string> Retention(const XmlElement& section) {
  static const XmlElement kNone{"RetentionPolicy", "", {}};
  const XmlElement* policy = section.Child("RetentionPolicy");
  const XmlElement& p = policy ? *policy : kNone;
  ASSIGN_OR_RETURN(std::string enabled, BoolOf(p, "Enabled"));
  std::string xml = "<RetentionPolicy>" + Leaf("Enabled", enabled);
  if (enabled == "true") {
    std::string days = TextOf(p, "Days");
    int n = 0;
    try {
      n = std::stoi(days);
    } catch (...) {
    }
    if (n < 1 || n > 365) {
      return MakeError(400, "InvalidXmlNodeValue", section.name + " retention days must be between 1 and 365");
    }
    xml += Leaf("Days", std::to_string(n));
  }
  return xml + "</RetentionPolicy>";
}

Result<std::string> Logging(const XmlElement& e) {
  std::string xml = "<Logging>" + Leaf("Version", TextOf(e, "Version", "1.0"));
  for (const char* field : {"Read", "Write", "Delete"}) {
    ASSIGN_OR_RETURN(std::string v, BoolOf(e, field));
    xml += Leaf(field, v);
  }
  ASSIGN_OR_RETURN(std::string retention, Retention(e));
  return xml + retention + "</Logging>";
}

Result<std::string> Metrics(const XmlElement& e) {
  ASSIGN_OR_RETURN(std::string enabled, BoolOf(e, "Enabled"));
  std::string xml = "<" + e.name + ">" + Leaf("Version", TextOf(e, "Version", "1.0")) + Leaf("Enabled", enabled);
  if (enabled == "true") {
    ASSIGN_OR_RETURN(std::string apis, BoolOf(e, "IncludeAPIs"));
    xml += Leaf("IncludeAPIs", apis);
  }
  ASSIGN_OR_RETURN(std::string retention, Retention(e));
  return xml + retention + "</" + e.name + ">";
}

std::string Cors(const XmlElement& e) {
  std::string rules;
  for (const XmlElement& rule : e.children) {
    if (rule.name != "CorsRule") continue;
    rules += "<CorsRule>";
    for (const char* field :
         {"AllowedMethods", "AllowedOrigins", "AllowedHeaders", "ExposedHeaders", "MaxAgeInSeconds"}) {
      rules += Leaf(field, TextOf(rule, field));
    }
    rules += "</CorsRule>";
  }
  return rules.empty() ? "<Cors />" : "<Cors>" + rules + "</Cors>";
}

Result<std::string> DeleteRetention(const XmlElement& e) {
  XmlElement as_policy = e;
  as_policy.name = "RetentionPolicy";
  ASSIGN_OR_RETURN(std::string retention, Retention(XmlElement{"DeleteRetentionPolicy", "", {as_policy}}));
  // The same shape as a retention policy, plus AllowPermanentDelete.
  std::string inner = retention.substr(std::string("<RetentionPolicy>").size());
  inner.resize(inner.size() - std::string("</RetentionPolicy>").size());
  ASSIGN_OR_RETURN(std::string permanent, BoolOf(e, "AllowPermanentDelete"));
  return "<DeleteRetentionPolicy>" + inner + Leaf("AllowPermanentDelete", permanent) + "</DeleteRetentionPolicy>";
}

Result<std::string> StaticWebsite(const XmlElement& e) {
  ASSIGN_OR_RETURN(std::string enabled, BoolOf(e, "Enabled"));
  std::string xml = "<StaticWebsite>" + Leaf("Enabled", enabled);
  for (const char* field : {"IndexDocument", "ErrorDocument404Path", "DefaultIndexDocumentPath"}) {
    if (const XmlElement* c = e.Child(field)) xml += Leaf(field, c->text);
  }
  return xml + "</StaticWebsite>";
}

// The stored document with the sections `update` names replaced, in the service's form.
Result<std::string> Merge(const XmlElement& current, const XmlElement& update) {
  if (update.name != "StorageServiceProperties") {
    return MakeError(400, "InvalidXmlDocument", "the root element must be StorageServiceProperties");
  }
  auto pick = [&](std::string_view name) -> const XmlElement* {
    const XmlElement* e = update.Child(name);
    return e ? e : current.Child(name);
  };
  std::string xml = "<StorageServiceProperties>";
  if (const XmlElement* e = pick("Logging")) {
    ASSIGN_OR_RETURN(std::string s, Logging(*e));
    xml += s;
  }
  for (const char* name : {"HourMetrics", "MinuteMetrics"}) {
    if (const XmlElement* e = pick(name)) {
      ASSIGN_OR_RETURN(std::string s, Metrics(*e));
      xml += s;
    }
  }
  if (const XmlElement* e = pick("Cors")) xml += Cors(*e);
  if (const XmlElement* e = pick("DefaultServiceVersion")) xml += Leaf("DefaultServiceVersion", e->text);
  if (const XmlElement* e = pick("DeleteRetentionPolicy")) {
    ASSIGN_OR_RETURN(std::string s, DeleteRetention(*e));
    xml += s;
  }
  if (const XmlElement* e = pick("StaticWebsite")) {
    ASSIGN_OR_RETURN(std::string s, StaticWebsite(*e));
    xml += s;
  }
  return xml + "</StorageServiceProperties>";
}

Result<XmlElement> Current(Gen2Account& account) {
  ASSIGN_OR_RETURN(std::string stored, account.ServiceProperties());
  return gen2::ParseXml(stored.empty() ? kDefaults : stored);
}

}  // namespace

Status HandleServiceProperties(Gen2Request& r, Gen2Account& account, http::ResponseWriter& out) {
  ASSIGN_OR_RETURN(XmlElement current, Current(account));
  if (r.method() == "GET") {
    ASSIGN_OR_RETURN(std::string xml, Merge(current, current));
    http::Headers h = CommonHeaders(r, gen2::Api::kBlob);
    h.Set("Content-Type", "application/xml");
    return out.Send(200, std::move(h), "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>" + xml);
  }
  if (r.method() != "PUT") {
    return MakeError(405, "UnsupportedHttpVerb", r.method() + " is not supported on the service properties");
  }
  ASSIGN_OR_RETURN(std::string body, r.http->ReadBodyToString(kMaxDocumentBytes));
  ASSIGN_OR_RETURN(XmlElement update, gen2::ParseXml(body));
  ASSIGN_OR_RETURN(std::string merged, Merge(current, update));
  RETURN_IF_ERROR(account.SetServiceProperties(merged));
  http::Headers h = CommonHeaders(r, gen2::Api::kBlob);
  h.Set("Content-Length", "0");
  return out.Send(202, std::move(h), "");
}

}  // namespace lakeshift::emulator
