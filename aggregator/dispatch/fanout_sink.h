#pragma once
// Hands each case output to several sinks in turn (MQTT, the platform connector, the live
// feed). A sink that throws is logged and skipped: the others still receive the output.

#include <spdlog/spdlog.h>

#include <exception>
#include <vector>

#include "aggregator/cases/case_sink.h"

namespace gridsight::aggregator {

class FanoutSink final : public cases::CaseSink {
 public:
  // The sinks must outlive this one.
  void add(cases::CaseSink& sink) { sinks_.push_back(&sink); }
  std::size_t size() const { return sinks_.size(); }

  void publish(const cases::CaseOutput& output) override {
    for (auto* s : sinks_) {
      try {
        s->publish(output);
      } catch (const std::exception& e) {
        spdlog::error("case {}: an output sink failed: {}", output.case_id, e.what());
      }
    }
  }

 private:
  std::vector<cases::CaseSink*> sinks_;
};

}  // namespace gridsight::aggregator
