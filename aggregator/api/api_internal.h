#pragma once
// Shared by the API's translation units: the principal of a request, JSON helpers, the pool
// of read connections (opened through the stores' ports).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aggregator/api/api_config.h"
#include "aggregator/api/api_service.h"
#include "aggregator/cases/case.h"
#include "aggregator/cases/case_store.h"
#include "aggregator/store/event_evidence.h"
#include "common/http/auth.h"
#include "common/http/message.h"

namespace gridsight::api {

using json = nlohmann::json;

struct Principal {
  std::string name;
  Role role = Role::kReadonly;
  std::string department;
  bool is_token = false;
  std::string actor() const { return (is_token ? "token:" : "user:") + name; }
  // May this principal see the case? (A department only its own cases.)
  bool sees(const cases::Case& c) const;
};

// The actions `role` may take at all (the lifecycle decides when).
bool role_may(Role role, cases::Action action);
// The actions the principal may take on `c` in its current state.
std::vector<std::string> allowed_actions(const Principal& p, const cases::Case& c);

using OpenCases = std::function<std::unique_ptr<store::CaseStore>()>;
using OpenEvidence = std::function<std::unique_ptr<aggregator::EventEvidenceIndex>()>;

// One reader: a case store connection and an evidence index connection.
struct Reader {
  Reader(const OpenCases& open_cases, const OpenEvidence& open_evidence);
  std::unique_ptr<store::CaseStore> case_store;
  store::CaseStore& cases;
  std::unique_ptr<aggregator::EventEvidenceIndex> evidence;  // null: no event store
};

// A fixed set of readers lent to request handlers.
class ReaderPool {
 public:
  ReaderPool(OpenCases open_cases, OpenEvidence open_evidence)
      : open_cases_(std::move(open_cases)), open_evidence_(std::move(open_evidence)) {}
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Reader> r) : pool_(pool), r_(std::move(r)) {}
    ~Lease() { pool_.give_back(std::move(r_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Reader* operator->() { return r_.get(); }
    Reader& operator*() { return *r_; }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Reader> r_;
  };
  Lease lease();

 private:
  void give_back(std::unique_ptr<Reader> r);
  OpenCases open_cases_;
  OpenEvidence open_evidence_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Reader>> free_;
};

// Strict JSON body: an object whose keys are all in `allowed`; nullopt and a 400 response
// otherwise.
std::optional<json> parse_body(const http::Request& req, const std::set<std::string>& allowed,
                               http::Response& error);

json case_json(const cases::Case& c, std::int64_t now_ms, bool with_children);

// The opaque `next` cursor of a page ("k<id>" newest first, "d<due key>.<id>" by deadline),
// empty at the end; parse_cursor() sets the query's matching cursor (false: not a cursor of
// the query's order).
std::string cursor_of(const store::CasePage& page);
bool parse_cursor(const std::string& text, store::CaseQuery& q);
bool is_overdue(const cases::Case& c, std::int64_t now_ms);

// The Prometheus page: the registry's figures, with the gauges read at scrape time (cases by
// state, overdue, dead events, feed clients, fleet boxes online) set first.
std::string metrics_page(Metrics& metrics, store::CaseStore* cases, std::int64_t now_ms,
                         std::size_t feed_clients, const aggregator::fleet::FleetView* fleet);
// A page of poison events, newest first: {"items": [...], "total": n, "next_before": id}.
json dead_events_json(store::CaseStore& cases, std::optional<std::int64_t> before_id, int limit);

// Evidence references of an event (none without an event store).
std::vector<aggregator::EventEvidence> evidence_of(Reader& r, const std::string& event_id);

}  // namespace gridsight::api
