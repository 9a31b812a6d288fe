#pragma once
// Text from untrusted bytes made safe to store, log and send as JSON.

#include <cstddef>
#include <string>
#include <string_view>

namespace gridsight::protocol {

// `s` as valid UTF-8: every byte that is not part of a well-formed UTF-8 sequence (stray
// continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
// sequences) becomes the four characters "\xHH". The result is at most `max_bytes` long, cut
// at a character boundary (never inside a sequence or an escape).
std::string valid_utf8(std::string_view s, std::size_t max_bytes = std::string_view::npos);

}  // namespace gridsight::protocol
