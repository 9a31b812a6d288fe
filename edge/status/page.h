#pragma once
// The status page and the login form: single HTML documents with inline CSS and JS, no
// external assets (a phone on the box's Wi-Fi has no internet).

#include <string>
#include <string_view>

namespace gridsight::edge::status {

std::string_view status_page_html();
std::string_view login_page_html();
// A small page explaining why access is closed (no credentials configured).
std::string closed_page_html(std::string_view reason);

}  // namespace gridsight::edge::status
