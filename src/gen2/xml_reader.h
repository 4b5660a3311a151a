#pragma once
// A small reader for the XML request bodies of the Blob API (service properties, and the like): elements,
// text and the five predefined entities. Attributes, namespaces, CDATA and DTDs are not needed there and
// are skipped or refused. Errors are 400 InvalidXmlDocument.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lakeshift::gen2 {

struct XmlElement {
  std::string name;
  std::string text;  // the element's own text, entities decoded (leaf elements)
  std::vector<XmlElement> children;

  // The first child called `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
};

// The document's root element.
Result<XmlElement> ParseXml(std::string_view document);

}  // namespace lakeshift::gen2
