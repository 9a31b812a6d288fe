#include <gtest/gtest.h>

#include "common/http/digest.h"
#include "edge/discovery/soap.h"
#include "edge/discovery/ws_discovery.h"
#include "edge/discovery/xml.h"

namespace gridsight::edge::discovery {
namespace {

// RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5.
constexpr const char* kRfcChallengeSha256 =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr const char* kRfcChallengeMd5 =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr const char* kRfcCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

TEST(Digest, Rfc7616Sha256Example) {
  auto c = http::parse_digest_challenge(kRfcChallengeSha256);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_TRUE(c->qop_auth);
  const std::string h = http::digest_authorization(*c, "Mufasa", "Circle of Life", "GET",
                                                   "/dir/index.html", 1, kRfcCnonce);
  EXPECT_NE(
      h.find(R"(response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")"),
      std::string::npos)
      << h;
  EXPECT_NE(h.find("nc=00000001"), std::string::npos);
  EXPECT_NE(h.find(R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")"), std::string::npos);
}

TEST(Digest, Rfc7616Md5Example) {
  auto c = http::parse_digest_challenge(kRfcChallengeMd5);
  ASSERT_TRUE(c);
  const std::string h = http::digest_authorization(*c, "Mufasa", "Circle of Life", "GET",
                                                   "/dir/index.html", 1, kRfcCnonce);
  EXPECT_NE(h.find(R"(response="8ca523f5e9506fed4657c9700eebdbec")"), std::string::npos) << h;
}

TEST(Digest, ChoosesSha256AndRefusesWhatItCannotSpeak) {
  http::Headers headers = {{"WWW-Authenticate", kRfcChallengeMd5},
                           {"www-authenticate", kRfcChallengeSha256},
                           {"WWW-Authenticate", "Basic realm=\"x\""}};
  auto c = http::choose_digest_challenge(headers);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_FALSE(http::parse_digest_challenge("Basic realm=\"x\""));
  EXPECT_FALSE(http::parse_digest_challenge("Digest realm=\"x\""));  // no nonce
  EXPECT_FALSE(http::parse_digest_challenge("Digest nonce=\"n\", algorithm=MD5-sess"));
  EXPECT_FALSE(http::parse_digest_challenge("Digest nonce=\"unterminated"));
  // No qop: the RFC 2069 form, without nc and cnonce.
  auto old = http::parse_digest_challenge("Digest realm=\"r\", nonce=\"n\"");
  ASSERT_TRUE(old);
  const std::string h = http::digest_authorization(*old, "u", "p", "POST", "/x", 1, "c");
  EXPECT_EQ(h.find("nc="), std::string::npos);
}

TEST(Soap, UsernameTokenPasswordDigest) {
  // Base64(SHA-1(nonce + created + password)), computed independently.
  const std::string nonce = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const std::string t = username_token({"admin", "p@ss:w,rd\"1"}, nonce, "2026-12-05T12:00:00Z");
  EXPECT_NE(t.find("#PasswordDigest\">hu4BhgyBw8B9sGcxI2bwBApgEN8=</wsse:Password>"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(">AAECAwQFBgcICQoLDA0ODw==</wsse:Nonce>"), std::string::npos);
  EXPECT_NE(t.find("<wsu:Created>2026-12-05T12:00:00Z</wsu:Created>"), std::string::npos);
  // The user name is escaped.
  EXPECT_NE(username_token({"a<b&", "x"}, nonce, "c").find("a&lt;b&amp;"), std::string::npos);
}

TEST(Soap, AnswersAndFaults) {
  auto ok = parse_answer(
      R"(<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope")"
      R"( xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><env:Body>)"
      R"(<tds:GetDeviceInformationResponse><tds:Model> M1 </tds:Model>)"
      R"(</tds:GetDeviceInformationResponse></env:Body></env:Envelope>)");
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.body.name(), "GetDeviceInformationResponse");
  EXPECT_EQ(ok.body.child("Model").text(), "M1");

  auto fault = parse_answer(
      R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>)"
      R"(<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value>)"
      R"(</s:Subcode></s:Code><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason>)"
      R"(</s:Fault></s:Body></s:Envelope>)");
  EXPECT_EQ(fault.error, "SOAP fault ter:NotAuthorized: Sender not authorized");

  EXPECT_NE(parse_answer("<html>login</html>").error.find("not a SOAP envelope"),
            std::string::npos);
  EXPECT_NE(parse_answer("<s:Envelope").error.find("not XML"), std::string::npos);
  EXPECT_NE(parse_answer("").error.find("not XML"), std::string::npos);
}

TEST(Xml, ExternalEntitiesAreNotLoaded) {
  auto doc = XmlDocument::parse(
      R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>)"
      R"(<r><a>&x;</a></r>)");
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->root().child("a").text(), "");
}

constexpr const char* kProbeMatches =
    R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope")"
    R"( xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing")"
    R"( xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header>)"
    R"(<a:RelatesTo>urn:uuid:1</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>)"
    R"(<a:EndpointReference><a:Address>urn:uuid:cam</a:Address></a:EndpointReference>)"
    R"(<d:Types>dn:NetworkVideoTransmitter</d:Types>)"
    R"(<d:Scopes>onvif://www.onvif.org/name/Gate%20East onvif://www.onvif.org/hardware/X1)"
    R"(</d:Scopes><d:XAddrs>http://10.0.0.5/onvif/device_service http://[fe80::1]/x</d:XAddrs>)"
    R"(</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>)";

TEST(WsDiscovery, ProbeMatchesAreReadForOurProbeOnly) {
  std::vector<ProbeMatch> out;
  ASSERT_EQ(parse_probe_matches(kProbeMatches, "urn:uuid:1", out), ProbeAnswer::kMatches);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].endpoint, "urn:uuid:cam");
  EXPECT_EQ(out[0].xaddrs.size(), 2u);
  EXPECT_EQ(out[0].xaddrs[0], "http://10.0.0.5/onvif/device_service");
  EXPECT_EQ(scope_value(out[0].scopes, "name"), "Gate East");
  EXPECT_EQ(scope_value(out[0].scopes, "hardware"), "X1");
  EXPECT_EQ(scope_value(out[0].scopes, "location"), "");

  out.clear();
  EXPECT_EQ(parse_probe_matches(kProbeMatches, "urn:uuid:2", out), ProbeAnswer::kUnrelated);
  EXPECT_EQ(parse_probe_matches(probe_message("urn:uuid:1"), "urn:uuid:1", out),
            ProbeAnswer::kMalformed);  // a probe (another client's) is not an answer
  EXPECT_EQ(parse_probe_matches("\x01\x02garbage", "urn:uuid:1", out), ProbeAnswer::kMalformed);
  EXPECT_TRUE(out.empty());
}

TEST(WsDiscovery, ProbeAsksForVideoTransmitters) {
  auto doc = XmlDocument::parse(probe_message("urn:uuid:42"));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->root().path({"Header", "MessageID"}).text(), "urn:uuid:42");
  EXPECT_EQ(doc->root().path({"Body", "Probe", "Types"}).text(), "dn:NetworkVideoTransmitter");
}

TEST(WsDiscovery, UnknownInterfaceIsAClearError) {
  ProbeOptions o;
  o.interface = "no-such-if0";
  o.wait_ms = 100;
  auto r = probe(o);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("no-such-if0"), std::string::npos);
}

}  // namespace
}  // namespace gridsight::edge::discovery
