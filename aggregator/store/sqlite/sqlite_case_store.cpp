#include "aggregator/store/sqlite/sqlite_case_store.h"

#include <cassert>
#include <cstdint>

#include "aggregator/cases/case_json.h"
#include "common/sqlite/database.h"

namespace gridsight::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  state TEXT NOT NULL,
  class_code TEXT NOT NULL,
  cell_code TEXT NOT NULL,
  source TEXT NOT NULL,
  detector TEXT NOT NULL,
  camera_id TEXT NOT NULL,
  reported_ms INTEGER NOT NULL,
  filed_ms INTEGER NOT NULL,
  closed_ms INTEGER NOT NULL,
  due_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_state ON cases(state, id);
CREATE INDEX IF NOT EXISTS cases_cell ON cases(cell_code, id);
CREATE INDEX IF NOT EXISTS cases_reported ON cases(reported_ms);
CREATE INDEX IF NOT EXISTS cases_filed ON cases(filed_ms);
CREATE TABLE IF NOT EXISTS case_departments (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  department TEXT NOT NULL,
  PRIMARY KEY (case_id, department)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS case_departments_department ON case_departments(department);
CREATE TABLE IF NOT EXISTS case_reports (
  event_id TEXT PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  seq INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_reports_case ON case_reports(case_id, seq);
CREATE TABLE IF NOT EXISTS case_transitions (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  seq INTEGER NOT NULL,
  action TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS case_outputs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  kind TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_outputs_case ON case_outputs(case_id, id);
CREATE TABLE IF NOT EXISTS case_cursor (
  name TEXT PRIMARY KEY,
  last_row INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  row INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  type TEXT NOT NULL,
  error TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  at_ms INTEGER NOT NULL
);
)sql";

constexpr const char* kColumns = "id, body";

}  // namespace

struct SqliteCaseStore::Impl {
  explicit Impl(const std::string& path) : db(path) {
    db.exec(kSchema);
    insert_case = db.prepare(
        "INSERT INTO cases (state, class_code, cell_code, source, detector, camera_id, "
        "reported_ms, filed_ms, closed_ms, due_ms, body) VALUES (?,?,?,?,?,?,?,?,?,?,'')");
    update_case = db.prepare(
        "UPDATE cases SET state=?, class_code=?, cell_code=?, source=?, detector=?, camera_id=?, "
        "reported_ms=?, filed_ms=?, closed_ms=?, due_ms=?, body=? WHERE id=?");
    insert_report =
        db.prepare("INSERT INTO case_reports (event_id, case_id, seq, body) VALUES (?,?,?,?)");
    insert_transition = db.prepare(
        "INSERT INTO case_transitions (case_id, seq, action, from_state, to_state, actor, at_ms, "
        "note) VALUES (?,?,?,?,?,?,?,?)");
    insert_output =
        db.prepare("INSERT INTO case_outputs (case_id, kind, at_ms, body) VALUES (?,?,?,?)");
    delete_departments = db.prepare("DELETE FROM case_departments WHERE case_id=?");
    insert_department =
        db.prepare("INSERT OR IGNORE INTO case_departments (case_id, department) VALUES (?,?)");
    select_case = db.prepare("SELECT id, body FROM cases WHERE id=?");
    select_reports = db.prepare("SELECT body FROM case_reports WHERE case_id=? ORDER BY seq");
    select_transitions = db.prepare(
        "SELECT seq, action, from_state, to_state, actor, at_ms, note FROM case_transitions "
        "WHERE case_id=? ORDER BY seq");
    select_event = db.prepare("SELECT case_id FROM case_reports WHERE event_id=?");
  }

  // Writes the case row (body: the case without reports and history).
  void write_row(const cases::Case& c, bool departments_changed) {
    sqlite::Statement& s = update_case;
    s.reset();
    bind_columns(s, c);
    s.bind(11, cases::to_json(c, false));
    s.bind(12, c.id);
    s.run();
    if (!departments_changed) return;
    delete_departments.reset();
    delete_departments.bind(1, c.id).run();
    for (const auto& a : c.departments) {
      insert_department.reset();
      insert_department.bind(1, c.id).bind(2, a.department).run();
    }
  }

  static void bind_columns(sqlite::Statement& s, const cases::Case& c) {
    s.bind(1, cases::to_string(c.state))
        .bind(2, c.class_code)
        .bind(3, c.cell_code)
        .bind(4, cases::to_string(c.source))
        .bind(5, c.detector)
        .bind(6, c.camera_id)
        .bind(7, c.reported_ms)
        .bind(8, c.filed_ms)
        .bind(9, c.closed_ms)
        .bind(10, c.due_ms);
  }

  void write_children(const cases::Case& c, const CaseDelta& d,
                      const std::vector<cases::CaseOutput>& outputs) {
    for (std::size_t i = d.reports_from; i < c.reports.size(); ++i) {
      insert_report.reset();
      insert_report.bind(1, c.reports[i].event_id)
          .bind(2, c.id)
          .bind(3, static_cast<std::int64_t>(i))
          .bind(4, cases::to_json(c.reports[i]))
          .run();
    }
    for (std::size_t i = d.history_from; i < c.history.size(); ++i) {
      const cases::Transition& t = c.history[i];
      insert_transition.reset();
      insert_transition.bind(1, c.id)
          .bind(2, t.seq)
          .bind(3, cases::to_string(t.action))
          .bind(4, cases::to_string(t.from))
          .bind(5, cases::to_string(t.to))
          .bind(6, t.actor)
          .bind(7, t.at_ms)
          .bind(8, t.note)
          .run();
    }
    for (cases::CaseOutput o : outputs) {
      o.case_id = c.id;
      insert_output.reset();
      insert_output.bind(1, c.id)
          .bind(2, cases::to_string(o.kind))
          .bind(3, o.at_ms)
          .bind(4, cases::to_json(o))
          .run();
    }
  }

  cases::Case read_case(sqlite::Statement& s, bool children) {
    cases::Case c = cases::case_from_json(s.text_view(1));
    c.id = s.int64(0);
    if (children) {
      select_reports.reset();
      select_reports.bind(1, c.id);
      while (select_reports.step()) {
        c.reports.push_back(cases::report_from_json(select_reports.text_view(0)));
      }
      select_transitions.reset();
      select_transitions.bind(1, c.id);
      while (select_transitions.step()) {
        cases::Transition t;
        t.seq = static_cast<int>(select_transitions.int64(0));
        t.action = *cases::action_from_string(select_transitions.text_view(1));
        t.from = *cases::state_from_string(select_transitions.text_view(2));
        t.to = *cases::state_from_string(select_transitions.text_view(3));
        t.actor = select_transitions.text(4);
        t.at_ms = select_transitions.int64(5);
        t.note = select_transitions.text(6);
        c.history.push_back(std::move(t));
      }
    }
    return c;
  }

  // A transaction unless a batch is open.
  template <class F>
  void write(F&& f) {
    if (in_batch) {
      f();
      return;
    }
    sqlite::Transaction tx(db);
    f();
    tx.commit();
  }

  sqlite::Database db;
  sqlite::Statement insert_case = db.prepare("SELECT 1");
  sqlite::Statement update_case = db.prepare("SELECT 1");
  sqlite::Statement insert_report = db.prepare("SELECT 1");
  sqlite::Statement insert_transition = db.prepare("SELECT 1");
  sqlite::Statement insert_output = db.prepare("SELECT 1");
  sqlite::Statement delete_departments = db.prepare("SELECT 1");
  sqlite::Statement insert_department = db.prepare("SELECT 1");
  sqlite::Statement select_case = db.prepare("SELECT 1");
  sqlite::Statement select_reports = db.prepare("SELECT 1");
  sqlite::Statement select_transitions = db.prepare("SELECT 1");
  sqlite::Statement select_event = db.prepare("SELECT 1");
  bool in_batch = false;
};

SqliteCaseStore::SqliteCaseStore(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
SqliteCaseStore::~SqliteCaseStore() = default;

sqlite::Database& SqliteCaseStore::database() {
  return impl_->db;
}

void SqliteCaseStore::create(cases::Case& c, const std::vector<cases::CaseOutput>& outputs) {
  assert(c.id == 0);
  impl_->write([&] {
    sqlite::Statement& s = impl_->insert_case;
    s.reset();
    Impl::bind_columns(s, c);
    s.run();
    c.id = impl_->db.last_insert_rowid();
    impl_->write_row(c, true);
    impl_->write_children(c, {}, outputs);
  });
}

void SqliteCaseStore::save(const cases::Case& c, const CaseDelta& delta,
                           const std::vector<cases::CaseOutput>& outputs) {
  assert(c.id != 0);
  impl_->write([&] {
    impl_->write_row(c, delta.departments_changed);
    impl_->write_children(c, delta, outputs);
  });
}

std::optional<cases::Case> SqliteCaseStore::get(cases::CaseId id) {
  sqlite::Statement& s = impl_->select_case;
  s.reset();
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  cases::Case c = impl_->read_case(s, true);
  s.reset();  // ends the read
  return c;
}

std::optional<cases::CaseId> SqliteCaseStore::case_of_event(const std::string& event_id) {
  sqlite::Statement& s = impl_->select_event;
  s.reset();
  s.bind(1, event_id);
  if (!s.step()) return std::nullopt;
  cases::CaseId id = s.int64(0);
  s.reset();
  return id;
}

std::vector<cases::Case> SqliteCaseStore::active_cases() {
  auto s = impl_->db.prepare(std::string("SELECT ") + kColumns +
                             " FROM cases WHERE state NOT IN ('rejected','self_corrected',"
                             "'evaluated') ORDER BY id");
  std::vector<cases::Case> out;
  while (s.step()) out.push_back(impl_->read_case(s, true));
  return out;
}

namespace {

// The sort key of a case's deadline: its due time, or after every due time when it has none.
constexpr const char* kDueKey = "(CASE WHEN due_ms > 0 THEN due_ms ELSE 9223372036854775807 END)";
constexpr const char* kOpenStates =
    "state NOT IN ('closed', 'evaluated', 'rejected', 'self_corrected')";

// A query's WHERE clause and its parameters, in order (with the cursor when `paged`).
struct Where {
  std::string sql = " WHERE 1=1";
  int n = 0;
  std::string next() {
    std::string p(1, '?');  // not "?" + ...: GCC 12 -Wrestrict false positive at -O3
    p += std::to_string(++n);
    return p;
  }
};

Where where_of(const CaseQuery& q, bool paged) {
  Where w;
  std::string& sql = w.sql;
  if (q.state) sql += " AND state = " + w.next();
  if (q.class_code) sql += " AND class_code = " + w.next();
  if (q.cell_prefix) {
    std::string p = w.next();
    sql += " AND substr(cell_code, 1, length(" + p + ")) = " + p;
  }
  if (q.department) {
    sql += " AND id IN (SELECT case_id FROM case_departments WHERE department = " + w.next() + ")";
  }
  if (q.source) sql += " AND source = " + w.next();
  if (q.camera_id) sql += " AND camera_id = " + w.next();
  if (q.reported_from_ms) sql += " AND reported_ms >= " + w.next();
  if (q.reported_to_ms) sql += " AND reported_ms < " + w.next();
  if (q.overdue_at_ms) sql += " AND state = 'dispatched' AND due_ms > 0 AND due_ms < " + w.next();
  if (q.open_only) sql += std::string(" AND ") + kOpenStates;
  if (paged && q.order == CaseQuery::Order::kNewest && q.before_id) {
    sql += " AND id < " + w.next();
  }
  if (paged && q.order == CaseQuery::Order::kDeadline && q.after_deadline) {
    const std::string due = w.next();
    const std::string id = w.next();
    sql += std::string(" AND (") + kDueKey + " > " + due + " OR (" + kDueKey + " = " + due +
           " AND id > " + id + "))";
  }
  return w;
}

void bind_where(sqlite::Statement& s, const CaseQuery& q, bool paged, int& i) {
  if (q.state) s.bind(i++, cases::to_string(*q.state));
  if (q.class_code) s.bind(i++, *q.class_code);
  if (q.cell_prefix) s.bind(i++, *q.cell_prefix);
  if (q.department) s.bind(i++, *q.department);
  if (q.source) s.bind(i++, cases::to_string(*q.source));
  if (q.camera_id) s.bind(i++, *q.camera_id);
  if (q.reported_from_ms) s.bind(i++, *q.reported_from_ms);
  if (q.reported_to_ms) s.bind(i++, *q.reported_to_ms);
  if (q.overdue_at_ms) s.bind(i++, *q.overdue_at_ms);
  if (paged && q.order == CaseQuery::Order::kNewest && q.before_id) s.bind(i++, *q.before_id);
  if (paged && q.order == CaseQuery::Order::kDeadline && q.after_deadline) {
    s.bind(i++, q.after_deadline->first);
    s.bind(i++, q.after_deadline->second);
  }
}

}  // namespace

CasePage SqliteCaseStore::list(const CaseQuery& q) {
  Where w = where_of(q, true);
  const bool by_deadline = q.order == CaseQuery::Order::kDeadline;
  std::string sql = std::string("SELECT ") + kColumns + ", " + kDueKey + " FROM cases" + w.sql +
                    (by_deadline ? std::string(" ORDER BY ") + kDueKey + " ASC, id ASC"
                                 : std::string(" ORDER BY id DESC")) +
                    " LIMIT " + w.next();
  auto s = impl_->db.prepare(sql);
  int i = 1;
  bind_where(s, q, true, i);
  int limit = q.limit < 1 ? 1 : (q.limit > 1000 ? 1000 : q.limit);
  s.bind(i++, limit + 1);  // one more tells whether another page exists
  CasePage page;
  std::vector<std::int64_t> keys;
  while (s.step()) {
    page.cases.push_back(impl_->read_case(s, false));
    keys.push_back(s.int64(2));
  }
  if (static_cast<int>(page.cases.size()) > limit) {
    page.cases.pop_back();
    keys.pop_back();
    if (by_deadline) {
      page.next_after_deadline = std::make_pair(keys.back(), page.cases.back().id);
    } else {
      page.next_before_id = page.cases.back().id;
    }
  }
  return page;
}

std::int64_t SqliteCaseStore::count(const CaseQuery& q) {
  Where w = where_of(q, false);
  auto s = impl_->db.prepare("SELECT COUNT(*) FROM cases" + w.sql);
  int i = 1;
  bind_where(s, q, false, i);
  return s.step() ? s.int64(0) : 0;
}

std::vector<CellCount> SqliteCaseStore::open_by_cell(std::int64_t now_ms,
                                                     const std::optional<std::string>& department) {
  std::string sql = std::string(
                        "SELECT cell_code, COUNT(*), SUM(state = 'dispatched' AND due_ms > 0 AND "
                        "due_ms < ?1) FROM cases WHERE ") +
                    kOpenStates;
  if (department) {
    sql += " AND id IN (SELECT case_id FROM case_departments WHERE department = ?2)";
  }
  sql += " GROUP BY cell_code ORDER BY cell_code";
  auto s = impl_->db.prepare(sql);
  s.bind(1, now_ms);
  if (department) s.bind(2, *department);
  std::vector<CellCount> out;
  while (s.step()) out.push_back({s.text(0), s.int64(1), s.int64(2)});
  return out;
}

std::vector<cases::Case> SqliteCaseStore::for_indicators(std::int64_t from_ms, std::int64_t to_ms,
                                                         const std::string& cell_prefix) {
  auto s = impl_->db.prepare(
      std::string("SELECT ") + kColumns +
      " FROM cases WHERE substr(cell_code, 1, length(?1)) = ?1 AND ((reported_ms >= ?2 AND "
      "reported_ms < ?3) OR (filed_ms >= ?2 AND filed_ms < ?3)) ORDER BY id");
  s.bind(1, cell_prefix).bind(2, from_ms).bind(3, to_ms);
  std::vector<cases::Case> out;
  while (s.step()) out.push_back(impl_->read_case(s, false));
  return out;
}

std::vector<cases::CaseOutput> SqliteCaseStore::outputs_of(cases::CaseId id) {
  auto s = impl_->db.prepare("SELECT body FROM case_outputs WHERE case_id=? ORDER BY id");
  s.bind(1, id);
  std::vector<cases::CaseOutput> out;
  while (s.step()) out.push_back(cases::output_from_json(s.text_view(0)));
  return out;
}

std::int64_t SqliteCaseStore::last_output_id() {
  auto s = impl_->db.prepare("SELECT coalesce(max(id), 0) FROM case_outputs");
  return s.step() ? s.int64(0) : 0;
}

std::vector<cases::StoredOutput> SqliteCaseStore::outputs_between(std::int64_t after,
                                                                  std::int64_t up_to,
                                                                  std::size_t limit) {
  auto s = impl_->db.prepare(
      "SELECT id, body FROM case_outputs WHERE id > ? AND id <= ? ORDER BY id LIMIT ?");
  s.bind(1, after).bind(2, up_to).bind(3, static_cast<std::int64_t>(limit));
  std::vector<cases::StoredOutput> out;
  while (s.step()) out.push_back({s.int64(0), s.text(1)});
  return out;
}

std::int64_t SqliteCaseStore::event_cursor() {
  auto s = impl_->db.prepare("SELECT last_row FROM case_cursor WHERE name = 'events'");
  return s.step() ? s.int64(0) : 0;
}

void SqliteCaseStore::set_event_cursor(std::int64_t row) {
  impl_->write([&] {
    impl_->db
        .prepare(
            "INSERT INTO case_cursor(name, last_row) VALUES('events', ?) "
            "ON CONFLICT(name) DO UPDATE SET last_row = excluded.last_row")
        .bind(1, row)
        .run();
  });
}

void SqliteCaseStore::add_dead_event(const DeadEvent& d) {
  impl_->write([&] {
    impl_->db
        .prepare(
            "INSERT INTO dead_events(row, event_id, device_id, type, error, attempts, at_ms) "
            "VALUES(?,?,?,?,?,?,?)")
        .bind(1, d.row)
        .bind(2, d.event_id)
        .bind(3, d.device_id)
        .bind(4, d.type)
        .bind(5, d.error)
        .bind(6, static_cast<std::int64_t>(d.attempts))
        .bind(7, d.at_ms)
        .run();
  });
}

std::vector<DeadEvent> SqliteCaseStore::dead_events(std::optional<std::int64_t> before_id,
                                                    int limit) {
  auto s = impl_->db.prepare(
      "SELECT id, row, event_id, device_id, type, error, attempts, at_ms FROM dead_events "
      "WHERE id < ? ORDER BY id DESC LIMIT ?");
  s.bind(1, before_id.value_or(INT64_MAX)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<DeadEvent> out;
  while (s.step()) {
    DeadEvent d;
    d.id = s.int64(0);
    d.row = s.int64(1);
    d.event_id = s.text(2);
    d.device_id = s.text(3);
    d.type = s.text(4);
    d.error = s.text(5);
    d.attempts = static_cast<int>(s.int64(6));
    d.at_ms = s.int64(7);
    out.push_back(std::move(d));
  }
  return out;
}

std::uint64_t SqliteCaseStore::dead_event_count() {
  auto s = impl_->db.prepare("SELECT count(*) FROM dead_events");
  return s.step() ? static_cast<std::uint64_t>(s.int64(0)) : 0;
}

CaseCounts SqliteCaseStore::counts(std::int64_t now_ms) {
  CaseCounts c;
  auto s = impl_->db.prepare("SELECT state, count(*) FROM cases GROUP BY state");
  while (s.step()) {
    if (auto st = cases::state_from_string(s.text_view(0))) {
      c.by_state[*st] = static_cast<std::uint64_t>(s.int64(1));
    }
  }
  auto o = impl_->db.prepare(
      "SELECT count(*) FROM cases WHERE state = 'dispatched' AND due_ms > 0 AND due_ms < ?");
  o.bind(1, now_ms);
  if (o.step()) c.overdue = static_cast<std::uint64_t>(o.int64(0));
  c.dead_events = dead_event_count();
  return c;
}

void SqliteCaseStore::begin_batch() {
  assert(!impl_->in_batch);
  impl_->db.exec("BEGIN IMMEDIATE");
  impl_->in_batch = true;
}

void SqliteCaseStore::commit_batch() {
  assert(impl_->in_batch);
  impl_->db.exec("COMMIT");
  impl_->in_batch = false;
}

void SqliteCaseStore::rollback_batch() {
  if (!impl_->in_batch) return;
  impl_->in_batch = false;
  impl_->db.exec("ROLLBACK");
}

}  // namespace gridsight::store
