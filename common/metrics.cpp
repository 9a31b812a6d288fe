#include "common/metrics.h"

#include <cassert>
#include <cstdio>

namespace gridsight {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string s = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) s += ",";
    s += labels[i].first + "=\"" + escape(labels[i].second) + "\"";
  }
  return s + "}";
}

}  // namespace

Counter& Metrics::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  if (f.help.empty()) f.help = help;
  assert(f.is_counter && "metric registered as a gauge");
  auto [it, inserted] = f.series.try_emplace(labels, counters_.size());
  if (inserted) counters_.emplace_back();
  return counters_[it->second];
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  if (f.help.empty()) {
    f.help = help;
    f.is_counter = false;
  }
  assert(!f.is_counter && "metric registered as a counter");
  auto [it, inserted] = f.series.try_emplace(labels, gauges_.size());
  if (inserted) gauges_.emplace_back();
  return gauges_[it->second];
}

std::string Metrics::prometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  char buf[64];
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + (f.is_counter ? " counter\n" : " gauge\n");
    for (const auto& [labels, idx] : f.series) {
      if (f.is_counter) {
        std::snprintf(buf, sizeof buf, "%llu",
                      static_cast<unsigned long long>(counters_[idx].value()));
      } else {
        std::snprintf(buf, sizeof buf, "%.17g", gauges_[idx].value());
      }
      out += name + render_labels(labels) + " " + buf + "\n";
    }
  }
  return out;
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(labels);
  if (s == f->second.series.end()) return 0;
  return f->second.is_counter ? static_cast<double>(counters_[s->second].value())
                              : gauges_[s->second].value();
}

}  // namespace gridsight
