#pragma once
// The catalogue of event classes and the mapping from edge event types to classes, read
// from YAML (config/grid/classes.yaml shows every key).

#include <map>
#include <string>

#include "aggregator/cases/event_class.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::cases {

class ClassCatalog {
 public:
  static ClassCatalog read(config::Section& s);

  // Adds or replaces a class; asserts a non-empty code and department.
  void add(EventClass c);
  // Maps an edge event type to a class code (which must exist).
  void map_type(const std::string& edge_type, const std::string& class_code);

  const EventClass* find(const std::string& code) const;
  const EventClass* for_edge_type(const std::string& edge_type) const;
  // Department and limit for a class in a cell: the longest matching area prefix wins.
  Route route(const EventClass& c, const std::string& cell_code) const;
  std::size_t size() const { return classes_.size(); }
  const std::map<std::string, EventClass>& classes() const { return classes_; }

 private:
  std::map<std::string, EventClass> classes_;
  std::map<std::string, std::string> types_;
};

}  // namespace gridsight::cases
