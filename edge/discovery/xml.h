#pragma once
// A small read-only view of an XML document (libxml2) for SOAP answers: elements are found
// by local name whatever their namespace prefix, as cameras spell namespaces in many ways.
// Parsing never loads external entities nor touches the network.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct _xmlDoc;
struct _xmlNode;

namespace gridsight::edge::discovery {

class XmlNode {
 public:
  XmlNode() = default;
  explicit XmlNode(_xmlNode* node) : node_(node) {}
  explicit operator bool() const { return node_ != nullptr; }
  std::string_view name() const;  // local name
  XmlNode first_child() const;    // first child element, whatever its name
  // First child element / all child elements with this local name.
  XmlNode child(std::string_view local_name) const;
  std::vector<XmlNode> children(std::string_view local_name) const;
  // First element with this local name below this one (depth first), or none.
  XmlNode find(std::string_view local_name) const;
  // Follows a chain of child names: path({"Resolution", "Width"}).
  XmlNode path(std::initializer_list<std::string_view> names) const;
  std::string text() const;  // text content, surrounding white space removed
  std::string attribute(std::string_view local_name) const;

 private:
  _xmlNode* node_ = nullptr;
};

class XmlDocument {
 public:
  // nullopt with `error` set when the text is not well-formed XML.
  static std::optional<XmlDocument> parse(std::string_view text, std::string* error = nullptr);
  XmlNode root() const;

 private:
  struct Free {
    void operator()(_xmlDoc* doc) const;
  };
  std::unique_ptr<_xmlDoc, Free> doc_;
};

}  // namespace gridsight::edge::discovery
