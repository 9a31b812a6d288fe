#pragma once
// Hands each case output to several sinks in turn (the case service's subscribers: MQTT, the
// platform connector, the live feed). A sink that throws is logged and skipped: the others
// still receive the output.

#include <spdlog/spdlog.h>

#include <exception>
#include <vector>

#include "aggregator/cases/case_sink.h"

namespace gridsight::cases {

class FanoutSink final : public CaseSink {
 public:
  // The sinks must outlive this one.
  void add(CaseSink& sink) { sinks_.push_back(&sink); }
  std::size_t size() const { return sinks_.size(); }

  void publish(const CaseOutput& output) override {
    for (auto* s : sinks_) {
      try {
        s->publish(output);
      } catch (const std::exception& e) {
        spdlog::error("case {}: an output sink failed: {}", output.case_id, e.what());
      }
    }
  }

 private:
  std::vector<CaseSink*> sinks_;
};

}  // namespace gridsight::cases
