#pragma once
// Receives evidence chunks: appends them in order to a partial file, verifies the content
// hash when complete, enforces the per-device byte quota, and says how far it got so the
// edge can resume (docs/protocol.md, "Evidence").

#include <cstdint>
#include <filesystem>
#include <string>

#include "protocol/evidence_frame.h"
#include "protocol/messages.h"

namespace gridsight {
class Metrics;
class Counter;
}

namespace gridsight::aggregator {

class EventStore;

struct EvidenceConfig {
  std::uint64_t device_quota_bytes = 8ULL << 30;
  int max_hash_failures = 3;
};

class EvidenceReceiver {
 public:
  EvidenceReceiver(std::filesystem::path dir, EvidenceConfig config, EventStore& store,
                   Metrics& metrics);

  // Inside the store's unit of work. Returns the acknowledgement for the edge.
  protocol::EvidenceAck receive(const std::string& device_id, const protocol::EvidenceChunk& chunk,
                                std::int64_t now_ms);

  std::filesystem::path path_of(const std::string& hash) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path partial_dir_;
  EvidenceConfig config_;
  EventStore& store_;
  Counter& completed_;
  Counter& bytes_;
  Counter& hash_mismatch_;
  Counter& refused_;
};

}  // namespace gridsight::aggregator
