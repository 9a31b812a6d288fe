#pragma once
// Counters and gauges with fixed label sets, exported in the Prometheus text format
// (/metrics) and as JSON-friendly snapshots. Handles are created once and kept; updating a
// metric is a relaxed atomic add.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gridsight {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Metrics {
 public:
  // Returns the same handle for the same name and labels. Names follow Prometheus rules
  // ("gridsight_outbox_evicted_total").
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});

  // Prometheus text exposition format 0.0.4.
  std::string prometheus() const;
  // Value of a counter or gauge, 0 if absent (tests, telemetry).
  double value(const std::string& name, const Labels& labels = {}) const;

 private:
  struct Family {
    std::string help;
    bool is_counter = true;
    std::map<Labels, std::size_t> series;  // labels -> index in counters_/gauges_
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counters_;  // deque: stable addresses
  std::deque<Gauge> gauges_;
};

}  // namespace gridsight
