#pragma once
// The aggregator's parts as one declared list: started in list order, stopped in reverse,
// reloaded in list order. A part that fails to start stops those started before it, and the
// error goes up to main().

#include <functional>
#include <string>
#include <vector>

namespace gridsight::aggregator {

struct Component {
  std::string name;
  std::function<void()> start;
  std::function<void()> stop;
  std::function<void()> reload;  // empty: needs a restart to change
};

class Components {
 public:
  void add(Component c) { list_.push_back(std::move(c)); }
  void start();
  void stop();  // reverse order; each part once
  // SIGHUP: reloads the parts that can; returns the names of those that cannot.
  std::vector<std::string> reload();
  const std::vector<Component>& list() const { return list_; }

 private:
  std::vector<Component> list_;
  std::size_t started_ = 0;
};

}  // namespace gridsight::aggregator
