#include <algorithm>
#include <charconv>

#include "aggregator/api/api_internal.h"
#include "aggregator/cases/case_json.h"
#include "aggregator/cases/lifecycle.h"

namespace gridsight::api {

bool Principal::sees(const cases::Case& c) const {
  if (role != Role::kDepartment) return true;
  return std::any_of(c.departments.begin(), c.departments.end(),
                     [&](const cases::Assignment& a) { return a.department == department; });
}

bool role_may(Role role, cases::Action action) {
  using A = cases::Action;
  switch (role) {
    case Role::kDispatcher:
      return action == A::kFile || action == A::kReject || action == A::kDispatch ||
             action == A::kCallIn || action == A::kReturn || action == A::kExtend ||
             action == A::kPark || action == A::kUnpark || action == A::kEvaluate;
    case Role::kDepartment:
      return action == A::kResolve || action == A::kReturn;
    case Role::kSupervisor:
      return action == A::kVerify || action == A::kRework || action == A::kClose ||
             action == A::kEvaluate;
    case Role::kReadonly:
      return false;
  }
  return false;
}

std::vector<std::string> allowed_actions(const Principal& p, const cases::Case& c) {
  std::vector<std::string> out;
  if (!p.sees(c)) return out;
  for (int i = 0; i < cases::kActionCount; ++i) {
    const auto a = static_cast<cases::Action>(i);
    if (!role_may(p.role, a) || !cases::next_state(c.state, a)) continue;
    if (p.role == Role::kDepartment && a == cases::Action::kResolve) {
      // Only while its own part is open.
      bool open = false;
      for (const auto& d : c.departments) {
        if (d.department == p.department && !d.resolved) open = true;
      }
      if (!open) continue;
    }
    out.emplace_back(cases::to_string(a));
  }
  return out;
}

Reader::Reader(const OpenCases& open_cases, const OpenEvidence& open_evidence)
    : case_store(open_cases()), cases(*case_store) {
  if (open_evidence) evidence = open_evidence();
}

ReaderPool::Lease ReaderPool::lease() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      auto r = std::move(free_.back());
      free_.pop_back();
      return Lease(*this, std::move(r));
    }
  }
  return Lease(*this, std::make_unique<Reader>(open_cases_, open_evidence_));
}

void ReaderPool::give_back(std::unique_ptr<Reader> r) {
  if (!r) return;
  std::lock_guard lock(mu_);
  if (free_.size() < 32) free_.push_back(std::move(r));
}

std::optional<json> parse_body(const http::Request& req, const std::set<std::string>& allowed,
                               http::Response& error) {
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    error = http::Response::error(400, "bad_request", "the body is not valid JSON");
    return std::nullopt;
  }
  if (!j.is_object()) {
    error = http::Response::error(400, "bad_request", "the body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& [k, v] : j.items()) {
    if (!allowed.count(k)) {
      error = http::Response::error(400, "bad_request", "unknown field \"" + k + "\"");
      return std::nullopt;
    }
  }
  return j;
}

std::string cursor_of(const store::CasePage& page) {
  if (page.next_before_id) return "k" + std::to_string(*page.next_before_id);
  if (page.next_after_deadline) {
    return "d" + std::to_string(page.next_after_deadline->first) + "." +
           std::to_string(page.next_after_deadline->second);
  }
  return {};
}

bool parse_cursor(const std::string& text, store::CaseQuery& q) {
  auto number = [](std::string_view s) -> std::optional<std::int64_t> {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 1) return std::nullopt;
    return v;
  };
  const std::string_view t(text);
  if (t.size() < 2) return false;
  if (t[0] == 'k' && q.order == store::CaseQuery::Order::kNewest) {
    auto id = number(t.substr(1));
    if (id) q.before_id = *id;
    return id.has_value();
  }
  if (t[0] == 'd' && q.order == store::CaseQuery::Order::kDeadline) {
    const auto dot = t.find('.');
    if (dot == std::string_view::npos) return false;
    auto due = number(t.substr(1, dot - 1));
    auto id = number(t.substr(dot + 1));
    if (!due || !id) return false;
    q.after_deadline = std::make_pair(*due, *id);
    return true;
  }
  return false;
}

bool is_overdue(const cases::Case& c, std::int64_t now_ms) {
  return c.state == cases::State::kDispatched && c.due_ms > 0 && c.due_ms < now_ms;
}

json case_json(const cases::Case& c, std::int64_t now_ms, bool with_children) {
  json j = json::parse(cases::to_json(c, with_children));
  j["overdue"] = is_overdue(c, now_ms);
  return j;
}

std::vector<aggregator::EventEvidence> evidence_of(Reader& r, const std::string& event_id) {
  if (!r.evidence) return {};
  return r.evidence->evidence_of_event(event_id);
}

}  // namespace gridsight::api
