#pragma once
// Publishes the case engine's outputs (new cases, transitions, reminders, supervision rounds)
// for the dispatch side on <root>/dispatch/v1/cases (QoS 1), and logs them.

#include <string>

#include "aggregator/cases/case_sink.h"

namespace gridsight::mqtt {
class Session;
}

namespace gridsight::aggregator {

class MqttCaseSink final : public cases::CaseSink {
 public:
  MqttCaseSink(mqtt::Session& session, const std::string& topic_root);
  void publish(const cases::CaseOutput& output) override;
  const std::string& topic() const { return topic_; }

 private:
  mqtt::Session& session_;
  std::string topic_;
};

}  // namespace gridsight::aggregator
