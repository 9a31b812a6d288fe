#pragma once
// Asking the source edge whether a problem is still there (a fresh look over the command
// channel), for the self-correction period and for verification. Asynchronous: the engine
// asks and goes on; the answer comes back later as a command to the case service
// (CaseEngine::on_recheck). Without a command channel NoRecheckChannel answers "unavailable"
// and the engine falls back on what the events said (docs/grid-engine.md).

#include <cstdint>
#include <functional>
#include <string>

namespace gridsight::cases {

enum class RecheckAnswer { kStillPresent, kGone, kUnavailable };
const char* to_string(RecheckAnswer a);

struct RecheckRequest {
  std::int64_t case_id = 0;
  std::string device_id;
  std::string camera_id;
  std::string zone;
  std::string event_type;
  std::int64_t at_ms = 0;
};

// Called exactly once per ask(), on any thread (possibly inside ask()).
using RecheckReply = std::function<void(RecheckAnswer)>;

class RecheckChannel {
 public:
  virtual ~RecheckChannel() = default;
  // Returns at once; the answer ("unavailable" on timeout or an offline box) goes to `reply`.
  virtual void ask(const RecheckRequest& request, RecheckReply reply) = 0;
};

class NoRecheckChannel final : public RecheckChannel {
 public:
  void ask(const RecheckRequest&, RecheckReply reply) override {
    reply(RecheckAnswer::kUnavailable);
  }
};

}  // namespace gridsight::cases
