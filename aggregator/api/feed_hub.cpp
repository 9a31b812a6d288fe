#include "aggregator/api/feed_hub.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/http/message.h"

namespace gridsight::api {

FeedHub::FeedHub(OpenLog open_log) : open_log_(std::move(open_log)) {}

FeedHub::~FeedHub() {
  stop();
}

void FeedHub::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  if (!log_) log_ = open_log_();
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void FeedHub::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& s : subs_) s->stream->close();
  subs_.clear();
}

void FeedHub::subscribe(std::shared_ptr<http::EventStream> stream,
                        std::optional<std::int64_t> since, std::string department) {
  auto sub = std::make_shared<Sub>();
  sub->stream = std::move(stream);
  sub->cursor = since ? *since : -1;
  sub->department = std::move(department);
  sub->stream->send("retry: 2000\n\n");
  {
    std::lock_guard lock(mu_);
    subs_.push_back(std::move(sub));
    woken_ = true;
  }
  cv_.notify_all();
}

void FeedHub::notify() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void FeedHub::broadcast_alert(const std::string& json) {
  std::lock_guard lock(mu_);
  for (auto& s : subs_) {
    if (s->department.empty()) s->stream->send("event: fleet_alert\ndata: " + json + "\n\n");
  }
}

std::size_t FeedHub::subscribers() const {
  std::lock_guard lock(mu_);
  return subs_.size();
}

std::string FeedHub::frame(std::int64_t id, const std::string& body) {
  return "id: " + std::to_string(id) + "\nevent: case\ndata: " + body + "\n\n";
}

void FeedHub::run() {
  auto last_ping = std::chrono::steady_clock::now();
  while (true) {
    bool woken = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, last_ping + std::chrono::seconds(15),
                     [this] { return woken_ || !running_; });
      if (!running_) return;
      woken = woken_;
      woken_ = false;
    }
    if (woken) {
      try {
        round();
      } catch (const std::exception& e) {
        spdlog::warn("api feed: {}", e.what());
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ping >= std::chrono::seconds(15)) {
      last_ping = now;
      std::lock_guard lock(mu_);
      for (auto& s : subs_) s->stream->send(": ping\n\n");
    }
  }
}

// Each subscriber gets what it lacks, read from the store page by page, but never more than
// kWindow frames ahead of what its connection has written: a slow reader (or one replaying a
// long Last-Event-ID backlog) is paced by its own socket and resumes when it has drained,
// instead of being cut by the server's queue limit.
void FeedHub::round() {
  constexpr std::size_t kWindow = 256;
  std::vector<std::shared_ptr<Sub>> subs;
  {
    std::lock_guard lock(mu_);
    subs_.erase(std::remove_if(subs_.begin(), subs_.end(),
                               [](const auto& s) { return !s->stream->is_open(); }),
                subs_.end());
    subs = subs_;
  }
  if (subs.empty()) return;
  const std::int64_t head = log_->last_output_id();
  // Those waiting for their connection to drain sit this round out.
  auto held = [&](const std::shared_ptr<Sub>& s) {
    if (s->held) return true;
    if (s->stream->queued() < kWindow) return false;
    s->held = true;
    std::weak_ptr<Sub> weak = s;
    s->stream->on_drained([this, weak] {
      if (auto sub = weak.lock()) sub->held = false;
      notify();
    });
    return true;
  };
  std::int64_t low = head;
  std::vector<std::shared_ptr<Sub>> ready;
  for (auto& s : subs) {
    if (s->cursor < 0) s->cursor = head;  // only (thread-local) new entries
    if (s->cursor >= head || held(s)) continue;
    ready.push_back(s);
    low = std::min(low, s->cursor);
  }
  while (low < head && !ready.empty()) {
    std::int64_t last = low;
    for (const auto& [id, body] : log_->outputs_between(low, head, 500)) {
      if (ready.empty()) break;
      last = id;
      std::vector<std::string> departments;
      bool parsed = false;
      for (auto& s : ready) {
        if (s->cursor >= id) continue;
        if (held(s)) continue;
        s->cursor = id;
        if (!s->department.empty()) {
          if (!parsed) {
            auto j = nlohmann::json::parse(body, nullptr, false);
            if (j.is_object() && j.contains("departments") && j["departments"].is_array()) {
              for (const auto& d : j["departments"]) {
                if (d.is_string()) departments.push_back(d.get<std::string>());
              }
            }
            parsed = true;
          }
          if (std::find(departments.begin(), departments.end(), s->department) ==
              departments.end()) {
            continue;
          }
        }
        s->stream->send(frame(id, body));
      }
      ready.erase(
          std::remove_if(ready.begin(), ready.end(), [](const auto& s) { return s->held.load(); }),
          ready.end());
    }
    if (last == low) break;
    low = last;
  }
}

}  // namespace gridsight::api
