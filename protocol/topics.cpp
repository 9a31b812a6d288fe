#include "protocol/topics.h"

#include <array>
#include <utility>

#include "protocol/ids.h"

namespace gridsight::protocol {
namespace {

constexpr std::array<std::pair<TopicKind, std::string_view>, 8> kSuffixes{{
    {TopicKind::kEvents, "events"},
    {TopicKind::kEvidence, "evidence"},
    {TopicKind::kNotice, "notice"},
    {TopicKind::kAck, "ack"},
    {TopicKind::kState, "state"},
    {TopicKind::kTelemetry, "telemetry"},
    {TopicKind::kCommand, "cmd"},
    {TopicKind::kCommandResult, "cmd/result"},
}};

}  // namespace

const char* to_string(TopicKind kind) {
  for (const auto& [k, s] : kSuffixes) {
    if (k == kind) return s.data();
  }
  return "?";
}

Topics::Topics(std::string root) : root_(std::move(root)), prefix_(root_ + "/v1/") {}

std::string Topics::device(std::string_view device_id, TopicKind kind) const {
  std::string t = prefix_;
  t.append(device_id);
  t.push_back('/');
  t.append(to_string(kind));
  return t;
}

std::string Topics::all_devices(TopicKind kind) const {
  return prefix_ + "+/" + to_string(kind);
}

std::optional<Topics::Parsed> Topics::parse(std::string_view topic) const {
  if (topic.substr(0, prefix_.size()) != prefix_) return std::nullopt;
  topic.remove_prefix(prefix_.size());
  auto slash = topic.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view device = topic.substr(0, slash);
  std::string_view suffix = topic.substr(slash + 1);
  if (!is_device_id(device)) return std::nullopt;
  for (const auto& [k, s] : kSuffixes) {
    if (s == suffix) return Parsed{std::string(device), k};
  }
  return std::nullopt;
}

}  // namespace gridsight::protocol
