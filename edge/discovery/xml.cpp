#include "edge/discovery/xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace gridsight::edge::discovery {
namespace {

std::string_view local(const xmlNode* n) {
  return n->name ? std::string_view(reinterpret_cast<const char*>(n->name)) : std::string_view();
}

bool is_element(const xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && local(n) == name;
}

xmlNode* find_below(xmlNode* n, std::string_view name, int depth) {
  if (depth > 64) return nullptr;  // SOAP answers are shallow; a deep tree is not one
  for (xmlNode* c = n->children; c; c = c->next) {
    if (is_element(c, name)) return c;
    if (c->type == XML_ELEMENT_NODE) {
      if (xmlNode* hit = find_below(c, name, depth + 1)) return hit;
    }
  }
  return nullptr;
}

std::string trim(std::string s) {
  const auto ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

std::string_view XmlNode::name() const {
  return node_ ? local(node_) : std::string_view();
}

XmlNode XmlNode::first_child() const {
  if (!node_) return {};
  for (xmlNode* c = node_->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return XmlNode(c);
  }
  return {};
}

XmlNode XmlNode::child(std::string_view name) const {
  if (!node_) return {};
  for (xmlNode* c = node_->children; c; c = c->next) {
    if (is_element(c, name)) return XmlNode(c);
  }
  return {};
}

std::vector<XmlNode> XmlNode::children(std::string_view name) const {
  std::vector<XmlNode> out;
  if (!node_) return out;
  for (xmlNode* c = node_->children; c; c = c->next) {
    if (is_element(c, name)) out.emplace_back(c);
  }
  return out;
}

XmlNode XmlNode::find(std::string_view name) const {
  return node_ ? XmlNode(find_below(node_, name, 0)) : XmlNode();
}

XmlNode XmlNode::path(std::initializer_list<std::string_view> names) const {
  XmlNode n = *this;
  for (auto name : names) n = n.child(name);
  return n;
}

std::string XmlNode::text() const {
  if (!node_) return {};
  xmlChar* content = xmlNodeGetContent(node_);
  if (!content) return {};
  std::string out(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return trim(std::move(out));
}

std::string XmlNode::attribute(std::string_view name) const {
  if (!node_) return {};
  for (xmlAttr* a = node_->properties; a; a = a->next) {
    if (a->name && std::string_view(reinterpret_cast<const char*>(a->name)) == name) {
      xmlChar* v = xmlNodeListGetString(node_->doc, a->children, 1);
      std::string out = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return out;
    }
  }
  return {};
}

void XmlDocument::Free::operator()(_xmlDoc* doc) const {
  xmlFreeDoc(doc);
}

std::optional<XmlDocument> XmlDocument::parse(std::string_view text, std::string* error) {
  // No entity substitution, no DTD loading, no network; errors are returned, not printed.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDoc* doc =
      xmlReadMemory(text.data(), static_cast<int>(text.size()), "answer.xml", nullptr, options);
  if (!doc) {
    if (error) {
      const xmlError* e = xmlGetLastError();
      *error = e && e->message ? trim(e->message) : "not well-formed XML";
    }
    return std::nullopt;
  }
  XmlDocument d;
  d.doc_.reset(doc);
  return d;
}

XmlNode XmlDocument::root() const {
  return XmlNode(xmlDocGetRootElement(doc_.get()));
}

}  // namespace gridsight::edge::discovery
