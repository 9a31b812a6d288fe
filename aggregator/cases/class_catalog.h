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

// A department that owns classes: its id (as in classes and API users) and its names.
struct Department {
  std::string id;       // sanitation
  std::string name;     // 环卫所
  std::string english;  // Sanitation office
};

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
  // A class by its code or by its other generation's code (legacy_code).
  const EventClass* find_any_generation(const std::string& code) const;

  // The optional `departments:` list; when given, every class's department must be in it.
  void add_department(Department d) { departments_[d.id] = std::move(d); }
  const Department* department(const std::string& id) const;
  const std::map<std::string, Department>& departments() const { return departments_; }

 private:
  std::map<std::string, EventClass> classes_;
  std::map<std::string, std::string> types_;
  std::map<std::string, Department> departments_;
};

}  // namespace gridsight::cases
