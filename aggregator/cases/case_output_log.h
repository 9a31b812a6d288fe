#pragma once
// The case outputs read back in the order they were saved: the live feed's head and its
// replay after a Last-Event-ID. A port of the cases domain, like EventLog; the case store
// implementations implement it next to CaseStore (it reads what CaseStore::create and save
// wrote).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::cases {

// One stored output: its id (increasing in the order outputs were saved) and its JSON body
// (cases::to_json of the output).
struct StoredOutput {
  std::int64_t id = 0;
  std::string body;
};

class CaseOutputLog {
 public:
  virtual ~CaseOutputLog() = default;
  // The id of the newest output (0: none yet).
  virtual std::int64_t last_output_id() = 0;
  // Up to `limit` outputs with after < id <= up_to, in id order.
  virtual std::vector<StoredOutput> outputs_between(std::int64_t after, std::int64_t up_to,
                                                    std::size_t limit) = 0;
};

}  // namespace gridsight::cases
