#include "gen2/xml_reader.h"

#include "gen2/errors.h"

namespace lakeshift::gen2 {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  Result<XmlElement> Document() {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") s_.remove_prefix(3);
    RETURN_IF_ERROR(SkipMisc());
    if (s_.empty() || s_.front() != '<') return Bad("no root element");
    ASSIGN_OR_RETURN(XmlElement root, Element(0));
    RETURN_IF_ERROR(SkipMisc());
    if (!s_.empty()) return Bad("text after the root element");
    return root;
  }

 private:
  static Status Bad(const std::string& why) { return MakeError(400, "InvalidXmlDocument", "XML body: " + why); }

  void SkipSpace() {
    while (!s_.empty() && std::isspace(static_cast<unsigned char>(s_.front()))) s_.remove_prefix(1);
  }

  // Whitespace, <?...?> declarations and <!-- comments -->.
  Status SkipMisc() {
    while (true) {
      SkipSpace();
      if (s_.substr(0, 2) == "<?") {
        RETURN_IF_ERROR(SkipPast("?>"));
      } else if (s_.substr(0, 4) == "<!--") {
        RETURN_IF_ERROR(SkipPast("-->"));
      } else {
        return Status::Ok();
      }
    }
  }

  Status SkipPast(std::string_view end) {
    size_t at = s_.find(end);
    if (at == std::string_view::npos) return Bad("unterminated " + std::string(end));
    s_.remove_prefix(at + end.size());
    return Status::Ok();
  }

  std::string_view Name() {
    size_t n = 0;
    while (n < s_.size() && !std::isspace(static_cast<unsigned char>(s_[n])) && s_[n] != '>' && s_[n] != '/') ++n;
    std::string_view name = s_.substr(0, n);
    s_.remove_prefix(n);
    return name;
  }

  Result<std::string> Text() {
    std::string out;
    while (!s_.empty() && s_.front() != '<') {
      if (s_.front() != '&') {
        out += s_.front();
        s_.remove_prefix(1);
        continue;
      }
      size_t semi = s_.find(';');
      if (semi == std::string_view::npos) return Bad("unterminated entity");
      std::string_view entity = s_.substr(1, semi - 1);
      if (entity == "amp")
        out += '&';
      else if (entity == "lt")
        out += '<';
      else if (entity == "gt")
        out += '>';
      else if (entity == "quot")
        out += '"';
      else if (entity == "apos")
        out += '\'';
      else
        return Bad("unknown entity &" + std::string(entity) + ";");
      s_.remove_prefix(semi + 1);
    }
    return out;
  }

  Result<XmlElement> Element(int depth) {
    if (depth > 32) return Bad("elements nested too deeply");
    s_.remove_prefix(1);  // '<'
    XmlElement e;
    e.name = std::string(Name());
    if (e.name.empty()) return Bad("an element without a name");
    size_t close = s_.find('>');
    if (close == std::string_view::npos) return Bad("unterminated <" + e.name);
    bool empty = close > 0 && s_[close - 1] == '/';  // attributes before it are skipped
    s_.remove_prefix(close + 1);
    if (empty) return e;
    while (true) {
      ASSIGN_OR_RETURN(std::string text, Text());
      e.text += text;
      if (s_.empty()) return Bad("<" + e.name + "> is not closed");
      if (s_.substr(0, 4) == "<!--") {
        RETURN_IF_ERROR(SkipPast("-->"));
      } else if (s_.substr(0, 2) == "</") {
        s_.remove_prefix(2);
        if (Name() != e.name) return Bad("<" + e.name + "> is closed by another element");
        SkipSpace();
        if (s_.empty() || s_.front() != '>') return Bad("bad closing tag of <" + e.name + ">");
        s_.remove_prefix(1);
        break;
      } else if (s_.substr(0, 2) == "<!" || s_.substr(0, 2) == "<?") {
        return Bad("unsupported markup in <" + e.name + ">");
      } else {
        ASSIGN_OR_RETURN(XmlElement child, Element(depth + 1));
        e.children.push_back(std::move(child));
      }
    }
    if (!e.children.empty()) e.text.clear();  // whitespace between child elements
    return e;
  }

  std::string_view s_;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child) const {
  for (const XmlElement& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

Result<XmlElement> ParseXml(std::string_view document) {
  return Reader(document).Document();
}

}  // namespace lakeshift::gen2
