#include "edge/discovery/soap.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <ctime>
#include <string>

namespace gridsight::edge::discovery {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string username_token(const Credentials& c, std::string_view nonce, std::string_view created) {
  std::string material(nonce);
  material += created;
  material += c.password;
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(material.data()), material.size(), sha);
  const std::string digest =
      base64_encode(std::string_view(reinterpret_cast<const char*>(sha), sizeof sha));
  return "<wsse:Security s:mustUnderstand=\"1\" "
         "xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/"
         "oasis-200401-wss-wssecurity-secext-1.0.xsd\" "
         "xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/"
         "oasis-200401-wss-wssecurity-utility-1.0.xsd\">"
         "<wsse:UsernameToken><wsse:Username>" +
         xml_escape(c.user) +
         "</wsse:Username><wsse:Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
         "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">" +
         digest +
         "</wsse:Password><wsse:Nonce EncodingType=\"http://docs.oasis-open.org/wss/2004/01/"
         "oasis-200401-wss-soap-message-security-1.0#Base64Binary\">" +
         base64_encode(nonce) + "</wsse:Nonce><wsu:Created>" + std::string(created) +
         "</wsu:Created></wsse:UsernameToken></wsse:Security>";
}

std::string username_token(const Credentials& c, long long unix_seconds) {
  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return username_token(c, std::string_view(reinterpret_cast<const char*>(nonce), sizeof nonce),
                        created);
}

std::string envelope(std::string_view body, std::string_view header) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\" "
      "xmlns:trt=\"http://www.onvif.org/ver10/media/wsdl\" "
      "xmlns:tt=\"http://www.onvif.org/ver10/schema\">";
  if (!header.empty()) {
    out += "<s:Header>";
    out += header;
    out += "</s:Header>";
  }
  out += "<s:Body>";
  out += body;
  out += "</s:Body></s:Envelope>";
  return out;
}

SoapAnswer parse_answer(std::string_view text) {
  SoapAnswer a;
  std::string error;
  a.document = XmlDocument::parse(text, &error);
  if (!a.document) {
    a.error = "not XML: " + error;
    return a;
  }
  XmlNode root = a.document->root();
  if (root.name() != "Envelope") {
    a.error = "not a SOAP envelope";
    return a;
  }
  XmlNode body = root.child("Body");
  XmlNode first = body.first_child();
  if (!first) {
    a.error = "no answer in the SOAP body";
    return a;
  }
  if (first.name() == "Fault") {
    // SOAP 1.2: Code/Subcode/Value and Reason/Text; SOAP 1.1: faultcode/faultstring.
    std::string code = first.path({"Code", "Subcode", "Value"}).text();
    if (code.empty()) code = first.path({"Code", "Value"}).text();
    if (code.empty()) code = first.child("faultcode").text();
    std::string reason = first.path({"Reason", "Text"}).text();
    if (reason.empty()) reason = first.child("faultstring").text();
    a.error = "SOAP fault " + code + (reason.empty() ? "" : ": " + reason);
    return a;
  }
  a.body = first;
  return a;
}

}  // namespace gridsight::edge::discovery
