#pragma once
// Asking the source edge whether a problem is still there (a fresh snapshot/state over the
// command channel), for the self-correction period and for verification. The edge command
// channel implements this later; until then NoRecheckChannel answers "unavailable" and the
// engine falls back on what the events said (see docs/grid-engine.md).

#include <cstdint>
#include <string>

namespace gridsight::cases {

enum class RecheckAnswer { kStillPresent, kGone, kUnavailable };

struct RecheckRequest {
  std::int64_t case_id = 0;
  std::string device_id;
  std::string camera_id;
  std::string zone;
  std::string event_type;
  std::int64_t at_ms = 0;
};

class RecheckChannel {
 public:
  virtual ~RecheckChannel() = default;
  virtual RecheckAnswer recheck(const RecheckRequest& request) = 0;
};

class NoRecheckChannel final : public RecheckChannel {
 public:
  RecheckAnswer recheck(const RecheckRequest&) override { return RecheckAnswer::kUnavailable; }
};

}  // namespace gridsight::cases
