#include "protocol/ids.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

#include "protocol/sha256.h"

namespace gridsight::protocol {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

struct UuidV7State {
  std::mutex mu;
  std::mt19937_64 rng{std::random_device{}()};
  std::int64_t last_ms = -1;
  std::uint16_t counter = 0;  // 12 bits used
};

UuidV7State& state() {
  static UuidV7State s;
  return s;
}

}  // namespace

std::string new_event_id(std::int64_t unix_ms) {
  auto& st = state();
  std::uint64_t rand_b;
  std::uint16_t counter;
  {
    std::lock_guard lock(st.mu);
    if (unix_ms <= st.last_ms) {
      // Same (or earlier: clock stepped back) millisecond: keep ids increasing by counting on
      // from the last id's time; when the 12-bit counter wraps, borrow the next millisecond.
      unix_ms = st.last_ms;
      if (++st.counter > 0x0fff) {
        ++unix_ms;
        st.counter = static_cast<std::uint16_t>(st.rng() & 0x01ff);
      }
    } else {
      st.counter = static_cast<std::uint16_t>(st.rng() & 0x01ff);  // random start, room to count
    }
    st.last_ms = unix_ms;
    counter = st.counter;
    rand_b = st.rng();
  }
  unsigned char b[16];
  const auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>(0x70 | ((counter >> 8) & 0x0f));  // version 7
  b[7] = static_cast<unsigned char>(counter & 0xff);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<unsigned char>(rand_b >> (8 * i));
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));  // variant 10
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

std::string new_event_id() {
  using namespace std::chrono;
  return new_event_id(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool is_event_id(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s[i])) {
      return false;
    }
  }
  // version 7, variant 10xx
  return s[14] == '7' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

std::int64_t event_id_time_ms(std::string_view id) {
  std::int64_t ms = 0;
  for (std::size_t i = 0; i < 13; ++i) {
    if (i == 8) continue;
    char c = id[i];
    ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return ms;
}

bool is_device_id(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] == '.' || s[0] == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

bool is_camera_id(std::string_view s) { return is_device_id(s); }

bool is_gb28181_code(std::string_view s) {
  return s.size() == 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_content_hash(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  if (s.size() != kPrefix.size() + 64 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  return std::all_of(s.begin() + kPrefix.size(), s.end(), is_hex);
}

std::string content_hash(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish_content_hash();
}

}  // namespace gridsight::protocol
