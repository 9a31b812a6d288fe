#pragma once
// SOAP 1.2 envelopes for ONVIF calls: the WS-Security UsernameToken header (PasswordDigest,
// ONVIF Core §5.12) and the reading of answers and faults.

#include <optional>
#include <string>
#include <string_view>

#include "edge/discovery/xml.h"

namespace gridsight::edge::discovery {

inline constexpr std::string_view kSoapContentType = "application/soap+xml; charset=utf-8";

struct Credentials {
  std::string user;
  std::string password;
  bool empty() const { return user.empty(); }
};

std::string xml_escape(std::string_view text);
std::string base64_encode(std::string_view bytes);

// <wsse:Security> with a UsernameToken: Password = Base64(SHA-1(nonce + created + password)),
// `nonce` raw bytes, `created` an xs:dateTime in UTC ("2026-12-05T12:00:00Z").
std::string username_token(const Credentials& credentials, std::string_view nonce,
                           std::string_view created);
// The same with a fresh random nonce, `created` from the given Unix time.
std::string username_token(const Credentials& credentials, long long unix_seconds);

// A SOAP 1.2 envelope around `body` (one element), with an optional header block.
std::string envelope(std::string_view body, std::string_view header = {});

// A parsed answer: the first element of its Body, or why there is none.
struct SoapAnswer {
  std::optional<XmlDocument> document;
  XmlNode body;       // first child element of Body (the response, or a Fault)
  std::string error;  // not XML, not SOAP, or a fault ("ter:NotAuthorized: Sender not ...")
  bool ok() const { return error.empty(); }
};
SoapAnswer parse_answer(std::string_view text);

}  // namespace gridsight::edge::discovery
